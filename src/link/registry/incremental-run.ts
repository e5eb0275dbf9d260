import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { P20Error } from '../../errors.js';
import { silentProgress, type Progress } from '../../io/progress.js';
import type { Db } from '../../store/db.js';
import { TOOL_VERSION } from '../../version.js';
import { linksFileName, linksRow } from '../../format/links.js';
import { LINKS_HEADER } from '../../format/links.js';
import { REVIEW_FILE, REVIEW_HEADER, reviewRow } from '../../format/review.js';
import { LINK_REPORT_FORMAT, LINK_REPORT_VERSION, REPORT_FILE, runReportText, type LinkRunReport, type ReportInput } from '../../format/run-report.js';
import { resolveLinkSettings } from '../../schema/link-settings.js';
import { formatBlockingSpec, isAllPairs, parseBlockingSpec, validateBlockingConfig, type BlockingConfig } from '../blocking/config.js';
import { fileSha256, loadParty, readInputHeaders, scoringOf, type InputHeader } from '../load.js';
import type { LinkFilesOptions } from '../link-files.js';
import { claimOutDir, removeStaleOutputs } from '../out-dir.js';
import { abortAll, commitAll, StagedFile } from '../output.js';
import { addToHistogram, emptyHistogram, missingDateWarnings, reportCounts, reportParty } from '../report.js';
import type { PartyData } from '../types.js';
import { newRunId } from './ids.js';
import { sameEvidenceIndex } from './band-keys.js';
import { checkAgainstRegistry, commitIncrement, encodingUpdates, groupBy, planIncrement, registryConfigFor, incrementResidual, withEvidenceIndex, type IncrementPlan, type IncrementSettings } from './incremental.js';
import { SqliteRegistryStorage } from './sqlite-storage.js';
import { loadMatchModel, type LoadedMatchModel, type StoredMatchModel } from './match-model.js';
import type { EncodingUpdate, RegistryConfig } from './storage.js';
import { Laps } from '../../util/laps.js';

/**
 * `p20link link --store S FILE...` when the store's registry holds
 * encodings (or a single file is given): link the files incrementally
 * against the registry (src/link/registry/incremental.ts) and write the same
 * outputs as a full run (`<party>.links.csv` per input, review.csv,
 * run-report.json), published only after the registry and the audit log
 * recorded the run in one transaction.
 */

/** Opens the linker store (link-files.ts passes `openLinkerStore`: the store is opened in one place). */
export type StoreOpener = (path: string, opts?: { readOnly?: boolean }) => Db;

/** True when a link run with these options goes the incremental way. */
export function isIncrementalRun(opts: Pick<LinkFilesOptions, 'store' | 'inputs'>, open: StoreOpener): boolean {
  if (opts.store === undefined) return false;
  if (opts.inputs.length === 1) return true;
  return storeHas(opts.store, open, 'registry_records');
}

/** Whether the store exists and its table holds a row (false when it cannot be read: the run reports the store's problem itself). */
function storeHas(store: string, open: StoreOpener, table: 'registry_records' | 'registry_config'): boolean {
  if (!existsSync(store)) return false;
  let db: Db | undefined;
  try {
    db = open(store, { readOnly: true });
    return db.prepare(`SELECT EXISTS (SELECT 1 FROM ${table})`).pluck().get() === 1;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * A registry's first run given one file. The match model (the default for
 * inputs with evidence filters) is fitted by a full run on the pairs between
 * two or more files, and a registry keeps the scoring of the run that built
 * it: seeded by one file, it would be scored by CLK Dice at a threshold, and
 * so would every increment after it, while the files carry the evidence the
 * model reads. Refused before the store is touched; a registry built with
 * Dice on purpose (the model option dice, or inputs without evidence
 * filters) is seeded as before.
 */
function checkFirstRun(opts: Pick<LinkFilesOptions, 'model'>, headers: readonly InputHeader[]): void {
  if (scoringOf(opts.model, headers) !== 'fs') return;
  const file = headers[0]!.file;
  throw new P20Error(
    'LINK_TOO_FEW_INPUTS',
    "a registry's first run fits the match model on the pairs between its files and needs at least 2 encoded files, got 1: link this file in one run with another agency's file (seeded by one file, the registry and every increment on it would score CLK Dice; a registry scored by Dice is built on purpose with dice as the model option)",
    { file },
    { hint: { id: 'use-option', option: 'model' } },
  );
}

function reportParameters(cfg: RegistryConfig, s: IncrementSettings, opts: LinkFilesOptions): LinkRunReport['parameters'] {
  return {
    threshold: s.threshold,
    reviewThreshold: s.model ? (s.model.reviewProbability ?? null) : (s.reviewThreshold ?? null),
    blocking: cfg.blocking,
    maxPerParty: s.maxPerParty,
    workers: opts.workers ?? null,
    store: opts.store ?? null,
    truth: opts.truth ?? null,
    // the residual pass on the full run's stored free shares (docs/registry.md)
    ...(s.model ? { model: 'fs' as const, matchProbability: s.model.matchProbability, deduplicated: [], residualPass: incrementResidual(s) } : { model: 'dice' as const }),
  };
}

async function stageOutputs(plan: IncrementPlan, outDir: string, s: IncrementSettings, staged: StagedFile[]): Promise<{ parties: LinkRunReport['parties']; review: string | null }> {
  const parties: LinkRunReport['parties'] = [];
  for (const [k, p] of plan.parties.entries()) {
    const f = new StagedFile(outDir, linksFileName(p.name));
    staged.push(f);
    await f.line([...LINKS_HEADER]);
    for (let i = 0; i < p.count; i++) {
      const node = plan.offset[k]! + i;
      await f.row(linksRow(p.ids[i]!, plan.ids[node]!, plan.best[node]!));
    }
    const sha = await f.finish();
    const linked = plan.linkedPerParty[k]!;
    parties.push(reportParty(p, linked, f.name, sha));
  }
  if ((s.model ? s.model.reviewProbability : s.reviewThreshold) === undefined) return { parties, review: null };
  const f = new StagedFile(outDir, REVIEW_FILE);
  staged.push(f);
  await f.line([...REVIEW_HEADER]);
  const rows = [...plan.reviewPairs].sort((x, y) => y.score - x.score || (x.partyA + x.idA < y.partyA + y.idA ? -1 : 1));
  for (const r of rows) await f.row(reviewRow(r));
  await f.finish();
  return { parties, review: f.name };
}

/**
 * The settings of an increment. Without a schema or explicit options the
 * registry's stored settings apply; options given (or a schema's link hints,
 * with --schema) override them, as in a full run. A blocking other than the
 * one the index was built with is applied by rebuilding the index first
 * (docs/registry.md).
 */
async function incrementSettings(opts: LinkFilesOptions, cfg: RegistryConfig | undefined, headers: { file: string; header: { schemaFingerprint: string } }[], storePath: string): Promise<IncrementSettings> {
  const given = opts.blocking === undefined ? undefined : typeof opts.blocking === 'string' ? parseBlockingSpec(opts.blocking) : opts.blocking;
  if (given) validateBlockingConfig(given);
  let blocking: BlockingConfig;
  let threshold: number;
  let reviewThreshold: number | undefined;
  if (cfg && opts.schema === undefined) {
    blocking = given ?? parseBlockingSpec(cfg.blocking);
    threshold = opts.threshold ?? cfg.scoring.threshold;
    reviewThreshold = opts.reviewThreshold ?? (opts.threshold === undefined ? (cfg.scoring.reviewThreshold ?? undefined) : undefined);
  } else {
    const st = await resolveLinkSettings({
      inputs: headers.map((h) => ({ file: h.file, schemaFingerprint: h.header.schemaFingerprint })),
      ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
      ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
      ...(opts.reviewThreshold !== undefined ? { reviewThreshold: opts.reviewThreshold } : {}),
    });
    blocking = given ?? parseBlockingSpec(st.blocking);
    threshold = st.threshold;
    reviewThreshold = st.reviewThreshold;
  }
  if (!(threshold > 0 && threshold <= 1)) throw new P20Error('LINK_OPTION', `threshold must be a number in (0, 1], got ${threshold}`, { field: 'threshold' });
  // with the match model the review threshold is a match probability (checked with the model below)
  if (cfg?.scoring.kind === 'model') reviewThreshold = undefined;
  if (reviewThreshold !== undefined && !(reviewThreshold > 0 && reviewThreshold < threshold)) {
    throw new P20Error('LINK_OPTION', `review threshold must be a number in (0, threshold=${threshold}), got ${reviewThreshold}`, { field: 'review-threshold' });
  }
  if (isAllPairs(blocking)) checkAgainstRegistry(undefined, [], blocking);
  // a registry built by a full run with the match model: its increments score with that model (src/link/registry/match-model.ts)
  let model: LoadedMatchModel | undefined;
  if (cfg?.scoring.kind === 'model') {
    for (const h of headers) {
      model = loadMatchModel(cfg.scoring.model, h.header as never, h.file, storePath, {
        ...(opts.matchProbability !== undefined ? { matchProbability: opts.matchProbability } : {}),
        ...(opts.reviewThreshold !== undefined ? { reviewProbability: opts.reviewThreshold } : {}),
      });
    }
    const r = model?.reviewProbability;
    if (model && r !== undefined && !(r > 0 && r < model.matchProbability)) {
      throw new P20Error('LINK_OPTION', `with the match model the review threshold is a match probability in (0, ${model.matchProbability}), got ${r}`, { field: 'review-threshold' });
    }
    if (model && opts.residualPass === true && !incrementResidual({ model })) {
      throw new P20Error(
        'LINK_OPTION',
        "this registry's stored model has no free shares for the residual pass (its full run ran without the pass, or before increments kept them): link every file again in a full run with it, or leave the residual pass unset",
        { field: 'residual-pass' },
      );
    }
  } else if (opts.model === 'fs') {
    throw new P20Error('LINK_OPTION', 'this registry was built with CLK Dice scoring: its increments score Dice; link all files again in a full run with the match model (fs) to build a registry with it', { field: 'model' });
  } else if (opts.residualPass !== undefined) {
    // as a full run refuses it with Dice scoring (link-files.ts settingsOf)
    throw new P20Error('LINK_OPTION', 'the residual pass is a phase of the match model (fs); this registry scores Dice, which has one phase', { field: 'residual-pass' });
  }
  return {
    ...(model ? { model } : {}),
    ...(opts.minBandHits !== undefined ? { minBandHits: opts.minBandHits } : {}),
    ...(opts.bandCrowd !== undefined ? { bandCrowd: opts.bandCrowd } : {}),
    ...(opts.residualPass !== undefined ? { residualPass: opts.residualPass } : {}),
    blocking,
    threshold,
    reviewThreshold,
    maxPerParty: opts.maxPerParty ?? (cfg ? cfg.scoring.maxPerParty : 1),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.maxPairs !== undefined ? { maxPairs: opts.maxPairs } : {}),
  };
}

/** Link new files against the registry in opts.store (see isIncrementalRun). */
export async function linkIncremental(opts: LinkFilesOptions, open: StoreOpener): Promise<LinkRunReport> {
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const prog = opts.progress ?? ((): Progress => silentProgress);
  const storePath = opts.store!;
  const headers = await readInputHeaders(opts.inputs);
  if (!storeHas(storePath, open, 'registry_config')) checkFirstRun(opts, headers);
  const db = open(storePath);
  const storage = new SqliteRegistryStorage(db);
  const staged: StagedFile[] = [];
  try {
    const cfg = storage.config();
    checkAgainstRegistry(cfg, headers);
    const s = await incrementSettings(opts, cfg, headers, storePath);
    // another blocking, or a model registry whose index lacks the evidence keys (built before them): rebuild the index first
    const indexed = cfg && withEvidenceIndex({ ...cfg, blocking: formatBlockingSpec(s.blocking) }, headers[0]!.header);
    if (cfg && indexed && (indexed.blocking !== cfg.blocking || !sameEvidenceIndex(cfg.indexEvidence, indexed.indexEvidence))) {
      const p = prog('rebuild the blocking index');
      storage.reindex(indexed);
      p.finish();
    }
    const prevOutput = await claimOutDir(opts.outDir, db, storePath);
    const laps = new Laps();
    const lap = (k: string): void => laps.lap(k);
    const seenHash = new Map<string, string>();
    const parties: PartyData[] = [];
    const inputs: ReportInput[] = [];
    for (const h of headers) {
      const sha256 = await fileSha256(h.file);
      const prev = seenHash.get(sha256);
      if (prev !== undefined) throw new P20Error('LINK_DUPLICATE_INPUT', `has the same content as ${prev}; each party's file must be given once`, { file: h.file });
      seenHash.set(sha256, h.file);
      const p = prog(`load ${h.party}`);
      const party = await loadParty(h.file, h.party, p);
      p.finish();
      parties.push(party);
      inputs.push({
        party: h.party,
        file: h.file,
        sha256,
        schemaFingerprint: h.header.schemaFingerprint,
        keyCheckValue: h.header.keyCheckValue,
        l: h.header.l,
        records: party.count,
        encodedBy: h.header.tool,
        encodedAt: h.header.createdAt,
      });
    }
    lap('load');
    const p = prog('link against the registry');
    const plan = await planIncrement(storage, parties, s);
    p.finish();
    lap('increment');
    const files = await stageOutputs(plan, opts.outDir, s, staged);
    lap('outputs');
    const hist = emptyHistogram();
    for (const sc of plan.scores) addToHistogram(hist, sc);
    const linkHist = emptyHistogram();
    for (const b of plan.best) if (!Number.isNaN(b)) addToHistogram(linkHist, b);
    const registry = plan.status;
    const report: LinkRunReport = {
      format: LINK_REPORT_FORMAT,
      version: LINK_REPORT_VERSION,
      runId,
      tool: `p20link ${TOOL_VERSION}`,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      inputs,
      parameters: reportParameters(plan.config, s, opts),
      counts: reportCounts({
        records: plan.newCount,
        clusters: Object.values(plan.clusterSizes).reduce((t, x) => t + x, 0),
        linkedRecords: plan.linkedRecords,
        clustering: plan.clustering,
        pairStats: plan.pairStats,
        reviewPairs: plan.reviewPairs.length,
      }),
      parties: files.parties,
      partyPairs: plan.pairStats,
      clusterSizes: plan.clusterSizes,
      scoreHistogram: hist,
      linkScoreHistogram: linkHist,
      registry: {
        store: storePath,
        ...registry,
        mergeEvents: plan.assignment.events.filter((e) => e.event === 'merge').length,
        splitEvents: plan.assignment.events.filter((e) => e.event === 'split').length,
      },
      outputs: { dir: opts.outDir, files: files.parties.map((x) => x.output), review: files.review, report: REPORT_FILE },
      warnings: [
        ...missingDateWarnings(files.parties),
        ...(plan.unfittedPairs && plan.unfittedPairs.length > 0
          ? [
              `party pair(s) ${plan.unfittedPairs.join(', ')} were not in the full run that fitted the registry's match model: their pairs are scored with m and u fitted on the other party pairs and the overall prior, and the model's expected quality of them is untested (a new agency's records may differ: married names in wage records, say); a full run over all files refits the model (docs/registry.md)`,
            ]
          : []),
        ...(plan.mergeCandidates.length > 0 ? [`${plan.mergeCandidates.length} record(s) matched two registered entities that could not be merged (each holds a record of one party); they are recorded as merge candidates for review`] : []),
      ],
      timings: laps.timings,
      ...(plan.model ? { model: plan.model } : {}),
    };
    const rf = new StagedFile(opts.outDir, REPORT_FILE);
    staged.push(rf);
    await rf.text(runReportText(report));
    await rf.finish();
    commitIncrement(
      storage,
      plan,
      {
        runId,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        tool: report.tool,
        inputs: inputs.map((x) => ({ party: x.party, file: basename(x.file), sha256: x.sha256, schemaFingerprint: x.schemaFingerprint, keyCheckValue: x.keyCheckValue, l: x.l, records: x.records })),
        parameters: { ...report.parameters, mode: 'incremental' },
        counts: report.counts,
      },
      {
        runId,
        mode: 'incremental',
        inputs: inputs.map((x) => ({ party: x.party, sha256: x.sha256, schemaFingerprint: x.schemaFingerprint, records: x.records })),
        parameters: { threshold: s.threshold, reviewThreshold: s.reviewThreshold ?? null, maxPerParty: s.maxPerParty, blocking: plan.config.blocking },
        counts: { ...report.counts, candidateEntities: plan.candidateEntities, registeredCompared: plan.registeredCompared, mergeCandidates: plan.mergeCandidates.length },
        registry: { ...registry },
        outputs: report.parties.map((x) => ({ party: x.party, file: x.output, sha256: x.outputSha256 })),
      },
    );
    lap('registry');
    await commitAll(staged);
    await removeStaleOutputs(opts.outDir, prevOutput, staged.map((f) => f.name));
    return report;
  } catch (e) {
    await abortAll(staged);
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  } finally {
    db.close();
  }
}

/** Records stored at a time by a full run's store step (storeFullRunEncodings). */
export const STORE_RECORDS = 16_384;

/**
 * After a full run with a store (inside its registry transaction): keep the
 * run's encodings and band keys, and the configuration they were made under,
 * so later runs can be incremental. A full run with all-pairs blocking keeps
 * none (it cannot be indexed).
 */
export function storeFullRunEncodings(
  db: Db,
  parties: readonly PartyData[],
  parameters: { threshold: number; reviewThreshold: number | null; blocking: string; maxPerParty: number; model?: 'fs' | 'dice'; matchProbability?: number },
  opts: { registryModel?: StoredMatchModel; partSize?: number; progress?: (label: string) => Progress } = {},
): void {
  const { registryModel, partSize = STORE_RECORDS } = opts;
  const blocking = parseBlockingSpec(parameters.blocking);
  if (isAllPairs(blocking) || parties.length === 0) return;
  const storage = new SqliteRegistryStorage(db);
  const s: IncrementSettings = { blocking, threshold: parameters.threshold, reviewThreshold: parameters.reviewThreshold ?? undefined, maxPerParty: parameters.maxPerParty };
  const fresh = registryConfigFor(parties[0]!.header, s);
  let cfg = storage.config() ?? fresh;
  if (parameters.model === 'fs' && registryModel) {
    // the calibrated plan and fitted model, so increments score with them (src/link/registry/match-model.ts); a full run refits
    cfg = { ...cfg, scoring: { kind: 'model', threshold: s.threshold, reviewThreshold: null, maxPerParty: s.maxPerParty, model: registryModel } };
  }
  checkAgainstRegistry(storage.config(), parties.map((p) => ({ file: p.file, header: p.header })), blocking);
  // a registry scored by the match model also indexes evidence keys (band-keys.ts EVIDENCE_BAND)
  cfg = withEvidenceIndex(cfg, parties[0]!.header);
  const seq = storage.lastRunSeq();
  // Each band key once per entity (the index is kept per entity: src/link/registry/storage.ts). The records are stored
  // entity by entity, STORE_RECORDS at a time (an entity's records in one part), so memory holds a part's encodings, not
  // every record's with a key set per entity (at a million people that was more than the heap).
  const offset: number[] = [];
  let total = 0;
  for (const p of parties) {
    offset.push(total);
    total += p.count;
  }
  const entNum = new Map<string, number>();
  const recEnt = new Int32Array(total);
  for (const [k, p] of parties.entries()) {
    for (let from = 0; from < p.count; from += partSize) {
      const ents = storage.entitiesOf(p.ids.slice(from, from + partSize).map((recordId) => ({ party: p.name, recordId })));
      ents.forEach((e, x) => {
        // (every record has an entity once the run is registered; one without is a group of its own)
        const key = e ?? `\u0000${k}:${from + x}`;
        let v = entNum.get(key);
        if (v === undefined) {
          v = entNum.size;
          entNum.set(key, v);
        }
        recEnt[offset[k]! + from + x] = v;
      });
    }
  }
  const { items: order } = groupBy(recEnt, total, entNum.size);
  const partyAt = (g: number): number => {
    let k = parties.length - 1;
    while (offset[k]! > g) k--;
    return k;
  };
  const keys = new Set<number>();
  // the parts' index rows are written at the end in key order (withDeferredIndex), not part by part at random
  const prog = opts.progress?.('store encodings');
  storage.withDeferredIndex(() => {
    for (let from = 0; from < total; ) {
      let to = Math.min(total, from + partSize);
      while (to < total && recEnt[order[to]!] === recEnt[order[to - 1]!]) to++;
      // the part's encodings, computed party by party, then put back in entity order
      const byParty = parties.map((): number[] => []);
      for (let x = from; x < to; x++) {
        const k = partyAt(order[x]!);
        byParty[k]!.push(order[x]! - offset[k]!);
      }
      const made = byParty.map((at, k) => encodingUpdates(parties[k]!, blocking, cfg.indexEvidence, at));
      const next = made.map(() => 0);
      const part: EncodingUpdate[] = [];
      for (let x = from; x < to; x++) {
        if (x > from && recEnt[order[x]!] !== recEnt[order[x - 1]!]) keys.clear();
        const k = partyAt(order[x]!);
        const e = made[k]![next[k]!++]!;
        const keep: number[] = [];
        for (const key of e.bandKeys) {
          if (keys.has(key)) continue;
          keys.add(key);
          keep.push(key);
        }
        e.bandKeys = keep;
        part.push(e);
      }
      keys.clear();
      storage.storeEncodings(seq, cfg, part);
      from = to;
      prog?.update(from, total);
    }
    prog?.finish();
  }, opts.progress && (() => opts.progress!('store index')));
}
