import { P20Error } from '../../errors.js';
import type { Constraint, CountTable, ExtraRow, RateColumn, TableSpec } from './types.js';

/** Most violations listed in one error message (all are counted). */
const MAX_LISTED = 20;

export interface TableInput {
  file: string;
  header: string[];
  rows: string[][];
  /** 1-based line per row; default: row index + 2 (header on line 1). */
  lines?: number[];
}

const COUNT_RE = /^\d+$/;

/** Parse a count field: a non-negative whole number, or the marker (unknown → NaN). */
function parseCount(v: string, marker: string, file: string, line: number, field: string): number {
  const s = v.trim();
  if (s === marker) return Number.NaN;
  if (COUNT_RE.test(s)) {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw new P20Error('TABLE_COUNT', `count "${s}" is too large`, { file, line, field });
    return n;
  }
  if (/^-\s*\d/.test(s)) throw new P20Error('TABLE_COUNT', `count is negative ("${s}")`, { file, line, field });
  if (s === '') throw new P20Error('TABLE_COUNT', 'count is empty', { file, line, field });
  if (/^\d+\.\d*$/.test(s)) throw new P20Error('TABLE_COUNT', `count "${s}" is not a whole number`, { file, line, field });
  throw new P20Error('TABLE_COUNT', `count "${s.slice(0, 40)}" is not a number`, { file, line, field });
}

/**
 * Build the table and its additive constraints from rows and a spec, and
 * check them: counts must be non-negative whole numbers, every dimension
 * combination may appear once, and every total must equal the sum of its
 * parts. All violated totals are reported (never repaired).
 */
export function buildCountTable(input: TableInput, spec: TableSpec, marker = '*'): CountTable {
  const { file, header, rows } = input;
  if (rows.length === 0) {
    throw new P20Error('TABLE_EMPTY', 'the table has a header but no data rows; nothing to suppress or audit', { file, line: 2 });
  }
  const lines = input.lines ?? rows.map((_, i) => i + 2);
  const col = (name: string, field: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new P20Error('TABLE_SPEC', `column "${name}" is not in the table header (${header.join(', ')})`, { file, line: 1, field });
    return i;
  };
  const countIndex = col(spec.count, 'count');
  const dimIdx = spec.dimensions.map((d, i) => col(d.column, `dimensions.${i}.column`));
  const rates: RateColumn[] = (spec.rates ?? []).map((r, i) => ({
    column: r.column,
    index: col(r.column, `rates.${i}.column`),
    denominatorIndex: col(r.denominator ?? spec.count, `rates.${i}.denominator`),
    scale: r.scale ?? 100,
    numeratorCells: new Int32Array(rows.length).fill(-1),
    denominatorCells: new Int32Array(rows.length).fill(-1),
  }));
  const numeratorDims = (spec.rates ?? []).map((r, i) => {
    if (!r.numerator) return -1;
    const d = spec.dimensions.findIndex((x) => x.column === r.numerator!.column);
    if (d < 0) throw new P20Error('TABLE_SPEC', `numerator column "${r.numerator.column}" is not a dimension`, { file, field: `rates.${i}.numerator.column` });
    return d;
  });

  const n = rows.length;
  const counts = new Float64Array(n);
  const keys = new Map<string, number>();
  const SEP = '\u0000';
  const dimValues: string[][] = dimIdx.map(() => []);
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    if (row.length !== header.length) {
      throw new P20Error('CSV_ROW_WIDTH', `row has ${row.length} field(s) but the header has ${header.length}`, { file, line: lines[r]! });
    }
    counts[r] = parseCount(row[countIndex]!, marker, file, lines[r]!, spec.count);
    const key = dimIdx.map((i) => row[i]!).join(SEP);
    const prev = keys.get(key);
    if (prev !== undefined) {
      throw new P20Error('TABLE_DUPLICATE', `same dimension values as line ${lines[prev]} (${dimIdx.map((i) => row[i]).join(', ')})`, { file, line: lines[r]! });
    }
    keys.set(key, r);
    for (const [rate] of rates.entries()) {
      const rs = rates[rate]!;
      const v = row[rs.index]!.trim();
      if (v !== '' && v !== marker && !/^[<>]?\d+(\.\d+)?%?$/.test(v)) {
        throw new P20Error('TABLE_RATE', `rate "${v.slice(0, 40)}" is not a number`, { file, line: lines[r]!, field: rs.column });
      }
    }
  }
  dimIdx.forEach((ci, d) => {
    const s = new Set<string>();
    for (const row of rows) s.add(row[ci]!);
    dimValues[d] = [...s];
  });

  // Partitions per dimension: total value -> list of part values.
  const constraints: Constraint[] = [];
  spec.dimensions.forEach((dim, d) => {
    const parts: { total: string; parts: string[]; complete?: boolean }[] = [];
    if (dim.total !== undefined) {
      const others = dimValues[d]!.filter((v) => v !== dim.total);
      if (others.length > 0) parts.push({ total: dim.total, parts: others });
    } else if (dim.parents) {
      const byParent = new Map<string, string[]>();
      for (const [child, parent] of Object.entries(dim.parents)) {
        const l = byParent.get(parent) ?? [];
        l.push(child);
        byParent.set(parent, l);
      }
      for (const [total, ps] of byParent) parts.push({ total, parts: ps });
    } else if (dim.partitions) {
      parts.push(...dim.partitions);
    }
    if (parts.length === 0) return;
    const ci = dimIdx[d]!;
    // Group rows by the values of the other dimensions.
    const groups = new Map<string, number[]>();
    for (let r = 0; r < n; r++) {
      const row = rows[r]!;
      const k = dimIdx.map((i, j) => (j === d ? '' : row[i]!)).join(SEP);
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    const partSets = parts.map((p) => ({ total: p.total, set: new Set(p.parts), complete: p.complete ?? true }));
    for (const g of groups.values()) {
      for (const p of partSets) {
        const t = g.find((r) => rows[r]![ci] === p.total);
        if (t === undefined) continue;
        const ids = g.filter((r) => p.set.has(rows[r]![ci]!));
        // A total with no broken-down rows published has no constraint along this dimension.
        if (ids.length > 0) constraints.push({ total: t, parts: ids, dimension: dim.column, complete: p.complete });
      }
    }
  });

  // Rates: which count cell holds each row's numerator and denominator.
  const extraRows: ExtraRow[] = [];
  rates.forEach((rs, ri) => {
    const rspec = spec.rates![ri]!;
    const denomIsCount = rs.denominatorIndex === countIndex;
    const nd = numeratorDims[ri]!;
    for (let r = 0; r < n; r++) {
      if (denomIsCount) rs.denominatorCells[r] = r;
      if (nd >= 0) {
        const row = rows[r]!;
        const key = dimIdx.map((ci, j) => (j === nd ? rspec.numerator!.value : row[ci]!)).join(SEP);
        rs.numeratorCells[r] = keys.get(key) ?? -1;
      } else if (!denomIsCount) {
        // Wide layout: the count column is the numerator, the denominator a published column
        // (the attacker's row count ≤ denominator is added by rates.ts `denominatorRows`, which knows n).
        rs.numeratorCells[r] = r;
        const d = rows[r]![rs.denominatorIndex]!.trim();
        if (!/^\d+$/.test(d) && d !== '' && d !== marker) {
          throw new P20Error('TABLE_RATE', `denominator "${d.slice(0, 40)}" is not a whole number`, { file, line: lines[r]!, field: header[rs.denominatorIndex]! });
        }
      }
    }
  });
  const cellExtraRows: number[][] = Array.from({ length: n }, () => []);
  extraRows.forEach((x, k) => {
    for (const c of x.cells) cellExtraRows[c]!.push(k);
  });

  const cellConstraints: number[][] = Array.from({ length: n }, () => []);
  constraints.forEach((c, k) => {
    cellConstraints[c.total]!.push(k);
    for (const p of c.parts) cellConstraints[p]!.push(k);
  });

  // Every fully known total must add up.
  const violations: string[] = [];
  let firstLine: number | undefined;
  let count = 0;
  for (const c of constraints) {
    const t = counts[c.total]!;
    if (Number.isNaN(t)) continue;
    let sum = 0;
    let unknown = false;
    for (const p of c.parts) {
      const v = counts[p]!;
      if (Number.isNaN(v)) unknown = true;
      else sum += v;
    }
    if (unknown || !c.complete ? sum > t : sum !== t) {
      count++;
      firstLine ??= lines[c.total]!;
      if (violations.length < MAX_LISTED) {
        const partLines = c.parts.map((p) => lines[p]).join(', ');
        violations.push(
          `  ${file}:${lines[c.total]}: total ${t} along "${c.dimension}" but its ${c.parts.length} part(s) (lines ${partLines}) ${unknown || !c.complete ? 'already exceed it with' : 'add up to'} ${sum}`,
        );
      }
    }
  }
  if (count > 0) {
    throw new P20Error(
      'TABLE_TOTALS',
      `${count} total(s) do not match the sum of their parts; fix the table (nothing was guessed):\n${violations.join('\n')}` +
        (count > violations.length ? `\n  … and ${count - violations.length} more` : ''),
      { file, line: firstLine! },
    );
  }

  return {
    file,
    header,
    rows,
    lines,
    counts,
    countColumn: spec.count,
    countIndex,
    dimensionColumns: spec.dimensions.map((d) => d.column),
    constraints,
    cellConstraints,
    rates,
    extraRows,
    cellExtraRows,
    spec,
  };
}
