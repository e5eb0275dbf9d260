/**
 * A whole number with en-US thousands separators ("5,456"): exactly what
 * `n.toLocaleString('en-US')` writes for it, without ICU's number formatting,
 * whose first use costs about 0.03 s (a large share of a small link run that
 * prints one warning). Anything but a safe integer goes to toLocaleString.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += ',' + digits.slice(i, i + 3);
  return n < 0 ? '-' + out : out;
}
