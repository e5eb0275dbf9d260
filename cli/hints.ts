import { type ErrorHint, type HintId, type P20Error, formatLocated, hintedText } from '../src/index.js';
/**
 * The command line's wording of the library's hints. A library error names
 * the option to change as data (`err.hint`: an id, the option, a value) and
 * never as flag text; here each hint id becomes the sentence a CLI user
 * reads, with the option spelled as its flag. `cliMessage` is what
 * `p20link: error:` prints.
 */

const flag = (h: ErrorHint): string => `--${h.option}${h.value !== undefined ? ` ${h.value}` : ''}`;

/** Replace `from` in `detail` by `to` (the library's neutral words by the flag); `detail` unchanged when absent. */
const swap = (detail: string, from: string, to: string): string => (detail.includes(from) ? detail.replace(from, to) : `${detail} (${to})`);

const HEADER_ADVICE = ' (rename the columns, map them with --map feature=column, or declare a feature this agency does not collect with --absent feature)';

/** The header advice goes before the library's note on the CSV dialect (". The header ..."), when there is one. */
function withHeaderAdvice(d: string): string {
  const i = d.indexOf('. The header');
  return i < 0 ? `${d}${HEADER_ADVICE}` : `${d.slice(0, i)}${HEADER_ADVICE}${d.slice(i)}`;
}

/** One wording per hint id: the library's message (without location) in, the CLI's out. */
const HINTS: Readonly<Record<HintId, (detail: string, h: ErrorHint) => string>> = {
  subject: (d, h) => hintedText(d, h, '--'),
  lead: (d, h) => hintedText(d, h, '--'),
  'named-option': (d, h) => hintedText(d, h, '--'),
  'force-to-replace': (d, h) => `${d} (use ${flag(h)} to replace it)`,
  'party-label': (d, h) => `${d}; give one with ${flag(h)}`,
  'party-label-for': (d, h) => `${d}: give one with ${flag(h)}`,
  'out-busy': (d, h) => `${d} or choose another ${flag(h)}`,
  'out-not-ours': (d, h) => swap(swap(d, 'so give it a new', `so give ${flag(h)} a new`), 'with the same linker store', 'with the same --store'),
  'out-not-ours-no-store': (d, h) => HINTS['out-not-ours'](d.replace('; this run has no linker store;', '; this run has no --store;'), h),
  'links-stale': (d, h) => `${d} or point ${flag(h)} at that run's directory`,
  'map-columns': (d, h) => `${d}; map them with ${flag(h)}`,
  'paren-option': (d, h) => `${d} (${flag(h)})`,
  'need-store': (d, h) => swap(d, 'with a store', `with a store (${flag(h)})`),
  'need-ledger': (d, h) => swap(d, 'result ledger,', `result ledger (${flag(h)} FILE --party NAME),`),
  'public-key-roles': (d) => `${d}: --to and the allow-list take the other party's public key; your private key goes to --sign / --key`,
  'private-key-roles': (d) => `${d}: --sign and --key take your own private key; the other party's public key goes to --to / the allow-list`,
  'passphrase-sources': (d) => `${d}; give --passphrase-env VAR or --passphrase-file FILE`,
  'kind-result': (d, h) => `${d} (to send a links CSV, use ${flag(h)})`,
  'result-party': (d, h) => swap(d, 'the agency it is for:', `the agency it is for (${flag(h)}):`),
  'secret-new': (d) => `${d} (p20link secret new --out FILE)`,
  'secret-weak': (d, h) => `${d.replace('`secret new`', '`p20link secret new`')}. Make one with \`p20link secret new --out FILE\`, or accept this one with ${flag(h)}`,
  'secret-sources': (d) => swap(d, 'in exactly one way, a file or an environment variable', 'with exactly one of --secret-file PATH or --secret-env NAME'),
  'too-many-pairs': (d) => `${d}. Raise --threshold (or --review-threshold), tighten --blocking, or raise --max-pairs if the memory is there (about 24 bytes per pair)`,
  'use-option': (d, h) => swap(d, `the ${h.option} option`, flag(h)),
  'bad-row': (d) => `${d.replace(/\bthe ([a-z][a-z-]*) option\b/g, '--$1')} (fix the row, or run with --on-bad-row reject --rejects FILE, or --on-bad-field missing)`,
  'rejects-needed': (d) => swap(d, 'rejecting bad rows needs a rejects file', '--on-bad-row reject needs --rejects FILE'),
  'rejects-only-with-reject': (d) => swap(d, 'a rejects file is only used when bad rows are rejected', '--rejects is only used with --on-bad-row reject'),
  'header-map': (d) => `${d}${HEADER_ADVICE}`,
  'header-trim': (d, h) => `${withHeaderAdvice(d)}: read it with ${flag(h)}`,
  'header-delimiter': (d, h) => `${withHeaderAdvice(d)}: read it with ${flag(h)}`,
};

/** An error's message as the CLI says it: the hint's option as its flag, then the location in front. */
export function cliDetail(err: P20Error): string {
  return err.hint === undefined ? err.detail : HINTS[err.hint.id](err.detail, err.hint);
}

/** The whole line after `p20link: error: `. */
export function cliMessage(err: P20Error): string {
  return err.hint === undefined ? err.message : formatLocated(cliDetail(err), err.location);
}

/** The hint ids this file words (for the test that every one is used and names a flag). */
export const HINT_IDS = Object.keys(HINTS) as HintId[];
