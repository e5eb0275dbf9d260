import { resolve } from 'node:path';
import { createEvidenceEncoder } from '../../../src/encode/evidence.js';
import type { EvidenceConfig } from '../../../src/schema/evidence.js';
import type { EncodedHeader } from '../../../src/format/encoded-file.js';
import type { PartyData } from '../../../src/link/types.js';
import { calibratePlan, comparisonPlan, type ComparisonPlan } from '../../../src/link/model/compare.js';
import { loadLinkageSchema } from '../../../src/schema/linkage-schema.js';
import type { LinkageSchema } from '../../../src/schema/types.js';
import { popcountBytes } from '../../../src/util/popcount.js';

/** Fields of a test record (missing = undefined). */
export type Rec = Partial<Record<'first_name' | 'middle_name' | 'last_name' | 'birth_date' | 'sex' | 'zip', string>>;

/** Name pools of the model tests' generated records. */
export const FIRST = ['MARIA', 'JOHN', 'ANNA', 'LUIS', 'MEI', 'DAVID', 'FATIMA', 'OLGA'];
export const LAST = ['GARCIA', 'SMITH', 'NGUYEN', 'JOHNSON', 'KOWALSKI', 'OKAFOR', 'LEE', 'BROWN'];

/** The default schema (protocols/schemas/p20w-person.json), loaded once. */
export const DEFAULT_SCHEMA = await loadLinkageSchema(resolve(import.meta.dirname, '../../../protocols/schemas/p20w-person.json'));

/**
 * A maker of parties of records encoded with a schema's evidence filters
 * (the default schema's unless given; evidence filters and presence byte,
 * header `evidence` as the encoder writes it; the CLK is left empty).
 */
export function encodedParties(secret: string, schema: LinkageSchema = DEFAULT_SCHEMA): (name: string, recs: Rec[]) => PartyData {
  const cfg = schema.p20link!.evidence! as unknown as EvidenceConfig;
  const features = schema.features.map((f) => f.identifier);
  const enc = createEvidenceEncoder(schema, cfg, new TextEncoder().encode(secret), { cacheSize: 0 });
  return (name, recs) => {
    const rows = recs.map((r) => enc.encode(
      features.map((f) => r[f as keyof Rec] ?? ''),
      features.map((f) => r[f as keyof Rec] === undefined),
    ));
    const evidence = enc.filters.map((f, k) => {
      const stride = f.l / 8;
      const bytes = new Uint8Array(recs.length * stride);
      rows.forEach((ev, i) => bytes.set(ev.filters[k]!, i * stride));
      return { name: f.name, l: f.l, stride, bytes, popcounts: Uint32Array.from(rows, (ev) => popcountBytes(ev.filters[k]!)) };
    });
    return {
      name,
      file: `${name}.enc`,
      header: { l: 1024, presence: enc.presence, evidence: enc.filters } as unknown as EncodedHeader,
      ids: recs.map((_, i) => `${name}${i}`),
      count: recs.length,
      stride: 128,
      clks: new Uint8Array(recs.length * 128),
      popcounts: new Uint32Array(recs.length),
      blocks: {},
      evidence,
      presence: Uint8Array.from(rows, (ev) => ev.presence!),
    };
  };
}

/**
 * Pairs to compare, encoded: a plan calibrated on 300 records of `person`
 * on each side, and the parties A and B of `pairs` (A's record x with B's
 * record x, `idx` both ways).
 */
export function pairParties(party: (name: string, recs: Rec[]) => PartyData, pairs: readonly (readonly [Rec, Rec])[], person: () => Rec): { plan: ComparisonPlan; A: PartyData; B: PartyData; idx: number[] } {
  const U = 300;
  const RA = party('ra', Array.from({ length: U }, person));
  const RB = party('rb', Array.from({ length: U }, person));
  const plan = calibratePlan(comparisonPlan(RA), RA, RB, Array.from({ length: U }, (_, i) => i), Array.from({ length: U }, (_, i) => (i * 7 + 3) % U));
  const A = party('a', pairs.map((p) => p[0]));
  const B = party('b', pairs.map((p) => p[1]));
  return { plan, A, B, idx: Array.from({ length: pairs.length }, (_, i) => i) };
}
