/** Terminal summary and HTML page for the quality report. */
import type { QualityResult, WrongPair } from './quality.js';
import { escapeHtml, htmlPage, htmlTable, pct, textTable } from './html.js';
import { histogramSvg } from './svg.js';
import { csvLine } from '../io/csv.js';

const f3 = (x: number) => x.toFixed(4);

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

export function qualityHtml(q: QualityResult, opts: { title?: string; maxListed?: number; generated?: string } = {}): string {
  const max = opts.maxListed ?? 200;
  const body: string[] = [];
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
  body.push(`<p class="note">Source: ${escapeHtml(q.histogram.source)}${q.histogram.threshold !== undefined ? `; match threshold ${q.histogram.threshold}` : ''}.</p>`);
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
  return htmlPage(opts.title ?? 'p20link linkage quality report', body.join('\n'), opts.generated ?? `Parties: ${q.parties.join(', ')}`);
}
