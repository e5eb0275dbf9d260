import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvRows } from '../helpers/csv-rows.js';
import { tempDir } from '../helpers/tmp.js';
import { generateExtracts } from '../../src/synth/generate.js';
import { HEADERS, ID_COLUMN, PARTIES, collegeRow, foldDiacritics, idMaker, k12Row, recordedDob, typo, wagesRow } from '../../src/synth/agencies.js';
import fc from 'fast-check';
import { makePerson } from '../../src/synth/population.js';
import { NICKNAMES } from '../../src/synth/names.js';
import { Rng } from '../../src/synth/prng.js';

const tmp = (): string => tempDir('p20-synth-');
const rows = csvRows;

const FILES = ['k12.csv', 'college.csv', 'wages.csv', 'truth.csv', 'trouble.csv', 'generation.json'];

describe('generator', () => {
  it('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const [a, b, c] = [await tmp(), await tmp(), await tmp()];
    await generateExtracts({ people: 1500, seed: 11, outDir: a });
    await generateExtracts({ people: 1500, seed: 11, outDir: b, shuffleBlock: 4096 });
    await generateExtracts({ people: 1500, seed: 12, outDir: c });
    for (const f of FILES) {
      expect((await readFile(join(a, f))).equals(await readFile(join(b, f))), f).toBe(true);
    }
    expect((await readFile(join(a, 'k12.csv'))).equals(await readFile(join(c, 'k12.csv')))).toBe(false);
  });

  it('the bundled sample is exactly what the generator makes (2000 people, seed 20) and is under 1 MB', async () => {
    const d = await tmp();
    await generateExtracts({ people: 2000, seed: 20, outDir: d });
    let total = 0;
    for (const f of FILES) {
      const bundled = resolve(process.cwd(), 'examples/data', f);
      total += (await stat(bundled)).size;
      expect((await readFile(join(d, f))).equals(await readFile(bundled)), f).toBe(true);
    }
    expect(total).toBeLessThan(1_000_000);
  });

  it('writes each agency in its own layout, and the truth names every record exactly once', async () => {
    const d = await tmp();
    const s = await generateExtracts({ people: 3000, seed: 5, outDir: d });
    const truth = await rows(join(d, 'truth.csv'));
    expect(truth.header).toEqual(['entity_id', 'party', 'record_id']);
    const truthKeys = new Map<string, string>();
    for (const [e, p, r] of truth.data) {
      const k = `${p}/${r}`;
      expect(truthKeys.has(k)).toBe(false);
      truthKeys.set(k, e!);
    }
    const entityParties = new Map<string, Set<string>>();
    for (const [e, p] of truth.data) {
      if (!entityParties.has(e!)) entityParties.set(e!, new Set());
      const set = entityParties.get(e!)!;
      expect(set.has(p!), `${e} twice in ${p}`).toBe(false);
      set.add(p!);
    }
    let fileRecords = 0;
    for (const p of PARTIES) {
      const f = await rows(join(d, `${p}.csv`));
      expect(f.header).toEqual([...HEADERS[p]]);
      const idIdx = f.header.indexOf(ID_COLUMN[p]);
      const ids = new Set(f.data.map((r) => r[idIdx]!));
      expect(ids.size).toBe(f.data.length);
      expect(f.data.length).toBe(s.rows[p]);
      for (const id of ids) expect(truthKeys.has(`${p}/${id}`), `${p}/${id}`).toBe(true);
      fileRecords += f.data.length;
      for (const r of f.data) expect(r.length).toBe(f.header.length);
    }
    expect(truth.data.length).toBe(fileRecords);
    // people appear in only some files
    const sizes = [...entityParties.values()].map((x) => x.size);
    expect(sizes.filter((x) => x === 1).length).toBeGreaterThan(100);
    expect(sizes.filter((x) => x === 3).length).toBeGreaterThan(100);
    expect(entityParties.size).toBe(3000);
    // record ids differ across files: no id is used by two parties
    const idOwners = new Map<string, string>();
    for (const [, p, r] of truth.data) {
      expect(idOwners.get(r!) ?? p).toBe(p);
      idOwners.set(r!, p!);
    }
  });

  it('each file uses its own date layout and the wage file is upper-case ASCII', async () => {
    const d = await tmp();
    await generateExtracts({ people: 800, seed: 3, outDir: d });
    const k = await rows(join(d, 'k12.csv'));
    const c = await rows(join(d, 'college.csv'));
    const w = await rows(join(d, 'wages.csv'));
    for (const r of k.data) expect(r[4]).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    for (const r of c.data) expect(r[4]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const r of w.data) {
      expect(r[4]).toMatch(/^\d{8}$/);
      expect(r[1]! + r[2]! + r[3]!).toMatch(/^[A-Z .-]*$/);
    }
    expect(k.data.some((r) => [...(r[1]! + r[2]!)].some((c) => c.charCodeAt(0) > 0x7f))).toBe(true);
  });

  it('carries every kind of trouble the issue lists', async () => {
    const d = await tmp();
    const s = await generateExtracts({ people: 4000, seed: 9, outDir: d });
    const all: Record<string, number> = {};
    for (const p of PARTIES) for (const [k, v] of Object.entries(s.trouble[p])) all[k] = (all[k] ?? 0) + (v ?? 0);
    for (const k of ['typo', 'nickname', 'middle_missing', 'married_name', 'compound_hyphenated', 'compound_first_only', 'diacritics_dropped', 'day_month_swap', 'zip_moved', 'name_order_swapped']) {
      expect(all[k] ?? 0, k).toBeGreaterThan(0);
    }
  });
});

describe('agency records of one person', () => {
  const ids = idMaker(1);
  it('a nickname in the college file is a known nickname of the K-12 first name', () => {
    let seen = 0;
    for (let i = 0; i < 3000 && seen < 20; i++) {
      const p = makePerson(1, i);
      const c = collegeRow(1, p, ids);
      if (!c.trouble.includes('nickname')) continue;
      seen++;
      if (c.trouble.includes('typo')) continue;
      const nick = c.fields[1]!;
      expect(NICKNAMES[p.first]!.map(foldDiacritics)).toContain(foldDiacritics(nick));
      expect(nick).not.toBe(p.first);
      // the K-12 file keeps the formal name
      const k = k12Row(1, p, ids);
      if (!k.trouble.includes('typo')) expect(k.fields[2]).toBe(p.first);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('a day/month swap in the wage file swaps exactly the day and month of the true birth date', () => {
    let seen = 0;
    for (let i = 0; i < 20000 && seen < 10; i++) {
      const p = makePerson(2, i);
      const w = wagesRow(2, p, ids);
      if (!w.trouble.includes('day_month_swap')) continue;
      seen++;
      const dob = w.fields[4]!;
      expect(Number(dob.slice(4, 6))).toBe(p.birth.d);
      expect(Number(dob.slice(6, 8))).toBe(p.birth.m);
      expect(Number(dob.slice(0, 4))).toBe(p.birth.y);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('a married name in the wage file replaces or extends the birth surname', () => {
    let seen = 0;
    for (let i = 0; i < 20000 && seen < 10; i++) {
      const p = makePerson(4, i);
      const w = wagesRow(4, p, ids);
      if (!w.trouble.includes('married_name') || w.trouble.includes('typo') || w.trouble.includes('name_order_swapped')) continue;
      seen++;
      const married = foldDiacritics(p.marriedSurname!).toUpperCase().replace(/'/g, '');
      expect(w.fields[1]!.replace(/[ .-]/g, '')).toContain(married.replace(/[ .-]/g, ''));
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('typo changes a name by one keying error', () => {
    const rng = new Rng(42);
    for (let i = 0; i < 200; i++) {
      const t = typo(rng, 'Hernandez');
      expect(Math.abs(t.length - 9)).toBeLessThanOrEqual(1);
      expect(t[0]).toBe('H');
    }
  });

  it('refuses a bad people count', async () => {
    await expect(generateExtracts({ people: 0, seed: 1, outDir: await tmp() })).rejects.toThrow(/people/);
  });
});

describe('recorded birth dates', () => {
  it('trouble (day/month swaps, typos, year off by one) never makes an impossible date, even from 29 February', () => {
    const valid = (y: number, m: number, d: number) => {
      const t = new Date(Date.UTC(y, m - 1, d));
      return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
    };
    const birth = fc.oneof(
      fc.constantFrom(2000, 2004, 2008, 1996).map((y) => ({ y, m: 2, d: 29 })),
      fc.date({ min: new Date('1950-01-01'), max: new Date('2020-12-31'), noInvalidDate: true }).map((t) => ({ y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() })),
    );
    fc.assert(
      fc.property(birth, fc.integer({ min: 0, max: 2 ** 31 }), (b, seed) => {
        const p = { ...makePerson(1, 1), birth: b };
        const r = recordedDob(new Rng(seed), p, 0.3, 0.9, []);
        expect(valid(r.y, r.m, r.d)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
