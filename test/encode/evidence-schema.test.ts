/** The schema's p20link.evidence section: validation with errors naming the field, and the fingerprint covering it. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseExtension } from '../../src/schema/extension.js';
import { parseLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';
import { p20Thrown } from '../helpers/errors.js';

const doc = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../protocols/schemas/p20w-person.json'), 'utf8')) as { p20link: Record<string, unknown> } & Record<string, unknown>;
const schema = parseLinkageSchema(doc, 'p20w-person.json');
const evidence = doc.p20link.evidence as Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** The evidence section as JSON, loosely typed so the cases can break it. */
interface EvJson {
  [key: string]: unknown;
  version: unknown;
  templates: { name: string; l: number; eld?: { bits: number; taps: number }; slots: { slot: string; tokens: string[]; bitsPerToken: number }[] }[];
  filters: { name: string; template: string; fill: Record<string, string[]> }[];
  presence: string[];
}

/** The default extension with its evidence section changed by `edit`. */
function withEvidence(edit: (e: EvJson) => void): Record<string, unknown> {
  const e = clone(evidence) as EvJson;
  edit(e);
  return { ...clone(doc.p20link), evidence: e };
}

describe('p20link.evidence in the schema', () => {
  it('the default schema parses to four filters over three templates and a six-feature presence byte', () => {
    const ext = parseExtension(schema.p20link, schema.source, schema);
    const ev = ext.evidence!;
    expect(ev.templates.map((t) => [t.name, t.l, t.eld])).toEqual([
      ['names', 1024, { bits: 1024, taps: 2 }],
      ['name_dob', 1024, { bits: 1024, taps: 2 }],
      ['place', 1024, { bits: 1024, taps: 2 }],
    ]);
    expect(ev.filters.map((f) => [f.name, f.template])).toEqual([
      ['names', 'names'],
      ['first_dob', 'name_dob'],
      ['last_dob', 'name_dob'],
      ['place', 'place'],
    ]);
    expect(ev.presence).toEqual(['first_name', 'last_name', 'birth_date', 'sex', 'zip', 'middle_name']);
  });

  const cases: [string, (e: EvJson) => void, string, RegExp][] = [
    ['wrong version', (e) => (e.version = 2), 'p20link.evidence.version', /must be 1/],
    ['unknown key', (e) => (e.filter = []), 'p20link.evidence.filter', /unknown key/],
    ['no templates', (e) => delete (e as Partial<EvJson>).templates, 'p20link.evidence.templates', /non-empty array of templates/],
    ['l not a power of two', (e) => (e.templates[0]!.l = 1000), 'p20link.evidence.templates[0].l', /power of two/],
    ['no ELD', (e) => delete e.templates[0]!.eld, 'p20link.evidence.templates[0].eld', /ELD-diffused/],
    ['ELD bits', (e) => (e.templates[1]!.eld!.bits = 1000), 'p20link.evidence.templates[1].eld.bits', /multiple of 64/],
    ['ELD taps', (e) => (e.templates[0]!.eld!.taps = 1), 'p20link.evidence.templates[0].eld.taps', /from 2 to 16/],
    ['unknown token kind', (e) => (e.templates[0]!.slots[0]!.tokens = ['trigrams']), 'p20link.evidence.templates[0].slots[0].tokens[0]', /one of bigrams/],
    ['bits per token', (e) => (e.templates[0]!.slots[1]!.bitsPerToken = 0), 'p20link.evidence.templates[0].slots[1].bitsPerToken', /1 to 256/],
    ['slot twice', (e) => (e.templates[0]!.slots[1]!.slot = 'name'), 'p20link.evidence.templates[0].slots[1].slot', /defined twice/],
    ['template twice', (e) => (e.templates[1]!.name = 'names'), 'p20link.evidence.templates[1].name', /defined twice/],
    ['filter twice', (e) => (e.filters[2]!.name = 'first_dob'), 'p20link.evidence.filters[2].name', /defined twice/],
    ['unknown template', (e) => (e.filters[0]!.template = 'nmes'), 'p20link.evidence.filters[0].template', /not a template/],
    ['unknown feature', (e) => (e.filters[0]!.fill.name = ['first_name', 'surname']), 'p20link.evidence.filters[0].fill.name[1]', /"surname" is not a feature of the schema/],
    ['feature twice', (e) => (e.filters[0]!.fill.name = ['first_name', 'first_name']), 'p20link.evidence.filters[0].fill.name[1]', /listed twice/],
    ['slot not in template', (e) => (e.filters[1]!.fill.sex = ['sex']), 'p20link.evidence.filters[1].fill.sex', /not a slot of template "name_dob"/],
    ['slot left empty', (e) => delete e.filters[1]!.fill.dob, 'p20link.evidence.filters[1].fill', /must fill slot "dob"/],
    ['empty fill list', (e) => (e.filters[1]!.fill.dob = []), 'p20link.evidence.filters[1].fill.dob', /non-empty array/],
    ['date tokens from a name', (e) => (e.filters[1]!.fill.dob = ['last_name']), 'p20link.evidence.filters[1].fill.dob[0]', /need a date feature/],
    ['unused template', (e) => e.filters.splice(0, 1), 'p20link.evidence.templates', /used by no filter/],
    ['presence unknown feature', (e) => (e.presence = ['first_name', 'dob']), 'p20link.evidence.presence[1]', /"dob" is not a feature/],
    ['presence too long', (e) => (e.presence = ['first_name', 'last_name', 'birth_date', 'sex', 'zip', 'middle_name', 'a', 'b', 'c']), 'p20link.evidence.presence', /1 to 8/],
    ['presence twice', (e) => (e.presence = ['zip', 'zip']), 'p20link.evidence.presence[1]', /listed twice/],
    ['bad filter name', (e) => (e.filters[0]!.name = 'ev names'), 'p20link.evidence.filters[0].name', /letters, digits/],
  ];
  it.each(cases)('refuses %s, naming the field', (_, edit, field, message) => {
    const e = p20Thrown(() => parseExtension(withEvidence(edit), 's.json', schema));
    expect(e.code).toBe('SCHEMA_EXTENSION');
    expect(e.location).toEqual({ file: 's.json', field });
    expect(e.message).toMatch(message);
  });

  it('refuses an ignored feature as evidence', () => {
    const d = clone(doc) as unknown as { features: unknown[] };
    d.features.push({ identifier: 'ssn', ignored: true });
    const s = parseLinkageSchema(d, 'x.json');
    const ext = { ...clone(doc.p20link), evidence: { ...clone(evidence), presence: ['ssn'] } };
    const e = p20Thrown(() => parseExtension(ext, 'x.json', s));
    expect(e.location.field).toBe('p20link.evidence.presence[0]');
    expect(e.message).toMatch(/ignored feature/);
  });

  it('the schema fingerprint covers the section: any change of it changes the fingerprint', () => {
    const fp = (p20link: unknown) => schemaFingerprint(parseLinkageSchema({ ...clone(doc), p20link }, 'x.json'));
    const base = fp(doc.p20link);
    const variants = [
      withEvidence((e) => (e.templates[0]!.slots[0]!.bitsPerToken = 43)),
      withEvidence((e) => (e.templates[1]!.eld!.taps = 3)),
      withEvidence((e) => (e.filters[0]!.fill.name = ['last_name', 'first_name'])),
      withEvidence((e) => e.presence.pop()),
      (() => {
        const x = clone(doc.p20link);
        delete x.evidence;
        return x;
      })(),
    ];
    const fps = variants.map(fp);
    for (const f of fps) expect(f).not.toBe(base);
    expect(new Set(fps).size).toBe(fps.length);
  });
});
