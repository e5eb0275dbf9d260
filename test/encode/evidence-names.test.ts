import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { createEvidenceEncoder, EVIDENCE_SALT, evidenceHeader, slotTokens, templateFeatures, tokenValue } from '../../src/encode/evidence.js';
import { eldDiffuse, eldTaps } from '../../src/encode/harden.js';
import type { EvidenceConfig } from '../../src/schema/evidence.js';
import { setBlakeToken } from '../helpers/blake-token.js';
import { DEFAULT_SCHEMA, type Rec } from '../link/model/encoded-party.js';

/**
 * The `unordered-date` token kind (src/encode/evidence.ts) and the default
 * schema's `names` filter that carries it: the birth date with day and month
 * as an unordered pair, one token, so a day/month swap leaves the filter
 * identical (the linker's day/month swap evidence, docs/match-model.md).
 */

const schema = DEFAULT_SCHEMA;
const FEATURES = schema.features.map((f) => f.identifier);
const cfg = schema.p20link!.evidence! as unknown as EvidenceConfig;
const SECRET = 'p20link evidence known-answer secret';
const row = (r: Rec) => ({ values: FEATURES.map((f) => r[f as keyof Rec] ?? ''), missing: FEATURES.map((f) => r[f as keyof Rec] === undefined) });
const enc = createEvidenceEncoder(schema, cfg, new TextEncoder().encode(SECRET), { cacheSize: 0 });
const xNames = enc.filters.findIndex((f) => f.name === 'names');
const namesOf = (r: Rec) => Buffer.from(enc.encode(row(r).values, row(r).missing).filters[xNames]!).toString('hex');

describe('unordered-date token and the default names filter', () => {
  it('unordered-date: YYYY then MM and DD in ascending order; none for a missing date', () => {
    expect(tokenValue('unordered-date', '2006-03-05', '20060305')).toBe('20060305');
    expect(tokenValue('unordered-date', '2006-05-03', '20060503')).toBe('20060305');
    expect(tokenValue('unordered-date', '1999-12-31', '19991231')).toBe('19991231');
    expect(tokenValue('unordered-date', '2001-07-07', '20010707')).toBe('20010707');
    expect(slotTokens(['unordered-date'], '', '')).toEqual([]);
  });

  it('the default names template: name bigrams, sex, and the date as one unordered-date token; the header says so', () => {
    const t = cfg.templates.find((x) => x.name === 'names')!;
    expect(templateFeatures(t)).toEqual([
      { slot: 'name', kind: 'bigrams' },
      { slot: 'sex', kind: 'exact' },
      { slot: 'date', kind: 'unordered-date' },
    ]);
    expect(evidenceHeader({ evidence: cfg }).evidence!.find((e) => e.name === 'names')!.dates).toEqual(['unordered-date']);
    expect(enc.filters[xNames]!.dates).toEqual(['unordered-date']);
  });

  it('a record with only a birth date: blakeHash of its unordered-date token under the third key pair, then ELD (checked independently)', () => {
    const secret = new TextEncoder().encode(SECRET);
    const te = new TextEncoder();
    const okm = hkdf(sha256, secret, te.encode(EVIDENCE_SALT), te.encode('template:names'), 2 * 3 * 64);
    const bits = new Uint8Array(128);
    setBlakeToken(bits, 1024, okm.slice(4 * 64, 5 * 64), '20060305', 12);
    const eldKey = hkdf(sha256, secret, te.encode(EVIDENCE_SALT), te.encode('eld:names'), 64).slice(0, 32);
    const expected = eldDiffuse(bits, 1024, eldTaps(eldKey, 1024, { bits: 1024, taps: 2 }), 2);
    expect(namesOf({ birth_date: '2006-05-03' })).toBe(Buffer.from(expected).toString('hex'));
    // pinned: the same filter's SHA-256 never changes
    expect(createHash('sha256').update(Buffer.from(expected)).digest('hex').slice(0, 16)).toMatchInlineSnapshot(`"d04f76650f8b3050"`);
  });

  it('a day/month swap leaves the filter identical; another date, a missing date or another sex does not', () => {
    const a = { first_name: 'MARIA', last_name: 'GARCIA', birth_date: '2006-03-05', sex: 'F' };
    expect(namesOf({ ...a, birth_date: '2006-05-03' })).toBe(namesOf(a));
    // the names are order-free too: a first/last swap with a day/month swap is still the same filter
    expect(namesOf({ ...a, first_name: 'GARCIA', last_name: 'MARIA', birth_date: '2006-05-03' })).toBe(namesOf(a));
    for (const other of [{ ...a, birth_date: '2006-03-06' }, { ...a, birth_date: '2007-03-05' }, { ...a, birth_date: undefined }, { ...a, sex: 'M' }]) {
      expect(namesOf(other)).not.toBe(namesOf(a));
    }
  });
});
