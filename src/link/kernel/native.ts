import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { jsKernel } from './js.js';
import type { KernelOps } from './ops.js';

/**
 * The optional native Dice kernel (native/dice.c, a Node-API addon built by
 * `npm run build` when a C compiler is present; see native/build.mjs).
 * It is found, loaded and checked once per thread; when it is missing,
 * fails to load, or gives a single result different from the plain
 * JavaScript kernel on the self-test, it is not used and the caller falls
 * back to the WebAssembly kernel (select.ts). Nothing here throws.
 */

/** File name of the compiled addon for this platform. */
export const NATIVE_FILE = `p20dice-${process.platform}-${process.arch}.node`;

/**
 * Where the build puts it: dist/native/ (found from src/ and from dist/src/).
 * P20LINK_NATIVE_PATH names one file to use instead (and only that one).
 */
export function nativeCandidates(): string[] {
  const out: string[] = [];
  const env = process.env.P20LINK_NATIVE_PATH;
  if (env) return [env];
  for (const rel of [`../../../native/${NATIVE_FILE}`, `../../../dist/native/${NATIVE_FILE}`]) out.push(fileURLToPath(new URL(rel, import.meta.url)));
  return out;
}

/** The addon's exports (see napi_register_module_v1 in native/dice.c). */
export interface NativeAddon {
  readonly abi: number;
  rect(mem: Uint8Array, state: Float64Array, ...args: number[]): number;
  buckets(mem: Uint8Array, state: Float64Array, ...args: number[]): number;
  /** 3 = AVX-512 VPOPCNTDQ, 2 = AVX2, 1 = POPCNT, 0 = portable C. */
  level(): number;
  features(): string;
}

export interface NativeStatus {
  /** The addon, when it loaded and passed the self-test. */
  addon: NativeAddon | null;
  /** Path tried last (or loaded). */
  path: string | null;
  /** Why it is not used (empty when it is). */
  reason: string;
  /** CPU code path the addon uses (avx512-vpopcntdq, avx2, popcnt or c). */
  features: string;
}

/** Addon ABI this loader speaks. */
const ABI = 1;

let status: NativeStatus | undefined;

/** Load (once) and self-test the native kernel; never throws. */
export function nativeStatus(): NativeStatus {
  status ??= load(nativeCandidates());
  return status;
}

/** For tests: forget the cached status (the next nativeStatus() loads again). */
export function resetNativeStatus(): void {
  status = undefined;
}

/** Try the given paths in order; the first that loads is self-tested. */
export function load(paths: string[]): NativeStatus {
  const req = createRequire(import.meta.url);
  let last: string | null = null;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    last = p;
    let addon: NativeAddon;
    try {
      addon = req(p) as NativeAddon;
    } catch (e) {
      return { addon: null, path: p, reason: `native kernel did not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, features: '' };
    }
    if (typeof addon?.rect !== 'function' || typeof addon.buckets !== 'function' || addon.abi !== ABI) {
      return { addon: null, path: p, reason: 'native kernel has the wrong interface (rebuild with npm run build)', features: '' };
    }
    let why: string;
    try {
      why = selfTest(addon);
    } catch (e) {
      why = `self-test threw: ${e instanceof Error ? e.message : String(e)}`;
    }
    const features = safe(() => addon.features(), '?');
    if (why) return { addon: null, path: p, reason: `native kernel failed its self-test (${why}); using WebAssembly`, features };
    return { addon, path: p, reason: '', features };
  }
  return { addon: null, path: last, reason: 'native kernel not built (no C compiler at build time, or P20LINK_NATIVE=0)', features: '' };
}

function safe<T>(f: () => T, d: T): T {
  try {
    return f();
  } catch {
    return d;
  }
}

/**
 * KernelOps over `buffer` (an ArrayBuffer, or the SharedArrayBuffer of the
 * kernel's WebAssembly memory) using the native addon for rect and buckets.
 * MinHash keys come from `minhash` (the WebAssembly kernel's, on a shared
 * memory) or else from the JavaScript kernel. `level` caps the CPU code path
 * (tests use it to run the POPCNT and portable paths on any machine).
 */
export function nativeKernel(addon: NativeAddon, buffer: ArrayBufferLike, minhash?: KernelOps['minhash'], level = 9): KernelOps {
  const mem = new Uint8Array(buffer);
  const st = new Float64Array(8);
  st[4] = level;
  const mh = minhash ?? jsKernel(buffer).minhash;
  return {
    kind: 'native',
    rect: (aBase, aPop, i0, i1, bBase, bPop, j0, j1, stride, t, within, out) => addon.rect(mem, st, aBase, aPop, i0, i1, bBase, bPop, j0, j1, stride, t, within, out),
    buckets: (aBase, aPop, bBase, bPop, stride, t, keysA, keysB, nb, band, orderA, orderB, table, nBuckets, within, out, outCap) =>
      addon.buckets(mem, st, aBase, aPop, bBase, bPop, stride, t, keysA, keysB, nb, band, orderA, orderB, table, nBuckets, within, out, outCap),
    minhash: mh,
    compared: () => st[0]!,
    candidates: () => st[1]!,
    resetCounters() {
      st[0] = 0;
      st[1] = 0;
    },
    setResume(b, r) {
      st[2] = b;
      st[3] = r;
    },
    resumeBucket: () => st[2]!,
    resumeRow: () => st[3]!,
  };
}

/** Sorted "a,b,score-bits" lines of n output triples at `out`. */
function triples(buffer: ArrayBufferLike, out: number, n: number): string[] {
  const u32 = new Uint32Array(buffer, out, n * 3);
  const lines: string[] = [];
  for (let k = 0; k < n; k++) lines.push(`${u32[3 * k]},${u32[3 * k + 1]},${u32[3 * k + 2]}`);
  return lines.sort();
}

/**
 * What the JavaScript kernel (the reference) gives on the self-test's runs,
 * in selfTestRuns' order: per length, the all-pairs run between A and B,
 * within A, then the bucket run (pairs|compared|candidates|resume bucket).
 * Recorded rather than recomputed at every start-up (the reference kernel,
 * run cold, was most of the self-test's time: about 5 ms of every link);
 * test/link/kernel-native.test.ts checks that jsKernel still gives exactly
 * these, so the native kernel is held to the same answers as before.
 */
export const SELF_TEST_EXPECTED: readonly string[] = [
  '0,0,1065256238;12,12,1065256517;15,15,1065178713;18,18,1065309976;2,21,1065213406;3,3,1065330075;6,6,1065285108;9,9,1065329686',
  '',
  '0,0,1065256238;12,12,1065256517;15,15,1065178713;18,18,1065309976;2,21,1065213406;3,3,1065330075;6,6,1065285108;9,9,1065329686|396|437|1',
  '0,0,1065353216;12,12,1065225146;15,15,1065221112;18,18,1065353216;2,21,1065353216;3,3,1065190330;6,6,1065207327;9,9,1065353216',
  '',
  '0,0,1065353216;12,12,1065225146;15,15,1065221112;18,18,1065353216;2,21,1065353216;3,3,1065190330;6,6,1065207327;9,9,1065353216|396|437|1',
  '0,0,1065268908;12,12,1065208999;15,15,1065246203;18,18,1065224789;2,21,1065254671;3,3,1065233720;6,6,1065239856;9,9,1065269150',
  '',
  '0,0,1065268908;12,12,1065208999;15,15,1065246203;18,18,1065224789;2,21,1065254671;3,3,1065233720;6,6,1065239856;9,9,1065269150|396|437|1',
];

/**
 * Small all-pairs and bucket runs on the native kernel, compared with the
 * JavaScript kernel's answers on the same runs (SELF_TEST_EXPECTED); returns
 * '' when every pair, score bit and count agrees, else what differed.
 */
function selfTest(addon: NativeAddon): string {
  let k = 0;
  return selfTestRuns((buf) => nativeKernel(addon, buf), (got, what) => got === SELF_TEST_EXPECTED[k++] ? '' : what);
}

/**
 * The self-test's runs on the kernel `make` gives for each run's buffer:
 * random rows, each run's result handed to `check` (with what to report if
 * it is wrong), in SELF_TEST_EXPECTED's order; stops at the first non-empty
 * answer of `check` and returns it ('' when all passed).
 */
export function selfTestRuns(make: (buf: ArrayBuffer) => KernelOps, check: (got: string, what: string) => string): string {
  let s = 0x2545f491;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const pop32 = (x: number): number => {
    x -= (x >>> 1) & 0x55555555;
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  };
  for (const [l, t] of [[1024, 0.8], [200, 0.5], [2048, 0.6]] as const) {
    const stride = Math.ceil(l / 64) * 8;
    const nA = 19;
    const nB = 23;
    const clkA = 64;
    const popA = clkA + nA * stride;
    const clkB = popA + nA * 4;
    const popB = clkB + nB * stride;
    const keys = popB + nB * 4;
    const order = keys + (nA + nB) * 4;
    const table = order + (nA + nB) * 4;
    const out = table + 16;
    const size = out + nA * nB * 12 + 64;
    const buf = new ArrayBuffer(size);
    const u32 = new Uint32Array(buf);
    const w32 = stride >>> 2;
    // random rows (~40 % of bits), every third B row a near-copy of an A row, row 5 empty
    const fill = (base: number, pop: number, n: number, copyOf: number) => {
      for (let i = 0; i < n; i++) {
        let p = 0;
        for (let w = 0; w < w32; w++) {
          const bits = Math.min(32, Math.max(0, l - 32 * w));
          const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
          let v = copyOf >= 0 && i % 3 === 0 ? u32[(copyOf >>> 2) + (i % nA) * w32 + w]! ^ (next() % 8 === 0 ? 1 << (next() & 31) : 0) : (next() & next()) | (next() & next() & next());
          v = i === 5 ? 0 : (v & mask) >>> 0;
          u32[(base >>> 2) + i * w32 + w] = v;
          p += pop32(v);
        }
        u32[(pop >>> 2) + i] = p;
      }
    };
    fill(clkA, popA, nA, -1);
    fill(clkB, popB, nB, clkA);
    const kernel = make(buf);
    for (const within of [0, 1]) {
      const bB = within ? clkA : clkB;
      const bP = within ? popA : popB;
      const jEnd = within ? nA : nB;
      const got = triples(buf, out, kernel.rect(clkA, popA, 0, nA, bB, bP, 0, jEnd, stride, t, within, out));
      const why = check(got.join(';'), `rect l=${l} within=${within}`);
      if (why) return why;
    }
    // one bucket: all of A x all of B, one band (no earlier bands)
    for (let i = 0; i < nA; i++) u32[(order >>> 2) + i] = i;
    for (let j = 0; j < nB; j++) u32[(order >>> 2) + nA + j] = j;
    u32.set([0, nA, nA, nB], table >>> 2);
    const run = (k: KernelOps) => {
      k.resetCounters();
      k.setResume(0, 0);
      const n = k.buckets(clkA, popA, clkB, popB, stride, t, keys, keys + nA * 4, 1, 0, order, order, table, 1, 0, out, nA * nB);
      return `${triples(buf, out, n).join(';')}|${k.compared()}|${k.candidates()}|${k.resumeBucket()}`;
    };
    const why = check(run(kernel), `buckets l=${l}`);
    if (why) return why;
  }
  return '';
}
