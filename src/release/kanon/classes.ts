/**
 * Equivalence classes of a record file: records that share every
 * quasi-identifier value. One pass, memory proportional to the number of
 * classes (sensitive values are kept per class only as far as the l-diversity
 * measure needs: a capped list for distinct l, counts for entropy l).
 */
import { P20Error } from '../../errors.js';
import { missingColumnError } from '../../io/csv.js';
import type { DiversityResult, HistogramBucket, KCheckResult, KSettings, SizeBucket, SmallClass } from './types.js';

/** Separator of quasi-identifier values inside a class key (NUL is refused in values). */
export const KEY_SEP = '\u0000';

/** Distinct sensitive values are counted per class up to this many (bounded memory, exact below it). */
export function distinctCap(l: number): number {
  return Math.max(l + 1, 10);
}

interface ClassStats {
  size: number;
  /** Per sensitive attribute: distinct values (capped) or value → count (entropy mode). */
  sens: (string[] | Map<string, number>)[];
}

/** Column positions of the declared attributes; throws naming the file and the missing column (and the CSV option to read it with, when the dialect the file was read in may be why: dialectNote). */
export function resolveColumns(header: readonly string[], settings: KSettings, file: string, dialect: { delimiter?: string; trim?: boolean } = {}): { qiIdx: number[]; sensIdx: number[] } {
  const pos = new Map(header.map((h, i) => [h, i] as const));
  const find = (name: string, what: string): number => {
    const i = pos.get(name);
    if (i === undefined) {
      throw missingColumnError('KCHECK_COLUMN', `${what} column "${name}" is not in the header (columns: ${header.join(', ')})`, { file, line: 1, field: name }, header, dialect);
    }
    return i;
  };
  return {
    qiIdx: settings.qi.map((q) => find(q, 'quasi-identifier')),
    sensIdx: settings.sensitive.map((s) => find(s, 'sensitive')),
  };
}

/** Build the class key of a row's quasi-identifier values (refuses NUL inside a value). */
export function classKey(values: readonly string[], file: string, line: number, qi: readonly string[]): string {
  for (let i = 0; i < values.length; i++) {
    if (values[i]!.includes(KEY_SEP)) {
      throw new P20Error('KCHECK_VALUE', 'value contains a NUL character', { file, line, field: qi[i] });
    }
  }
  return values.length === 1 ? values[0]! : values.join(KEY_SEP);
}

export class ClassAccumulator {
  readonly classes = new Map<string, ClassStats>();
  rows = 0;
  private readonly cap: number;
  private readonly entropy: boolean;
  private readonly qiVals: string[];

  constructor(
    readonly settings: KSettings,
    private readonly qiIdx: readonly number[],
    private readonly sensIdx: readonly number[],
    private readonly file: string,
  ) {
    this.cap = distinctCap(settings.l);
    this.entropy = settings.entropyL;
    this.qiVals = new Array<string>(qiIdx.length);
  }

  /** Add one record (all header fields). */
  add(fields: readonly string[], line: number): void {
    const q = this.qiVals;
    for (let i = 0; i < this.qiIdx.length; i++) q[i] = fields[this.qiIdx[i]!]!;
    const key = classKey(q, this.file, line, this.settings.qi);
    this.addKeyed(key, fields);
  }

  /** Add a record whose class key is already known. */
  addKeyed(key: string, fields: readonly string[]): void {
    this.rows++;
    let c = this.classes.get(key);
    if (c === undefined) {
      c = { size: 0, sens: this.sensIdx.map(() => (this.entropy ? new Map<string, number>() : [])) };
      this.classes.set(key, c);
    }
    c.size++;
    for (let j = 0; j < this.sensIdx.length; j++) {
      const v = fields[this.sensIdx[j]!]!;
      const s = c.sens[j]!;
      if (Array.isArray(s)) {
        if (s.length < this.cap && !s.includes(v)) s.push(v);
      } else {
        s.set(v, (s.get(v) ?? 0) + 1);
      }
    }
  }

  /** Summarize against the settings' k and l. */
  result(input: string, seconds: number, listSmall = 0): KCheckResult {
    return summarize(this, input, seconds, listSmall);
  }
}

function entropyOf(counts: Map<string, number>, total: number): number {
  let h = 0;
  for (const c of counts.values()) {
    const p = c / total;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

const EPS = 1e-9;

function summarize(acc: ClassAccumulator, input: string, seconds: number, listSmall: number): KCheckResult {
  const s = acc.settings;
  const k = s.k;
  let minSize = Number.POSITIVE_INFINITY;
  let classesBelowK = 0;
  let recordsBelowK = 0;
  const small = new Map<number, SizeBucket>();
  const hist = new Map<number, HistogramBucket>();
  const cap = distinctCap(s.l);
  const div = s.sensitive.map(
    (attribute): DiversityResult => ({
      attribute,
      distinctL: Number.POSITIVE_INFINITY,
      distinctLCapped: false,
      entropyL: s.entropyL ? Number.POSITIVE_INFINITY : null,
      classesBelowL: 0,
      recordsBelowL: 0,
    }),
  );
  const smallClasses: SmallClass[] = [];

  for (const [key, c] of acc.classes) {
    if (c.size < minSize) minSize = c.size;
    if (c.size < k) {
      classesBelowK++;
      recordsBelowK += c.size;
      const b = small.get(c.size) ?? { size: c.size, classes: 0, records: 0 };
      b.classes++;
      b.records += c.size;
      small.set(c.size, b);
      if (smallClasses.length < listSmall) {
        const parts = s.qi.length === 1 ? [key] : key.split(KEY_SEP);
        smallClasses.push({ size: c.size, values: Object.fromEntries(s.qi.map((q, i) => [q, parts[i] ?? ''])) });
      }
    }
    // histogram: below k one by one, then [k·2^i, k·2^(i+1) − 1]
    let from: number;
    let to: number;
    if (c.size < k) {
      from = to = c.size;
    } else {
      const i = Math.floor(Math.log2(c.size / k) + EPS);
      from = k * 2 ** i;
      to = k * 2 ** (i + 1) - 1;
      if (c.size < from) {
        from /= 2;
        to = from * 2 - 1;
      } else if (c.size > to) {
        from *= 2;
        to = from * 2 - 1;
      }
    }
    const hb = hist.get(from) ?? { from, to, classes: 0, records: 0 };
    hb.classes++;
    hb.records += c.size;
    hist.set(from, hb);

    for (let j = 0; j < div.length; j++) {
      const d = div[j]!;
      const sv = c.sens[j]!;
      let distinct: number;
      let failed = false;
      if (Array.isArray(sv)) {
        distinct = sv.length;
      } else {
        distinct = sv.size;
        const e = entropyOf(sv, c.size);
        if (e < d.entropyL!) d.entropyL = e;
        if (e < s.l - EPS) failed = true;
      }
      if (distinct < d.distinctL) d.distinctL = distinct;
      if (distinct < s.l) failed = true;
      if (failed) {
        d.classesBelowL++;
        d.recordsBelowL += c.size;
      }
    }
  }

  const rows = acc.rows;
  const empty = acc.classes.size === 0;
  for (const d of div) {
    if (empty) {
      d.distinctL = 0;
      if (d.entropyL !== null) d.entropyL = 0;
    } else if (!s.entropyL && d.distinctL >= cap) {
      d.distinctL = cap;
      d.distinctLCapped = true;
    }
    if (d.entropyL !== null) d.entropyL = Math.round(d.entropyL * 1e6) / 1e6;
  }
  const failures: string[] = [];
  if (!empty) {
    if (classesBelowK > 0) {
      failures.push(`k = ${minSize} is below the required k = ${k}: ${classesBelowK} class(es) holding ${recordsBelowK} record(s) are too small`);
    }
    for (const d of div) {
      if (d.classesBelowL > 0) {
        const measure = s.entropyL ? `distinct l = ${d.distinctL}, entropy l = ${d.entropyL}` : `distinct l = ${d.distinctL}`;
        failures.push(
          `sensitive attribute "${d.attribute}": ${measure} is below the required l = ${s.l}: ` +
            `${d.classesBelowL} class(es) holding ${d.recordsBelowL} record(s)`,
        );
      }
    }
  }
  const result: KCheckResult = {
    input,
    rows,
    qi: [...s.qi],
    sensitive: [...s.sensitive],
    requiredK: k,
    requiredL: s.l,
    entropyLRequired: s.entropyL,
    k: empty ? 0 : minSize,
    classes: acc.classes.size,
    classesBelowK,
    recordsBelowK,
    smallSizes: [...small.values()].sort((a, b) => a.size - b.size),
    histogram: [...hist.values()].sort((a, b) => a.from - b.from),
    diversity: div,
    passed: failures.length === 0,
    failures,
    seconds,
  };
  if (listSmall > 0) result.smallClasses = smallClasses;
  return result;
}
