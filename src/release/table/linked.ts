import { dirname, join, resolve } from 'node:path';
import { P20Error } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic-file.js';
import type { CsvDialect } from '../../io/csv.js';
import { readJsonFile } from '../../util/json-spec.js';
import { exactSuppress } from './exact.js';
import { readTableCsv, tableCsvText } from './files.js';
import { decideRates } from './rates.js';
import { parseTableSpec } from './spec.js';
import { prepareTable } from './suppress.js';
import type { Constraint, CountTable, SuppressOptions, TableSpec } from './types.js';

/**
 * Linked tables: several published tables that count the same students
 * (by district and by program, this year and last year's "All") share
 * cells. Suppressed one by one, a cell hidden in one table can be published
 * in another, or recomputed through the other table's margins. `suppressLinked`
 * builds one attacker over all of them — every table's constraints plus one
 * equality per declared link — and suppresses the set jointly with the exact
 * mode (exact.ts), so the rule holds for the attacker who reads every table.
 *
 * Spec: protocols/table-spec.md, "Linked tables"; guide: docs/suppress-linked.md.
 */

export interface LinkedCellRef {
  /** Name of a table of the set. */
  table: string;
  /** Dimension values that select exactly one row of that table. */
  where: Record<string, string>;
}

export interface LinkedTablesSpec {
  format?: 'p20link-linked-tables';
  version: 1;
  tables: { name: string; input?: string; output?: string; spec?: string | TableSpec }[];
  /** Each link: cells of different tables that are the same count. */
  links: { cells: LinkedCellRef[] }[];
}

export interface LinkedTableInput {
  name: string;
  header: string[];
  rows: string[][];
  lines?: number[];
  spec?: TableSpec;
  file?: string;
  countColumn?: string;
}

export interface LinkedResult {
  tables: { name: string; header: string[]; rows: string[][]; hiddenCells: number }[];
  /** Hidden count cells over all tables (a linked cell counts once per table). */
  hiddenCells: number;
  links: number;
  optimal: boolean;
}

/** Validate the shape of a parsed linked-tables spec (names unique, links of ≥ 2 cells naming known tables). */
export function parseLinkedSpec(obj: unknown, file = '<linked spec>'): LinkedTablesSpec {
  const bad = (message: string, field?: string): never => {
    throw new P20Error('TABLE_SPEC', message, { file, ...(field ? { field } : {}) });
  };
  if (typeof obj !== 'object' || obj === null) bad('the linked-tables spec must be a JSON object');
  const s = obj as Partial<LinkedTablesSpec>;
  if (s.format !== undefined && s.format !== 'p20link-linked-tables') bad('format must be "p20link-linked-tables"', 'format');
  if (s.version !== 1) bad('version must be 1', 'version');
  if (!Array.isArray(s.tables) || s.tables.length < 2) bad('list at least two tables', 'tables');
  const names = new Set<string>();
  s.tables!.forEach((t, i) => {
    if (typeof t?.name !== 'string' || t.name === '') bad('each table needs a name', `tables.${i}.name`);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(t.name)) bad('a table name is letters, digits, ".", "_" or "-" (it names the output file)', `tables.${i}.name`);
    if (names.has(t.name)) bad(`table name "${t.name}" is used twice`, `tables.${i}.name`);
    names.add(t.name);
  });
  if (!Array.isArray(s.links)) bad('links must be a list', 'links');
  s.links!.forEach((l, i) => {
    if (!Array.isArray(l?.cells) || l.cells.length < 2) bad('a link joins at least two cells', `links.${i}.cells`);
    l.cells.forEach((c, j) => {
      if (!names.has(c?.table)) bad(`unknown table "${String(c?.table)}"`, `links.${i}.cells.${j}.table`);
      if (typeof c.where !== 'object' || c.where === null || Object.keys(c.where).length === 0) bad('where must name dimension values', `links.${i}.cells.${j}.where`);
    });
  });
  return s as LinkedTablesSpec;
}

/**
 * Suppress a set of linked tables jointly (exact mode over the union of their
 * cells). Options as for `suppressTable`; n, the marker and the protection
 * come from the options, else from the first table's spec.
 */
export async function suppressLinked(
  inputs: LinkedTableInput[],
  links: { cells: LinkedCellRef[] }[],
  opts: SuppressOptions & { timeLimit?: number } = {},
): Promise<LinkedResult> {
  const prepared = inputs.map((t) =>
    prepareTable({
      ...opts,
      header: t.header,
      rows: t.rows,
      file: t.file ?? t.name,
      ...(t.lines ? { lines: t.lines } : {}),
      ...(t.spec ? { spec: t.spec } : {}),
      ...(t.countColumn ? { countColumn: t.countColumn } : {}),
    }),
  );
  const settings = prepared[0]!.settings;
  const offsets: number[] = [];
  let total = 0;
  for (const p of prepared) {
    offsets.push(total);
    total += p.table.rows.length;
  }
  const merged = mergeTables(prepared.map((p) => p.table), offsets);

  // Links: equalities between the selected cells.
  const byName = new Map(inputs.map((t, i) => [t.name, i]));
  links.forEach((l, li) => {
    const ids = l.cells.map((ref, j) => {
      const ti = byName.get(ref.table);
      if (ti === undefined) throw new P20Error('TABLE_SPEC', `unknown table "${ref.table}"`, { field: `links.${li}.cells.${j}.table` });
      const t = prepared[ti]!.table;
      const cols = Object.entries(ref.where).map(([col, v]) => {
        const ci = t.header.indexOf(col);
        if (ci < 0) throw new P20Error('TABLE_SPEC', `column "${col}" is not in table "${ref.table}"`, { field: `links.${li}.cells.${j}.where` });
        return [ci, v] as const;
      });
      const hits = t.rows.map((r, i) => (cols.every(([ci, v]) => r[ci] === v) ? i : -1)).filter((i) => i >= 0);
      if (hits.length !== 1) {
        throw new P20Error('TABLE_SPEC', `selects ${hits.length} rows of table "${ref.table}" (exactly one needed)`, { field: `links.${li}.cells.${j}.where` });
      }
      return offsets[ti]! + hits[0]!;
    });
    const first = ids[0]!;
    for (let j = 1; j < ids.length; j++) {
      const a = merged.counts[first]!;
      const b = merged.counts[ids[j]!]!;
      if (!Number.isNaN(a) && !Number.isNaN(b) && a !== b) {
        throw new P20Error('TABLE_TOTALS', `linked cells differ (${a} and ${b}): the tables do not count the same students there`, { field: `links.${li}` });
      }
      const k = merged.constraints.length;
      merged.constraints.push({ total: first, parts: [ids[j]!], dimension: `link ${li}`, complete: true });
      merged.cellConstraints[first]!.push(k);
      merged.cellConstraints[ids[j]!]!.push(k);
    }
  });

  const ex = await exactSuppress(merged, { ...settings, integerCheck: opts.integerCheck ?? true, ...(opts.timeLimit ? { timeLimit: opts.timeLimit } : {}) });
  const out: LinkedResult['tables'] = [];
  let hiddenCells = 0;
  prepared.forEach((p, ti) => {
    const t = p.table;
    const hidden = ex.hidden.slice(offsets[ti]!, offsets[ti]! + t.rows.length);
    const rows = t.rows.map((r) => r.slice());
    let h = 0;
    hidden.forEach((x, i) => {
      if (!x) return;
      rows[i]![t.countIndex] = settings.marker;
      h++;
    });
    for (const d of decideRates(t, hidden, settings, settings.marker, opts.topCode, opts.bottomCode)) {
      const rs = t.rates[d.rate]!;
      if (d.reason) rows[d.row]![rs.index] = settings.marker;
      else if (d.recoded) rows[d.row]![rs.index] = d.recoded.published;
    }
    hiddenCells += h;
    out.push({ name: inputs[ti]!.name, header: t.header.slice(), rows, hiddenCells: h });
  });
  return { tables: out, hiddenCells, links: links.length, optimal: ex.optimal };
}

/** One CountTable over the cells of several (ids offset; rates left per table). */
function mergeTables(tables: CountTable[], offsets: number[]): CountTable {
  const n = tables.reduce((a, t) => a + t.rows.length, 0);
  const counts = new Float64Array(n);
  const constraints: Constraint[] = [];
  const cellConstraints: number[][] = Array.from({ length: n }, () => []);
  const extraRows: CountTable['extraRows'] = [];
  const cellExtraRows: number[][] = Array.from({ length: n }, () => []);
  const rows: string[][] = [];
  const lines: number[] = [];
  tables.forEach((t, ti) => {
    const o = offsets[ti]!;
    counts.set(t.counts, o);
    rows.push(...t.rows);
    lines.push(...t.lines);
    for (const c of t.constraints) {
      const k = constraints.length;
      const con = { ...c, total: c.total + o, parts: c.parts.map((p) => p + o) };
      constraints.push(con);
      cellConstraints[con.total]!.push(k);
      for (const p of con.parts) cellConstraints[p]!.push(k);
    }
    for (const x of t.extraRows) {
      const k = extraRows.length;
      const cells = x.cells.map((c) => c + o);
      extraRows.push({ ...x, cells, ...(x.complement ? { complement: { ...x.complement, cell: x.complement.cell + o } } : {}) });
      for (const c of new Set(cells)) cellExtraRows[c]!.push(k);
    }
  });
  const first = tables[0]!;
  return {
    ...first,
    file: tables.map((t) => t.file).join(' + '),
    rows,
    lines,
    counts,
    constraints,
    cellConstraints,
    extraRows,
    cellExtraRows,
    rates: [],
  };
}

export interface SuppressLinkedFileOptions extends SuppressOptions {
  /** The linked-tables spec (JSON); table inputs and spec files are relative to its folder. */
  spec: string;
  /** Output folder: one `<name>.csv` per table. */
  outDir: string;
  timeLimit?: number;
  /** How the spec's input tables are written (readTableCsv); the outputs are comma-separated, UTF-8. */
  csv?: CsvDialect;
}

/** Suppress the tables of a linked-tables spec jointly; writes `<outDir>/<name>.csv` atomically (never over an input). */
export async function suppressLinkedFile(o: SuppressLinkedFileOptions): Promise<LinkedResult> {
  const spec = parseLinkedSpec(await readJsonFile(o.spec, 'linked-tables spec', { code: 'TABLE_SPEC' }), o.spec);
  const base = dirname(o.spec);
  const inputs: LinkedTableInput[] = [];
  const inPaths = new Set<string>();
  for (const [i, t] of spec.tables.entries()) {
    if (typeof t.input !== 'string') throw new P20Error('TABLE_SPEC', 'each table needs an input CSV', { file: o.spec, field: `tables.${i}.input` });
    const path = resolve(base, t.input);
    inPaths.add(path);
    const csv = await readTableCsv(path, o.csv);
    const tspec =
      typeof t.spec === 'string'
        ? parseTableSpec(await readJsonFile(resolve(base, t.spec), 'table spec', { code: 'TABLE_SPEC' }), resolve(base, t.spec))
        : t.spec
          ? parseTableSpec(t.spec, `${o.spec} (tables.${i}.spec)`)
          : undefined;
    inputs.push({ name: t.name, file: path, header: csv.header, rows: csv.rows, lines: csv.lines, ...(tspec ? { spec: tspec } : {}) });
  }
  const { spec: _s, outDir: _o, csv: _c, ...rest } = o;
  const res = await suppressLinked(inputs, spec.links, rest);
  for (const t of res.tables) {
    const out = join(o.outDir, `${t.name}.csv`);
    if (inPaths.has(resolve(out))) throw new P20Error('TABLE_OUTPUT', 'output would overwrite an input table; choose another folder', { file: out });
  }
  for (const t of res.tables) await writeFileAtomic(join(o.outDir, `${t.name}.csv`), tableCsvText(t.header, t.rows));
  return res;
}
