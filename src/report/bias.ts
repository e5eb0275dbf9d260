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
 *
 * Per dimension, the largest gap between two groups' link rates (and, with
 * a truth sample, their recalls) is given in points with a 95% interval for
 * the difference (Newcombe's hybrid score interval, built on the groups'
 * Wilson intervals) and flagged when it exceeds `maxGap` (default 1.5
 * points). Groups below the small-group size are left out of the gap (their
 * rates are too unstable to compare).
 *
 * The groups may come from the agency's own extract (any column) or from the
 * party's encoded file (its pass-through columns, `pass:<column>`), which is
 * what the linker side sees.
 */
import { P20Error } from '../errors.js';
import { type CsvDialect, missingColumnError, openCsv, readCsvDialect } from '../io/csv.js';
import { ageBand, ageBandOrder, ageOn, parseDate, type Ymd } from './age.js';
import { DEFAULT_DATE_LAYOUTS, readDateLayouts, type DateLayout } from '../normalize/dates.js';
import type { LinksFile } from '../format/links.js';
import type { TruthRecord } from '../format/truth.js';
import { newcombe, wilson, type Interval } from './wilson.js';
import { openEncoded } from '../format/encoded-file.js';
import { open } from 'node:fs/promises';

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
  /**
   * Evaluation only (with ground truth): of the truePresent records, how
   * many were linked — to a true counterpart when the other parties' links
   * files are given, else to anyone — with the rate and its Wilson interval.
   */
  recall?: { hits: number; of: number; rate: number; ci: Interval };
}

/** The largest difference between two groups of one dimension (high − low), in the rate's own units (0.015 = 1.5 points). */
export interface Gap {
  gap: number;
  high: string;
  low: string;
  /** 95% interval of the difference (Newcombe hybrid score). */
  ci: Interval;
  /** gap > maxGap */
  flagged: boolean;
  /** The interval excludes 0. */
  significant: boolean;
  /** Groups compared (those at or above the small-group size). */
  groups: number;
}

export interface DimensionRates {
  spec: GroupSpec;
  groups: GroupRate[];
  /** Largest link-rate gap between two groups (undefined with fewer than two groups of at least the small-group size). */
  linkRateGap?: Gap;
  /** Evaluation only: largest recall gap between two groups. */
  recallGap?: Gap;
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
  /** Gaps above this are flagged (default 0.015: 1.5 points). */
  maxGap: number;
  /** Number of flagged gaps (link rate and recall) over all dimensions. */
  gapFlaggedCount: number;
  /**
   * True when the other parties' links files were given, so a record counts
   * as linked only when another party's record shares its linkage ID; with
   * the party's own file alone, a record linked only to a duplicate in the
   * same file counts as linked too.
   */
  crossPartyChecked: boolean;
  /** With truth: overall recall (see GroupRate.recall) and how it was measured. */
  recall?: { hits: number; of: number; rate: number; ci: Interval; exact: boolean };
}

export interface BiasOptions {
  links: LinksFile;
  /** The extract (CSV), or the party's encoded file (groups by its pass-through columns). */
  dataFile: string;
  /** Record id column of a CSV extract (not used with an encoded file). */
  idColumn?: string;
  /** How the CSV extract is written (delimiter, trimming, character encoding: the encoder's options of the same names); refused with an encoded file. Default: comma-separated UTF-8. */
  csv?: CsvDialect;
  by: GroupSpec[];
  /** Flag groups whose rate differs from the overall rate by more than this. Default 0.05. */
  margin?: number;
  /** Groups smaller than this are noted as small. Default 30. */
  minGroupSize?: number;
  /** Reference date for ages (YYYY-MM-DD). Default: today (UTC). */
  asOf?: string;
  /** How the extract writes the birth dates of age bands (src/normalize/dates.ts DATE_LAYOUTS; two-digit years up to the as-of year). Default: YYYY-MM-DD, MM/DD/YYYY, YYYYMMDD. */
  dateLayouts?: readonly string[];
  /**
   * Evaluation only (synthetic data): the ground truth, so each group's link
   * rate can be set beside the rate perfect linkage would give (how many of
   * its records really have a counterpart in another party's file).
   */
  truth?: readonly TruthRecord[];
  /**
   * Evaluation only: the other parties' links files of the same run, so a
   * record counts toward recall only when it shares its linkage ID with a
   * true counterpart (without them, any link counts).
   */
  otherLinks?: readonly LinksFile[];
  /** Flag a dimension's largest gap above this (default 0.015: 1.5 points). */
  maxGap?: number;
}

/** Largest gap among groups with at least `min` in the denominator. */
export function largestGap(rows: readonly { value: string; hits: number; n: number }[], min: number, maxGap: number): Gap | undefined {
  const eligible = rows.filter((r) => r.n >= min && r.n > 0);
  if (eligible.length < 2) return undefined;
  let hi = eligible[0]!;
  let lo = eligible[0]!;
  for (const r of eligible) {
    if (r.hits / r.n > hi.hits / hi.n) hi = r;
    if (r.hits / r.n < lo.hits / lo.n) lo = r;
  }
  const gap = hi.hits / hi.n - lo.hits / lo.n;
  const ci = newcombe(hi.hits, hi.n, lo.hits, lo.n);
  return { gap, high: hi.value, low: lo.value, ci, flagged: gap > maxGap + 1e-12, significant: ci.lo > 0, groups: eligible.length };
}

/** One row of the data the groups come from: a record id and the values of the group columns. */
interface GroupRow {
  id: string;
  values: string[];
  line: number;
}

/** Does the file start like a p20link encoded file (its JSON header)? */
async function looksEncoded(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return false; // openCsv reports the problem in its own words
  }
  try {
    const b = Buffer.alloc(64);
    const { bytesRead } = await fh.read(b, 0, 64, 0);
    return /^\{\s*"format"\s*:\s*"p20link\/encoded"/.test(b.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await fh.close();
  }
}

/**
 * Rows of the data file: a CSV extract (id column and group columns by
 * name), or the party's encoded file (record ids, and the group columns
 * among its pass-through columns, named with or without "pass:").
 */
async function openGroupRows(dataFile: string, idColumn: string | undefined, columns: readonly string[], dialect: CsvDialect | undefined): Promise<AsyncIterable<GroupRow[]>> {
  const csv = readCsvDialect(dialect);
  if (await looksEncoded(dataFile)) {
    const given = (['delimiter', 'trim', 'encoding'] as const).filter((k) => dialect?.[k] !== undefined);
    if (given.length > 0) throw new P20Error('BIAS_ARGS', `is an encoded file, read as it is: the ${given[0]} option reads an extract`, { file: dataFile }, { hint: { id: 'named-option', option: given[0]! } });
    const enc = await openEncoded(dataFile);
    const pass = enc.header.columns.filter((c) => c.startsWith('pass:')).map((c) => c.slice(5));
    const names = columns.map((c) => {
      const n = c.startsWith('pass:') ? c.slice(5) : c;
      if (!pass.includes(n)) {
        throw new P20Error('BIAS_ARGS', `group column ${JSON.stringify(c)} is not a pass-through column of the encoded file (it has: ${pass.length ? pass.join(', ') : 'none'})`, { file: dataFile, line: 1, field: c });
      }
      return n;
    });
    return (async function* () {
      for await (const batch of enc.batches) yield batch.map((r) => ({ id: r.id, values: names.map((n) => r.pass[n] ?? ''), line: r.line }));
    })();
  }
  if (idColumn === undefined) throw new P20Error('BIAS_ARGS', 'name the record id column of the extract', { file: dataFile, field: 'id-column' }, { hint: { id: 'paren-option', option: 'id-column' } });
  const t = await openCsv(dataFile, { file: dataFile, ...csv });
  const iId = t.header.indexOf(idColumn);
  if (iId < 0) {
    t.close();
    throw missingColumnError('BIAS_ARGS', `id column ${JSON.stringify(idColumn)} is not in the header (${t.header.join(', ')})`, { file: dataFile, line: 1, field: idColumn }, t.header, csv);
  }
  const cols = columns.map((c) => {
    const i = t.header.indexOf(c);
    if (i < 0) {
      t.close();
      throw missingColumnError('BIAS_ARGS', `group column ${JSON.stringify(c)} is not in the header`, { file: dataFile, line: 1, field: c }, t.header, csv);
    }
    return i;
  });
  return (async function* () {
    for await (const batch of t.batches) yield batch.map((r) => ({ id: r.fields[iId]!, values: cols.map((i) => r.fields[i]!), line: r.line }));
  })();
}

export function isLinked(links: LinksFile, id: string): boolean {
  const e = links.records.get(id);
  if (!e || e.linkageId === '') return false;
  return links.hasScore ? e.score !== undefined : true;
}

/** The layouts of the age bands' birth dates: the defaults, or the caller's (each a layout, never month-first and day-first together). */
function biasDateLayouts(layouts: readonly string[] | undefined): readonly DateLayout[] {
  if (layouts === undefined) return DEFAULT_DATE_LAYOUTS;
  const r = readDateLayouts(layouts);
  if ('error' in r) throw new P20Error('BIAS_ARGS', r.name !== undefined ? `${JSON.stringify(r.name)} ${r.error}` : r.error, { field: 'date-layout' });
  return r.layouts;
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
  const layouts = biasDateLayouts(opts.dateLayouts);
  const maxGap = opts.maxGap ?? 0.015;
  if (!(maxGap >= 0 && maxGap < 1)) throw new P20Error('BIAS_ARGS', 'max-gap must be at least 0 and below 1', { field: 'max-gap' });
  const rows = await openGroupRows(opts.dataFile, opts.idColumn, opts.by.map((s) => s.column), opts.csv);
  const counts = opts.by.map(() => new Map<string, { n: number; linked: number; present: number; hits: number }>());
  // evaluation only: which of this party's records have a true counterpart in another party, and which were linked to one
  let hasCounterpart: Set<string> | undefined;
  let recalled: ((id: string) => boolean) | undefined;
  const exact = opts.otherLinks?.some((l) => l.party !== opts.links.party) ?? false;
  if (opts.truth) {
    const members = new Map<string, { party: string; id: string }[]>();
    for (const t of opts.truth) {
      let ms = members.get(t.entity);
      if (!ms) members.set(t.entity, (ms = []));
      ms.push({ party: t.party, id: t.id });
    }
    hasCounterpart = new Set();
    const counterparts = new Map<string, { party: string; id: string }[]>();
    // with the run's links files, only counterparts in the run's parties count
    const runParties = exact ? new Set(opts.otherLinks!.map((l) => l.party)) : undefined;
    for (const t of opts.truth) {
      if (t.party !== opts.links.party) continue;
      const others = members.get(t.entity)!.filter((m) => m.party !== t.party && (runParties === undefined || runParties.has(m.party)));
      if (others.length > 0) {
        hasCounterpart.add(t.id);
        counterparts.set(t.id, others);
      }
    }
    if (exact) {
      const byParty = new Map(opts.otherLinks!.map((l) => [l.party, l]));
      recalled = (id) => {
        if (!isLinked(opts.links, id)) return false;
        const lid = opts.links.records.get(id)!.linkageId;
        return (counterparts.get(id) ?? []).some((c) => {
          const lf = byParty.get(c.party);
          return lf !== undefined && isLinked(lf, c.id) && lf.records.get(c.id)!.linkageId === lid;
        });
      };
    } else recalled = (id) => isLinked(opts.links, id);
  }
  // with the other parties' links files, "linked" means linked to a record of another party
  // (not only to a duplicate in the party's own file)
  let otherLinkageIds: Set<string> | undefined;
  if (exact) {
    otherLinkageIds = new Set();
    for (const lf of opts.otherLinks!) {
      if (lf.party === opts.links.party) continue;
      for (const [id, e] of lf.records) if (isLinked(lf, id)) otherLinkageIds.add(e.linkageId);
    }
  }
  const linkedOut = (id: string) => isLinked(opts.links, id) && (otherLinkageIds === undefined || otherLinkageIds.has(opts.links.records.get(id)!.linkageId));
  const seen = new Set<string>();
  let records = 0;
  let linked = 0;
  let present = 0;
  let hits = 0;
  for await (const batch of rows) {
    for (const r of batch) {
      const id = r.id;
      if (seen.has(id)) throw new P20Error('BIAS_DATA', `duplicate record id ${JSON.stringify(id)}`, { file: opts.dataFile, line: r.line, field: opts.idColumn ?? 'id' });
      seen.add(id);
      const l = linkedOut(id);
      const isPresent = hasCounterpart?.has(id) ?? false;
      const hit = isPresent && recalled!(id);
      records++;
      if (l) linked++;
      if (isPresent) present++;
      if (hit) hits++;
      opts.by.forEach((spec, k) => {
        const raw = r.values[k]!.trim();
        let value: string;
        if (spec.kind === 'age_band') {
          const b = parseDate(raw, layouts, asOf.y);
          const a = b ? ageOn(b, asOf) : undefined;
          value = a === undefined ? '(unknown)' : ageBand(a);
        } else value = raw === '' ? '(blank)' : raw;
        const m = counts[k]!;
        let c = m.get(value);
        if (!c) m.set(value, (c = { n: 0, linked: 0, present: 0, hits: 0 }));
        c.n++;
        if (l) c.linked++;
        if (isPresent) c.present++;
        if (hit) c.hits++;
      });
    }
  }
  let linksNotInData = 0;
  for (const id of opts.links.records.keys()) if (!seen.has(id)) linksNotInData++;
  const overallRate = records === 0 ? 0 : linked / records;
  let flaggedCount = 0;
  let gapFlaggedCount = 0;
  const dimensions = opts.by.map((spec, k) => {
    const groups: GroupRate[] = [...counts[k]!.entries()].map(([value, c]) => {
      const rate = c.linked / c.n;
      const ci = wilson(c.linked, c.n);
      const diff = rate - overallRate;
      const flagged = Math.abs(diff) > margin;
      if (flagged) flaggedCount++;
      return {
        value, n: c.n, linked: c.linked, rate, ci, diff, flagged, significant: ci.lo > overallRate || ci.hi < overallRate, small: c.n < minGroupSize,
        ...(hasCounterpart ? { truePresent: c.present, trueRate: c.present / c.n, recall: { hits: c.hits, of: c.present, rate: c.present === 0 ? 0 : c.hits / c.present, ci: wilson(c.hits, c.present) } } : {}),
      };
    });
    if (spec.kind === 'age_band') groups.sort((a, b) => ageBandOrder(a.value) - ageBandOrder(b.value));
    else groups.sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : 1));
    const linkRateGap = largestGap(groups.map((g) => ({ value: g.value, hits: g.linked, n: g.n })), minGroupSize, maxGap);
    const recallGap = hasCounterpart ? largestGap(groups.map((g) => ({ value: g.value, hits: g.recall!.hits, n: g.recall!.of })), minGroupSize, maxGap) : undefined;
    if (linkRateGap?.flagged) gapFlaggedCount++;
    if (recallGap?.flagged) gapFlaggedCount++;
    return { spec, groups, ...(linkRateGap ? { linkRateGap } : {}), ...(recallGap ? { recallGap } : {}) };
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
    maxGap,
    gapFlaggedCount,
    crossPartyChecked: exact,
    ...(hasCounterpart ? { recall: { hits, of: present, rate: present === 0 ? 0 : hits / present, ci: wilson(hits, present), exact } } : {}),
  };
}
