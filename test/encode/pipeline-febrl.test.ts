import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { encodeFile } from '../../src/encode/pipeline.js';
import { prepareEncode } from '../../src/encode/pipeline.js';
import { openEncoded, type EncodedRow } from '../../src/format/encoded-file.js';
import { collectBatches } from '../helpers/batches.js';
import { fileTempDir } from '../helpers/tmp.js';

/**
 * The clkhash-compatible FEBRL schema (protocols/compat/febrl-clkhash.json;
 * the shipped, hardened febrl.json is checked by test/link/link-files-febrl.test.ts)
 * meets its stated accuracy on dataset4a × dataset4b
 * through the whole encode pipeline: candidate pairs from its keyed blocking
 * values (link.blocking), Dice ≥ link.threshold, greedy one-to-one, F1 ≥ 0.99
 * against the truth rule rec-N-org ↔ rec-N-dup-k.
 */
const FEBRL = resolve(process.cwd(), '../shared/data/febrl');
const SCHEMA = resolve(process.cwd(), 'protocols/compat/febrl-clkhash.json');

const dir = fileTempDir('p20link-febrl-');

async function encodeParty(name: string, secret: Uint8Array): Promise<EncodedRow[]> {
  const output = join(dir, `${name}.enc`);
  const s = await encodeFile({ input: join(FEBRL, `${name}.csv`), output, schema: SCHEMA, secret, party: name, workers: 0, allowUnhardened: true });
  expect(s).toMatchObject({ read: 5000, encoded: 5000, rejected: 0 });
  return collectBatches((await openEncoded(output)).batches);
}

function popcount(a: Uint8Array): number {
  let c = 0;
  for (const x of a) {
    let v = x - ((x >> 1) & 0x55);
    v = (v & 0x33) + ((v >> 2) & 0x33);
    c += (v + (v >> 4)) & 0x0f;
  }
  return c;
}

function dice(a: Uint8Array, b: Uint8Array, pa: number, pb: number): number {
  let c = 0;
  for (let k = 0; k < a.length; k++) {
    let v = a[k]! & b[k]!;
    v = v - ((v >> 1) & 0x55);
    v = (v & 0x33) + ((v >> 2) & 0x33);
    c += (v + (v >> 4)) & 0x0f;
  }
  return (2 * c) / (pa + pb);
}

describe('protocols/compat/febrl-clkhash.json on FEBRL dataset4a × dataset4b', () => {
  it('links with F1 ≥ 0.99 at its own link.threshold using its own blocking keys', async () => {
    const { ext } = await prepareEncode(SCHEMA);
    const threshold = ext.link!.threshold!;
    const keys = ext.link!.blocking!;
    const secret = new TextEncoder().encode('febrl test secret, 0123456789abcdef');
    const A = await encodeParty('dataset4a', secret);
    const B = await encodeParty('dataset4b', secret);
    const pa = A.map((r) => popcount(r.clk));
    const pb = B.map((r) => popcount(r.clk));
    // candidate pairs: agree on any blocking key (never on a missing "" value)
    const seen = new Set<number>();
    const pairs: [number, number, number][] = [];
    for (const key of keys) {
      const index = new Map<string, number[]>();
      A.forEach((r, i) => {
        const v = r.blocks[key]!;
        if (v === '') return;
        const l = index.get(v);
        if (l) l.push(i);
        else index.set(v, [i]);
      });
      B.forEach((r, j) => {
        const v = r.blocks[key]!;
        if (v === '') return;
        for (const i of index.get(v) ?? []) {
          const id = i * B.length + j;
          if (seen.has(id)) continue;
          seen.add(id);
          const d = dice(A[i]!.clk, r.clk, pa[i]!, pb[j]!);
          if (d >= threshold) pairs.push([d, i, j]);
        }
      });
    }
    expect(seen.size).toBeLessThan(0.05 * A.length * B.length); // blocking keeps it to a few % of all pairs
    pairs.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
    const usedA = new Set<number>();
    const usedB = new Set<number>();
    let tp = 0;
    let fp = 0;
    const entity = (id: string) => /^rec-(\d+)-/.exec(id)![1];
    for (const [, i, j] of pairs) {
      if (usedA.has(i) || usedB.has(j)) continue;
      usedA.add(i);
      usedB.add(j);
      if (entity(A[i]!.id) === entity(B[j]!.id)) tp++;
      else fp++;
    }
    const precision = tp / (tp + fp);
    const recall = tp / 5000;
    const f1 = (2 * precision * recall) / (precision + recall);
    expect(f1).toBeGreaterThanOrEqual(0.99);
  });
});
