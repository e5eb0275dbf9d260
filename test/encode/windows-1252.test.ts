/**
 * An extract a Windows program saved as "ANSI" / Latin-1 (windows-1252: one
 * byte an accented letter). As UTF-8 its accented names are invalid: refused
 * with a hint naming the option (or, under the policies that go on, the
 * names would be lost — Hispanic names most). Read with the encoding option
 * it encodes exactly as the same file saved as UTF-8, on the main thread
 * and on workers; a UTF-8 file read as windows-1252 is refused, never
 * turned into other names.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMessage } from '../../cli/hints.js';
import type { EncodeOptions } from '../../src/encode/pipeline.js';
import { openCsvRange } from '../../src/io/csv.js';
import { collectBatches } from '../helpers/batches.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_SCHEMA as SCHEMA, SECRET_TEXT, encodeRows } from '../helpers/encode-rows.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { cp1252 } from '../helpers/cp1252.js';
import { fileTempDir } from '../helpers/tmp.js';

const FIRST = ['José', 'Zoë', 'Ann', 'Inés', 'Łucja', 'Bo', 'François', 'Ñico'];
const LAST = ['García', 'Muñoz', 'Lee', 'Núñez', 'Smith', "O'Brien", 'Peña', 'Ibáñez'];

const dir = fileTempDir('p20link-cp1252-');
let n = 0;

/** 300 people's rows (Ł is not in windows-1252: that name is written "Lucja" in both files). */
function text(): string {
  let t = 'id,first_name,middle_name,last_name,birth_date,sex,zip\n';
  for (let i = 0; i < 300; i++) {
    const first = FIRST[i % 8]!.replace('Ł', 'L');
    t += `${i},${first},${i % 3 ? 'Ángel' : ''},${LAST[(i >> 3) % 8]},${1990 + (i % 20)}-0${1 + (i % 9)}-1${i % 10},${i % 2 ? 'F' : 'M'},${97000 + (i % 40)}\n`;
  }
  return t;
}

async function file(bytes: Buffer | string): Promise<string> {
  const p = join(dir, `in-${++n}.csv`);
  await writeFile(p, bytes);
  return p;
}

const encode = async (input: string, extra: Partial<EncodeOptions> = {}) => (await encodeRows(input, join(dir, `out-${++n}.enc`), extra)).rows;

describe('an extract saved as windows-1252', () => {
  it('read as UTF-8 it is refused at its first accented name, with the option in the hint', async () => {
    const e = await refusal(encode(await file(cp1252(text()))));
    expect(e.code).toBe('ENCODE_BAD_ROW');
    expect(e.location).toMatchObject({ line: 2, field: 'first_name' });
    expect(cliMessage(e)).toMatch(/invalid UTF-8 .*read as windows-1252 with --encoding\)/);
  });

  it('read as windows-1252 it encodes as the same file in UTF-8 (main thread, workers; every alias)', async () => {
    const ref = await encode(await file(text()));
    const input = await file(cp1252(text()));
    expect(await encode(input, { csv: { encoding: 'windows-1252' } })).toEqual(ref);
    expect(await encode(input, { csv: { encoding: 'latin1' }, workers: 2, rangeBytes: 2048 })).toEqual(ref);
    expect(await encode(input, { csv: { encoding: 'CP1252' } })).toEqual(ref);
    // a UTF-8 file says so explicitly too
    expect(await encode(await file(text()), { csv: { encoding: 'utf8' } })).toEqual(ref);
    expect((await refusal(encode(input, { csv: { encoding: 'ebcdic' } }))).code).toBe('ENCODE_OPTIONS');
  });

  it('a UTF-8 file (or one with a UTF-8 byte-order mark) read as windows-1252 is refused, not turned into other names', async () => {
    const utf8 = await refusal(encode(await file(text()), { csv: { encoding: 'windows-1252' } }));
    expect(utf8.code).toBe('CSV_ENCODING');
    expect(utf8.message).toMatch(/line 2: .*UTF-8 sequences: the file is UTF-8, not windows-1252/);
    const bom = await refusal(encode(await file(`\uFEFF${'id,first_name,middle_name,last_name,birth_date,sex,zip\n1,Ann,,Lee,2001-02-03,F,97501\n'}`), { csv: { encoding: 'windows-1252' } }));
    expect(bom.message).toMatch(/UTF-8 byte-order mark/);
    // The check holds in a byte range too (a worker's), on the line of the first sequence.
    const body = Buffer.from('a,b\nx,y\nGarcía,1\n');
    const p = await file(body);
    await expect(collectBatches(openCsvRange(p, 4, body.length, { file: p, encoding: 'windows-1252', startLine: 2 }))).rejects.toThrow(/line 3: .*UTF-8 sequences/);
  });

  it('p20link encode --encoding windows-1252', async () => {
    const sf = join(dir, 'secret');
    await writeFile(sf, SECRET_TEXT);
    await chmod(sf, 0o600);
    const input = await file(cp1252(text()));
    const ok = await runCli(['encode', input, '-o', join(dir, 'cli.enc'), '--schema', SCHEMA, '--party', 'k12', '--secret-file', sf, '--workers', '0', '--encoding', 'windows-1252']);
    expect(ok.err).toMatch(/read 300, encoded 300, rejected 0/);
    expect(ok.code).toBe(0);
  });
});
