/**
 * The schema's `p20link.hardening` section (protocols/hardening.md): its
 * typed form and its validation. The structure (keys, types, ranges) is the
 * JSON Schema protocols/p20link-extension.schema.json (definitions/hardening);
 * what depends on the linkage schema (hashed feature names, the CLK length)
 * is checked here. Applying the section to CLKs is src/encode/harden.ts.
 */
import { P20Error } from '../errors.js';
import { checkExtensionJson } from './extension-json.js';

export const HARDENING_VERSION = 1;

/** Attribute salting: tokens of `features` are hashed as salt + "\0" + token, salt = transform(value of `from`). */
export interface SaltConfig {
  from: string;
  transform: 'year' | 'exact' | 'prefix';
  length?: number;
  features: string[];
}

export interface EldConfig {
  /** Output length in bits (multiple of 8). */
  bits: number;
  /** Input bits XOR-ed into each output bit. */
  taps: number;
}

export interface HardeningConfig {
  version: 1;
  salt?: SaltConfig;
  /** Rounds of the rule-90 cellular automaton (cyclic). */
  rule90?: number;
  eld?: EldConfig;
  /** Number of XOR folds (each halves the length). */
  xorFold?: number;
  balance?: boolean;
  /** BLIP: each bit flipped with probability f, keyed per record. */
  blip?: { f: number };
}

type Obj = Record<string, unknown>;

/**
 * Validate `p20link.hardening`. `features` are the schema's hashed feature
 * identifiers; `l` the CLK length. Refusals are SCHEMA_EXTENSION errors
 * naming the JSON path.
 */
export function parseHardening(raw: unknown, source: string, features: readonly string[], l: number): HardeningConfig {
  const fail = (path: string, message: string): never => {
    throw new P20Error('SCHEMA_EXTENSION', message, { file: source, field: `p20link.hardening${path}` });
  };
  checkExtensionJson(raw, source, 'hardening');
  const h = raw as Obj;
  const cfg: HardeningConfig = { version: 1 };
  if (h.salt !== undefined) {
    const s = h.salt as Obj;
    if (!features.includes(s.from as string)) fail('.salt.from', `must name a hashed feature (${features.join(', ')})`);
    (s.features as string[]).forEach((f, i) => {
      if (!features.includes(f)) fail(`.salt.features[${i}]`, `must name a hashed feature (${features.join(', ')})`);
      if (f === s.from) fail(`.salt.features[${i}]`, 'a feature cannot be salted with its own value');
    });
    const salt: SaltConfig = { from: s.from as string, transform: s.transform as SaltConfig['transform'], features: [...(s.features as string[])] };
    if (s.length !== undefined) salt.length = s.length as number;
    cfg.salt = salt;
  }
  let n = l;
  if (h.rule90 !== undefined) cfg.rule90 = h.rule90 as number;
  if (h.eld !== undefined) {
    const e = h.eld as { bits: number; taps: number };
    if (e.taps > l) fail('.eld.taps', `must be an integer from 2 to ${Math.min(16, l)}`);
    cfg.eld = { bits: e.bits, taps: e.taps };
    n = e.bits;
  }
  if (h.xorFold !== undefined) {
    cfg.xorFold = h.xorFold as number;
    for (let i = 0; i < cfg.xorFold; i++) {
      if (n % 16 !== 0) fail('.xorFold', `cannot fold ${n} bits into whole bytes`);
      n /= 2;
    }
  }
  if (h.balance === true) cfg.balance = true;
  if (h.blip !== undefined) cfg.blip = { f: (h.blip as { f: number }).f };
  if (l % 8 !== 0 && (cfg.rule90 || cfg.eld || cfg.xorFold || cfg.balance || cfg.blip)) fail('', `post-CLK hardening needs a CLK length that is a multiple of 8 (l = ${l})`);
  return cfg;
}
