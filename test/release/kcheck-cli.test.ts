import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = resolve(process.cwd(), 'test/fixtures/release/kanon');

const tmp = (): string => tempDir('p20-kcli-');

const STUDENTS = join(FIX, 'students.csv');

describe('p20link kcheck (end to end)', () => {
  it('exit 0 when the file passes, with the report on stdout', async () => {
    const r = await run(['kcheck', STUDENTS, '--qi', 'school,grade', '--k', '6']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/PASS/);
    expect(r.out).toMatch(/k = 6 \(required 6\); 2 classes/);
  });

  it('exit 1 when it fails k or l; --json gives the result object', async () => {
    const r = await run(['kcheck', STUDENTS, '--qi', 'school,grade,sex', '--sensitive', 'frl', '--k', '3', '--l', '2', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    // Adams|3|F 3, Adams|3|M 3, Baker|4|F 3, Baker|4|M 3, Baker|4|X 1
    expect(j).toMatchObject({ k: 1, classes: 5, classesBelowK: 1, recordsBelowK: 1, passed: false });
    expect(j.diversity[0]).toMatchObject({ attribute: 'frl', distinctL: 1, classesBelowL: 1, recordsBelowL: 1 });
    const l = await run(['kcheck', STUDENTS, '--qi', 'school,grade', '--sensitive', 'frl', '--k', '2', '--l', '3']);
    expect(l.code).toBe(1);
    expect(l.out).toMatch(/FAIL: sensitive attribute "frl": distinct l = 2 is below the required l = 3/);
  });

  it('exit 2 for bad input: missing column, missing file, bad spec, bad flags', async () => {
    const miss = await run(['kcheck', STUDENTS, '--qi', 'school,race']);
    expect(miss.code).toBe(2);
    expect(miss.err).toContain(`p20link: error: ${STUDENTS}, line 1, field "race": quasi-identifier column "race" is not in the header`);
    const nofile = await run(['kcheck', join(tmp(), 'none.csv'), '--qi', 'a']);
    expect(nofile.code).toBe(2);
    expect(nofile.err).toMatch(/cannot open: ENOENT/);
    const dir = tmp();
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ version: 1, k: 'five' }));
    const spec = await run(['kcheck', STUDENTS, '--spec', join(dir, 'spec.json')]);
    expect(spec.code).toBe(2);
    expect(spec.err).toMatch(/field "k": invalid kcheck spec/);
    const noqi = await run(['kcheck', STUDENTS]);
    expect(noqi.code).toBe(2);
    expect(noqi.err).toMatch(/no quasi-identifiers declared/);
    // a malformed CSV (the reader's refusal) is bad input too, not a failed check
    writeFileSync(join(dir, 'ragged.csv'), 'school,grade\nA,3\nB\n');
    const ragged = await run(['kcheck', join(dir, 'ragged.csv'), '--qi', 'school']);
    expect(ragged.code).toBe(2);
    expect(ragged.err).toMatch(/ragged\.csv, line 3: row has 1 field/);
    const badk = await run(['kcheck', STUDENTS, '--qi', 'school', '--k', '0']);
    expect(badk.code).toBe(2);
    const unknown = await run(['kcheck', STUDENTS, '--qi', 'school', '--bogus']);
    expect(unknown.code).toBe(2);
  });

  it('--entropy-l and --strategy are passed through', async () => {
    // Adams|3 has frl Y,N,Y,N,Y,N (exp H = 2); Baker|4 has Y,N,N,Y,N,Y,Y (exp H < 2)
    const r = await run(['kcheck', STUDENTS, '--qi', 'school,grade', '--sensitive', 'frl', '--k', '2', '--l', '2', '--entropy-l', '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.diversity[0].distinctL).toBe(2);
    expect(j.diversity[0].entropyL).toBeCloseTo(Math.exp(-((4 / 7) * Math.log(4 / 7) + (3 / 7) * Math.log(3 / 7))), 5);
    const out = join(tmp(), 'd.csv');
    const d = await run(['kcheck', STUDENTS, '--spec', join(FIX, 'spec.json'), '--repair', out, '--strategy', 'datafly', '--json']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.out)).toMatchObject({ strategy: 'datafly', strategyUsed: 'datafly', written: true });
  });

  it('--repair writes a file that passes (exit 0) and reports the information lost', async () => {
    const dir = tmp();
    const out = join(dir, 'release.csv');
    const r = await run(['kcheck', STUDENTS, '--spec', join(FIX, 'spec.json'), '--repair', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/before repair: .*FAIL/);
    expect(r.out).toMatch(/repair \(optimal search of 60 level combinations, local suppression\): wrote/);
    expect(r.out).toMatch(/birth_date: level 3\/4 \(year\), distinct values 13 → 2/);
    expect(r.out).toMatch(/after repair: .*PASS/);
    expect(readFileSync(out, 'utf8').split('\n')[1]).toBe('r01,Adams,3,*,2015,021*,Y,310');
    // the repaired file passes a plain check too
    const again = await run(['kcheck', out, '--spec', join(FIX, 'spec.json')]);
    expect(again.code).toBe(0);
  });

  it('--repair refuses the input as output (exit 2) and exits 1 when no repair meets the limits', async () => {
    const same = await run(['kcheck', STUDENTS, '--qi', 'school', '--k', '2', '--repair', STUDENTS]);
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/refusing to write the repaired file over its input/);
    const dir = tmp();
    const out = join(dir, 'never.csv');
    // sex may not be generalized and only 5% may be suppressed: the lone "X" cannot be hidden
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ version: 1, hierarchies: { sex: { type: 'suppress', maxLevel: 0 } } }));
    const none = await run(['kcheck', STUDENTS, '--qi', 'sex', '--k', '2', '--spec', join(dir, 'spec.json'), '--repair', out]);
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/nothing written/);
    expect(existsSync(out)).toBe(false);
    // with record suppression allowed up to 10%, the lone record is dropped
    const drop = await run(['kcheck', STUDENTS, '--qi', 'sex', '--k', '2', '--spec', join(dir, 'spec.json'), '--repair', out, '--suppression', 'records', '--max-suppress', '0.1']);
    expect(drop.code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(13);
  });

  it('a header-only file is bad input (exit 2), for the check and for --repair; an empty in-memory table too', async () => {
    const d = tmp();
    const empty = join(d, 'empty.csv');
    writeFileSync(empty, 'school,grade,sex\n');
    const r = await run(['kcheck', empty, '--qi', 'school,grade', '--k', '5']);
    expect(r.code).toBe(2);
    expect(r.out).not.toMatch(/PASS/);
    expect(r.err).toMatch(/empty\.csv, line 2: the file has a header but no data rows/);
    const out = join(d, 'out.csv');
    const rr = await run(['kcheck', empty, '--qi', 'school,grade', '--repair', out]);
    expect(rr.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    const { kcheckRows } = await import('../../src/release/kanon/kcheck.js');
    expect(() => kcheckRows(['a', 'b'], [], { qi: ['a'], k: 5 })).toThrow(expect.objectContaining({ code: 'KCHECK_EMPTY', kind: 'input' }));
  });
});
