// AssemblyScript source of the Dice kernel (compiled by `npm run build:wasm`
// into ../wasm-bytes.ts). Everything works on raw pointers into one imported
// (shared) linear memory that JavaScript lays out; the module has no data
// segments and never allocates, so every worker can instantiate it on the
// same memory. Per-instance counters live in wasm globals.
//
// Layout conventions (all little endian):
//   CLKs     : n * stride bytes, stride a multiple of 8 (zero padded)
//   popcounts: n * u32
//   keys     : n * nb * u32, record-major (keys[i*nb + band])
//   out      : triples (a u32, b u32, score f32), 12 bytes each

let gCompared: u64 = 0;
let gCandidates: u64 = 0;
let gResumeBucket: u32 = 0;
let gResumeRow: u32 = 0;

export function compared(): f64 {
  return <f64>gCompared;
}
export function candidates(): f64 {
  return <f64>gCandidates;
}
export function resetCounters(): void {
  gCompared = 0;
  gCandidates = 0;
}
export function setResume(bucket: u32, row: u32): void {
  gResumeBucket = bucket;
  gResumeRow = row;
}
export function resumeBucket(): u32 {
  return gResumeBucket;
}
export function resumeRow(): u32 {
  return gResumeRow;
}

// |A AND B| over `words` 64-bit words.
@inline
function inter(a: usize, b: usize, words: u32): u32 {
  if (words == 16) {
    // 1024-bit CLKs: fully unrolled, four independent accumulators.
    let s0 = popcnt<u64>(load<u64>(a, 0) & load<u64>(b, 0)) + popcnt<u64>(load<u64>(a, 8) & load<u64>(b, 8));
    let s1 = popcnt<u64>(load<u64>(a, 16) & load<u64>(b, 16)) + popcnt<u64>(load<u64>(a, 24) & load<u64>(b, 24));
    let s2 = popcnt<u64>(load<u64>(a, 32) & load<u64>(b, 32)) + popcnt<u64>(load<u64>(a, 40) & load<u64>(b, 40));
    let s3 = popcnt<u64>(load<u64>(a, 48) & load<u64>(b, 48)) + popcnt<u64>(load<u64>(a, 56) & load<u64>(b, 56));
    s0 += popcnt<u64>(load<u64>(a, 64) & load<u64>(b, 64)) + popcnt<u64>(load<u64>(a, 72) & load<u64>(b, 72));
    s1 += popcnt<u64>(load<u64>(a, 80) & load<u64>(b, 80)) + popcnt<u64>(load<u64>(a, 88) & load<u64>(b, 88));
    s2 += popcnt<u64>(load<u64>(a, 96) & load<u64>(b, 96)) + popcnt<u64>(load<u64>(a, 104) & load<u64>(b, 104));
    s3 += popcnt<u64>(load<u64>(a, 112) & load<u64>(b, 112)) + popcnt<u64>(load<u64>(a, 120) & load<u64>(b, 120));
    return <u32>(s0 + s1 + s2 + s3);
  }
  let s: u64 = 0;
  for (let w: u32 = 0; w < words; w++) {
    const off = <usize>(w << 3);
    s += popcnt<u64>(load<u64>(a + off) & load<u64>(b + off));
  }
  return <u32>s;
}

// Smallest popcount pb that can still reach the threshold with pa
// (2*min(pa,pb)/(pa+pb) >= t); exact same f64 test as the filter below.
@inline
function passes(pa: u32, pb: u32, t: f64): bool {
  const s = pa + pb;
  if (s == 0) return false;
  const mn = pa < pb ? pa : pb;
  return <f64>(2 * mn) / <f64>s >= t;
}

// Popcount window of A row pa: the pb with passes(pa, pb, t) form the
// interval [lo, hi] (2*min/(pa+pb) rises up to pb = pa, then falls). Found
// from an estimate and fixed up with the exact test, so the window test
// agrees with passes() bit for bit.
let gLo: u32 = 0;
let gHi: u32 = 0;
function window(pa: u32, t: f64, maxPop: u32): void {
  if (pa == 0) {
    gLo = 1;
    gHi = 0;
    return;
  }
  let lo = <u32>Math.max(0, Math.floor(<f64>pa * t / (2 - t)) - 2);
  while (lo <= pa && !passes(pa, lo, t)) lo++;
  while (lo > 0 && passes(pa, lo - 1, t)) lo--;
  let hi = <u32>Math.min(<f64>maxPop, Math.ceil(<f64>pa * (2 - t) / t) + 2);
  if (hi < pa) hi = pa;
  while (hi > pa && !passes(pa, hi, t)) hi--;
  while (hi < maxPop && passes(pa, hi + 1, t)) hi++;
  if (lo > pa) {
    gLo = 1;
    gHi = 0;
  } else {
    gLo = lo;
    gHi = hi;
  }
}

// Dice >= t with the division done only near the threshold (2x >= t*(pa+pb)
// within rounding); the kept test itself is the exact f64 quotient.
@inline
function keep(x: u32, s: u32, t: f64, tLow: f64): bool {
  return <f64>(2 * x) >= tLow * <f64>s && <f64>(2 * x) / <f64>s >= t;
}

// keep() behind the cheap integer test (most pairs fail that one)
@inline
function keepI(x: u32, s: u32, t: f64, tLow: f64, tI: u64): bool {
  return !surelyBelow(x, s, tI) && keep(x, s, t, tLow);
}

// |A1 AND B| (returned) and |A2 AND B| (in gX2) in one pass over B.
let gX2: u32 = 0;
@inline
function inter2(a1: usize, a2: usize, b: usize, words: u32): u32 {
  let s1: u64 = 0;
  let s2: u64 = 0;
  if (words == 16) {
    let u1: u64 = 0;
    let u2: u64 = 0;
    let bw: u64 = 0;
    bw = load<u64>(b, 0);
    s1 += popcnt<u64>(load<u64>(a1, 0) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 0) & bw);
    bw = load<u64>(b, 8);
    u1 += popcnt<u64>(load<u64>(a1, 8) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 8) & bw);
    bw = load<u64>(b, 16);
    s1 += popcnt<u64>(load<u64>(a1, 16) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 16) & bw);
    bw = load<u64>(b, 24);
    u1 += popcnt<u64>(load<u64>(a1, 24) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 24) & bw);
    bw = load<u64>(b, 32);
    s1 += popcnt<u64>(load<u64>(a1, 32) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 32) & bw);
    bw = load<u64>(b, 40);
    u1 += popcnt<u64>(load<u64>(a1, 40) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 40) & bw);
    bw = load<u64>(b, 48);
    s1 += popcnt<u64>(load<u64>(a1, 48) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 48) & bw);
    bw = load<u64>(b, 56);
    u1 += popcnt<u64>(load<u64>(a1, 56) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 56) & bw);
    bw = load<u64>(b, 64);
    s1 += popcnt<u64>(load<u64>(a1, 64) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 64) & bw);
    bw = load<u64>(b, 72);
    u1 += popcnt<u64>(load<u64>(a1, 72) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 72) & bw);
    bw = load<u64>(b, 80);
    s1 += popcnt<u64>(load<u64>(a1, 80) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 80) & bw);
    bw = load<u64>(b, 88);
    u1 += popcnt<u64>(load<u64>(a1, 88) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 88) & bw);
    bw = load<u64>(b, 96);
    s1 += popcnt<u64>(load<u64>(a1, 96) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 96) & bw);
    bw = load<u64>(b, 104);
    u1 += popcnt<u64>(load<u64>(a1, 104) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 104) & bw);
    bw = load<u64>(b, 112);
    s1 += popcnt<u64>(load<u64>(a1, 112) & bw);
    s2 += popcnt<u64>(load<u64>(a2, 112) & bw);
    bw = load<u64>(b, 120);
    u1 += popcnt<u64>(load<u64>(a1, 120) & bw);
    u2 += popcnt<u64>(load<u64>(a2, 120) & bw);
    gX2 = <u32>(s2 + u2);
    return <u32>(s1 + u1);
  }
  for (let w: u32 = 0; w < words; w++) {
    const off = <usize>(w << 3);
    const bw = load<u64>(b + off);
    s1 += popcnt<u64>(load<u64>(a1 + off) & bw);
    s2 += popcnt<u64>(load<u64>(a2 + off) & bw);
  }
  gX2 = <u32>s2;
  return <u32>s1;
}

// Half-way bound (1024-bit rows): after the first 512 bits, |A AND B| can
// grow by at most min(bits of A left, bits of B left) <= min(restA, pb - x).
// When even that cannot pass keep()'s first test (2x >= tLow * s, which is
// monotone in x), the second half is skipped and the partial count, which
// also fails keep(), stands. Same pairs and scores; less work when the
// threshold is high and most pairs are far from it.
@inline
function hopeless(x: u32, restA: u32, pb: u32, s: u32, tI: u64): bool {
  const restB = pb - x;
  const most = x + (restA < restB ? restA : restB);
  return surelyBelow(most, s, tI);
}

// Integer test that 2x < tLow * s for sure (tI = floor(tLow * 2^20)):
// (2x + 1) * 2^20 <= tI * s implies 2x + 1 <= tLow * s in real numbers, so
// 2x is below the f64 product too. Sound, not exact: when it says no, the
// exact f64 test decides.
@inline
function surelyBelow(x: u32, s: u32, tI: u64): bool {
  return (<u64>(2 * x + 1) << 20) <= tI * <u64>s;
}

// popcount of the first 512 bits of a row
@inline
function pop512(a: usize): u32 {
  return <u32>(
    popcnt<u64>(load<u64>(a, 0)) + popcnt<u64>(load<u64>(a, 8)) + popcnt<u64>(load<u64>(a, 16)) + popcnt<u64>(load<u64>(a, 24)) +
    popcnt<u64>(load<u64>(a, 32)) + popcnt<u64>(load<u64>(a, 40)) + popcnt<u64>(load<u64>(a, 48)) + popcnt<u64>(load<u64>(a, 56))
  );
}

// |A AND B| over 512 bits at a, b
@inline
function inter512(a: usize, b: usize): u32 {
  let s0 = popcnt<u64>(load<u64>(a, 0) & load<u64>(b, 0)) + popcnt<u64>(load<u64>(a, 8) & load<u64>(b, 8));
  let s1 = popcnt<u64>(load<u64>(a, 16) & load<u64>(b, 16)) + popcnt<u64>(load<u64>(a, 24) & load<u64>(b, 24));
  s0 += popcnt<u64>(load<u64>(a, 32) & load<u64>(b, 32)) + popcnt<u64>(load<u64>(a, 40) & load<u64>(b, 40));
  s1 += popcnt<u64>(load<u64>(a, 48) & load<u64>(b, 48)) + popcnt<u64>(load<u64>(a, 56) & load<u64>(b, 56));
  return <u32>(s0 + s1);
}

// |A1 AND B| (returned) and |A2 AND B| (in gX2) over 512 bits
@inline
function inter2_512(a1: usize, a2: usize, b: usize): u32 {
  let bw = load<u64>(b, 0);
  let s1 = popcnt<u64>(load<u64>(a1, 0) & bw);
  let s2 = popcnt<u64>(load<u64>(a2, 0) & bw);
  bw = load<u64>(b, 8);
  let u1 = popcnt<u64>(load<u64>(a1, 8) & bw);
  let u2 = popcnt<u64>(load<u64>(a2, 8) & bw);
  bw = load<u64>(b, 16);
  s1 += popcnt<u64>(load<u64>(a1, 16) & bw);
  s2 += popcnt<u64>(load<u64>(a2, 16) & bw);
  bw = load<u64>(b, 24);
  u1 += popcnt<u64>(load<u64>(a1, 24) & bw);
  u2 += popcnt<u64>(load<u64>(a2, 24) & bw);
  bw = load<u64>(b, 32);
  s1 += popcnt<u64>(load<u64>(a1, 32) & bw);
  s2 += popcnt<u64>(load<u64>(a2, 32) & bw);
  bw = load<u64>(b, 40);
  u1 += popcnt<u64>(load<u64>(a1, 40) & bw);
  u2 += popcnt<u64>(load<u64>(a2, 40) & bw);
  bw = load<u64>(b, 48);
  s1 += popcnt<u64>(load<u64>(a1, 48) & bw);
  s2 += popcnt<u64>(load<u64>(a2, 48) & bw);
  bw = load<u64>(b, 56);
  u1 += popcnt<u64>(load<u64>(a1, 56) & bw);
  u2 += popcnt<u64>(load<u64>(a2, 56) & bw);
  gX2 = <u32>(s2 + u2);
  return <u32>(s1 + u1);
}

// |A AND B| for 1024-bit rows, or a partial count that fails keep() when the
// half-way bound shows the pair cannot reach the threshold.
@inline
function inter1024b(a: usize, b: usize, restA: u32, pb: u32, s: u32, tI: u64): u32 {
  const x = inter512(a, b);
  if (hopeless(x, restA, pb, s, tI)) return x;
  return x + inter512(a + 64, b + 64);
}

// All pairs of A rows [i0,i1) x B rows [j0,j1) (within: only j > i).
// The caller guarantees room for (i1-i0)*(j1-j0) output triples.
export function rect(
  aBase: usize, aPop: usize, i0: u32, i1: u32,
  bBase: usize, bPop: usize, j0: u32, j1: u32,
  stride: u32, t: f64, within: u32, out: usize,
): u32 {
  const words = stride >> 3;
  const tLow = t * (1 - 1e-9);
  const tI = <u64>Math.floor(tLow * 1048576);
  let n: u32 = 0;
  let cmp: u64 = 0;
  let i = i0;
  // two A rows at a time share every load of a B row
  for (; i + 1 < i1; i += 2) {
    const i2 = i + 1;
    const pa = load<u32>(aPop + (<usize>i << 2));
    const pa2 = load<u32>(aPop + (<usize>i2 << 2));
    const ap = aBase + <usize>i * <usize>stride;
    const ap2 = aBase + <usize>i2 * <usize>stride;
    window(pa, t, stride << 3);
    const lo = gLo;
    const span = gHi - gLo;
    const none1 = gLo > gHi;
    window(pa2, t, stride << 3);
    const lo2 = gLo;
    const span2 = gHi - gLo;
    const none2 = gLo > gHi;
    // bits of each A row after its first 512 (for the half-way bound)
    const rest1: u32 = words == 16 ? pa - pop512(ap) : 0;
    const rest2: u32 = words == 16 ? pa2 - pop512(ap2) : 0;
    let js = j0;
    if (within != 0 && js <= i) js = i + 1;
    // within-party: j = i + 1 pairs only with row i
    if (within != 0 && js == i2 && js < j1) {
      const pb = load<u32>(bPop + (<usize>js << 2));
      if (!none1 && pb - lo <= span) {
        cmp++;
        const x = inter(ap, bBase + <usize>js * <usize>stride, words);
        if (keepI(x, pa + pb, t, tLow, tI)) {
          store<u32>(out, i, 0);
          store<u32>(out, js, 4);
          store<f32>(out, <f32>(<f64>(2 * x) / <f64>(pa + pb)), 8);
          out += 12;
          n++;
        }
      }
      js++;
    }
    for (let j = js; j < j1; j++) {
      const pb = load<u32>(bPop + (<usize>j << 2));
      const ok1 = !none1 && pb - lo <= span;
      const ok2 = !none2 && pb - lo2 <= span2;
      if (!ok1 && !ok2) continue;
      const bp = bBase + <usize>j * <usize>stride;
      let x: u32 = 0;
      let x2: u32 = 0;
      if (words == 16) {
        if (ok1 && ok2) {
          cmp += 2;
          x = inter2_512(ap, ap2, bp);
          x2 = gX2;
          if (!hopeless(x, rest1, pb, pa + pb, tI) || !hopeless(x2, rest2, pb, pa2 + pb, tI)) {
            x += inter2_512(ap + 64, ap2 + 64, bp + 64);
            x2 += gX2;
          }
        } else if (ok1) {
          cmp++;
          x = inter1024b(ap, bp, rest1, pb, pa + pb, tI);
        } else {
          cmp++;
          x2 = inter1024b(ap2, bp, rest2, pb, pa2 + pb, tI);
        }
      } else if (ok1 && ok2) {
        cmp += 2;
        x = inter2(ap, ap2, bp, words);
        x2 = gX2;
      } else if (ok1) {
        cmp++;
        x = inter(ap, bp, words);
      } else {
        cmp++;
        x2 = inter(ap2, bp, words);
      }
      if (ok1 && keepI(x, pa + pb, t, tLow, tI)) {
        store<u32>(out, i, 0);
        store<u32>(out, j, 4);
        store<f32>(out, <f32>(<f64>(2 * x) / <f64>(pa + pb)), 8);
        out += 12;
        n++;
      }
      if (ok2 && keepI(x2, pa2 + pb, t, tLow, tI)) {
        store<u32>(out, i2, 0);
        store<u32>(out, j, 4);
        store<f32>(out, <f32>(<f64>(2 * x2) / <f64>(pa2 + pb)), 8);
        out += 12;
        n++;
      }
    }
  }
  for (; i < i1; i++) {
    const pa = load<u32>(aPop + (<usize>i << 2));
    const ap = aBase + <usize>i * <usize>stride;
    window(pa, t, stride << 3);
    const lo = gLo;
    const span = gHi - gLo;
    if (gLo > gHi) continue;
    const rest: u32 = words == 16 ? pa - pop512(ap) : 0;
    let js = j0;
    if (within != 0 && js <= i) js = i + 1;
    for (let j = js; j < j1; j++) {
      const pb = load<u32>(bPop + (<usize>j << 2));
      if (pb - lo > span) continue;
      cmp++;
      const bp = bBase + <usize>j * <usize>stride;
      const x = words == 16 ? inter1024b(ap, bp, rest, pb, pa + pb, tI) : inter(ap, bp, words);
      if (keepI(x, pa + pb, t, tLow, tI)) {
        store<u32>(out, i, 0);
        store<u32>(out, j, 4);
        store<f32>(out, <f32>(<f64>(2 * x) / <f64>(pa + pb)), 8);
        out += 12;
        n++;
      }
    }
  }
  gCompared += cmp;
  return n;
}

// One blocking band. table holds nBuckets entries (aStart, aLen, bStart, bLen)
// into orderA / orderB (within-party: only the a list is used). A pair is
// scored only in the first band whose keys agree (earlier bands are checked
// against keys), so each pair is counted and reported once. Resumes at
// (gResumeBucket, gResumeRow); stops before a row that might not fit into
// outCap and records where to resume. Done when resumeBucket() == nBuckets.
export function buckets(
  aBase: usize, aPop: usize, bBase: usize, bPop: usize, stride: u32, t: f64,
  keysA: usize, keysB: usize, nb: u32, band: u32,
  orderA: usize, orderB: usize, table: usize, nBuckets: u32, within: u32,
  out: usize, outCap: u32,
): u32 {
  const words = stride >> 3;
  const tLow = t * (1 - 1e-9);
  const tI = <u64>Math.floor(tLow * 1048576);
  const kstride = <usize>nb << 2;
  let n: u32 = 0;
  let cmp: u64 = 0;
  let cand: u64 = 0;
  let bk = gResumeBucket;
  let r0 = gResumeRow;
  for (; bk < nBuckets; bk++) {
    const e = table + (<usize>bk << 4);
    const aS = load<u32>(e, 0);
    const aL = load<u32>(e, 4);
    const bS = load<u32>(e, 8);
    const bL = load<u32>(e, 12);
    for (let r = r0; r < aL; r++) {
      const c0: u32 = within != 0 ? r + 1 : 0;
      const cEnd: u32 = within != 0 ? aL : bL;
      if (n + (cEnd - c0) > outCap) {
        gResumeBucket = bk;
        gResumeRow = r;
        gCompared += cmp;
        gCandidates += cand;
        return n;
      }
      const i = load<u32>(orderA + (<usize>(aS + r) << 2));
      const pa = load<u32>(aPop + (<usize>i << 2));
      const ap = aBase + <usize>i * <usize>stride;
      const ka = keysA + <usize>i * kstride;
      window(pa, t, stride << 3);
      const lo = gLo;
      const span = gHi - gLo;
      const empty = gLo > gHi;
      const rest: u32 = words == 16 ? pa - pop512(ap) : 0;
      for (let c = c0; c < cEnd; c++) {
        const j = within != 0 ? load<u32>(orderA + (<usize>(aS + c) << 2)) : load<u32>(orderB + (<usize>(bS + c) << 2));
        const kb = keysB + <usize>j * kstride;
        // did an earlier band already propose (i, j)? four keys per SIMD compare
        let dup = false;
        let q: u32 = 0;
        for (; q + 4 <= band; q += 4) {
          const off = <usize>q << 2;
          if (v128.any_true(i32x4.eq(v128.load(ka + off), v128.load(kb + off)))) {
            dup = true;
            break;
          }
        }
        for (; !dup && q < band; q++) {
          const off = <usize>q << 2;
          if (load<u32>(ka + off) == load<u32>(kb + off)) dup = true;
        }
        if (dup) continue;
        cand++;
        const pb = load<u32>(bPop + (<usize>j << 2));
        if (empty || pb - lo > span) continue;
        cmp++;
        const bp = bBase + <usize>j * <usize>stride;
        const x = words == 16 ? inter1024b(ap, bp, rest, pb, pa + pb, tI) : inter(ap, bp, words);
        if (keepI(x, pa + pb, t, tLow, tI)) {
          const d = <f64>(2 * x) / <f64>(pa + pb);
          const swap = within != 0 && j < i;
          store<u32>(out, swap ? j : i, 0);
          store<u32>(out, swap ? i : j, 4);
          store<f32>(out, <f32>d, 8);
          out += 12;
          n++;
        }
      }
    }
    r0 = 0;
  }
  gResumeBucket = nBuckets;
  gResumeRow = 0;
  gCompared += cmp;
  gCandidates += cand;
  return n;
}

// positions of a permutation's head read without a branch (minhash)
const GATHER: u32 = 6;

// MinHash band keys for records [from, to) (see src/link/blocking/keys.ts
// fillLshKeys, which this must match bit for bit). perms: bands*rows
// permutations of [0, l) as u16, each the positions in permuted order,
// head-major (lshPermutations): permutation g's first H = min(16, l)
// positions at g*H, the rest at bands*rows*H + g*(l - H).
export function minhash(
  clks: usize, stride: u32, from: u32, to: u32,
  perms: usize, l: u32, bands: u32, rows: u32,
  keys: usize, nb: u32, bandOffset: u32, emptyBase: u32,
): void {
  const words = stride >> 3;
  const H: u32 = l < 16 ? l : 16;
  const tails = perms + ((<usize>bands * <usize>rows * <usize>H) << 1);
  const full: u32 = l & ~7;
  for (let i = from; i < to; i++) {
    const base = clks + <usize>i * <usize>stride;
    const ko = keys + ((<usize>i * <usize>nb + <usize>bandOffset) << 2);
    let any: u64 = 0;
    for (let w: u32 = 0; w < words; w++) any |= load<u64>(base + (<usize>w << 3));
    if (any == 0) {
      for (let k: u32 = 0; k < bands; k++) store<u32>(ko + (<usize>k << 2), emptyBase + i);
      continue;
    }
    let g: u32 = 0;
    for (let k: u32 = 0; k < bands; k++) {
      let h: u32 = 0x9747b28c ^ k;
      for (let r: u32 = 0; r < rows; r++, g++) {
        // as fillLshKeys (src/link/blocking/keys.ts): whole bytes from the low bit, a partial last byte from the high bit; bounded by l
        let q: u32 = 0;
        let p = perms + ((<usize>g * <usize>H) << 1);
        // the first GATHER positions read without a branch when every bit is in a whole byte (on a
        // filter about half full the first set bit is nearly always among them; a data-dependent exit
        // mispredicts about once a row): 40% faster on half-full 1024-bit filters
        let scan = true;
        if (H == 16 && full == l) {
          let m: u32 = 0;
          for (let j: u32 = 0; j < GATHER; j++) {
            const bit = <u32>load<u16>(p + (<usize>j << 1));
            m |= ((<u32>load<u8>(base + <usize>(bit >> 3)) >> (bit & 7)) & 1) << j;
          }
          if (m != 0) {
            q = ctz<u32>(m);
            scan = false;
          } else q = GATHER;
        }
        if (scan) while (q < H) {
          const bit = <u32>load<u16>(p + (<usize>q << 1));
          if (((load<u8>(base + <usize>(bit >> 3)) >> (bit < full ? bit & 7 : 7 - (bit & 7))) & 1) != 0) break;
          q++;
        }
        if (q == H) {
          // the tail: positions H.. of permutation g
          p = tails + ((<usize>g * <usize>(l - H)) << 1);
          while (q < l) {
            const bit = <u32>load<u16>(p + (<usize>(q - H) << 1));
            if (((load<u8>(base + <usize>(bit >> 3)) >> (bit < full ? bit & 7 : 7 - (bit & 7))) & 1) != 0) break;
            q++;
          }
        }
        let v: u32 = q * 0xcc9e2d51;
        v = rotl<u32>(v, 15);
        h ^= v * 0x1b873593;
        h = rotl<u32>(h, 13);
        h = h * 5 + 0xe6546b64;
      }
      h ^= h >> 16;
      h *= 0x85ebca6b;
      h ^= h >> 13;
      h *= 0xc2b2ae35;
      h ^= h >> 16;
      store<u32>(ko + (<usize>k << 2), h);
    }
  }
}
