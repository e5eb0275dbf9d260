import type { Highs } from 'highs';
import { P20Error } from '../../errors.js';
import { ComponentLp, type LinearExpr } from './lp.js';
import type { CountTable, ProtectionMode } from './types.js';

/**
 * The attacker's LP bounds, and the protection tests built on them.
 *
 * A *quantity* is a linear expression over cells: a hidden cell x, or the
 * complement T − x of a hidden part x within a constraint T = Σ parts.
 * Its attacker interval is [min, max] of the expression over every
 * non-negative filling of the hidden cells that satisfies all additive
 * constraints with the published cells fixed (integer-rounded: counts are
 * whole numbers).
 *
 * Requirement kinds (one rule, the same for suppress and audit-table; the
 * audit does not know true values nor which cells were primary):
 * - `cell` (every hidden count cell): not exactly recoverable
 *   (upper − lower ≥ 1) and not known to be below n (upper ≥ n: zeros are
 *   published, so a hidden cell known to be < n is small or a hidden zero);
 *   protection `range` also needs lower ≤ 0 unless lower ≥ n.
 * - `complement` (every hidden part x of a constraint): T − x not known to be
 *   small: fails when upper ≤ n − 1 and (upper ≥ 1, or zeros are sensitive
 *   for that constraint: --protect-zero, or an outcome partition with
 *   extremes protected); `range` also needs lower ≤ 0 unless lower ≥ n.
 * - `strong`: kept for compatibility, judged like `cell`.
 *
 * Checking uses witnesses: every feasible point seen (the true table, and
 * each LP optimum) bounds the interval from inside, so a requirement is
 * proven as soon as the seen range satisfies it; only the remaining ones
 * cost an LP solve (min or max). `full` audits solve both LPs for every
 * `cell` requirement so that exact bounds can be reported.
 */
export type ReqKind = 'strong' | 'cell' | 'complement';

export interface Requirement {
  kind: ReqKind;
  /** Hidden cell the requirement protects. */
  cell: number;
  /** For complement / strong-on-complement: the constraint whose total is used. */
  constraint?: number;
  /** Cell ids and coefficients of the quantity. */
  cells: number[];
  coefs: number[];
  /** Complement requirements: a known zero complement (100 %) is sensitive too. */
  zeroSensitive?: boolean;
  /** Constant added to the quantity (a published denominator column d in d − x). Default 0. */
  constant?: number;
}

export interface ReqOutcome {
  req: Requirement;
  ok: boolean;
  /** Integer-rounded interval; exact LP bounds where solved, else the proven inner range. */
  lower: number;
  upper: number;
  lowerExact: boolean;
  upperExact: boolean;
  /** What failed: exact, known-small, lower (needs ≤ 0), upper (needs ≥ n), open-upper (exact maximum needed). */
  why?: string;
  /** ok, and proven by integral points alone: an integer attacker has the same interval at least. */
  integral?: boolean;
}

export interface ProtectParams {
  minN: number;
  protectZero: boolean;
  protection: ProtectionMode;
}

export interface AuditStats {
  solves: number;
  /** Components whose LP proof was verified with integer bounds, and those skipped for size (LP proof only). */
  integerChecked?: number;
  integerSkipped?: number;
}

const EPS = 1e-6;
/** Local witness search: components above LOCAL_MIN cells with at most LOCAL_MAX_REQS open requirements, regions of LOCAL_REGION cells. */
const LOCAL_MIN = 300;
const LOCAL_MAX_REQS = 64;
const LOCAL_REGION = 250;
const lo = (v: number): number => Math.ceil(v - EPS) + 0;
const hi = (v: number): number => (v === Infinity ? Infinity : Math.floor(v + EPS));

/** Connected components of hidden cells linked through shared constraints. */
export function hiddenComponents(table: CountTable, hidden: Uint8Array): number[][] {
  const n = hidden.length;
  const parent = new Int32Array(n).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (const c of table.constraints) {
    let first = -1;
    const visit = (id: number): void => {
      if (!hidden[id]) return;
      if (first < 0) first = id;
      else {
        const a = find(first);
        const b = find(id);
        if (a !== b) parent[a] = b;
      }
    };
    visit(c.total);
    for (const p of c.parts) visit(p);
  }
  for (const x of table.extraRows) {
    let first = -1;
    for (const id of x.cells) {
      if (!hidden[id]) continue;
      if (first < 0) first = id;
      else {
        const a = find(first);
        const b = find(id);
        if (a !== b) parent[a] = b;
      }
    }
  }
  const comps = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!hidden[i]) continue;
    const r = find(i);
    const l = comps.get(r);
    if (l) l.push(i);
    else comps.set(r, [i]);
  }
  return [...comps.values()];
}

function evaluate(cells: number[], coefs: number[], value: (c: number) => number): number {
  let s = 0;
  for (let i = 0; i < cells.length; i++) s += coefs[i]! * value(cells[i]!);
  return s;
}

interface State {
  seenLo: number;
  seenHi: number;
  /** Range over the integral points seen only (they are integer witnesses too). */
  intLo: number;
  intHi: number;
  lower?: number; // exact LP bounds (unrounded)
  upper?: number;
}

/** One attacker row: Σ coefs·x[vars] = rhs (exact) or ≥ rhs. */
export interface AttackerRow {
  vars: number[];
  coefs: number[];
  rhs: number;
  exact: boolean;
}

/**
 * The attacker's rows over the cells in `free` (cell → column), every other
 * cell fixed at its value: the additive constraints and the extra rows (rate
 * bands, numerator ≤ a published denominator) touching a free cell. The LP
 * (here) and the integer check (integer.ts, via its `rows` option) use them.
 */
export function attackerRows(table: CountTable, free: Map<number, number>): AttackerRow[] {
  const counts = table.counts;
  const rows: AttackerRow[] = [];
  const seen = new Set<number>();
  const seenX = new Set<number>();
  const adder = (row: AttackerRow) => (id: number, coef: number): void => {
    const j = free.get(id);
    if (j === undefined) row.rhs -= coef * counts[id]!;
    else {
      row.vars.push(j);
      row.coefs.push(coef);
    }
  };
  for (const c of free.keys()) {
    for (const k of table.cellConstraints[c]!) {
      if (seen.has(k)) continue;
      seen.add(k);
      const con = table.constraints[k]!;
      const row: AttackerRow = { vars: [], coefs: [], rhs: 0, exact: con.complete };
      const add = adder(row);
      add(con.total, 1);
      for (const p of con.parts) add(p, -1);
      rows.push(row);
    }
    for (const k of table.cellExtraRows[c] ?? []) {
      if (seenX.has(k)) continue;
      seenX.add(k);
      const x = table.extraRows[k]!;
      const row: AttackerRow = { vars: [], coefs: [], rhs: x.rhs, exact: x.exact };
      const add = adder(row);
      x.cells.forEach((id, i) => add(id, x.coefs[i]!));
      rows.push(row);
    }
  }
  return rows;
}

/**
 * The one protection rule for a hidden quantity with attacker interval
 * [lower, upper] (LP values; rounded inward here). Returns what fails, or
 * undefined when the requirement holds.
 *
 * Requirements are proven from inner ranges (feasible points seen), so every
 * test must be monotone: if it holds on an interval it holds on any wider
 * one. All are, except "a complement known to be exactly 0 is fine" (zeros
 * not sensitive): [0, 0] passes but [0, 5] does not. That pass needs the
 * exact maximum: without `upperExact` it returns 'open-upper' (solve it).
 */
export function verdict(req: Requirement, lower: number, upper: number, p: ProtectParams, upperExact = false): string | undefined {
  const L = lo(lower);
  const U = hi(upper);
  const n = p.minN;
  if (req.kind !== 'complement') {
    if (U - L < 1) return 'exact';
    if (U < n) return 'upper';
    if (p.protection === 'range' && L > 0) return 'lower';
    return undefined;
  }
  if (U <= n - 1) {
    if (U >= 1 || p.protectZero || req.zeroSensitive === true) return 'known-small';
    if (!upperExact) return 'open-upper';
  }
  return undefined;
}

/**
 * Audit the requirements of one component. `truth` supplies the true cell
 * values when known (suppress mode); it is used as the first witness.
 */
export function auditComponent(
  highs: Highs,
  table: CountTable,
  hidden: Uint8Array,
  members: number[],
  reqs: Requirement[],
  params: ProtectParams,
  stats: AuditStats,
  opts: { truth: boolean; full: boolean },
): ReqOutcome[] {
  const varOf = new Map<number, number>();
  members.forEach((c, j) => varOf.set(c, j));
  const counts = table.counts;
  const exprs = requirementExprs(members, counts, reqs);
  const states: State[] = reqs.map(() => ({ seenLo: Infinity, seenHi: -Infinity, intLo: Infinity, intHi: -Infinity }));
  const see = (point: ArrayLike<number>): void => {
    let integral = true;
    for (let j = 0; j < point.length && integral; j++) if (Math.abs(point[j]! - Math.round(point[j]!)) > EPS) integral = false;
    exprs.forEach((e, i) => {
      const v = e.constant + evaluate(e.vars, e.coefs, (j) => point[j]!);
      const s = states[i]!;
      if (v < s.seenLo) s.seenLo = v;
      if (v > s.seenHi) s.seenHi = v;
      if (integral) {
        if (v < s.intLo) s.intLo = v;
        if (v > s.intHi) s.intHi = v;
      }
    });
  };
  const truth = opts.truth && members.every((c) => !Number.isNaN(counts[c]!)) ? members.map((c) => counts[c]!) : undefined;
  if (truth) see(truth);
  const range = (s: State): [number, number] => [s.lower ?? s.seenLo, s.upper ?? s.seenHi];

  const lpRows = (free: Map<number, number>): AttackerRow[] => attackerRows(table, free);
  let lp: ComponentLp | undefined;
  const getLp = (): ComponentLp => {
    lp ??= new ComponentLp(highs, members.length, lpRows(varOf));
    return lp;
  };
  const solve = (i: number, sense: 1 | -1): void => {
    const r = getLp().optimize(exprs[i]!, sense);
    stats.solves++;
    const s = states[i]!;
    if (sense === 1) s.lower = r.value;
    else s.upper = r.value;
    if (r.point) see(r.point);
  };

  try {
    // Batch witnesses: LPs pushing every not-yet-proven cell down (Σ min) or up
    // (Σ max) at once; each optimum is a feasible point that may prove many
    // requirements. Repeat while it keeps proving; the rest get their own LPs.
    const needs = (i: number): 'low' | 'high' | undefined => {
      const req = reqs[i]!;
      const s = states[i]!;
      if (req.kind === 'complement') return undefined;
      if (opts.full && req.kind === 'cell') return s.upper === undefined ? 'high' : s.lower === undefined ? 'low' : undefined;
      const why = verdict(req, ...range(s), params, s.upper !== undefined);
      if (why === undefined) return undefined;
      if (why === 'lower') return s.lower === undefined ? 'low' : undefined;
      return s.upper === undefined ? 'high' : undefined;
    };
    const capsFor = (vars: number[]): { vars: number[]; upper: number[] } => {
      const cv: number[] = [];
      const up: number[] = [];
      for (const j of vars) {
        const t = counts[members[j]!]!;
        cv.push(j);
        up.push(Number.isNaN(t) ? params.minN : Math.max(params.minN, t + 1));
      }
      return { vars: cv, upper: up };
    };
    // Few requirements left in a big component (later rounds): look for witnesses
    // in a small region around them first, every other cell fixed at its true
    // value. Those points are feasible for the whole component, so what they
    // prove is proven; only what they cannot prove reaches the big LP.
    if (truth && !opts.full && members.length > LOCAL_MIN) {
      const pend = reqs.map((_, i) => i).filter((i) => needs(i) !== undefined);
      if (pend.length > 0 && pend.length <= LOCAL_MAX_REQS) {
        const region = new Map<number, number>();
        const queue: number[] = [];
        const addCell = (c: number): void => {
          if (region.size >= LOCAL_REGION || region.has(c) || !varOf.has(c)) return;
          region.set(c, region.size);
          queue.push(c);
        };
        for (const i of pend) for (const c of reqs[i]!.cells) addCell(c);
        for (let q = 0; q < queue.length && region.size < LOCAL_REGION; q++) {
          for (const k of table.cellConstraints[queue[q]!]!) {
            const con = table.constraints[k]!;
            addCell(con.total);
            for (const p of con.parts) addCell(p);
          }
        }
        const sub = new ComponentLp(highs, region.size, lpRows(region));
        try {
          for (const i of pend) {
            for (let guard = 0; guard < 2; guard++) {
              const d = needs(i);
              if (d === undefined) break;
              const e = exprs[i]!;
              const le: LinearExpr = { constant: e.constant, vars: [], coefs: [] };
              e.vars.forEach((j, t) => {
                const l = region.get(members[j]!);
                if (l === undefined) le.constant += e.coefs[t]! * truth[j]!;
                else {
                  le.vars.push(l);
                  le.coefs.push(e.coefs[t]!);
                }
              });
              if (le.vars.length === 0) break;
              let r: { value: number; point?: Float64Array };
              try {
                r = sub.optimize(le, d === 'low' ? 1 : -1);
              } catch (e) {
                if (!(e instanceof P20Error && e.code === 'TABLE_LP')) throw e;
                break; // a witness search only
              }
              stats.solves++;
              if (!r.point) break;
              const full = truth.slice();
              for (const [c, l] of region) full[varOf.get(c)!] = r.point[l]!;
              const before = range(states[i]!);
              see(full);
              const after = range(states[i]!);
              if (before[0] === after[0] && before[1] === after[1]) break; // no progress locally
            }
          }
        } finally {
          sub.dispose();
        }
      }
    }
    if (members.length > 1 && !opts.full) {
      let highUnbounded = false;
      for (let round = 0; round < 12; round++) {
        const low = new Set<number>();
        const high = new Set<number>();
        let before = 0;
        reqs.forEach((_, i) => {
          const d = needs(i);
          if (d !== undefined) before++;
          if (d === 'low') for (const v of exprs[i]!.vars) low.add(v);
          else if (d === 'high' && !highUnbounded) for (const v of exprs[i]!.vars) high.add(v);
        });
        if (low.size + high.size <= 2) break;
        for (const [set, sense] of [[low, 1], [high, -1]] as const) {
          if (set.size <= 1) continue;
          const vars = [...set];
          // Upward: cap each cell just above what it must reach (n, or its true value + 1)
          // so the optimum spreads over many cells instead of piling onto a few.
          const caps = sense === -1 ? capsFor(vars) : undefined;
          let r = getLp().optimize({ constant: 0, vars, coefs: vars.map(() => 1) }, sense, caps);
          stats.solves++;
          if (!r.point && Number.isNaN(r.value)) {
            // Caps infeasible (or solver status unknown): uncapped; a witness only, so a failed solve is no witness.
            try {
              r = getLp().optimize({ constant: 0, vars, coefs: vars.map(() => 1) }, sense);
            } catch (e) {
              if (!(e instanceof P20Error && e.code === 'TABLE_LP')) throw e;
            }
            stats.solves++;
          }
          if (r.point) see(r.point);
          else if (sense === -1 && r.value === Infinity) highUnbounded = true;
        }
        let after = 0;
        reqs.forEach((_, i) => {
          if (needs(i) !== undefined) after += 1;
        });
        if (after > 0.8 * before) break;
      }
    }
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i]!;
      const s = states[i]!;
      if (opts.full && req.kind === 'cell') {
        if (s.upper === undefined) solve(i, -1);
        if (s.lower === undefined) solve(i, 1);
        continue;
      }
      for (let guard = 0; guard < 2; guard++) {
        const why = verdict(req, ...range(s), params, s.upper !== undefined);
        if (why === undefined) break;
        // Solve the direction most likely to prove it.
        if (why === 'lower') {
          if (s.lower !== undefined) break;
          solve(i, 1);
        } else if (s.upper === undefined) solve(i, -1);
        else if (s.lower === undefined) solve(i, 1);
        else break;
      }
    }
  } finally {
    lp?.dispose();
  }

  return reqs.map((req, i) => {
    const s = states[i]!;
    const [a, b] = range(s);
    const why = verdict(req, a, b, params, s.upper !== undefined);
    // Proven by integer points alone (the LP optimum used was integral): the integer check has nothing to add.
    const intUpperExact = s.upper !== undefined && s.intHi >= hi(s.upper);
    const integral = why === undefined && s.intLo <= s.intHi && verdict(req, s.intLo, s.intHi, params, intUpperExact) === undefined;
    return {
      integral,
      req,
      ok: why === undefined,
      lower: lo(a),
      upper: hi(b),
      lowerExact: s.lower !== undefined,
      upperExact: s.upper !== undefined,
      ...(why === undefined ? {} : { why }),
    };
  });
}

/**
 * Each requirement as a linear expression over a component's variables
 * (`members[j]` is variable j): hidden cells become variables, published
 * cells move into the constant.
 */
export function requirementExprs(members: readonly number[], counts: ArrayLike<number>, reqs: readonly Requirement[]): LinearExpr[] {
  const varOf = new Map<number, number>();
  members.forEach((c, j) => varOf.set(c, j));
  return reqs.map((r) => {
    const e: LinearExpr = { constant: r.constant ?? 0, vars: [], coefs: [] };
    r.cells.forEach((c, i) => {
      const j = varOf.get(c);
      if (j === undefined) e.constant += r.coefs[i]! * counts[c]!;
      else {
        e.vars.push(j);
        e.coefs.push(r.coefs[i]!);
      }
    });
    return e;
  });
}
