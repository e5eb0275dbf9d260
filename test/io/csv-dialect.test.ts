/**
 * The CSV dialect a user names (--delimiter, --trim, --encoding; the
 * library's `csv` option): one reader of it for every command that reads a
 * user's CSV file, and the notes that say which option a header needs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMessage } from '../../cli/hints.js';
import { dialectNote, missingColumnError, openCsv, readCsvDialect } from '../../src/io/csv.js';
import { collectBatches } from '../helpers/batches.js';
import { cp1252 } from '../helpers/cp1252.js';
import { p20Rejection, p20Thrown } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-dialect-');

describe('readCsvDialect', () => {
  it('reads the names a user writes: "tab" and "\\t" a tab, the aliases of windows-1252 and UTF-8 in any case', () => {
    expect(readCsvDialect(undefined)).toEqual({ encodingOption: true });
    expect(readCsvDialect({ delimiter: 'tab' })).toEqual({ delimiter: '\t', encodingOption: true });
    expect(readCsvDialect({ delimiter: '\\t' }).delimiter).toBe('\t');
    expect(readCsvDialect({ delimiter: ';', trim: true })).toEqual({ delimiter: ';', trim: true, encodingOption: true });
    for (const e of ['windows-1252', 'Latin1', 'CP1252', 'iso-8859-1']) expect(readCsvDialect({ encoding: e }).encoding).toBe('windows-1252');
    for (const e of ['utf-8', 'UTF8']) expect(readCsvDialect({ encoding: e }).encoding).toBe('utf-8');
  });

  it('refuses a delimiter or encoding it cannot read, naming the option and the value, with the caller\'s code', () => {
    for (const d of ['', ';;', '"', '\n']) {
      const e = p20Thrown(() => readCsvDialect({ delimiter: d }));
      expect(e.code).toBe('CSV_OPTIONS');
      expect(e.hint).toEqual({ id: 'subject', option: 'delimiter', value: JSON.stringify(d) });
    }
    const e = p20Thrown(() => readCsvDialect({ encoding: 'utf-16' }, 'ENCODE_OPTIONS'));
    expect(e.code).toBe('ENCODE_OPTIONS');
    expect(cliMessage(e)).toBe('--encoding "utf-16": is not a character encoding this reads (utf-8, windows-1252; latin1 and cp1252 are windows-1252)');
  });
});

describe('dialectNote and missingColumnError', () => {
  it('names trim for names with surrounding spaces, and the delimiter a one-column header holds', () => {
    expect(dialectNote(['id', ' grp'], {})).toMatchObject({ option: 'trim' });
    expect(dialectNote(['id', ' grp'], { trim: true })).toBeUndefined();
    expect(dialectNote(['id;grp'], {})).toMatchObject({ option: 'delimiter', value: "';'" });
    expect(dialectNote(['id\tgrp'], { delimiter: ';' })).toMatchObject({ option: 'delimiter', value: 'tab' });
    expect(dialectNote(['id,grp'], { delimiter: ';' })).toMatchObject({ option: 'delimiter', value: "','" });
    expect(dialectNote(['id;grp'], { delimiter: ';' })).toBeUndefined();
    expect(dialectNote(['id', 'grp'], {})).toBeUndefined();
    expect(dialectNote(['idgrp'], {})).toBeUndefined();
  });

  it('an error on a missing column says which option to read the file with, only when the dialect may be why', () => {
    const e = missingColumnError('BIAS_ARGS', 'id column "sid" is not in the header', { file: 'x.csv', line: 1, field: 'sid' }, ['sid;grp'], {});
    expect(cliMessage(e)).toBe('x.csv, line 1, field "sid": id column "sid" is not in the header. The header is one single column containing ";": read it with --delimiter \';\'');
    expect(e.message).toContain('read it with the delimiter option');
    const plain = missingColumnError('BIAS_ARGS', 'id column "sid" is not in the header', { file: 'x.csv', line: 1 }, ['id', 'grp'], {});
    expect(plain.hint).toBeUndefined();
    expect(plain.detail).toBe('id column "sid" is not in the header');
  });
});

describe('a reader with the encoding option', () => {
  it('refuses a windows-1252 file read as UTF-8 with the option in the hint; read as windows-1252 it is the UTF-8 text', async () => {
    const text = 'id;grp\n1;Niños\n2;Peña\n';
    const p = join(dir, 'cp1252.csv');
    writeFileSync(p, cp1252(text));
    const advised = await p20Rejection(openCsv(p, { ...readCsvDialect({ delimiter: ';' }) }).then((t) => collectBatches(t.batches)));
    expect(advised.code).toBe('CSV_ENCODING');
    expect(advised.location.line).toBe(2);
    expect(cliMessage(advised)).toMatch(/is read as windows-1252 with --encoding windows-1252\)$/);
    const plain = await p20Rejection(openCsv(p, { delimiter: ';' }).then((t) => collectBatches(t.batches)));
    expect(plain.hint).toBeUndefined();
    expect(plain.detail).toBe('invalid UTF-8 byte sequence (the file must be UTF-8 encoded)');
    const t = await openCsv(p, { ...readCsvDialect({ delimiter: ';', encoding: 'latin1' }) });
    expect((await collectBatches(t.batches)).map((r) => r.fields)).toEqual([
      ['1', 'Niños'],
      ['2', 'Peña'],
    ]);
  });
});
