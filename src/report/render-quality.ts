/** Terminal summary and HTML page for the quality report. */
import type { QualityResult, WrongPair } from './quality.js';
import { escapeHtml, htmlPage, htmlTable, pct, prob, textTable } from './html.js';
import { bandsSvg, histogramSvg, matchWeightsSvg, weightHistogramSvg } from './svg.js';
import { csvLine } from '../io/csv.js';
import { DATE_BASIS_SHARE } from '../schema/evidence.js';
import { formatCount } from '../util/format-count.js';
import { bandRows, priorWeight, sectionWarnings, type ExpectedVsMeasured, type ModelSection } from './model.js';

const f3 = (x: number) => x.toFixed(4);
/** How a band's expected matches are counted: one partner per record and party (a run's report with `bands[].matches`), or Σ p. */
const bandMatchesMeaning = (m: { bands: readonly { matches?: number }[] }): string =>
  m.bands.every((b) => b.matches !== undefined) ? "its pairs' match probabilities with one partner per record and party, summed" : "the sum of its pairs' match probabilities";
/** What the model's expected `links` counts: a run's resolved links (with `matches`), or an earlier report's pairs at or above the decision. */
const linksLabel = (e: { matches?: number }): string => (e.matches !== undefined ? 'links (candidate pairs the resolution put in one entity)' : 'links (pairs at or above the decision)');

export function qualityText(q: QualityResult): string {
  const lines: string[] = [];
  lines.push(`Linkage quality over cross-party pairs (${q.parties.join(', ')})`);
  lines.push(`  records: ${q.parties.map((p) => `${p} ${q.records[p]} (${q.linkedRecords[p]} linked)`).join(', ')}`);
  lines.push(`  true pairs ${q.truePairs}, linked pairs ${q.linkedPairs}, correct ${q.tp}, missed ${q.fn}, false ${q.fp}`);
  lines.push(`  precision ${f3(q.precision)}  recall ${f3(q.recall)}  F1 ${f3(q.f1)}`);
  lines.push('');
  lines.push(
    textTable(
      ['party pair', 'true', 'linked', 'correct', 'missed', 'false', 'precision', 'recall', 'F1'],
      q.byPartyPair.map((p) => [p.parties.join(' ~ '), String(p.truePairs), String(p.linkedPairs), String(p.tp), String(p.fn), String(p.fp), f3(p.precision), f3(p.recall), f3(p.f1)]),
      [1, 2, 3, 4, 5, 6, 7, 8],
    ).trimEnd(),
  );
  lines.push('');
  lines.push(`  missed by kind: ${Object.entries(q.missedByKind).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`  false by kind:  ${Object.entries(q.falseByKind).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (q.byTrouble) {
    lines.push('');
    lines.push('True pairs by the trouble their records carry (synthetic data):');
    lines.push(textTable(['trouble', 'true pairs', 'missed', 'miss rate', 'false pairs'], q.byTrouble.map((r) => [r.kind, String(r.truePairs), String(r.missed), `${(r.missRate * 100).toFixed(1)}%`, String(r.falsePairs)]), [1, 2, 3, 4]).trimEnd());
  }
  return lines.join('\n') + '\n';
}

export function wrongPairsCsv(wrong: readonly WrongPair[]): string {
  let s = csvLine(['kind', 'detail', 'party_a', 'record_a', 'linkage_a', 'entity_a', 'party_b', 'record_b', 'linkage_b', 'entity_b', 'score']);
  for (const w of wrong) {
    s += csvLine([w.kind, w.detail, w.a.party, w.a.id, w.linkageA, w.entityA, w.b.party, w.b.id, w.linkageB, w.entityB, w.score === undefined ? '' : w.score.toFixed(4)]);
  }
  return s;
}

export interface QualityHtmlOptions {
  title?: string;
  maxListed?: number;
  generated?: string;
  /** The run report's model sections, shown before the truth-based figures. */
  model?: readonly ModelSection[];
  /** Expected (model) beside measured (truth), per model section. */
  expectedVsMeasured?: readonly ExpectedVsMeasured[];
}

/**
 * The quality report page: the match model's own estimate when the run
 * report has one, then (with a truth sample) the measured quality. `q` is
 * undefined when there is no truth sample.
 */
export function qualityHtml(q: QualityResult | undefined, opts: QualityHtmlOptions = {}): string {
  const model = opts.model ?? [];
  const title = opts.title ?? 'p20link linkage quality report';
  if (!q) return htmlPage(title, modelHtml(model), opts.generated ?? 'No ground truth: the match model\'s own estimate');
  const max = opts.maxListed ?? 200;
  const body: string[] = [];
  if (model.length > 0) {
    body.push(modelHtml(model, opts.expectedVsMeasured ?? []));
    body.push('<h2>Measured against the truth sample</h2>');
  }
  body.push(
    `<div>${[
      ['precision', f3(q.precision)],
      ['recall', f3(q.recall)],
      ['F1', f3(q.f1)],
      ['true pairs', String(q.truePairs)],
      ['linked pairs', String(q.linkedPairs)],
      ['missed', String(q.fn)],
      ['false', String(q.fp)],
    ]
      .map(([k, v]) => `<span class="kpi"><b>${escapeHtml(v!)}</b>${escapeHtml(k!)}</span>`)
      .join('')}</div>`,
  );
  body.push(`<p class="note">Pairs are all two-record combinations from different parties: a linked pair shares a linkage ID, a true pair shares an entity in the ground truth.</p>`);
  body.push('<h2>Records</h2>');
  body.push(htmlTable(['party', 'records', 'linked to another party'], q.parties.map((p) => [p, String(q.records[p]), `${q.linkedRecords[p]} (${pct((q.linkedRecords[p] ?? 0) / Math.max(1, q.records[p] ?? 0))})`]), { numeric: [1, 2] }));
  body.push('<h2>By party pair</h2>');
  body.push(
    htmlTable(
      ['party pair', 'true', 'linked', 'correct', 'missed', 'false', 'precision', 'recall', 'F1'],
      q.byPartyPair.map((p) => [p.parties.join(' ~ '), String(p.truePairs), String(p.linkedPairs), String(p.tp), String(p.fn), String(p.fp), f3(p.precision), f3(p.recall), f3(p.f1)]),
      { numeric: [1, 2, 3, 4, 5, 6, 7, 8] },
    ),
  );
  if (q.byTrouble) {
    body.push('<h2>By kind of trouble</h2>');
    body.push('<p class="note">Synthetic data only: each true pair counted under every kind of trouble its two records carry (from the generator\'s trouble.csv); false pairs likewise.</p>');
    body.push(htmlTable(['trouble', 'true pairs', 'missed', 'miss rate', 'false pairs'], q.byTrouble.map((r) => [r.kind, String(r.truePairs), String(r.missed), pct(r.missRate), String(r.falsePairs)]), { numeric: [1, 2, 3, 4] }));
  }
  body.push('<h2>Score histogram</h2>');
  body.push(histogramSvg(q.histogram));
  body.push(`<p class="note">Source: ${escapeHtml(q.histogram.source)}${q.histogram.threshold !== undefined ? `; ${q.histogram.thresholdLabel === 'decision' ? 'decision (match probability)' : 'match threshold'} ${q.histogram.threshold}` : ''}.</p>`);
  body.push('<h2>Pairs that went wrong</h2>');
  body.push(
    htmlTable(
      ['kind', 'detail', 'count'],
      [
        ...Object.entries(q.missedByKind).map(([k, v]) => ['missed', k, String(v)]),
        ...Object.entries(q.falseByKind).map(([k, v]) => ['false', k, String(v)]),
      ],
      { numeric: [2] },
    ),
  );
  body.push(`<p class="note">missed/unlinked-both: neither record linked to anyone; unlinked-one: one of them did; split: both linked, into different clusters; absent: a record is missing from the links file. false/different-people: the linked records belong to different true entities.</p>`);
  const listed = q.wrong.slice(0, max);
  body.push(
    htmlTable(
      ['kind', 'detail', 'record A', 'linkage A', 'entity A', 'record B', 'linkage B', 'entity B', 'score'],
      listed.map((w) => [w.kind, w.detail, `${w.a.party}/${w.a.id}`, w.linkageA, w.entityA, `${w.b.party}/${w.b.id}`, w.linkageB, w.entityB, w.score === undefined ? '' : w.score.toFixed(3)]),
      { numeric: [8] },
    ),
  );
  if (q.wrong.length > listed.length) body.push(`<p class="note">First ${listed.length} of ${q.wrong.length} wrong pairs shown (use --wrong-pairs FILE.csv for all).</p>`);
  return htmlPage(title, body.join('\n'), opts.generated ?? `Parties: ${q.parties.join(', ')}`);
}

// ── the match model's account (run report's model section) ─────────────────

const sgn = (x: number, d = 2) => `${x > 0 ? '+' : x < 0 ? '-' : ''}${Math.abs(x).toFixed(d)}`;
const pts = (x: number) => `${sgn(x * 100, 1)} pt`;

/**
 * The match-weight histogram as terminal rows (the first and last bins hold
 * everything beyond them, as the run report's histogram does): bins merged to at most
 * `maxRows` rows (never across the decision point), one marker line at the
 * decision weight, bars on a log scale when the counts span more than a
 * factor 100 (non-matches usually outnumber matches by far).
 */
export function asciiWeightHistogram(bins: readonly { lo: number; hi: number; pairs: number }[], decisionWeight: number, decisionProbability: number, maxRows = 24, barWidth = 40): string[] {
  const below = bins.filter((b) => b.lo < decisionWeight - 1e-9);
  const above = bins.filter((b) => b.lo >= decisionWeight - 1e-9);
  const k = Math.max(1, Math.ceil(bins.length / maxRows));
  const merge = (bs: typeof bins) => {
    const rows: { lo: number; hi: number; pairs: number }[] = [];
    for (let i = 0; i < bs.length; i += k) {
      const g = bs.slice(i, i + k);
      rows.push({ lo: g[0]!.lo, hi: g[g.length - 1]!.hi, pairs: g.reduce((s, b) => s + b.pairs, 0) });
    }
    return rows;
  };
  const rb = merge(below);
  const ra = merge(above);
  const all = [...rb, ...ra];
  const max = Math.max(1, ...all.map((r) => r.pairs));
  const minNz = Math.min(max, ...all.filter((r) => r.pairs > 0).map((r) => r.pairs));
  const log = max / minNz > 100;
  const len = (c: number) => (c === 0 ? 0 : Math.max(1, Math.round((log ? Math.log10(1 + c) / Math.log10(1 + max) : c / max) * barWidth)));
  // the end bins also hold everything beyond them
  const lab = all.map((r, i) => (i === 0 && all.length > 1 ? `below ${sgn(r.hi, 1)}` : i === all.length - 1 && all.length > 1 ? `${sgn(r.lo, 1)} or more` : `${sgn(r.lo, 1)} to ${sgn(r.hi, 1)}`));
  const lw = Math.max(...lab.map((s) => s.length), 5);
  const cw = Math.max(...all.map((r) => String(r.pairs).length), 5);
  const line = (r: { pairs: number }, i: number) => `  ${lab[i]!.padStart(lw)}  ${String(r.pairs).padStart(cw)}  ${'#'.repeat(len(r.pairs))}`.trimEnd();
  const out = [`  ${'weight'.padStart(lw)}  ${'pairs'.padStart(cw)}${log ? '  (bars on a log scale)' : ''}`];
  rb.forEach((r, i) => out.push(line(r, i)));
  const nAbove = ra.reduce((s, r) => s + r.pairs, 0);
  out.push(`  ${'-'.repeat(lw)}  decision weight ${sgn(decisionWeight)} (match probability ${decisionProbability}): ${nAbove} pairs at or above ${'-'.repeat(6)}`);
  ra.forEach((r, i) => out.push(line(r, rb.length + i)));
  return out;
}

/** An increment's section (`source` 'registry'): where its m and u come from, in place of EM's steps. */
const STORED_FIT = "m, u and the priors: the registry's stored model, fitted by the full run that built it (an increment does not refit)";

/** Terminal text of the model sections, with the measured figures beside the expected ones when there is a truth sample. */
export function modelText(sections: readonly ModelSection[], evm: readonly ExpectedVsMeasured[] = []): string {
  const lines: string[] = [];
  for (const s of sections) {
    const m = s.summary;
    lines.push(`Match model, ${s.label} (Fellegi-Sunter, ${m.source === 'registry' ? "the registry's stored m and u applied to this increment's pairs" : "m and u fitted by EM on this run's pairs"}; no ground truth used)`);
    lines.push(`  prior: ${m.lambda.toPrecision(4)} of candidate pairs match (prior weight ${sgn(priorWeight(m.lambda))})`);
    if (m.priors && m.priors.length > 0) lines.push(`  prior by party pair: ${m.priors.map((p) => `${pairLabel(p)} ${p.lambda.toPrecision(4)}`).join(', ')}`);
    lines.push(m.source === 'registry' ? `  ${STORED_FIT}` : `  EM: ${m.em.iterations} iterations, ${m.em.converged ? 'converged' : 'NOT converged: m, u and the expectations below may be unreliable'}`);
    const refined = refinementNote(m);
    if (refined) lines.push(`  ${refined}`);
    const untaught = untaughtPairs(m);
    if (untaught) lines.push(`  ${untaught}`);
    for (const w of sectionWarnings(s)) lines.push(`  WARNING: ${w}`);
    lines.push(`  decision: match probability >= ${m.decision.probability} (total match weight >= ${sgn(m.decision.weight)})`);
    lines.push(`  expected precision ${f3(m.expected.precision)}  recall ${f3(m.expected.recall)}  links ${Math.round(m.expected.links)}${m.expected.matches !== undefined ? `  (candidate pairs put in one entity; expected matches among the candidates ${Math.round(m.expected.matches - (m.expected.missingDate ?? 0))}${m.expected.missingDate ? `, beyond them ${Math.round(m.expected.missingDate)} of records without a birth date` : ''})` : ''}`);
    const e = evm.find((x) => x.label === s.label);
    if (e) {
      lines.push(`  measured precision ${f3(e.measured.precision)}  recall ${f3(e.measured.recall)}  links ${e.measured.links}  (truth sample; measured - expected: precision ${pts(e.measured.precision - e.expected.precision)}, recall ${pts(e.measured.recall - e.expected.recall)})`);
      if (e.bands) {
        lines.push('  Calibration: linked pairs by match-probability band (the lower of the two records\' link probabilities), expected and measured precision:');
        lines.push(indent(textTable(['band', 'expected precision', 'linked pairs', 'correct', 'measured precision', 'difference'], e.bands.map((b) => [`${b.from}-${b.to}`, f3(b.expectedPrecision), String(b.linked), String(b.correct), f3(b.precision), pts(b.precision - b.expectedPrecision)]), [1, 2, 3, 4, 5])));
      }
    }
    lines.push('');
    lines.push(`  By match-probability band (expected matches: ${bandMatchesMeaning(m)}; "from here up": linking every pair of the band and above):`);
    lines.push(
      indent(
        textTable(
          ['band', 'pairs', 'expected precision', 'expected matches', 'share', 'from here up: links', 'precision', 'recall'],
          bandRows(m).map((b) => [`${b.from}-${b.to}`, String(b.pairs), f3(b.expectedPrecision), b.expectedMatches.toFixed(1), pct(b.shareOfMatches), String(b.fromHere.links), f3(b.fromHere.precision), f3(b.fromHere.recall)]),
          [1, 2, 3, 4, 5, 6, 7],
        ),
      ),
    );
    lines.push('  Comparison levels (a missing value adds 0):');
    lines.push(indent(textTable(['comparison', 'level', 'm', 'u', 'weight'], m.comparisons.flatMap((c) => c.levels.map((l, i) => [i === 0 ? c.name : '', l.label, prob(l.m), prob(l.u), sgn(l.weight)])), [2, 3, 4])));
    lines.push('  Match-weight histogram of the candidate pairs:');
    lines.push(...asciiWeightHistogram(m.histogram, m.decision.weight, m.decision.probability));
    lines.push('');
  }
  return lines.join('\n');
}

/** "k12 ~ wages", or "wages (within the file)" for a party's pairs with itself. */
const pairLabel = (p: { partyA: string; partyB: string }) => (p.partyA === p.partyB ? `${p.partyA} (within the file)` : `${p.partyA} ~ ${p.partyB}`);

/**
 * What the refinement (free EM from the anchored fit, docs/match-model.md
 * "Fitting") did, in words; undefined without one (earlier run reports) and
 * for a registry's stored model (STORED_FIT says what it is). Where
 * it stopped at the one-to-one bound (large files with crowds of namesakes)
 * the levels that come with a change elsewhere keep most of their anchored m,
 * which a reader of the m/u table should know.
 */
function refinementNote(m: ModelSection['summary']): string | undefined {
  const r = m.em.refinement;
  if (!r || m.source === 'registry') return undefined;
  const n = formatCount;
  // the party pair nearest its bound (a bound absent or null: none, within one file)
  let at = -1;
  r.expectedMatches.forEach((e, g) => {
    const max = r.maxMatches[g];
    if (typeof max === 'number' && Number.isFinite(max) && max > 0 && (at < 0 || e / max > r.expectedMatches[at]! / (r.maxMatches[at] as number))) at = g;
  });
  const bound = at >= 0 && m.priors?.[at] ? ` (${pairLabel(m.priors[at]!)}: ${n(Math.round(r.expectedMatches[at]!))} expected matches, at most ${n(r.maxMatches[at] as number)})` : '';
  if (!r.accepted) {
    if (r.atBound) return `m anchored, not refined: free EM's first step expected more matches than one-to-one files can hold${bound}`;
    return r.atFloor ? "m anchored, not refined: free EM's first step fell below the floor of sure pairs" : 'm anchored, not refined';
  }
  const steps = `${r.iterations} step${r.iterations === 1 ? '' : 's'}`;
  if (r.atBound) {
    return `m refined by free EM for ${steps}, stopped at the one-to-one bound${bound}: levels that come with a change elsewhere (a birth-date typo, a moved ZIP) keep most of their anchored m and weigh less than a fully refined fit would give them`;
  }
  if (r.atFloor) return `m refined by free EM for ${steps}, stopped at the floor of sure pairs`;
  return `m refined by free EM: ${steps}, ${r.converged ? 'converged' : 'stopped at the step limit'}`;
}

/** The party pairs whose candidates did not teach m and u (`em.taught`), said in one sentence; undefined when every pair's did. */
function untaughtPairs(m: ModelSection['summary']): string | undefined {
  const not = (m.em.taught ?? []).flatMap((t, i) => (t || !m.priors?.[i] ? [] : [pairLabel(m.priors[i]!)]));
  return not.length === 0 ? undefined : `m and u were taught by the other party pairs, not by ${not.join(', ')} (a file with a birth date in under ${100 * DATE_BASIS_SHARE} % of its records, whose candidates its names alone proposed; their priors are fitted)`;
}

const indent = (t: string) => t.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');

/** HTML of the model sections: KPIs, expected vs measured, bands, a match-weights chart and table per comparison, the weight histogram. */
export function modelHtml(sections: readonly ModelSection[], evm: readonly ExpectedVsMeasured[] = []): string {
  const body: string[] = [];
  let seq = 0;
  const id = () => `model-chart-${++seq}`;
  body.push('<h2>The match model\'s own estimate (no ground truth)</h2>');
  body.push(
    '<p class="note">The linker fits a Fellegi–Sunter model to this run\'s candidate pairs: for every comparison level, m is its share among matches and u among non-matches (u estimated from random pairs), found by EM without any truth. ' +
      'A pair\'s match weight is the prior weight plus the weights of its levels; its match probability follows from the weight. Expected precision is the mean match probability of the linked pairs; expected recall is the sum of the linked pairs\' probabilities over the sum of all candidate pairs\' probabilities. Both hold only as far as the model fits: see docs/report.md.</p>',
  );
  if (evm.length > 0) {
    body.push('<h3>Expected (model) and measured (truth sample)</h3>');
    body.push(
      htmlTable(
        ['model', 'expected precision', 'measured precision', 'difference', 'expected recall', 'measured recall', 'difference', 'model links (pairs at or above the decision)', 'linked pairs (measured)'],
        evm.map((e) => [e.label, f3(e.expected.precision), f3(e.measured.precision), pts(e.measured.precision - e.expected.precision), f3(e.expected.recall), f3(e.measured.recall), pts(e.measured.recall - e.expected.recall), String(Math.round(e.expected.links)), String(e.measured.links)]),
        { numeric: [1, 2, 3, 4, 5, 6, 7, 8] },
      ),
    );
    body.push('<p class="note">Measured over linked clusters (every two records of different parties in one cluster); the model\'s expectation is over the pairs it scored above the decision point, before clusters were resolved.</p>');
    for (const e of evm) {
      if (!e.bands) continue;
      body.push(`<h4>Calibration${evm.length > 1 ? `: ${escapeHtml(e.label)}` : ''}</h4>`);
      body.push(htmlTable(['match-probability band', 'expected precision (model)', 'linked pairs', 'correct', 'measured precision', 'difference'], e.bands.map((b) => [`${b.from}–${b.to}`, f3(b.expectedPrecision), String(b.linked), String(b.correct), f3(b.precision), pts(b.precision - b.expectedPrecision)]), { numeric: [1, 2, 3, 4, 5] }));
      body.push('<p class="note">Linked pairs counted in the band of the lower of their two records\' link probabilities (a record\'s link probability is that of its best link, so pairs in clusters of three or more are placed approximately). A calibrated model has measured precision close to expected in every band.</p>');
    }
  }
  for (const s of sections) {
    const m = s.summary;
    const untaught = untaughtPairs(m);
    const refined = refinementNote(m);
    if (sections.length > 1) body.push(`<h3>${escapeHtml(s.label)}</h3>`);
    body.push(
      `<div>${[
        ['expected precision', f3(m.expected.precision)],
        ['expected recall', f3(m.expected.recall)],
        [linksLabel(m.expected), String(Math.round(m.expected.links))],
        ['prior λ', m.lambda.toPrecision(4)],
        m.source === 'registry' ? ['m and u', 'stored'] : ['EM iterations', `${m.em.iterations}${m.em.converged ? '' : ' (not converged)'}`],
      ]
        .map(([k, v]) => `<span class="kpi"><b>${escapeHtml(v!)}</b>${escapeHtml(k!)}</span>`)
        .join('')}</div>`,
    );
    for (const w of sectionWarnings(s)) body.push(`<p class="flag">Warning: ${escapeHtml(w)}</p>`);
    body.push(`<p class="note">Decision: match probability ≥ ${m.decision.probability}, i.e. total match weight ≥ ${escapeHtml(sgn(m.decision.weight))}. ${m.source === 'registry' ? escapeHtml(STORED_FIT) : m.em.converged ? `EM converged in ${m.em.iterations} iterations` : `EM stopped after ${m.em.iterations} iterations without converging: treat m, u and the expectations as unreliable`}.${refined ? ` ${escapeHtml(refined[0]!.toUpperCase() + refined.slice(1))}.` : ''}${untaught ? ` ${escapeHtml(untaught)}.` : ''}</p>`);
    if (m.priors && m.priors.length > 0) {
      body.push('<h4>Prior by party pair</h4>');
      body.push(htmlTable(['party pair', 'prior λ (share of candidate pairs that match)', 'prior weight'], m.priors.map((p) => [pairLabel(p), p.lambda.toPrecision(4), sgn(priorWeight(p.lambda))]), { numeric: [1, 2] }));
    }
    body.push('<h4>Match-weight histogram</h4>');
    body.push(weightHistogramSvg(m.histogram, m.decision.weight, m.decision.probability, id()));
    body.push('<h4>Expected precision by match-probability band</h4>');
    body.push(bandsSvg(m.bands, id()));
    body.push(
      htmlTable(
        ['match probability', 'pairs', 'expected precision', 'expected matches', 'share of expected matches', 'linking from here up: links', 'expected precision', 'expected recall'],
        bandRows(m).map((b) => [`${b.from}–${b.to}`, String(b.pairs), f3(b.expectedPrecision), b.expectedMatches.toFixed(1), pct(b.shareOfMatches), String(b.fromHere.links), f3(b.fromHere.precision), f3(b.fromHere.recall)]),
        { numeric: [1, 2, 3, 4, 5, 6, 7] },
      ),
    );
    body.push(`<p class="note">Expected matches of a band: ${escapeHtml(bandMatchesMeaning(m))}. "Linking from here up": what linking every pair of the band and the bands above would give by the model's own account — a threshold trade-off without ground truth, with the same caveats.</p>`);
    body.push('<h4>Match weights by comparison</h4>');
    body.push(`<p class="note">Prior weight log2(λ/(1−λ)) = ${escapeHtml(sgn(priorWeight(m.lambda)))}; a pair's total weight adds one level of each comparison to it. A missing value (either side) is no evidence and adds 0.</p>`);
    for (const c of m.comparisons) {
      body.push(`<h5>${escapeHtml(c.name)}</h5>`);
      body.push(matchWeightsSvg(c.name, c.levels, id()));
      body.push(htmlTable(['level', 'm', 'u', 'match weight', 'Bayes factor m/u'], c.levels.map((l) => [l.label, prob(l.m), prob(l.u), sgn(l.weight), bayes(l.weight)]), { numeric: [1, 2, 3, 4] }));
    }
  }
  return body.join('\n');
}

/** 2^w as a readable factor ("1 : 250" for weights below zero). */
function bayes(w: number): string {
  const b = 2 ** w;
  return b >= 1 ? `${b < 100 ? b.toFixed(1) : Math.round(b)} : 1` : `1 : ${1 / b < 100 ? (1 / b).toFixed(1) : Math.round(1 / b)}`;
}
