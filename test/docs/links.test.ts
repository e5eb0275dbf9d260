import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

function markdownFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  for (const dir of ['docs', 'protocols', 'protocols/schemas', 'protocols/compat']) {
    const d = join(ROOT, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith('.md')) out.push(join(d, f));
  }
  return out;
}

/** Relative link targets of a markdown text (inline links; no http(s), mailto or pure anchors). */
function relativeLinks(text: string): string[] {
  const links: string[] = [];
  const noCode = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  for (const m of noCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(target.split('#')[0]!);
  }
  return links;
}

describe('documentation links', () => {
  it('finds links in a sample text (so the check below can fail)', () => {
    expect(relativeLinks('see [a](docs/a.md) and [b](https://x.org) and [c](#top) and `[d](e.md)`')).toEqual(['docs/a.md']);
  });

  it('every relative link in README.md, docs/ and protocols/ resolves', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      for (const target of relativeLinks(readFileSync(file, 'utf8'))) {
        const path = resolve(dirname(file), decodeURIComponent(target));
        if (!existsSync(path)) broken.push(`${file.slice(ROOT.length + 1)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README stays short (details live in docs/)', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThan(250);
    expect(statSync(join(ROOT, 'docs', 'README.md')).isFile()).toBe(true);
  });
});
