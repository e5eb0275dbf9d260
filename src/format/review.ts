/**
 * The review file contract: `review.csv`, written by `p20link link` when a
 * review threshold is given (format: protocols/link-output.md). Header
 * `party_a,record_id_a,party_b,record_id_b,score`; one row per pair scored
 * in [review threshold, threshold), sorted by score, highest first.
 */
import { P20Error } from '../errors.js';
import { openCsv } from '../io/csv.js';
import { formatScore, parseScore } from './links.js';

export const REVIEW_FILE = 'review.csv';
export const REVIEW_HEADER = ['party_a', 'record_id_a', 'party_b', 'record_id_b', 'score'] as const;

export interface ReviewPair {
  partyA: string;
  idA: string;
  partyB: string;
  idB: string;
  score: number;
}

/** One review-file row as written. */
export function reviewRow(p: ReviewPair): string[] {
  return [p.partyA, p.idA, p.partyB, p.idB, formatScore(p.score)];
}

/** Read a review file (strict: exact header, no empty cell, score in [0, 1]). */
export async function readReviewFile(path: string): Promise<ReviewPair[]> {
  const t = await openCsv(path);
  if (t.header.length !== REVIEW_HEADER.length || REVIEW_HEADER.some((c, k) => t.header[k] !== c)) {
    throw new P20Error('REVIEW_HEADER', `header must be ${REVIEW_HEADER.join(',')}`, { file: path, line: 1 });
  }
  const out: ReviewPair[] = [];
  for await (const batch of t.batches) {
    for (const r of batch) {
      const f = r.fields;
      REVIEW_HEADER.forEach((c, k) => {
        if (f[k] === '') throw new P20Error('REVIEW_ROW', 'value is empty', { file: path, line: r.line, field: c });
      });
      out.push({ partyA: f[0]!, idA: f[1]!, partyB: f[2]!, idB: f[3]!, score: parseScore(f[4]!, path, r.line, 'REVIEW_ROW')! });
    }
  }
  return out;
}
