import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { generateExtracts } from '../../src/synth/generate.js';
import { HEAD_SHARE, LongTailTable, MixedTable, NAMES, TAIL_SIZE, nameChunks, tailName } from '../../src/synth/names.js';
import { makePerson } from '../../src/synth/population.js';
import { generateMain } from '../../examples/generate.js';
import { runCli } from '../helpers/cli.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('long-tail names', () => {
  it('splits a name into syllable-like chunks (known answers)', () => {
    expect(nameChunks('Anderson')).toEqual(['An', 'der', 'son']);
    expect(nameChunks('Smith')).toEqual(['Smith']);
    expect(nameChunks('Martínez')).toEqual(['Mar', 'tí', 'nez']);
    expect(nameChunks('Elizabeth')).toEqual(['E', 'li', 'za', 'beth']);
    expect(nameChunks('Nguyen')).toEqual(['Nguyen']);
    expect(nameChunks('Washington')).toEqual(['Was', 'hing', 'ton']);
  });

  it('a table is the listed names below the head share and the tail above it, rank by rank', () => {
    const list = NAMES.White.surnames;
    const t = new LongTailTable(list, 0.2, 1000, 'test');
    const listed = new Set(list.map((e) => e[0]));
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.2, maxExcluded: true, noNaN: true }), (u) => {
        expect(listed.has(t.at(u))).toBe(true);
      }),
    );
    // the tail is deterministic and its first ranks are drawn most often
    expect(t.at(0.999)).toBe(t.at(0.999));
    const counts = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const n = t.at(0.2 + (0.8 * (i + 0.5)) / 20000);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    expect(() => new LongTailTable([['Smith', 1]], 0.5, 10, 'one part')).toThrow(RangeError);
    expect(tailName({ onsets: ['Ab'], middles: [], codas: ['son'] }, 7, 3)).toBe('Abson');
    const first = t.at(0.2000001);
    const last = t.at(0.9999999);
    expect(counts.get(first)!).toBeGreaterThan(10 * (counts.get(last) ?? 0));
    expect(counts.size).toBeGreaterThan(500);
  });

  it('a mixed table draws each table by its weight with one uniform draw', () => {
    const a = new LongTailTable(NAMES.Asian.surnames, 1, 10, 'a');
    const b = new LongTailTable(NAMES.Hispanic.surnames, 1, 10, 'b');
    const m = new MixedTable([
      [a, 1],
      [b, 3],
    ]);
    const fromA = new Set(NAMES.Asian.surnames.map((e) => e[0]));
    const fromB = new Set(NAMES.Hispanic.surnames.map((e) => e[0]));
    for (let i = 0; i < 4000; i++) expect((i < 1000 ? fromA : fromB).has(m.at((i + 0.5) / 4000))).toBe(true);
    // within its quarter, A's names come in A's own order of draws
    expect(m.at(0.1)).toBe(a.at(0.4));
  });

  it('changes the names only: group, sex and district of every person, the rest of nearly all', () => {
    let sameRest = 0;
    let otherSurname = 0;
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const s = makePerson(11, i, 'full');
      const l = makePerson(11, i, 'full', 'long-tail');
      expect([l.group, l.sex, l.district.name]).toEqual([s.group, s.sex, s.district.name]);
      if (JSON.stringify([l.birth, l.school, l.zip, l.laterZip, l.gradYear, l.family]) === JSON.stringify([s.birth, s.school, s.zip, s.laterZip, s.gradYear, s.family])) sameRest++;
      if (l.surnameParts.join(' ') !== s.surnameParts.join(' ')) otherSurname++;
    }
    expect(sameRest / N).toBeGreaterThan(0.9);
    // about three quarters of the surnames come from the tail
    expect(otherSurname / N).toBeGreaterThan(0.5);
  });

  it('gives far fewer namesakes than the short lists, and the generator records the model', async () => {
    const namesakes = (names: 'short' | 'long-tail') => {
      const seen = new Map<string, number>();
      for (let i = 0; i < 20000; i++) {
        const p = makePerson(3, i, 'full', names);
        const k = `${p.first}|${p.surnameParts.join(' ')}|${p.sex}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
      let pairs = 0;
      for (const c of seen.values()) pairs += (c * (c - 1)) / 2;
      return { pairs, distinct: seen.size };
    };
    const short = namesakes('short');
    const long = namesakes('long-tail');
    expect(long.pairs * 10).toBeLessThan(short.pairs);
    expect(long.distinct).toBeGreaterThan(1.5 * short.distinct);
    expect(TAIL_SIZE.surname).toBeGreaterThan(1000);
    expect(Object.keys(HEAD_SHARE).sort()).toEqual(Object.keys(NAMES).sort());

    const dir = await mkdtemp(join(tmpdir(), 'p20-names-'));
    dirs.push(dir);
    const sum = await generateExtracts({ people: 300, seed: 5, outDir: dir, realism: 'full', names: 'long-tail' });
    expect(sum.names).toBe('long-tail');
    expect(JSON.parse(await readFile(join(dir, 'generation.json'), 'utf8')).names).toBe('long-tail');
    await expect(generateExtracts({ people: 10, seed: 5, outDir: dir, names: 'tiny' as never })).rejects.toMatchObject({ code: 'GEN_ARGS', location: { field: 'names' } });
  });

  it('the generator command takes --names long-tail (and refuses another value with exit 2, naming the field)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'p20-names-cli-'));
    dirs.push(out);
    const ok = await runCli(['--people', '200', '--seed', '5', '--out', out, '--names', 'long-tail'], { entry: generateMain });
    expect(ok.code).toBe(0);
    expect(JSON.parse(await readFile(join(out, 'generation.json'), 'utf8')).names).toBe('long-tail');
    const bad = await runCli(['--people', '200', '--out', out, '--names', 'huge'], { entry: generateMain });
    expect(bad.code).toBe(2);
    expect(bad.all).toMatch(/names/);
  });
});
