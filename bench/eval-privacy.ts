/**
 * `npm run eval:privacy`: attack × hardening on the project's generator.
 *
 * A victim population and a disjoint reference population of the same
 * distribution (different seeds) are generated. For every candidate schema
 * the victims' K-12 extract is encoded (fixed test secret: synthetic data),
 * every attack of src/assess runs against it with the reference
 * population's plaintext as the attacker's knowledge, and K-12 × wages are
 * linked (linkFiles, the schema's link hints) to measure precision, recall
 * and F1 against the truth, side by side with the unhardened schema.
 *
 *   node dist/bench/eval-privacy.js [--people N] [--large] [--seed S] [--ref-seed S]
 *                                   [--schemas a.json,b.json] [--keep DIR]
 *   P20_PRIVACY_PEOPLE=200000 npm run eval:privacy     (or --large)
 *
 * Last line: {"maxFirstLast": share, "maxFirst": share, "f1Loss": points/100,
 * "maxSexRead": share} — the worst case over the shipped schemas
 * (protocols/schemas/*.json that link P-20W extracts), every column of their
 * encoded files (the CLK and every evidence filter) and every attack;
 * maxSexRead is the share of victims whose sex labelledBitsAttack reads
 * from the worst column, given SEX_LABELS known women (reported, not
 * bounded: docs/attacks.md). Before it, one line per schema and column: the
 * worst shares of that column.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labelledBitsAttack } from '../src/assess/attribute.js';
import { assessEncodings, loadEncodings, readPlainCsv, type AssessReport, type LoadedEncodings, type PlainRecord } from '../src/assess/index.js';
import { encodeFile, prepareEncode } from '../src/encode/index.js';
import { parseBlockingSpec } from '../src/link/blocking/config.js';
import { linkFiles } from '../src/link/link-files.js';
import { generateExtracts } from '../src/synth/generate.js';

/** A fixed secret for synthetic benchmark data only. Never use a known secret on real data. */
export const PRIVACY_TEST_SECRET = new TextEncoder().encode('p20link privacy evaluation secret (synthetic data only)');

interface Mapping {
  idColumn: string;
  map: Record<string, string>;
}

export interface SchemaRow {
  schema: string;
  hardened: boolean;
  linkage: { precision: number; recall: number; f1: number; blocking: string; threshold: number; model?: string };
  /** With evidence filters: the CLK's Dice alone at the schema's threshold (the linker's default there is the match model). */
  linkageDice?: { precision: number; recall: number; f1: number };
  assess: AssessReport;
  /** Per column (clk, ev:<name>): share of the victims whose sex labelledBitsAttack reads right, given SEX_LABELS known women. */
  sexRead: Record<string, number>;
  /** Share of the victims of the more frequent sex (what reading every record as that sex gets right). */
  sexBaseline: number;
}

/** Women whose sex the attacker knows (a linker gets that many from its married-name links: docs/attacks.md). */
export const SEX_LABELS = 1000;

/**
 * Share of the victims (those not labelled, with a recorded sex) whose sex
 * the attack reads right from each column, the first SEX_LABELS women of
 * the file given as known.
 */
export function sexReadByColumn(encodings: LoadedEncodings, truth: readonly (PlainRecord | undefined)[]): { sexRead: Record<string, number>; sexBaseline: number } {
  const sex = truth.map((r) => r?.sex ?? '');
  const women = sex.flatMap((x, i) => (x === 'F' ? [i] : [])).slice(0, SEX_LABELS);
  const known = new Set(women);
  const recorded = sex.filter((x) => x === 'F' || x === 'M').length;
  const share = sex.filter((x) => x === 'F').length / Math.max(1, recorded);
  const columns: [string, readonly Uint8Array[]][] = [['clk', encodings.clks], ...(encodings.evidence ?? []).map((e): [string, readonly Uint8Array[]] => [`ev:${e.name}`, e.rows])];
  const sexRead: Record<string, number> = {};
  for (const [name, rows] of columns) {
    const read = labelledBitsAttack(rows, women, share);
    let ok = 0;
    let all = 0;
    sex.forEach((x, i) => {
      if (known.has(i) || (x !== 'F' && x !== 'M')) return;
      all++;
      if ((read[i] === 1) === (x === 'F')) ok++;
    });
    sexRead[name] = ok / Math.max(1, all);
  }
  return { sexRead, sexBaseline: Math.max(share, 1 - share) };
}

export interface PrivacyEvalOptions {
  root?: string;
  people: number;
  seed: number;
  refSeed: number;
  schemas: string[];
  workDir?: string;
  log?: (s: string) => void;
}

function mapping(root: string, party: string): Mapping {
  return JSON.parse(readFileSync(join(root, 'examples/agencies', `${party}.json`), 'utf8')) as Mapping;
}

async function encodeParty(root: string, dir: string, party: string, schema: string, out: string): Promise<void> {
  const m = mapping(root, party);
  const { ext } = await prepareEncode(schema);
  // the agencies' mapping names the features; keep only features the schema has
  const map = Object.fromEntries(Object.entries(m.map).filter(([f]) => f in ext.columns));
  // the unhardened clkhash-compatible schema is measured on purpose (synthetic data, test secret)
  await encodeFile({ input: join(dir, `${party}.csv`), output: out, schema, secret: PRIVACY_TEST_SECRET, party, map, idColumn: m.idColumn, workers: 0, allowUnhardened: true });
}

export async function runPrivacyEval(o: PrivacyEvalOptions): Promise<SchemaRow[]> {
  const root = o.root ?? process.cwd();
  const log = o.log ?? (() => {});
  const work = o.workDir ?? mkdtempSync(join(tmpdir(), 'p20-privacy-'));
  mkdirSync(work, { recursive: true });
  try {
    const vdir = join(work, `victims-${o.people}-${o.seed}`);
    const rdir = join(work, `reference-${o.people}-${o.refSeed}`);
    log(`generating ${o.people} victims (seed ${o.seed}) and ${o.people} reference people (seed ${o.refSeed})`);
    await generateExtracts({ people: o.people, seed: o.seed, outDir: vdir });
    await generateExtracts({ people: o.people, seed: o.refSeed, outDir: rdir });
    const k12 = mapping(root, 'k12');
    const rows: SchemaRow[] = [];
    for (const schema of o.schemas) {
      const t0 = Date.now();
      const { schema: s, ext } = await prepareEncode(schema);
      const encK = join(work, `k12-${basename(schema)}.enc`);
      const encW = join(work, `wages-${basename(schema)}.enc`);
      await encodeParty(root, vdir, 'k12', schema, encK);
      await encodeParty(root, vdir, 'wages', schema, encW);
      const refMap = Object.fromEntries(Object.entries(k12.map).filter(([f]) => f in ext.columns));
      const reference = (await readPlainCsv(join(rdir, 'k12.csv'), s, ext, { map: refMap })).records;
      const victims = await readPlainCsv(join(vdir, 'k12.csv'), s, ext, { map: refMap, idColumn: k12.idColumn });
      const byId = new Map(victims.ids.map((id, i) => [id, victims.records[i]!]));
      const encodings = await loadEncodings(encK);
      const truth = encodings.ids.map((id) => byId.get(id));
      const assess = await assessEncodings({
        schema: s,
        encodings,
        reference,
        truth,
        seed: o.seed ^ 0x9e37,
        onAttack: (a, secs) => log(`  ${basename(schema)}: ${a} ${secs.toFixed(1)} s`),
      });
      const hints = ext.link ?? {};
      const keyParts = (hints.blocking ?? []).map((k) => `keys:${k}`);
      const lsh = hints.lsh === false ? [] : [hints.lsh ?? 'lsh'];
      const blocking = [...keyParts, ...lsh].join('+');
      const threshold = hints.threshold ?? 0.8;
      const report = await linkFiles({
        inputs: [{ file: encK }, { file: encW }],
        outDir: join(work, `out-${basename(schema)}`),
        // the linker's default: the match model where the schema has evidence (a Dice threshold is then refused)
        ...(ext.evidence ? {} : { threshold }),
        blocking: parseBlockingSpec(blocking),
        truth: join(vdir, 'truth.csv'),
      });
      const q = report.truth!;
      const row: SchemaRow = { schema, hardened: ext.hardening !== undefined, linkage: { precision: q.precision, recall: q.recall, f1: q.f1, blocking, threshold, model: report.parameters.model ?? 'dice' }, assess, ...sexReadByColumn(encodings, truth) };
      if (ext.evidence) {
        const d = await linkFiles({ inputs: [{ file: encK }, { file: encW }], outDir: join(work, `out-dice-${basename(schema)}`), threshold, blocking: parseBlockingSpec(blocking), truth: join(vdir, 'truth.csv'), model: 'dice' });
        row.linkageDice = { precision: d.truth!.precision, recall: d.truth!.recall, f1: d.truth!.f1 };
      }
      rows.push(row);
      log(`  ${basename(schema)} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    return rows;
  } finally {
    if (!o.workDir) rmSync(work, { recursive: true, force: true });
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function formatRows(rows: SchemaRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    const l = r.linkage;
    out.push(`${basename(r.schema)}${r.hardened ? '' : ' (unhardened)'}: linkage P ${l.precision.toFixed(4)} R ${l.recall.toFixed(4)} F1 ${l.f1.toFixed(4)} (model ${l.model ?? 'dice'}, threshold ${l.threshold}, blocking ${l.blocking})`);
    if (r.linkageDice) out.push(`  CLK Dice alone at the same threshold: P ${r.linkageDice.precision.toFixed(4)} R ${r.linkageDice.recall.toFixed(4)} F1 ${r.linkageDice.f1.toFixed(4)}`);
    const b = r.assess.baseline!;
    out.push(`  frequency-guess baseline: first ${pct(b.first)}, last ${pct(b.last)}, first+last ${pct(b.both)}, year ${pct(b.year)}`);
    out.push(`  sex read from ${SEX_LABELS} known women (not bounded; the more frequent sex: ${pct(r.sexBaseline)}): ${Object.entries(r.sexRead).map(([c, x]) => `${c} ${pct(x)}`).join(', ')}`);
    for (const a of r.assess.attacks) {
      out.push(
        `  ${(a.attack + (a.detail ? ` ${a.detail}` : '')).padEnd(34)} first ${pct(a.first.share).padStart(7)}  last ${pct(a.last.share).padStart(7)}  first+last ${pct(a.both.share).padStart(7)}  year ${pct(a.year.share).padStart(7)}  precision ${a.precision === null ? '  –  ' : a.precision.toFixed(3)}${a.violations.length ? '  OUTSIDE BOUND' : ''}`,
      );
    }
  }
  return out.join('\n');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const root = process.cwd();
  const large = process.argv.includes('--large');
  const people = Number(arg('--people') ?? process.env.P20_PRIVACY_PEOPLE ?? (large ? 200000 : 50000));
  const seed = Number(arg('--seed') ?? 4101);
  const refSeed = Number(arg('--ref-seed') ?? 4102);
  const unhardened = join(root, 'protocols/compat/p20w-person-clkhash.json');
  // the shipped schemas that read P-20W person extracts (febrl.json reads FEBRL files: docs/hardening.md)
  const shipped = [join(root, 'protocols/schemas/p20w-person.json')];
  // schemas that differ only in descriptions are measured once
  const seen = new Map<string, string>();
  const schemas = (arg('--schemas')?.split(',') ?? [unhardened, ...shipped]).filter((f) => {
    const doc = JSON.parse(readFileSync(f, 'utf8'), (k, v) => (k === 'description' ? undefined : v)) as unknown;
    const key = JSON.stringify(doc);
    const same = seen.get(key);
    if (same !== undefined) process.stderr.write(`${basename(f)} is ${basename(same)} but for its descriptions: measured once\n`);
    else seen.set(key, f);
    return same === undefined;
  });
  const keep = arg('--keep');
  const rows = await runPrivacyEval({ root, people, seed, refSeed, schemas, ...(keep ? { workDir: keep } : {}), log: (s) => process.stderr.write(s + '\n') });
  process.stdout.write(`privacy evaluation: ${people} victims (seed ${seed}), disjoint reference of ${people} (seed ${refSeed}); K-12 encodings attacked, K-12 × wages linked\n`);
  process.stdout.write(formatRows(rows) + '\n');
  // the unhardened clkhash-compatible schema is the linkage reference; every other schema run is judged
  const base = rows.find((r) => r.schema === unhardened);
  const judged = rows.filter((r) => r.schema !== unhardened);
  if (judged.length === 0) judged.push(...rows);
  for (const r of judged) {
    for (const col of r.assess.columns) {
      const rows = r.assess.attacks.filter((a) => (col === 'clk' ? !(a.detail ?? '').startsWith('ev:') : (a.detail ?? '').startsWith(col)));
      const w = (f: (a: (typeof rows)[number]) => number) => Number(Math.max(0, ...rows.map(f)).toFixed(5));
      process.stdout.write(`${basename(r.schema)} ${col}: ${JSON.stringify({ firstLast: w((a) => a.both.share), first: w((a) => a.first.share), last: w((a) => a.last.share), outsideBound: rows.some((a) => a.violations.length > 0), sexRead: Number((r.sexRead[col] ?? 0).toFixed(4)) })}\n`);
    }
  }
  const maxFirstLast = Math.max(...judged.map((r) => r.assess.worst!.firstLast));
  const maxFirst = Math.max(...judged.map((r) => r.assess.worst!.first));
  const f1Loss = base ? Math.max(0, ...judged.map((r) => base.linkage.f1 - r.linkage.f1)) : 0;
  const maxSexRead = Math.max(...judged.flatMap((r) => Object.values(r.sexRead)));
  process.stdout.write(JSON.stringify({ maxFirstLast: Number(maxFirstLast.toFixed(5)), maxFirst: Number(maxFirst.toFixed(5)), f1Loss: Number(f1Loss.toFixed(5)), maxSexRead: Number(maxSexRead.toFixed(4)) }) + '\n');
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
