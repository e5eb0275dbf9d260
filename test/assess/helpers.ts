/** Test helpers for the attack harness: synthetic people encoded in memory. */
import { prepareEncode } from '../../src/encode/pipeline.js';
import { createRowEncoder, planColumns } from '../../src/encode/row-encoder.js';
import { makePerson } from '../../src/synth/population.js';
import { plainNormalizers, normalizePlain } from '../../src/assess/reference.js';
import { DEFAULT_TARGETS, type AttackInput, type PlainRecord } from '../../src/assess/types.js';

export const TEST_SECRET = new TextEncoder().encode('p20link assess test secret (synthetic only)');
const HEADER = ['id', 'first_name', 'middle_name', 'last_name', 'birth_date', 'sex', 'zip'];

/** Raw rows of n generated people (seeded). */
export function people(seed: number, n: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const p = makePerson(seed, i);
    const b = p.birth;
    const dob = `${b.y}-${String(b.m).padStart(2, '0')}-${String(b.d).padStart(2, '0')}`;
    out.push([`r${i}`, p.first, p.middle, p.surnameParts.join(' '), dob, p.sex, p.zip]);
  }
  return out;
}

export interface Encoded {
  input: AttackInput;
  truth: PlainRecord[];
}

/** Encode victims with a schema and build the attack input (reference = other people). */
export async function encodeForAttack(schemaPath: string, victims: string[][], referenceRows: string[][], secret = TEST_SECRET): Promise<Encoded> {
  const { schema, ext } = await prepareEncode(schemaPath);
  const header = HEADER.filter((h) => h === 'id' || schema.features.some((f) => f.identifier === h));
  const pick = (row: string[]) => header.map((h) => row[HEADER.indexOf(h)]!);
  const plan = planColumns(header, schema, ext, 'test');
  const enc = createRowEncoder({ schema, ext, header, plan, secret });
  const clks: Uint8Array[] = [];
  const blocks: Record<string, string[]> = Object.fromEntries(ext.blocking.map((b) => [b.name, [] as string[]]));
  for (const row of victims) {
    const r = enc.encodeRow(pick(row));
    if (!r.ok) throw new Error(r.reason);
    clks.push(new Uint8Array(Buffer.from(r.clk, 'base64')));
    ext.blocking.forEach((b, i) => blocks[b.name]!.push(r.extras[i]!));
  }
  const norms = plainNormalizers(schema, ext);
  const toPlain = (row: string[]) => normalizePlain(Object.fromEntries(HEADER.slice(1).map((h, i) => [h, row[i + 1]!]).filter(([h]) => norms.has(h as string))), norms);
  return {
    input: { schema, ext, l: enc.l, clks, blocks, reference: referenceRows.map(toPlain), targets: DEFAULT_TARGETS, seed: 7 },
    truth: victims.map(toPlain),
  };
}

/** Random encodings of the same length and density as `clks`. */
export function randomLike(clks: readonly Uint8Array[], seed: number): Uint8Array[] {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  return clks.map((c) => {
    let ones = 0;
    for (const b of c) for (let i = 0; i < 8; i++) ones += (b >> i) & 1;
    const p = ones / (c.length * 8);
    const out = new Uint8Array(c.length);
    for (let i = 0; i < c.length * 8; i++) if (rnd() < p) out[i >>> 3]! |= 0x80 >>> (i & 7);
    return out;
  });
}
