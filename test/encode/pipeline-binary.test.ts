import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { encodeFile, type EncodeOptions } from '../../src/encode/pipeline.js';
import { openEncoded, type EncodedRow } from '../../src/format/encoded-file.js';
import { collectBatches } from '../helpers/batches.js';
import { fileTempDir } from '../helpers/tmp.js';

const SCHEMA = join(resolve(process.cwd(), 'test/fixtures/encode'), 'person.schema.json');
const secret = new TextEncoder().encode('test secret for the binary pipeline 0123');
const HEADER = 'student_id,last_name,first_name,middle_name,birth_date,gender,zip,cohort_year';
const dir = fileTempDir('p20link-pipeline-bin-');
let n = 0;

async function encode(input: string, extra: Partial<EncodeOptions>) {
  const output = join(dir, `out-${++n}.enc`);
  const summary = await encodeFile({ input, output, schema: SCHEMA, secret, party: 'k12', createdAt: new Date('2026-01-02T03:04:05Z'), allowUnhardened: true, ...extra });
  return { output, summary };
}

describe('encodeFile: binary body', () => {
  it('is byte-identical with 0, 1 and 3 workers and holds the same records as the text body', async () => {
    const lines = [HEADER];
    const names = ['García', 'Smith', 'Nguyễn', "O'Neil", 'de la Cruz', 'Müller', 'Lee'];
    for (let i = 0; i < 5000; i++) {
      const bad = i % 997 === 5;
      lines.push(`S${i},${names[i % 7]},N${i % 131},,${bad ? '2001-13-01' : `${1990 + (i % 20)}-0${1 + (i % 9)}-1${i % 9}`},${i % 2 ? 'M' : 'F'},97${String(i % 1000).padStart(3, '0')},${2010 + (i % 5)}`);
    }
    const input = join(dir, 'in.csv');
    await writeFile(input, lines.join('\n') + '\n');
    const outs: Buffer[] = [];
    for (const workers of [0, 1, 3]) {
      const { output, summary } = await encode(input, { workers, body: 'binary', onBadRow: 'reject', rejectsFile: join(dir, `rej-${++n}.csv`) });
      expect(summary).toMatchObject({ read: 5000, encoded: 4994, workers });
      outs.push(await readFile(output));
    }
    expect(outs[1]!.equals(outs[0]!)).toBe(true);
    expect(outs[2]!.equals(outs[0]!)).toBe(true);
    const text = await encode(input, { workers: 0, onBadRow: 'reject', rejectsFile: join(dir, `rej-${++n}.csv`) });
    const binPath = join(dir, 'bin.enc');
    await writeFile(binPath, outs[0]!);
    const rb = await openEncoded(binPath);
    const rt = await openEncoded(text.output);
    expect({ ...rb.header, version: 1 }).toEqual(rt.header);
    const hex = (rows: EncodedRow[]) => rows.map((r) => ({ ...r, clk: Buffer.from(r.clk).toString('hex') }));
    expect(hex(await collectBatches(rb.batches))).toEqual(hex(await collectBatches(rt.batches)));
    // The binary body is smaller than base64 in JSON.
    expect(outs[0]!.length).toBeLessThan((await readFile(text.output)).length);
  });

  it('refuses an unknown body', async () => {
    const input = join(dir, 'one.csv');
    await writeFile(input, `${HEADER}\nS1,Smith,Ann,,2001-02-03,F,97501,2019\n`);
    await expect(encode(input, { workers: 0, body: 'json' as never })).rejects.toMatchObject({ code: 'ENCODE_OPTIONS' });
  });
});
