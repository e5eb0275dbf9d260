/**
 * `npm run eval:febrl`: the FEBRL 4 benchmark end to end through the real
 * pipeline — encode ../shared/data/febrl/dataset4a.csv and dataset4b.csv
 * with protocols/schemas/febrl.json (fixed test secret: the data are
 * synthetic), link the two encoded files with linkFiles, and compare with
 * the truth (rec-N-org and rec-N-dup-K are the same person).
 *
 * Blocking defaults to the schema's link hints (keys and LSH).
 *
 *   node dist/bench/eval-febrl.js [--blocking SPEC] [--threshold T] [--keep DIR]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFile, prepareEncode } from '../src/encode/index.js';
import { parseBlockingSpec } from '../src/link/blocking/config.js';
import { linkFiles } from '../src/link/link-files.js';
import type { LinkRunReport } from '../src/format/run-report.js';

/** A fixed secret for the synthetic benchmark only. Never use a known secret on real data. */
export const FEBRL_TEST_SECRET = new TextEncoder().encode('p20link FEBRL evaluation secret (synthetic data only)');

export interface FebrlEvalOptions {
  root?: string;
  schema?: string;
  /** Blocking spec; default: the schema's p20link.link.blocking keys joined with LSH, or LSH alone. */
  blocking?: string;
  threshold?: number;
  workDir?: string;
  workers?: number;
}

export interface FebrlEvalResult {
  precision: number;
  recall: number;
  f1: number;
  truePairs: number;
  linkedPairs: number;
  correctPairs: number;
  blockingRecall: number;
  threshold: number;
  blocking: string;
  encodeSeconds: number;
  linkSeconds: number;
  report: LinkRunReport;
}

/** Entity of a FEBRL record id: rec-N-org and rec-N-dup-K both give N. */
export function febrlEntity(recId: string): string {
  const m = /^rec-(\d+)-(?:org|dup-\d+)$/.exec(recId.trim());
  if (!m) throw new Error(`not a FEBRL record id: ${recId}`);
  return m[1]!;
}

function recIds(csvPath: string): string[] {
  const lines = readFileSync(csvPath, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.slice(1).map((l) => l.split(',')[0]!.trim());
}

export async function runFebrlEval(o: FebrlEvalOptions = {}): Promise<FebrlEvalResult> {
  const root = o.root ?? process.cwd();
  const schema = o.schema ?? join(root, 'protocols/schemas/febrl.json');
  const dataA = resolve(root, '../shared/data/febrl/dataset4a.csv');
  const dataB = resolve(root, '../shared/data/febrl/dataset4b.csv');
  const work = o.workDir ?? mkdtempSync(join(tmpdir(), 'p20-febrl-'));
  if (o.workDir) mkdirSync(work, { recursive: true });
  try {
    const { ext } = await prepareEncode(schema);
    const threshold = o.threshold ?? ext.link?.threshold ?? 0.8;
    const keyParts = (ext.link?.blocking ?? []).map((k) => `keys:${k}`);
    const lsh = ext.link?.lsh === false ? [] : [ext.link?.lsh ?? 'lsh'];
    const spec = o.blocking ?? [...keyParts, ...lsh].join('+');
    const t0 = performance.now();
    const encA = join(work, 'febrl4a.enc');
    const encB = join(work, 'febrl4b.enc');
    await encodeFile({ input: dataA, output: encA, schema, secret: FEBRL_TEST_SECRET, party: 'febrl4a' });
    await encodeFile({ input: dataB, output: encB, schema, secret: FEBRL_TEST_SECRET, party: 'febrl4b' });
    const t1 = performance.now();
    const truth = join(work, 'truth.csv');
    const rows = ['entity_id,party,record_id'];
    for (const id of recIds(dataA)) rows.push(`${febrlEntity(id)},febrl4a,${id}`);
    for (const id of recIds(dataB)) rows.push(`${febrlEntity(id)},febrl4b,${id}`);
    writeFileSync(truth, rows.join('\n') + '\n');
    const report = await linkFiles({
      inputs: [{ file: encA }, { file: encB }],
      outDir: join(work, 'out'),
      threshold,
      blocking: parseBlockingSpec(spec),
      truth,
      ...(o.workers ? { workers: o.workers } : {}),
    });
    const t2 = performance.now();
    const q = report.truth!;
    return {
      precision: q.precision,
      recall: q.recall,
      f1: q.f1,
      truePairs: q.truePairs,
      linkedPairs: q.linkedPairs,
      correctPairs: q.correctPairs,
      blockingRecall: q.blockingRecall,
      threshold,
      blocking: report.parameters.blocking,
      encodeSeconds: (t1 - t0) / 1000,
      linkSeconds: (t2 - t1) / 1000,
      report,
    };
  } finally {
    if (!o.workDir) rmSync(work, { recursive: true, force: true });
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const t = arg('--threshold');
  const r = await runFebrlEval({
    ...(arg('--blocking') ? { blocking: arg('--blocking')! } : {}),
    ...(t ? { threshold: Number(t) } : {}),
    ...(arg('--keep') ? { workDir: arg('--keep')! } : {}),
  });
  const c = r.report.counts;
  const lines = [
    'FEBRL dataset4a x dataset4b (5,000 x 5,000 records, 5,000 true pairs), encode -> link',
    `  schema protocols/schemas/febrl.json, threshold ${r.threshold}, blocking ${r.blocking}`,
    `  candidate pairs ${c.candidates}, compared ${c.compared}, blocking kept ${(r.blockingRecall * 100).toFixed(2)}% of true pairs`,
    `  linked pairs ${r.linkedPairs}, correct ${r.correctPairs}, true pairs ${r.truePairs}`,
    `  precision ${r.precision.toFixed(4)}  recall ${r.recall.toFixed(4)}  F1 ${r.f1.toFixed(4)}  (target F1 >= 0.99: ${r.f1 >= 0.99 ? 'met' : 'NOT met'})`,
    `  encode ${r.encodeSeconds.toFixed(1)} s (both files), link ${r.linkSeconds.toFixed(1)} s`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (r.f1 < 0.99) process.exitCode = 1;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
