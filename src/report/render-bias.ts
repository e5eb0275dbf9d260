/** Terminal summary and HTML page for the bias report. */
import type { BiasResult, DimensionRates, Gap } from './bias.js';
import { escapeHtml, htmlPage, htmlTable, pct, textTable } from './html.js';
import { rateChartSvg } from './svg.js';

function marks(g: { flagged: boolean; significant: boolean; small: boolean }): string {
  return [g.flagged ? 'FLAG' : '', g.significant ? 'signif.' : '', g.small ? 'small' : ''].filter((s) => s).join(' ');
}

const pt = (x: number) => `${(x * 100).toFixed(1)} pt`;

/** "4.3 pt (White 94.1% vs Asian 89.8%; 95% CI 2.1 to 6.5 pt) FLAG" */
export function gapText(g: Gap, d: DimensionRates, what: 'link rate' | 'recall', maxGap: number): string {
  const rate = (v: string) => {
    const x = d.groups.find((y) => y.value === v)!;
    return pct(what === 'recall' ? x.recall!.rate : x.rate);
  };
  return `${pt(g.gap)} (${g.high} ${rate(g.high)} vs ${g.low} ${rate(g.low)}; 95% CI ${pt(g.ci.lo)} to ${pt(g.ci.hi)})${g.flagged ? ` GAP FLAG: above ${pt(maxGap)}` : ''}${g.significant ? ' signif.' : ''}`;
}

/** Recall cells of a group (evaluation only). */
const recallCells = (g: BiasResult['dimensions'][number]['groups'][number]): string[] =>
  g.recall ? [`${g.recall.hits}/${g.recall.of}`, g.recall.of === 0 ? '–' : pct(g.recall.rate), g.recall.of === 0 ? '–' : `${pct(g.recall.ci.lo)}–${pct(g.recall.ci.hi)}`] : [];

export function biasText(b: BiasResult): string {
  const lines: string[] = [];
  lines.push(`Link rate by group for ${b.party} (${b.dataFile})`);
  lines.push(`  overall: ${b.linked} of ${b.records} records linked = ${pct(b.overall.rate)} (95% CI ${pct(b.overall.ci.lo)}–${pct(b.overall.ci.hi)})`);
  lines.push(`  flag: |group rate - overall| > ${pct(b.margin)}; signif.: the group's 95% Wilson interval excludes the overall rate; small: n < ${b.minGroupSize}`);
  if (b.linksNotInData > 0) lines.push(`  note: ${b.linksNotInData} record(s) of the links file are not in the extract`);
  lines.push(b.crossPartyChecked ? '  linked: shares its linkage ID with a record of another party' : '  linked: has a linkage ID and a score in the links file (a record linked only to a duplicate in its own file counts too; give the run\'s directory with the party name to count only links to other parties)');
  if (b.dimensions.some((d) => d.groups.some((g) => g.trueRate !== undefined))) {
    lines.push('  true rate (evaluation only): share of the group\'s records that really have a counterpart in another file, i.e. the rate perfect linkage would give');
  }
  if (b.recall) {
    lines.push(`  recall (evaluation only): of the records that have a counterpart, the share linked ${b.recall.exact ? 'to a true counterpart' : 'to anyone (give the run\'s other links files to count only links to a true counterpart)'}: overall ${b.recall.hits} of ${b.recall.of} = ${pct(b.recall.rate)} (95% CI ${pct(b.recall.ci.lo)}–${pct(b.recall.ci.hi)})`);
  }
  lines.push(`  gap: the largest difference between two groups of at least ${b.minGroupSize} records, with its 95% interval (Newcombe); GAP FLAG above ${pt(b.maxGap)}`);
  for (const d of b.dimensions) {
    lines.push('');
    lines.push(`${d.spec.name}${d.spec.kind === 'age_band' ? ` (from ${d.spec.column}, as of ${b.asOf})` : d.spec.column !== d.spec.name ? ` (${d.spec.column})` : ''}`);
    const t = d.groups.some((g) => g.trueRate !== undefined);
    lines.push(
      textTable(
        ['group', 'n', 'linked', 'rate', '95% CI', 'diff', ...(t ? ['true rate', 'recalled', 'recall', 'recall 95% CI'] : []), ''],
        d.groups.map((g) => [g.value, String(g.n), String(g.linked), pct(g.rate), `${pct(g.ci.lo)}–${pct(g.ci.hi)}`, `${g.diff >= 0 ? '+' : ''}${(g.diff * 100).toFixed(1)} pt`, ...(t ? [pct(g.trueRate ?? 0), ...recallCells(g)] : []), marks(g)]),
        t ? [1, 2, 3, 5, 6, 7, 8] : [1, 2, 3, 5],
      ).trimEnd(),
    );
    lines.push(`  largest link-rate gap: ${d.linkRateGap ? gapText(d.linkRateGap, d, 'link rate', b.maxGap) : `fewer than two groups of ${b.minGroupSize}+ records`}`);
    if (t) lines.push(`  largest recall gap:    ${d.recallGap ? gapText(d.recallGap, d, 'recall', b.maxGap) : `fewer than two groups with ${b.minGroupSize}+ records that have a counterpart`}`);
  }
  lines.push('');
  lines.push(b.flaggedCount === 0 ? `No group's link rate differs from the overall rate by more than ${pct(b.margin)}.` : `${b.flaggedCount} group(s) flagged: their link rate differs from the overall rate by more than ${pct(b.margin)}.`);
  lines.push(b.gapFlaggedCount === 0 ? `No gap between two groups above ${pt(b.maxGap)}.` : `${b.gapFlaggedCount} gap(s) between two groups above ${pt(b.maxGap)}.`);
  return lines.join('\n') + '\n';
}

export function biasHtml(b: BiasResult, opts: { title?: string } = {}): string {
  const body: string[] = [];
  body.push(
    `<div><span class="kpi"><b>${pct(b.overall.rate)}</b>overall link rate</span>${b.recall ? `<span class="kpi"><b>${pct(b.recall.rate)}</b>overall recall</span>` : ''}<span class="kpi"><b>${b.records}</b>records</span><span class="kpi"><b>${b.flaggedCount}</b>groups flagged</span><span class="kpi"><b>${b.gapFlaggedCount}</b>gaps above ${pt(b.maxGap)}</span></div>`,
  );
  body.push(`<p class="note">Gap: the largest difference between two groups of one dimension (groups of at least ${b.minGroupSize} records), with a 95% interval for the difference (Newcombe's hybrid score interval); flagged above ${pt(b.maxGap)}. A link-rate gap may also come from groups being present in the other files at different rates${b.recall ? '; the recall gap (evaluation only) does not' : ''}.</p>`);
  if (b.recall) {
    body.push(`<p class="note">Recall (evaluation only, from the truth file): of the group's records that really have a counterpart in another party's file, the share linked ${b.recall.exact ? 'to a true counterpart' : 'to anyone (only this party\'s links file was given, so a link to the wrong person counts as recalled)'}. Overall ${b.recall.hits} of ${b.recall.of} (95% CI ${pct(b.recall.ci.lo)}–${pct(b.recall.ci.hi)}).</p>`);
  }
  body.push(`<p class="note">Overall: ${b.linked} of ${b.records} records linked (95% Wilson CI ${pct(b.overall.ci.lo)}–${pct(b.overall.ci.hi)}). A group is flagged when its rate differs from the overall rate by more than ${pct(b.margin)}; "signif." marks groups whose 95% interval excludes the overall rate; "small" marks groups under ${b.minGroupSize} records, whose rates are unstable.${b.linksNotInData > 0 ? ` ${b.linksNotInData} record(s) of the links file are not in the extract.` : ''}</p>`);
  body.push(`<p class="note">${b.crossPartyChecked ? 'Linked: the record shares its linkage ID with a record of another party.' : 'Linked: the record has a linkage ID and a score in the links file (a record linked only to a duplicate in its own file counts too; give the run\'s directory with the party name to count only links to other parties).'}</p>`);
  body.push(`<p class="note">Systematic differences in who links bias any analysis of the linked file: outcomes of groups that link less often are under-counted.</p>`);
  for (const d of b.dimensions) {
    body.push(`<h2>${escapeHtml(d.spec.name)}${d.spec.kind === 'age_band' ? ` <span class="note">(from ${escapeHtml(d.spec.column)}, as of ${escapeHtml(b.asOf ?? '')})</span>` : ''}</h2>`);
    body.push(rateChartSvg(d.groups.map((g) => ({ label: g.value, rate: g.rate, ci: g.ci, flagged: g.flagged, n: g.n, ...(g.trueRate !== undefined ? { trueRate: g.trueRate } : {}) })), b.overall.rate, b.margin));
    body.push(`<p class="${d.linkRateGap?.flagged ? 'flag' : 'note'}">Largest link-rate gap: ${escapeHtml(d.linkRateGap ? gapText(d.linkRateGap, d, 'link rate', b.maxGap) : `fewer than two groups of ${b.minGroupSize}+ records`)}</p>`);
    const t = d.groups.some((g) => g.trueRate !== undefined);
    if (t && b.recall) {
      const shown = d.groups.filter((g) => g.recall!.of > 0);
      if (shown.length > 0) body.push(rateChartSvg(shown.map((g) => ({ label: g.value, rate: g.recall!.rate, ci: g.recall!.ci, flagged: false, n: g.recall!.of })), b.recall.rate, b.maxGap, 640, 'recall'));
      body.push(`<p class="${d.recallGap?.flagged ? 'flag' : 'note'}">Largest recall gap: ${escapeHtml(d.recallGap ? gapText(d.recallGap, d, 'recall', b.maxGap) : `fewer than two groups with ${b.minGroupSize}+ records that have a counterpart`)}</p>`);
    }
    body.push(
      htmlTable(
        ['group', 'n', 'linked', 'rate', '95% CI', 'difference', ...(t ? ['true rate (ground truth)', 'recalled / with counterpart', 'recall', 'recall 95% CI'] : []), 'notes'],
        d.groups.map((g) => [g.value, String(g.n), String(g.linked), pct(g.rate), `${pct(g.ci.lo)}–${pct(g.ci.hi)}`, `${g.diff >= 0 ? '+' : ''}${(g.diff * 100).toFixed(1)} pt`, ...(t ? [pct(g.trueRate ?? 0), ...recallCells(g)] : []), marks(g)]),
        { numeric: t ? [1, 2, 3, 5, 6, 7, 8] : [1, 2, 3, 5], rowClass: (i) => (d.groups[i]!.flagged ? 'flag' : '') },
      ),
    );
  }
  return htmlPage(opts.title ?? `p20link link-rate bias report: ${b.party}`, body.join('\n'), `Extract: ${b.dataFile}`);
}
