/**
 * Text normalization for identifier values (names, free text). Every
 * function is pure and total: it never throws, and it maps equal inputs to
 * equal outputs, so it can run in any worker thread.
 *
 * These steps run BEFORE clkhash-compatible encoding and only when a schema
 * asks for them (p20link extension, `normalize`), so encoding without them
 * stays bit-identical to clkhash.
 */

/** Letters that Unicode NFKD does not decompose into a base letter + marks. */
const EXTRA_FOLDS: Record<string, string> = {
  ß: 'ss', ẞ: 'SS', Æ: 'AE', æ: 'ae', Œ: 'OE', œ: 'oe', Ø: 'O', ø: 'o',
  Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ð: 'D', ð: 'd', Þ: 'TH', þ: 'th',
  ı: 'i', Ħ: 'H', ħ: 'h', Ŀ: 'L', ŀ: 'l', ĸ: 'k', Ŋ: 'N', ŋ: 'n', ſ: 's',
};
const EXTRA_RE = new RegExp(`[${Object.keys(EXTRA_FOLDS).join('')}]`, 'gu');
const MARKS = /\p{M}+/gu;
// eslint-disable-next-line no-control-regex
const ASCII_ONLY = /^[\x20-\x7e]*$/;

/** NFKD, drop combining marks, fold the few letters NFKD leaves alone (ß → ss, Ø → O, Ł → L, …). */
export function foldDiacritics(s: string): string {
  if (ASCII_ONLY.test(s)) return s;
  // U+0345 (Greek iota subscript) is the one combining mark with a case mapping (upper case Ι):
  // keep it as ι so folding and case-mapping commute.
  return s.normalize('NFKD').replace(/\u0345/g, '\u03b9').replace(MARKS, '').replace(EXTRA_RE, (c) => EXTRA_FOLDS[c] ?? c).normalize('NFC');
}

const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
const SPACES = /\s+/gu;

/** Control and format characters (zero-width joiners, BOMs, tabs) removed or made spaces; runs of whitespace → one space; trimmed. */
export function collapseWhitespace(s: string): string {
  return s.replace(/[\t\n\r\v\f]/g, ' ').replace(INVISIBLE, '').replace(SPACES, ' ').trim();
}

/** Apostrophes join (O'Brien → OBrien); other punctuation and symbols become spaces (hyphens included); then whitespace collapses. */
const APOSTROPHES = /['\u2018\u2019\u02bc\u02bb`\u00b4]/gu;
const PUNCT = /[\p{P}\p{S}]/gu;
export function stripPunctuation(s: string): string {
  return collapseWhitespace(s.replace(APOSTROPHES, '').replace(PUNCT, ' '));
}

/**
 * The canonical form of a personal name: diacritics folded, upper case,
 * apostrophes removed, hyphens and other punctuation turned into spaces,
 * whitespace collapsed. "García-López" → "GARCIA LOPEZ", "O’Brien" →
 * "OBRIEN", "  anne   marie " → "ANNE MARIE".
 */
export function canonicalName(s: string): string {
  return stripPunctuation(foldDiacritics(s).toUpperCase());
}

/** Surname particles joined to the word that follows them (upper case, after canonicalName). */
export const NAME_PARTICLES: ReadonlySet<string> = new Set([
  'AL', 'BIN', 'DA', 'DAL', 'DAS', 'DE', 'DEGLI', 'DEI', 'DEL', 'DELA', 'DELLA', 'DELLE', 'DEN', 'DER', 'DES', 'DI',
  'DO', 'DOS', 'DU', 'EL', 'LA', 'LE', 'LES', 'LO', 'MAC', 'MC', 'SAINT', 'SAINTE', 'ST', 'STE', 'TEN', 'TER', 'VAN', 'VANDER',
  'VON', 'VOM', 'ZU', 'ZUR',
]);

/**
 * Join name particles to the following word: "DE LA CRUZ" → "DELACRUZ",
 * "VAN DER BERG" → "VANDERBERG", "MC DONALD" → "MCDONALD", "ST JOHN" →
 * "STJOHN" (SAINT is written ST first, so "Saint John" = "St. John"). A particle that is the last word stays as it is ("LA" alone, or
 * "JOHN DE"). Run after `canonicalName` (expects upper case, single spaces).
 */
export function joinParticles(s: string): string {
  const words = s.split(' ');
  if (words.length < 2) return s;
  const out: string[] = [];
  let pending = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.length === 0) continue;
    if (i < words.length - 1 && NAME_PARTICLES.has(w)) {
      pending += w === 'SAINT' ? 'ST' : w === 'SAINTE' ? 'STE' : w;
      continue;
    }
    out.push(pending + w);
    pending = '';
  }
  if (pending) out.push(pending);
  return out.join(' ');
}

/** Generational suffixes dropped from the end of a name by the `drop-suffixes` step. */
export const NAME_SUFFIXES: ReadonlySet<string> = new Set(['JR', 'SR', 'II', 'III', 'IV', 'JNR', 'SNR']);

/** Drop trailing generational suffixes ("SMITH JR" → "SMITH"); never drops the only word. Expects canonicalName output. */
export function dropSuffixes(s: string): string {
  const words = s.split(' ');
  while (words.length > 1 && NAME_SUFFIXES.has(words[words.length - 1]!)) words.pop();
  return words.join(' ');
}
