import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  balance,
  balancePermutation,
  blip,
  createHardener,
  deriveHardeningKey,
  eldDiffuse,
  eldTaps,
  hardenedLength,
  rule90,
  saltedToken,
  xorFold,
} from '../../src/encode/harden.js';
import { parseHardening } from '../../src/schema/hardening.js';
import { P20Error } from '../../src/errors.js';

const V = JSON.parse(readFileSync(new URL('./fixtures/harden-vectors.json', import.meta.url), 'utf8')) as {
  secretUtf8: string;
  inputHex: string;
  l: number;
  keys: Record<'eld' | 'balance' | 'blip', string>;
  xorFold: string;
  rule90: string;
  eld: { bits: number; taps: number; first8Taps: number[]; output: string };
  balance: { first16Perm: number[]; output: string };
  blip: { f: number; output: string };
  saltedToken: string;
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const secret = new TextEncoder().encode(V.secretUtf8);
const input = new Uint8Array(Buffer.from(V.inputHex, 'hex'));
const popcount = (b: Uint8Array) => b.reduce((a, x) => a + ((x.toString(2).match(/1/g) ?? []).length), 0);
const getBit = (b: Uint8Array, i: number) => (b[i >>> 3]! >>> (7 - (i & 7))) & 1;
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('hardening known-answer vectors (test/encode/fixtures/harden-vectors.json)', () => {
  it('derives the method keys', () => {
    expect(hex(deriveHardeningKey(secret, 'eld'))).toBe(V.keys.eld);
    expect(hex(deriveHardeningKey(secret, 'balance'))).toBe(V.keys.balance);
    expect(hex(deriveHardeningKey(secret, 'blip'))).toBe(V.keys.blip);
  });
  it('xorFold, rule90, ELD, balance, BLIP and salted tokens give the committed outputs', () => {
    expect(hex(xorFold(input, V.l))).toBe(V.xorFold);
    expect(hex(rule90(input, V.l))).toBe(V.rule90);
    const taps = eldTaps(deriveHardeningKey(secret, 'eld'), V.l, { bits: V.eld.bits, taps: V.eld.taps });
    expect(Array.from(taps.slice(0, 24))).toEqual(V.eld.first8Taps);
    expect(hex(eldDiffuse(input, V.l, taps, V.eld.taps))).toBe(V.eld.output);
    const perm = balancePermutation(deriveHardeningKey(secret, 'balance'), V.l);
    expect(Array.from(perm.slice(0, 16))).toEqual(V.balance.first16Perm);
    expect(hex(balance(input, V.l, perm))).toBe(V.balance.output);
    expect(hex(blip(input, V.l, V.blip.f, deriveHardeningKey(secret, 'blip')))).toBe(V.blip.output);
    expect(JSON.stringify(saltedToken('1996', 'AN'))).toBe(V.saltedToken);
  });
  it('the XOR-fold vector is the bytewise XOR of the two halves (checked independently)', () => {
    const h = input.length / 2;
    const expected = input.slice(0, h).map((x, i) => x ^ input[h + i]!);
    expect(hex(xorFold(input, V.l))).toBe(hex(expected));
  });
});

describe('hardening properties', () => {
  it('XOR-folding halves the length and XORs bit i with bit i + l/2', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }).chain((k) => bytes(2 * k)), (b) => {
        const l = b.length * 8;
        const f = xorFold(b, l);
        expect(f.length * 8).toBe(l / 2);
        for (let i = 0; i < l / 2; i++) expect(getBit(f, i)).toBe(getBit(b, i) ^ getBit(b, i + l / 2));
      }),
    );
  });
  it('balancing gives 2l bits with popcount exactly l, whatever the input', () => {
    const perm = balancePermutation(deriveHardeningKey(secret, 'balance'), 256);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: 512 }, (_, i) => i));
    fc.assert(
      fc.property(bytes(32), (b) => {
        const out = balance(b, 256, perm);
        expect(out.length).toBe(64);
        expect(popcount(out)).toBe(256);
      }),
    );
  });
  it('BLIP flips each bit with probability f (within 4 standard deviations) and is reproducible per record', () => {
    const key = deriveHardeningKey(secret, 'blip');
    for (const f of [0.02, 0.05, 0.1]) {
      let flips = 0;
      const n = 300;
      const l = 1024;
      for (let r = 0; r < n; r++) {
        const rec = new Uint8Array(128);
        for (let i = 0; i < 128; i++) rec[i] = (r * 131 + i * 7) & 255;
        const out = blip(rec, l, f, key);
        expect(hex(blip(rec, l, f, key))).toBe(hex(out));
        for (let i = 0; i < 128; i++) flips += popcount(new Uint8Array([rec[i]! ^ out[i]!]));
      }
      const total = n * l;
      const sd = Math.sqrt(total * f * (1 - f));
      expect(Math.abs(flips - total * f)).toBeLessThan(4 * sd);
    }
  });
  it('BLIP depends on the secret: another secret flips other bits', () => {
    const a = blip(input, V.l, 0.1, deriveHardeningKey(secret, 'blip'));
    const b = blip(input, V.l, 0.1, deriveHardeningKey(new TextEncoder().encode('another secret entirely'), 'blip'));
    expect(hex(a)).not.toBe(hex(b));
  });
  it('rule 90 and ELD are linear over XOR (so they preserve Hamming structure for linkage)', () => {
    const taps = eldTaps(deriveHardeningKey(secret, 'eld'), 256, { bits: 192, taps: 3 });
    fc.assert(
      fc.property(bytes(32), bytes(32), (a, b) => {
        const x = a.map((v, i) => v ^ b[i]!);
        expect(hex(rule90(x, 256))).toBe(hex(rule90(a, 256).map((v, i) => v ^ rule90(b, 256)[i]!)));
        const ea = eldDiffuse(a, 256, taps, 3);
        const eb = eldDiffuse(b, 256, taps, 3);
        expect(hex(eldDiffuse(x, 256, taps, 3))).toBe(hex(ea.map((v, i) => v ^ eb[i]!)));
      }),
    );
  });
  it('ELD equals its bitwise definition (output bit j = XOR of the input bits at its taps) for any length, taps and width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((nb) =>
          fc.record({
            l: fc.integer({ min: Math.max(1, 8 * nb - 7), max: 8 * nb }),
            bits: fc.integer({ min: 1, max: 300 }),
            taps: fc.integer({ min: 1, max: 5 }),
            input: bytes(nb),
          }),
        ),
        fc.boolean(),
        ({ l, bits, taps: t, input: raw }, bigFirst) => {
          const x = raw.slice();
          if (l % 8 !== 0) x[x.length - 1]! &= (0xff << (8 - (l % 8))) & 0xff;
          const tt = Math.min(t, l);
          const taps = eldTaps(deriveHardeningKey(secret, 'eld'), l, { bits, taps: tt });
          // a larger input first, so stale scratch from an earlier call would show
          if (bigFirst) eldDiffuse(new Uint8Array(512).fill(0xff), 4096, eldTaps(deriveHardeningKey(secret, 'eld'), 4096, { bits: 64, taps: 2 }), 2);
          const expected = new Uint8Array(Math.ceil(bits / 8));
          for (let j = 0; j < bits; j++) {
            let v = 0;
            for (let k = 0; k < tt; k++) v ^= getBit(x, taps[j * tt + k]!);
            if (v) expected[j >>> 3]! |= 0x80 >>> (j & 7);
          }
          expect(hex(eldDiffuse(x, l, taps, tt))).toBe(hex(expected));
        },
      ),
      { numRuns: 200 },
    );
  });
  it('ELD taps are distinct and in range for every output bit', () => {
    const taps = eldTaps(deriveHardeningKey(secret, 'eld'), 1024, { bits: 1024, taps: 4 });
    for (let j = 0; j < 1024; j++) {
      const t = Array.from(taps.slice(4 * j, 4 * j + 4));
      expect(new Set(t).size).toBe(4);
      for (const p of t) expect(p).toBeLessThan(1024);
    }
  });
  it('the hardener applies eld → xorFold → balance → blip, and hardenedLength predicts its length', () => {
    const cfg = parseHardening({ version: 1, eld: { bits: 512, taps: 3 }, xorFold: 1, balance: true, blip: { f: 0.02 } }, 's.json', ['a'], 1024);
    const h = createHardener(cfg, 1024, secret)!;
    const out = h(new Uint8Array(128).fill(0x5a));
    expect(out.length * 8).toBe(hardenedLength(cfg, 1024));
    expect(hardenedLength(cfg, 1024)).toBe(512);
    expect(createHardener({ version: 1 }, 1024, secret)).toBeNull();
  });
});

describe('parseHardening refuses bad sections with the JSON path', () => {
  const cases: [string, unknown, string][] = [
    ['unknown key', { version: 1, foo: 1 }, 'p20link.hardening.foo'],
    ['version', { version: 2 }, 'p20link.hardening.version'],
    ['eld bits', { version: 1, eld: { bits: 100, taps: 3 } }, 'p20link.hardening.eld.bits'],
    ['eld taps', { version: 1, eld: { bits: 1024, taps: 1 } }, 'p20link.hardening.eld.taps'],
    ['blip f', { version: 1, blip: { f: 0.6 } }, 'p20link.hardening.blip.f'],
    ['salt feature', { version: 1, salt: { from: 'dob', transform: 'year', features: ['nope'] } }, 'p20link.hardening.salt.features[0]'],
    ['salt self', { version: 1, salt: { from: 'dob', transform: 'year', features: ['dob'] } }, 'p20link.hardening.salt.features[0]'],
    ['fold too far', { version: 1, eld: { bits: 64, taps: 2 }, xorFold: 4 }, 'p20link.hardening.xorFold'],
  ];
  for (const [name, raw, field] of cases) {
    it(name, () => {
      try {
        parseHardening(raw, 's.json', ['first', 'dob'], 1024);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(P20Error);
        expect((e as P20Error).location.field).toBe(field);
        expect((e as P20Error).kind).toBe('input'); // exit status 2 (the CLI maps kinds to statuses)
      }
    });
  }
});
