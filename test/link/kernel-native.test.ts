import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jsKernel } from '../../src/link/kernel/js.js';
import { load, NATIVE_FILE, nativeKernel, nativeStatus, resetNativeStatus, SELF_TEST_EXPECTED, selfTestRuns, type NativeAddon } from '../../src/link/kernel/native.js';
import type { KernelOps } from '../../src/link/kernel/ops.js';
import { memoryKernel, resolveKernel } from '../../src/link/kernel/select.js';
import { createSharedMemory, wasmKernel } from '../../src/link/kernel/wasm.js';
import { scorePairs } from '../../src/link/score.js';
import type { ScoredPairs } from '../../src/link/types.js';
import { corrupt, party, randomClk, rng } from './score-fixtures.js';

/**
 * The optional native Dice kernel (src/link/kernel/native/dice.c) against
 * the WebAssembly and JavaScript kernels, bit for bit, on every CPU code
 * path this machine has; and the automatic fallback to WebAssembly when the
 * native kernel is missing, broken or wrong. The native kernel is compiled
 * here into a temporary folder with the local C compiler; without one the
 * native comparisons are skipped (the fallback tests still run).
 */

function hasCompiler(): boolean {
  try {
    execFileSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' });
    return process.platform !== 'win32';
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'p20-native-test-'));
const goodPath = join(dir, NATIVE_FILE);
const wrongPath = join(dir, `wrong-${NATIVE_FILE}`);
const cc = hasCompiler();
let addon: NativeAddon | null = null;
let levels: number[] = [];
const savedEnv = { path: process.env.P20LINK_NATIVE_PATH, kernel: process.env.P20LINK_KERNEL };

beforeAll(async () => {
  if (!cc) return;
  const { compileNative } = (await import('../../src/link/kernel/native/build.mjs')) as {
    compileNative: (out: string, o?: { defines?: string[] }) => { ok: boolean; message: string };
  };
  const good = compileNative(goodPath);
  expect(good.message).toBe('');
  expect(compileNative(wrongPath, { defines: ['P20_TEST_WRONG_KERNEL'] }).ok).toBe(true);
  const st = load([goodPath]);
  expect(st.reason).toBe('');
  addon = st.addon;
  levels = [0, 1, 2, 3].filter((lv) => lv <= addon!.level());
});

function restoreEnv(): void {
  if (savedEnv.path === undefined) delete process.env.P20LINK_NATIVE_PATH;
  else process.env.P20LINK_NATIVE_PATH = savedEnv.path;
  if (savedEnv.kernel === undefined) delete process.env.P20LINK_KERNEL;
  else process.env.P20LINK_KERNEL = savedEnv.kernel;
  resetNativeStatus();
}
afterEach(restoreEnv);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A and B matrices of rows of l bits in one shared kernel memory. */
interface Mem {
  memory: ReturnType<typeof createSharedMemory>;
  buffer: ArrayBufferLike;
  stride: number;
  clkA: number;
  popA: number;
  clkB: number;
  popB: number;
  out: number;
  outCap: number;
  end: number;
}

function popcount(c: Uint8Array): number {
  let p = 0;
  for (const b of c) for (let x = b; x; x &= x - 1) p++;
  return p;
}

function lay(l: number, rowsA: Uint8Array[], rowsB: Uint8Array[], extra = 0): Mem {
  const stride = Math.ceil(l / 64) * 8;
  const up = (x: number) => Math.ceil(x / 16) * 16;
  const clkA = 64;
  const popA = up(clkA + rowsA.length * stride);
  const clkB = up(popA + rowsA.length * 4);
  const popB = up(clkB + rowsB.length * stride);
  const out = up(popB + rowsB.length * 4);
  const outCap = Math.max(1, rowsA.length * Math.max(rowsA.length, rowsB.length));
  const end = up(out + outCap * 12);
  const memory = createSharedMemory(end + extra + 64);
  const u8 = new Uint8Array(memory.buffer);
  const u32 = new Uint32Array(memory.buffer);
  rowsA.forEach((r, i) => {
    u8.set(r, clkA + i * stride);
    u32[(popA >>> 2) + i] = popcount(r);
  });
  rowsB.forEach((r, j) => {
    u8.set(r, clkB + j * stride);
    u32[(popB >>> 2) + j] = popcount(r);
  });
  return { memory, buffer: memory.buffer, stride, clkA, popA, clkB, popB, out, outCap, end };
}

/** Sorted triples (a, b, score bits) of a rect call, and the compared count. */
function rectRun(k: KernelOps, m: Mem, i0: number, i1: number, j0: number, j1: number, t: number, within: number): { pairs: string[]; compared: number } {
  k.resetCounters();
  const n = k.rect(m.clkA, m.popA, i0, i1, within ? m.clkA : m.clkB, within ? m.popA : m.popB, j0, j1, m.stride, t, within, m.out);
  const u32 = new Uint32Array(m.buffer, m.out, n * 3);
  const pairs: string[] = [];
  for (let x = 0; x < n; x++) pairs.push(`${u32[3 * x]},${u32[3 * x + 1]},${u32[3 * x + 2]!.toString(16)}`);
  return { pairs: pairs.sort(), compared: k.compared() };
}

function ones(l: number): Uint8Array {
  const c = new Uint8Array(Math.ceil(l / 8));
  for (let b = 0; b < l; b++) c[b >> 3]! |= 1 << (b & 7);
  return c;
}

/** Rows of every kind: random at a random fill, all zero, all ones, near-copies of others. */
function rows(l: number, n: number, r: () => number, like: Uint8Array[] = []): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const kind = r();
    if (kind < 0.1) return new Uint8Array(Math.ceil(l / 8));
    if (kind < 0.2) return ones(l);
    if (kind < 0.55 && like.length > 0) return corrupt(like[i % like.length]!, l, r() * 0.1, r);
    return randomClk(l, r() * 0.9, r);
  });
}

/** Dice of a pair exactly as the kernels compute it (f64 quotient). */
function diceOf(a: Uint8Array, b: Uint8Array): number {
  let x = 0;
  for (let k = 0; k < a.length; k++) for (let v = a[k]! & b[k]!; v; v &= v - 1) x++;
  const s = popcount(a) + popcount(b);
  return s === 0 ? 0 : (2 * x) / s;
}

const lengths = [1, 7, 8, 63, 64, 65, 100, 127, 128, 129, 200, 511, 512, 513, 1000, 1023, 1024, 1025, 1536, 2048, 2100];

describe.skipIf(!cc)('native Dice kernel = WebAssembly = JavaScript, bit for bit', () => {
  it('rect: random rows of every kind, every length class, sub-ranges, ties, both modes, every CPU path', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...lengths),
        fc.integer({ min: 0, max: 37 }),
        fc.integer({ min: 0, max: 37 }),
        fc.integer(),
        fc.oneof(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.constantFrom(1, 0.5, 0.8, 2 / 3, Number.MIN_VALUE), fc.constant(-1)),
        fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()),
        (l, nA, nB, seed, tIn, cut) => {
          const r = rng(seed);
          const A = rows(l, nA, r);
          const B = rows(l, nB, r, A);
          // -1: a threshold exactly at the Dice value of an actual pair (a tie)
          let t = tIn;
          if (t < 0) {
            const d = nA > 0 && nB > 0 ? diceOf(A[cut[0] % nA]!, B[cut[1] % nB]!) : 0.5;
            t = d > 0 ? d : 0.5;
          }
          const m = lay(l, A, B);
          const i0 = nA ? cut[0] % (nA + 1) : 0;
          const i1 = nA ? i0 + (cut[1] % (nA - i0 + 1)) : 0;
          const j0 = nB ? cut[2] % (nB + 1) : 0;
          const j1 = nB ? j0 + (cut[3] % (nB - j0 + 1)) : 0;
          const js = jsKernel(m.buffer);
          const wasm = wasmKernel(m.memory);
          for (const within of [0, 1]) {
            const jEnd = within ? nA : j1;
            const jStart = within ? 0 : j0;
            const want = rectRun(js, m, i0, i1, jStart, jEnd, t, within);
            expect(rectRun(wasm, m, i0, i1, jStart, jEnd, t, within)).toEqual(want);
            for (const lv of levels) expect(rectRun(nativeKernel(addon!, m.buffer, undefined, lv), m, i0, i1, jStart, jEnd, t, within)).toEqual(want);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rect at exact ties: a threshold equal to a pair\'s Dice keeps it, the next double above drops it', () => {
    const l = 1024;
    const r = rng(5);
    const A = rows(l, 16, r);
    const B = A.map((a) => corrupt(a, l, 0.05, r));
    const m = lay(l, A, B);
    for (let k = 0; k < 16; k += 3) {
      const t = diceOf(A[k]!, B[k]!);
      const above = t + Number.EPSILON * t;
      for (const lv of levels) {
        const nat = nativeKernel(addon!, m.buffer, undefined, lv);
        const at = rectRun(nat, m, 0, 16, 0, 16, t, 0).pairs;
        expect(at).toEqual(rectRun(jsKernel(m.buffer), m, 0, 16, 0, 16, t, 0).pairs);
        expect(at.some((p) => p.startsWith(`${k},${k},`))).toBe(true);
        const over = rectRun(nat, m, 0, 16, 0, 16, above, 0).pairs;
        expect(over.some((p) => p.startsWith(`${k},${k},`))).toBe(false);
      }
    }
  });

  it('buckets: resumable with a small output buffer, same pairs, counts and resume points as JavaScript', () => {
    fc.assert(
      fc.property(fc.constantFrom(64, 200, 1024, 1100), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), fc.integer(), fc.integer({ min: 1, max: 40 }), fc.boolean(), (l, nA, nB, seed, outCap, within) => {
        const r = rng(seed);
        const A = rows(l, nA, r);
        const B = rows(l, nB, r, A);
        const nb = 3;
        const band = 2;
        const m = lay(l, A, B, (nA + nB) * (nb * 4 + 8) + 64);
        const u32 = new Uint32Array(m.buffer);
        const keysA = m.end;
        const keysB = keysA + nA * nb * 4;
        const orderA = keysB + nB * nb * 4;
        const orderB = orderA + nA * 4;
        const table = orderB + nB * 4;
        // earlier bands' keys: small values, so some pairs are duplicates and skipped
        for (let x = 0; x < nA * nb; x++) u32[(keysA >>> 2) + x] = Math.floor(r() * 3);
        for (let x = 0; x < nB * nb; x++) u32[(keysB >>> 2) + x] = 10 + Math.floor(r() * 3);
        for (let x = 0; x < nB * nb; x += 2) u32[(keysB >>> 2) + x] = Math.floor(r() * 3);
        for (let i = 0; i < nA; i++) u32[(orderA >>> 2) + i] = nA - 1 - i;
        for (let j = 0; j < nB; j++) u32[(orderB >>> 2) + j] = j;
        // two buckets: first half / second half of each order
        const hA = nA >> 1;
        const hB = nB >> 1;
        const nBuckets = within ? 2 : 2;
        u32.set(within ? [0, hA, 0, 0, hA, nA - hA, 0, 0] : [0, hA, 0, hB, hA, nA - hA, hB, nB - hB], table >>> 2);
        const cap = Math.max(outCap, within ? nA : nB);
        const run = (k: KernelOps) => {
          k.resetCounters();
          k.setResume(0, 0);
          const got: string[] = [];
          const stops: string[] = [];
          while (k.resumeBucket() < nBuckets) {
            const n = k.buckets(m.clkA, m.popA, within ? m.clkA : m.clkB, within ? m.popA : m.popB, m.stride, 0.4, keysA, within ? keysA : keysB, nb, band, orderA, orderB, table, nBuckets, within ? 1 : 0, m.out, cap);
            const o = new Uint32Array(m.buffer, m.out, n * 3);
            for (let x = 0; x < n; x++) got.push(`${o[3 * x]},${o[3 * x + 1]},${o[3 * x + 2]!.toString(16)}`);
            stops.push(`${k.resumeBucket()}/${k.resumeRow()}`);
          }
          return { got, stops, compared: k.compared(), candidates: k.candidates() };
        };
        const want = run(jsKernel(m.buffer));
        expect(run(wasmKernel(m.memory))).toEqual(want);
        for (const lv of levels) expect(run(nativeKernel(addon!, m.buffer, undefined, lv))).toEqual(want);
      }),
      { numRuns: 80 },
    );
  });

  it('scorePairs with the native kernel equals the WebAssembly and JavaScript kernels (all pairs, LSH, keys blocking)', async () => {
    process.env.P20LINK_NATIVE_PATH = goodPath;
    resetNativeStatus();
    expect(resolveKernel('auto')).toBe('native');
    const r = rng(11);
    const l = 1024;
    const ca = Array.from({ length: 150 }, () => randomClk(l, 0.35, r));
    const cb = Array.from({ length: 170 }, (_, j) => (j % 2 === 0 ? corrupt(ca[j % 150]!, l, 0.05, r) : randomClk(l, 0.35, r)));
    const yob = (n: number) => Array.from({ length: n }, (_, i) => String(i % 4));
    const a = party('a', l, ca, { yob: yob(150) });
    const b = party('b', l, cb, { yob: yob(170) });
    const triples = (p: ScoredPairs) => Array.from(p.a, (x, k) => [x, p.b[k]!, p.score[k]!]);
    for (const blocking of [{ kind: 'none' }, { kind: 'lsh', bands: 10, rows: 4 }] as const) {
      for (const t of [0.5, 0.75, 0.9]) {
        const js = await scorePairs(a, b, { threshold: t, blocking, workers: 1, kernel: 'js' });
        const wasm = await scorePairs(a, b, { threshold: t, blocking, workers: 1, kernel: 'wasm' });
        const nat = await scorePairs(a, b, { threshold: t, blocking, workers: 1, kernel: 'native' });
        const auto = await scorePairs(a, null, { threshold: t, blocking, workers: 1 });
        const autoJs = await scorePairs(a, null, { threshold: t, blocking, workers: 1, kernel: 'js' });
        expect(triples(nat)).toEqual(triples(js));
        expect(triples(wasm)).toEqual(triples(js));
        expect([nat.candidates, nat.compared]).toEqual([js.candidates, js.compared]);
        expect(triples(auto)).toEqual(triples(autoJs));
        expect([auto.candidates, auto.compared]).toEqual([autoJs.candidates, autoJs.compared]);
      }
    }
  });

  it('offsets past the end of the memory are refused with a RangeError, not read', () => {
    const m = lay(1024, rows(1024, 4, rng(1)), rows(1024, 4, rng(2)));
    const nat = nativeKernel(addon!, m.buffer);
    const len = m.buffer.byteLength;
    expect(() => nat.rect(m.clkA, m.popA, 0, 4, m.clkB, m.popB, 0, len, m.stride, 0.8, 0, m.out)).toThrow(RangeError);
    expect(() => nat.rect(len, m.popA, 0, 4, m.clkB, m.popB, 0, 4, m.stride, 0.8, 0, m.out)).toThrow(RangeError);
    expect(() => nat.rect(m.clkA, m.popA, 0, 4, m.clkB, m.popB, 0, 4, 12, 0.8, 0, m.out)).toThrow(RangeError);
    expect(() => nat.buckets(m.clkA, m.popA, m.clkB, m.popB, m.stride, 0.8, 0, 0, 0, 0, 0, 0, len - 8, 1, 0, m.out, 1)).toThrow(RangeError);
    // a bucket whose record index points past the memory
    const u32 = new Uint32Array(m.buffer);
    const table = m.end;
    const order = table + 16;
    u32.set([0, 1, 0, 1], table >>> 2);
    u32[order >>> 2] = 0x7fffffff;
    nat.setResume(0, 0);
    expect(() => nat.buckets(m.clkA, m.popA, m.clkB, m.popB, m.stride, 0.8, 0, 0, 0, 0, order, order, table, 1, 0, m.out, 4)).toThrow(RangeError);
  });
});

describe('the half-way bound of the 1024-bit kernels never drops a pair', () => {
  it('pairs whose whole overlap lies in the second 512 bits, at the exact tie and just above, in every kernel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 200 }), fc.integer(), (k, mm, k2, seed) => {
        const l = 1024;
        const r = rng(seed);
        // A: k bits in the first half, mm in the second; B: k2 other first-half bits, the same mm
        const a = new Uint8Array(128);
        const b = new Uint8Array(128);
        const first = Array.from({ length: 512 }, (_, x) => x).sort(() => r() - 0.5);
        for (let x = 0; x < Math.min(k, 256); x++) a[first[x]! >> 3]! |= 1 << (first[x]! & 7);
        for (let x = 256; x < 256 + Math.min(k2, 256); x++) b[first[x]! >> 3]! |= 1 << (first[x]! & 7);
        const second = Array.from({ length: 512 }, (_, x) => 512 + x).sort(() => r() - 0.5);
        for (let x = 0; x < mm; x++) {
          a[second[x]! >> 3]! |= 1 << (second[x]! & 7);
          b[second[x]! >> 3]! |= 1 << (second[x]! & 7);
        }
        const A = [a, randomClk(l, 0.4, r), a];
        const B = [b, randomClk(l, 0.4, r), b, Uint8Array.from(a)];
        const m = lay(l, A, B);
        const tie = diceOf(a, b);
        for (const t of [tie, tie * (1 + Number.EPSILON)]) {
          if (!(t > 0 && t <= 1)) continue;
          const want = rectRun(jsKernel(m.buffer), m, 0, 3, 0, 4, t, 0);
          expect(want.pairs.some((p) => p.startsWith('0,0,'))).toBe(t === tie);
          expect(rectRun(wasmKernel(m.memory), m, 0, 3, 0, 4, t, 0)).toEqual(want);
          for (const lv of levels) expect(rectRun(nativeKernel(addon!, m.buffer, undefined, lv), m, 0, 3, 0, 4, t, 0)).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('the native self-test answers', () => {
  // the self-test holds the native kernel to recorded answers of the JavaScript kernel: they must still be its answers
  it('are what the JavaScript kernel gives on the self-test runs', () => {
    const got: string[] = [];
    expect(selfTestRuns((buf) => jsKernel(buf), (g) => (got.push(g), ''))).toBe('');
    expect(got).toEqual([...SELF_TEST_EXPECTED]);
    // the runs find pairs, and scores differ by length: a kernel that found nothing would not pass
    expect(SELF_TEST_EXPECTED.filter((x) => x.length > 20).length).toBe(6);
    expect(new Set(SELF_TEST_EXPECTED).size).toBe(7);
  });

  it('report the first run that differs', () => {
    const failAt = (bad: number) => {
      let k = 0;
      return selfTestRuns((buf) => jsKernel(buf), (g, what) => (k++ === bad || g !== SELF_TEST_EXPECTED[k - 1] ? what : ''));
    };
    expect(failAt(-1)).toBe('');
    expect(failAt(2)).toBe('buckets l=1024');
    expect(failAt(7)).toBe('rect l=2048 within=1');
  });
});

describe('kernel selection falls back to WebAssembly', () => {
  it('when the native kernel is not there', async () => {
    const missing = join(dir, 'nothing-here.node');
    expect(load([missing])).toMatchObject({ addon: null, reason: expect.stringMatching(/not built/) });
    process.env.P20LINK_NATIVE_PATH = missing;
    resetNativeStatus();
    expect(nativeStatus().addon).toBeNull();
    expect(resolveKernel('auto')).toBe('wasm');
    expect(resolveKernel('native')).toBe('wasm');
    const mem = createSharedMemory(65536);
    expect(memoryKernel(mem, undefined, 'auto').kind).toBe('wasm');
    expect(memoryKernel(mem, undefined, 'native').kind).toBe('wasm');
    expect(memoryKernel(mem, undefined, 'js').kind).toBe('js');
    const r = rng(3);
    const ca = Array.from({ length: 40 }, () => randomClk(300, 0.4, r));
    const a = party('a', 300, ca);
    const b = party('b', 300, ca.map((c) => corrupt(c, 300, 0.03, r)));
    const nat = await scorePairs(a, b, { threshold: 0.8, blocking: { kind: 'none' }, workers: 1, kernel: 'native' });
    const js = await scorePairs(a, b, { threshold: 0.8, blocking: { kind: 'none' }, workers: 1, kernel: 'js' });
    expect(Array.from(nat.score)).toEqual(Array.from(js.score));
    expect(nat.a.length).toBeGreaterThan(30);
  });

  it('when the file is not a loadable addon', () => {
    const junk = join(dir, 'junk.node');
    writeFileSync(junk, 'not an ELF file');
    const st = load([junk]);
    expect(st.addon).toBeNull();
    expect(st.reason).toMatch(/did not load/);
  });

  it.skipIf(!cc)('when the native kernel gives a different result (self-test), and on P20LINK_KERNEL=wasm', () => {
    const st = load([wrongPath]);
    expect(st.addon).toBeNull();
    expect(st.reason).toMatch(/self-test/);
    process.env.P20LINK_NATIVE_PATH = wrongPath;
    resetNativeStatus();
    expect(resolveKernel('auto')).toBe('wasm');
    expect(memoryKernel(createSharedMemory(65536), undefined, 'native').kind).toBe('wasm');
    process.env.P20LINK_NATIVE_PATH = goodPath;
    resetNativeStatus();
    expect(resolveKernel('auto')).toBe('native');
    expect(memoryKernel(createSharedMemory(65536), undefined, 'auto').kind).toBe('native');
    expect(resolveKernel('wasm')).toBe('wasm');
    process.env.P20LINK_KERNEL = 'wasm';
    expect(resolveKernel('auto')).toBe('wasm');
  });

  it.skipIf(!cc)('worker threads use the native kernel and give the same pairs as one thread (needs the tsc build)', async () => {
    process.env.P20LINK_NATIVE_PATH = goodPath;
    resetNativeStatus();
    const r = rng(9);
    const l = 1024;
    const ca = Array.from({ length: 500 }, () => randomClk(l, 0.4, r));
    const cb = Array.from({ length: 600 }, (_, j) => (j % 3 === 0 ? corrupt(ca[j % 500]!, l, 0.04, r) : randomClk(l, 0.4, r)));
    const a = party('a', l, ca);
    const b = party('b', l, cb);
    const triples = (p: ScoredPairs) => Array.from(p.a, (x, k) => [x, p.b[k]!, p.score[k]!]);
    for (const blocking of [{ kind: 'none' } as const, { kind: 'lsh', bands: 12, rows: 6 } as const]) {
      const one = await scorePairs(a, b, { threshold: 0.75, blocking, workers: 1, kernel: 'wasm' });
      const two = await scorePairs(a, b, { threshold: 0.75, blocking, workers: 2, kernel: 'native' });
      expect(triples(two)).toEqual(triples(one));
      expect([two.candidates, two.compared]).toEqual([one.candidates, one.compared]);
    }
  });
});
