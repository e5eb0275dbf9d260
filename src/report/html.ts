/**
 * Self-contained HTML pages for the reports: inline CSS and inline SVG only,
 * no scripts, no external fonts, images or links — so the file can be
 * e-mailed or opened on an air-gapped machine and shows the same everywhere.
 */
import { writeFileAtomic } from '../io/atomic-file.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;max-width:60rem;color:#1b1f24;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.meta{color:#57606a;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.flag td{background:#fff1e5}
p.flag{color:#cf222e;font-size:.85rem;font-weight:600}
h3{font-size:1.05rem;margin-top:1.5rem}h4,h5{font-size:.95rem;margin:1.2rem 0 .3rem}
.kpi{display:inline-block;margin:.3rem 1.5rem .3rem 0}.kpi b{display:block;font-size:1.6rem}
.note{color:#57606a;font-size:.85rem}
svg text{font-family:inherit}
`;

export function htmlPage(title: string, body: string, generated: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(generated)}</p>
${body}
</body>
</html>
`;
}

export function htmlTable(head: readonly string[], rows: readonly (readonly string[])[], opts: { numeric?: readonly number[]; rowClass?: (i: number) => string } = {}): string {
  const num = new Set(opts.numeric ?? []);
  const th = head.map((h, i) => `<th${num.has(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const trs = rows
    .map((r, ri) => {
      const cls = opts.rowClass?.(ri) ?? '';
      return `<tr${cls ? ` class="${cls}"` : ''}>${r.map((c, i) => `<td${num.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

export async function writeHtml(path: string, html: string): Promise<void> {
  await writeFileAtomic(path, html);
}

export function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Plain-text table with right-aligned numeric columns. */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const num = new Set(numeric);
  const w = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const fmt = (r: readonly string[]) =>
    r.map((c, i) => (num.has(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [fmt(head), w.map((x) => '-'.repeat(x)).join('  ').trimEnd(), ...rows.map(fmt)].join('\n') + '\n';
}

/** A probability with `digits` decimals, or in scientific notation when it is too small to show that way (u of a rare level). */
export function prob(x: number, digits = 4): string {
  return x !== 0 && Math.abs(x) < 10 ** -digits ? x.toExponential(1) : x.toFixed(digits);
}
