import { describe, expect, it } from 'vitest';
import { candidatePairs, CROSSWISE_PASS, crosswisePairs, PER_RECORD } from '../../../src/link/model/candidates.js';
import { swapFilters } from '../../../src/link/model/compare.js';
import { encodedParties, type Rec } from './encoded-party.js';

/**
 * The crosswise candidate pass (`candidatePairs`,
 * CROSSWISE_PASS): a surname + birth date written in the first-name field
 * on one side gives a `first_dob` filter identical to the other side's
 * `last_dob`, so the pass pairs them even when the other name changed too
 * (an adopted name after a first/last swap), which no other pass compares.
 */

const party = encodedParties('crosswise pass test secret');
const rec = (first: string, last: string, birth_date: string, more: Rec = {}): Rec => ({ first_name: first, last_name: last, birth_date, sex: 'F', zip: '97503', middle_name: 'J', ...more });

describe('crosswise pass', () => {
  // A: "Pham, Ananya"; B: first name PHAM, surname EMMA (swapped, and an adopted first name), same birth date
  const A = party('a', [rec('ANANYA', 'PHAM', '1997-10-25'), rec('MARIA', 'GARCIA', '2001-03-04'), rec('JOHN', 'LEE', '1999-01-02')]);
  const B = party('b', [rec('JOHN', 'SMITH', '1980-05-06'), rec('PHAM', 'EMMA', '1997-10-25'), rec('GARCIA', 'MARIA', '2001-03-05')]);
  const sw = swapFilters(A.evidence!)!;
  const pairs = (keys: Float64Array, nB: number) => Array.from(keys, (v) => [Math.floor(v / nB), v % nB]);

  it('pairs a surname + date in the first-name field with the same surname + date, whatever the other name', () => {
    expect(sw).toBeDefined();
    // (2, 0) is not a pair: the surname LEE and the first name JOHN are not crosswise; (1, 2) differs in the day
    expect(pairs(crosswisePairs(A, B, sw, PER_RECORD), B.count)).toEqual([[0, 1]]);
  });

  it('is one of the candidate passes and its pair is in the union', async () => {
    // the other passes' floors at identical filters (none here): only the crosswise pass proposes
    const c = await candidatePairs(A, B, { blocking: { kind: 'none' }, floors: [1, 1, 1, 1, 1], workers: 1 });
    expect(c.perPass.map((p) => p.filter)).toEqual(['clk', 'names', 'first_dob', 'last_dob', CROSSWISE_PASS]);
    expect(c.perPass.at(-1)!.kept).toBe(1);
    expect(Array.from(c.a)).toEqual([0]);
    expect(Array.from(c.b)).toEqual([1]);
  });

  it('a value held by more than PER_RECORD records on one side proposes nothing (a crowd is no evidence)', () => {
    const crowd = Array.from({ length: PER_RECORD + 1 }, () => rec('LEE', 'OKAFOR', '1990-07-07'));
    const C = party('c', crowd);
    const D = party('d', [rec('DAVID', 'LEE', '1990-07-07')]);
    expect(crosswisePairs(C, D, sw, PER_RECORD).length).toBe(0);
    expect(crosswisePairs(party('c', crowd.slice(0, PER_RECORD)), D, sw, PER_RECORD).length).toBe(PER_RECORD);
  });

  it('a record without the name is never joined on its filter of the birth date alone', () => {
    const C = party('c', [{ ...rec('', 'OKAFOR', '1990-07-07'), first_name: undefined }]);
    const D = party('d', [{ ...rec('DAVID', '', '1990-07-07'), last_name: undefined }]);
    expect(crosswisePairs(C, D, sw, PER_RECORD).length).toBe(0);
    expect(crosswisePairs(D, C, sw, PER_RECORD).length).toBe(0);
  });

  it('within one party: each pair once, a < b, never a record with itself', () => {
    const W = party('w', [rec('LEE', 'LEE', '1990-07-07'), rec('JOHN', 'SMITH', '1980-05-06'), rec('SMITH', 'ANNA', '1980-05-06')]);
    expect(pairs(crosswisePairs(W, null, sw, PER_RECORD), W.count)).toEqual([[1, 2]]);
  });
});
