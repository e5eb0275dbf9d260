/**
 * The attacker's view of the encoding's tokenization: the schema is public,
 * so the attacker tokenizes its reference plaintext exactly as the encoder
 * would (format, n-grams, positional tags, attribute salting). Only the keyed
 * mapping of tokens to bit positions is unknown to it.
 */
import { featureValueRules } from '../encode/feature-value.js';
import { saltedToken, saltValue } from '../encode/harden.js';
import { makeTokenizer } from '../encode/tokenize.js';
import type { P20linkExtension } from '../schema/extension.js';
import type { HashedFeature, LinkageSchema } from '../schema/types.js';
import type { PlainRecord } from './types.js';

export type FeatureTokenizer = (value: string, salt: string) => string[];

/** Tokens (as hashed, salt applied) of one normalized value of a feature; [] when it cannot be formatted. */
export function featureTokenizer(f: HashedFeature): FeatureTokenizer {
  const rules = featureValueRules(f);
  const tok = makeTokenizer(f.hashing.comparison);
  return (value, salt) => {
    let formatted: string;
    try {
      formatted = rules.format(value);
    } catch {
      return [];
    }
    const t = tok(formatted);
    return salt === '' ? t : t.map((x) => saltedToken(salt, x));
  };
}

/** The hashed features present in the reference (at least one record with a value). */
export function referenceFeatures(schema: LinkageSchema, reference: readonly PlainRecord[]): HashedFeature[] {
  const out: HashedFeature[] = [];
  for (const f of schema.features) {
    if (f.ignored) continue;
    if (reference.some((r) => (r[f.identifier] ?? '') !== '')) out.push(f);
  }
  return out;
}

/** The salt a record's feature is hashed with ("" if none), from a plaintext record. */
export function recordSalt(ext: P20linkExtension, feature: string, rec: PlainRecord): string {
  const s = ext.hardening?.salt;
  if (!s?.features.includes(feature)) return '';
  return saltValue(s, rec[s.from] ?? '');
}

export const tokenKey = (feature: string, token: string): string => `${feature}\u0001${token}`;
