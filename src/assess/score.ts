/**
 * Scoring of attack results against the victims' true plaintext (which the
 * attacks never see), the frequency-guess baseline, and the privacy bound
 * every shipped schema must meet (docs/hardening.md).
 */
import { birthYear } from './reference.js';
import type { AttackResult, PlainRecord, Targets } from './types.js';

export interface Rate {
  /** Victims with a correct guess. */
  correct: number;
  /** Victims with any guess. */
  guessed: number;
  /** correct / victims. */
  share: number;
  /** correct / guessed (null without guesses). */
  precision: number | null;
}

export interface AttackScore {
  attack: string;
  detail?: string;
  victims: number;
  first: Rate;
  last: Rate;
  /** First and last name both correct. */
  both: Rate;
  year: Rate;
  /** Correct name guesses / name guesses (first and last together). */
  precision: number | null;
  notes: Record<string, number | string>;
}

export interface Baseline {
  /** Share of victims the single most frequent reference value gets right (= its precision when guessed for everyone). */
  first: number;
  last: number;
  both: number;
  year: number;
}

/** The bound (docs/hardening.md). */
export const BOUND = { firstLast: 0.01, first: 0.05, minGuessesForPrecision: 20 } as const;

const rate = (correct: number, guessed: number, n: number): Rate => ({
  correct,
  guessed,
  share: n === 0 ? 0 : correct / n,
  precision: guessed === 0 ? null : correct / guessed,
});

export function scoreAttack(res: AttackResult, truth: readonly PlainRecord[], t: Targets): AttackScore {
  const n = truth.length;
  const c = { first: 0, last: 0, both: 0, year: 0 };
  const g = { first: 0, last: 0, both: 0, year: 0 };
  for (let i = 0; i < n; i++) {
    const guess = res.guesses[i];
    if (!guess) continue;
    const tr = truth[i]!;
    const fOk = guess.first !== undefined && guess.first === (tr[t.first] ?? '') && guess.first !== '';
    const lOk = guess.last !== undefined && guess.last === (tr[t.last] ?? '') && guess.last !== '';
    if (guess.first !== undefined) g.first++;
    if (guess.last !== undefined) g.last++;
    if (guess.first !== undefined && guess.last !== undefined) g.both++;
    if (fOk) c.first++;
    if (lOk) c.last++;
    if (fOk && lOk) c.both++;
    if (guess.year !== undefined) {
      g.year++;
      if (guess.year === birthYear(tr[t.birth])) c.year++;
    }
  }
  const nameGuesses = g.first + g.last;
  return {
    attack: res.attack,
    ...(res.detail !== undefined ? { detail: res.detail } : {}),
    victims: n,
    first: rate(c.first, g.first, n),
    last: rate(c.last, g.last, n),
    both: rate(c.both, g.both, n),
    year: rate(c.year, g.year, n),
    precision: nameGuesses === 0 ? null : (c.first + c.last) / nameGuesses,
    notes: res.notes,
  };
}

function topValue(values: string[]): string | undefined {
  const m = new Map<string, number>();
  for (const v of values) if (v !== '') m.set(v, (m.get(v) ?? 0) + 1);
  let best: string | undefined;
  let bc = 0;
  for (const [v, c] of m) if (c > bc) [best, bc] = [v, c];
  return best;
}

export function frequencyBaseline(reference: readonly PlainRecord[], truth: readonly PlainRecord[], t: Targets): Baseline {
  const f = topValue(reference.map((r) => r[t.first] ?? ''));
  const l = topValue(reference.map((r) => r[t.last] ?? ''));
  const y = topValue(reference.map((r) => birthYear(r[t.birth])));
  const n = Math.max(1, truth.length);
  let cf = 0;
  let cl = 0;
  let cb = 0;
  let cy = 0;
  for (const tr of truth) {
    const a = f !== undefined && tr[t.first] === f;
    const b = l !== undefined && tr[t.last] === l;
    if (a) cf++;
    if (b) cl++;
    if (a && b) cb++;
    if (y !== undefined && birthYear(tr[t.birth]) === y) cy++;
  }
  return { first: cf / n, last: cl / n, both: cb / n, year: cy / n };
}

/** Why a score breaks the bound (empty = within it). */
export function boundViolations(s: AttackScore, base: Baseline): string[] {
  const out: string[] = [];
  if (s.both.share >= BOUND.firstLast) out.push(`first + last correct for ${(100 * s.both.share).toFixed(2)}% (bound < 1%)`);
  if (s.first.share >= BOUND.first) out.push(`first name correct for ${(100 * s.first.share).toFixed(2)}% (bound < 5%)`);
  const baseP = Math.max(base.first, base.last);
  if (s.precision !== null && s.first.guessed + s.last.guessed >= BOUND.minGuessesForPrecision && s.precision > baseP) {
    out.push(`attacker precision ${s.precision.toFixed(3)} above the frequency baseline ${baseP.toFixed(3)}`);
  }
  return out;
}
