/** The agency side: turn a CSV extract into an encoded file. */
export { encodeFile, formatSummary, prepareEncode, PARTY_NAME, type EncodeOptions, type EncodeSummary, type BadRowPolicy } from './pipeline.js';
export { loadSecret, MIN_SECRET_CHARS, type SecretSource } from './load-secret.js';
export { parseExtension, applyColumnMap, parseMapArgs, type P20linkExtension, type LinkHints } from './extension.js';
export { createBlocker, deriveBlockingKey, keyedBlockValue, plainBlockValue, soundex, type BlockingDef } from './blocking-keys.js';
export { createRowEncoder, planColumns, type RowResult } from './row-encoder.js';
