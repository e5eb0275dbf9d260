/**
 * Plain-text reports of a check and a repair (what `p20link kcheck` prints).
 * They carry counts only, never data values (unless the caller asked for the
 * small classes to be listed).
 */
import type { KCheckResult, RepairResult } from './types.js';

export function formatKCheckReport(r: KCheckResult, title = 'kcheck'): string {
  const lines: string[] = [];
  lines.push(`${title}: ${r.input}: ${r.passed ? 'PASS' : 'FAIL'}`);
  lines.push(`  records ${r.rows}, quasi-identifiers ${r.qi.join(', ')}`);
  lines.push(`  k = ${r.k} (required ${r.requiredK}); ${r.classes} classes; ${r.classesBelowK} classes / ${r.recordsBelowK} records below k`);
  if (r.histogram.length > 0) {
    lines.push('  class sizes:');
    for (const b of r.histogram) {
      const range = b.from === b.to ? `${b.from}` : `${b.from}-${b.to}`;
      lines.push(`    ${range.padStart(13)}  ${String(b.classes).padStart(9)} classes  ${String(b.records).padStart(10)} records`);
    }
  }
  for (const d of r.diversity) {
    const distinct = `${d.distinctLCapped ? '≥' : ''}${d.distinctL}`;
    const ent = d.entropyL !== null ? `, entropy l = ${d.entropyL}` : '';
    lines.push(
      `  l-diversity of "${d.attribute}": distinct l = ${distinct}${ent} (required ${r.requiredL}); ` +
        `${d.classesBelowL} classes / ${d.recordsBelowL} records below l`,
    );
  }
  for (const f of r.failures) lines.push(`  FAIL: ${f}`);
  if (r.smallClasses) {
    lines.push('  small classes (identifying, as asked):');
    for (const c of r.smallClasses) lines.push(`    size ${c.size}: ${JSON.stringify(c.values)}`);
  }
  lines.push(`  ${r.seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}

export function formatRepairReport(r: RepairResult): string {
  const lines: string[] = [];
  lines.push(formatKCheckReport(r.before, 'before repair').trimEnd());
  lines.push(`repair (${r.strategyUsed} search of ${r.latticeSize} level combinations, ${r.suppression} suppression): ${r.written ? `wrote ${r.output}` : `nothing written: ${r.reason ?? ''}`}`);
  for (const q of r.loss.perQi) {
    lines.push(`  ${q.qi}: level ${q.level}/${q.height} (${q.description}), distinct values ${q.distinctBefore} → ${q.distinctAfter}`);
  }
  const l = r.loss;
  lines.push(
    `  suppressed ${l.suppressedRecords} records (${(l.suppressedFraction * 100).toFixed(2)}%), ${l.suppressedValues} values; ` +
      `precision ${l.precision}; discernibility ${l.discernibility}; average class size / k ${l.averageClassSizeRatio}`,
  );
  if (r.after) lines.push(formatKCheckReport(r.after, 'after repair').trimEnd());
  return lines.join('\n') + '\n';
}
