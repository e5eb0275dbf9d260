/**
 * Link-rate bias: does the chance that a record links depend on who the
 * person is? An agency (which may see its own demographics) joins its
 * record → linkage ID file with its extract and gets, per group of each
 * chosen dimension (race/ethnicity, sex, age band…), the share of records
 * that linked, a Wilson 95% interval, and a flag when the group's rate is
 * more than `margin` away from the overall rate. Groups with significantly
 * different rates (interval excluding the overall rate) are marked, and
 * small groups are noted (their rates are unstable either way).
 *
 * A record counts as linked when the links file lists it with a linkage ID
 * and — if the file has a score column — a score (the linker leaves the score
 * empty for records that matched nobody). Records of the extract missing from
 * the links file count as not linked.
 */
import { P20Error } from '../errors.js';
import { openCsv } from '../io/csv.js';
import { ageBand, ageBandOrder, ageOn, parseDate, type Ymd } from './age.js';
import type { LinksFile } from '../format/links.js';
import type { TruthRecord } from '../format/truth.js';
import { wilson, type Interval } from './wilson.js';

export interface GroupSpec {
  /** Dimension label shown in the report. */
  name: string;
  /** Source column in the extract. */
  column: string;
  kind: 'column' | 'age_band';
}

/** Parse `race,sex,age_band:dob` into group specs. */
export function parseGroupSpecs(by: string | readonly string[]): GroupSpec[] {
  const parts = (typeof by === 'string' ? [by] : by).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new P20Error('BIAS_ARGS', 'name at least one column to group by', { field: 'by' });
  return parts.map((p) => {
    const m = /^age_band:(.+)$/.exec(p);
    if (m) return { name: 'age_band', column: m[1]!, kind: 'age_band' as const };
    const eq = /^([^=]+)=(.+)$/.exec(p);
    if (eq) return { name: eq[1]!, column: eq[2]!, kind: 'column' as const };
    return { name: p, column: p, kind: 'column' as const };
  });
}

export interface GroupRate {
  value: string;
  n: number;
  linked: number;
  rate: number;
  ci: Interval;
  /** rate - overall rate */
  diff: number;
  /** |diff| > margin */
  flagged: boolean;
  /** Wilson interval excludes the overall rate. */
  significant: boolean;
  /** n below the small-group size. */
  small: boolean;
  /** Evaluation only (with ground truth): records whose entity really is in another party's file. */
  truePresent?: number;
  /** truePresent / n: the link rate perfect linkage would give. */
  trueRate?: number;
}

export interface DimensionRates {
  spec: GroupSpec;
  groups: GroupRate[];
}

export interface BiasResult {
  party: string;
  dataFile: string;
  records: number;
  linked: number;
  overall: { rate: number; ci: Interval };
  margin: number;
  minGroupSize: number;
  asOf?: string;
  dimensions: DimensionRates[];
  /** Records of the links file not found in the extract. */
  linksNotInData: number;
  /** Number of flagged groups over all dimensions. */
  flaggedCount: number;
}

export interface BiasOptions {
  links: LinksFile;
  dataFile: string;
  idColumn: string;
  by: GroupSpec[];
  /** Flag groups whose rate differs from the overall rate by more than this. Default 0.05. */
  margin?: number;
  /** Groups smaller than this are noted as small. Default 30. */
  minGroupSize?: number;
  /** Reference date for ages (YYYY-MM-DD). Default: today (UTC). */
  asOf?: string;
  /**
   * Evaluation only (synthetic data): the ground truth, so each group's link
   * rate can be set beside the rate perfect linkage would give (how many of
   * its records really have a counterpart in another party's file).
   */
  truth?: readonly TruthRecord[];
}

export function isLinked(links: LinksFile, id: string): boolean {
  const e = links.records.get(id);
  if (!e || e.linkageId === '') return false;
  return links.hasScore ? e.score !== undefined : true;
}

export async function computeBias(opts: BiasOptions): Promise<BiasResult> {
  const margin = opts.margin ?? 0.05;
  if (!(margin > 0 && margin < 1)) throw new P20Error('BIAS_ARGS', 'margin must be between 0 and 1', { field: 'margin' });
  const minGroupSize = opts.minGroupSize ?? 30;
  if (!Number.isInteger(minGroupSize) || minGroupSize < 1) throw new P20Error('BIAS_ARGS', 'min-group must be a whole number of at least 1', { field: 'min-group' });
  let asOf: Ymd;
  if (opts.asOf !== undefined) {
    const d = parseDate(opts.asOf);
    if (!d) throw new P20Error('BIAS_ARGS', `as-of date ${JSON.stringify(opts.asOf)} is not a date (YYYY-MM-DD)`, { field: 'as-of' });
    asOf = d;
  } else {
    const now = new Date();
    asOf = { y: now.getUTCFullYear(), m: now.getUTCMonth() + 1, d: now.getUTCDate() };
  }
  const t = await openCsv(opts.dataFile);
  const iId = t.header.indexOf(opts.idColumn);
  if (iId < 0) {
    throw new P20Error('BIAS_ARGS', `id column ${JSON.stringify(opts.idColumn)} is not in the header (${t.header.join(', ')})`, { file: opts.dataFile, line: 1, field: opts.idColumn });
  }
  const cols = opts.by.map((s) => {
    const i = t.header.indexOf(s.column);
    if (i < 0) throw new P20Error('BIAS_ARGS', `group column ${JSON.stringify(s.column)} is not in the header`, { file: opts.dataFile, line: 1, field: s.column });
    return i;
  });
  const counts = opts.by.map(() => new Map<string, { n: number; linked: number; present: number }>());
  // evaluation only: which of this party's records have a true counterpart in another party
  let hasCounterpart: Set<string> | undefined;
  if (opts.truth) {
    const parties = new Map<string, Set<string>>();
    for (const t of opts.truth) {
      let ps = parties.get(t.entity);
      if (!ps) parties.set(t.entity, (ps = new Set()));
      ps.add(t.party);
    }
    hasCounterpart = new Set();
    for (const t of opts.truth) if (t.party === opts.links.party && parties.get(t.entity)!.size > 1) hasCounterpart.add(t.id);
  }
  const seen = new Set<string>();
  let records = 0;
  let linked = 0;
  for await (const batch of t.batches) {
    for (const r of batch) {
      const id = r.fields[iId]!;
      if (seen.has(id)) throw new P20Error('BIAS_DATA', `duplicate record id ${JSON.stringify(id)}`, { file: opts.dataFile, line: r.line, field: opts.idColumn });
      seen.add(id);
      const l = isLinked(opts.links, id);
      records++;
      if (l) linked++;
      opts.by.forEach((spec, k) => {
        const raw = r.fields[cols[k]!]!.trim();
        let value: string;
        if (spec.kind === 'age_band') {
          const b = parseDate(raw);
          const a = b ? ageOn(b, asOf) : undefined;
          value = a === undefined ? '(unknown)' : ageBand(a);
        } else value = raw === '' ? '(blank)' : raw;
        const m = counts[k]!;
        let c = m.get(value);
        if (!c) m.set(value, (c = { n: 0, linked: 0, present: 0 }));
        c.n++;
        if (l) c.linked++;
        if (hasCounterpart?.has(id)) c.present++;
      });
    }
  }
  let linksNotInData = 0;
  for (const id of opts.links.records.keys()) if (!seen.has(id)) linksNotInData++;
  const overallRate = records === 0 ? 0 : linked / records;
  let flaggedCount = 0;
  const dimensions = opts.by.map((spec, k) => {
    const groups: GroupRate[] = [...counts[k]!.entries()].map(([value, c]) => {
      const rate = c.linked / c.n;
      const ci = wilson(c.linked, c.n);
      const diff = rate - overallRate;
      const flagged = Math.abs(diff) > margin;
      if (flagged) flaggedCount++;
      return {
        value, n: c.n, linked: c.linked, rate, ci, diff, flagged, significant: ci.lo > overallRate || ci.hi < overallRate, small: c.n < minGroupSize,
        ...(hasCounterpart ? { truePresent: c.present, trueRate: c.present / c.n } : {}),
      };
    });
    if (spec.kind === 'age_band') groups.sort((a, b) => ageBandOrder(a.value) - ageBandOrder(b.value));
    else groups.sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : 1));
    return { spec, groups };
  });
  return {
    party: opts.links.party,
    dataFile: opts.dataFile,
    records,
    linked,
    overall: { rate: overallRate, ci: wilson(linked, records) },
    margin,
    minGroupSize,
    asOf: `${asOf.y}-${String(asOf.m).padStart(2, '0')}-${String(asOf.d).padStart(2, '0')}`,
    dimensions,
    linksNotInData,
    flaggedCount,
  };
}
