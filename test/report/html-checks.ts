import { expect } from 'vitest';

/** Everything an HTML page must not have to stay self-contained and script-free. */
export function expectSelfContained(html: string): void {
  // every tag (escaped text holds no "<"): no script or embedding elements, no event handlers, no links to anything
  const tags = html.match(/<[a-zA-Z!][^>]*>/g)!;
  for (const t of tags) {
    expect(t).not.toMatch(/^<(script|link|img|iframe|object|embed|image|use|foreignObject|a)\b/i);
    expect(t).not.toMatch(/\s(on[a-z]+|src|href|xlink:href)\s*=/i);
  }
  expect(html).not.toMatch(/url\(|@import|javascript:|https?:/i);
}
