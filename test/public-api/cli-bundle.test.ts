/**
 * The command line as bin/p20link.js runs it: the bundle (dist/cli/p20link.mjs
 * and its per-command chunks, cli/build-bundle.mjs) loads only the command a
 * run names, bundles yargs, and loads better-sqlite3 and HiGHS on first use.
 * Whatever the loading, a run must do what the unbundled CLI does.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor } from '../../cli/commands/index.js';
import { createEncodedWriter } from '../../src/format/encoded-file.js';
import { FP, KCV, noisy, prng, randomClk } from '../fixtures/link/make-encoded.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'p20link.js');
const UNBUNDLED = join(ROOT, 'dist', 'cli', 'main.js');
const BUNDLE = join(ROOT, 'dist', 'cli', 'p20link.mjs');
const FIX = join(ROOT, 'test', 'fixtures', 'release', 'table');
const dir = tempDir('p20-bundle-');

const spawnCli = (entry: string, args: string[]) => {
  const r = spawnSync(process.execPath, [entry, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** Two binary-body encoded files of overlapping people. */
async function parties(): Promise<[string, string]> {
  const rnd = prng(17);
  const people = Array.from({ length: 40 }, () => randomClk(rnd));
  const out: string[] = [];
  for (const [party, from] of [['k12', 0], ['college', 10]] as const) {
    const file = join(dir, `${party}.enc`);
    const w = createEncodedWriter(file, { tool: 'p20link test', createdAt: '2026-01-01T00:00:00.000Z', party, schemaFingerprint: FP, keyCheckValue: KCV, l: 1024, blockColumns: ['birth_year'] }, { body: 'binary' });
    for (const [i, c] of people.slice(from).entries()) await w.writeRowBytes(`${party}-${i + from}`, noisy(rnd, c), [`${1990 + (i % 5)}`]);
    await w.commit();
    out.push(file);
  }
  return out as [string, string];
}

/** A links folder as its partition of records into clusters (linkage IDs are fresh every run) and each record's score. */
function partition(out: string): string[] {
  const rows: string[] = [];
  const label = new Map<string, number>();
  for (const f of readdirSync(out).filter((x) => x.endsWith('.links.csv')).sort()) {
    for (const line of readFileSync(join(out, f), 'utf8').trim().split('\n').slice(1)) {
      const [id, lid, score] = line.split(',');
      if (!label.has(lid!)) label.set(lid!, label.size);
      rows.push(`${f}:${id}:${label.get(lid!)}:${score}`);
    }
  }
  return rows;
}

describe('commands load on demand', () => {
  it('a run that names a command first loads that command only; help, no command or anything else first loads all of them', async () => {
    expect((await commandsFor(['link', 'a.enc', 'b.enc'], false)).map((c) => c.command)).toEqual(['link <inputs..>']);
    expect((await commandsFor(['registry', 'forget'], false)).map((c) => c.command)).toEqual(['registry <command>']);
    for (const [argv, help] of [[['link', '--help'], true], [[], true], [['lnk'], false], [['--quiet', 'link'], false]] as const) {
      expect((await commandsFor(argv, help)).length).toBe(COMMANDS.length);
    }
  });

  it("every entry's name is the first word of its command, in the order --help lists them", async () => {
    const all = await commandsFor([], true);
    expect(all.map((c) => String(c.command).split(' ')[0])).toEqual(COMMANDS.map((c) => c.name));
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it('usage errors read as before: an unknown command is still matched against every command', async () => {
    const r = await runCli(['lnk', 'a.enc']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Did you mean link\?/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    const bad = await runCli(['link', 'a.enc', 'b.enc', '--out', join(dir, 'never'), '--no-such-flag']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Unknown argument/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

/** The bundle's files a run of `command` loads: the entry and the chunk it imports for that command, with their static imports. */
function filesLoadedFor(command: string): string[] {
  const dirOf = join(ROOT, 'dist', 'cli');
  const read = (f: string) => readFileSync(join(dirOf, f), 'utf8');
  const closure = (from: string): Set<string> => {
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const m of read(f).matchAll(/(?:^|\n)(?:import|export)[^;]*?from "\.\/(p20link-chunk-[^"]+)"/g)) walk(m[1]!);
    };
    walk(from);
    return seen;
  };
  // the chunk that defines the command, and the smallest of the chunks the entry imports on demand that reaches it
  const def = readdirSync(dirOf).find((f) => f.startsWith('p20link-chunk-') && read(f).includes(`command: "${command}"`));
  expect(def, command).toBeDefined();
  const onDemand = [...read('p20link.mjs').matchAll(/import\("\.\/(p20link-chunk-[^"]+)"\)/g)].map((m) => closure(m[1]!));
  const mine = onDemand.filter((c) => c.has(def!)).sort((a, b) => a.size - b.size)[0];
  expect(mine).toBeDefined();
  return [...new Set([...closure('p20link.mjs'), ...mine!])].map(read);
}

describe.skipIf(!existsSync(BUNDLE))('the bundled command line', () => {
  it('a link run loads the link code and not the code of other stages (encode, release, report)', () => {
    const text = filesLoadedFor('link <inputs..>').join('\n');
    expect(text).toMatch(/async function linkFiles\d*\(/);
    for (const other of ['encodeFile', 'suppressFile', 'runQualityReport', 'packageFile']) expect(text, other).not.toMatch(new RegExp(`async function ${other}\\d*\\(`));
    // and the other way round: encode's run does not load the linker
    const encode = filesLoadedFor('encode <input>').join('\n');
    expect(encode).toMatch(/async function encodeFile\d*\(/);
    expect(encode).not.toMatch(/async function linkFiles\d*\(/);
  });

  it('links with a linker store (better-sqlite3 loaded on first use) exactly as the unbundled one', async () => {
    const [a, b] = await parties();
    const runs = [BIN, UNBUNDLED].map((entry, k) => {
      const out = join(dir, `out-${k}`);
      const r = spawnCli(entry, ['link', a, b, '--out', out, '--store', join(dir, `linker-${k}.db`), '--threshold', '0.7', '--blocking', 'none', '--workers', '1']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return { r, out };
    });
    const [bundled, plain] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(bundled.r.out).toMatch(/registry .*linker-0\.db: 0 kept, \d+ new/);
    const strip = (s: string) => s.replace(/run \S+/, 'run X').replace(/linker-\d|out-\d/g, 'N');
    expect(strip(bundled.r.out)).toBe(strip(plain.r.out));
    expect(partition(bundled.out)).toEqual(partition(plain.out));
    expect(partition(bundled.out).length).toBe(70);
  });

  it('suppresses a table (HiGHS loaded on first use) exactly as the unbundled one', () => {
    const outs = [BIN, UNBUNDLED].map((entry, k) => {
      const out = join(dir, `public-${k}.csv`);
      const r = spawnCli(entry, ['suppress', join(FIX, 'hierarchy.csv'), '-o', out, '--spec', join(FIX, 'hierarchy.spec.json')]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/secondary\s+3/);
      return readFileSync(out, 'utf8');
    });
    expect(outs[0]).toBe(outs[1]);
  });

  it('prints the same help and version as the unbundled one (yargs bundled, its texts found)', () => {
    for (const args of [['--help'], ['link', '--help'], ['--version']]) {
      const [bundled, plain] = [BIN, UNBUNDLED].map((entry) => spawnCli(entry, args));
      expect(bundled!.code).toBe(0);
      expect(bundled!.out).toBe(plain!.out);
    }
    const help = spawnCli(BIN, ['--help']).out;
    for (const c of COMMANDS) expect(help).toContain(`p20link ${c.name}`);
  });
});
