/**
 * The two reports as library calls (the CLI in cli/commands/report.ts is a
 * thin layer over these): read the inputs, compute, optionally write the HTML
 * page (and the wrong-pairs CSV) atomically, and return the result with its
 * terminal summary.
 */
import { writeFileAtomic } from '../io/atomic-file.js';
import type { CsvDialect } from '../io/csv.js';
import { computeBias, parseGroupSpecs, type BiasResult } from './bias.js';
import { readRunReportForQuality } from './histogram.js';
import { writeHtml } from './html.js';
import { readLinksDir, readTrouble } from './links-file.js';
import { readLinksFile, type LinksFile } from '../format/links.js';
import { readTruth } from '../format/truth.js';
import { computeQuality, type QualityResult } from './quality.js';
import { biasHtml, biasText } from './render-bias.js';
import { modelText, qualityHtml, qualityText, wrongPairsCsv } from './render-quality.js';
import { expectedVsMeasured, type ExpectedVsMeasured, type ModelSection } from './model.js';
import { REPORT_FILE } from '../format/run-report.js';
import { P20Error } from '../errors.js';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export { computeQuality, computeBias, parseGroupSpecs };
export type { QualityResult, BiasResult, ModelSection, ExpectedVsMeasured };

export interface QualityReportOptions {
  linksDir: string;
  /**
   * Ground truth (entity_id,party,record_id). Without it, the report is the
   * match model's own estimate from the run report's model section (an
   * error when the run report has none).
   */
  truthFile?: string;
  /** The run report; default: the run-report.json of `linksDir` when there is one. */
  runReport?: string;
  threshold?: number;
  html?: string;
  wrongPairs?: string;
  /** Synthetic data only: the generator's trouble.csv, for a breakdown of misses by kind of trouble. */
  troubleFile?: string;
}

export interface QualityReport<Q extends QualityResult | undefined = QualityResult | undefined> {
  /** Measured against the truth sample (undefined without one). */
  result: Q;
  /** The run report's match-model sections (empty when the run had no model). */
  model: ModelSection[];
  /** Expected (model) beside measured (truth), per model section; empty without either. */
  expectedVsMeasured: ExpectedVsMeasured[];
  text: string;
}

/** The run report of a links directory (or the links path itself when it is a .json file), when there is one. */
async function defaultRunReport(linksDir: string): Promise<string | undefined> {
  const candidate = /\.json$/i.test(linksDir) ? linksDir : join(linksDir, REPORT_FILE);
  try {
    return (await stat(candidate)).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

export async function runQualityReport(o: QualityReportOptions & { truthFile: string }): Promise<QualityReport<QualityResult>>;
export async function runQualityReport(o: QualityReportOptions): Promise<QualityReport>;
export async function runQualityReport(o: QualityReportOptions): Promise<QualityReport> {
  const runReportPath = o.runReport ?? (await defaultRunReport(o.linksDir));
  const run = runReportPath !== undefined ? await readRunReportForQuality(runReportPath) : undefined;
  const model = run?.model ?? [];
  if (o.truthFile === undefined && model.length === 0) {
    throw new P20Error(
      'REPORT_RUN',
      runReportPath === undefined
        ? 'nothing to report: no truth file, and no run report with the match model\'s section'
        : 'nothing to report: no truth file, and the run report has no model section (the run did not link with the match model)',
      { file: runReportPath ?? o.linksDir },
      { hint: { id: 'paren-option', option: 'truth' } },
    );
  }
  let result: QualityResult | undefined;
  let evm: ExpectedVsMeasured[] = [];
  if (o.truthFile !== undefined) {
    // the links files are read for the truth's pairs only: the model section is the run report's (an increment of one file has one links file)
    const links = await readLinksDir(o.linksDir);
    const truth = await readTruth(o.truthFile);
    const trouble = o.troubleFile !== undefined ? await readTrouble(o.troubleFile) : undefined;
    // with the match model the links files' scores are its probabilities: count linked pairs in its bands too
    const fs = run?.histogram?.axis === 'match probability' && model.length === 1;
    result = computeQuality(links, truth, {
      ...(run?.histogram ? { histogram: run.histogram } : {}),
      ...(fs ? { scoreBands: model[0]!.summary.bands } : {}),
      ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
      ...(trouble ? { trouble } : {}),
    });
    evm = expectedVsMeasured(model, result);
  }
  if (o.html !== undefined) {
    const generated = `Links: ${o.linksDir}; ${o.truthFile !== undefined ? `truth: ${o.truthFile}` : 'no ground truth'}${runReportPath !== undefined ? `; run report: ${runReportPath}` : ''}`;
    await writeHtml(o.html, qualityHtml(result, { generated, model, expectedVsMeasured: evm }));
  }
  if (o.wrongPairs !== undefined && result) await writeFileAtomic(o.wrongPairs, wrongPairsCsv(result.wrong));
  const text = [model.length > 0 ? modelText(model, evm) : '', result ? qualityText(result) : ''].filter((t) => t !== '').join('\n');
  return { result, model, expectedVsMeasured: evm, text };
}

export interface BiasReportOptions {
  /**
   * The party's links file; or the run's output directory (or its
   * run-report.json) with `party` naming the party — then, with a truth
   * file, recall counts only links to a true counterpart.
   */
  linksFile: string;
  dataFile: string;
  /** Record id column of a CSV extract (not used with an encoded file). */
  idColumn?: string;
  /** How the CSV extract is written (BiasOptions.csv). */
  csv?: CsvDialect;
  by: string | string[];
  margin?: number;
  minGroupSize?: number;
  /** Flag a dimension's largest gap between two groups above this (default 0.015: 1.5 points). */
  maxGap?: number;
  asOf?: string;
  /** How the extract writes the birth dates of age bands (BiasOptions.dateLayouts). */
  dateLayouts?: string[];
  html?: string;
  /** Party name (default: from the links file name; required with a links directory). */
  party?: string;
  /** Evaluation only: ground truth CSV, to show each group's true rate and recall beside its link rate. */
  truthFile?: string;
}

/** The party's links file and, when a run directory was given, the other parties' links files. */
async function biasLinks(o: BiasReportOptions): Promise<{ links: LinksFile; others?: LinksFile[] }> {
  let dir = false;
  try {
    dir = (await stat(o.linksFile)).isDirectory();
  } catch {
    // readLinksFile says what is wrong with the path
  }
  if (!dir && !/\.json$/i.test(o.linksFile)) return { links: await readLinksFile(o.linksFile, ...(o.party !== undefined ? [o.party] : [])) };
  const all = await readLinksDir(o.linksFile);
  const names = all.map((l) => l.party).join(', ');
  if (o.party === undefined) {
    throw new P20Error('BIAS_ARGS', `holds the links files of several parties (${names}): name the party to report on`, { file: o.linksFile }, { hint: { id: 'paren-option', option: 'party' } });
  }
  const links = all.find((l) => l.party === o.party);
  if (!links) throw new P20Error('BIAS_ARGS', `has no links file of party ${JSON.stringify(o.party)} (it has: ${names})`, { file: o.linksFile, field: 'party' });
  return { links, others: all.filter((l) => l !== links) };
}

export async function runBiasReport(o: BiasReportOptions): Promise<{ result: BiasResult; text: string }> {
  const { links, others } = await biasLinks(o);
  const result = await computeBias({
    links,
    dataFile: o.dataFile,
    ...(o.idColumn !== undefined ? { idColumn: o.idColumn } : {}),
    ...(o.csv !== undefined ? { csv: o.csv } : {}),
    by: parseGroupSpecs(o.by),
    ...(o.margin !== undefined ? { margin: o.margin } : {}),
    ...(o.minGroupSize !== undefined ? { minGroupSize: o.minGroupSize } : {}),
    ...(o.maxGap !== undefined ? { maxGap: o.maxGap } : {}),
    ...(o.asOf !== undefined ? { asOf: o.asOf } : {}),
    ...(o.dateLayouts !== undefined ? { dateLayouts: o.dateLayouts } : {}),
    ...(o.truthFile !== undefined ? { truth: await readTruth(o.truthFile) } : {}),
    ...(others ? { otherLinks: others } : {}),
  });
  if (o.html !== undefined) await writeHtml(o.html, biasHtml(result));
  return { result, text: biasText(result) };
}
