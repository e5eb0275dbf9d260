import { P20Error } from '../../errors.js';

/**
 * Blocking configurations and their text syntax.
 *
 *   spec   := part ( "+" part )*            union of the parts' candidate pairs
 *   part   := "none"                        all pairs (no blocking)
 *           | "lsh" [ ":" opt ( "," opt )* ]  MinHash LSH bands on the CLKs' set bits
 *           | "keys:" name ( "," name )*    equal keyed block values (all named, compound)
 *   opt    := "bands=" N | "rows=" N | "seed=" N
 *
 * Examples: "none", "lsh", "lsh:bands=48,rows=16", "keys:yob",
 * "keys:yob,sex+lsh" (pairs agreeing on both yob and sex, plus LSH pairs).
 * A record whose value for any named key is "" (missing) gets no pairs
 * from that keys part; it is compared only through the other parts.
 */
export type BlockingConfig =
  | { kind: 'none' }
  | { kind: 'lsh'; bands: number; rows: number; seed?: number }
  | { kind: 'keys'; names: string[] }
  | { kind: 'union'; parts: BlockingConfig[] };

/** Default LSH bands / rows (see docs/similarity-engine.md for how they were chosen). */
export const DEFAULT_LSH_BANDS = 64;
export const DEFAULT_LSH_ROWS = 8;
export const DEFAULT_LSH_SEED = 20;
/** MinHash values hashed into one band key. */
export const MAX_LSH_ROWS = 32;
export const MAX_LSH_BANDS = 1024;

function bad(spec: string, msg: string): P20Error {
  return new P20Error('LINK_BLOCKING_SPEC', `blocking "${spec}": ${msg}`, { field: 'blocking' });
}

function parseInt10(spec: string, key: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw bad(spec, `${key}=${JSON.stringify(v)} is not a whole number`);
  const n = Number(v);
  if (n < min || n > max) throw bad(spec, `${key}=${n} is out of range ${min}..${max}`);
  return n;
}

function parsePart(spec: string, part: string): BlockingConfig {
  const p = part.trim();
  if (p === 'none') return { kind: 'none' };
  if (p === 'lsh' || p.startsWith('lsh:')) {
    const cfg: { kind: 'lsh'; bands: number; rows: number; seed?: number } = { kind: 'lsh', bands: DEFAULT_LSH_BANDS, rows: DEFAULT_LSH_ROWS };
    if (p === 'lsh') return cfg;
    const seen = new Set<string>();
    for (const opt of p.slice(4).split(',')) {
      const m = /^\s*([a-z]+)\s*=\s*(.*?)\s*$/.exec(opt);
      if (!m) throw bad(spec, `LSH option ${JSON.stringify(opt)} is not key=value (bands=, rows=, seed=)`);
      const [, key, val] = m as unknown as [string, string, string];
      if (seen.has(key)) throw bad(spec, `LSH option ${key} given twice`);
      seen.add(key);
      if (key === 'bands') cfg.bands = parseInt10(spec, key, val, 1, MAX_LSH_BANDS);
      else if (key === 'rows') cfg.rows = parseInt10(spec, key, val, 1, MAX_LSH_ROWS);
      else if (key === 'seed') cfg.seed = parseInt10(spec, key, val, 0, 0xffffffff);
      else throw bad(spec, `unknown LSH option "${key}" (use bands=, rows=, seed=)`);
    }
    return cfg;
  }
  if (p.startsWith('keys:')) {
    const names = p.slice(5).split(',').map((s) => s.trim());
    if (names.length === 0 || names.some((n) => n === '')) throw bad(spec, 'keys: needs block names separated by commas, e.g. keys:yob,sex');
    if (new Set(names).size !== names.length) throw bad(spec, 'keys: names a block twice');
    return { kind: 'keys', names };
  }
  if (p === 'keys') throw bad(spec, 'keys needs block names, e.g. keys:yob');
  throw bad(spec, `unknown blocking "${p}" (use none, lsh[:bands=N,rows=N,seed=N], keys:NAME[,NAME...], joined with +)`);
}

/** Parse a blocking spec (syntax above); throws P20Error LINK_BLOCKING_SPEC with the reason. */
export function parseBlockingSpec(spec: string): BlockingConfig {
  if (typeof spec !== 'string' || spec.trim() === '') throw bad(String(spec), 'empty blocking spec (use none, lsh, keys:NAME, or parts joined with +)');
  const parts = spec.split('+').map((p) => {
    if (p.trim() === '') throw bad(spec, 'empty part around "+"');
    return parsePart(spec, p);
  });
  return parts.length === 1 ? parts[0]! : { kind: 'union', parts };
}

/** Canonical text of a config (parseBlockingSpec(formatBlockingSpec(c)) is equivalent to c). */
export function formatBlockingSpec(c: BlockingConfig): string {
  switch (c.kind) {
    case 'none':
      return 'none';
    case 'lsh':
      return `lsh:bands=${c.bands},rows=${c.rows}${c.seed !== undefined ? `,seed=${c.seed}` : ''}`;
    case 'keys':
      return `keys:${c.names.join(',')}`;
    case 'union':
      return c.parts.map(formatBlockingSpec).join('+');
  }
}

/** Flatten unions into a list of leaf parts. */
export function leafParts(c: BlockingConfig): Exclude<BlockingConfig, { kind: 'union' }>[] {
  if (c.kind === 'union') return c.parts.flatMap(leafParts);
  return [c];
}

/** True when the config proposes all pairs (contains a "none" part). */
export function isAllPairs(c: BlockingConfig): boolean {
  return leafParts(c).some((p) => p.kind === 'none');
}

/** Check a config built in code (not parsed): ranges and non-empty names. */
export function validateBlockingConfig(c: BlockingConfig): void {
  const kinds = ['none', 'lsh', 'keys', 'union'];
  const check = (x: unknown): void => {
    const k = typeof x === 'object' && x !== null ? (x as { kind?: unknown }).kind : undefined;
    if (typeof k !== 'string' || !kinds.includes(k)) throw bad(typeof x === 'string' ? x : '', 'not a blocking configuration (expected kind none, lsh, keys or union)');
    if (k === 'union') {
      const parts = (x as { parts?: unknown }).parts;
      if (!Array.isArray(parts)) throw bad('', 'a union needs a list of parts');
      parts.forEach(check);
    }
  };
  check(c);
  for (const p of leafParts(c)) {
    if (p.kind === 'lsh') {
      if (!Number.isInteger(p.bands) || p.bands < 1 || p.bands > MAX_LSH_BANDS) throw bad(formatBlockingSpec(c), `bands must be 1..${MAX_LSH_BANDS}`);
      if (!Number.isInteger(p.rows) || p.rows < 1 || p.rows > MAX_LSH_ROWS) throw bad(formatBlockingSpec(c), `rows must be 1..${MAX_LSH_ROWS}`);
      if (p.seed !== undefined && (!Number.isInteger(p.seed) || p.seed < 0 || p.seed > 0xffffffff)) throw bad(formatBlockingSpec(c), 'seed must be 0..4294967295');
    } else if (p.kind === 'keys') {
      if (p.names.length === 0 || p.names.some((n) => typeof n !== 'string' || n === '')) throw bad(formatBlockingSpec(c), 'keys needs block names');
    }
  }
  if (c.kind === 'union' && c.parts.length === 0) throw bad('', 'empty union');
}
