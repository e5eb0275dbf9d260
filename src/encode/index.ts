/** The agency side: turn a CSV extract into an encoded file. */
export { encodeFile, formatSummary, prepareEncode, FILL_WARNING, type EncodeOptions, type EncodeSummary, type BadRowPolicy, type BadFieldPolicy } from './pipeline.js';
export { PARTY_NAME } from '../format/party.js';
export {
  parseExtension,
  applyColumnMap,
  applyAbsent,
  applyCsvDialect,
  applyDateLayouts,
  applyMissingValues,
  parseMapArgs,
  parseDateRangeArg,
  resolveDateChecks,
  DEFAULT_DATE_RANGE,
  type P20linkExtension,
  type LinkHints,
  type DateRangeSpec,
  type DateCheck,
} from '../schema/extension.js';
export { createBlocker, deriveBlockingKey, keyedBlockValue, plainBlockValue, soundex, type BlockingDef } from './blocking-keys.js';
export { createRowEncoder, planColumns, FORMULA_START, type RowResult } from './row-encoder.js';
