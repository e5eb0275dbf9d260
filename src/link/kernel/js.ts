import { fillLshKeys } from '../blocking/keys.js';
import type { KernelOps } from './ops.js';
import { popcount32 as pop32 } from '../../util/popcount.js';

/**
 * The Dice kernel in plain JavaScript over 32-bit words: the fallback when
 * WebAssembly is not wanted, and an independent implementation the tests
 * compare the WebAssembly kernel with. Same semantics as assembly/kernel.ts.
 */
function passes(pa: number, pb: number, t: number): boolean {
  const s = pa + pb;
  if (s === 0) return false;
  return (2 * Math.min(pa, pb)) / s >= t;
}

export function jsKernel(buffer: ArrayBufferLike): KernelOps {
  const u32 = new Uint32Array(buffer);
  const f32 = new Float32Array(buffer);
  let gCompared = 0;
  let gCandidates = 0;
  let gResumeBucket = 0;
  let gResumeRow = 0;

  function inter(a: number, b: number, words32: number): number {
    let s = 0;
    for (let w = 0; w < words32; w++) s += pop32(u32[a + w]! & u32[b + w]!);
    return s;
  }
  /**
   * Dice score of an A record (popcount pa, words from ap) and B record j, or
   * -1 when the popcount bound already rules the pair out (then it does not
   * count as compared).
   */
  function dice(pa: number, ap: number, bPop: number, bBase: number, j: number, stride: number, w32: number, t: number): number {
    const pb = u32[(bPop >>> 2) + j]!;
    if (!passes(pa, pb, t)) return -1;
    gCompared++;
    return (2 * inter(ap, (bBase + j * stride) >>> 2, w32)) / (pa + pb);
  }
  function emit(out: number, i: number, j: number, d: number): void {
    const o = out >>> 2;
    u32[o] = i;
    u32[o + 1] = j;
    f32[o + 2] = d;
  }

  return {
    kind: 'js',
    rect(aBase, aPop, i0, i1, bBase, bPop, j0, j1, stride, t, within, out) {
      const w32 = stride >>> 2;
      let n = 0;
      for (let i = i0; i < i1; i++) {
        const pa = u32[(aPop >>> 2) + i]!;
        const ap = (aBase + i * stride) >>> 2;
        let js = j0;
        if (within !== 0 && js <= i) js = i + 1;
        for (let j = js; j < j1; j++) {
          const d = dice(pa, ap, bPop, bBase, j, stride, w32, t);
          if (d >= t) {
            emit(out, i, j, d);
            out += 12;
            n++;
          }
        }
      }
      return n;
    },
    buckets(aBase, aPop, bBase, bPop, stride, t, keysA, keysB, nb, band, orderA, orderB, table, nBuckets, within, out, outCap) {
      const w32 = stride >>> 2;
      let n = 0;
      let r0 = gResumeRow;
      for (let bk = gResumeBucket; bk < nBuckets; bk++) {
        const e = (table >>> 2) + bk * 4;
        const aS = u32[e]!;
        const aL = u32[e + 1]!;
        const bS = u32[e + 2]!;
        const bL = u32[e + 3]!;
        for (let r = r0; r < aL; r++) {
          const c0 = within !== 0 ? r + 1 : 0;
          const cEnd = within !== 0 ? aL : bL;
          if (n + (cEnd - c0) > outCap) {
            gResumeBucket = bk;
            gResumeRow = r;
            return n;
          }
          const i = u32[(orderA >>> 2) + aS + r]!;
          const pa = u32[(aPop >>> 2) + i]!;
          const ap = (aBase + i * stride) >>> 2;
          const ka = (keysA >>> 2) + i * nb;
          for (let c = c0; c < cEnd; c++) {
            const j = within !== 0 ? u32[(orderA >>> 2) + aS + c]! : u32[(orderB >>> 2) + bS + c]!;
            const kb = (keysB >>> 2) + j * nb;
            let dup = false;
            for (let q = 0; q < band; q++) {
              if (u32[ka + q] === u32[kb + q]) {
                dup = true;
                break;
              }
            }
            if (dup) continue;
            gCandidates++;
            const d = dice(pa, ap, bPop, bBase, j, stride, w32, t);
            if (d >= t) {
              const swap = within !== 0 && j < i;
              emit(out, swap ? j : i, swap ? i : j, d);
              out += 12;
              n++;
            }
          }
        }
        r0 = 0;
      }
      gResumeBucket = nBuckets;
      gResumeRow = 0;
      return n;
    },
    minhash(clks, stride, from, to, perms, l, bands, rows, keys, nb, bandOffset, emptyBase) {
      const u8 = new Uint8Array(buffer);
      const p16 = new Uint16Array(buffer, perms, bands * rows * l);
      fillLshKeys(u8.subarray(clks), stride, from, to, p16, l, bands, rows, u32.subarray(keys >>> 2), nb, bandOffset, emptyBase);
    },
    compared: () => gCompared,
    candidates: () => gCandidates,
    resetCounters() {
      gCompared = 0;
      gCandidates = 0;
    },
    setResume(b, r) {
      gResumeBucket = b;
      gResumeRow = r;
    },
    resumeBucket: () => gResumeBucket,
    resumeRow: () => gResumeRow,
  };
}
