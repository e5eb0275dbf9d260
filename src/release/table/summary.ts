import type { AuditResult, SuppressReport } from './types.js';

/** Terminal summary of a suppression report. */
export function formatSuppressSummary(r: SuppressReport, output?: string): string {
  const c = r.counts;
  const lines = [
    `p20link suppress: ${r.cells} cells, ${r.constraints} additive constraints, minimum n = ${r.minN}` +
      `${r.protectZero ? ' (zeros protected)' : ''}, protection = ${r.protection}`,
    `  primary-small        ${c['primary-small']}`,
    `  primary-complement   ${c['primary-complement']}`,
    `  primary-denominator  ${c['primary-denominator']}`,
    `  secondary            ${c.secondary}`,
  ];
  if (c['pre-suppressed'] > 0) lines.push(`  pre-suppressed       ${c['pre-suppressed']}`);
  if (r.recoded.length > 0) lines.push(`  top/bottom coded     ${r.recoded.length}`);
  lines.push(
    `  cost: ${r.cost.secondaryCells} complementary cell(s) hiding ${r.cost.secondaryTotal} count; ` +
      `${r.cost.hiddenCells} count cell(s) hidden in all (total ${r.cost.hiddenTotal})`,
    `  proof: every hidden cell audited by LP bounds (${r.lpSolves} LP solves, ${r.components} component(s), ${r.iterations} round(s))`,
  );
  if (output) lines.push(`  wrote ${output}`);
  return lines.join('\n') + '\n';
}

export function formatAuditSummary(a: AuditResult, file: string): string {
  const bad = a.cells.filter((c) => c.recoverable);
  const fmt = (v: number): string => (v === Infinity ? '∞' : Number.isNaN(v) ? '?' : String(v));
  const lines = [`p20link audit-table: ${file}: ${a.cells.length} hidden cell(s), minimum n = ${a.minN}: ${bad.length === 0 ? 'OK, none recoverable' : `${bad.length} RECOVERABLE`}`];
  for (const c of bad) lines.push(`  ${file}:${c.line}: ${c.col} in [${fmt(c.lower)}, ${fmt(c.upper)}] — ${c.why ?? 'recoverable'}`);
  return lines.join('\n') + '\n';
}
