import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PARTY_NAME, checkPartyName, isValidPartyName } from '../../src/format/party.js';
import { PARTY_NAME as ENCODE_PARTY_NAME } from '../../src/encode/index.js';
import { checkPartyName as linkCheckPartyName } from '../../src/link/load.js';

describe('one party-name rule', () => {
  it('known answers', () => {
    for (const ok of ['k12', 'HED', 'a', 'agency_1.x-y', 'x'.repeat(64)]) expect(isValidPartyName(ok)).toBe(true);
    for (const bad of ['', '.hidden', '-x', '_x', 'a/b', '..', 'a b', 'é', 'x'.repeat(65)]) expect(isValidPartyName(bad)).toBe(false);
  });

  it('encode exports the same rule object', () => {
    expect(ENCODE_PARTY_NAME).toBe(PARTY_NAME);
  });

  it('transfer (checkPartyName) and link (LINK_PARTY_NAME) accept exactly the same names', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 70 }), fc.stringMatching(/^[A-Za-z0-9_.\-/ ]{0,66}$/)), (s) => {
        const ok = PARTY_NAME.test(s);
        let transfer = true;
        try {
          checkPartyName(s);
        } catch {
          transfer = false;
        }
        let link = true;
        try {
          linkCheckPartyName(s, 'f');
        } catch {
          link = false;
        }
        expect(transfer).toBe(ok);
        expect(link).toBe(ok);
      }),
      { numRuns: 500 },
    );
  });
});
