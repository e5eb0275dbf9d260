/**
 * One publication rule for suppress and audit-table (rule.ts): primary rules
 * on what is published, the same requirements on what is hidden, rates,
 * 0 % / 100 %, refusals of protectable tables, solver status "unknown", and
 * the integer check wired into the audit.
 */
import { describe, expect, it } from 'vitest';
import { auditTable, getHighs, suppressTable, type TableSpec } from '../../src/release/table/index.js';
import { ComponentLp } from '../../src/release/table/lp.js';
import { auditComponent, type ProtectParams } from '../../src/release/table/protect.js';
import { codedBand, impliedNumerator, parseRateBand } from '../../src/release/table/rates.js';
import { ruleRequirements } from '../../src/release/table/rule.js';
import { prepareTable } from '../../src/release/table/suppress.js';
import { additiveTable, attackerBounds, type TestConstraint } from './table-helpers.js';

const N = 10;
const csv = (text: string): { header: string[]; rows: string[][] } => {
  const lines = text.trim().split('\n').map((l) => l.split(','));
  return { header: lines[0]!, rows: lines.slice(1) };
};

describe('audit-table applies the primary rules to what is published', () => {
  it('a never-suppressed table (a published 6 with n = 10) fails, naming the cell and its complement', async () => {
    const t = csv('g,n\na,6\nb,30\nAll,36');
    const a = await auditTable({ ...t });
    expect(a.ok).toBe(false);
    expect(a.cells).toEqual([]);
    expect(a.published.map((p) => [p.line, p.rule])).toEqual([
      [2, 'published-small'],
      [3, 'published-complement'],
    ]);
    // the same table suppressed passes
    const s = await suppressTable({ ...t });
    expect((await auditTable({ header: s.table.header, rows: s.table.rows })).ok).toBe(true);
  });

  it('two hidden cells summing to 2 with zeros published fail (each is known to be below n), and suppress never publishes that', async () => {
    const pub = csv('g,n\na,*\nb,*\nc,0\nd,40\nAll,42');
    const a = await auditTable({ ...pub });
    expect(a.ok).toBe(false);
    expect(a.cells.map((c) => [c.line, c.lower, c.upper, c.recoverable, c.why])).toEqual([
      [2, 0, 2, true, 'upper'],
      [3, 0, 2, true, 'upper'],
    ]);
    const s = await suppressTable({ ...csv('g,n\na,1\nb,1\nc,0\nd,40\nAll,42') });
    expect(s.table.rows.map((r) => r[1])).not.toEqual(['*', '*', '0', '40', '42']);
    expect((await auditTable({ header: s.table.header, rows: s.table.rows })).ok).toBe(true);
  });

  it('suppress and audit build the same requirements from the same hidden set (one implementation)', async () => {
    const t = additiveTable([3, 2], [3, 20, 0, 14, 9, 30]);
    const s = await suppressTable({ header: t.header, rows: t.rows });
    const truth = prepareTable({ header: t.header, rows: t.rows });
    const seen = prepareTable({ header: s.table.header, rows: s.table.rows });
    const hiddenIds = s.table.rows.map((r, i) => (r[2] === '*' ? i : -1)).filter((i) => i >= 0);
    const key = (r: { kind: string; cell: number; constraint?: number }): string => `${r.kind}:${r.cell}:${r.constraint ?? ''}`;
    expect(ruleRequirements(seen.table, hiddenIds, seen.settings).map(key)).toEqual(ruleRequirements(truth.table, hiddenIds, truth.settings).map(key));
  });
});

describe('0 % and 100 % in outcome partitions', () => {
  const spec: TableSpec = {
    version: 1,
    count: 'n',
    dimensions: [
      { column: 'school', total: 'All' },
      { column: 'level', partitions: [{ total: 'tested', parts: ['proficient'], complete: false }] },
    ],
  };
  const table = csv(
    ['school,level,n', 'A,tested,35', 'A,proficient,0', 'B,tested,40', 'B,proficient,40', 'C,tested,50', 'C,proficient,25', 'All,tested,125', 'All,proficient,65'].join('\n'),
  );

  it('by default "0 of 35" and "40 of 40" are hidden; the audit of a table publishing them fails', async () => {
    const r = await suppressTable({ ...table, spec, reportHiddenValues: true });
    const out = new Map(r.table.rows.map((x) => [`${x[0]}/${x[1]}`, x[2]]));
    expect(out.get('A/proficient')).toBe('*');
    expect(out.get('B/proficient') === '*' || out.get('B/tested') === '*').toBe(true);
    expect(r.report.hidden.find((h) => h.line === 3)?.reason).toBe('primary-small');
    expect(r.report.protectExtremes).toBe(true);
    expect((await auditTable({ header: r.table.header, rows: r.table.rows, spec })).ok).toBe(true);
    const naive = await auditTable({ ...table, spec });
    expect(naive.ok).toBe(false);
    expect(naive.published.map((p) => p.line)).toEqual([3, 5]);
  });

  it('--no-protect-extremes publishes them (zeros then mean nobody, as for other partitions)', async () => {
    const r = await suppressTable({ ...table, spec, protectExtremes: false });
    expect(r.report.hidden).toEqual([]);
    expect((await auditTable({ ...table, spec, protectExtremes: false })).ok).toBe(true);
  });
});

describe('rates', () => {
  // Wide layout: the count column (proficient) is the numerator, `tested` the denominator column.
  const wideSpec: TableSpec = {
    version: 1,
    count: 'proficient',
    dimensions: [
      { column: 'school', total: 'All' },
      { column: 'sex', total: 'All' },
    ],
    rates: [{ column: 'pct_proficient', denominator: 'tested' }],
  };
  const wide = csv(
    [
      'school,sex,tested,proficient,pct_proficient',
      'A,F,12,3,25.0',
      'A,M,40,12,30.0',
      'A,All,52,15,28.8',
      'B,F,50,18,36.0',
      'B,M,30,12,40.0',
      'B,All,80,30,37.5',
      'All,F,62,21,33.9',
      'All,M,70,24,34.3',
      'All,All,132,45,34.1',
    ].join('\n'),
  );

  it('a rate is hidden whenever its numerator count is hidden (25.0 % × 12 = 3)', async () => {
    const r = await suppressTable({ ...wide, spec: wideSpec });
    const rows = r.table.rows;
    expect(rows[0]![3]).toBe('*');
    for (const x of rows) if (x[3] === '*') expect(x[4]).toBe('*');
    expect((await auditTable({ header: r.table.header, rows, spec: wideSpec })).ok).toBe(true);
  });

  it('the audit fails a published rate next to its hidden numerator, and the rate band pins the count', async () => {
    const rows = wide.rows.map((x) => x.slice());
    for (const i of [0, 1, 3, 4]) rows[i]![3] = '*'; // counts hidden, rates published
    const a = await auditTable({ header: wide.header, rows, spec: wideSpec });
    expect(a.ok).toBe(false);
    expect(a.published.filter((p) => p.rule === 'published-rate').map((p) => p.line)).toEqual([2, 3, 5, 6]);
    const c = a.cells.find((x) => x.line === 2)!;
    expect([c.lower, c.upper, c.recoverable]).toEqual([3, 3, true]);
  });

  it('long layout (the spec example): 13.6 % of 22 tested implies 3 proficient; hidden with or without a declared numerator', async () => {
    const long = csv(
      ['school,level,students,pct_proficient', 'S1,tested,22,13.6', 'S1,proficient,3,', 'S2,tested,40,50.0', 'S2,proficient,20,', 'All,tested,62,37.1', 'All,proficient,23,'].join('\n'),
    );
    const base: TableSpec = {
      version: 1,
      count: 'students',
      dimensions: [
        { column: 'school', total: 'All' },
        { column: 'level', partitions: [{ total: 'tested', parts: ['proficient'], complete: false }] },
      ],
      rates: [{ column: 'pct_proficient', denominator: 'students' }],
    };
    const undeclared = await suppressTable({ ...long, spec: base, reportHiddenValues: true });
    expect(undeclared.table.rows[0]![3]).toBe('*');
    expect(undeclared.report.hidden.find((h) => h.column === 'pct_proficient' && h.row === 0)?.reason).toBe('primary-numerator');
    const spec: TableSpec = { ...base, rates: [{ column: 'pct_proficient', denominator: 'students', numerator: { column: 'level', value: 'proficient' } }] };
    const declared = await suppressTable({ ...long, spec });
    expect(declared.table.rows[1]![2]).toBe('*');
    expect(declared.table.rows[0]![3]).toBe('*');
    for (const [i, x] of declared.table.rows.entries()) {
      if (x[1] === 'tested' && declared.table.rows[i + 1]![2] === '*') expect(x[3]).toBe('*');
    }
    expect((await auditTable({ header: declared.table.header, rows: declared.table.rows, spec })).ok).toBe(true);
    // the audit of the naive publication fails on the rate
    const naive = long.rows.map((x) => (x[0] === 'S1' && x[1] === 'proficient' ? [x[0]!, x[1]!, '*', ''] : x));
    const a = await auditTable({ header: long.header, rows: naive, spec: base });
    expect(a.published.some((p) => p.line === 2 && p.rule === 'published-rate')).toBe(true);
  });

  it('"12 tested, >95 %" means all 12: top-coding bands widen with the denominator, or the rate is hidden', async () => {
    expect(impliedNumerator(parseRateBand('>95', 100, '*')!, 12, 100)).toEqual([12, 12]);
    expect(codedBand(12, 100, N, 95, 5)).toEqual({}); // no band of 12 can hold n on the small side
    expect(codedBand(200, 100, N, 95, 5)).toEqual({ top: 94, bottom: 6 });
    expect(codedBand(1000, 100, N, 95, 5)).toEqual({ top: 95, bottom: 5 });
    const t = csv(['g,tested,proficient,pct', 'a,12,12,100.0', 'b,200,150,75.0', 'All,212,162,76.4'].join('\n'));
    const spec: TableSpec = { version: 1, count: 'proficient', dimensions: [{ column: 'g', total: 'All' }], rates: [{ column: 'pct', denominator: 'tested' }] };
    const r = await suppressTable({ ...t, spec, topCode: 95, bottomCode: 5 });
    expect(r.table.rows[0]![3]).toBe('*');
    expect(r.table.rows[0]![2]).toBe('*'); // 12 of 12: the count itself says 100 %
  });

  it('"<5 % of 30" with an exact total: the band is widened to reach n students', async () => {
    const b = codedBand(30, 100, N, 95, 5);
    expect(b.bottom).toBe(34);
    expect(impliedNumerator(parseRateBand('<34%', 100, '*')!, 30, 100)).toEqual([0, 10]);
    expect(impliedNumerator(parseRateBand('<5%', 100, '*')!, 30, 100)).toEqual([0, 1]);
    const t = csv(['g,tested,proficient,pct', 'a,30,1,3.3%', 'b,40,20,50.0%', 'c,35,15,42.9%', 'All,105,36,34.3%'].join('\n'));
    const spec: TableSpec = { version: 1, count: 'proficient', dimensions: [{ column: 'g', total: 'All' }], rates: [{ column: 'pct', denominator: 'tested' }] };
    const r = await suppressTable({ ...t, spec, topCode: 95, bottomCode: 5 });
    expect(r.table.rows.map((x) => x[3])).not.toContain('<5%');
    expect(r.table.rows[0]![3]).toBe('*'); // its numerator (1) is hidden
    expect((await auditTable({ header: r.table.header, rows: r.table.rows, spec })).ok).toBe(true);
  });
});

describe('refusals and the solver', () => {
  it('the minimal 3×3 case a0: 0,1,1 / a1: 1,10,11 / All: 1,11,12 is protected, and an independent attacker agrees', async () => {
    const t = csv(['a,b,n', 'a0,b0,0', 'a0,b1,1', 'a0,All,1', 'a1,b0,1', 'a1,b1,10', 'a1,All,11', 'All,b0,1', 'All,b1,11', 'All,All,12'].join('\n'));
    for (const protection of ['threshold', 'range'] as const) {
      const r = await suppressTable({ ...t, protection });
      expect((await auditTable({ header: r.table.header, rows: r.table.rows, protection })).ok).toBe(true);
      const cons: TestConstraint[] = [
        { total: 2, parts: [0, 1] },
        { total: 5, parts: [3, 4] },
        { total: 8, parts: [6, 7] },
        { total: 6, parts: [0, 3] },
        { total: 7, parts: [1, 4] },
        { total: 8, parts: [2, 5] },
      ];
      const published = r.table.rows.map((x) => (x[2] === '*' ? null : Number(x[2])));
      for (const [i, v] of published.entries()) {
        if (v !== null) continue;
        const [lo, hi] = await attackerBounds(published, cons, i);
        expect(hi).toBeGreaterThanOrEqual(N);
        if (protection === 'range') expect(lo).toBe(0);
      }
    }
  });

  it('a published denominator column below n already discloses its count: suppress hides the rate and warns instead of refusing', async () => {
    const t = csv(['g,tested,proficient,pct', 'a,5,3,60.0', 'b,40,20,50.0', 'c,30,12,40.0', 'All,75,35,46.7'].join('\n'));
    const spec: TableSpec = { version: 1, count: 'proficient', dimensions: [{ column: 'g', total: 'All' }], rates: [{ column: 'pct', denominator: 'tested' }] };
    const r = await suppressTable({ ...t, spec, reportHiddenValues: true });
    expect(r.table.rows[0]![3]).toBe('*');
    expect(r.report.warnings).toHaveLength(1);
    expect(r.report.warnings[0]).toMatch(/^line 2: its published denominator is below n = 10/);
    expect((await auditTable({ header: r.table.header, rows: r.table.rows, spec })).ok).toBe(true);
    // with a denominator ≥ n the attacker's count ≤ denominator is used: 12 of 12 tested is hidden (100 %)
    const full = csv(['g,tested,proficient,pct', 'a,12,12,100.0', 'b,40,20,50.0', 'c,30,12,40.0', 'All,82,44,53.7'].join('\n'));
    const f = await suppressTable({ ...full, spec });
    expect(f.table.rows[0]![2]).toBe('*');
    expect(f.report.warnings).toEqual([]);
    const a = await auditTable({ header: full.header, rows: full.rows, spec });
    expect(a.published.filter((p) => p.line === 2).map((p) => p.rule).sort()).toEqual(['published-complement', 'published-rate']);
  });

  it('TABLE_UNPROTECTABLE exits 1 (check failed); input refusals 2; the LP stopping is internal (70)', async () => {
    const { exitStatusOf } = await import('../../cli/exit-status.js');
    const { P20Error } = await import('../../src/errors.js');
    expect(exitStatusOf(new P20Error('TABLE_UNPROTECTABLE', 'x'))).toBe(1);
    expect(exitStatusOf(new P20Error('TABLE_COUNT', 'x'))).toBe(2);
    expect(exitStatusOf(new P20Error('TABLE_OPTIONS', 'x'))).toBe(2);
    expect(exitStatusOf(new P20Error('TABLE_LP', 'x'))).toBe(70);
  });

  it('HiGHS status "unknown" (15): a witness LP gives no witness, a bound LP is re-solved, nothing crashes', async () => {
    const highs = await getHighs();
    const lp = new ComponentLp(highs, 2, [{ vars: [0, 1], coefs: [1, 1], rhs: 20, exact: true }]);
    const model = (lp as unknown as { model: { getModelStatus: () => number } }).model;
    const real = model.getModelStatus.bind(model);
    let unknownLeft = 1;
    model.getModelStatus = () => (unknownLeft-- > 0 ? 15 : real());
    // once unknown, then re-solved from scratch
    expect(lp.optimize({ constant: 0, vars: [0], coefs: [1] }, -1).value).toBe(20);
    // always unknown: a capped witness LP is "no witness"; an uncapped bound LP is an internal error (exit 70), not a verdict
    model.getModelStatus = () => 15;
    expect(lp.optimize({ constant: 0, vars: [0, 1], coefs: [1, 1] }, -1, { vars: [0, 1], upper: [5, 5] }).value).toBeNaN();
    expect(() => lp.optimize({ constant: 0, vars: [0], coefs: [1] }, -1)).toThrow(expect.objectContaining({ code: 'TABLE_LP', kind: 'internal' }));
    lp.dispose();
  });

  it('an infeasible capped witness LP in the audit loop gives no witness instead of crashing', async () => {
    const t = additiveTable([3, 3], [3, 0, 12, 1, 40, 2, 25, 0, 11]);
    const { table, settings } = prepareTable({ header: t.header, rows: t.rows });
    const hidden = new Uint8Array(table.rows.length);
    for (let i = 0; i < hidden.length; i++) if (table.counts[i]! < 13 && table.counts[i]! > 0) hidden[i] = 1;
    const members = [...hidden.keys()].filter((i) => hidden[i]);
    const params: ProtectParams = { minN: 50, protectZero: false, protection: 'threshold' };
    const out = auditComponent(await getHighs(), table, hidden, members, ruleRequirements(table, members, settings), params, { solves: 0 }, { truth: true, full: false });
    expect(out.length).toBeGreaterThan(0);
  });
});

describe('integer check in the audit', () => {
  // A 4-way table (all margins) as an LP-only suppress published it (fixture of table-integer.test.ts).
  const sizes = [3, 3, 2, 2];
  const counts =
    '*,*,*,*,*,*,*,*,*,*,*,27,*,*,*,*,25,*,*,*,*,*,*,*,*,*,65,*,*,70,24,*,*,*,74,*,*,*,*,*,*,*,*,*,34,*,*,*,*,*,*,*,*,50,*,*,*,*,0,*,31,*,*,*,*,75,*,*,*,100,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,19,18,*,*,*,*,*,0,*,*,*,*,*,*,*,*,*,*,*,*,*,51,29,*,*,*,*,*,*,*,60,*,*,*,58,*,*,*,*,114,*,40,*,20,*,*,*,*,113,*,79,*,*,33,*,175,112,287'.split(',');

  it('a hidden cell the LP gives an upper bound of 31 has integer maximum 30: recoverable at n = 31 only with the integer check', async () => {
    const t = additiveTable(sizes, [0]);
    const rows = t.rows.map((r, i) => [...r.slice(0, -1), counts[i]!]);
    const withInt = await auditTable({ header: t.header, rows, minN: 31 });
    const lpOnly = await auditTable({ header: t.header, rows, minN: 31, integerCheck: false });
    const cell = (a: typeof withInt) => a.cells.find((c) => c.row === 99)!;
    // LP alone: the cell's own requirement passes (upper 31 ≥ n); it is flagged only through a complement.
    expect(cell(lpOnly).upper).toBe(31);
    expect(cell(lpOnly).why).not.toBe('upper');
    expect(cell(withInt)).toMatchObject({ recoverable: true, upper: 30, exact: true, why: 'upper' });
  });
});
