/**
 * The whole p20link pipeline on the bundled three-agency sample, in one
 * command (`npm run demo`). Every step runs the real `p20link` command
 * in-process (cli/main.ts main()), prints the exact command line it
 * corresponds to, and says where its outputs are. Outputs go to a fresh
 * directory (default demo-out/, ignored by git).
 *
 *   keys + secret → agencies encode and package → linker unpacks, links,
 *   assigns linkage IDs → each agency receives its mapping → analyst joins
 *   outcomes into a research file and a table → suppress + audit-table the
 *   table, kcheck (and repair) the research file → quality and bias reports.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { P20Error } from '../src/errors.js';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cli/main.js';
import { joinResearch, writeOutcomeExtract, type ResearchSummary } from './research.js';
import { runBiasReport, runQualityReport, type BiasResult } from '../src/report/index.js';

export const DEMO_PARTIES = ['k12', 'college', 'wages'] as const;
type Party = (typeof DEMO_PARTIES)[number];

export interface AgencyMapping {
  party: Party;
  description: string;
  extract: string;
  idColumn: string;
  map: Record<string, string>;
  outcomes: string[];
  demographics: string[];
}

export interface DemoStep {
  n: number;
  title: string;
  /** The p20link command line this step ran (empty for analyst-side library steps). */
  command: string;
  exitCode: number;
  outputs: string[];
  seconds: number;
}

export interface DemoSummary {
  outDir: string;
  records: Record<Party, number>;
  linkedRecords: Record<Party, number>;
  clusters: number;
  quality: { precision: number; recall: number; f1: number; truePairs: number; linkedPairs: number; missed: number; false: number };
  research: ResearchSummary & { file: string; table: string };
  suppress: { exitCode: number; output: string };
  auditTable: { exitCode: number; passed: boolean };
  kcheck: { original: boolean; repaired: boolean; final: boolean; file: string };
  bias: { flagged: number; html: string };
  steps: DemoStep[];
  seconds: number;
}

export interface DemoOptions {
  outDir: string;
  quiet?: boolean;
  /** Where the sample extracts and truth.csv are (default: examples/data of this project). */
  dataDir?: string;
  /** Reference date for the bias report's age bands (default: today). */
  asOf?: string;
}

/** The project root: the nearest directory above this module with p20link's package.json. */
export function projectRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'p20link') return d;
      } catch {
        /* keep looking */
      }
    }
    d = dirname(d);
  }
  return process.cwd();
}

export async function loadMapping(root: string, party: Party): Promise<AgencyMapping> {
  return JSON.parse(await readFile(join(root, 'examples', 'agencies', `${party}.json`), 'utf8')) as AgencyMapping;
}

const rel = (p: string) => {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
};
const quote = (a: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

/** Run one p20link command in-process, capturing what it prints. */
async function runCli(argv: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const capture = (c: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof c === 'string' ? c : Buffer.from(c).toString('utf8'));
    const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = 0;
  }
  return { code, out: chunks.join('') };
}

class DemoError extends Error {}

function flaggedList(r: BiasResult): string {
  const f = r.dimensions.flatMap((d) => d.groups.filter((g) => g.flagged).map((g) => `${d.spec.name} ${g.value} ${g.diff >= 0 ? '+' : ''}${(g.diff * 100).toFixed(1)} pt${g.significant ? '' : ', not significant'}`));
  return f.length ? ` (${f.join('; ')})` : '';
}

/** Marker file that makes a directory a demo output the next run may delete. */
export const DEMO_MARKER = '.p20link-demo-out';

async function prepareOutDir(out: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
    throw new P20Error('DEMO_OUT', 'exists, is not empty and was not made by the demo; refusing to delete it (choose another directory)', { file: out });
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, DEMO_MARKER), 'made by p20link examples/demo.ts; the next demo run deletes this directory\n');
}


export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const t0 = Date.now();
  const root = projectRoot();
  const data = resolve(opts.dataDir ?? join(root, 'examples', 'data'));
  const out = resolve(opts.outDir);
  const say = (s: string) => {
    if (!opts.quiet) process.stdout.write(s);
  };
  const steps: DemoStep[] = [];

  const step = async (title: string, commands: string[][], outputs: string[], o: { allowFail?: boolean } = {}): Promise<{ code: number; out: string }> => {
    const n = steps.length + 1;
    const ts = Date.now();
    say(`\n[${n}] ${title}\n`);
    let last = { code: 0, out: '' };
    const lines: string[] = [];
    for (const argv of commands) {
      const command = ['p20link', ...argv.map((a) => (a.startsWith('/') ? rel(a) : a))].map(quote).join(' ');
      lines.push(command);
      say(`  $ ${command}\n`);
      last = await runCli(argv);
      const shown = last.out.trimEnd();
      if (shown) say(shown.split('\n').map((l) => `    ${l}`).join('\n') + '\n');
      if (last.code !== 0) {
        steps.push({ n, title, command: lines.join('\n'), exitCode: last.code, outputs: outputs.map(rel), seconds: (Date.now() - ts) / 1000 });
        if (!o.allowFail) throw new DemoError(`step ${n} (${title}) failed with exit status ${last.code}:\n${last.out}`);
        say(`  (exit status ${last.code})\n`);
        return last;
      }
    }
    steps.push({ n, title, command: lines.join('\n'), exitCode: 0, outputs: outputs.map(rel), seconds: (Date.now() - ts) / 1000 });
    if (outputs.length) say(`  → ${outputs.map(rel).join('\n    ')}\n`);
    return last;
  };
  const libraryStep = async <T>(title: string, what: string, outputs: string[], fn: () => Promise<T>): Promise<T> => {
    const n = steps.length + 1;
    const ts = Date.now();
    say(`\n[${n}] ${title}\n  (${what})\n`);
    const r = await fn();
    steps.push({ n, title, command: '', exitCode: 0, outputs: outputs.map(rel), seconds: (Date.now() - ts) / 1000 });
    if (outputs.length) say(`  → ${outputs.map(rel).join('\n    ')}\n`);
    return r;
  };

  // fresh output tree (only ever deleting a directory an earlier demo made)
  await prepareOutDir(out);
  const agencyDir = (p: Party) => join(out, 'agencies', p);
  const dir = {
    linker: join(out, 'linker'),
    linkerAllow: join(out, 'linker', 'allow'),
    inbox: join(out, 'linker', 'inbox'),
    results: join(out, 'linker', 'results'),
    outbox: join(out, 'linker', 'outbox'),
    analyst: join(out, 'analyst'),
    reports: join(out, 'reports'),
  };
  for (const d of [...Object.values(dir), ...DEMO_PARTIES.flatMap((p) => [agencyDir(p), join(agencyDir(p), 'allow')])]) await mkdir(d, { recursive: true });
  say(`p20link demo: three agencies (${DEMO_PARTIES.join(', ')}) link the bundled sample in ${rel(data)}; outputs in ${rel(out)}/\n`);

  const maps = {} as Record<Party, AgencyMapping>;
  for (const p of DEMO_PARTIES) maps[p] = await loadMapping(root, p);
  const schema = join(root, 'protocols', 'schemas', 'p20w-person.json');
  const key = (who: string, d: string) => ({ priv: join(d, `${who}.key.pem`), pub: join(d, `${who}.pub.pem`) });
  const linkerKey = key('linker', dir.linker);
  const agencyKey = (p: Party) => key(p, agencyDir(p));

  // 1. keys
  await step(
    'Every party makes its key pair (signing + receiving); private keys stay home (mode 0600)',
    [['keygen', '--name', 'linker', '--out', dir.linker], ...DEMO_PARTIES.map((p) => ['keygen', '--name', p, '--out', agencyDir(p)])],
    [linkerKey.pub, ...DEMO_PARTIES.map((p) => agencyKey(p).pub)],
  );
  // 2. exchange public keys
  await libraryStep('Parties exchange public keys (in real life: compare fingerprints over a second channel)', 'file copies into each allow-list directory', [dir.linkerAllow, ...DEMO_PARTIES.map((p) => join(agencyDir(p), 'allow'))], async () => {
    for (const p of DEMO_PARTIES) {
      await copyFile(agencyKey(p).pub, join(dir.linkerAllow, `${p}.pub.pem`));
      await copyFile(linkerKey.pub, join(agencyDir(p), 'allow', 'linker.pub.pem'));
    }
  });
  // 3. secret
  const secret = join(out, 'agencies', 'linkage-secret.txt');
  await step('The agencies create the shared linkage secret (the linker never sees it)', [['secret', 'new', '--out', secret]], [secret]);

  // 4. encode
  const encoded = {} as Record<Party, string>;
  for (const p of DEMO_PARTIES) encoded[p] = join(agencyDir(p), `${p}.enc`);
  await step(
    'Each agency encodes its own extract on premises: its own columns, ids and date layout → keyed Bloom filters',
    DEMO_PARTIES.map((p) => {
      const m = maps[p];
      return [
        'encode', join(data, m.extract), '-o', encoded[p], '--schema', schema, '--secret-file', secret, '--party', p,
        '--id-column', m.idColumn, ...Object.entries(m.map).filter(([f, c]) => f !== c).flatMap(([f, c]) => ['--map', `${f}=${c}`]),
      ];
    }),
    DEMO_PARTIES.map((p) => encoded[p]),
  );

  // 5. package to the linker
  const pkg = (p: Party) => join(agencyDir(p), `${p}.p20pkg`);
  await step(
    'Each agency packages its encoded file for the linker: encrypted to the linker\'s key, signed with its own',
    DEMO_PARTIES.map((p) => ['package', encoded[p], '--to', linkerKey.pub, '--sign', agencyKey(p).priv, '--name', p, '-o', pkg(p)]),
    DEMO_PARTIES.map(pkg),
  );

  // 6. linker unpacks
  const store = join(dir.linker, 'linker.db');
  const inboxEnc = (p: Party) => join(dir.inbox, `${p}.enc`);
  await step(
    'Linker: verify each package against the allow-list, refuse replays, decrypt',
    DEMO_PARTIES.map((p) => ['unpack', pkg(p), '--key', linkerKey.priv, '--allow-dir', dir.linkerAllow, '--store', store, '--kind', 'encoded', '-o', inboxEnc(p)]),
    [...DEMO_PARTIES.map(inboxEnc), store],
  );

  // 7. link
  await step(
    'Linker: link the three files (match model fitted on their own data, no threshold to set), assign stable linkage IDs (no key, no PII)',
    [['link', ...DEMO_PARTIES.map(inboxEnc), '--out', dir.results, '--store', store, '--schema', schema]],
    [...DEMO_PARTIES.map((p) => join(dir.results, `${p}.links.csv`)), join(dir.results, 'run-report.json')],
  );
  const runReport = JSON.parse(await readFile(join(dir.results, 'run-report.json'), 'utf8')) as {
    counts: { clusters: number };
    parties: { party: Party; records: number; linked: number }[];
  };

  // 8. results back, each to its own agency only
  const resultPkg = (p: Party) => join(dir.outbox, `${p}.result.p20pkg`);
  await step(
    'Linker: package each agency\'s own record → linkage ID map, encrypted to that agency only',
    DEMO_PARTIES.map((p) => ['package', join(dir.results, `${p}.links.csv`), '--kind', 'result', '--party', p, '--to', agencyKey(p).pub, '--sign', linkerKey.priv, '--name', 'linker', '--store', store, '-o', resultPkg(p)]),
    DEMO_PARTIES.map(resultPkg),
  );
  const received = {} as Record<Party, string>;
  for (const p of DEMO_PARTIES) received[p] = join(agencyDir(p), `${p}.links.csv`);
  await step(
    'Each agency verifies and opens its mapping',
    DEMO_PARTIES.map((p) => ['unpack', resultPkg(p), '--key', agencyKey(p).priv, '--allow-dir', join(agencyDir(p), 'allow'), '--kind', 'result', '--ledger', join(agencyDir(p), `${p}.ledger.db`), '--party', p, '-o', received[p]]),
    DEMO_PARTIES.map((p) => received[p]),
  );
  await step('Anyone with the linker\'s store can check its tamper-evident audit log', [['audit', 'verify', '--store', store]], []);

  // 9. agencies strip their extracts to linkage ID + outcomes
  const outcomes = {} as Record<Party, string>;
  for (const p of DEMO_PARTIES) outcomes[p] = join(agencyDir(p), `${p}.outcomes.csv`);
  await libraryStep('Agencies: replace record ids by linkage IDs, keep only the agreed outcome columns (no PII)', 'library: examples/research.ts writeOutcomeExtract', DEMO_PARTIES.map((p) => outcomes[p]), async () => {
    for (const p of DEMO_PARTIES) {
      await writeOutcomeExtract({ extract: join(data, maps[p].extract), idColumn: maps[p].idColumn, links: received[p], keep: maps[p].outcomes, out: outcomes[p] });
    }
  });

  // 10. analyst join
  const researchFile = join(dir.analyst, 'research.csv');
  const tableFile = join(dir.analyst, 'table.csv');
  const research = await libraryStep('Analyst: join enrollment → college → wages by linkage ID into a research file and a table', 'library: examples/research.ts joinResearch', [researchFile, tableFile], () =>
    joinResearch({ k12: outcomes.k12, college: outcomes.college, wages: outcomes.wages, researchOut: researchFile, tableOut: tableFile }),
  );
  say(`  ${research.students} K-12 students: ${research.collegeMatched} found in college records, ${research.wagesMatched} in wage records; table of ${research.tableRows} rows\n`);

  // 11. suppress + audit-table
  const tableSpec = join(root, 'examples', 'release', 'table-spec.json');
  const published = join(dir.analyst, 'table-suppressed.csv');
  const suppressReport = join(dir.analyst, 'table-suppressed.report.json');
  const sup = await step('Analyst: suppress small cells in the table, with complementary suppression proven by LP', [['suppress', tableFile, '--spec', tableSpec, '-o', published, '--report', suppressReport]], [published, suppressReport]);
  const suppress = { exitCode: sup.code, output: published };
  const aud = await step('Anyone: audit the published table (attacker bounds on every hidden cell)', [['audit-table', published, '--spec', tableSpec]], [], { allowFail: true });
  const auditTable = { exitCode: aud.code, passed: aud.code === 0 };

  // 12. kcheck, repair if needed
  const kspec = join(root, 'examples', 'release', 'kcheck-spec.json');
  const k1 = await step('Analyst: kcheck the record-level research file before release', [['kcheck', researchFile, '--spec', kspec]], [], { allowFail: true });
  const kcheck = { original: k1.code === 0, repaired: false, final: k1.code === 0, file: researchFile };
  if (k1.code !== 0) {
    const repaired = join(dir.analyst, 'research-k5.csv');
    await step('Analyst: repair it (generalize per the spec, then suppress locally) into a new file', [['kcheck', researchFile, '--spec', kspec, '--repair', repaired]], [repaired], { allowFail: true });
    const k2 = await step('Analyst: kcheck the repaired file', [['kcheck', repaired, '--spec', kspec]], [], { allowFail: true });
    kcheck.repaired = true;
    kcheck.final = k2.code === 0;
    kcheck.file = repaired;
  }

  // 13. reports
  const truthFile = join(data, 'truth.csv');
  const qualityHtml = join(dir.reports, 'quality.html');
  const wrongPairs = join(dir.reports, 'wrong-pairs.csv');
  await step(
    'Evaluation (synthetic data only): linkage quality against the ground truth',
    [['report', 'quality', '--links', dir.results, '--truth', truthFile, '--run-report', join(dir.results, 'run-report.json'), '--trouble', join(data, 'trouble.csv'), '--html', qualityHtml, '--wrong-pairs', wrongPairs]],
    [qualityHtml, wrongPairs],
  );
  const q = await runQualityReport({ linksDir: dir.results, truthFile, runReport: join(dir.results, 'run-report.json') });
  const biasHtml = join(dir.reports, 'bias-k12.html');
  await step(
    'K-12 agency: does the link rate differ by race/ethnicity, sex or age? (its own demographics, its own mapping)',
    [['report', 'bias', '--links', received.k12, '--data', join(data, maps.k12.extract), '--id-column', maps.k12.idColumn, '--by', maps.k12.demographics.join(','), ...(opts.asOf ? ['--as-of', opts.asOf] : []), '--truth', truthFile, '--html', biasHtml]],
    [biasHtml],
  );
  const b = await runBiasReport({ linksFile: received.k12, dataFile: join(data, maps.k12.extract), idColumn: maps.k12.idColumn, by: maps.k12.demographics, ...(opts.asOf ? { asOf: opts.asOf } : {}), truthFile });

  const records = {} as Record<Party, number>;
  const linkedRecords = {} as Record<Party, number>;
  for (const p of runReport.parties) {
    records[p.party] = p.records;
    linkedRecords[p.party] = p.linked;
  }
  const summary: DemoSummary = {
    outDir: out,
    records,
    linkedRecords,
    clusters: runReport.counts.clusters,
    quality: { precision: q.result.precision, recall: q.result.recall, f1: q.result.f1, truePairs: q.result.truePairs, linkedPairs: q.result.linkedPairs, missed: q.result.fn, false: q.result.fp },
    research: { ...research, file: researchFile, table: tableFile },
    suppress,
    auditTable,
    kcheck,
    bias: { flagged: b.result.flaggedCount, html: biasHtml },
    steps,
    seconds: (Date.now() - t0) / 1000,
  };
  const ok = (b: boolean) => (b ? 'PASS' : 'FAIL');
  say(
    `\nSummary (${summary.seconds.toFixed(1)} s; outputs under ${rel(out)}/)\n` +
      `  records: ${DEMO_PARTIES.map((p) => `${p} ${records[p]} (${linkedRecords[p]} linked)`).join(', ')}; ${summary.clusters} linkage IDs\n` +
      `  linkage quality vs truth: precision ${q.result.precision.toFixed(4)}, recall ${q.result.recall.toFixed(4)}, F1 ${q.result.f1.toFixed(4)}  → ${rel(qualityHtml)}\n` +
      `  research file: ${research.students} students, ${research.collegeMatched} with college records, ${research.wagesMatched} with wages\n` +
      `  table suppressed → ${rel(published)}; audit-table: ${ok(auditTable.passed)}\n` +
      `  kcheck: ${kcheck.original ? 'PASS as joined' : `FAIL as joined, ${ok(kcheck.final)} after repair`} → ${rel(kcheck.file)}\n` +
      `  link-rate bias (K-12): ${b.result.flaggedCount} group(s) flagged at ±${(b.result.margin * 100).toFixed(0)} points${flaggedList(b.result)} → ${rel(biasHtml)}\n`,
  );
  return summary;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? 'demo-out';
  try {
    await runDemo({ outDir });
  } catch (e) {
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
