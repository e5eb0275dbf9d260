/**
 * Stream the three agencies' extracts of a synthetic population to CSV files,
 * with the ground truth beside them. Memory is bounded (one shuffle block per
 * file) whatever the number of people; every file is written atomically.
 *
 * Output directory:
 *   k12.csv, college.csv, wages.csv   one file per agency, its own layout and ids
 *   truth.csv                          entity_id,party,record_id
 *   trouble.csv                        party,record_id,trouble (records with any; kinds joined by ";")
 *   generation.json                    seed, people, row counts, trouble counts
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { P20Error } from '../errors.js';
import { openAtomic, writeFileAtomic, type AtomicFile } from '../io/atomic-file.js';
import { csvLine } from '../io/csv.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { HEADERS, PARTIES, idMaker, rowsFor, type Party, type Trouble } from './agencies.js';
import { makePerson } from './population.js';
import { Rng, mixSeed } from './prng.js';

export interface GenerateOptions {
  people: number;
  seed: number;
  outDir: string;
  /** Rows buffered and shuffled per file before writing (so file order does not follow person order). Default 4096. */
  shuffleBlock?: number;
  progress?: Progress;
}

export interface GenerateSummary {
  seed: number;
  people: number;
  rows: Record<Party, number>;
  /** Entities present in 1, 2 and 3 files. */
  presentIn: { one: number; two: number; three: number };
  trouble: Record<Party, Partial<Record<Trouble, number>>>;
  files: Record<Party | 'truth' | 'trouble' | 'summary', string>;
}

export const MAX_PEOPLE = 50_000_000;

export async function generateExtracts(opts: GenerateOptions): Promise<GenerateSummary> {
  const { people, seed, outDir } = opts;
  if (!Number.isInteger(people) || people < 1 || people > MAX_PEOPLE) {
    throw new P20Error('GEN_ARGS', `must be an integer from 1 to ${MAX_PEOPLE}`, { field: 'people' }, { hint: { id: 'lead', option: 'people' } });
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new P20Error('GEN_ARGS', 'seed must be an integer from 0 to 4294967295', { field: 'seed' });
  }
  const block = opts.shuffleBlock ?? 4096;
  const progress = opts.progress ?? silentProgress;
  await mkdir(outDir, { recursive: true });
  const files = {
    k12: join(outDir, 'k12.csv'),
    college: join(outDir, 'college.csv'),
    wages: join(outDir, 'wages.csv'),
    truth: join(outDir, 'truth.csv'),
    trouble: join(outDir, 'trouble.csv'),
    summary: join(outDir, 'generation.json'),
  };
  const out: Record<Party, AtomicFile> = {
    k12: openAtomic(files.k12),
    college: openAtomic(files.college),
    wages: openAtomic(files.wages),
  };
  const truth = openAtomic(files.truth);
  const troubleFile = openAtomic(files.trouble);
  const all = [...Object.values(out), truth, troubleFile];
  const summary: GenerateSummary = {
    seed,
    people,
    rows: { k12: 0, college: 0, wages: 0 },
    presentIn: { one: 0, two: 0, three: 0 },
    trouble: { k12: {}, college: {}, wages: {} },
    files,
  };
  try {
    for (const p of PARTIES) await out[p].write(csvLine(HEADERS[p]));
    await truth.write('entity_id,party,record_id\n');
    await troubleFile.write('party,record_id,trouble\n');
    const buffers: Record<Party, string[]> = { k12: [], college: [], wages: [] };
    const shuffleRng = new Rng(mixSeed(seed, 0x5f1e));
    const flush = async (party: Party) => {
      const buf = buffers[party];
      for (let i = buf.length - 1; i > 0; i--) {
        const j = Math.floor(shuffleRng.next() * (i + 1));
        [buf[i], buf[j]] = [buf[j]!, buf[i]!];
      }
      if (buf.length > 0) await out[party].write(buf.join(''));
      buffers[party] = [];
    };
    const ids = idMaker(seed);
    let truthChunk = '';
    let troubleChunk = '';
    for (let i = 0; i < people; i++) {
      const person = makePerson(seed, i);
      const rows = rowsFor(seed, person, ids);
      if (rows.length === 1) summary.presentIn.one++;
      else if (rows.length === 2) summary.presentIn.two++;
      else summary.presentIn.three++;
      for (const r of rows) {
        summary.rows[r.party]++;
        const t = summary.trouble[r.party];
        const kinds = [...new Set(r.trouble)];
        for (const k of kinds) t[k] = (t[k] ?? 0) + 1;
        if (kinds.length > 0) troubleChunk += `${r.party},${r.id},${kinds.join(';')}\n`;
        buffers[r.party].push(csvLine(r.fields));
        truthChunk += `${person.entityId},${r.party},${r.id}\n`;
        if (buffers[r.party].length >= block) await flush(r.party);
      }
      if (truthChunk.length > 1 << 16) {
        await truth.write(truthChunk);
        truthChunk = '';
        await troubleFile.write(troubleChunk);
        troubleChunk = '';
      }
      if ((i & 4095) === 0) progress.update(i, people);
    }
    for (const p of PARTIES) await flush(p);
    await truth.write(truthChunk);
    await troubleFile.write(troubleChunk);
    for (const f of all) await f.commit();
    progress.finish();
  } catch (e) {
    for (const f of all) await f.abort();
    throw e;
  }
  const sorted = (o: Partial<Record<Trouble, number>>) =>
    Object.fromEntries(Object.entries(o).sort((a, b) => a[0].localeCompare(b[0])));
  const { files: _f, ...rest } = summary;
  void _f;
  const forFile = { ...rest, trouble: { k12: sorted(rest.trouble.k12), college: sorted(rest.trouble.college), wages: sorted(rest.trouble.wages) } };
  await writeFileAtomic(files.summary, JSON.stringify(forFile, null, 2) + '\n');
  return summary;
}
