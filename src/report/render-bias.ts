/** Terminal summary and HTML page for the bias report. */
import type { BiasResult } from './bias.js';
import { escapeHtml, htmlPage, htmlTable, pct, textTable } from './html.js';
import { rateChartSvg } from './svg.js';

function marks(g: { flagged: boolean; significant: boolean; small: boolean }): string {
  return [g.flagged ? 'FLAG' : '', g.significant ? 'signif.' : '', g.small ? 'small' : ''].filter((s) => s).join(' ');
}

export function biasText(b: BiasResult): string {
  const lines: string[] = [];
  lines.push(`Link rate by group for ${b.party} (${b.dataFile})`);
  lines.push(`  overall: ${b.linked} of ${b.records} records linked = ${pct(b.overall.rate)} (95% CI ${pct(b.overall.ci.lo)}–${pct(b.overall.ci.hi)})`);
  lines.push(`  flag: |group rate - overall| > ${pct(b.margin)}; signif.: the group's 95% Wilson interval excludes the overall rate; small: n < ${b.minGroupSize}`);
  if (b.linksNotInData > 0) lines.push(`  note: ${b.linksNotInData} record(s) of the links file are not in the extract`);
  if (b.dimensions.some((d) => d.groups.some((g) => g.trueRate !== undefined))) {
    lines.push('  true rate (evaluation only): share of the group\'s records that really have a counterpart in another file, i.e. the rate perfect linkage would give');
  }
  for (const d of b.dimensions) {
    lines.push('');
    lines.push(`${d.spec.name}${d.spec.kind === 'age_band' ? ` (from ${d.spec.column}, as of ${b.asOf})` : d.spec.column !== d.spec.name ? ` (${d.spec.column})` : ''}`);
    const t = d.groups.some((g) => g.trueRate !== undefined);
    lines.push(
      textTable(
        ['group', 'n', 'linked', 'rate', '95% CI', 'diff', ...(t ? ['true rate'] : []), ''],
        d.groups.map((g) => [g.value, String(g.n), String(g.linked), pct(g.rate), `${pct(g.ci.lo)}–${pct(g.ci.hi)}`, `${g.diff >= 0 ? '+' : ''}${(g.diff * 100).toFixed(1)} pt`, ...(t ? [pct(g.trueRate ?? 0)] : []), marks(g)]),
        t ? [1, 2, 3, 5, 6] : [1, 2, 3, 5],
      ).trimEnd(),
    );
  }
  lines.push('');
  lines.push(b.flaggedCount === 0 ? `No group's link rate differs from the overall rate by more than ${pct(b.margin)}.` : `${b.flaggedCount} group(s) flagged: their link rate differs from the overall rate by more than ${pct(b.margin)}.`);
  return lines.join('\n') + '\n';
}

export function biasHtml(b: BiasResult, opts: { title?: string } = {}): string {
  const body: string[] = [];
  body.push(`<div><span class="kpi"><b>${pct(b.overall.rate)}</b>overall link rate</span><span class="kpi"><b>${b.records}</b>records</span><span class="kpi"><b>${b.flaggedCount}</b>groups flagged</span></div>`);
  body.push(`<p class="note">Overall: ${b.linked} of ${b.records} records linked (95% Wilson CI ${pct(b.overall.ci.lo)}–${pct(b.overall.ci.hi)}). A group is flagged when its rate differs from the overall rate by more than ${pct(b.margin)}; "signif." marks groups whose 95% interval excludes the overall rate; "small" marks groups under ${b.minGroupSize} records, whose rates are unstable.${b.linksNotInData > 0 ? ` ${b.linksNotInData} record(s) of the links file are not in the extract.` : ''}</p>`);
  body.push(`<p class="note">Systematic differences in who links bias any analysis of the linked file: outcomes of groups that link less often are under-counted.</p>`);
  for (const d of b.dimensions) {
    body.push(`<h2>${escapeHtml(d.spec.name)}${d.spec.kind === 'age_band' ? ` <span class="note">(from ${escapeHtml(d.spec.column)}, as of ${escapeHtml(b.asOf ?? '')})</span>` : ''}</h2>`);
    body.push(rateChartSvg(d.groups.map((g) => ({ label: g.value, rate: g.rate, ci: g.ci, flagged: g.flagged, n: g.n, ...(g.trueRate !== undefined ? { trueRate: g.trueRate } : {}) })), b.overall.rate, b.margin));
    const t = d.groups.some((g) => g.trueRate !== undefined);
    body.push(
      htmlTable(
        ['group', 'n', 'linked', 'rate', '95% CI', 'difference', ...(t ? ['true rate (ground truth)'] : []), 'notes'],
        d.groups.map((g) => [g.value, String(g.n), String(g.linked), pct(g.rate), `${pct(g.ci.lo)}–${pct(g.ci.hi)}`, `${g.diff >= 0 ? '+' : ''}${(g.diff * 100).toFixed(1)} pt`, ...(t ? [pct(g.trueRate ?? 0)] : []), marks(g)]),
        { numeric: t ? [1, 2, 3, 5, 6] : [1, 2, 3, 5], rowClass: (i) => (d.groups[i]!.flagged ? 'flag' : '') },
      ),
    );
  }
  return htmlPage(opts.title ?? `p20link link-rate bias report: ${b.party}`, body.join('\n'), `Extract: ${b.dataFile}`);
}
