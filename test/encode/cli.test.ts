import { describe, expect, it } from 'vitest';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { openEncoded } from '../../src/format/encoded-file.js';
import { runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';

const ROOT = process.cwd();
const SCHEMA = resolve(ROOT, 'protocols/compat/p20w-person-clkhash.json'); // unhardened variant: these tests read keyed blocking columns
const K12 = resolve(ROOT, 'examples/data/k12.csv');
// a strong secret in the `secret new` format (43 base64url characters), still a recognisable canary
const SECRET = 'S3cr3t-Canary-7f3a9c-do-not-print-01234567A';

const dir = fileTempDir('p20link-cli-encode-');
const run = (argv: string[], env: Record<string, string> = {}) => runCli(argv, { env });

async function secretFile(text: string, mode = 0o600): Promise<string> {
  const p = join(dir, `secret-${Math.random().toString(36).slice(2)}`);
  await writeFile(p, text);
  await chmod(p, mode);
  return p;
}

const k12Args = (out: string, ...more: string[]) => ['encode', K12, '-o', out, '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--id-column', 'student_id', '--map', 'sex=gender', ...more];

describe('p20link encode (CLI)', () => {
  it('encodes the bundled K-12 example end to end and prints a one-line summary', async () => {
    const out = join(dir, 'k12.enc');
    const r = await run(k12Args(out, '--secret-file', await secretFile(SECRET + '\n')));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^p20link encode: read 1812, encoded 1812, rejected 0 → .*k12\.enc/);
    // One summary line; any further lines are warnings (none about the data: no dense filters, no bad fields).
    expect(r.err.trim().split('\n').filter((line) => !/^(p20link: )?warning: /.test(line))).toHaveLength(1);
    expect(r.err).not.toMatch(/dense|encoded as missing/);
    const enc = await openEncoded(out);
    expect(enc.header).toMatchObject({ party: 'k12', rowCount: 1812, l: 1024 });
    expect(enc.header.columns).toEqual(['id', 'clk', 'block:birth_year', 'block:last_soundex', 'block:first_soundex']);
  });

  it('the secret from a file (one trailing newline dropped) and from an environment variable give the same encoding', async () => {
    const a = join(dir, 'a.enc');
    const b = join(dir, 'b.enc');
    expect((await run(k12Args(a, '--secret-file', await secretFile(SECRET + '\n')))).code).toBe(0);
    expect((await run(k12Args(b, '--secret-env', 'P20_TEST_SECRET'), { P20_TEST_SECRET: SECRET })).code).toBe(0);
    const rows = async (p: string) => (await readFile(p, 'utf8')).split('\n').slice(1).join('\n');
    expect(await rows(a)).toBe(await rows(b));
  });

  it('refuses bad input with the file, line and column and a non-zero exit', async () => {
    const input = join(dir, 'bad.csv');
    await writeFile(input, 'id,first_name,middle_name,last_name,birth_date,sex,zip\n1,Ann,,Lee,2001-02-03,F,97501\n2,Bo,,Kim,13/45/2001,M,97501\n');
    const out = join(dir, 'bad.enc');
    const r = await run(['encode', input, '-o', out, '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-file', await secretFile(SECRET)]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`p20link: error: ${input}, line 3, field "birth_date": `);
    expect(r.err).toMatch(/not a valid date/);
    expect(existsSync(out)).toBe(false);
  });

  it('usage mistakes exit 2 and run nothing', async () => {
    const out = join(dir, 'usage.enc');
    const secretArg = await run(['encode', K12, '-o', out, '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret', SECRET]);
    expect(secretArg.code).toBe(2);
    expect(secretArg.err).toMatch(/Unknown argument: secret/);
    const none = await run(['encode', K12, '-o', out, '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--secret-file PATH or --secret-env NAME/);
    const rejectsMissing = await run(k12Args(out, '--secret-file', await secretFile(SECRET), '--on-bad-row', 'reject'));
    expect(rejectsMissing.code).toBe(2);
    expect(rejectsMissing.err).toMatch(/--rejects/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a secret file others can read, and a short secret', async () => {
    const out = join(dir, 'mode.enc');
    const open = await run(k12Args(out, '--secret-file', await secretFile(SECRET, 0o644)));
    expect(open.code).not.toBe(0);
    expect(open.err).toMatch(/readable by other users \(mode 644\); run `chmod 600/);
    const short = await run(k12Args(out, '--secret-file', await secretFile('short\n')));
    expect(short.code).not.toBe(0);
    expect(short.err).toMatch(/shorter than 16 characters/);
    expect(short.err).not.toContain('short\n');
    expect(existsSync(out)).toBe(false);
  });

  it('never writes the secret into any output, rejects file, log or error', async () => {
    const forms = [SECRET, Buffer.from(SECRET).toString('hex'), Buffer.from(SECRET).toString('base64').replace(/=+$/, ''), SECRET.slice(0, 12)];
    const input = join(dir, 'mixed.csv');
    await writeFile(input, 'id,first_name,middle_name,last_name,birth_date,sex,zip\n1,Ann,,Lee,2001-02-03,F,97501\n2,Bo,,Kim,13/45/2001,M,97501\n3,Cy,,Ng,2001-02-03,Q,97501\n');
    const texts: string[] = [];
    const collect = (r: { out: string; err: string }) => texts.push(r.out, r.err);
    const sf = await secretFile(SECRET + '\n');
    // success with rejects, through the environment
    collect(await run(['encode', input, '-o', join(dir, 'm.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-env', 'P20_TEST_SECRET', '--on-bad-row', 'reject', '--rejects', join(dir, 'm.rejects.csv')], { P20_TEST_SECRET: SECRET }));
    // failure on a bad row, through a file
    collect(await run(['encode', input, '-o', join(dir, 'm2.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-file', sf]));
    // the secret mistakenly given where a NAME or PATH belongs
    collect(await run(['encode', input, '-o', join(dir, 'm3.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-env', SECRET]));
    collect(await run(['encode', input, '-o', join(dir, 'm3.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-env', 'P20_TEST_UNSET_VAR_X']));
    collect(await run(['encode', input, '-o', join(dir, 'm3.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret', SECRET]));
    // a bad secret file: wrong mode
    await chmod(sf, 0o640);
    collect(await run(['encode', input, '-o', join(dir, 'm4.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-file', sf]));
    for (const f of await readdir(dir)) {
      if (f.startsWith('secret-')) continue;
      texts.push(await readFile(join(dir, f), 'latin1'));
    }
    expect(texts.some((t) => /encoded 1, rejected 2/.test(t))).toBe(true);
    const all = texts.join('\n');
    for (const f of forms) expect(all).not.toContain(f);
  });
});

describe('p20link encode (installed launcher)', () => {
  it('bin/p20link.js exits non-zero with the error on stderr', () => {
    const r = spawnSync(process.execPath, [resolve(ROOT, 'bin/p20link.js'), 'encode', join(ROOT, 'no-such.csv'), '-o', join(dir, 'x.enc'), '--schema', SCHEMA, '--allow-unhardened', '--party', 'k12', '--secret-env', 'P20_TEST_SECRET'], {
      env: { ...process.env, P20_TEST_SECRET: SECRET },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/p20link: error: .*no-such\.csv: cannot open: no such file or directory/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});
