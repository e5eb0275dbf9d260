/**
 * The attack harness as a library call (`p20link assess` is a thin layer
 * over it). See docs/attacks.md for each attack and its source.
 */
import { P20Error } from '../errors.js';
import { prepareEncode } from '../encode/pipeline.js';
import { openEncoded } from '../format/encoded-file.js';
import { schemaFingerprint } from '../schema/linkage-schema.js';
import type { LinkageSchema } from '../schema/types.js';
import type { P20linkExtension } from '../schema/extension.js';
import { evidenceAttackInput, type EvidenceColumn } from './evidence.js';
import { blockingFrequencyAttack, clusterFrequencyAttack, defaultClusterKeys, encodingFrequencyAttack } from './frequency.js';
import { graphMatchingAttack } from './graph-matching.js';
import { patternMiningAttack } from './pattern-mining.js';
import { boundViolations, frequencyBaseline, scoreAttack, type AttackScore, type Baseline } from './score.js';
import { DEFAULT_TARGETS, type Attack, type AttackInput, type AttackLimits, type PlainRecord, type Targets } from './types.js';

export * from './types.js';
export { readPlainCsv, plainNormalizers, normalizePlain, birthYear } from './reference.js';
export { scoreAttack, frequencyBaseline, boundViolations, BOUND, type AttackScore, type Baseline, type Rate } from './score.js';
export { patternMiningAttack, encodingFrequencyAttack, blockingFrequencyAttack, graphMatchingAttack, clusterFrequencyAttack, defaultClusterKeys };
export { evidenceAttackInput, templateRecord, type EvidenceColumn } from './evidence.js';

/** Every attack; each runs on the CLK and on every evidence filter column (blocking values: the CLK's file only). */
export const ATTACKS: readonly Attack[] = [encodingFrequencyAttack, clusterFrequencyAttack, blockingFrequencyAttack, patternMiningAttack, graphMatchingAttack];
export const ASSESS_REPORT_FORMAT = 'p20link/assess-report';

export interface LoadedEncodings {
  l: number;
  ids: string[];
  clks: Uint8Array[];
  blocks: Record<string, string[]>;
  schemaFingerprint: string;
  /** Evidence filter columns (ev:<name>), in header order. */
  evidence?: EvidenceColumn[];
}

/** Read an encoded file into memory for the attacks. */
export async function loadEncodings(path: string): Promise<LoadedEncodings> {
  const r = await openEncoded(path);
  const blockNames = r.header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
  const blocks: Record<string, string[]> = Object.fromEntries(blockNames.map((b) => [b, [] as string[]]));
  const ids: string[] = [];
  const clks: Uint8Array[] = [];
  const evidence = (r.header.evidence ?? []).map((e) => ({ name: e.name, l: e.l, rows: [] as Uint8Array[] }));
  for await (const batch of r.batches) {
    for (const row of batch) {
      ids.push(row.id);
      clks.push(row.clk);
      for (const b of blockNames) blocks[b]!.push(row.blocks[b] ?? '');
      evidence.forEach((e, i) => e.rows.push(row.evidence![i]!));
    }
  }
  return { l: r.header.l, ids, clks, blocks, schemaFingerprint: r.header.schemaFingerprint, ...(evidence.length > 0 ? { evidence } : {}) };
}

export interface AssessOptions {
  schema: LinkageSchema | string;
  encodings: LoadedEncodings;
  reference: readonly PlainRecord[];
  /** The victims' true plaintext, aligned with encodings (scoring only; the attacks never see it). */
  truth?: readonly (PlainRecord | undefined)[];
  targets?: Targets;
  attacks?: readonly Attack[];
  seed?: number;
  limits?: Partial<AttackLimits>;
  /** Called after each attack (progress). */
  onAttack?: (name: string, seconds: number) => void;
}

export interface AssessReport {
  format: typeof ASSESS_REPORT_FORMAT;
  version: 1;
  schemaFingerprint: string;
  hardening: P20linkExtension['hardening'] | null;
  victims: number;
  referenceSize: number;
  /** Columns attacked: "clk" and every evidence filter ("ev:<name>"). */
  columns: string[];
  /** Victims with plaintext to score against (0 = no truth given: shares are not computed). */
  scored: number;
  baseline: Baseline | null;
  attacks: (AttackScore & { seconds: number; violations: string[] })[];
  worst: { firstLast: number; first: number; precisionAboveBaseline: boolean } | null;
  withinBound: boolean | null;
}

export async function assessEncodings(opts: AssessOptions): Promise<AssessReport> {
  const { schema, ext } = await prepareEncode(opts.schema);
  const fp = schemaFingerprint(schema);
  const enc = opts.encodings;
  if (enc.schemaFingerprint !== fp) {
    throw new P20Error('ASSESS_SCHEMA_MISMATCH', `the encoded file was made with another schema (fingerprint ${enc.schemaFingerprint}, schema has ${fp})`, { field: 'schema' });
  }
  if (opts.reference.length === 0) throw new P20Error('ASSESS_REFERENCE', 'the reference population is empty', { field: 'reference' });
  const targets = opts.targets ?? DEFAULT_TARGETS;
  const input: AttackInput = {
    schema,
    ext,
    l: enc.l,
    clks: enc.clks,
    blocks: enc.blocks,
    reference: opts.reference,
    targets,
    seed: opts.seed ?? 1,
    ...(opts.limits ? { limits: opts.limits } : {}),
  };
  // only victims with plaintext are scored
  const scoredIdx: number[] = [];
  if (opts.truth) opts.truth.forEach((t, i) => t !== undefined && scoredIdx.push(i));
  const truth = scoredIdx.map((i) => opts.truth![i]!);
  const baseline = truth.length > 0 ? frequencyBaseline(opts.reference, truth, targets) : null;
  const attacks: AssessReport['attacks'] = [];
  // the CLK, then every evidence filter column
  const inputs: AttackInput[] = [{ ...input, column: 'clk' }];
  for (const col of enc.evidence ?? []) {
    const ev = evidenceAttackInput(input, ext, col);
    if (ev) inputs.push(ev);
  }
  for (const inp of inputs) {
    for (const a of opts.attacks ?? ATTACKS) {
      if (inp.column !== 'clk' && a.name === 'frequency-blocking') continue;
      const t0 = Date.now();
      const results = a.run(inp);
      const secs = (Date.now() - t0) / 1000;
      opts.onAttack?.(inp.column === 'clk' ? a.name : `${a.name} ${inp.column}`, secs);
      for (const r of results) {
        // the report names the column of every attack on an evidence filter
        const detail = inp.column === 'clk' || r.detail?.startsWith(inp.column!) ? r.detail : [inp.column, r.detail].filter((x) => x).join(' ');
        const sub = { ...r, ...(detail !== undefined ? { detail } : {}), guesses: scoredIdx.map((i) => r.guesses[i]) };
        const s = scoreAttack(sub, truth, targets);
        attacks.push({ ...s, seconds: secs, violations: baseline ? boundViolations(s, baseline) : [] });
      }
    }
  }
  const worst = baseline
    ? {
        firstLast: Math.max(0, ...attacks.map((a) => a.both.share)),
        first: Math.max(0, ...attacks.map((a) => a.first.share)),
        precisionAboveBaseline: attacks.some((a) => a.violations.some((v) => v.startsWith('attacker precision'))),
      }
    : null;
  return {
    format: ASSESS_REPORT_FORMAT,
    version: 1,
    schemaFingerprint: fp,
    hardening: ext.hardening ?? null,
    victims: enc.clks.length,
    referenceSize: opts.reference.length,
    columns: inputs.map((i) => i.column!),
    scored: truth.length,
    baseline,
    attacks,
    worst,
    withinBound: baseline ? attacks.every((a) => a.violations.length === 0) : null,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const prec = (x: number | null) => (x === null ? '–' : x.toFixed(3));

/** Plain-text table of a report. */
export function formatAssessReport(r: AssessReport): string {
  const lines: string[] = [];
  lines.push(`p20link assess: ${r.victims} encodings, reference of ${r.referenceSize} people, ${r.scored} victims scored; hardening: ${r.hardening ? JSON.stringify(r.hardening) : 'none (clkhash-compatible)'}`);
  if (r.baseline) {
    lines.push(`frequency-guess baseline: first ${pct(r.baseline.first)}, last ${pct(r.baseline.last)}, both ${pct(r.baseline.both)}, birth year ${pct(r.baseline.year)}`);
  }
  lines.push('attack                          first     last      first+last  year      precision  guessed');
  for (const a of r.attacks) {
    const name = (a.attack + (a.detail ? ` (${a.detail})` : '')).padEnd(32);
    lines.push(`${name}${pct(a.first.share).padEnd(10)}${pct(a.last.share).padEnd(10)}${pct(a.both.share).padEnd(12)}${pct(a.year.share).padEnd(10)}${prec(a.precision).padEnd(11)}${Math.max(a.first.guessed, a.last.guessed, a.year.guessed)}`);
    for (const v of a.violations) lines.push(`  ! ${v}`);
  }
  if (r.withinBound !== null) lines.push(r.withinBound ? 'within the bound (< 1% first + last, < 5% first, precision not above baseline)' : 'OUTSIDE the bound: these encodings leak names');
  return lines.join('\n');
}
