import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeFile } from '../../src/encode/index.js';
import { runCli as run } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Three agencies end to end through the real pipeline: CSV -> encodeFile
 * (protocols/schemas/p20w-person.json, one shared test secret) ->
 * `p20link link` with a registry. Records carry typos, a nickname-free
 * spelling variant, a missing middle initial and a changed ZIP.
 */
const dir = tempDir('p20-link3-');
const schema = resolve(process.cwd(), 'protocols/compat/p20w-person-clkhash.json'); // unhardened variant: this test blocks on keyed values
const secret = new TextEncoder().encode('three-party end-to-end test secret');
const H = 'id,first_name,middle_name,last_name,birth_date,sex,zip';

const k12 = [
  H,
  'K1,Maria,J,Garcia,2005-03-14,F,87501',
  'K2,John,,Smith,2004-11-02,M,87505',
  'K3,Aiyana,R,Begay,2006-07-21,F,87301',
  'K4,Luis,A,Martinez,2005-01-30,M,87107',
  'K5,Emily,K,Nguyen,2004-05-09,F,87110',
  'K6,Samuel,,Chavez,2006-12-01,M,88001',
];
const college = [
  H,
  'C1,Maria,,Garcia,2005-03-14,F,87505',
  'C2,Jon,,Smith,2004-11-02,M,87505',
  'C4,Luis,A,Martines,2005-01-30,M,87107',
  'C7,Grace,L,Yazzie,2003-09-17,F,87301',
];
const wage = [
  H,
  'W1,MARIA,J,GARCIA,03/14/2005,F,87501',
  'W3,Aiyana,,Begay,2006-07-21,F,87301',
  'W4,Luis,,Martinez,2005-01-30,M,87108',
  'W7,Grace,L,Yazzie,2003-09-17,F,87301',
  'W8,Robert,T,Lee,2002-02-02,M,87401',
];

function links(path: string): Map<string, string> {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  return new Map(lines.map((l) => [l.split(',')[0]!, l.split(',')[1]!]));
}

describe('three agencies: encode -> p20link link', () => {
  it('links the same people across K-12, college and wage records and keeps IDs on a second run', async () => {
    const enc: string[] = [];
    for (const [party, rows] of [
      ['k12', k12],
      ['college', college],
      ['wage', wage],
    ] as const) {
      const csv = join(dir, `${party}.csv`);
      writeFileSync(csv, rows.join('\n') + '\n');
      const out = join(dir, `${party}.enc`);
      await encodeFile({ input: csv, output: out, schema, secret, party, allowUnhardened: true });
      enc.push(out);
    }
    const store = join(dir, 'linker.db');
    const r = await run(['link', ...enc, '--out', join(dir, 'out'), '--store', store, '--blocking', 'keys:birth_year+lsh', '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const K = links(join(dir, 'out', 'k12.links.csv'));
    const C = links(join(dir, 'out', 'college.links.csv'));
    const W = links(join(dir, 'out', 'wage.links.csv'));
    expect(C.get('C1')).toBe(K.get('K1'));
    expect(W.get('W1')).toBe(K.get('K1'));
    expect(C.get('C2')).toBe(K.get('K2'));
    expect(W.get('W3')).toBe(K.get('K3'));
    expect(C.get('C4')).toBe(K.get('K4'));
    expect(W.get('W4')).toBe(K.get('K4'));
    expect(W.get('W7')).toBe(C.get('C7'));
    const distinct = new Set([K.get('K1'), K.get('K2'), K.get('K3'), K.get('K4'), K.get('K5'), K.get('K6'), C.get('C7'), W.get('W8')]);
    expect(distinct.size).toBe(8);
    const report = JSON.parse(readFileSync(join(dir, 'out', 'run-report.json'), 'utf8')) as { clusterSizes: Record<string, number> };
    expect(report.clusterSizes).toEqual({ '1': 3, '2': 3, '3': 2 });

    // second run, same files, settings from the schema's link hints: every ID is kept
    const r2 = await run(['link', ...enc, '--out', join(dir, 'out2'), '--store', store, '--schema', schema]);
    expect(r2.code).toBe(0);
    const p2 = JSON.parse(readFileSync(join(dir, 'out2', 'run-report.json'), 'utf8')) as { parameters: { threshold: number; reviewThreshold: number; blocking: string; model: string } };
    // inputs without evidence filters (clkhash-compatible) are linked on the CLK's Dice score by default
    expect(p2.parameters).toMatchObject({ threshold: 0.85, reviewThreshold: null, model: 'dice' });
    expect(p2.parameters.blocking).toBe('keys:birth_year,first_soundex+keys:birth_year,last_soundex+lsh:bands=64,rows=12');
    expect(r2.out).toMatch(/8 kept, 0 new, 0 merged, 0 split/);
    expect(links(join(dir, 'out2', 'k12.links.csv'))).toEqual(K);
    expect(links(join(dir, 'out2', 'wage.links.csv'))).toEqual(W);
    // a schema other than the one the files were encoded with is refused
    const febrl = resolve(process.cwd(), 'protocols/schemas/febrl.json');
    const bad = await run(['link', ...enc, '--out', join(dir, 'out3'), '--schema', febrl]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain(`${enc[0]}: was encoded with a different linkage schema than ${febrl}`);
  });
});
