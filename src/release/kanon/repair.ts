/**
 * Repair a record file so it meets k (and l): generalize quasi-identifiers
 * along their hierarchies, then suppress what is still too small, within a
 * limit. Two passes over the input (aggregate, then rewrite); the output goes
 * to a temp file beside the target, is re-checked from disk, and is renamed
 * into place only if the re-check passes. Never writes over its input.
 */
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { P20Error } from '../../errors.js';
import { type CsvDialect, csvLine, openCsv, readCsvDialect } from '../../io/csv.js';
import { tempPathFor } from '../../io/atomic-file.js';
import { silentProgress, type Progress } from '../../io/progress.js';
import { Aggregate } from './aggregate.js';
import { ClassAccumulator, resolveColumns } from './classes.js';
import { assertInputFile, assertNotEmpty, kcheckFile, kcheckRows, prepareRows, type KSettingsLike } from './kcheck.js';
import { informationLoss, rowRewriter, searchRepair } from './plan.js';
import { resolveSettings } from './spec.js';
import type { KSettings, KSettingsInput, RepairResult } from './types.js';

export interface RepairFileOptions extends KSettingsInput {
  input: string;
  /** Where the repaired CSV goes; refused when it is the input. */
  output: string;
  settings?: KSettings;
  progress?: Progress;
  /** How the input CSV is written (KCheckFileOptions.csv); the repaired copy is written comma-separated, UTF-8. */
  csv?: CsvDialect;
}

/** Refuse an output that is (or links to) the input file. */
export async function assertNotInput(input: string, output: string): Promise<void> {
  const refuse = (): never => {
    throw new P20Error('KCHECK_OVERWRITE', 'refusing to write the repaired file over its input; name another output file', { file: output });
  };
  if (resolve(input) === resolve(output)) refuse();
  let a;
  let b;
  try {
    a = await stat(input);
    b = await stat(output);
  } catch {
    return; // output does not exist yet (input errors surface when it is opened)
  }
  if (a.dev === b.dev && a.ino === b.ino) refuse();
}

/** Repair a CSV file into `output`. */
export async function repairFile(opts: RepairFileOptions): Promise<RepairResult> {
  const start = performance.now();
  const settings = opts.settings ?? (await resolveSettings(opts));
  const progress = opts.progress ?? silentProgress;
  await assertNotInput(opts.input, opts.output);
  await assertInputFile(opts.input);
  const csv = readCsvDialect(opts.csv);

  // Pass 1: the check of the input, and the distinct tuples.
  const t1 = await openCsv(opts.input, { file: opts.input, ...csv, batchSize: 4096 });
  const { qiIdx, sensIdx } = resolveColumns(t1.header, settings, opts.input, csv);
  const acc = new ClassAccumulator(settings, qiIdx, sensIdx, opts.input);
  const agg = new Aggregate(settings, qiIdx, sensIdx, opts.input);
  for await (const batch of t1.batches) {
    for (const r of batch) {
      acc.addKeyed(agg.add(r.fields, r.line), r.fields);
    }
    progress.update(agg.rows);
  }
  assertNotEmpty(agg.rows, opts.input);
  const before = acc.result(opts.input, (performance.now() - start) / 1000);

  const { plan, steps, strategyUsed, latticeSize, evaluated } = searchRepair(agg);
  const loss = informationLoss(agg, plan);
  const base = {
    input: opts.input,
    output: opts.output,
    strategy: settings.strategy,
    strategyUsed,
    latticeSize,
    evaluated,
    suppression: settings.suppression,
    before,
    loss,
    steps,
  };
  if (!plan.valid) {
    progress.finish();
    return { ...base, written: false, after: null, reason: plan.reason, seconds: (performance.now() - start) / 1000 };
  }

  // Pass 2: rewrite into a temp file beside the output.
  const temp = tempPathFor(opts.output);
  const rewrite = rowRewriter(agg, plan);
  let committed = false;
  try {
    // 0600: the repaired file is still student-level data; the user widens access deliberately.
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    let writeError: Error | undefined;
    out.on('error', (e) => {
      writeError = e;
    });
    const write = async (s: string): Promise<void> => {
      if (writeError) throw writeError;
      if (!out.write(s)) {
        await new Promise<void>((res) => {
          const done = (): void => {
            out.off('drain', done);
            out.off('error', done);
            res();
          };
          out.on('drain', done);
          out.on('error', done);
        });
        if (writeError) throw writeError;
      }
    };
    const t2 = await openCsv(opts.input, { file: opts.input, ...csv, batchSize: 4096 });
    if (t2.header.join('\u0000') !== t1.header.join('\u0000')) {
      throw new P20Error('KCHECK_CHANGED', 'the input changed while it was being repaired (header differs)', { file: opts.input, line: 1 });
    }
    await write(csvLine(t2.header));
    let n = 0;
    for await (const batch of t2.batches) {
      let chunk = '';
      for (const r of batch) {
        const row = rewrite(r.fields, r.line);
        if (row !== null) chunk += csvLine(row);
        n++;
      }
      await write(chunk);
      progress.update(n);
    }
    if (n !== agg.rows) {
      throw new P20Error('KCHECK_CHANGED', `the input changed while it was being repaired (${agg.rows} rows, then ${n})`, { file: opts.input });
    }
    out.end();
    await finished(out);
    const fh = await open(temp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Re-check what is on disk, with the same settings.
    const after = await kcheckFile({ input: temp, settings, allowEmpty: true });
    after.input = opts.output;
    if (!after.passed) {
      return {
        ...base,
        written: false,
        after,
        reason: `the re-check of the repaired file failed: ${after.failures.join('; ')}`,
        seconds: (performance.now() - start) / 1000,
      };
    }
    await rename(temp, opts.output);
    committed = true;
    return { ...base, written: true, after, seconds: (performance.now() - start) / 1000 };
  } finally {
    progress.finish();
    if (!committed) await rm(temp, { force: true });
  }
}

export interface RepairRowsResult extends RepairResult {
  /** The repaired rows (empty when no valid repair exists). */
  rows: string[][];
}

/** Repair rows held in memory (tests). Same plan as repairFile on the same data. */
export function repairRows(header: readonly string[], rows: readonly (readonly string[])[], settingsLike: KSettingsLike, name = '<rows>'): RepairRowsResult {
  const start = performance.now();
  const { settings, qiIdx, sensIdx } = prepareRows(header, rows, settingsLike, name);
  const agg = new Aggregate(settings, qiIdx, sensIdx, name);
  rows.forEach((r, i) => agg.add(r, i + 2));
  const before = kcheckRows(header, rows, settings, name);
  const { plan, steps, strategyUsed, latticeSize, evaluated } = searchRepair(agg);
  const loss = informationLoss(agg, plan);
  const base = { input: name, output: '<memory>', strategy: settings.strategy, strategyUsed, latticeSize, evaluated, suppression: settings.suppression, before, loss, steps };
  if (!plan.valid) return { ...base, written: false, after: null, reason: plan.reason, rows: [], seconds: (performance.now() - start) / 1000 };
  const rewrite = rowRewriter(agg, plan);
  const out: string[][] = [];
  rows.forEach((r, i) => {
    const o = rewrite(r, i + 2);
    if (o !== null) out.push(o);
  });
  const after = kcheckRows(header, out, settings, '<memory>', { allowEmpty: true });
  return {
    ...base,
    written: after.passed,
    after,
    reason: after.passed ? undefined : `the re-check of the repaired rows failed: ${after.failures.join('; ')}`,
    rows: after.passed ? out : [],
    seconds: (performance.now() - start) / 1000,
  };
}
