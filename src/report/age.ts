/**
 * Birth dates to ages and age bands for the bias report. Accepts the layouts
 * agencies use: YYYY-MM-DD, MM/DD/YYYY, YYYYMMDD.
 */
export interface Ymd {
  y: number;
  m: number;
  d: number;
}

export function parseDate(s: string): Ymd | undefined {
  const t = s.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  let ymd: Ymd | undefined;
  if (m) ymd = { y: +m[1]!, m: +m[2]!, d: +m[3]! };
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) ymd = { y: +m[3]!, m: +m[1]!, d: +m[2]! };
  else if ((m = /^(\d{4})(\d{2})(\d{2})$/.exec(t))) ymd = { y: +m[1]!, m: +m[2]!, d: +m[3]! };
  if (!ymd) return undefined;
  if (ymd.m < 1 || ymd.m > 12 || ymd.d < 1) return undefined;
  const dim = new Date(Date.UTC(ymd.y, ymd.m, 0)).getUTCDate();
  return ymd.d <= dim ? ymd : undefined;
}

/** Whole years from birth to the reference date (undefined if birth is after it). */
export function ageOn(birth: Ymd, on: Ymd): number | undefined {
  let a = on.y - birth.y;
  if (on.m < birth.m || (on.m === birth.m && on.d < birth.d)) a--;
  return a < 0 ? undefined : a;
}

/** Lower edges of the age bands (the last band is open). */
export const AGE_BAND_EDGES = [0, 18, 21, 25, 30, 35, 45, 55, 65] as const;

export function ageBand(age: number): string {
  const e = AGE_BAND_EDGES;
  for (let i = e.length - 1; i >= 0; i--) {
    if (age >= e[i]!) {
      if (i === e.length - 1) return `${e[i]}+`;
      if (i === 0) return `under ${e[1]}`;
      return `${e[i]}-${e[i + 1]! - 1}`;
    }
  }
  return 'unknown';
}

export function ageBandOrder(label: string): number {
  const m = /^(\d+)/.exec(label);
  return label.startsWith('under') ? -1 : m ? Number(m[1]) : 1e9;
}
