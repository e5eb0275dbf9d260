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

// All pairs of A rows [i0,i1) x B rows [j0,j1) (within: only j > i).
// The caller guarantees room for (i1-i0)*(j1-j0) output triples.
export function rect(
  aBase: usize, aPop: usize, i0: u32, i1: u32,
  bBase: usize, bPop: usize, j0: u32, j1: u32,
  stride: u32, t: f64, within: u32, out: usize,
): u32 {
  const words = stride >> 3;
  const tLow = t * (1 - 1e-9);
  let n: u32 = 0;
  let cmp: u64 = 0;
  for (let i = i0; i < i1; i++) {
    const pa = load<u32>(aPop + (<usize>i << 2));
    const ap = aBase + <usize>i * <usize>stride;
    window(pa, t, stride << 3);
    const lo = gLo;
    const span = gHi - gLo;
    if (gLo > gHi) continue;
    let js = j0;
    if (within != 0 && js <= i) js = i + 1;
    for (let j = js; j < j1; j++) {
      const pb = load<u32>(bPop + (<usize>j << 2));
      if (pb - lo > span) continue;
      cmp++;
      const x = inter(ap, bBase + <usize>j * <usize>stride, words);
      if (keep(x, pa + pb, t, tLow)) {
        const d = <f64>(2 * x) / <f64>(pa + pb);
        store<u32>(out, i, 0);
        store<u32>(out, j, 4);
        store<f32>(out, <f32>d, 8);
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
      for (let c = c0; c < cEnd; c++) {
        const j = within != 0 ? load<u32>(orderA + (<usize>(aS + c) << 2)) : load<u32>(orderB + (<usize>(bS + c) << 2));
        const kb = keysB + <usize>j * kstride;
        let dup = false;
        for (let q: u32 = 0; q < band; q++) {
          const off = <usize>q << 2;
          if (load<u32>(ka + off) == load<u32>(kb + off)) {
            dup = true;
            break;
          }
        }
        if (dup) continue;
        cand++;
        const pb = load<u32>(bPop + (<usize>j << 2));
        if (empty || pb - lo > span) continue;
        cmp++;
        const x = inter(ap, bBase + <usize>j * <usize>stride, words);
        if (keep(x, pa + pb, t, tLow)) {
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
