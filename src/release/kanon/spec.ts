import { P20Error } from '../../errors.js';
import { firstAjvError, lazyValidator, readJsonFile } from '../../util/json-spec.js';
import { KCHECK_SPEC_SCHEMA } from './spec-schema.js';
import type { HierarchySpec, KCheckSpec, KSettings, KSettingsInput, RepairStrategy } from './types.js';

/** Default required k for a record-level research file (see docs/kcheck.md). */
export const DEFAULT_K = 5;
/** Default required distinct l when sensitive attributes are declared. */
export const DEFAULT_L_WITH_SENSITIVE = 2;
/** Default cap on local suppression: 5% of records. */
export const DEFAULT_MAX_SUPPRESSED_FRACTION = 0.05;
export const DEFAULT_STRATEGY: RepairStrategy = 'auto';

const schemaValidator = lazyValidator(KCHECK_SPEC_SCHEMA);

/** Number of levels above the original (the last one is "*"). */
export function hierarchyHeight(h: HierarchySpec): number {
  switch (h.type) {
    case 'interval':
      return h.widths.length + 1;
    case 'prefix':
      return h.keep.length + 1;
    case 'date':
      return h.levels.length + 1;
    case 'map':
      return h.levels.length + 1;
    case 'suppress':
      return 1;
  }
}

/** Highest level the repair search may use for this hierarchy. */
export function hierarchyMaxLevel(h: HierarchySpec): number {
  const height = hierarchyHeight(h);
  return h.maxLevel === undefined ? height : Math.min(h.maxLevel, height);
}

const DATE_ORDER = { month: 0, quarter: 1, year: 2 } as const;

/** Checks the schema cannot express (nesting of levels). Throws P20Error naming the field. */
function checkHierarchy(name: string, h: HierarchySpec, file: string): void {
  const field = `hierarchies.${name}`;
  const bad = (msg: string, sub = ''): never => {
    throw new P20Error('KCHECK_SPEC', msg, { file, field: field + sub });
  };
  const height = hierarchyHeight(h);
  if (h.maxLevel !== undefined && h.maxLevel > height) {
    bad(`maxLevel ${h.maxLevel} is above the top level ${height} ("*")`, '.maxLevel');
  }
  if (h.type === 'interval') {
    const integer = h.integer ?? true;
    if (integer) {
      h.widths.forEach((w, i) => {
        if (!Number.isInteger(w)) bad('widths must be whole numbers when integer is true', `.widths.${i}`);
      });
      if (h.origin !== undefined && !Number.isInteger(h.origin)) bad('origin must be a whole number when integer is true', '.origin');
    }
    for (let i = 1; i < h.widths.length; i++) {
      const r = h.widths[i]! / h.widths[i - 1]!;
      if (!(r >= 2 - 1e-9) || Math.abs(r - Math.round(r)) > 1e-9) {
        bad(
          `width ${h.widths[i]} is not a whole multiple (≥ 2×) of the previous width ${h.widths[i - 1]}; ` +
            'bands must nest so that a coarser level never splits a class',
          `.widths.${i}`,
        );
      }
    }
  } else if (h.type === 'prefix') {
    for (let i = 1; i < h.keep.length; i++) {
      if (h.keep[i]! >= h.keep[i - 1]!) bad('keep lengths must strictly decrease', `.keep.${i}`);
    }
  } else if (h.type === 'date') {
    for (let i = 1; i < h.levels.length; i++) {
      if (DATE_ORDER[h.levels[i]!] <= DATE_ORDER[h.levels[i - 1]!]) {
        bad('date levels must go from fine to coarse (month, quarter, year)', `.levels.${i}`);
      }
    }
  }
}

/** Validate a parsed spec object; `file` names it in errors. */
export function parseSpec(value: unknown, file = '<spec>'): KCheckSpec {
  const validate = schemaValidator();
  if (!validate(value)) {
    const { field, message } = firstAjvError(validate.errors);
    throw new P20Error('KCHECK_SPEC', `invalid kcheck spec: ${message}`, { file, field });
  }
  const spec = value as KCheckSpec;
  for (const [name, h] of Object.entries(spec.hierarchies ?? {})) checkHierarchy(name, h, file);
  return spec;
}

/** Read and validate a JSON spec file. */
export async function loadSpec(path: string): Promise<KCheckSpec> {
  return parseSpec(await readJsonFile(path, 'spec', { code: 'KCHECK_SPEC' }), path);
}

function positiveInt(v: number, field: string, file: string | undefined): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new P20Error('KCHECK_SETTINGS', `must be a whole number ≥ 1 (got ${v})`, { file, field });
  }
  return v;
}

/**
 * Combine a spec (file or object) with direct values (which win) and the
 * defaults; validate the result.
 */
export async function resolveSettings(input: KSettingsInput): Promise<KSettings> {
  let spec: KCheckSpec = { version: 1 };
  let specFile: string | undefined;
  if (typeof input.spec === 'string') {
    specFile = input.spec;
    spec = await loadSpec(input.spec);
  } else if (input.spec !== undefined) {
    spec = parseSpec(input.spec);
  }
  return settingsFrom(spec, input, specFile);
}

/** Synchronous form of resolveSettings for an already-parsed spec. */
export function settingsFrom(spec: KCheckSpec, input: Omit<KSettingsInput, 'spec'> = {}, specFile?: string): KSettings {
  const qi = input.qi ?? spec.quasiIdentifiers ?? [];
  const sensitive = input.sensitive ?? spec.sensitive ?? [];
  const where = input.qi ? undefined : specFile;
  if (qi.length === 0) {
    throw new P20Error('KCHECK_SETTINGS', 'no quasi-identifiers declared (use the qi option or "quasiIdentifiers" in the spec)', { file: where, field: 'quasiIdentifiers' }, { hint: { id: 'use-option', option: 'qi' } });
  }
  const seen = new Set<string>();
  for (const c of qi) {
    if (c.length === 0) throw new P20Error('KCHECK_SETTINGS', 'empty quasi-identifier name', { file: where, field: 'quasiIdentifiers' });
    if (seen.has(c)) throw new P20Error('KCHECK_SETTINGS', `quasi-identifier "${c}" is listed twice`, { file: where, field: 'quasiIdentifiers' });
    seen.add(c);
  }
  const seenS = new Set<string>();
  for (const s of sensitive) {
    if (s.length === 0) throw new P20Error('KCHECK_SETTINGS', 'empty sensitive attribute name', { field: 'sensitive' });
    if (seen.has(s)) {
      throw new P20Error('KCHECK_SETTINGS', `column "${s}" is declared both quasi-identifier and sensitive`, { field: 'sensitive' });
    }
    if (seenS.has(s)) throw new P20Error('KCHECK_SETTINGS', `sensitive attribute "${s}" is listed twice`, { field: 'sensitive' });
    seenS.add(s);
  }
  const k = positiveInt(input.k ?? spec.k ?? DEFAULT_K, 'k', input.k === undefined ? specFile : undefined);
  const lDefault = sensitive.length > 0 ? DEFAULT_L_WITH_SENSITIVE : 1;
  const l = positiveInt(input.l ?? spec.l ?? lDefault, 'l', input.l === undefined ? specFile : undefined);
  if (l > 1 && sensitive.length === 0) {
    throw new P20Error('KCHECK_SETTINGS', `l = ${l} needs at least one sensitive attribute (use the sensitive option)`, { field: 'l' }, { hint: { id: 'use-option', option: 'sensitive' } });
  }
  const hierarchies = spec.hierarchies ?? {};
  for (const name of Object.keys(hierarchies)) {
    if (!seen.has(name)) {
      throw new P20Error('KCHECK_SETTINGS', `a hierarchy is declared for "${name}", which is not a quasi-identifier`, {
        file: specFile,
        field: `hierarchies.${name}`,
      });
    }
  }
  const frac = input.maxSuppressedFraction ?? spec.repair?.maxSuppressedFraction ?? DEFAULT_MAX_SUPPRESSED_FRACTION;
  if (!(frac >= 0 && frac <= 1)) {
    throw new P20Error('KCHECK_SETTINGS', `the suppression limit must be a fraction between 0 and 1 (got ${frac})`, { field: 'max-suppress' });
  }
  const strategy = input.strategy ?? spec.repair?.strategy ?? DEFAULT_STRATEGY;
  if (!['auto', 'optimal', 'greedy', 'datafly'].includes(strategy)) {
    throw new P20Error('KCHECK_SETTINGS', `unknown strategy "${String(strategy)}" (auto, optimal, greedy or datafly)`, { field: 'strategy' });
  }
  const suppression = input.suppression ?? spec.repair?.suppression ?? 'local';
  if (suppression !== 'local' && suppression !== 'records') {
    throw new P20Error('KCHECK_SETTINGS', `unknown suppression "${String(suppression)}" (local or records)`, { field: 'suppression' });
  }
  return {
    qi: [...qi],
    sensitive: [...sensitive],
    k,
    l,
    entropyL: input.entropyL ?? spec.entropyL ?? false,
    missingValues: spec.missingValues ?? [''],
    hierarchies,
    maxSuppressedFraction: frac,
    strategy,
    suppression,
  };
}
