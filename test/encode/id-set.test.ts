import { describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createIdSet, defaultIdHash } from '../../src/encode/id-set.js';
import { encodeFile } from '../../src/encode/pipeline.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20link-idset-');
let n = 0;
const near = () => join(dir, `out-${++n}.enc`);

describe('createIdSet: compact duplicate-id detection', () => {
  it('reports the line of the first occurrence of a duplicate', () => {
    const s = createIdSet({ near: near() });
    expect(s.add('a', 2)).toBeUndefined();
    expect(s.add('b', 3)).toBeUndefined();
    expect(s.add('ä', 4)).toBeUndefined();
    expect(s.add('b', 9)).toBe(3);
    expect(s.add('ä', 10)).toBe(4);
    s.close();
  });

  it('forced hash collisions: different ids with the same 64-bit hash are not duplicates, equal ids still are', () => {
    // Every id hashes to one of two values: nearly every add collides and must be settled by the exact check.
    const s = createIdSet({ near: near(), hash: (id) => [0, id.length % 2] });
    for (let i = 0; i < 800; i++) expect(s.add(`id-${i}`, i + 2)).toBeUndefined();
    expect(s.collisions).toBeGreaterThan(790);
    expect(s.add('id-534', 99999)).toBe(536);
    expect(s.add('id-0', 99999)).toBe(2);
    expect(s.add('id-799', 99999)).toBe(801);
    expect(s.add('id-800', 99999)).toBeUndefined();
    s.close();
  });

  it('finds duplicates across many spill-buffer refills and table growth (ids up to 256 characters)', () => {
    const s = createIdSet({ near: near(), initialSlots: 1024 });
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) ids.push(`${'x'.repeat(i % 250)}é${i}`);
    ids.forEach((id, i) => expect(s.add(id, i + 2)).toBeUndefined());
    expect(s.add(ids[4999]!, 1)).toBe(5001);
    expect(s.add(ids[17]!, 1)).toBe(19);
    s.close();
  });

  it('agrees with a Map on random id sequences (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('a', 'b', 'é', '1') }), { maxLength: 60 }), fc.boolean(), (ids, weak) => {
        const s = createIdSet({ near: near(), ...(weak ? { hash: (id: string) => [id.length, 0] as [number, number] } : {}) });
        const m = new Map<string, number>();
        try {
          ids.forEach((id, i) => {
            const got = s.add(id, i + 2);
            expect(got).toBe(m.get(id));
            if (got === undefined) m.set(id, i + 2);
          });
        } finally {
          s.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('removes its spill file on close and creates it mode 0600', async () => {
    const sub = join(dir, `clean-${++n}`);
    (await import('node:fs')).mkdirSync(sub);
    const s = createIdSet({ near: join(sub, 'out.enc') });
    s.add('a', 2);
    const files = readdirSync(sub);
    expect(files).toHaveLength(1);
    const { statSync } = await import('node:fs');
    expect(statSync(join(sub, files[0]!)).mode & 0o777).toBe(0o600);
    s.close();
    s.close();
    expect(readdirSync(sub)).toEqual([]);
  });

  it('the default hash spreads ids (no collisions among 200,000 sequential ids)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      const [a, b] = defaultIdHash(`S${String(i).padStart(8, '0')}`);
      seen.add(`${a}:${b}`);
    }
    expect(seen.size).toBe(200_000);
  });
});

describe('encodeFile: duplicate ids through the compact set', () => {
  it('refuses a duplicate id naming both lines, and leaves no spill file behind', async () => {
    const sub = join(dir, `pipe-${++n}`);
    (await import('node:fs')).mkdirSync(sub);
    const input = join(sub, 'in.csv');
    const rows = ['student_id,last_name,first_name,middle_name,birth_date,gender,zip,cohort_year'];
    for (let i = 0; i < 300; i++) rows.push(`S${i},Smith,Ann,,2001-02-03,F,97501,2019`);
    rows.push('S17,Lee,Bo,,2001-02-03,M,97501,2019');
    writeFileSync(input, rows.join('\n') + '\n');
    const e = await refusal(
      encodeFile({ input, output: join(sub, 'out.enc'), schema: join(process.cwd(), 'test/fixtures/encode/person.schema.json'), secret: new TextEncoder().encode('s3cret for the id set test'), party: 'k12', workers: 0, allowUnhardened: true }),
    );
    expect(e.code).toBe('ENCODE_DUPLICATE_ID');
    expect(e.message).toContain('line 19');
    expect(e.location).toMatchObject({ line: 302 });
    expect(readdirSync(sub)).toEqual(['in.csv']);
  });
});
