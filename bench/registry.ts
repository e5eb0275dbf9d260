/**
 * npm run bench:registry [-- --model fs [--scenario new-agency|next-year|yearly [--years N]]] [--people N] [--years 10] [--large] [--bulk-years K] [--full | --no-full] [--representatives N] [--min-band-hits N] [--threshold 0.8] [--blocking lsh] [--seed S] [--keep] [--profile PREFIX] [--commit-cache MiB]
 * (--model fs: the registry with the match model, bench/registry-model.ts: a full fs run over K-12 and college builds it,
 * wages is linked as an increment with the stored model; --people, --seed; last line JSON)
 *
 * --min-band-hits N: LSH bands a registered record must share with a new record to make its entity a candidate
 * (IncrementSettings.minBandHits; default DEFAULT_MIN_BAND_HITS, 2; 1 is a full run's rule). Every linked increment
 * prints its index hits, candidate entities and registered records compared per new record, and its CPU ms a record.
 *
 * --commit-cache MiB: the SQLite page cache during each write (SqliteRegistryStorage's commitCacheMiB; default: the
 * connection's 256 MiB). Every linked increment prints its steps' seconds and its commit's parts'.
 *
 * The longitudinal registry over ten yearly increments on a synthetic
 * population that ages (bench-local generator; CLK-like 1024-bit Bloom
 * filters from fake people, FNV hashing instead of keyed HMAC):
 * - a new kindergarten cohort every year, K-12 from age 5 to 17;
 * - graduates moving on to college (ages 18-22, 40 % of people) and wages
 *   (age 18 on, 70 % employed in a given year);
 * - movers (10 % a year change zip), name changes (2 % of adults a year
 *   take a new last name), in-migrants, typos and date slips in each year's
 *   recorded values.
 * Each year's three files (party labels k12-YYYY, college-YYYY, wages-YYYY;
 * agency record ids stable across years) are linked ALONE against the
 * registry (src/link/registry/incremental.ts), never with earlier files.
 *
 * Prints per increment: records, time (wall and CPU), peak RSS, store size,
 * candidate entities, registered records compared, kept/new/merged/split,
 * merge and split events, and the seconds of each step of the plan and the
 * commit; at the end:
 * ID stability (share of people seen in two or more years whose records
 * were handed one linkage ID in every year's output), pairwise
 * precision/recall/F1 of the registry against the truth, and the same for a
 * full re-link of all years' files at once (scorePairs over every party
 * pair + the same clustering), on the same data; and why people were handed
 * more than one ID (still apart at the end or merged later; name changes).
 * Last line: {"incrementSeconds" (worst increment, wall clock), "peakMiB" (peak RSS
 * while the increments ran), "idStability", "f1DiffVsFull" (incremental F1 minus
 * the full re-link's; null when the full re-link is skipped)}.
 *
 * --large: 200,000 people at the start and twelve years (about 165,000-224,000
 * records a year), the first eleven registered in bulk (2.1M registered records),
 * so the twelfth year's ~224,000 records are linked against more than 2M
 * registered (the target: a 200,000-record increment against a 2M-record
 * registry in under 2 minutes and 3 GiB on 2 cores).
 * The full re-link needs every year linked: it is skipped with --bulk-years.
 *
 * --bulk-years K (default 0; --large: years - 1): the first K years are
 * registered in bulk, through the same storage call an increment commits
 * with (RegistryStorage.writeRun: encodings, band keys, memberships), with
 * each person's records under one linkage ID (the truth) and no linking;
 * only the later years are linked as increments and timed. A fast way to a
 * registry of millions; the index it builds is kept per entity like an
 * increment's, except that a person's band keys are left out only when
 * their previous bulk year's records carried them (slightly more rows than
 * linked increments store: a conservative registry for timing). ID stability
 * then counts the people seen in two or more linked years (null with fewer).
 */
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncodedHeader } from '../src/format/encoded-file.js';
import { formatBlockingSpec, parseBlockingSpec } from '../src/link/blocking/config.js';
import { makePackedPartyData } from '../src/link/pack.js';
import { commitIncrement, DEFAULT_MIN_BAND_HITS, DEFAULT_REPRESENTATIVES, encodingUpdates, planIncrement, registryConfigFor, type IncrementSettings } from '../src/link/registry/incremental.js';
import { newRunId } from '../src/link/registry/ids.js';
import { SqliteRegistryStorage } from '../src/link/registry/sqlite-storage.js';
import { clusterRecords, indexClusters } from '../src/link/resolve/cluster.js';
import { EdgeList } from '../src/link/resolve/edges.js';
import { scorePairs } from '../src/link/score.js';
import type { PartyData } from '../src/link/types.js';
import { openLinkerStore } from '../src/store/linker-store.js';
import { mulberry32 } from '../src/synth/prng.js';
import { fnv1a, L, makeVocab, STRIDE, zipf } from './link-data.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** --profile PREFIX: a CPU profile of each linked increment (PREFIX-YEAR.cpuprofile, for Chrome DevTools). */
const profileOut = process.argv.includes('--profile') ? arg('profile', 'registry') : undefined;
const session = profileOut ? new Session() : undefined;
session?.connect();
const post = (method: string): Promise<unknown> => new Promise((ok, fail) => session!.post(method, (e, r) => (e ? fail(e) : ok(r))));

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);
sampler.unref();
const mib = (b: number): number => Math.round(b / 2 ** 20);

const large = flag('large');
const people0 = Number(arg('people', large ? '200000' : '4000'));
const years = Number(arg('years', large ? '12' : '10'));
const threshold = Number(arg('threshold', '0.8'));
const blocking = parseBlockingSpec(arg('blocking', 'lsh'));
const seed = Number(arg('seed', '2027'));
const bulkYears = Number(arg('bulk-years', large ? String(years - 1) : '0'));
const doFull = (!large || flag('full')) && !flag('no-full') && bulkYears === 0;

// --model fs: the registry with the match model (a full fs run builds it, an increment applies it): bench/registry-model.ts
if (arg('model', 'dice') === 'fs') {
  const { registryModelBench } = await import('./registry-model.js');
  const scenario = arg('scenario', 'new-agency');
  if (scenario !== 'new-agency' && scenario !== 'next-year' && scenario !== 'yearly') throw new Error(`--scenario: new-agency, next-year or yearly, got ${scenario}`);
  await registryModelBench({ people: people0, seed, scenario, ...(flag('years') ? { years: Number(arg('years', '4')) } : {}), ...(flag('min-band-hits') ? { minBandHits: Number(arg('min-band-hits', '2')) } : {}) });
  process.exit(0);
}

// ---------- the population ----------
const tokenCache = new Map<string, Uint16Array>();
function tokenBits(token: string, k: number): Uint16Array {
  const key = `${k}|${token}`;
  let v = tokenCache.get(key);
  if (!v) {
    const h1 = fnv1a(token, 1);
    const h2 = fnv1a(token, 2) | 1;
    v = new Uint16Array(k);
    for (let i = 0; i < k; i++) v[i] = ((h1 + Math.imul(i, h2)) >>> 0) & (L - 1);
    if (tokenCache.size < 400_000) tokenCache.set(key, v);
  }
  return v;
}

const r = mulberry32(seed);
const FIRSTS = makeVocab(3000, r, 2, 3);
const LASTS = makeVocab(30000, r, 2, 4);
const pickFirst = zipf(FIRSTS.length, 1.1, r);
const pickLast = zipf(LASTS.length, 0.9, r);

interface Person {
  pid: number;
  first: string;
  last: string;
  y: number;
  m: number;
  d: number;
  sex: number;
  zip: number;
  college: boolean;
  /** Last-name changes so far (for the ID stability breakdown). */
  renamed?: number;
}
const START_YEAR = 2027;
const population: Person[] = [];
function newPerson(age: number, year: number): Person {
  const p: Person = {
    pid: population.length,
    first: FIRSTS[pickFirst()]!,
    last: LASTS[pickLast()]!,
    y: year - age,
    m: 1 + Math.floor(r() * 12),
    d: 1 + Math.floor(r() * 28),
    sex: r() < 0.5 ? 0 : 1,
    zip: Math.floor(r() * 1000),
    college: r() < 0.4,
  };
  population.push(p);
  return p;
}
for (let i = 0; i < people0; i++) newPerson(5 + Math.floor(r() * 36), START_YEAR);

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
function typo(s: string): string {
  const i = Math.floor(r() * s.length);
  const c = LETTERS[Math.floor(r() * 26)]!;
  const kind = r();
  if (kind < 0.4) return s.slice(0, i) + c + s.slice(i + 1);
  if (kind < 0.7 && s.length > 3) return s.slice(0, i) + s.slice(i + 1);
  return s.slice(0, i) + c + s.slice(i);
}

/** One recorded version of a person (this year's noise) into clks at `at`. */
function writeClk(p: Person, clks: Uint8Array, at: number): void {
  let { first, last, y, m, d } = p;
  if (r() < 0.05) first = typo(first);
  if (r() < 0.05) last = typo(last);
  if (r() < 0.01) [d, m] = d <= 12 ? [m, d] : [d, m];
  if (r() < 0.01) y += r() < 0.5 ? 1 : -1;
  const set = (bits: Uint16Array): void => {
    for (let x = 0; x < bits.length; x++) clks[at + (bits[x]! >>> 3)]! |= 1 << (bits[x]! & 7);
  };
  for (const [f, v] of [['f', first], ['l', last]] as const) {
    const padded = `_${v}_`;
    for (let i = 0; i + 2 <= padded.length; i++) set(tokenBits(`${f}|${padded.slice(i, i + 2)}`, 15));
  }
  set(tokenBits(`y|${y}`, 30));
  set(tokenBits(`m|${m}`, 20));
  set(tokenBits(`d|${d}`, 20));
  set(tokenBits(`s|${p.sex}`, 10));
  set(tokenBits(`z|${p.zip}`, 25));
}

function header(party: string): EncodedHeader {
  return { format: 'p20link/encoded', version: 1, tool: 'bench', createdAt: new Date().toISOString(), party, schemaFingerprint: `sha256:${'be'.repeat(32)}`, keyCheckValue: 'b'.repeat(32), l: L, columns: ['id', 'clk'], rowCount: 0 } as EncodedHeader;
}

/** The three files of one year, with the person behind every record. */
function yearFiles(year: number): { parties: PartyData[]; truth: number[][] } {
  const agencies: Record<'k12' | 'college' | 'wages', Person[]> = { k12: [], college: [], wages: [] };
  for (const p of population) {
    const age = year - p.y;
    if (age >= 5 && age <= 17 && r() < 0.97) agencies.k12.push(p);
    if (p.college && age >= 18 && age <= 22 && r() < 0.9) agencies.college.push(p);
    if (age >= 18 && age <= 66 && r() < (agencies.college.at(-1) === p ? 0.3 : 0.7)) agencies.wages.push(p);
  }
  const parties: PartyData[] = [];
  const truth: number[][] = [];
  for (const [agency, list] of Object.entries(agencies)) {
    const name = `${agency}-${year}`;
    const clks = new Uint8Array(list.length * STRIDE);
    list.forEach((p, i) => writeClk(p, clks, i * STRIDE));
    const prefix = agency === 'k12' ? 'K' : agency === 'college' ? 'C' : 'W';
    parties.push(makePackedPartyData({ name, file: `synthetic-${name}`, header: header(name), ids: list.map((p) => `${prefix}${p.pid}`), clks, blocks: {} }));
    truth.push(list.map((p) => p.pid));
  }
  return { parties, truth };
}

/** Life goes on: a year older, a kindergarten cohort, in-migrants, movers, name changes. */
function age(year: number): void {
  for (const p of population) {
    if (r() < 0.1) p.zip = Math.floor(r() * 1000);
    if (year - p.y >= 20 && r() < 0.02) {
      p.last = LASTS[pickLast()]!;
      p.renamed = (p.renamed ?? 0) + 1;
    }
  }
  const cohort = Math.round(people0 / 36);
  for (let i = 0; i < cohort; i++) newPerson(5, year);
  for (let i = 0; i < Math.round(people0 / 100); i++) newPerson(18 + Math.floor(r() * 23), year);
}

// ---------- pairwise quality ----------
/** Pairwise precision/recall of a clustering (cluster label per record) against the person per record. */
function pairQuality(label: ArrayLike<string | number>, person: ArrayLike<number>): { precision: number; recall: number; f1: number } {
  const byCluster = new Map<string | number, number>();
  const byPerson = new Map<number, number>();
  const byBoth = new Map<string, number>();
  for (let i = 0; i < label.length; i++) {
    byCluster.set(label[i]!, (byCluster.get(label[i]!) ?? 0) + 1);
    byPerson.set(person[i]!, (byPerson.get(person[i]!) ?? 0) + 1);
    const k = `${label[i]}|${person[i]}`;
    byBoth.set(k, (byBoth.get(k) ?? 0) + 1);
  }
  const pairs = (m: Map<unknown, number>): number => {
    let t = 0;
    for (const n of m.values()) t += (n * (n - 1)) / 2;
    return t;
  };
  const linked = pairs(byCluster);
  const trueP = pairs(byPerson);
  const correct = pairs(byBoth);
  const precision = linked === 0 ? 1 : correct / linked;
  const recall = trueP === 0 ? 1 : correct / trueP;
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

// ---------- the run ----------
const dir = mkdtempSync(join(tmpdir(), 'p20-bench-registry-'));
const storePath = join(dir, 'linker.db');
// the page cache a link run uses (SqliteRegistryStorage's default), at every size
const storage = new SqliteRegistryStorage(openLinkerStore(storePath), { ownsDb: true, ...(arg('commit-cache', '') ? { commitCacheMiB: Number(arg('commit-cache', '0')) } : {}) });
const representatives = Number(arg('representatives', String(DEFAULT_REPRESENTATIVES)));
const minBandHits = Number(arg('min-band-hits', String(DEFAULT_MIN_BAND_HITS)));
const settings: IncrementSettings = { blocking, threshold, reviewThreshold: undefined, maxPerParty: 1, representatives, minBandHits };
const storeBytes = (): number => [storePath, `${storePath}-wal`].reduce((t, f) => t + (existsSync(f) ? statSync(f).size : 0), 0);

console.log(
  `bench:registry — ${years} yearly increments, ${people0.toLocaleString('en-US')} people at the start, blocking ${formatBlockingSpec(blocking)}, threshold ${threshold}, ${representatives} representatives per entity, candidates sharing ${minBandHits}+ bands, node ${process.version}`,
);
console.log('year  records  registered  seconds  cpuSec  peakMiB  storeMiB  candEntities  compared  kept    new  merged  split  mergeEv  splitEv');

/** Bulk registration of one year (--bulk-years): the truth's entities, one writeRun, no linking. */
const bulkId = new Map<number, string>();
const bulkKeys = new Map<number, Float64Array>();
function registerBulk(year: number, parties: PartyData[], truth: number[][]): void {
  const created: string[] = [];
  const members: { party: string; recordId: string; entity: string }[] = [];
  const encodings = parties.flatMap((p) => encodingUpdates(p, blocking));
  const thisYear = new Map<number, Set<number>>();
  let at = 0;
  parties.forEach((p, j) => {
    for (let i = 0; i < p.count; i++, at++) {
      const pid = truth[j]![i]!;
      let id = bulkId.get(pid);
      if (id === undefined) {
        id = storage.newId();
        bulkId.set(pid, id);
        created.push(id);
      }
      members.push({ party: p.name, recordId: p.ids[i]!, entity: id });
      let mine = thisYear.get(pid);
      if (!mine) {
        mine = new Set();
        thisYear.set(pid, mine);
      }
      const before = bulkKeys.get(pid);
      const had = before ? new Set(before) : undefined;
      const e = encodings[at]!;
      const keep: number[] = [];
      for (const k of e.bandKeys) {
        if (!had?.has(k) && !mine.has(k)) keep.push(k);
        mine.add(k);
      }
      e.bandKeys = keep;
    }
  });
  for (const [pid, keys] of thisYear) bulkKeys.set(pid, Float64Array.from(keys));
  const t = new Date().toISOString();
  storage.writeRun(storage.lastRunSeq(), {
    run: { runId: newRunId(), startedAt: t, finishedAt: t, tool: 'bench-bulk', inputs: parties.map((p) => p.name), parameters: {}, counts: {} },
    assignment: { clusterId: [], status: [], events: [], created, mergedInto: new Map() },
    members,
    encodings,
    ...(storage.config() ? {} : { config: registryConfigFor(parties[0]!.header, settings) }),
    audit: { type: 'link-run', detail: { bench: 'bulk', year } },
  });
}

const allParties: PartyData[] = [];
const allTruth: number[][] = [];
/** Linkage IDs each person was handed in the years' outputs. */
const handed = new Map<number, Set<string>>();
const personYears = new Map<number, number>();
let worst = 0;
for (let k = 0; k < years; k++) {
  const year = START_YEAR + k;
  if (k > 0) age(year);
  const { parties, truth } = yearFiles(year);
  const records = parties.reduce((t, p) => t + p.count, 0);
  if (k < bulkYears) {
    const t0 = performance.now();
    registerBulk(year, parties, truth);
    console.log(`${String(year).padEnd(5)} ${String(records).padStart(7)} ${String(storage.encodingCount()).padStart(11)} ${((performance.now() - t0) / 1000).toFixed(2).padStart(8)}  (registered in bulk, store ${mib(storeBytes())} MiB)`);
    if (k === bulkYears - 1) {
      bulkKeys.clear();
      (globalThis as { gc?: () => void }).gc?.();
      peakRss = 0;
    }
    continue;
  }
  if (profileOut) await post('Profiler.enable').then(() => post('Profiler.start'));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const plan = await planIncrement(storage, parties, settings);
  const t1 = new Date().toISOString();
  const tc = performance.now();
  commitIncrement(storage, plan, { runId: newRunId(), startedAt: t1, finishedAt: t1, tool: 'bench', inputs: parties.map((p) => p.name), parameters: {}, counts: { records } }, { bench: true, records });
  const commitSecs = (performance.now() - tc) / 1000;
  if (profileOut) {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(`${profileOut}-${year}.cpuprofile`, JSON.stringify(profile));
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  worst = Math.max(worst, secs);
  const seen = new Set<number>();
  parties.forEach((p, j) => {
    for (let i = 0; i < p.count; i++) {
      const pid = truth[j]![i]!;
      let s = handed.get(pid);
      if (!s) {
        s = new Set();
        handed.set(pid, s);
      }
      s.add(plan.ids[plan.offset[j]! + i]!);
      seen.add(pid);
    }
  });
  for (const pid of seen) personYears.set(pid, (personYears.get(pid) ?? 0) + 1);
  allParties.push(...parties);
  allTruth.push(...truth);
  const st = plan.status;
  const ev = plan.assignment.events;
  console.log(
    [
      String(year).padEnd(5),
      String(records).padStart(7),
      String(storage.encodingCount()).padStart(11),
      secs.toFixed(2).padStart(8),
      ((cpu.user + cpu.system) / 1e6).toFixed(2).padStart(7),
      String(mib(peakRss)).padStart(8),
      String(mib(storeBytes())).padStart(9),
      String(plan.candidateEntities).padStart(13),
      String(plan.registeredCompared).padStart(9),
      String(st.kept).padStart(5),
      String(st.new).padStart(6),
      String(st.merged).padStart(7),
      String(st.split).padStart(6),
      String(ev.filter((e) => e.event === 'merge').length).padStart(8),
      String(ev.filter((e) => e.event === 'split').length).padStart(8),
    ].join(' '),
  );
  console.log(`      steps (s): ${Object.entries({ ...plan.timings, commit: Math.round(commitSecs * 1000) / 1000 }).map(([x, v]) => `${x} ${v}`).join(', ')}`);
  console.log(`      index hits ${plan.indexHits} (${(plan.indexHits / records).toFixed(1)} a record), candidate entities ${plan.candidates} (${(plan.candidates / records).toFixed(2)} a record), compared ${(plan.registeredCompared / records).toFixed(1)} a record, ${((cpu.user + cpu.system) / 1e3 / records).toFixed(3)} CPU ms a record`);
  console.log(`      commit (s): ${Object.entries(storage.commitTimings).map(([x, v]) => `${x} ${v}`).join(', ')}`);
}

// ID stability: people seen in two or more years, handed one ID every time
let multi = 0;
let stable = 0;
for (const [pid, n] of personYears) {
  if (n < 2) continue;
  multi++;
  if (handed.get(pid)!.size === 1) stable++;
}
const idStability = years - bulkYears < 2 ? null : multi === 0 ? 1 : stable / multi;
// why people were handed more than one ID: their records still in two or more entities at the end (a missed link), or
// brought together later by a merge; and how many of them changed their last name
const unstable = { total: 0, apartAtEnd: 0, mergedLater: 0, renamed: 0, renamedApart: 0 };
{
  const finalIds = new Map<number, Set<string>>();
  allParties.forEach((p, j) => {
    for (let i = 0; i < p.count; i++) {
      const pid = allTruth[j]![i]!;
      let set = finalIds.get(pid);
      if (!set) {
        set = new Set();
        finalIds.set(pid, set);
      }
      set.add(storage.entityOf(p.name, p.ids[i]!)!);
    }
  });
  for (const [pid, n] of personYears) {
    if (n < 2 || handed.get(pid)!.size === 1) continue;
    unstable.total++;
    const apart = finalIds.get(pid)!.size > 1;
    if (apart) unstable.apartAtEnd++;
    else unstable.mergedLater++;
    if (population[pid]!.renamed) {
      unstable.renamed++;
      if (apart) unstable.renamedApart++;
    }
  }
}

// final registry vs truth
const labels: string[] = [];
const persons: number[] = [];
allParties.forEach((p, j) => {
  for (let i = 0; i < p.count; i++) {
    labels.push(storage.entityOf(p.name, p.ids[i]!)!);
    persons.push(allTruth[j]![i]!);
  }
});
const inc = pairQuality(labels, persons);
console.log(`incremental: precision ${inc.precision.toFixed(4)}, recall ${inc.recall.toFixed(4)}, F1 ${inc.f1.toFixed(4)}; ID stability ${idStability === null ? '-' : (idStability * 100).toFixed(2)}% of ${multi.toLocaleString('en-US')} people seen in 2+ years`);
console.log(
  `  not one ID: ${unstable.total} people; ${unstable.apartAtEnd} still in two or more entities at the end (missed links), ${unstable.mergedLater} brought together by a later merge; ${unstable.renamed} of them changed their last name (${unstable.renamedApart} of those still apart)`,
);
storage.close();

/** Peak RSS of the increments (the full re-link below needs more: it is reported on its own line). */
const peakIncrements = peakRss;
let f1Diff: number | null = null;
if (doFull) {
  // full re-link of all years at once: every party pair scored, the same clustering
  const t0 = performance.now();
  const offset: number[] = [];
  let nodes = 0;
  for (const p of allParties) {
    offset.push(nodes);
    nodes += p.count;
  }
  const edges = new EdgeList();
  for (let i = 0; i < allParties.length; i++) {
    for (let j = i + 1; j < allParties.length; j++) {
      const sp = await scorePairs(allParties[i]!, allParties[j]!, { threshold, blocking, workers: 1 });
      for (let x = 0; x < sp.a.length; x++) edges.push(offset[i]! + sp.a[x]!, offset[j]! + sp.b[x]!, sp.score[x]!);
    }
  }
  const nodeParty = new Uint32Array(nodes);
  allParties.forEach((p, k) => nodeParty.fill(k, offset[k]!, offset[k]! + p.count));
  const c = clusterRecords({ nodeCount: nodes, nodeParty, partyCount: allParties.length, maxPerParty: 1, phases: [edges] });
  const ci = indexClusters(c.label);
  const full = pairQuality(ci.of, persons);
  f1Diff = Math.round((inc.f1 - full.f1) * 1e4) / 1e4;
  console.log(`full re-link (${allParties.length} files, ${nodes.toLocaleString('en-US')} records, ${((performance.now() - t0) / 1000).toFixed(1)} s, peak ${mib(peakRss)} MiB): precision ${full.precision.toFixed(4)}, recall ${full.recall.toFixed(4)}, F1 ${full.f1.toFixed(4)}`);
}
if (flag('keep')) console.log(`store kept: ${storePath}`);
else rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ incrementSeconds: Math.round(worst * 100) / 100, peakMiB: mib(peakIncrements), idStability: idStability === null ? null : Math.round(idStability * 1e4) / 1e4, f1DiffVsFull: f1Diff }));
