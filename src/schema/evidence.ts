/**
 * The schema's `p20link.evidence` section (protocols/linkage-schema.md,
 * "Evidence"): per-record evidence filters sent beside the CLK, for the
 * linker's match model. Its typed form and the checks a JSON Schema cannot
 * say (features of the linkage schema, slots of the templates, date tokens
 * on date features, ELD taps within the filter). The structure (keys, types,
 * ranges) is protocols/p20link-extension.schema.json (definitions/evidence),
 * checked with the rest of the extension. Computing the filters is
 * src/encode/evidence.ts.
 *
 *   "evidence": {
 *     "version": 1,
 *     "templates": [                       // keys derive from the template's name and slot order
 *       { "name": "name_dob", "l": 1024, "eld": { "bits": 1024, "taps": 2 },
 *         "slots": [ { "slot": "name", "tokens": ["bigrams"], "bitsPerToken": 20 },
 *                    { "slot": "dob", "tokens": ["date-bigrams", "year", "month-day", "day-month-set"], "bitsPerToken": 20 } ] } ],
 *     "filters": [                         // order = the encoded file's order
 *       { "name": "first_dob", "template": "name_dob", "fill": { "name": ["first_name"], "dob": ["birth_date"] } } ],
 *     "presence": ["first_name", "last_name", "birth_date"]   // bit i = feature i present
 *   }
 */
import { P20Error } from '../errors.js';
import type { EldConfig } from './hardening.js';
import type { LinkageSchema } from './types.js';

export const EVIDENCE_VERSION = 1;

/** The feature of the birth date, which every candidate pass of the linker but the names' and every comparison but `names` and `place_nodob` need. */
export const DATE_FEATURE = 'birth_date';
/**
 * Above this share of a file's records without the birth date (DATE_FEATURE)
 * the encoder and the linker warn: those records link on names, sex, ZIP and
 * initial alone (on generated data a wage file with a tenth more of its
 * dates left out lost about 2 points of recall; docs/link.md, "Warnings").
 */
export const MISSING_DATE_WARN_SHARE = 0.1;

/** Whether `missing` of a file's `records` without the birth date are more than MISSING_DATE_WARN_SHARE (the encoder's and the linker's warning). */
export function manyWithoutDate(missing: number, records: number): boolean {
  return missing > MISSING_DATE_WARN_SHARE * records;
}

/**
 * Below this share of a file's records with a birth date the linker has
 * too few of its dated records to learn from: the report's recall estimate
 * cannot estimate what its records without one miss beyond their candidates
 * (expected.ts missingFieldMatches, and the warning says so), and its party
 * pairs, whose candidates its names alone proposed, do not teach the match
 * model its m and u (link-files.ts teachingJobs).
 */
export const DATE_BASIS_SHARE = 0.05;

/** Whether a file of `records` with `missing` of them without the birth date holds one in fewer than DATE_BASIS_SHARE of them. */
export function fewWithDate(missing: number, records: number): boolean {
  return records - missing < DATE_BASIS_SHARE * records;
}

/** What a slot's value becomes: tokens of one kind each (every kind has its own key). */
export type EvidenceTokenKind = 'bigrams' | 'first-word-bigrams' | 'given-name-class-bigrams' | 'exact' | 'prefix-3' | 'date-bigrams' | 'year' | 'month-day' | 'day-month-set' | 'unordered-date';
/** Token kinds (the JSON Schema's enum lists the same). */
export const EVIDENCE_TOKEN_KINDS: readonly EvidenceTokenKind[] = ['bigrams', 'first-word-bigrams', 'given-name-class-bigrams', 'exact', 'prefix-3', 'date-bigrams', 'year', 'month-day', 'day-month-set', 'unordered-date'];
/** Kinds that read the value as a date (the slot's features must be date features). */
export const DATE_TOKEN_KINDS: readonly EvidenceTokenKind[] = ['date-bigrams', 'year', 'month-day', 'day-month-set', 'unordered-date'];

export interface EvidenceSlot {
  slot: string;
  tokens: EvidenceTokenKind[];
  bitsPerToken: number;
}

export interface EvidenceTemplate {
  name: string;
  /** Bloom-filter length in bits before ELD (a power of two). */
  l: number;
  /** Keyed ELD diffusion applied to every filter of the template; eld.bits is the filter's length in the encoded file. */
  eld: EldConfig;
  slots: EvidenceSlot[];
}

export interface EvidenceFilter {
  name: string;
  template: string;
  /** Slot -> features whose values fill it (all of a slot's features hash with the slot's keys: order-free). */
  fill: Record<string, string[]>;
}

export interface EvidenceConfig {
  version: 1;
  templates: EvidenceTemplate[];
  filters: EvidenceFilter[];
  /** Features of the presence byte, bit i (value 2^i) = feature i present; absent = no presence byte. */
  presence?: string[];
}

type Obj = Record<string, unknown>;

/**
 * Validate `p20link.evidence` after its structure passed the JSON Schema.
 * Refusals are SCHEMA_EXTENSION errors naming the JSON path.
 */
export function parseEvidence(raw: unknown, source: string, schema: LinkageSchema): EvidenceConfig {
  const fail = (path: string, message: string): never => {
    throw new P20Error('SCHEMA_EXTENSION', message, { file: source, field: `p20link.evidence${path}` });
  };
  const e = raw as Obj;
  const hashed = schema.features.filter((f) => !f.ignored);
  const names = hashed.map((f) => f.identifier).join(', ');
  const featureAt = (feat: string, path: string) => {
    const f = schema.features.find((x) => x.identifier === feat);
    if (!f) return fail(path, `"${feat}" is not a feature of the schema (hashed features: ${names})`);
    if (f.ignored) return fail(path, `"${feat}" is an ignored feature; evidence comes from hashed features (${names})`);
    return f;
  };

  const templates: EvidenceTemplate[] = [];
  (e.templates as Obj[]).forEach((t, i) => {
    const path = `.templates[${i}]`;
    if (templates.some((x) => x.name === t.name)) fail(`${path}.name`, `template "${t.name as string}" is defined twice`);
    const eld = t.eld as EldConfig;
    const l = t.l as number;
    if (eld.taps > l) fail(`${path}.eld.taps`, `must be at most the template's l (${l})`);
    const slots: EvidenceSlot[] = [];
    (t.slots as Obj[]).forEach((s, k) => {
      if (slots.some((x) => x.slot === s.slot)) fail(`${path}.slots[${k}].slot`, `slot "${s.slot as string}" is defined twice in the template`);
      slots.push({ slot: s.slot as string, tokens: [...(s.tokens as EvidenceTokenKind[])], bitsPerToken: s.bitsPerToken as number });
    });
    templates.push({ name: t.name as string, l, eld: { bits: eld.bits, taps: eld.taps }, slots });
  });

  const filters: EvidenceFilter[] = [];
  (e.filters as Obj[]).forEach((f, i) => {
    const path = `.filters[${i}]`;
    if (filters.some((x) => x.name === f.name)) fail(`${path}.name`, `filter "${f.name as string}" is defined twice`);
    const t = templates.find((x) => x.name === f.template);
    if (!t) return fail(`${path}.template`, `"${f.template as string}" is not a template of p20link.evidence.templates (${templates.map((x) => x.name).join(', ')})`);
    const fillIn = f.fill as Record<string, string[]>;
    const fill: Record<string, string[]> = {};
    for (const [slot, feats] of Object.entries(fillIn)) {
      const def = t.slots.find((s) => s.slot === slot);
      if (!def) fail(`${path}.fill.${slot}`, `is not a slot of template "${t.name}" (slots: ${t.slots.map((s) => s.slot).join(', ')})`);
      feats.forEach((feat, k) => {
        const fp = `${path}.fill.${slot}[${k}]`;
        const feature = featureAt(feat, fp);
        if (feats.indexOf(feat) !== k) fail(fp, `"${feat}" is listed twice`);
        const dateKinds = def!.tokens.filter((x) => DATE_TOKEN_KINDS.includes(x));
        if (dateKinds.length > 0 && (feature.ignored || feature.format.type !== 'date')) {
          fail(fp, `slot "${slot}" makes ${dateKinds.join(', ')} tokens, which need a date feature; "${feat}" is not one`);
        }
      });
      fill[slot] = [...feats];
    }
    for (const s of t.slots) if (!(s.slot in fill)) fail(`${path}.fill`, `must fill slot "${s.slot}" of template "${t.name}"`);
    filters.push({ name: f.name as string, template: t.name, fill });
  });
  for (const t of templates) {
    if (!filters.some((f) => f.template === t.name)) fail(`.templates`, `template "${t.name}" is used by no filter`);
  }

  const out: EvidenceConfig = { version: 1, templates, filters };
  if (e.presence !== undefined) {
    const presence = e.presence as string[];
    presence.forEach((feat, k) => {
      featureAt(feat, `.presence[${k}]`);
      if (presence.indexOf(feat) !== k) fail(`.presence[${k}]`, `"${feat}" is listed twice`);
    });
    out.presence = [...presence];
  }
  return out;
}
