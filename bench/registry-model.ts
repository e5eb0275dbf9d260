/**
 * `npm run bench:registry -- --model fs`: the registry with the match model
 * (docs/registry.md "Increments with the match model"). Synthetic K-12,
 * college and wages extracts (src/synth, realism full; --people, --seed),
 * encoded with the default schema (evidence filters). Full re-link: one
 * `--model fs` run over the three files. Registry: a full `--model fs` run
 * over K-12 and college builds it (the model is fitted there and stored),
 * then wages is linked as an increment (timed), scored with the stored model
 * (`--scenario new-agency`, the default: a party the model was never fitted
 * on). `--scenario next-year`: the full run that builds the registry has
 * every agency, with every other wage record (the model is fitted on all
 * three files), and the increment is the other wage records, as next year's
 * file of a known agency would be. `--scenario yearly --years N` (default 4):
 * the wage records in N files (row i in file i mod N); the full run that
 * builds the registry has K-12, college and the first, and the others are
 * linked one after another, each an increment on the registry the previous
 * left (timed, scored over its own pairs, the index's size after it): does
 * an increment keep its quality as the registry grows away from the run
 * that fitted the model?
 * Quality: pairwise against the truth over every record; ID stability: the
 * share of people with records in two or more files whose records all carry
 * one linkage ID. Last line: one JSON object.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFile, linkFiles, loadSecret, newSecret, prepareEncode } from '../src/index.js';
import { PARTIES } from '../src/synth/agencies.js';
import { generateExtracts } from '../src/synth/generate.js';
import { openLinkerStore } from '../src/store/linker-store.js';

const ROOT = process.cwd();
const SCHEMA = join(ROOT, 'protocols/schemas/p20w-person.json');

function pairsOf(groups: Iterable<string[]>): number {
  let t = 0;
  for (const g of groups) t += (g.length * (g.length - 1)) / 2;
  return t;
}

/** Pairwise precision, recall, F1 of a clustering (key per record) against the truth (entity per record). */
function quality(cluster: Map<string, string>, truth: Map<string, string>): { precision: number; recall: number; f1: number } {
  const byC = new Map<string, string[]>();
  const byT = new Map<string, string[]>();
  const byBoth = new Map<string, string[]>();
  for (const [rec, e] of truth) {
    const c = cluster.get(rec) ?? `single:${rec}`;
    (byC.get(c) ?? byC.set(c, []).get(c)!).push(rec);
    (byT.get(e) ?? byT.set(e, []).get(e)!).push(rec);
    const k = `${c}|${e}`;
    (byBoth.get(k) ?? byBoth.set(k, []).get(k)!).push(rec);
  }
  const linked = pairsOf(byC.values());
  const trueP = pairsOf(byT.values());
  const correct = pairsOf(byBoth.values());
  const precision = linked === 0 ? 1 : correct / linked;
  const recall = trueP === 0 ? 1 : correct / trueP;
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

function linksOf(out: string, parties: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of parties) {
    for (const l of readFileSync(join(out, `${p}.links.csv`), 'utf8').trim().split('\n').slice(1)) {
      const [rid, id] = l.split(',');
      m.set(`${p}:${rid}`, id!);
    }
  }
  return m;
}

/** How the registry is built before the timed increment (see the file's comment). */
export type RegistryModelScenario = 'new-agency' | 'next-year' | 'yearly';

/** Pairs of records of one cluster (or one entity) with at least one record in `of`, and how many of them are one person. */
function pairsWith(cluster: ReadonlyMap<string, string>, truth: ReadonlyMap<string, string>, of: ReadonlySet<string>): { pairs: number; correct: number } {
  const by = new Map<string, string[]>();
  for (const [rec, c] of cluster) (by.get(c) ?? by.set(c, []).get(c)!).push(rec);
  let pairs = 0;
  let correct = 0;
  for (const recs of by.values()) {
    for (let i = 0; i < recs.length; i++) {
      for (let j = i + 1; j < recs.length; j++) {
        if (!of.has(recs[i]!) && !of.has(recs[j]!)) continue;
        pairs++;
        if (truth.get(recs[i]!) === truth.get(recs[j]!)) correct++;
      }
    }
  }
  return { pairs, correct };
}

export async function registryModelBench(o: { people: number; seed: number; minBandHits?: number; scenario?: RegistryModelScenario; years?: number }): Promise<void> {
  const scenario = o.scenario ?? 'new-agency';
  // the wage records' files: next-year two, yearly one a year, new-agency the one file
  const slices = scenario === 'next-year' ? 2 : scenario === 'yearly' ? (o.years ?? 4) : 1;
  if (!Number.isInteger(slices) || (scenario === 'yearly' && slices < 2)) throw new Error(`--years: 2 or more, got ${o.years}`);
  const dir = mkdtempSync(join(tmpdir(), 'p20-bench-registry-model-'));
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  sampler.unref();
  try {
    await generateExtracts({ people: o.people, seed: o.seed, outDir: dir, realism: 'full' });
    // next-year, yearly: the wage records split in files, row i in file i mod slices (the first in the registry's full run, the others increments)
    const wageSlices = slices > 1 ? Array.from({ length: slices }, (_, k) => `wages-${k}`) : [];
    if (slices > 1) {
      const [head, ...rows] = readFileSync(join(dir, 'wages.csv'), 'utf8').trimEnd().split('\n');
      wageSlices.forEach((f, h) => writeFileSync(join(dir, `${f}.csv`), `${[head, ...rows.filter((_, i) => i % slices === h)].join('\n')}\n`));
    }
    const secretFile = join(dir, 'linkage.secret');
    await newSecret(secretFile);
    const secret = await loadSecret({ file: secretFile });
    const { ext } = await prepareEncode(SCHEMA);
    const files: [string, string][] = [...PARTIES.map((p): [string, string] => [p, p]), ...wageSlices.map((f): [string, string] => [f, 'wages'])];
    for (const [file, party] of files) {
      const m = JSON.parse(readFileSync(join(ROOT, 'examples/agencies', `${party}.json`), 'utf8')) as { idColumn: string; map: Record<string, string> };
      const map = Object.fromEntries(Object.entries(m.map).filter(([f]) => f in ext.columns));
      await encodeFile({ input: join(dir, `${file}.csv`), output: join(dir, `${file}.enc`), schema: SCHEMA, secret, party, map, idColumn: m.idColumn, force: true });
    }
    rmSync(secretFile, { force: true });
    const truth = new Map<string, string>();
    for (const l of readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [e, p, r] = l.split(',');
      truth.set(`${p}:${r}`, e!);
    }
    const enc = (p: string) => ({ file: join(dir, `${p}.enc`) });
    console.log(`bench:registry --model fs --scenario ${scenario} — ${o.people.toLocaleString('en-US')} people (seed ${o.seed}), ${truth.size.toLocaleString('en-US')} records, node ${process.version}`);
    let t0 = performance.now();
    await linkFiles({ inputs: PARTIES.map(enc), outDir: join(dir, 'full'), model: 'fs' });
    const fullSeconds = (performance.now() - t0) / 1000;
    const full = linksOf(join(dir, 'full'), PARTIES);
    const qFull = quality(full, truth);
    console.log(`full re-link (fs, 3 files, ${fullSeconds.toFixed(1)} s): precision ${qFull.precision.toFixed(4)}, recall ${qFull.recall.toFixed(4)}, F1 ${qFull.f1.toFixed(4)}`);
    const store = join(dir, 'linker.db');
    t0 = performance.now();
    const built = slices > 1 ? ['k12', 'college', wageSlices[0]!] : ['k12', 'college'];
    const incFiles = slices > 1 ? wageSlices.slice(1) : ['wages'];
    await linkFiles({ inputs: built.map(enc), outDir: join(dir, 'built'), store, model: 'fs' });
    console.log(`registry built by a full fs run over ${built.join(', ')}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const byEnt = new Map<string, string[]>();
    for (const [rec, e] of truth) (byEnt.get(e) ?? byEnt.set(e, []).get(e)!).push(rec);
    const wagesId = (JSON.parse(readFileSync(join(ROOT, 'examples/agencies/wages.json'), 'utf8')) as { idColumn: string }).idColumn;
    let cluster = new Map<string, string>();
    let inc: Awaited<ReturnType<typeof linkFiles>> | undefined;
    let incrementSeconds = 0;
    let incCorrect = 0;
    let incLinks = 0;
    let incTrue = 0;
    const increments: { seconds: number; peakMiB: number; precision: number; recall: number; fullPrecision: number; fullRecall: number; indexRows: number }[] = [];
    for (const incFile of incFiles) {
      // the increment's records (party:record id), for the figures of its own links
      const [incHead, ...incRows] = readFileSync(join(dir, `${incFile}.csv`), 'utf8').trimEnd().split('\n');
      const idAt = incHead!.split(',').indexOf(wagesId);
      if (idAt < 0 || incRows.length === 0) throw new Error(`${incFile}.csv: no id column or no records`);
      const incRecords = new Set(incRows.map((l) => `wages:${l.split(',')[idAt]!}`));
      peak = 0;
      t0 = performance.now();
      inc = await linkFiles({ inputs: [enc(incFile)], outDir: join(dir, `inc-${incFile}`), store, ...(o.minBandHits !== undefined ? { minBandHits: o.minBandHits } : {}) });
      incrementSeconds = (performance.now() - t0) / 1000;
      if (inc.parameters.model !== 'fs') throw new Error('the increment did not apply the match model');
      const db = openLinkerStore(store);
      cluster = new Map<string, string>();
      for (const r of db.prepare('SELECT party, record_id, entity_id FROM registry_members').all() as { party: string; record_id: string; entity_id: string }[]) cluster.set(`${r.party}:${r.record_id}`, r.entity_id);
      const indexRows = db.prepare('SELECT count(*) FROM registry_band_keys').pluck().get() as number;
      db.close();
      // the truth over this increment's links (pairs with one of its records) and over its true pairs
      ({ pairs: incLinks, correct: incCorrect } = pairsWith(cluster, truth, incRecords));
      incTrue = 0;
      for (const recs of byEnt.values()) {
        // pairs of records registered so far (a later year's records are not yet there to link)
        for (let i = 0; i < recs.length; i++) for (let j = i + 1; j < recs.length; j++) if ((incRecords.has(recs[i]!) || incRecords.has(recs[j]!)) && cluster.has(recs[i]!) && cluster.has(recs[j]!)) incTrue++;
      }
      // the full re-link over the same pairs: its links among the records registered so far
      const fullHere = pairsWith(new Map([...full].filter(([rec]) => cluster.has(rec))), truth, incRecords);
      const r4 = (x: number): number => Math.round(x * 10000) / 10000;
      const row = { seconds: Math.round(incrementSeconds * 100) / 100, peakMiB: Math.round(peak / 2 ** 20), precision: r4(incCorrect / incLinks), recall: r4(incCorrect / incTrue), fullPrecision: r4(fullHere.correct / fullHere.pairs), fullRecall: r4(fullHere.correct / incTrue), indexRows };
      increments.push(row);
      if (incFiles.length > 1) console.log(`increment ${incFile} (${incRecords.size.toLocaleString('en-US')} records, ${row.seconds} s, peak ${row.peakMiB} MiB): the truth over its links precision ${row.precision.toFixed(4)}, recall ${row.recall.toFixed(4)} (the full re-link over the same pairs ${row.fullPrecision.toFixed(4)} / ${row.fullRecall.toFixed(4)}); index ${indexRows.toLocaleString('en-US')} rows`);
    }
    if (!inc) throw new Error('no increment');
    const qInc = quality(cluster, truth);
    // recall of the true pairs by party pair: where the two differ
    const found: Record<string, [number, number, number]> = {};
    for (const recs of byEnt.values()) {
      for (let i = 0; i < recs.length; i++) {
        for (let j = i + 1; j < recs.length; j++) {
          const a = recs[i]!;
          const b = recs[j]!;
          const k = [a.split(':')[0], b.split(':')[0]].sort().join('x');
          const f = (found[k] ??= [0, 0, 0]);
          f[0]++;
          if (full.get(a) === full.get(b)) f[1]++;
          if (cluster.get(a) !== undefined && cluster.get(a) === cluster.get(b)) f[2]++;
        }
      }
    }
    console.log(`recall by party pair (true pairs: full re-link, registry + increment): ${Object.entries(found).map(([k, [t, f, i]]) => `${k} ${t}: ${(f / t).toFixed(4)}, ${(i / t).toFixed(4)}`).join('; ')}`);
    // the (last) increment's own estimate (its run report's model section, no truth) beside the truth over the pairs it links (those with one of its records)
    const expected = inc.model?.expected;
    if (!expected) throw new Error('the increment wrote no model section');
    console.log(
      `the increment's own estimate (run report, no truth): precision ${expected.precision.toFixed(4)}, recall ${expected.recall.toFixed(4)} over ${expected.links} links; the truth over its links (pairs with one of its records): precision ${(incCorrect / incLinks).toFixed(4)}, recall ${(incCorrect / incTrue).toFixed(4)} of every true pair with one of its records`,
    );
    // ID stability: people with records in 2+ files whose records all got one ID
    const idsOf = new Map<string, { files: Set<string>; ids: Set<string> }>();
    for (const [rec, e] of truth) {
      const x = idsOf.get(e) ?? idsOf.set(e, { files: new Set(), ids: new Set() }).get(e)!;
      x.files.add(rec.split(':')[0]!);
      x.ids.add(cluster.get(rec) ?? `single:${rec}`);
    }
    let multi = 0;
    let stable = 0;
    for (const x of idsOf.values()) {
      if (x.files.size < 2) continue;
      multi++;
      if (x.ids.size === 1) stable++;
    }
    const idStability = multi === 0 ? 1 : stable / multi;
    console.log(
      `${incFiles.length > 1 ? `after ${incFiles.length} increments (the last` : `increment (${incFiles[0]} against the registry,`} ${incrementSeconds.toFixed(2)} s, peak ${Math.round(peak / 2 ** 20)} MiB): precision ${qInc.precision.toFixed(4)}, recall ${qInc.recall.toFixed(4)}, F1 ${qInc.f1.toFixed(4)}; ID stability ${(idStability * 100).toFixed(2)}% of ${multi.toLocaleString('en-US')} people in 2+ files`,
    );
    console.log(
      JSON.stringify({ incrementSeconds: Math.round(incrementSeconds * 100) / 100, peakMiB: Math.round(peak / 2 ** 20), idStability: Math.round(idStability * 10000) / 10000, f1DiffVsFull: Math.round((qInc.f1 - qFull.f1) * 10000) / 10000, expectedPrecision: Math.round(expected.precision * 10000) / 10000, expectedRecall: Math.round(expected.recall * 10000) / 10000, ...(incFiles.length > 1 ? { increments } : {}) }),
    );
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
}
