import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createEvidenceEncoder, EVIDENCE_SALT, evidenceEldKey, slotTokens, templateFeatures, tokenValue } from '../../src/encode/evidence.js';
import { eldDiffuse, eldTaps } from '../../src/encode/harden.js';
import { parseEvidence, type EvidenceConfig } from '../../src/schema/evidence.js';
import { loadLinkageSchema } from '../../src/schema/linkage-schema.js';
import { setBlakeToken } from '../helpers/blake-token.js';

/**
 * The `place` evidence filter: the `prefix-3` token kind (ZIP3 of a ZIP5)
 * and known-answer vectors of a place template pinned here (the default
 * schema's at the time), test/encode/fixtures/evidence-place-vectors.json,
 * written once with P20LINK_WRITE_VECTORS=1.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const VECTORS = new URL('./fixtures/evidence-place-vectors.json', import.meta.url);
const schema = await loadLinkageSchema(resolve(ROOT, 'protocols/schemas/p20w-person.json'));
const FEATURES = schema.features.map((f) => f.identifier);

const PINNED: EvidenceConfig = {
  version: 1,
  templates: [
    {
      name: 'place',
      l: 1024,
      eld: { bits: 1024, taps: 2 },
      slots: [
        { slot: 'zip5', tokens: ['exact'], bitsPerToken: 150 },
        { slot: 'zip3', tokens: ['prefix-3'], bitsPerToken: 60 },
        { slot: 'mi', tokens: ['exact'], bitsPerToken: 100 },
        { slot: 'dob', tokens: ['date-bigrams', 'year', 'month-day', 'day-month-set'], bitsPerToken: 25 },
      ],
    },
  ],
  filters: [{ name: 'place', template: 'place', fill: { zip5: ['zip'], zip3: ['zip'], mi: ['middle_name'], dob: ['birth_date'] } }],
  presence: ['first_name', 'last_name', 'birth_date', 'sex', 'zip', 'middle_name'],
};
const cfg = parseEvidence(JSON.parse(JSON.stringify(PINNED)), 'test', schema);

type Rec = Partial<Record<'first_name' | 'middle_name' | 'last_name' | 'birth_date' | 'sex' | 'zip', string>>;
const row = (r: Rec) => ({ values: FEATURES.map((f) => r[f as keyof Rec] ?? ''), missing: FEATURES.map((f) => r[f as keyof Rec] === undefined) });
const SECRET = 'p20link evidence known-answer secret';
const RECORDS: Rec[] = [
  { first_name: 'MARIA', middle_name: 'J', last_name: 'GARCIA', birth_date: '2006-03-05', sex: 'F', zip: '60614' },
  { first_name: 'MARIA', middle_name: 'J', last_name: 'GARCIA', birth_date: '2006-03-05', sex: 'F', zip: '60622' },
  { first_name: 'MARIA', last_name: 'GARCIA', birth_date: '2006-03-05', sex: 'F', zip: '97501' },
  { first_name: 'NGUYEN', last_name: 'VAN AN', sex: 'M', middle_name: 'T', zip: '02139' },
  { first_name: 'ZOË', last_name: "O'BRIEN", birth_date: '1999-12-31' },
];

function compute(secretText: string) {
  const secret = new TextEncoder().encode(secretText);
  const enc = createEvidenceEncoder(schema, cfg, secret, { cacheSize: 0 });
  const t = cfg.templates[0]!;
  const feats = templateFeatures(t);
  const okm = hkdf(sha256, secret, new TextEncoder().encode(EVIDENCE_SALT), new TextEncoder().encode(`template:${t.name}`), 2 * feats.length * 64);
  const keys: Record<string, string> = Object.fromEntries(feats.map((f, i) => [`${f.slot}:${f.kind}`, Buffer.from(okm.slice(2 * i * 64, 2 * i * 64 + 64)).toString('hex')]));
  keys.eld = Buffer.from(evidenceEldKey(secret, t.name)).toString('hex');
  return {
    description:
      'Known-answer vectors of the place evidence filter (src/encode/evidence.ts; protocols/linkage-schema.md, Evidence): template keys, token values (prefix-3 = ZIP3), the filter (base64) and presence byte of fixed records under a fixed secret. Generated once from the implementation (P20LINK_WRITE_VECTORS=1); the test checks they never change.',
    secretUtf8: secretText,
    evidence: PINNED,
    keys,
    records: RECORDS.map((r) => {
      const { values, missing } = row(r);
      const ev = enc.encode(values, missing);
      return {
        values: r,
        tokens: { zip: r.zip ? slotTokens(['exact', 'prefix-3'], r.zip, '') : [] },
        filter: Buffer.from(ev.filters[0]!).toString('base64'),
        presence: ev.presence!,
      };
    }),
  };
}

describe('place evidence filter', () => {
  it('prefix-3: the first three characters (ZIP3 of a ZIP5), the whole value when shorter, none for a missing value', () => {
    expect(tokenValue('prefix-3', '60614', '')).toBe('606');
    expect(tokenValue('prefix-3', '02139', '')).toBe('021');
    expect(tokenValue('prefix-3', 'AB', '')).toBe('AB');
    expect(slotTokens(['exact', 'prefix-3'], '97501', '')).toEqual([
      { kind: 'exact', value: '97501' },
      { kind: 'prefix-3', value: '975' },
    ]);
    expect(slotTokens(['prefix-3'], '', '')).toEqual([]);
  });

  it('known-answer vectors (test/encode/fixtures/evidence-place-vectors.json) never change', () => {
    const got = compute(SECRET);
    if (process.env.P20LINK_WRITE_VECTORS === '1') writeFileSync(VECTORS, `${JSON.stringify(got, null, 2)}\n`);
    expect(got).toEqual(JSON.parse(readFileSync(VECTORS, 'utf8')));
  });

  it('a record with only a ZIP: blakeHash of ZIP5 and of ZIP3 under their slot keys, then ELD (checked independently)', () => {
    const secret = new TextEncoder().encode(SECRET);
    const te = new TextEncoder();
    const okm = hkdf(sha256, secret, te.encode(EVIDENCE_SALT), te.encode('template:place'), 2 * 7 * 64);
    const bits = new Uint8Array(128);
    const setToken = (key: Uint8Array, tok: string, k: number) => setBlakeToken(bits, 1024, key, tok, k);
    // derived features in order: zip5:exact (key pair 0), zip3:prefix-3 (pair 1), mi:exact, dob:...
    setToken(okm.slice(0, 64), '60614', 150);
    setToken(okm.slice(128, 192), '606', 60);
    const eldKey = hkdf(sha256, secret, te.encode(EVIDENCE_SALT), te.encode('eld:place'), 64).slice(0, 32);
    const expected = eldDiffuse(bits, 1024, eldTaps(eldKey, 1024, { bits: 1024, taps: 2 }), 2);
    const enc = createEvidenceEncoder(schema, cfg, secret);
    const { values, missing } = row({ zip: '60614' });
    const ev = enc.encode(values, missing);
    expect(Buffer.from(ev.filters[0]!).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    expect(ev.presence).toBe(0b010000);
  });

  it("the default schema's place filter is about half full and differs between neighbours born the same day", () => {
    const shipped = schema.p20link!.evidence! as unknown as EvidenceConfig;
    const enc = createEvidenceEncoder(schema, shipped, new TextEncoder().encode('place fill secret'));
    const x = shipped.filters.findIndex((f) => f.name === 'place');
    expect(x).toBeGreaterThanOrEqual(0);
    const pop = (b: Uint8Array) => b.reduce((s, v) => s + (v.toString(2).match(/1/g)?.length ?? 0), 0);
    const base = { first_name: 'MARIA', last_name: 'GARCIA', middle_name: 'J', birth_date: '2006-03-05', sex: 'F', zip: '60614' };
    const a = enc.encode(row(base).values, row(base).missing).filters[x]!;
    const other = { ...base, first_name: 'ANA', last_name: 'LOPEZ' };
    const b = enc.encode(row(other).values, row(other).missing).filters[x]!;
    const later = { ...base, birth_date: '2006-03-06' };
    const c = enc.encode(row(later).values, row(later).missing).filters[x]!;
    expect(pop(a) / 1024).toBeGreaterThan(0.4);
    expect(pop(a) / 1024).toBeLessThan(0.6);
    // names are not in the place filter; the birth date is
    expect(Buffer.from(b).toString('hex')).toBe(Buffer.from(a).toString('hex'));
    expect(Buffer.from(c).toString('hex')).not.toBe(Buffer.from(a).toString('hex'));
  });
});
