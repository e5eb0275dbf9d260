/**
 * Evidence filters under attack. An evidence filter (src/schema/evidence.ts)
 * is a Bloom filter of a public template: slots filled from the person's
 * features (e.g. first and last name hashed with one key, plus sex; or one
 * name plus birth-date tokens), ELD-diffused. The attacker knows the
 * template (the schema is public) but not the keys, so it attacks a filter
 * column exactly as it attacks the CLK: the template becomes a linkage
 * schema (one feature per slot and token kind), and each reference person
 * gets that schema's values (a slot filled by several features holds their
 * values joined by a space, whose bigrams are the union of each value's
 * padded bigrams).
 */
import { templateSchema, tokenValue } from '../encode/evidence.js';
import type { P20linkExtension } from '../schema/extension.js';
import type { EvidenceFilter, EvidenceTemplate } from '../schema/evidence.js';
import type { AttackInput, ClusterKey, PlainRecord, Targets } from './types.js';

export interface EvidenceColumn {
  name: string;
  l: number;
  rows: readonly Uint8Array[];
}

/** The reference person's values of a template's slots (features "<slot>:<kind>"), beside its plain features. */
export function templateRecord(t: EvidenceTemplate, f: EvidenceFilter, r: PlainRecord): PlainRecord {
  const out: PlainRecord = { ...r };
  for (const s of t.slots) {
    // sorted: a slot hashes its features' values with one key, so their order does not matter
    const values = (f.fill[s.slot] ?? [])
      .map((x) => r[x] ?? '')
      .filter((v) => v !== '')
      .sort();
    for (const kind of s.tokens) {
      let v = '';
      if (values.length > 0) {
        if (kind === 'bigrams' || kind === 'exact') v = values.join(' ');
        else v = tokenValue(kind, values[0]!, values[0]!.replace(/[^0-9]/g, ''));
      }
      out[`${s.slot}:${kind}`] = v;
    }
  }
  return out;
}

/** The attack input of one evidence filter column, or undefined when the schema does not define it. */
export function evidenceAttackInput(base: AttackInput, ext: P20linkExtension, col: EvidenceColumn): AttackInput | undefined {
  const cfg = ext.evidence;
  const f = cfg?.filters.find((x) => x.name === col.name);
  const t = f && cfg!.templates.find((x) => x.name === f.template);
  if (!f || !t) return undefined;
  const targets = base.targets;
  // which slot holds which target
  const slotOf = (feature: string): string | undefined => t.slots.find((s) => (f.fill[s.slot] ?? []).includes(feature) && s.tokens.includes('bigrams'))?.slot;
  const tokenFeatures: Partial<Record<keyof Targets, string>> = {};
  for (const a of ['first', 'last'] as const) {
    const s = slotOf(targets[a]);
    if (s !== undefined) tokenFeatures[a] = `${s}:bigrams`;
  }
  // cluster keys: first what makes two filters identical (every slot value of the template), then the target fields it holds
  const schema = templateSchema(t);
  const held = [targets.first, targets.last, targets.birth].filter((x) => Object.values(f.fill).some((v) => v.includes(x)));
  const clusterKeys: ClusterKey[] = [
    { name: `template(${schema.features.map((x) => x.identifier).join(',')})`, features: schema.features.map((x) => x.identifier) },
    ...held.map((x) => ({ name: x, features: [x] })),
  ];
  return {
    ...base,
    schema,
    ext: { ...ext, blocking: [], hardening: { version: 1, eld: t.eld } },
    l: col.l,
    clks: col.rows,
    blocks: {},
    reference: base.reference.map((r) => templateRecord(t, f, r)),
    column: `ev:${col.name}`,
    tokenFeatures,
    clusterKeys,
  };
}
