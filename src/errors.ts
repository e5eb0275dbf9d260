/**
 * One error type for every refusal the toolkit makes. It names where the
 * problem is (file, line, field) so a user can fix the input, and carries a
 * stable `code` from ERROR_CODES that tests and scripts can match on, and the
 * code's kind (bad input, failed check, environment, bug). The library says
 * nothing about process exit statuses or command-line flags: the CLI maps
 * kinds to exit statuses (cli/exit-status.ts) and renders an error's
 * structured `hint` as flag text (cli/hints.ts). Messages must never contain
 * secrets or raw identifier values beyond what the user already has.
 */
export interface ErrorLocation {
  file?: string;
  /** 1-based physical line in the file. */
  line?: number;
  /** Column / field name (CSV header name or JSON path). */
  field?: string;
}

/**
 * What kind of failure an error code is (docs/errors.md):
 * - `input`: bad input or usage (a refused file, spec, option, package or key);
 * - `check`: the input was read fine but the check failed (an unsafe table,
 *   a failed k-check, an audit log that does not verify);
 * - `environment`: the machine failed (disk full, permission denied, a store
 *   that stayed busy); nothing is wrong with the input;
 * - `internal`: a bug in p20link.
 */
export type ErrorKind = 'input' | 'check' | 'environment' | 'internal';

/**
 * Every error code the library raises, with its kind and what it means. A
 * code is added here first (P20Error takes only these), and docs/errors.md
 * lists exactly these codes (test/docs/errors.test.ts).
 */
export const ERROR_CODES = {
  ALLOW_DIR: { kind: 'input', meaning: 'the allow-list directory cannot be read' },
  ALLOW_DUPLICATE: { kind: 'input', meaning: 'the allow-list names a sender twice (or two that differ only in letter case)' },
  ALLOW_EMPTY: { kind: 'input', meaning: 'the allow-list directory holds no NAME.pub.pem key' },
  ALLOW_KEY_NAME: { kind: 'input', meaning: "a sender's key file names another sender (wrong or substituted file)" },
  ALLOW_MISSING: { kind: 'input', meaning: 'no allow-list of accepted senders was given' },
  ALLOW_PARSE: { kind: 'input', meaning: 'the allow-list is not valid JSON or not of the expected shape' },
  ALLOW_PIN: { kind: 'input', meaning: 'a pinned key fingerprint does not match the signing key' },
  ASSESS_REFERENCE: { kind: 'input', meaning: 'the plain reference file of an assessment cannot be used (missing or unmapped columns)' },
  ASSESS_SCHEMA_MISMATCH: { kind: 'input', meaning: 'the encoded file was made with another linkage schema than the one given' },
  ASSESS_TRUTH: { kind: 'input', meaning: 'the truth file of an assessment lacks its id column' },
  AUDIT_BROKEN: { kind: 'check', meaning: 'the audit log does not verify (an entry was changed, removed or reordered)' },
  AUDIT_DETAIL: { kind: 'input', meaning: 'an audit entry detail has a forbidden field (the log never holds secrets)' },
  AUDIT_EXPECT_HEAD: { kind: 'input', meaning: 'an expected audit head is not SEQ:HASH' },
  AUDIT_MISSING: { kind: 'check', meaning: 'there is no linker store, so no audit log to verify' },
  AUDIT_NO_LOG: { kind: 'input', meaning: 'the store has no audit log' },
  AUDIT_TYPE: { kind: 'input', meaning: 'an audit event type is not lower-case words joined by "-"' },
  BAD_NAME: { kind: 'input', meaning: 'a party or sender name breaks the name rule (letters, digits, "_", ".", "-")' },
  BIAS_ARGS: { kind: 'input', meaning: 'a bias report was asked for without a grouping column' },
  BIAS_DATA: { kind: 'input', meaning: 'the data of a bias report cannot be used (duplicate id, missing column)' },
  CANONICAL_JSON: { kind: 'internal', meaning: 'a value that JSON cannot carry reached canonical JSON (a bug)' },
  CSV_EMPTY: { kind: 'input', meaning: 'a CSV file is empty (no header line)' },
  CSV_ENCODING: { kind: 'input', meaning: 'a CSV file is not UTF-8 text' },
  CSV_FIELD_TOO_LONG: { kind: 'input', meaning: 'a CSV field is longer than the reader accepts' },
  CSV_HEADER: { kind: 'input', meaning: 'a CSV header is unusable (a nameless or repeated column)' },
  CSV_OPEN: { kind: 'input', meaning: 'a CSV path is not a readable file' },
  CSV_OPTIONS: { kind: 'input', meaning: 'a CSV dialect option is invalid (delimiter, quote, character encoding)' },
  CSV_QUOTE: { kind: 'input', meaning: 'a CSV field has a character after its closing quote' },
  CSV_ROW_WIDTH: { kind: 'input', meaning: 'a CSV row has more or fewer fields than the header' },
  CSV_UNTERMINATED_QUOTE: { kind: 'input', meaning: 'a quoted CSV field is never closed' },
  DEMO_OUT: { kind: 'input', meaning: 'the demo output directory is not the demo\'s own' },
  ENCODE_UNHARDENED: { kind: 'input', meaning: 'the schema has no p20link.hardening section and unhardened (clkhash-compatible) encoding was not opted into' },
  ENCODED_CLK: { kind: 'input', meaning: 'an encoded record\'s CLK is not valid base64 or has the wrong length' },
  ENCODED_DUPLICATE_ID: { kind: 'input', meaning: 'an encoded file has the same record id twice' },
  ENCODED_EMPTY: { kind: 'input', meaning: 'an encoded file is empty' },
  ENCODED_EVIDENCE: { kind: 'input', meaning: "an encoded record's evidence filter or presence byte is invalid (base64, length, padding bits, range)" },
  ENCODED_FORMAT: { kind: 'input', meaning: 'a file is not a p20link encoded file' },
  ENCODED_HEADER: { kind: 'input', meaning: 'an encoded file\'s header is invalid' },
  ENCODED_OPEN: { kind: 'input', meaning: 'an encoded file path does not exist or is not a file' },
  ENCODED_ROW: { kind: 'input', meaning: 'an encoded file has a malformed row' },
  ENCODED_ROWCOUNT: { kind: 'input', meaning: 'an encoded file has more rows than its header says (damaged or spliced)' },
  ENCODED_TRUNCATED: { kind: 'input', meaning: 'an encoded file has fewer rows than its header says (truncated)' },
  ENCODED_VERSION: { kind: 'input', meaning: 'an encoded file has a version this tool does not read' },
  ENCODE_ABSENT: { kind: 'input', meaning: 'an absent-feature declaration names no usable feature' },
  ENCODE_ALL_REJECTED: { kind: 'input', meaning: 'every row of the extract was rejected; nothing was encoded' },
  ENCODE_BAD_ROW: { kind: 'input', meaning: 'a row of the extract has a value the schema refuses' },
  ENCODE_DUPLICATE_ID: { kind: 'input', meaning: 'the extract has the same record id twice' },
  ENCODE_HEADER: { kind: 'input', meaning: 'the extract\'s header does not match the schema' },
  ENCODE_MAP: { kind: 'input', meaning: 'a feature-to-column mapping is invalid' },
  ENCODE_NO_ROWS: { kind: 'input', meaning: 'the extract has a header but no rows' },
  ENCODE_OPTIONS: { kind: 'input', meaning: 'an encode option is invalid (date range, delimiter, id column, bad-row policy, workers, body)' },
  ENCODE_OUTPUT: { kind: 'input', meaning: 'the encoded file cannot be written at that path' },
  ENCODE_OUTPUT_EXISTS: { kind: 'input', meaning: 'an encode output already exists and replacing it was not asked for' },
  ENV_BUSY: { kind: 'environment', meaning: 'a resource was busy (EBUSY)' },
  ENV_CROSS_DEVICE: { kind: 'environment', meaning: 'a file could not be moved across file systems (EXDEV)' },
  ENV_DISK_FULL: { kind: 'environment', meaning: 'no space left on device, disk quota exceeded, file too large' },
  ENV_IO: { kind: 'environment', meaning: 'an input/output error' },
  ENV_NAME_TOO_LONG: { kind: 'environment', meaning: 'a file name longer than the file system allows' },
  ENV_OUT_OF_MEMORY: { kind: 'environment', meaning: 'the machine ran out of memory (ENOMEM)' },
  ENV_PERMISSION: { kind: 'environment', meaning: 'permission denied, operation not permitted' },
  ENV_READ_ONLY: { kind: 'environment', meaning: 'a read-only file system (or a read-only linker store)' },
  ENV_TOO_MANY_FILES: { kind: 'environment', meaning: 'too many open files' },
  E_IO: { kind: 'input', meaning: 'a linkage schema file does not exist or cannot be used' },
  E_SCHEMA: { kind: 'input', meaning: 'a linkage schema is invalid' },
  E_SECRET: { kind: 'input', meaning: 'the linkage secret given to the CLK encoder is empty' },
  E_VALUE: { kind: 'input', meaning: 'a value cannot be encoded under its feature\'s rules' },
  FILE_CREATE: { kind: 'input', meaning: 'a new file cannot be created at that path (missing directory, not a directory)' },
  FILE_EXISTS: { kind: 'input', meaning: 'a new file would replace an existing one' },
  FILE_NOT_USABLE: { kind: 'input', meaning: 'a path does not exist or is the wrong kind of thing' },
  FILE_READ: { kind: 'input', meaning: 'a small input file (key, secret, allow-list) cannot be read' },
  GEN_ARGS: { kind: 'input', meaning: 'an option of the synthetic-data generator is invalid' },
  KCHECK_CHANGED: { kind: 'input', meaning: 'the input of a k-anonymity repair changed while it was read' },
  KCHECK_COLUMN: { kind: 'input', meaning: 'a k-check column is not in the header' },
  KCHECK_EMPTY: { kind: 'input', meaning: 'the file to k-check has no rows' },
  KCHECK_HIERARCHY: { kind: 'input', meaning: 'a generalisation hierarchy cannot generalise a value' },
  KCHECK_OVERWRITE: { kind: 'input', meaning: 'a k-anonymity repair would write over its input' },
  KCHECK_SETTINGS: { kind: 'input', meaning: 'a k-check setting is invalid (k, l, quasi-identifiers, strategy)' },
  KCHECK_SPEC: { kind: 'input', meaning: 'a k-check spec file is invalid' },
  KCHECK_VALUE: { kind: 'input', meaning: 'a k-check value cannot be used (a NUL character)' },
  KEY_BITS: { kind: 'input', meaning: 'a key size is out of range' },
  KEY_OUT_DIR: { kind: 'input', meaning: 'the key output directory does not exist or is not a directory' },
  KEY_PARSE: { kind: 'input', meaning: 'a key file is not a valid PEM key' },
  KEY_PASSPHRASE_NEEDED: { kind: 'input', meaning: 'a private key is passphrase-protected and no passphrase was given' },
  KEY_PASSPHRASE_WRONG: { kind: 'input', meaning: 'a private key cannot be decrypted (wrong passphrase or damaged file)' },
  KEY_PERMISSIONS: { kind: 'input', meaning: 'a private key file can be read by other users' },
  KEY_PIN_MISMATCH: { kind: 'input', meaning: 'a key does not match the fingerprint pinned next to it' },
  KEY_PRIVATE_GIVEN: { kind: 'input', meaning: 'a private key was given where a public key is needed' },
  KEY_PUBLIC_GIVEN: { kind: 'input', meaning: 'a public key was given where a private key is needed' },
  KEY_WEAK: { kind: 'input', meaning: 'an RSA key is too short' },
  LEDGER_PARTY: { kind: 'input', meaning: 'a result ledger belongs to another agency, or a new one has no agency name' },
  LINK_BLOCKING_SPEC: { kind: 'input', meaning: 'a blocking spec is invalid' },
  LINK_BLOCK_MISSING: { kind: 'input', meaning: 'an encoded file lacks a block column the blocking needs' },
  LINK_CLK_LENGTH: { kind: 'input', meaning: 'a CLK length is not a positive whole number of bits' },
  LINK_DUPLICATE_INPUT: { kind: 'input', meaning: 'the same encoded file was given twice' },
  LINK_DUPLICATE_PARTY: { kind: 'input', meaning: 'two inputs have the same party label' },
  LINK_INPUT_READ: { kind: 'input', meaning: 'an encoded input file cannot be read' },
  LINK_KEY_MISMATCH: { kind: 'input', meaning: 'encoded files were made with different secrets' },
  LINK_LENGTH_MISMATCH: { kind: 'input', meaning: 'encoded files have CLKs of different lengths' },
  LINK_MANIFEST: { kind: 'input', meaning: 'the manifest of an earlier run in the link output directory cannot be read' },
  LINK_MAX_PAIRS: { kind: 'input', meaning: 'the pair cap is not a positive whole number' },
  LINK_MAX_PER_PARTY: { kind: 'input', meaning: 'the per-party cluster cap is not a positive integer' },
  LINK_OPTION: { kind: 'input', meaning: 'a link option is invalid' },
  LINK_OUT_DIR: { kind: 'input', meaning: 'the link output directory cannot be used (a file, not creatable)' },
  LINK_OUT_DIR_BUSY: { kind: 'input', meaning: 'another link run is writing into the output directory' },
  LINK_OUT_DIR_NOT_OURS: { kind: 'input', meaning: 'the link output directory holds files that are not this run\'s to replace' },
  LINK_PARTY_NAME: { kind: 'input', meaning: 'a party label is not usable (letters, digits, "_", ".", "-"; at most 64)' },
  LINK_PARTY_SHAPE: { kind: 'input', meaning: 'a party has a different number of ids and CLKs' },
  LINK_SCHEMA_MISMATCH: { kind: 'input', meaning: 'an encoded file was made with another linkage schema' },
  LINK_THRESHOLD: { kind: 'input', meaning: 'a threshold is not a number in (0, 1]' },
  LINK_TOO_FEW_INPUTS: { kind: 'input', meaning: 'fewer than two encoded files were given' },
  LINK_TOO_LARGE: { kind: 'input', meaning: 'the scoring would need more memory than WebAssembly allows' },
  LINK_TOO_MANY_PAIRS: { kind: 'input', meaning: 'more candidate pairs score above the threshold than the pair cap' },
  LINK_TRUTH_INDEX: { kind: 'input', meaning: 'a true pair names a record that does not exist' },
  LINK_WORKERS: { kind: 'input', meaning: 'a worker count is not a whole number >= 1' },
  MODEL_INPUT: { kind: 'input', meaning: 'comparison vectors given to the match model are inconsistent (library use)' },
  PASSPHRASE: { kind: 'input', meaning: 'the passphrase was given wrongly (both ways, an unset variable, an unreadable file)' },
  PASSPHRASE_FILE_MODE: { kind: 'input', meaning: 'the passphrase file can be read by other users' },
  PKG_BAD_SIGNATURE: { kind: 'input', meaning: 'a package signature does not verify (forged or damaged)' },
  PKG_CHANGED: { kind: 'input', meaning: 'a package file changed while it was being read' },
  PKG_CHUNK: { kind: 'input', meaning: 'a package chunk size is out of range' },
  PKG_CONTENT_ID: { kind: 'input', meaning: 'a package content id is not 32 lower-case hex digits' },
  PKG_CONTENT_MISMATCH: { kind: 'input', meaning: "a package's content does not match its manifest" },
  PKG_FORMAT: { kind: 'input', meaning: 'a file is not a p20link package, or it is damaged' },
  PKG_INPUT: { kind: 'input', meaning: 'the file to package cannot be read or is not of the package kind' },
  PKG_KIND: { kind: 'input', meaning: 'the expected package kind is missing or wrong' },
  PKG_MANIFEST: { kind: 'input', meaning: 'a package manifest is invalid' },
  PKG_NO_LEDGER: { kind: 'input', meaning: 'a result package was opened without the agency\'s result ledger' },
  PKG_NO_STORE: { kind: 'input', meaning: 'an encoded-data package was opened without the linker store' },
  PKG_OPEN: { kind: 'input', meaning: 'a package path does not exist or is not a file' },
  PKG_OUTPUT_EXISTS: { kind: 'input', meaning: 'an unpack output already exists' },
  PKG_PARTY: { kind: 'input', meaning: 'a package names no party, or another party than its content' },
  PKG_PARTY_NOT_ALLOWED: { kind: 'input', meaning: "a package's party is not the one its signer may send for" },
  PKG_REPLAY: { kind: 'input', meaning: 'a package was accepted before (a replay)' },
  PKG_RESULT_FORK: { kind: 'input', meaning: 'a result package forks from the linker audit log the agency accepted before' },
  PKG_RESULT_STALE: { kind: 'input', meaning: 'a result package is older than one the agency accepted before' },
  PKG_TAMPERED: { kind: 'input', meaning: 'a package was changed after it was sealed' },
  PKG_TRUNCATED: { kind: 'input', meaning: 'a package file is cut short' },
  PKG_UNKNOWN_SIGNER: { kind: 'input', meaning: 'a package is signed by a key that is not on the allow-list' },
  PKG_VERSION: { kind: 'input', meaning: 'a package has a version this tool does not read' },
  PKG_WRITE: { kind: 'input', meaning: 'an unpack or package output cannot be created at that path' },
  PKG_WRONG_KIND: { kind: 'input', meaning: 'a package is of another kind than the one expected' },
  PKG_WRONG_PARTY: { kind: 'input', meaning: 'a result package is addressed to another agency' },
  PKG_WRONG_RECIPIENT: { kind: 'input', meaning: 'a package is encrypted for another recipient' },
  REGISTRY_BLOCKING: { kind: 'input', meaning: 'the blocking cannot be kept as a persistent index (all pairs), or differs from the one the registry was built with' },
  REGISTRY_DAMAGED: { kind: 'input', meaning: 'the linkage-ID registry in the store is damaged' },
  REGISTRY_DUPLICATE_PARTY: { kind: 'input', meaning: 'two files of one registry run carry the same party label' },
  REGISTRY_FORGET_INPUT: { kind: 'input', meaning: 'the list of record ids to forget cannot be used (missing, empty, or without a record_id column)' },
  REGISTRY_KEY_MISMATCH: { kind: 'input', meaning: 'a file was encoded with another secret than the encodings the registry holds (rotate keys with registry rekey)' },
  REGISTRY_MISSING: { kind: 'input', meaning: 'the store has no linkage-ID registry' },
  REGISTRY_REKEY_INCOMPLETE: { kind: 'input', meaning: 'a key rotation did not re-encode every registered record' },
  REGISTRY_REKEY_UNKNOWN: { kind: 'input', meaning: 'a key rotation file holds records the registry does not know' },
  REGISTRY_SCHEMA_MISMATCH: { kind: 'input', meaning: 'a file was encoded with another linkage schema or CLK length than the registry holds' },
  REPORT_COLUMNS: { kind: 'input', meaning: 'a links file lacks a column it needs' },
  REPORT_LINKS: { kind: 'input', meaning: 'a links file or link output directory cannot be used' },
  REPORT_LINKS_STALE: { kind: 'input', meaning: 'a links file does not match its run report (files of another run)' },
  REPORT_RUN: { kind: 'input', meaning: 'a run report cannot be read or is not a p20link run report' },
  RESEARCH_COLUMNS: { kind: 'input', meaning: 'a research-extract example file lacks a column' },
  RESEARCH_DATA: { kind: 'input', meaning: 'a research-extract example file has inconsistent data' },
  REVIEW_HEADER: { kind: 'input', meaning: 'a review file has the wrong header' },
  REVIEW_ROW: { kind: 'input', meaning: 'a review file row is invalid' },
  SCHEMA_EXTENSION: { kind: 'input', meaning: 'the p20link extension of a linkage schema is invalid' },
  SECRET_EMPTY: { kind: 'input', meaning: 'the linkage secret is empty' },
  SECRET_ENCODING: { kind: 'input', meaning: 'the secret file is not UTF-8 text' },
  SECRET_ENV: { kind: 'input', meaning: 'the environment variable meant to hold the secret is misnamed or unset' },
  SECRET_FILE: { kind: 'input', meaning: 'the secret file cannot be read' },
  SECRET_FILE_MODE: { kind: 'input', meaning: 'the secret file can be read by other users' },
  SECRET_GEN: { kind: 'internal', meaning: 'a generated secret has an unexpected form (a bug)' },
  SECRET_SOURCE: { kind: 'input', meaning: 'the secret was given in none or both of the two ways' },
  SECRET_TOO_SHORT: { kind: 'input', meaning: 'the linkage secret is too short' },
  SECRET_WEAK: { kind: 'input', meaning: 'the linkage secret is not a random secret and was not accepted as weak' },
  STORE_BUSY: { kind: 'environment', meaning: 'the linker store is used by another process and stayed busy' },
  STORE_CHANGED: { kind: 'environment', meaning: 'another link run was recorded in the linker store while this one worked; run it again' },
  STORE_DAMAGED: { kind: 'input', meaning: 'a store file is not an SQLite database, or is damaged' },
  STORE_MISSING: { kind: 'input', meaning: 'a store that must exist does not' },
  STORE_OPEN: { kind: 'input', meaning: 'a store path is not a regular file or cannot be used' },
  STORE_UNAVAILABLE: { kind: 'environment', meaning: 'SQLite could not open the store for another reason' },
  TABLE_COUNT: { kind: 'input', meaning: 'a table count is not a usable whole number' },
  TABLE_DUPLICATE: { kind: 'input', meaning: 'a table has two rows with the same dimension values' },
  TABLE_EMPTY: { kind: 'input', meaning: 'a table has no rows' },
  TABLE_INCONSISTENT: { kind: 'input', meaning: 'the published values contradict the table totals' },
  TABLE_LP: { kind: 'internal', meaning: 'the LP solver stopped unexpectedly (a bug)' },
  TABLE_OPTIONS: { kind: 'input', meaning: 'a suppression option is invalid' },
  TABLE_OUTPUT: { kind: 'input', meaning: 'a table output cannot be written there (it would replace the input)' },
  TABLE_RATE: { kind: 'input', meaning: 'a table rate is not a number' },
  TABLE_SPEC: { kind: 'input', meaning: 'a table spec is invalid' },
  TABLE_TOTALS: { kind: 'input', meaning: 'table totals do not match the sum of their parts' },
  TABLE_UNPROTECTABLE: { kind: 'check', meaning: 'no suppression pattern protects the table under the rule' },
  TRUTH_HEADER: { kind: 'input', meaning: 'a truth file lacks its columns' },
  TRUTH_ROW: { kind: 'input', meaning: 'a truth file row is invalid' },
} as const satisfies Record<string, { kind: ErrorKind; meaning: string }>;

/** A stable error code (a string-literal union: a typo is a compile error). */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The kind of an error code; a code not in the table (only possible from untyped callers) is internal. */
export function kindOfCode(code: string): ErrorKind {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].kind : 'internal';
}

/**
 * Advice as data, for errors that a person fixes by changing an option: the
 * library names the option (`option`, its command-line spelling without
 * dashes) and a value to show with it, never flag text; the CLI renders the
 * sentence (cli/hints.ts), another caller may say it in its own terms.
 *
 * `id` says which advice: `subject` means the error is about the value of
 * `option` (the message reads "OPTION VALUE: what is wrong"); every other id
 * is a piece of advice the CLI adds to the message.
 */
export interface ErrorHint {
  id: HintId;
  option: string;
  value?: string;
}

/**
 * Which advice a hint gives. Three say where the option goes in the message:
 * `subject` (the message reads "OPTION VALUE: what is wrong"), `lead` ("OPTION
 * VALUE what is wrong") and `named-option` (the message says "the OPTION
 * option"). Every other id is a piece of advice the CLI adds to the message
 * (cli/hints.ts has one sentence per id; the compiler checks it has them all).
 */
export type HintId =
  | 'subject'
  | 'lead'
  | 'named-option'
  | 'force-to-replace'
  | 'party-label'
  | 'party-label-for'
  | 'out-busy'
  | 'out-not-ours'
  | 'out-not-ours-no-store'
  | 'links-stale'
  | 'map-columns'
  | 'paren-option'
  | 'need-store'
  | 'need-ledger'
  | 'public-key-roles'
  | 'private-key-roles'
  | 'passphrase-sources'
  | 'kind-result'
  | 'result-party'
  | 'secret-new'
  | 'secret-weak'
  | 'secret-sources'
  | 'too-many-pairs'
  | 'use-option'
  | 'bad-row'
  | 'rejects-needed'
  | 'rejects-only-with-reject'
  | 'header-map'
  | 'header-trim'
  | 'header-delimiter';

export interface ErrorOptions {
  /** Advice on the option to change (rendered as flag text by the CLI). */
  hint?: ErrorHint;
}

export class P20Error extends Error {
  readonly code: ErrorCode;
  /** What kind of failure this is (ERROR_CODES[code].kind). */
  readonly kind: ErrorKind;
  readonly location: ErrorLocation;
  /** The message without the location prefix or any hint. */
  readonly detail: string;
  readonly hint: ErrorHint | undefined;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}, options: ErrorOptions = {}) {
    const hint = options.hint;
    super(formatLocated(hint === undefined ? message : hintedText(message, hint), location));
    this.name = 'P20Error';
    this.code = code;
    this.kind = kindOfCode(code);
    this.location = location;
    this.detail = message;
    this.hint = hint;
  }
}

/**
 * The message of an error with a hint, the option spelled `${flag}${option}`:
 * the library's own message names the bare option (`flag` empty), the CLI's
 * its flag (`--`). Advice ids leave the message as it is (the CLI adds them).
 */
export function hintedText(detail: string, hint: ErrorHint, flag = ''): string {
  const opt = `${flag}${hint.option}${hint.value !== undefined ? ` ${hint.value}` : ''}`;
  if (hint.id === 'subject') return `${opt}: ${detail}`;
  if (hint.id === 'lead') return `${opt} ${detail}`;
  if (hint.id === 'named-option') return detail.replace(`the ${hint.option} option`, `${flag === '' ? `the ${hint.option} option` : `${flag}${hint.option}`}`);
  return detail;
}

export function formatLocated(message: string, loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.field !== undefined) parts.push(`field "${loc.field}"`);
  return parts.length > 0 ? `${parts.join(', ')}: ${message}` : message;
}

export function isP20Error(e: unknown): e is P20Error {
  return e instanceof P20Error;
}

/**
 * Operating-system error codes in words, so that no message shows a raw
 * errno code. `env` marks the ones that are the environment's fault (an
 * `environment` error code); the others are the user's (a path that does not
 * exist or is the wrong kind of thing: an `input` error).
 */
const ERRNO: Record<string, { text: string; env?: ErrorCode }> = {
  ENOSPC: { text: 'no space left on device', env: 'ENV_DISK_FULL' },
  EDQUOT: { text: 'disk quota exceeded', env: 'ENV_DISK_FULL' },
  EFBIG: { text: 'file too large for this file system', env: 'ENV_DISK_FULL' },
  EACCES: { text: 'permission denied', env: 'ENV_PERMISSION' },
  EPERM: { text: 'operation not permitted', env: 'ENV_PERMISSION' },
  EROFS: { text: 'read-only file system', env: 'ENV_READ_ONLY' },
  ENAMETOOLONG: { text: 'file name too long', env: 'ENV_NAME_TOO_LONG' },
  EMFILE: { text: 'too many open files', env: 'ENV_TOO_MANY_FILES' },
  ENFILE: { text: 'too many open files in the system', env: 'ENV_TOO_MANY_FILES' },
  EIO: { text: 'input/output error', env: 'ENV_IO' },
  EBUSY: { text: 'resource busy', env: 'ENV_BUSY' },
  EXDEV: { text: 'cannot move a file across file systems', env: 'ENV_CROSS_DEVICE' },
  ENOMEM: { text: 'out of memory', env: 'ENV_OUT_OF_MEMORY' },
  ENOENT: { text: 'no such file or directory' },
  ENOTDIR: { text: 'a part of the path is not a directory' },
  EISDIR: { text: 'is a directory' },
  EEXIST: { text: 'already exists' },
  ENOTEMPTY: { text: 'directory not empty' },
  ELOOP: { text: 'too many symbolic links' },
};

/** SQLite result codes (better-sqlite3's SqliteError.code) that are the environment's fault. */
const SQLITE: Record<string, { text: string; env: ErrorCode }> = {
  SQLITE_BUSY: { text: 'the linker store is in use by another process and stayed busy', env: 'STORE_BUSY' },
  SQLITE_LOCKED: { text: 'the linker store is locked by another connection', env: 'STORE_BUSY' },
  SQLITE_FULL: { text: 'no space left on device', env: 'ENV_DISK_FULL' },
  SQLITE_READONLY: { text: 'the linker store is read-only (file or directory not writable)', env: 'ENV_READ_ONLY' },
  SQLITE_CANTOPEN: { text: 'cannot open the linker store (missing directory or permission denied)', env: 'ENV_PERMISSION' },
  SQLITE_IOERR: { text: 'input/output error on the linker store', env: 'ENV_IO' },
  SQLITE_PERM: { text: 'permission denied', env: 'ENV_PERMISSION' },
};

/** What was being done, from Node's `syscall` field, for errors that reach the CLI unwrapped. */
const SYSCALL_ACTION: Record<string, string> = {
  open: 'cannot open',
  write: 'cannot write',
  read: 'cannot read',
  mkdir: 'cannot create the directory',
  rename: 'cannot rename',
  unlink: 'cannot remove',
  rmdir: 'cannot remove',
  scandir: 'cannot read the directory',
  stat: 'cannot access',
};

/** The operating-system error code (ENOSPC, SQLITE_BUSY, ...) an error carries, if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' && /^(E[A-Z0-9]+|SQLITE_[A-Z_]+)$/.test(c) ? c : undefined;
}

/** An errno / SQLite code in words ("no space left on device"); unknown codes get a generic text. */
export function describeErrno(code: string): string {
  const known = ERRNO[code] ?? SQLITE[code] ?? SQLITE[code.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1')];
  return known ? known.text : 'operating-system error';
}

/** The `environment` error code for an operating-system or SQLite error (ENV_DISK_FULL, STORE_BUSY, ...), if it is one. */
export function environmentCodeOf(e: unknown): ErrorCode | undefined {
  const c = errnoCode(e);
  if (c === undefined) return undefined;
  return ERRNO[c]?.env ?? SQLITE[c]?.env ?? SQLITE[c.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1')]?.env;
}

/** True when the error is the environment's fault (disk full, permissions, read-only, busy store, ...). */
export function isEnvironmentError(e: unknown): boolean {
  return environmentCodeOf(e) !== undefined;
}

/**
 * Turn a Node file-system (or SQLite) error into a P20Error that names the
 * file and says what failed in words: environment errors (ENOSPC, EACCES,
 * EROFS, ENAMETOOLONG, EMFILE, a busy store, ...) get their own code, of kind
 * `environment`; a missing or wrong-kind path is bad input. A P20Error is
 * returned unchanged; an error without an errno code is returned as is (the
 * CLI reports it as an internal error).
 *
 * `action` says what was being done: "cannot write", "cannot read", ...;
 * `badInputCode` is the code for a path that is the user's mistake.
 */
export function fsError(e: unknown, file?: string, action?: string, badInputCode: ErrorCode = 'FILE_NOT_USABLE'): Error {
  if (isP20Error(e)) return e;
  const code = errnoCode(e);
  if (code === undefined) return e instanceof Error ? e : new Error(String(e));
  const path = file ?? ((e as { path?: unknown }).path as string | undefined);
  const loc: ErrorLocation = typeof path === 'string' ? { file: path } : {};
  const base = code.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1');
  const env = ERRNO[code]?.env ?? SQLITE[code]?.env ?? SQLITE[base]?.env;
  const text = describeErrno(code);
  action ??= SYSCALL_ACTION[String((e as { syscall?: unknown }).syscall)] ?? 'cannot access';
  if (env !== undefined) return new P20Error(env, `${action}: ${text}`, loc);
  if (ERRNO[code]) return new P20Error(badInputCode, `${action}: ${text}`, loc);
  return e instanceof Error ? e : new Error(String(e));
}

/** Run `fn`; rethrow any file-system error from it as fsError(e, file, action). */
export async function withFsErrors<T>(file: string, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw fsError(e, file, action);
  }
}
