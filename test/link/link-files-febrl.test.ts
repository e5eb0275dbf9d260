import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { febrlEntity, runFebrlDefaultEval, runFebrlEval } from '../../bench/eval-febrl.js';

const schema = resolve(process.cwd(), 'protocols/schemas/febrl.json');
const data = resolve(process.cwd(), '../shared/data/febrl/dataset4a.csv');

describe('FEBRL 4 evaluation (encode -> link)', () => {
  it('maps FEBRL record ids to entities', () => {
    expect(febrlEntity('rec-1070-org')).toBe('1070');
    expect(febrlEntity('rec-1070-dup-0')).toBe('1070');
    expect(() => febrlEntity('x-1')).toThrow();
  });

  it.skipIf(!existsSync(schema) || !existsSync(data))('links dataset4a with dataset4b at F1 >= 0.99', async () => {
    const r = await runFebrlEval();
    expect(r.truePairs).toBe(5000);
    expect(r.f1).toBeGreaterThanOrEqual(0.99);
    expect(r.report.counts.records).toBe(10000);
  }, 180_000);

  // data the project did not generate, read as a P-20W user reads it (names, birth date, postcode); session 46: 0.9987 / 0.9188
  it.skipIf(!existsSync(data))('links the same pairs through the default schema with the match model: precision >= 0.99, recall >= 0.9', async () => {
    const r = await runFebrlDefaultEval();
    expect(r.precision).toBeGreaterThanOrEqual(0.99);
    expect(r.recall).toBeGreaterThanOrEqual(0.9);
    expect(r.candidateRecall).toBeGreaterThanOrEqual(r.recall);
  }, 180_000);
});
