/**
 * Generate the three-agency synthetic example data.
 *
 *   node dist/examples/generate.js --people 2000 --seed 20 --out examples/data
 *   node dist/examples/generate.js --people 5000000 --seed 7 --out /data/big
 *
 * Deterministic: the same --people and --seed give the same bytes. Streams
 * (bounded memory) so millions of people are fine.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isP20Error } from '../src/errors.js';
import { exitStatusOf } from '../cli/exit-status.js';
import { cliMessage } from '../cli/hints.js';
import { terminalProgress } from '../src/io/progress.js';
import { generateExtracts } from '../src/synth/generate.js';
import type { NameModel } from '../src/synth/names.js';

const USAGE = `usage: node dist/examples/generate.js --people N --seed S --out DIR

Writes DIR/k12.csv, DIR/college.csv, DIR/wages.csv (three agencies' extracts of
the same synthetic population, each in its own layout), DIR/truth.csv
(entity_id,party,record_id) and DIR/generation.json (counts of each kind of trouble).

  --people N   number of synthetic people (default 2000)
  --seed S     integer seed, 0..4294967295 (default 20)
  --out DIR    output directory (created if missing; files are replaced atomically)
  --realism R  basic (default; what the bundled sample is) or full: also twins and
               siblings, adopted names, missing birth dates, a person twice in one
               file, more married names, and DIR/people.csv (docs/example.md)
  --names M    short (default; what the bundled sample is): the generator's short name
               lists, so common names collide far more than in a state; long-tail: those
               lists and a long tail of synthetic names beyond them (docs/example.md)
  --help       this text
`;

export async function generateMain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        people: { type: 'string', default: '2000' },
        seed: { type: 'string', default: '20' },
        out: { type: 'string' },
        realism: { type: 'string', default: 'basic' },
        names: { type: 'string', default: 'short' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`generate: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.out) {
    process.stderr.write(`generate: --out is required\n${USAGE}`);
    return 2;
  }
  const people = Number(values.people);
  const seed = Number(values.seed);
  try {
    const t0 = Date.now();
    const realism = values.realism as 'basic' | 'full';
    const names = values.names as NameModel;
    const s = await generateExtracts({ people, seed, outDir: values.out, realism, names, progress: terminalProgress('generating') });
    const secs = (Date.now() - t0) / 1000;
    process.stdout.write(
      `generated ${s.people} people (seed ${s.seed}) in ${secs.toFixed(1)} s: ` +
        `k12 ${s.rows.k12} rows, college ${s.rows.college} rows, wages ${s.rows.wages} rows; ` +
        `in one file ${s.presentIn.one}, two ${s.presentIn.two}, three ${s.presentIn.three}\n` +
        `  ${s.files.k12}\n  ${s.files.college}\n  ${s.files.wages}\n  ${s.files.truth}\n  ${s.files.summary}\n`,
    );
    return 0;
  } catch (e) {
    if (isP20Error(e)) {
      process.stderr.write(`generate: error: ${cliMessage(e)}\n`);
      return exitStatusOf(e);
    }
    throw e;
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await generateMain(process.argv.slice(2));
}
