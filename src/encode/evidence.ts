/**
 * Evidence filters: per-record keyed Bloom filters sent beside the CLK
 * (schema section `p20link.evidence`, src/schema/evidence.ts; wire format
 * protocols/encoded-file.md and protocols/linkage-schema.md, "Evidence"),
 * so the linker's match model can tell *which* evidence agrees without
 * seeing any field.
 *
 * A template is encoded as a derived clkhash linkage schema and hashed by the
 * CLK encoder itself (src/encode/clk.ts): one blakeHash feature per
 * (slot, token kind), bitsPerToken as the slot says, l = the template's l,
 * keys from HKDF-SHA256(IKM = secret, salt = "p20link/evidence/v1",
 * info = "template:" + template name) in the derived features' order. Every
 * feature filling a slot hashes with that slot's keys, so "names" filled
 * with first_name and last_name is order-free, and first_dob / last_dob
 * (one template) are comparable crosswise. A filter is the OR of its slots'
 * bits, then keyed ELD (src/encode/harden.ts) with
 * K = HKDF-SHA256(secret, salt "p20link/evidence/v1", info "eld:" + template
 * name) (first 32 bytes of the 64-byte output), distinct from the CLK's keys
 * and from the hardening keys.
 *
 * Token kinds of a value (missing values contribute no tokens):
 *   bigrams        the value's bigrams, padded (clkhash ngram n=2)
 *   first-word-bigrams
 *                  the bigrams of the value's first word (up to its first space; the
 *                  'name' step turns hyphens into spaces): "MARIA JOSE", "MARIA-JOSE"
 *                  and "MARIA" give the same tokens, a compound name cut to its first part
 *                  agrees
 *   given-name-class-bigrams
 *                  the same first word, a short form replaced by its formal given name
 *                  (src/normalize/given-names.ts, table version 1): "BOB", "ROBBIE" and
 *                  "ROBERT" give the tokens of "ROBERT"
 *   exact          the value itself
 *   prefix-3       the value's first three characters (the whole value when shorter): ZIP3 of a ZIP5
 *   date-bigrams   positional bigrams of YYYYMMDD (clkhash ngram n=2, positional)
 *   year           YYYY
 *   month-day      MMDD
 *   day-month-set  the two of MM and DD in ascending order ("0305" for 03-05 and 05-03)
 *   unordered-date YYYY, then the two of MM and DD in ascending order ("19990305" for 1999-03-05
 *                  and 1999-05-03): the whole date up to a day/month swap, in one token
 */
import type { EvidenceFilterInfo, RecordEvidence } from '../format/encoded-file.js';
import { DATE_TOKEN_KINDS, type EvidenceConfig, type EvidenceTemplate, type EvidenceTokenKind } from '../schema/evidence.js';
import type { P20linkExtension } from '../schema/extension.js';
import type { Comparison, HashedFeature, LinkageSchema } from '../schema/types.js';
import { deriveFeatureKeys } from './bloom-hash.js';
import { createClkEncoder, type ClkEncoder } from './clk.js';
import { featureValueRules } from './feature-value.js';
import { eldDiffuse, eldTaps } from './harden.js';
import { givenNameClass } from '../normalize/given-names.js';

export const EVIDENCE_SALT = 'p20link/evidence/v1';
const te = new TextEncoder();

const COMPARISON: Record<EvidenceTokenKind, Comparison> = {
  bigrams: { type: 'ngram', n: 2, positional: false },
  'first-word-bigrams': { type: 'ngram', n: 2, positional: false },
  'given-name-class-bigrams': { type: 'ngram', n: 2, positional: false },
  exact: { type: 'exact' },
  'prefix-3': { type: 'exact' },
  'date-bigrams': { type: 'ngram', n: 2, positional: true },
  year: { type: 'exact' },
  'month-day': { type: 'exact' },
  'day-month-set': { type: 'exact' },
  'unordered-date': { type: 'exact' },
};

/** The derived features of a template, in key order: one per (slot, token kind). */
export function templateFeatures(t: EvidenceTemplate): { slot: string; kind: EvidenceTokenKind }[] {
  return t.slots.flatMap((s) => s.tokens.map((kind) => ({ slot: s.slot, kind })));
}

/** The clkhash linkage schema a template is hashed with (its keys are the template's). */
export function templateSchema(t: EvidenceTemplate): LinkageSchema {
  const features: HashedFeature[] = t.slots.flatMap((s) =>
    s.tokens.map(
      (kind): HashedFeature => ({
        identifier: `${s.slot}:${kind}`,
        ignored: false,
        format: { type: 'string', encoding: 'utf-8', case: 'mixed' },
        hashing: { comparison: COMPARISON[kind], strategy: { type: 'bitsPerToken', bitsPerToken: s.bitsPerToken }, hash: { type: 'blakeHash' } },
      }),
    ),
  );
  return {
    version: 3,
    features,
    clkConfig: { l: t.l, xorFolds: 0, kdf: { type: 'HKDF', hash: 'SHA256', salt: te.encode(EVIDENCE_SALT), info: te.encode(`template:${t.name}`), keySize: 64 } },
    source: `p20link.evidence template ${t.name}`,
    raw: null,
  };
}

/** The ELD key of a template. */
export function evidenceEldKey(secret: Uint8Array, template: string): Uint8Array {
  return deriveFeatureKeys(secret, { type: 'HKDF', hash: 'SHA256', salt: te.encode(EVIDENCE_SALT), info: te.encode(`eld:${template}`), keySize: 32 }, 1)[0]![0];
}

/** The string a token kind hashes for a value ("" = no tokens). `ymd` is the value as YYYYMMDD (date kinds only). */
export function tokenValue(kind: EvidenceTokenKind, value: string, ymd: string): string {
  switch (kind) {
    case 'bigrams':
    case 'exact':
      return value;
    case 'first-word-bigrams':
      return firstWord(value);
    case 'given-name-class-bigrams':
      return givenNameClass(firstWord(value));
    case 'prefix-3':
      return value.slice(0, 3);
    case 'date-bigrams':
      return ymd;
    case 'year':
      return ymd.slice(0, 4);
    case 'month-day':
      return ymd.slice(4, 8);
    case 'day-month-set':
      return dayMonthSet(ymd);
    case 'unordered-date':
      return ymd === '' ? '' : ymd.slice(0, 4) + dayMonthSet(ymd);
  }
}

/** The value up to its first space (leading spaces skipped; "" for none). */
function firstWord(value: string): string {
  const v = value.trimStart();
  const at = v.indexOf(' ');
  return at < 0 ? v : v.slice(0, at);
}

/** MM and DD of YYYYMMDD in ascending order ("" for no date). */
function dayMonthSet(ymd: string): string {
  const m = ymd.slice(4, 6);
  const d = ymd.slice(6, 8);
  return m <= d ? m + d : d + m;
}

/** The tokens (as hashed, before keying) one value gives in a slot: for tests and the known-answer vectors. */
export function slotTokens(kinds: readonly EvidenceTokenKind[], value: string, ymd: string): { kind: EvidenceTokenKind; value: string }[] {
  return kinds.map((kind) => ({ kind, value: tokenValue(kind, value, ymd) })).filter((x) => x.value !== '');
}

/** What the encoded file's header says about evidence (spread into the writer's init). */
export function evidenceHeader(ext: Pick<P20linkExtension, 'evidence'>): { evidence?: EvidenceFilterInfo[]; presence?: string[] } {
  const cfg = ext.evidence;
  if (!cfg) return {};
  const byName = new Map(cfg.templates.map((t) => [t.name, t]));
  return {
    evidence: cfg.filters.map((f) => {
      const t = byName.get(f.template)!;
      const used = new Set(t.slots.flatMap((s) => s.tokens));
      const dates = DATE_TOKEN_KINDS.filter((k) => used.has(k));
      return { name: f.name, l: t.eld.bits, ...(dates.length > 0 ? { dates: [...dates] } : {}) };
    }),
    ...(cfg.presence ? { presence: [...cfg.presence] } : {}),
  };
}

export interface EvidenceEncoder {
  /** Filters in order with their lengths (header.evidence). */
  readonly filters: EvidenceFilterInfo[];
  /** Presence features (header.presence), if any. */
  readonly presence?: string[];
  /**
   * A record's evidence. `values` are the normalized values by schema
   * feature index (as the CLK encoder gets them), `missing[k]` true when
   * feature k is missing in the record (no tokens, presence bit clear). A
   * present value must have passed the CLK encoder's check.
   */
  encode(values: readonly string[], missing: readonly boolean[]): RecordEvidence;
}

interface TemplateRuntime {
  enc: ClkEncoder;
  features: { slot: string; kind: EvidenceTokenKind }[];
  taps: Uint32Array;
  t: EvidenceTemplate;
  bytes: number;
}

export function createEvidenceEncoder(schema: LinkageSchema, cfg: EvidenceConfig, secret: Uint8Array, opts: { cacheSize?: number } = {}): EvidenceEncoder {
  const featureIndex = new Map(schema.features.map((f, i) => [f.identifier, i]));
  const templates = new Map<string, TemplateRuntime>();
  for (const t of cfg.templates) {
    templates.set(t.name, {
      enc: createClkEncoder(templateSchema(t), secret, opts.cacheSize !== undefined ? { cacheSize: opts.cacheSize } : {}),
      features: templateFeatures(t),
      taps: eldTaps(evidenceEldKey(secret, t.name), t.l, t.eld),
      t,
      bytes: Math.ceil(t.l / 8),
    });
  }
  // Date features read as YYYYMMDD with the feature's own clkhash date format.
  const ymdOf = schema.features.map((f) => (f.ignored || f.format.type !== 'date' ? null : featureValueRules(f)));
  const filters = cfg.filters.map((f) => {
    const rt = templates.get(f.template)!;
    const fill = rt.features.map((df) => f.fill[df.slot]!.map((feat) => featureIndex.get(feat)!));
    const rounds = Math.max(...fill.map((x) => x.length));
    return { rt, fill, rounds, vals: new Array<string>(rt.features.length).fill('') };
  });
  const presence = (cfg.presence ?? []).map((feat) => featureIndex.get(feat)!);
  const header = evidenceHeader({ evidence: cfg });

  return {
    filters: header.evidence!,
    ...(header.presence ? { presence: header.presence } : {}),
    encode(values, missing) {
      const ymd = new Map<number, string>();
      const ymdAt = (k: number): string => {
        let s = ymd.get(k);
        if (s === undefined) {
          s = ymdOf[k]!.format(values[k]!);
          ymd.set(k, s);
        }
        return s;
      };
      const out: Uint8Array[] = [];
      for (const { rt, fill, rounds, vals } of filters) {
        const acc = new Uint8Array(rt.bytes);
        // Round r hashes the r-th feature of every slot (a slot filled with two features takes two rounds): one key per slot, so the OR is order-free.
        for (let r = 0; r < rounds; r++) {
          let any = false;
          for (let j = 0; j < vals.length; j++) {
            const k = fill[j]![r];
            if (k === undefined || missing[k]) {
              vals[j] = '';
              continue;
            }
            const kind = rt.features[j]!.kind;
            vals[j] = tokenValue(kind, values[k]!, DATE_TOKEN_KINDS.includes(kind) ? ymdAt(k) : '');
            if (vals[j] !== '') any = true;
          }
          if (!any) continue;
          const bits = rt.enc.encode(vals);
          for (let b = 0; b < acc.length; b++) acc[b]! |= bits[b]!;
        }
        out.push(eldDiffuse(acc, rt.t.l, rt.taps, rt.t.eld.taps));
      }
      const ev: RecordEvidence = { filters: out };
      if (cfg.presence) {
        let p = 0;
        for (let i = 0; i < presence.length; i++) if (!missing[presence[i]!]) p |= 1 << i;
        ev.presence = p;
      }
      return ev;
    },
  };
}
