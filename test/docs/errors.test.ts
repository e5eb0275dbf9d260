import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { ERROR_CODES, type ErrorCode, type ErrorKind, P20Error, kindOfCode } from '../../src/errors.js';
import { EXIT, KIND_EXIT, exitStatusOf } from '../../cli/exit-status.js';
import { HINT_IDS, cliMessage } from '../../cli/hints.js';

/**
 * The error contract: every code the library raises is in ERROR_CODES (with
 * its kind), docs/errors.md lists exactly those codes, no code in the table
 * goes unused, kinds map to the documented exit statuses, and no library
 * message names a command-line flag (the CLI words hints as flags).
 *
 * docs/errors.md is generated from the table: after adding or moving a code,
 * run `P20LINK_WRITE_DOCS=1 npx vitest run test/docs/errors.test.ts`.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'errors.md');

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      if (f === 'node_modules' || f === 'assembly' || f.startsWith('.')) continue;
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.ts') && !f.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(join(ROOT, dir));
  return out.sort();
}

const rel = (f: string) => relative(ROOT, f).replaceAll('\\', '/');
const SOURCES = ['src', 'cli', 'examples', 'bench'].flatMap(files).filter((f) => rel(f) !== 'src/errors.ts');
const TEXT = new Map(SOURCES.map((f) => [rel(f), readFileSync(f, 'utf8')]));
const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

/** The files that name `code` as a string literal (where it is raised or passed on to be raised). */
function whereRaised(code: string): string[] {
  const re = new RegExp(`['"\`]${code}['"\`]`);
  return [...TEXT].filter(([, t]) => re.test(t)).map(([f]) => f);
}
/** Codes raised by src/errors.ts itself (operating-system errors in fsError). */
const ERRORS_TS = readFileSync(join(ROOT, 'src', 'errors.ts'), 'utf8').split('export const ERROR_CODES')[0]! + readFileSync(join(ROOT, 'src', 'errors.ts'), 'utf8').split('} as const satisfies')[1]!;
function where(code: string): string[] {
  const w = whereRaised(code);
  return new RegExp(`'${code}'`).test(ERRORS_TS) ? ['src/errors.ts', ...w] : w;
}

const KIND_WORDS: Record<ErrorKind, string> = {
  input: 'bad input or usage',
  check: 'the check failed',
  environment: 'the environment failed',
  internal: 'a bug in p20link',
};

function errorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Every refusal the toolkit makes is a `P20Error` (`src/errors.ts`) with a',
    'stable `code` from this table, a message naming the file (and line and',
    'field) concerned, and a *kind*. The library says nothing about exit',
    'statuses or command-line flags: the CLI turns the kind into the exit status',
    '(`cli/exit-status.ts`, [exit codes](exit-codes.md)) and an error\'s `hint`',
    '(the option to change, as data) into flag text (`cli/hints.ts`).',
    '',
    '| kind | exit status | meaning |',
    '|---|---|---|',
    ...(Object.keys(KIND_WORDS) as ErrorKind[]).map((k) => `| \`${k}\` | ${KIND_EXIT[k]} | ${KIND_WORDS[k]} |`),
    '',
    'Operating-system errors are translated by `fsError` into the `ENV_*` codes',
    '(and `STORE_BUSY`), or into the calling code when the path itself is the',
    'mistake (it does not exist, or is the wrong kind of thing).',
    '',
    'This page is generated from `ERROR_CODES` by `test/docs/errors.test.ts`',
    '(`P20LINK_WRITE_DOCS=1 npx vitest run test/docs/errors.test.ts`); the test',
    'fails when a code is added, removed or moved without it.',
    '',
    '| code | kind | exit | meaning | raised in |',
    '|---|---|---|---|---|',
  ];
  for (const c of CODES) {
    const { kind, meaning } = ERROR_CODES[c];
    const w = where(c).map((f) => `\`${f}\``).join(', ');
    lines.push(`| \`${c}\` | ${kind} | ${KIND_EXIT[kind]} | ${meaning.replaceAll('|', '\\|')} | ${w} |`);
  }
  return lines.join('\n') + '\n';
}

/** The string literals an expression can evaluate to ('A', c ? 'A' : 'B'); none for other expressions. */
function literals(n: ts.Expression | undefined): string[] {
  if (n === undefined) return [];
  if (ts.isStringLiteral(n)) return [n.text];
  if (ts.isConditionalExpression(n)) return [...literals(n.whenTrue), ...literals(n.whenFalse)];
  if (ts.isParenthesizedExpression(n)) return literals(n.expression);
  return [];
}

/** Every `new P20Error(...)` in a source file: the literal codes it may raise and its message argument's text. */
function p20Calls(file: string, text: string): { codes: string[]; message: string; line: number }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { codes: string[]; message: string; line: number }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isNewExpression(n) && n.expression.getText(sf) === 'P20Error') {
      const a = n.arguments ?? [];
      out.push({ codes: literals(a[0]), message: a[1]?.getText(sf) ?? '', line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

describe('error codes', () => {
  it('docs/errors.md is the table: exactly the codes of ERROR_CODES, with kind, exit status and where raised', () => {
    const want = errorsDoc();
    if (process.env.P20LINK_WRITE_DOCS) writeFileSync(DOC, want);
    const have = readFileSync(DOC, 'utf8');
    const documented = [...have.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(CODES);
    expect(have, 'docs/errors.md is stale: run P20LINK_WRITE_DOCS=1 npx vitest run test/docs/errors.test.ts').toBe(want);
  });

  it('the doc check can fail: a code missing from the page is noticed', () => {
    const page = errorsDoc().replace(/^\| `SECRET_WEAK` .*\n/m, '');
    expect([...page.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1])).not.toEqual(CODES);
  });

  it('every literal code given to new P20Error is in the table', () => {
    const unknown: string[] = [];
    let count = 0;
    for (const [f, t] of TEXT) {
      for (const c of p20Calls(f, t)) {
        for (const code of c.codes) {
          count++;
          if (!Object.hasOwn(ERROR_CODES, code)) unknown.push(`${f}:${c.line} ${code}`);
        }
      }
    }
    expect(count).toBeGreaterThan(200);
    expect(unknown).toEqual([]);
  });

  it('the table has no unused codes', () => {
    expect(CODES.filter((c) => where(c).length === 0)).toEqual([]);
  });

  it('codes are SCREAMING_SNAKE and every kind is one of the four', () => {
    for (const c of CODES) {
      expect(c).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(['input', 'check', 'environment', 'internal']).toContain(ERROR_CODES[c].kind);
      expect(ERROR_CODES[c].meaning.length).toBeGreaterThan(10);
    }
  });
});

describe('kinds and exit statuses', () => {
  it('input 2, check 1, environment 3, internal 70 (docs/exit-codes.md)', () => {
    expect(KIND_EXIT).toEqual({ input: 2, check: 1, environment: 3, internal: 70 });
    expect(exitStatusOf(new P20Error('SECRET_WEAK', 'x'))).toBe(EXIT.badInput);
    expect(exitStatusOf(new P20Error('AUDIT_BROKEN', 'x'))).toBe(EXIT.checkFailed);
    expect(exitStatusOf(new P20Error('TABLE_UNPROTECTABLE', 'x'))).toBe(EXIT.checkFailed);
    expect(exitStatusOf(new P20Error('ENV_DISK_FULL', 'x'))).toBe(EXIT.environment);
    expect(exitStatusOf(new P20Error('STORE_BUSY', 'x'))).toBe(EXIT.environment);
    expect(exitStatusOf(new P20Error('TABLE_LP', 'x'))).toBe(EXIT.internal);
    expect(exitStatusOf(new TypeError('a bug'))).toBe(EXIT.internal);
    expect(exitStatusOf(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(EXIT.environment);
    expect(exitStatusOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(EXIT.badInput);
  });

  it('an error carries its kind, not an exit status', () => {
    const e = new P20Error('TABLE_UNPROTECTABLE', 'cannot protect', { file: 't.csv' });
    expect(e.kind).toBe('check');
    expect('exitCode' in e).toBe(false);
    expect(kindOfCode('NOT_A_CODE')).toBe('internal');
  });
});

describe('flags belong to the CLI', () => {
  it('no library message names a command-line flag', () => {
    const naming: string[] = [];
    for (const [f, t] of TEXT) {
      if (!f.startsWith('src/')) continue;
      for (const c of p20Calls(f, t)) if (/(^|[\s`'"(])--[a-z]/.test(c.message)) naming.push(`${f}:${c.line}`);
    }
    expect(naming).toEqual([]);
  });

  it('a hint is data in the library and a flag in the CLI', () => {
    const e = new P20Error('LINK_DUPLICATE_PARTY', 'party name "a" is also used by x.enc; every input needs its own party label', { file: 'y.enc' }, { hint: { id: 'party-label-for', option: 'party', value: 'y.enc=NAME' } });
    expect(e.message).toBe('y.enc: party name "a" is also used by x.enc; every input needs its own party label');
    expect(e.message).not.toContain('--');
    expect(cliMessage(e)).toBe('y.enc: party name "a" is also used by x.enc; every input needs its own party label: give one with --party y.enc=NAME');
    const s = new P20Error('ENCODE_OPTIONS', 'MIN is after MAX', {}, { hint: { id: 'subject', option: 'date-range', value: '2000-01-01..1990-01-01' } });
    expect(s.message).toBe('date-range 2000-01-01..1990-01-01: MIN is after MAX');
    expect(cliMessage(s)).toBe('--date-range 2000-01-01..1990-01-01: MIN is after MAX');
  });

  it('every hint id is worded with a flag by the CLI and used by the library', () => {
    const src = [...TEXT].filter(([f]) => f.startsWith('src/')).map(([, t]) => t).join('\n');
    for (const id of HINT_IDS) {
      const e = new P20Error('LINK_OPTION', 'the example option is wrong', {}, { hint: { id, option: 'example', value: 'V' } });
      expect(cliMessage(e), id).toMatch(/--[a-z]/);
      expect(new RegExp(`id: [^,}]*'${id}'`).test(src), `hint id ${id} is never used in src/`).toBe(true);
    }
  });
});
