import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvRows } from '../helpers/csv-rows.js';
import { tempDir } from '../helpers/tmp.js';
import { DOB_MISSING, DUPLICATE_SHARE, EXTRA_ERRORS, HEADERS, ID_COLUMN, PARTIES, collegeRow, idMaker, k12Row, wagesRow } from '../../src/synth/agencies.js';
import { generateExtracts, type GenerateSummary } from '../../src/synth/generate.js';
import { SIBLING_SHARE, TWIN_SHARE, makePerson } from '../../src/synth/population.js';
import { NAMES } from '../../src/synth/names.js';
import { generateMain } from '../../examples/generate.js';
import { runCli } from '../helpers/cli.js';

const tmp = (): string => tempDir('p20-realism-');
const rows = csvRows;

const PEOPLE = 5000;
let dir = '';
let summary: GenerateSummary;

beforeAll(async () => {
  dir = await tmp();
  summary = await generateExtracts({ people: PEOPLE, seed: 31, outDir: dir, realism: 'full' });
});

describe("generator, realism 'full'", () => {
  it('is deterministic and differs from the basic generator only by the added trouble', async () => {
    const again = await tmp();
    await generateExtracts({ people: 1200, seed: 31, outDir: again, realism: 'full' });
    const first = await tmp();
    await generateExtracts({ people: 1200, seed: 31, outDir: first, realism: 'full' });
    for (const f of ['k12.csv', 'college.csv', 'wages.csv', 'truth.csv', 'trouble.csv', 'people.csv', 'generation.json']) {
      expect((await readFile(join(again, f))).equals(await readFile(join(first, f))), f).toBe(true);
    }
    // a person with no family tie and no adopted name, and a record without full-only trouble, is the basic one
    const ids = idMaker(31, 1200);
    let same = 0;
    for (let i = 0; i < 400; i++) {
      const full = makePerson(31, i, 'full');
      const basic = makePerson(31, i);
      if (full.family || full.englishName !== undefined || full.marriedSurname !== basic.marriedSurname) continue;
      expect(full).toEqual(basic);
      for (const row of [k12Row, collegeRow, wagesRow]) {
        const f = row(31, full, ids, { realism: 'full' });
        const b = row(31, basic, ids);
        if (f.trouble.some((t) => t === 'dob_missing' || t === 'name_order_swapped')) continue;
        expect(f).toEqual(b);
        same++;
      }
    }
    expect(same).toBeGreaterThan(500);
  });

  it('writes people.csv with every person once, and the K-12 race code agrees with the group', async () => {
    const people = await rows(join(dir, 'people.csv'));
    expect(people.header).toEqual(['entity_id', 'group', 'sex', 'family', 'family_of']);
    expect(people.data.length).toBe(PEOPLE);
    const byEntity = new Map(people.data.map((r) => [r[0]!, r]));
    const truth = await rows(join(dir, 'truth.csv'));
    const entityOf = new Map(truth.data.map(([e, p, r]) => [`${p}/${r}`, e!]));
    const k12 = await rows(join(dir, 'k12.csv'));
    const code: Record<string, string> = { HI: 'Hispanic', WH: 'White', BL: 'Black', AS: 'Asian', AI: 'American Indian', PI: 'Pacific Islander', MR: 'Two or more' };
    for (const r of k12.data) {
      const e = entityOf.get(`k12/${r[0]}`)!;
      expect(byEntity.get(e)![1]).toBe(code[r[6]!]);
      expect(byEntity.get(e)![2]).toBe(r[5]);
    }
  });

  it('has birth dates missing and second records at about the documented rates, per party', async () => {
    for (const p of PARTIES) {
      const missing = summary.trouble[p].dob_missing ?? 0;
      const expected = DOB_MISSING[p] * summary.rows[p];
      expect(missing, p).toBeGreaterThan(expected * 0.6);
      expect(missing, p).toBeLessThan(expected * 1.5 + 5);
      const dups = summary.trouble[p].duplicate_record ?? 0;
      const people = summary.rows[p] - dups;
      expect(dups, p).toBeGreaterThan(DUPLICATE_SHARE[p] * people * 0.6);
      expect(dups, p).toBeLessThan(DUPLICATE_SHARE[p] * people * 1.5 + 5);
    }
    const f = summary.family!;
    expect(f.twins).toBeGreaterThan(TWIN_SHARE * PEOPLE * 0.6);
    expect(f.twins).toBeLessThan(TWIN_SHARE * PEOPLE * 1.5);
    expect(f.siblings).toBeGreaterThan(SIBLING_SHARE * PEOPLE * 0.7);
    expect(summary.trouble.college.name_order_swapped ?? 0).toBeGreaterThan(0);
    expect(summary.trouble.college.adopted_name ?? 0).toBeGreaterThan(0);
    expect(summary.trouble.wages.adopted_name ?? 0).toBeGreaterThan(0);
    expect(summary.trouble.k12.adopted_name ?? 0).toBe(0);
  });

  it('a second record in one file is the same entity in the truth, with an id of its own; a missing birth date is an empty field', async () => {
    const truth = await rows(join(dir, 'truth.csv'));
    const trouble = await rows(join(dir, 'trouble.csv'));
    const troubleOf = new Map(trouble.data.map(([p, r, t]) => [`${p}/${r}`, t!.split(';')]));
    const perEntityParty = new Map<string, number>();
    const allIds = new Set<string>();
    for (const [e, p, r] of truth.data) {
      const k = `${e}/${p}`;
      perEntityParty.set(k, (perEntityParty.get(k) ?? 0) + 1);
      expect(allIds.has(r!)).toBe(false);
      allIds.add(r!);
    }
    const twice = [...perEntityParty.values()].filter((n) => n === 2).length;
    expect([...perEntityParty.values()].every((n) => n <= 2)).toBe(true);
    const dupRecords = truth.data.filter(([, p, r]) => troubleOf.get(`${p}/${r}`)?.includes('duplicate_record')).length;
    expect(twice).toBe(dupRecords);
    for (const p of PARTIES) {
      const f = await rows(join(dir, `${p}.csv`));
      expect(f.header).toEqual([...HEADERS[p]]);
      const idIdx = f.header.indexOf(ID_COLUMN[p]);
      const dobIdx = 4;
      for (const r of f.data) {
        const t = troubleOf.get(`${p}/${r[idIdx]}`) ?? [];
        expect(r[dobIdx] === '', `${p}/${r[idIdx]}`).toBe(t.includes('dob_missing'));
      }
    }
  });

  it('twins share surname, birth date and ZIP with other first names; siblings share surname and ZIP, not the birth year', () => {
    let twins = 0;
    let siblings = 0;
    for (let i = 0; i < 3000; i++) {
      const p = makePerson(7, i, 'full');
      if (!p.family) continue;
      const o = makePerson(7, p.family.of, 'full');
      expect(p.family.of).toBe(i - 1);
      expect(p.surnameParts).toEqual(o.surnameParts);
      expect(p.zip).toBe(o.zip);
      expect(p.group).toBe(o.group);
      expect(p.first).not.toBe(o.first);
      if (p.family.kind === 'twin') {
        twins++;
        expect(p.birth).toEqual(o.birth);
      } else {
        siblings++;
        expect(p.birth.y).not.toBe(o.birth.y);
      }
    }
    expect(twins).toBeGreaterThan(10);
    expect(siblings).toBeGreaterThan(200);
  });

  it('adopted English names go to people with a heritage given name, and show in college and wage records only', () => {
    const english = new Set([...NAMES.White.first.M, ...NAMES.White.first.F].map((e) => e[0]));
    const ids = idMaker(3);
    let seen = 0;
    for (let i = 0; i < 4000; i++) {
      const p = makePerson(3, i, 'full');
      if (p.englishName === undefined) continue;
      expect(english.has(p.first)).toBe(false);
      expect(english.has(p.englishName)).toBe(true);
      const w = wagesRow(3, p, ids, { realism: 'full' });
      if (w.trouble.includes('adopted_name') && !w.trouble.includes('typo') && !w.trouble.includes('name_order_swapped')) {
        expect(w.fields[2]).toBe(p.englishName.toUpperCase());
        seen++;
      }
      expect(k12Row(3, p, ids, { realism: 'full' }).trouble).not.toContain('adopted_name');
    }
    expect(seen).toBeGreaterThan(10);
  });

  it('refuses an unknown realism', async () => {
    await expect(generateExtracts({ people: 10, seed: 1, outDir: await tmp(), realism: 'extreme' as 'full' })).rejects.toThrow(/realism/);
  });

  it('the generator command takes --realism full (and refuses another value with exit 2)', async () => {
    const out = await tmp();
    const ok = await runCli(['--people', '300', '--seed', '5', '--out', out, '--realism', 'full'], { entry: generateMain });
    expect(ok.code).toBe(0);
    const people = await rows(join(out, 'people.csv'));
    expect(people.data.length).toBe(300);
    const gen = JSON.parse(await readFile(join(out, 'generation.json'), 'utf8')) as { realism?: string };
    expect(gen.realism).toBe('full');
    const bad = await runCli(['--people', '300', '--out', await tmp(), '--realism', 'extreme'], { entry: generateMain });
    expect(bad.code).toBe(2);
    expect(bad.all).toMatch(/realism/);
  });
});

describe('generator, extra errors (kinds no choice of the model was made on)', () => {
  const N = 4000;
  let plain = '';
  let extra = '';
  let sum: GenerateSummary;
  const FIELDS = { k12: { first: 2, last: 1, middle: 3, dob: 4, sex: 5, zip: 15 }, college: { first: 1, last: 3, middle: 2, dob: 4, sex: 5, zip: 12 }, wages: { first: 2, last: 1, middle: 3, dob: 4, sex: 5, zip: 6 } } as const;
  const KINDS = ['mi_differs', 'sex_miscoded', 'dob_wrong', 'zip_typo', 'name_truncated'];

  beforeAll(async () => {
    plain = await tmp();
    extra = await tmp();
    await generateExtracts({ people: N, seed: 77, outDir: plain, realism: 'full', names: 'long-tail' });
    sum = await generateExtracts({ people: N, seed: 77, outDir: extra, realism: 'full', names: 'long-tail', extraErrors: true });
  });

  it('changes only the fields of the errors it records, each the way its kind says', async () => {
    expect(sum.extraErrors).toBe(true);
    const troubles = async (d: string) => new Map((await rows(join(d, 'trouble.csv'))).data.map(([p, r, t]) => [`${p}/${r}`, t!.split(';')]));
    const tp = await troubles(plain);
    const tx = await troubles(extra);
    const seen = new Map<string, number>();
    for (const p of PARTIES) {
      const a = await rows(join(plain, `${p}.csv`));
      const b = await rows(join(extra, `${p}.csv`));
      const byId = new Map(a.data.map((r) => [r[0]!, r]));
      expect(b.data.length).toBe(a.data.length);
      const f = FIELDS[p];
      for (const r of b.data) {
        const o = byId.get(r[0]!)!;
        const key = `${p}/${r[0]}`;
        const before = tp.get(key) ?? [];
        const after = tx.get(key) ?? [];
        const added = after.filter((t) => KINDS.includes(t));
        expect(after.filter((t) => !KINDS.includes(t)), key).toEqual(before);
        for (const t of added) seen.set(`${p}/${t}`, (seen.get(`${p}/${t}`) ?? 0) + 1);
        const changed = new Set(r.map((v, i) => (v !== o[i] ? i : -1)).filter((i) => i >= 0));
        const allowed = new Set<number>();
        if (added.includes('mi_differs')) {
          allowed.add(f.middle);
          expect(o[f.middle]).not.toBe('');
          expect(r[f.middle]![0]!.toUpperCase()).not.toBe(o[f.middle]![0]!.toUpperCase());
        }
        if (added.includes('sex_miscoded')) {
          allowed.add(f.sex);
          expect(`${o[f.sex]}${r[f.sex]}`).toMatch(/^(MF|FM)$/);
        }
        if (added.includes('dob_wrong')) {
          allowed.add(f.dob);
          expect(o[f.dob]).not.toBe('');
          expect(r[f.dob]).not.toBe(o[f.dob]);
          const year = (s: string) => Number(p === 'k12' ? s.slice(6) : s.slice(0, 4));
          expect(Math.abs(year(r[f.dob]!) - year(o[f.dob]!))).toBeLessThanOrEqual(4);
        }
        if (added.includes('zip_typo')) {
          allowed.add(f.zip);
          expect([...r[f.zip]!].filter((c, i) => c !== o[f.zip]![i]).length).toBe(1);
        }
        if (added.includes('name_truncated')) {
          allowed.add(f.first).add(f.last);
          expect(o[f.first]!.startsWith(r[f.first]!) && o[f.last]!.startsWith(r[f.last]!)).toBe(true);
          expect(o[f.first]!.length > 12 || o[f.last]!.length > 15).toBe(true);
        }
        if (p === 'wages') expect(r[f.first]!.length <= 12 && r[f.last]!.length <= 15, key).toBe(true);
        for (const i of changed) expect(allowed.has(i), `${key} field ${i}`).toBe(true);
      }
    }
    // every kind happens, at about its rate (of all records: a loose band)
    for (const [k, rate] of Object.entries(EXTRA_ERRORS)) {
      const n = PARTIES.reduce((s, p) => s + (seen.get(`${p}/${k}`) ?? 0), 0);
      const rowsAll = PARTIES.reduce((s, p) => s + sum.rows[p], 0);
      expect(n, k).toBeGreaterThan(rate * rowsAll * 0.3);
      expect(n, k).toBeLessThan(rate * rowsAll * 1.5 + 5);
    }
    expect(seen.get('wages/name_truncated') ?? 0).toBeGreaterThan(0);
    expect(seen.get('k12/name_truncated') ?? 0).toBe(0);
  });

  it('the truth and the people are those of the same full-realism run', async () => {
    for (const f of ['truth.csv', 'people.csv']) expect((await readFile(join(extra, f))).equals(await readFile(join(plain, f))), f).toBe(true);
  });

  it('refuses extra errors without realism full', async () => {
    await expect(generateExtracts({ people: 10, seed: 1, outDir: await tmp(), extraErrors: true })).rejects.toThrow(/realism full/);
  });
});

describe('generator, recording errors scaled (troubleScale)', () => {
  const N = 8000;
  const SCALED = ['typo', 'nickname', 'day_month_swap', 'dob_typo', 'dob_missing', 'name_order_swapped', 'duplicate_record'];
  const KEPT = ['married_name', 'zip_moved', 'adopted_name', 'compound_hyphenated', 'diacritics_dropped'];
  let plain: GenerateSummary;
  let plainDir = '';
  const scaled = new Map<number, { dir: string; sum: GenerateSummary }>();

  beforeAll(async () => {
    plainDir = await tmp();
    plain = await generateExtracts({ people: N, seed: 77, outDir: plainDir, realism: 'full', names: 'long-tail' });
    for (const s of [1, 0.5, 2]) {
      const d = await tmp();
      scaled.set(s, { dir: d, sum: await generateExtracts({ people: N, seed: 77, outDir: d, realism: 'full', names: 'long-tail', troubleScale: s }) });
    }
  });

  const total = (sum: GenerateSummary, kind: string): number => PARTIES.reduce((a, p) => a + ((sum.trouble[p] as Record<string, number>)[kind] ?? 0), 0);

  it('at 1 writes the full rows byte for byte', async () => {
    const one = scaled.get(1)!;
    expect(one.sum.troubleScale).toBeUndefined();
    for (const f of ['k12.csv', 'college.csv', 'wages.csv', 'truth.csv', 'trouble.csv', 'people.csv']) {
      expect((await readFile(join(one.dir, f))).equals(await readFile(join(plainDir, f))), f).toBe(true);
    }
  });

  it('multiplies the rate of each recording error and leaves life events and habits as they were', async () => {
    for (const s of [0.5, 2]) {
      const { sum, dir: d } = scaled.get(s)!;
      expect(sum.troubleScale).toBe(s);
      for (const k of SCALED) {
        const before = total(plain, k);
        expect(before, k).toBeGreaterThan(40);
        const ratio = total(sum, k) / before;
        expect(ratio, `${k} ×${s}`).toBeGreaterThan(s * 0.7);
        expect(ratio, `${k} ×${s}`).toBeLessThan(s * 1.35);
      }
      for (const k of KEPT) {
        const ratio = total(sum, k) / total(plain, k);
        expect(ratio, `${k} ×${s}`).toBeGreaterThan(0.85);
        expect(ratio, `${k} ×${s}`).toBeLessThan(1.15);
      }
      // the people are the same; a second record in a file is the only new entity row
      expect((await readFile(join(d, 'people.csv'))).equals(await readFile(join(plainDir, 'people.csv')))).toBe(true);
      const people = (x: GenerateSummary) => PARTIES.reduce((a, p) => a + x.rows[p] - ((x.trouble[p] as Record<string, number>)['duplicate_record'] ?? 0), 0);
      expect(people(sum)).toBe(people(plain));
    }
  });

  it('refuses a scale that is not a positive number, and one without realism full', async () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 101]) {
      await expect(generateExtracts({ people: 10, seed: 1, outDir: await tmp(), realism: 'full', troubleScale: bad })).rejects.toThrow(/trouble scale/);
    }
    await expect(generateExtracts({ people: 10, seed: 1, outDir: await tmp(), troubleScale: 2 })).rejects.toThrow(/realism full/);
  });
});
