/**
 * The two reports as library calls (the CLI in cli/commands/report.ts is a
 * thin layer over these): read the inputs, compute, optionally write the HTML
 * page (and the wrong-pairs CSV) atomically, and return the result with its
 * terminal summary.
 */
import { writeFileAtomic } from '../io/atomic-file.js';
import { computeBias, parseGroupSpecs, type BiasResult } from './bias.js';
import { readRunReportHistogram } from './histogram.js';
import { writeHtml } from './html.js';
import { readLinksDir, readTrouble } from './links-file.js';
import { readLinksFile } from '../format/links.js';
import { readTruth } from '../format/truth.js';
import { computeQuality, type QualityResult } from './quality.js';
import { biasHtml, biasText } from './render-bias.js';
import { qualityHtml, qualityText, wrongPairsCsv } from './render-quality.js';

export { computeQuality, computeBias, parseGroupSpecs };
export type { QualityResult, BiasResult };

export interface QualityReportOptions {
  linksDir: string;
  truthFile: string;
  runReport?: string;
  threshold?: number;
  html?: string;
  wrongPairs?: string;
  /** Synthetic data only: the generator's trouble.csv, for a breakdown of misses by kind of trouble. */
  troubleFile?: string;
}

export async function runQualityReport(o: QualityReportOptions): Promise<{ result: QualityResult; text: string }> {
  const links = await readLinksDir(o.linksDir);
  const truth = await readTruth(o.truthFile);
  const histogram = o.runReport !== undefined ? await readRunReportHistogram(o.runReport) : undefined;
  const trouble = o.troubleFile !== undefined ? await readTrouble(o.troubleFile) : undefined;
  const result = computeQuality(links, truth, {
    ...(histogram ? { histogram } : {}),
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    ...(trouble ? { trouble } : {}),
  });
  if (o.html !== undefined) await writeHtml(o.html, qualityHtml(result, { generated: `Links: ${o.linksDir}; truth: ${o.truthFile}` }));
  if (o.wrongPairs !== undefined) await writeFileAtomic(o.wrongPairs, wrongPairsCsv(result.wrong));
  return { result, text: qualityText(result) };
}

export interface BiasReportOptions {
  linksFile: string;
  dataFile: string;
  idColumn: string;
  by: string | string[];
  margin?: number;
  minGroupSize?: number;
  asOf?: string;
  html?: string;
  /** Party name (default: from the links file name). */
  party?: string;
  /** Evaluation only: ground truth CSV, to show each group's true rate beside its link rate. */
  truthFile?: string;
}

export async function runBiasReport(o: BiasReportOptions): Promise<{ result: BiasResult; text: string }> {
  const links = await readLinksFile(o.linksFile, ...(o.party !== undefined ? [o.party] : []));
  const result = await computeBias({
    links,
    dataFile: o.dataFile,
    idColumn: o.idColumn,
    by: parseGroupSpecs(o.by),
    ...(o.margin !== undefined ? { margin: o.margin } : {}),
    ...(o.minGroupSize !== undefined ? { minGroupSize: o.minGroupSize } : {}),
    ...(o.asOf !== undefined ? { asOf: o.asOf } : {}),
    ...(o.truthFile !== undefined ? { truth: await readTruth(o.truthFile) } : {}),
  });
  if (o.html !== undefined) await writeHtml(o.html, biasHtml(result));
  return { result, text: biasText(result) };
}
