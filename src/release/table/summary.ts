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
    `  primary-numerator    ${c['primary-numerator']}`,
    `  secondary            ${c.secondary}`,
  ];
  if (c['pre-suppressed'] > 0) lines.push(`  pre-suppressed       ${c['pre-suppressed']}`);
  if (r.recoded.length > 0) lines.push(`  top/bottom coded     ${r.recoded.length}`);
  lines.push(
    r.cost.secondaryTotal !== undefined && r.cost.hiddenTotal !== undefined
      ? `  cost: ${r.cost.secondaryCells} complementary cell(s) hiding ${r.cost.secondaryTotal} count; ` +
          `${r.cost.hiddenCells} count cell(s) hidden in all (total ${r.cost.hiddenTotal})`
      : `  cost: ${r.cost.secondaryCells} complementary cell(s); ${r.cost.hiddenCells} count cell(s) hidden in all`,
    `  proof: every hidden cell audited by LP bounds${
      !r.integerCheck?.enabled
        ? ' (integer check off)'
        : r.integerCheck.skippedLarge > 0
          ? `, verified with integer bounds except in ${r.integerCheck.skippedLarge} audit(s) of components above the size limit (LP proof there)`
          : ', verified with integer bounds'
    } (${r.lpSolves} solves, ${r.components} component(s), ${r.iterations} round(s))`,
  );
  for (const w of r.warnings ?? []) lines.push(`  warning: ${w}`);
  if (output) lines.push(`  wrote ${output}`);
  return lines.join('\n') + '\n';
}

const WHY: Record<string, string> = {
  exact: 'exact',
  upper: 'known to be below n',
  lower: 'known to be above 0 (range protection)',
  'known-small': 'known to be small',
  unverified: 'integer bounds could not be verified',
};

export function formatAuditSummary(a: AuditResult, file: string): string {
  const bad = a.cells.filter((c) => c.recoverable);
  const pub = a.published ?? [];
  const fmt = (v: number): string => (v === Infinity ? '∞' : Number.isNaN(v) ? '?' : String(v));
  const verdict =
    bad.length === 0 && pub.length === 0
      ? 'OK, none recoverable'
      : [bad.length > 0 ? `${bad.length} RECOVERABLE` : '', pub.length > 0 ? `${pub.length} UNSAFE PUBLISHED` : ''].filter((x) => x).join(', ');
  const lines = [`p20link audit-table: ${file}: ${a.cells.length} hidden cell(s), minimum n = ${a.minN}: ${verdict}`];
  if (a.integerCheck?.enabled && a.integerCheck.skippedLarge > 0) {
    lines.push(`  note: ${a.integerCheck.skippedLarge} component(s) above the size limit were audited with LP bounds only (no integer check)`);
  }
  for (const p of pub) lines.push(`  ${file}:${p.line}: ${p.col} published — ${p.why}`);
  for (const c of bad) lines.push(`  ${file}:${c.line}: ${c.col} in [${fmt(c.lower)}, ${fmt(c.upper)}] — ${WHY[c.why ?? ''] ?? c.why ?? 'recoverable'}`);
  return lines.join('\n') + '\n';
}
