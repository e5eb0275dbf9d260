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
 *   people.csv                         entity_id,group,sex,family,family_of (realism `full`
 *                                      only: the groups a bench measures recall by, and
 *                                      twins/siblings: family twin|sibling of entity family_of)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { P20Error } from '../errors.js';
import { openAtomic, writeFileAtomic, type AtomicFile } from '../io/atomic-file.js';
import { csvLine } from '../io/csv.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { HEADERS, PARTIES, idMaker, rowsFor, type Party, type Trouble } from './agencies.js';
import { makePerson, type Realism } from './population.js';
import { NAME_MODELS, type NameModel } from './names.js';
import { Rng, mixSeed } from './prng.js';

export interface GenerateOptions {
  people: number;
  seed: number;
  outDir: string;
  /** Rows buffered and shuffled per file before writing (so file order does not follow person order). Default 4096. */
  shuffleBlock?: number;
  progress?: Progress;
  /**
   * `basic` (default): the original generator, whose output per seed is pinned.
   * `full`: also twins and siblings, adopted English given names, missing
   * birth dates, a person twice in one file, college name-order swaps
   * (docs/example.md), and people.csv.
   */
  realism?: Realism;
  /** `short` (default): the listed names only; `long-tail`: a long tail of synthetic names beyond them (NameModel, src/synth/names.ts). */
  names?: NameModel;
  /**
   * `full` realism only: also recording errors no choice of the match model
   * was made on (EXTRA_ERRORS, src/synth/agencies.ts: another middle initial,
   * sex miscoded, an unrelated birth date, a ZIP typo, wage names cut to fixed
   * widths). The rows are otherwise the `full` ones.
   */
  extraErrors?: boolean;
  /**
   * `full` realism only: a multiplier of the recording errors' rates (typos,
   * nicknames, a middle name left out, day/month swaps and date typos, a
   * birth date missing, name-order swaps, a person twice in a file;
   * RowOptions.troubleScale in src/synth/agencies.ts), > 0, default 1 (the
   * `full` rows, draw for draw). For measuring a linker on files kept
   * better or worse than the generator's own.
   */
  troubleScale?: number;
}

export interface GenerateSummary {
  seed: number;
  people: number;
  rows: Record<Party, number>;
  /** Entities present in 1, 2 and 3 files. */
  presentIn: { one: number; two: number; three: number };
  trouble: Record<Party, Partial<Record<Trouble, number>>>;
  /** `full` realism only: the realism, and how many people are a younger twin or sibling of another. */
  realism?: Realism;
  family?: { twins: number; siblings: number };
  /** Present (true) when the rows carry the extra errors. */
  extraErrors?: boolean;
  /** Present when the recording errors' rates were scaled (GenerateOptions.troubleScale). */
  troubleScale?: number;
  /** Present when the names were drawn with a long tail. */
  names?: NameModel;
  files: Record<Party | 'truth' | 'trouble' | 'summary', string> & { people?: string };
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
  const realism: Realism = opts.realism ?? 'basic';
  if (realism !== 'basic' && realism !== 'full') {
    throw new P20Error('GEN_ARGS', 'realism must be basic or full', { field: 'realism' });
  }
  const full = realism === 'full';
  const extraErrors = opts.extraErrors === true;
  if (extraErrors && !full) {
    throw new P20Error('GEN_ARGS', 'extra errors need realism full', { field: 'extraErrors' });
  }
  const troubleScale = opts.troubleScale;
  if (troubleScale !== undefined && !(Number.isFinite(troubleScale) && troubleScale > 0 && troubleScale <= 100)) {
    throw new P20Error('GEN_ARGS', 'trouble scale must be a number above 0 and at most 100', { field: 'troubleScale' });
  }
  if (troubleScale !== undefined && troubleScale !== 1 && !full) {
    throw new P20Error('GEN_ARGS', 'a trouble scale needs realism full', { field: 'troubleScale' });
  }
  const scaled = troubleScale !== undefined && troubleScale !== 1 ? { troubleScale } : {};
  const names: NameModel = opts.names ?? 'short';
  if (!NAME_MODELS.includes(names)) {
    throw new P20Error('GEN_ARGS', `names must be ${NAME_MODELS.join(' or ')}`, { field: 'names' });
  }
  const progress = opts.progress ?? silentProgress;
  await mkdir(outDir, { recursive: true });
  const files = {
    k12: join(outDir, 'k12.csv'),
    college: join(outDir, 'college.csv'),
    wages: join(outDir, 'wages.csv'),
    truth: join(outDir, 'truth.csv'),
    trouble: join(outDir, 'trouble.csv'),
    summary: join(outDir, 'generation.json'),
    ...(full ? { people: join(outDir, 'people.csv') } : {}),
  };
  const out: Record<Party, AtomicFile> = {
    k12: openAtomic(files.k12),
    college: openAtomic(files.college),
    wages: openAtomic(files.wages),
  };
  const truth = openAtomic(files.truth);
  const troubleFile = openAtomic(files.trouble);
  const peopleFile = files.people !== undefined ? openAtomic(files.people) : undefined;
  const all = [...Object.values(out), truth, troubleFile, ...(peopleFile ? [peopleFile] : [])];
  const summary: GenerateSummary = {
    seed,
    people,
    rows: { k12: 0, college: 0, wages: 0 },
    presentIn: { one: 0, two: 0, three: 0 },
    trouble: { k12: {}, college: {}, wages: {} },
    ...(full ? { realism, family: { twins: 0, siblings: 0 } } : {}),
    ...(extraErrors ? { extraErrors } : {}),
    ...scaled,
    ...(names !== 'short' ? { names } : {}),
    files,
  };
  try {
    for (const p of PARTIES) await out[p].write(csvLine(HEADERS[p]));
    await truth.write('entity_id,party,record_id\n');
    await troubleFile.write('party,record_id,trouble\n');
    await peopleFile?.write('entity_id,group,sex,family,family_of\n');
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
    const ids = idMaker(seed, people);
    let truthChunk = '';
    let troubleChunk = '';
    let peopleChunk = '';
    for (let i = 0; i < people; i++) {
      const person = makePerson(seed, i, realism, names);
      const rows = rowsFor(seed, person, ids, realism, { extraErrors, ...scaled });
      const nParties = new Set(rows.map((r) => r.party)).size;
      if (nParties === 1) summary.presentIn.one++;
      else if (nParties === 2) summary.presentIn.two++;
      else summary.presentIn.three++;
      if (peopleFile) {
        const fam = person.family;
        peopleChunk += csvLine([person.entityId, person.group, person.sex, fam?.kind ?? '', fam ? `E${fam.of + 1}` : '']);
        if (person.family) summary.family![person.family.kind === 'twin' ? 'twins' : 'siblings']++;
      }
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
        await peopleFile?.write(peopleChunk);
        peopleChunk = '';
      }
      if ((i & 4095) === 0) progress.update(i, people);
    }
    for (const p of PARTIES) await flush(p);
    await truth.write(truthChunk);
    await troubleFile.write(troubleChunk);
    await peopleFile?.write(peopleChunk);
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
