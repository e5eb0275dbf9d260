import type { CommandModule } from 'yargs';
import { defined } from '../options.js';
import { type InputSpec, type LinkRunReport, P20Error, formatCount, linkFiles, parseBlockingSpec, terminalProgress } from '../../src/index.js';

interface LinkArgs {
  inputs: string[];
  out: string;
  store?: string;
  threshold?: number;
  'review-threshold'?: number;
  blocking?: string;
  schema?: string;
  'max-per-party'?: number;
  model?: 'fs' | 'dice';
  'match-probability'?: number;
  deduplicated?: string[];
  'residual-pass'?: boolean;
  truth?: string;
  workers?: number;
  'max-pairs'?: number;
  'min-band-hits'?: number;
  'band-crowd'?: number;
  party?: string[];
  quiet?: boolean;
}

/** Apply `--party FILE=NAME` overrides to the input list. */
export function applyPartyOverrides(files: readonly string[], overrides: readonly string[] = []): InputSpec[] {
  const specs: InputSpec[] = files.map((file) => ({ file }));
  for (const o of overrides) {
    const eq = o.lastIndexOf('=');
    if (eq <= 0 || eq === o.length - 1) {
      throw new P20Error('LINK_OPTION', `--party wants FILE=NAME, got ${JSON.stringify(o)}`, { field: 'party' });
    }
    const file = o.slice(0, eq);
    const name = o.slice(eq + 1);
    const hit = specs.filter((s) => s.file === file);
    if (hit.length === 0) throw new P20Error('LINK_OPTION', `--party names ${JSON.stringify(file)}, which is not one of the input files`, { field: 'party' });
    for (const s of hit) s.party = name;
  }
  return specs;
}

const num = formatCount;

/** The run summary `p20link link` prints: counts with thousands separators and labels a reader understands. */
export function linkSummary(report: LinkRunReport): string {
  const c = report.counts;
  const p = report.parameters;
  const above = report.partyPairs.reduce((s, x) => s + x.aboveThreshold, 0);
  const fs = p.model === 'fs';
  const lines = [
    `run ${report.runId}: ${num(c.records)} records from ${report.parties.length} parties`,
    ...report.parties.map((x) => `  ${x.party}: ${num(x.records)} records, ${num(x.linked)} linked, ${num(x.singletons)} unlinked -> ${x.output}`),
    `  clusters: ${num(c.clusters)} (${Object.entries(report.clusterSizes)
      .map(([k, v]) => `${num(v)} of size ${k}`)
      .join(', ')})`,
    fs ? `  candidate pairs (CLK and evidence blocking): ${num(c.candidates)}` : `  pairs proposed by blocking: ${num(c.candidates)}; compared: ${num(c.compared)}`,
    fs
      ? `  pairs with one-to-one match probability at or above ${p.matchProbability}: ${num(above)}; accepted as links: ${num(c.acceptedLinks)}`
      : `  pairs scoring at or above the threshold ${p.threshold}: ${num(above)}; accepted as links: ${num(c.acceptedLinks)}`,
    p.maxPerParty === 1
      ? `  pairs not linked because one of the records already had a better link: ${num(c.refusedLinks)}`
      : `  pairs not linked because the cluster would hold more than ${p.maxPerParty} records of one party: ${num(c.refusedLinks)}`,
  ];
  if (p.reviewThreshold !== null) lines.push(`  review band [${p.reviewThreshold}, ${fs ? p.matchProbability : p.threshold})${fs ? ' (match probability)' : ''}: ${num(c.reviewPairs)} pairs -> review.csv`);
  if (report.model) {
    const e = report.model.expected;
    lines.push(`  model: expected precision ${e.precision.toFixed(4)}, expected recall ${e.recall.toFixed(4)} (from its own probabilities, no truth)`);
    const cor = report.model.corroborated;
    if (cor) lines.push(`  corroborated duplicates: ${num(cor.accepted)} records joined a cluster as a second record of their party, by links that together reach the duplicate bar`);
    const res = report.model.residual;
    if (res) lines.push(`  residual pass: ${num(res.accepted)} links between records the first phases left free of each other's party (the least certain; --no-residual-pass leaves them out)`);
  }
  if (fs && p.residualPass === false) lines.push('  residual pass: off');
  if (report.registry.store) {
    const r = report.registry;
    lines.push(`  registry ${r.store}: ${num(r.kept)} kept, ${num(r.new)} new, ${num(r.merged)} merged, ${num(r.split)} split`);
  }
  if (report.truth) {
    const t = report.truth;
    lines.push(
      `  truth: precision ${t.precision.toFixed(4)}, recall ${t.recall.toFixed(4)}, F1 ${t.f1.toFixed(4)}; blocking kept ${num(t.blockingKept)}/${num(t.blockingTruePairs)} true pairs (${(t.blockingRecall * 100).toFixed(2)}%)`,
    );
  }
  lines.push(`  report: ${report.outputs.dir}/${report.outputs.report}`);
  return lines.join('\n') + '\n';
}

export const linkCommand: CommandModule<object, LinkArgs> = {
  command: 'link <inputs..>',
  describe: 'Link two or more encoded files (or, with a --store that holds a registry, new files against it); write each party its record -> linkage ID map',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Encoded files (.enc), one per party, all made with one secret and schema' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output directory, owned by the run: new, empty, or an earlier output of the same --store (whose files it replaces): <party>.links.csv, review.csv, run-report.json' })
      .option('store', { type: 'string', describe: 'Linker store (SQLite): linkage-ID registry + audit log. Without it, IDs are fresh every run' })
      .option('schema', { type: 'string', describe: 'Linkage schema the inputs were encoded with: its p20link.link hints become the defaults (fingerprint must match)' })
      .option('threshold', { type: 'number', describe: 'With --model dice: match threshold on the Dice score (0, 1] [default: schema hint, else 0.8]' })
      .option('review-threshold', { type: 'number', describe: 'List pairs in [this, decision) in review.csv for clerical review: a match probability below --match-probability (fs), a Dice score below --threshold (dice)' })
      .option('blocking', { type: 'string', describe: 'Blocking: none | lsh[:bands=N,rows=N,seed=N] | keys:NAME[,NAME] ; join parts with + [default: schema keys + lsh, else lsh]' })
      .option('max-per-party', { type: 'number', describe: 'Most records of one party in one cluster [default: 1 with --model dice; 5 with --model fs for parties not declared --deduplicated]' })
      .option('model', { choices: ['fs', 'dice'] as const, describe: 'fs: match model over the CLK and the evidence filters, links on match probability; dice: CLK Dice against --threshold [default: fs when every input carries evidence filters (the default schema), else dice]' })
      .option('match-probability', { type: 'number', describe: 'With --model fs: link pairs whose match probability, at most one partner per record and file (one to one), reaches this, in (0, 1) [default: 0.5]' })
      .option('deduplicated', { type: 'string', array: true, describe: 'With --model fs: PARTY whose file holds each person once (kept 1:1, not linked within its own file; repeatable)' })
      .option('residual-pass', { type: 'boolean', describe: 'With --model fs: end resolution with the residual pass, which links records the first phases left free of each other\'s party; --no-residual-pass puts precision before recall (--match-probability 0.7 does so at less cost to recall) [default: on]' })
      .option('truth', { type: 'string', describe: 'Evaluation only: truth CSV entity_id,party,record_id (adds precision/recall and blocking recall to the report)' })
      .option('max-pairs', { type: 'number', describe: 'Refuse the run when more pairs than this reach the (review) threshold in one pair of files, rather than run out of memory (default 100,000,000; ~24 bytes each)' })
      .option('min-band-hits', { type: 'number', describe: 'Increments against a --store registry: LSH bands a registered record must share with a new record to be compared (whole number >= 1) [default: 2; 1 is a full run\'s rule]' })
      .option('band-crowd', { type: 'number', describe: 'Increments against a --store registry: an LSH band key held by more registered records than this proposes none of them (a pattern common names share; whole number >= 1) [default: 256]' })
      .option('workers', { type: 'number', describe: 'Worker threads for scoring (default: all cores)' })
      .option('party', { type: 'string', array: true, describe: 'Override a party label: FILE=NAME (repeatable)' })
      .option('quiet', { type: 'boolean', default: false, describe: 'Print nothing but errors' })
      .example('$0 link k12.enc college.enc wage.enc --out results --store linker.db', 'Link three agencies, keeping stable IDs in linker.db')
      .example('$0 link a.enc b.enc --out r --review-threshold 0.1', 'Also list pairs with match probability in [0.1, 0.5) for clerical review')
      .example('$0 link a.enc b.enc --out r --model dice --threshold 0.85', 'CLK + Dice scoring against a threshold (clkhash-compatible inputs use it by default)')
      .example('$0 link k12.enc college.enc wage.enc --out r --deduplicated wage', 'Match model; the wage file is known to hold each person once') as never,
  handler: async (argv) => {
    const inputs = applyPartyOverrides(argv.inputs, argv.party);
    // defaults (schema hints, else built-in) are resolved by the library: src/schema/link-settings.ts
    const report = await linkFiles({
      inputs,
      outDir: argv.out,
      ...defined({
        maxPerParty: argv['max-per-party'],
        model: argv.model,
        matchProbability: argv['match-probability'],
        deduplicated: argv.deduplicated,
        residualPass: argv['residual-pass'],
        schema: argv.schema,
        threshold: argv.threshold,
        reviewThreshold: argv['review-threshold'],
        blocking: argv.blocking !== undefined ? parseBlockingSpec(argv.blocking) : undefined,
        store: argv.store,
        truth: argv.truth,
        workers: argv.workers,
        maxPairs: argv['max-pairs'],
        minBandHits: argv['min-band-hits'],
        bandCrowd: argv['band-crowd'],
      }),
      progress: argv.quiet ? undefined : (label) => terminalProgress(label),
    } as Parameters<typeof linkFiles>[0]);
    // warnings are printed even with --quiet: they say the results may be wrong
    for (const w of report.warnings ?? []) process.stderr.write(`p20link: warning: ${w}\n`);
    if (argv.quiet) return;
    process.stdout.write(linkSummary(report));
  },
};
