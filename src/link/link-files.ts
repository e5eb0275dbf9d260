import { basename } from 'node:path';
import { EXIT, P20Error } from '../errors.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { writeTransaction, type Db } from '../store/db.js';
import { openLinkerStore } from '../store/linker-store.js';
import { appendAudit } from '../store/audit-log.js';
import { TOOL_VERSION } from '../version.js';
import { formatBlockingSpec, leafParts, validateBlockingConfig, type BlockingConfig } from './blocking/config.js';
import { countKeptPairs } from './blocking/index.js';
import { scorePairs } from './score.js';
import { checkCompatible, fileSha256, loadParty, readInputHeaders, type InputSpec } from './load.js';
import { claimOutDir, removeStaleOutputs } from './out-dir.js';
import { abortAll, commitAll, formatScore, linksFileName, REPORT_FILE, REVIEW_FILE, REVIEW_HEADER, LINKS_HEADER, StagedFile } from './output.js';
import {
  addToHistogram,
  emptyHistogram,
  linkWarnings,
  LINK_REPORT_FORMAT,
  LINK_REPORT_VERSION,
  type LinkRunReport,
  type ReportInput,
  type ReportPartyPair,
} from './report.js';
import { EdgeList } from './resolve/edges.js';
import { clusterRecords, clusterSizes, indexClusters, membersOf } from './resolve/cluster.js';
import { assignIds } from './registry/assign.js';
import { newRunId } from './registry/ids.js';
import { createdRunLookup, freshIdSource, lastRunSeq, priorEntities, registerRun } from './registry/registry.js';
import { pairQuality, readTruth, truePairsBetween, truthEntities } from './truth.js';
import type { PartyData, TruthRecord } from './types.js';

/**
 * `p20link link` as a library call: load N >= 2 encoded files (refusing
 * incompatible ones), score candidate pairs between every two parties,
 * resolve them into clusters (at most maxPerParty records of one party per
 * cluster), give every cluster a linkage ID from the registry, and write one
 * `<party>.links.csv` per party, `review.csv` and `run-report.json` into
 * outDir. Outputs are renamed into place only after the registry and audit
 * log have recorded the run in one transaction.
 */
export interface LinkFilesOptions {
  inputs: InputSpec[];
  outDir: string;
  /** Linker store (SQLite: registry + audit log). Without it every run hands out fresh IDs. */
  store?: string;
  /** Match threshold on the Dice score, in (0, 1]. */
  threshold: number;
  /** Lower bound of the clerical-review band, in (0, threshold). */
  reviewThreshold?: number;
  blocking: BlockingConfig;
  /** Most records of one party in one cluster (default 1; raise when a party's file holds duplicates). */
  maxPerParty?: number;
  /** Truth CSV (entity_id,party,record_id): adds quality and blocking recall to the report. */
  truth?: string;
  workers?: number;
  /** Refuse the run when more pairs than this reach the (review) threshold in one party pair (default DEFAULT_MAX_PAIRS, 100 million). */
  maxPairs?: number;
  /** Progress display per stage (default: none). */
  progress?: (label: string) => Progress;
}

function checkOptions(o: LinkFilesOptions): void {
  const bad = (msg: string, field: string): never => {
    throw new P20Error('LINK_OPTION', msg, { field }, 2);
  };
  if (!(typeof o.threshold === 'number' && o.threshold > 0 && o.threshold <= 1)) bad(`threshold must be a number in (0, 1], got ${o.threshold}`, 'threshold');
  if (o.reviewThreshold !== undefined) {
    if (!(typeof o.reviewThreshold === 'number' && o.reviewThreshold > 0 && o.reviewThreshold < o.threshold)) {
      bad(`review threshold must be a number in (0, threshold=${o.threshold}), got ${o.reviewThreshold}`, 'review-threshold');
    }
  }
  const m = o.maxPerParty ?? 1;
  if (!Number.isInteger(m) || m < 1 || m > 1000) bad(`max-per-party must be a whole number from 1 to 1000, got ${m}`, 'max-per-party');
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 256)) bad(`workers must be a whole number from 1 to 256, got ${o.workers}`, 'workers');
  if (o.maxPairs !== undefined && (!Number.isInteger(o.maxPairs) || o.maxPairs < 1)) bad(`max-pairs must be a positive whole number, got ${o.maxPairs}`, 'max-pairs');
  if (typeof o.outDir !== 'string' || o.outDir.length === 0) bad('an output directory is required', 'out');
  validateBlockingConfig(o.blocking);
}


export async function linkFiles(opts: LinkFilesOptions): Promise<LinkRunReport> {
  checkOptions(opts);
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const prog = opts.progress ?? (() => silentProgress);
  const threshold = opts.threshold;
  const review = opts.reviewThreshold;
  const low = review ?? threshold;
  const tHigh = Math.fround(threshold);
  const maxPerParty = opts.maxPerParty ?? 1;

  // 1. headers first: refuse incompatible inputs before reading any body
  const headers = await readInputHeaders(opts.inputs);
  checkCompatible(headers);
  for (const part of leafParts(opts.blocking)) {
    if (part.kind !== 'keys') continue;
    for (const h of headers) {
      const have = h.header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
      for (const name of part.names) {
        if (!have.includes(name)) {
          throw new P20Error(
            'LINK_BLOCK_MISSING',
            `blocking needs block column "${name}", which this file does not have (it has: ${have.join(', ') || 'none'}); encode with that block or choose other blocking`,
            { file: h.file, field: `block:${name}` },
          );
        }
      }
    }
  }

  const truth: TruthRecord[] | undefined = opts.truth ? await readTruth(opts.truth) : undefined;

  let db: Db | undefined;
  let registrySeq = 0;
  const staged: StagedFile[] = [];
  try {
    if (opts.store) {
      db = openLinkerStore(opts.store);
      // No lock is held while the run works, so readers and small writers
      // (unpack, package, audit) proceed. The registry state the run builds
      // on is pinned by the latest run's number, checked again in the short
      // write transaction that records this run (step 9).
      registrySeq = lastRunSeq(db);
    }

    // the output directory must be new, empty or an earlier output of this store (src/link/out-dir.ts)
    const prevOutput = await claimOutDir(opts.outDir, db, opts.store);

    const timings: Record<string, number> = {};
    let lapStart = performance.now();
    const lap = (stage: string): void => {
      const now = performance.now();
      timings[stage] = Math.round(now - lapStart) / 1000;
      lapStart = now;
    };
    // 2. the same file twice is a mistake (it would link a party with itself)
    const hashes: string[] = [];
    const seenHash = new Map<string, string>();
    for (const h of headers) {
      const sha256 = await fileSha256(h.file);
      const prev = seenHash.get(sha256);
      if (prev !== undefined) {
        throw new P20Error('LINK_DUPLICATE_INPUT', `has the same content as ${prev}; each party's file must be given once`, { file: h.file });
      }
      seenHash.set(sha256, h.file);
      hashes.push(sha256);
    }

    // 3. load and validate every body
    const parties: PartyData[] = [];
    const inputs: ReportInput[] = [];
    for (const [k, h] of headers.entries()) {
      const sha256 = hashes[k]!;
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
    const P = parties.length;
    const offset: number[] = [];
    let nodeCount = 0;
    for (const p of parties) {
      offset.push(nodeCount);
      nodeCount += p.count;
    }
    const nodeParty = new Uint32Array(nodeCount);
    parties.forEach((p, k) => nodeParty.fill(k, offset[k]!, offset[k]! + p.count));
    const partyOfNode = (node: number): PartyData => parties[nodeParty[node]!]!;
    const idOfNode = (node: number): string => partyOfNode(node).ids[node - offset[nodeParty[node]!]!]!;

    lap('load');
    // 4. score every party pair (and within parties when duplicates are allowed)
    const edges = new EdgeList();
    const reviewEdges = new EdgeList();
    const hist = emptyHistogram();
    const pairStats: ReportPartyPair[] = [];
    const pairIndex = new Map<string, ReportPartyPair>();
    const entities = truth ? truthEntities(truth, parties) : undefined;
    let blockingTrue = 0;
    let blockingKept = 0;
    const jobs: [number, number][] = [];
    for (let i = 0; i < P; i++) {
      if (maxPerParty > 1) jobs.push([i, i]);
      for (let j = i + 1; j < P; j++) jobs.push([i, j]);
    }
    for (const [i, j] of jobs) {
      const A = parties[i]!;
      const B = i === j ? null : parties[j]!;
      const p = prog(`score ${A.name} x ${B ? B.name : A.name}`);
      const sp = await scorePairs(A, B, { threshold: low, blocking: opts.blocking, ...(opts.workers ? { workers: opts.workers } : {}), ...(opts.maxPairs ? { maxPairs: opts.maxPairs } : {}), progress: p });
      p.finish();
      const stat: ReportPartyPair = {
        partyA: A.name,
        partyB: (B ?? A).name,
        candidates: sp.candidates,
        compared: sp.compared,
        aboveThreshold: 0,
        reviewBand: 0,
        linked: 0,
      };
      const oa = offset[i]!;
      const ob = offset[j]!;
      let nHigh = 0;
      for (let k = 0; k < sp.score.length; k++) if (sp.score[k]! >= tHigh) nHigh++;
      edges.reserve(nHigh);
      reviewEdges.reserve(sp.score.length - nHigh);
      for (let k = 0; k < sp.a.length; k++) {
        const s = sp.score[k]!;
        const u = oa + sp.a[k]!;
        const v = ob + sp.b[k]!;
        if (u === v) continue;
        addToHistogram(hist, s);
        if (s >= tHigh) {
          edges.push(u, v, s);
          stat.aboveThreshold++;
        } else {
          reviewEdges.push(u, v, s);
          stat.reviewBand++;
        }
      }
      lap(`score:${stat.partyA}x${stat.partyB}`);
      if (entities && B) {
        const truePairs = truePairsBetween(entities[i]!, entities[j]!);
        const kept = countKeptPairs(A, B, opts.blocking, truePairs);
        stat.blocking = { truePairs: kept.total, kept: kept.kept, recall: kept.total === 0 ? 1 : kept.kept / kept.total };
        blockingTrue += kept.total;
        blockingKept += kept.kept;
      }
      pairStats.push(stat);
      pairIndex.set(`${i},${j}`, stat);
      if (entities && B) lap(`truth:${stat.partyA}x${stat.partyB}`);
    }

    // 5. resolve
    const clustering = clusterRecords({ nodeCount, nodeParty, partyCount: P, maxPerParty, phases: [edges] });
    const ci = indexClusters(clustering.label);
    const linkHist = emptyHistogram();
    for (let n = 0; n < nodeCount; n++) if (!Number.isNaN(clustering.best[n]!)) addToHistogram(linkHist, clustering.best[n]!);

    lap('resolve');
    // 6. linkage IDs
    const prior = db ? priorEntities(db, (n) => partyOfNode(n).name, idOfNode, nodeCount) : new Array<string | undefined>(nodeCount).fill(undefined);
    const assignment = assignIds({
      clusters: ci,
      prior,
      createdRun: db ? createdRunLookup(db) : () => 0,
      nodeKey: (n) => `${partyOfNode(n).name}\u0000${idOfNode(n)}`,
      newId: freshIdSource(db),
    });

    lap('ids');
    // 7. per-cluster statistics
    const perParty = new Uint32Array(P);
    const linkedPerParty = new Array<number>(P).fill(0);
    let linkedRecords = 0;
    for (let c = 0; c < ci.count; c++) {
      const m = membersOf(ci, c);
      if (m.length < 2) continue;
      linkedRecords += m.length;
      perParty.fill(0);
      for (const node of m) perParty[nodeParty[node]!]!++;
      for (let i = 0; i < P; i++) {
        linkedPerParty[i]! += perParty[i]!;
        for (let j = i; j < P; j++) {
          const st = pairIndex.get(`${i},${j}`);
          if (!st) continue;
          st.linked += i === j ? (perParty[i]! * (perParty[i]! - 1)) / 2 : perParty[i]! * perParty[j]!;
        }
      }
    }

    // 8. stage outputs
    const partyReports: LinkRunReport['parties'] = [];
    for (let k = 0; k < P; k++) {
      const party = parties[k]!;
      const f = new StagedFile(opts.outDir, linksFileName(party.name));
      staged.push(f);
      await f.line([...LINKS_HEADER]);
      for (let r = 0; r < party.count; r++) {
        const node = offset[k]! + r;
        await f.row([party.ids[r]!, assignment.clusterId[ci.of[node]!]!, formatScore(clustering.best[node]!)]);
      }
      const sha = await f.finish();
      partyReports.push({
        party: party.name,
        records: party.count,
        linked: linkedPerParty[k]!,
        singletons: party.count - linkedPerParty[k]!,
        output: f.name,
        outputSha256: sha,
      });
    }
    let reviewName: string | null = null;
    if (review !== undefined) {
      const f = new StagedFile(opts.outDir, REVIEW_FILE);
      staged.push(f);
      await f.line([...REVIEW_HEADER]);
      const rs = reviewEdges.sorted();
      for (let k = 0; k < rs.u.length; k++) {
        const u = rs.u[k]!;
        const v = rs.v[k]!;
        await f.row([partyOfNode(u).name, idOfNode(u), partyOfNode(v).name, idOfNode(v), formatScore(rs.score[k]!)]);
      }
      await f.finish();
      reviewName = f.name;
    }

    lap('outputs');
    const status = { kept: 0, new: 0, merged: 0, split: 0 };
    for (const s of assignment.status) status[s]++;
    const finishedAt = new Date();
    const report: LinkRunReport = {
      format: LINK_REPORT_FORMAT,
      version: LINK_REPORT_VERSION,
      runId,
      tool: `p20link ${TOOL_VERSION}`,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      inputs,
      parameters: {
        threshold,
        reviewThreshold: review ?? null,
        blocking: formatBlockingSpec(opts.blocking),
        maxPerParty,
        workers: opts.workers ?? null,
        store: opts.store ?? null,
        truth: opts.truth ?? null,
      },
      counts: {
        records: nodeCount,
        clusters: ci.count,
        linkedRecords,
        singletons: nodeCount - linkedRecords,
        acceptedLinks: clustering.accepted,
        refusedLinks: clustering.refused,
        candidates: pairStats.reduce((s, p) => s + p.candidates, 0),
        compared: pairStats.reduce((s, p) => s + p.compared, 0),
        reviewPairs: reviewEdges.length,
      },
      parties: partyReports,
      partyPairs: pairStats,
      clusterSizes: clusterSizes(ci),
      scoreHistogram: hist,
      linkScoreHistogram: linkHist,
      registry: {
        store: opts.store ?? null,
        ...status,
        mergeEvents: assignment.events.filter((e) => e.event === 'merge').length,
        splitEvents: assignment.events.filter((e) => e.event === 'split').length,
      },
      outputs: { dir: opts.outDir, files: partyReports.map((p) => p.output), review: reviewName, report: REPORT_FILE },
      warnings: linkWarnings(pairStats, new Map(parties.map((p) => [p.name, p.count])), maxPerParty, threshold, review),
    };
    if (entities && opts.truth) {
      const flat: (string | undefined)[] = [];
      for (const e of entities) for (const x of e) flat.push(x);
      const q = pairQuality(ci.of, flat);
      report.truth = {
        file: opts.truth,
        ...q,
        blockingTruePairs: blockingTrue,
        blockingKept,
        blockingRecall: blockingTrue === 0 ? 1 : blockingKept / blockingTrue,
      };
    }
    report.timings = timings;
    const rf = new StagedFile(opts.outDir, REPORT_FILE);
    staged.push(rf);
    await rf.text(JSON.stringify(report, null, 2) + '\n');
    await rf.finish();

    // 9. record the run (registry + audit, one short write transaction), then publish the files
    if (db) {
      const d = db;
      writeTransaction(d, () => {
        if (lastRunSeq(d) !== registrySeq) {
          throw new P20Error(
            'STORE_CHANGED',
            'another link run was recorded in this linker store while this run was working, so the linkage IDs of this run could conflict with its; nothing was written: run again',
            { file: opts.store! },
            EXIT.environment,
          );
        }
        registerRun(d, {
          run: {
            runId,
            startedAt: report.startedAt,
            finishedAt: report.finishedAt,
            tool: report.tool,
            inputs: inputs.map((x) => ({ party: x.party, file: basename(x.file), sha256: x.sha256, schemaFingerprint: x.schemaFingerprint, keyCheckValue: x.keyCheckValue, l: x.l, records: x.records })),
            parameters: report.parameters,
            counts: report.counts,
          },
          clusters: ci,
          assignment,
          nodeParty: (n) => partyOfNode(n).name,
          nodeId: idOfNode,
        });
        appendAudit(d, {
          type: 'link-run',
          detail: {
            runId,
            inputs: inputs.map((x) => ({ party: x.party, sha256: x.sha256, schemaFingerprint: x.schemaFingerprint, records: x.records })),
            parameters: { threshold, reviewThreshold: review ?? null, maxPerParty, blocking: report.parameters.blocking },
            counts: { ...report.counts },
            registry: { kept: status.kept, new: status.new, merged: status.merged, split: status.split },
            outputs: partyReports.map((p) => ({ party: p.party, file: p.output, sha256: p.outputSha256 })),
          },
        });
      });
      lap('registry');
      report.timings = timings;
    }
    await commitAll(staged);
    await removeStaleOutputs(opts.outDir, prevOutput, staged.map((f) => f.name));
    return report;
  } catch (e) {
    await abortAll(staged);
    if (db?.inTransaction) db.exec('ROLLBACK');
    throw e;
  } finally {
    db?.close();
  }
}

export interface SchemaLinkDefaults {
  threshold?: number;
  reviewThreshold?: number;
  /** Blocking spec: the schema's blocking keys (any agreeing key makes a candidate) plus LSH. */
  blocking?: string;
}

/**
 * Link defaults from a linkage schema's `p20link.link` hints (`--schema`).
 * The schema must be the one the inputs were encoded with: its fingerprint
 * is compared with the inputs' headers, and a mismatch is refused.
 */
export async function linkDefaultsFromSchema(schemaPath: string, inputs: readonly InputSpec[]): Promise<SchemaLinkDefaults> {
  const { prepareEncode } = await import('../encode/pipeline.js');
  const { schemaFingerprint } = await import('../schema/linkage-schema.js');
  const { schema, ext } = await prepareEncode(schemaPath);
  const fp = schemaFingerprint(schema);
  const headers = await readInputHeaders(inputs);
  for (const h of headers) {
    if (h.header.schemaFingerprint !== fp) {
      throw new P20Error(
        'LINK_SCHEMA_MISMATCH',
        `was encoded with a different linkage schema than ${schemaPath} (fingerprint ${h.header.schemaFingerprint}, schema file has ${fp}); refusing to take link settings from it`,
        { file: h.file },
      );
    }
  }
  const hints = ext.link ?? {};
  const out: SchemaLinkDefaults = {};
  if (hints.threshold !== undefined) out.threshold = hints.threshold;
  if (hints.reviewThreshold !== undefined) out.reviewThreshold = hints.reviewThreshold;
  if (hints.blocking && hints.blocking.length > 0) {
    const lsh = hints.lsh === false ? [] : [hints.lsh ?? 'lsh'];
    out.blocking = [...hints.blocking.map((k) => `keys:${k}`), ...lsh].join('+');
  } else if (typeof hints.lsh === 'string') {
    out.blocking = hints.lsh;
  }
  return out;
}
