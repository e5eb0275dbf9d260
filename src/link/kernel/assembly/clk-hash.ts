// AssemblyScript source of the CLK encoder's keyed hashing kernel (compiled
// by `npm run build:wasm` into src/encode/hash-wasm-bytes.ts; src/encode/hash-kernel.ts
// loads it). clkhash 0.18.3's two hashings of tokens into Bloom-filter bit
// positions (src/encode/bloom-hash.ts describes them):
//
//   blakeBits:  BLAKE2b-512(token, key = key0, salt = str(j)) per 32 values;
//   doubleBits: HMAC-SHA1(key0, token), HMAC-MD5(key1, token) -> h1, h2.
//
// and HMAC-SHA256 for the keyed blocking values (src/encode/blocking-keys.ts).
//
// Keyed state is computed once per feature key ("slots"): BLAKE2b's state
// after the key block, HMAC's inner and outer states after the padded key
// block. A token then costs one compression (BLAKE2b) or two + two (HMAC).
// The module owns its memory and never allocates; JavaScript writes the
// tokens of one feature value into fixed areas and reads the distinct bit
// positions back. Layout (little endian, byte offsets):
//
//   SLOTS   1024 slots x 128 bytes (BLAKE2b: h[8] u64; HMAC: SHA-1 inner
//           at 0, outer at 32, MD5 inner at 64, outer at 96)
//   SCRATCH state copies and padded blocks
//   TOKOFF  u32 start of token i in TOKBYTES (nTok + 1 entries)
//   TOKK    u32 bits of token i
//   TOKBYTES the tokens' bytes
//   MARK    one bit per pre-fold position (all zero between calls)
//   OUT     u32 distinct positions of the last call
//   FILT    a record's pre-fold filter (orFilter)
import { blakeCompress, blakeCompressShort, md5Compress, md5Compress4, sha1Compress, sha1Compress4, sha256Compress } from './clk-compress';

const SLOTS: usize = 0x10000;
const SCRATCH: usize = 0x30000;
const STATE: usize = SCRATCH; // 64 bytes
const STATE2: usize = SCRATCH + 64; // 64 bytes
const BLOCK: usize = SCRATCH + 128; // 128 bytes
// Multi-lane (SIMD) areas, transposed: word i of lane j at 16 * i + 4 * j.
const SH4: usize = SCRATCH + 1024; // SHA-1 inner states, 4 lanes (80 bytes)
const SH4O: usize = SCRATCH + 1152; // SHA-1 outer states (80 bytes)
const MD4: usize = SCRATCH + 1280; // MD5 inner states (64 bytes)
const MD4O: usize = SCRATCH + 1344; // MD5 outer states (64 bytes)
const WSHA: usize = SCRATCH + 1408; // SHA-1 inner blocks (256 bytes), then WMD5 right after
const WMD5: usize = SCRATCH + 1664; // MD5 inner blocks (256 bytes)
const OSHA: usize = SCRATCH + 1920; // SHA-1 outer blocks (256 bytes)
const OMD5: usize = SCRATCH + 2176; // MD5 outer blocks (256 bytes)
const LANES: usize = SCRATCH + 2432; // per lane: token index (u32)
const TOKOFF: usize = 0x31000;
const TOKK: usize = 0x42000;
const TOKBYTES: usize = 0x60000;
const MARK: usize = 0xa0000;
const OUT: usize = 0x2a0000;
const FILT: usize = 0x6a0000; // 64 KiB (to the end of the initial memory): a record's pre-fold filter

export const MAX_SLOTS: u32 = 1024;
export const MAX_TOKENS: u32 = 16383;
export const MAX_TOKEN_BYTES: u32 = 0x40000;
export const MAX_L: u32 = 1 << 24;
export const MAX_OUT: u32 = 1 << 20;
export const MAX_FILTER_BITS: u32 = 1 << 19;

export function tokOff(): usize {
  return TOKOFF;
}
export function tokK(): usize {
  return TOKK;
}
export function tokBytes(): usize {
  return TOKBYTES;
}
export function out(): usize {
  return OUT;
}
/** The record filter orFilter writes into (MAX_FILTER_BITS bits, bit i = byte i >> 3, mask 0x80 >> (i & 7)); JavaScript zeroes it. */
export function filt(): usize {
  return FILT;
}

/** OR the first n positions of OUT (all below MAX_FILTER_BITS) into the record filter. */
export function orFilter(n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const b = load<u32>(OUT + (<usize>i << 2));
    const q = FILT + (<usize>b >>> 3);
    store<u8>(q, <u8>(<u32>load<u8>(q) | (0x80 >>> (b & 7))));
  }
}
/** Where JavaScript writes keys and salts for blakeKey / hmacKey (256 bytes). */
export function keyArea(): usize {
  return SCRATCH + 512;
}

@inline
function slot(i: u32): usize {
  return SLOTS + (<usize>i << 7);
}

/** BLAKE2b-512 state after the key block of key (keyLen <= 64) and a 16-byte salt. */
export function blakeKey(s: u32, key: usize, keyLen: u32, salt: usize): void {
  const h = slot(s);
  store<u64>(h, 0x6a09e667f3bcc908 ^ (0x01010040 | (<u64>keyLen << 8)), 0);
  store<u64>(h, 0xbb67ae8584caa73b, 8);
  store<u64>(h, 0x3c6ef372fe94f82b, 16);
  store<u64>(h, 0xa54ff53a5f1d36f1, 24);
  store<u64>(h, 0x510e527fade682d1 ^ load<u64>(salt, 0), 32);
  store<u64>(h, 0x9b05688c2b3e6c1f ^ load<u64>(salt, 8), 40);
  store<u64>(h, 0x1f83d9abfb41bd6b, 48);
  store<u64>(h, 0x5be0cd19137e2179, 56);
  memory.fill(BLOCK, 0, 128);
  memory.copy(BLOCK, key, keyLen);
  blakeCompress(h, BLOCK, 128, false);
}

function sha1Init(s: usize): void {
  store<u32>(s, 0x67452301, 0);
  store<u32>(s, 0xefcdab89, 4);
  store<u32>(s, 0x98badcfe, 8);
  store<u32>(s, 0x10325476, 12);
  store<u32>(s, 0xc3d2e1f0, 16);
}
function md5Init(s: usize): void {
  store<u32>(s, 0x67452301, 0);
  store<u32>(s, 0xefcdab89, 4);
  store<u32>(s, 0x98badcfe, 8);
  store<u32>(s, 0x10325476, 12);
}
function padKey(key: usize, len: u32, pad: u8): void {
  memory.fill(BLOCK, pad, 64);
  for (let i: u32 = 0; i < len; i++) store<u8>(BLOCK + i, load<u8>(key + i) ^ pad);
}

/** HMAC-SHA1 states for key0 and HMAC-MD5 states for key1 (each <= 64 bytes: longer keys are hashed by the caller). */
export function hmacKey(s: u32, key0: usize, len0: u32, key1: usize, len1: u32): void {
  const h = slot(s);
  sha1Init(h);
  padKey(key0, len0, 0x36);
  sha1Compress(h, BLOCK);
  sha1Init(h + 32);
  padKey(key0, len0, 0x5c);
  sha1Compress(h + 32, BLOCK);
  md5Init(h + 64);
  padKey(key1, len1, 0x36);
  md5Compress(h + 64, BLOCK);
  md5Init(h + 96);
  padKey(key1, len1, 0x5c);
  md5Compress(h + 96, BLOCK);
}

/** Finish SHA-1 over data (len bytes) after one 64-byte block already absorbed into state s. */
function sha1Finish(s: usize, data: usize, len: u32): void {
  let p = data;
  let rem = len;
  while (rem >= 64) {
    sha1Compress(s, p);
    p += 64;
    rem -= 64;
  }
  memory.fill(BLOCK, 0, 64);
  memory.copy(BLOCK, p, rem);
  store<u8>(BLOCK + rem, 0x80);
  if (rem >= 56) {
    sha1Compress(s, BLOCK);
    memory.fill(BLOCK, 0, 64);
  }
  store<u64>(BLOCK, bswap<u64>((<u64>len + 64) << 3), 56);
  sha1Compress(s, BLOCK);
}
function md5Finish(s: usize, data: usize, len: u32): void {
  let p = data;
  let rem = len;
  while (rem >= 64) {
    md5Compress(s, p);
    p += 64;
    rem -= 64;
  }
  memory.fill(BLOCK, 0, 64);
  memory.copy(BLOCK, p, rem);
  store<u8>(BLOCK + rem, 0x80);
  if (rem >= 56) {
    md5Compress(s, BLOCK);
    memory.fill(BLOCK, 0, 64);
  }
  store<u64>(BLOCK, (<u64>len + 64) << 3, 56);
  md5Compress(s, BLOCK);
}

/** (acc * 2^32 + w) mod L for acc < L < 2^45, exactly (two 16-bit steps). */
@inline
function modStep(acc: u64, w: u32, L: u64): u64 {
  acc = ((acc << 16) | <u64>(w >>> 16)) % L;
  return ((acc << 16) | <u64>(w & 0xffff)) % L;
}

let gH1: u64 = 0;
let gH2: u64 = 0;

/** h1 = HMAC-SHA1 mod L, h2 = HMAC-MD5 mod L of the token at p (len bytes), into gH1 / gH2. */
function doubleOne(h: usize, p: usize, len: u32, L: u64): void {
  // SHA-1: inner, then outer over the 20-byte inner digest (big-endian words).
  memory.copy(STATE, h, 20);
  sha1Finish(STATE, p, len);
  memory.copy(STATE2, h + 32, 20);
  memory.fill(BLOCK, 0, 64);
  for (let i: usize = 0; i < 20; i += 4) store<u32>(BLOCK + i, bswap<u32>(load<u32>(STATE + i)));
  store<u8>(BLOCK + 20, 0x80);
  store<u64>(BLOCK, bswap<u64>(<u64>(64 + 20) << 3), 56);
  sha1Compress(STATE2, BLOCK);
  if ((L & (L - 1)) == 0 && L <= 0x100000000) gH1 = <u64>load<u32>(STATE2 + 16) & (L - 1);
  else {
    let a: u64 = 0;
    for (let i: usize = 0; i < 20; i += 4) a = modStep(a, load<u32>(STATE2 + i), L);
    gH1 = a;
  }
  // MD5: inner, then outer over the 16-byte inner digest (little-endian words).
  memory.copy(STATE, h + 64, 16);
  md5Finish(STATE, p, len);
  memory.copy(STATE2, h + 96, 16);
  memory.fill(BLOCK, 0, 64);
  memory.copy(BLOCK, STATE, 16);
  store<u8>(BLOCK + 16, 0x80);
  store<u64>(BLOCK, <u64>(64 + 16) << 3, 56);
  md5Compress(STATE2, BLOCK);
  if ((L & (L - 1)) == 0 && L <= 0x100000000) gH2 = <u64>bswap<u32>(load<u32>(STATE2 + 12)) & (L - 1);
  else {
    let b: u64 = 0;
    for (let i: usize = 0; i < 16; i += 4) b = modStep(b, bswap<u32>(load<u32>(STATE2 + i)), L);
    gH2 = b;
  }
}

/** The two doubleHash indices of the single token at TOKBYTES (len bytes); read with h1() / h2(). */
export function doubleIndices(s: u32, len: u32, L: f64): void {
  doubleOne(slot(s), TOKBYTES, len, <u64>L);
}
export function h1(): f64 {
  return <f64>gH1;
}
export function h2(): f64 {
  return <f64>gH2;
}

/** Emit position b: into OUT once (MARK drops repeats), or, direct, straight into the record filter FILT (no OUT, count stays 0). */
@inline
function emit(b: u32, n: u32, direct: bool): u32 {
  if (direct) {
    const f = FILT + (<usize>b >>> 3);
    store<u8>(f, <u8>(<u32>load<u8>(f) | (0x80 >>> (b & 7))));
    return n;
  }
  const q = MARK + (<usize>b >>> 3);
  const m: u32 = 1 << (b & 7);
  const x: u32 = load<u8>(q);
  if ((x & m) == 0) {
    store<u8>(q, <u8>(x | m));
    store<u32>(OUT + (<usize>n << 2), b);
    return n + 1;
  }
  return n;
}

function clearMarks(n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u8>(MARK + (<usize>load<u32>(OUT + (<usize>i << 2)) >>> 3), 0);
}

/** Emit the k positions h1 + j * h2 (mod L) of one token; n positions so far. */
@inline
function emitDouble(a: u64, b: u64, k: u32, L: u64, pow2: bool, n: u32, direct: bool): u32 {
  if (pow2) {
    const m = <u32>L - 1;
    let p = <u32>a;
    const q = <u32>b;
    for (let j: u32 = 0; j < k; j++) {
      n = emit(p & m, n, direct);
      p += q;
    }
  } else for (let j: u32 = 0; j < k; j++) n = emit(<u32>((a + <u64>j * b) % L), n, direct);
  return n;
}

/** Lay token p (len <= 55 bytes) into lane g of the SHA-1 (big-endian words) and MD5 (little-endian words) inner blocks, padded. */
function laneDouble(g: u32, p: usize, len: u32): void {
  const lane = <usize>g << 2;
  for (let b: u32 = 0; b <= len; b++) {
    const x: u8 = b < len ? load<u8>(p + b) : 0x80;
    const w = (<usize>(b >>> 2) << 4) + lane;
    store<u8>(WSHA + w + (3 - (b & 3)), x);
    store<u8>(WMD5 + w + (b & 3), x);
  }
  const bits = (len + 64) << 3;
  store<u32>(WSHA + 240 + lane, bits);
  store<u32>(WMD5 + 224 + lane, bits);
}

let gSingular = false;

/** HMAC-SHA1 and HMAC-MD5 of the g (1..4) tokens laid into the lanes, with the states of slot h; emits their positions. */
function flushDouble(h: usize, g: u32, L: u64, pow2: bool, prevent: bool, n: u32, direct: bool): u32 {
  for (let i: usize = 0; i < 5; i++) {
    v128.store(SH4 + (i << 4), i32x4.splat(load<i32>(h + (i << 2))));
    v128.store(SH4O + (i << 4), i32x4.splat(load<i32>(h + 32 + (i << 2))));
  }
  for (let i: usize = 0; i < 4; i++) {
    v128.store(MD4 + (i << 4), i32x4.splat(load<i32>(h + 64 + (i << 2))));
    v128.store(MD4O + (i << 4), i32x4.splat(load<i32>(h + 96 + (i << 2))));
  }
  sha1Compress4(SH4, WSHA);
  md5Compress4(MD4, WMD5);
  // Outer blocks: the inner digests (words), then padding and length (set in prepOuter).
  memory.copy(OSHA, SH4, 80);
  memory.copy(OMD5, MD4, 64);
  sha1Compress4(SH4O, OSHA);
  md5Compress4(MD4O, OMD5);
  const small = L <= 0x100000000;
  for (let j: u32 = 0; j < g; j++) {
    const lane = <usize>j << 2;
    let a: u64 = 0;
    let b: u64 = 0;
    if (pow2 && small) {
      a = <u64>load<u32>(SH4O + 64 + lane) & (L - 1);
      b = <u64>bswap<u32>(load<u32>(MD4O + 48 + lane)) & (L - 1);
    } else {
      for (let i: usize = 0; i < 5; i++) a = modStep(a, load<u32>(SH4O + (i << 4) + lane), L);
      for (let i: usize = 0; i < 4; i++) b = modStep(b, bswap<u32>(load<u32>(MD4O + (i << 4) + lane)), L);
    }
    if (b == 0 && prevent) {
      gSingular = true;
      return n;
    }
    const k = load<u32>(TOKK + (<usize>load<u32>(LANES + lane) << 2));
    n = emitDouble(a, b, k, L, pow2, n, direct);
  }
  return n;
}

/** The fixed words of the outer blocks (after the digests): padding and the length of key block + digest. */
function prepOuter(): void {
  memory.fill(OSHA + 80, 0, 176);
  v128.store(OSHA + 80, i32x4.splat(<i32>0x80000000));
  v128.store(OSHA + 240, i32x4.splat((64 + 20) << 3));
  memory.fill(OMD5 + 64, 0, 192);
  v128.store(OMD5 + 64, i32x4.splat(0x80));
  v128.store(OMD5 + 224, i32x4.splat((64 + 16) << 3));
}

/**
 * doubleHash positions of the nTok tokens (TOKOFF / TOKK / TOKBYTES) with
 * slot s, L bits: the number of distinct positions written to OUT, or -1
 * when a token has h2 = 0 and preventSingularity asks for the re-hash
 * (the caller computes that value the slow way). Tokens of up to 55 bytes
 * are hashed 4 at a time (SIMD lanes), longer ones one by one; positions
 * come out in token order either way. `direct`: the positions are OR-ed
 * into the record filter FILT instead (L <= MAX_FILTER_BITS; count 0).
 */
export function doubleBits(s: u32, nTok: u32, L32: u32, prevent: bool, direct: bool): i32 {
  const h = slot(s);
  const L = <u64>L32;
  const pow2 = (L32 & (L32 - 1)) == 0;
  let n: u32 = 0;
  let g: u32 = 0;
  gSingular = false;
  prepOuter();
  for (let i: u32 = 0; i < nTok; i++) {
    const k = load<u32>(TOKK + (<usize>i << 2));
    if (k == 0) continue;
    const start = load<u32>(TOKOFF + (<usize>i << 2));
    const end = load<u32>(TOKOFF + (<usize>(i + 1) << 2));
    const len = end - start;
    if (len <= 55) {
      if (g == 0) memory.fill(WSHA, 0, 512);
      laneDouble(g, TOKBYTES + start, len);
      store<u32>(LANES + (<usize>g << 2), i);
      if (++g == 4) {
        n = flushDouble(h, g, L, pow2, prevent, n, direct);
        g = 0;
        if (gSingular) break;
      }
      continue;
    }
    if (g > 0) {
      n = flushDouble(h, g, L, pow2, prevent, n, direct);
      g = 0;
      if (gSingular) break;
    }
    doubleOne(h, TOKBYTES + start, len, L);
    if (gH2 == 0 && prevent) {
      gSingular = true;
      break;
    }
    n = emitDouble(gH1, gH2, k, L, pow2, n, direct);
  }
  if (g > 0 && !gSingular) n = flushDouble(h, g, L, pow2, prevent, n, direct);
  clearMarks(n);
  return gSingular ? -1 : n;
}

/** BLAKE2b-512 of the token at p (len >= 1 bytes) from pre-keyed state h, into STATE. */
function blakeOne(h: usize, p: usize, len: u32): void {
  memory.copy(STATE, h, 64);
  if (len <= 8) {
    // One final block whose only non-zero word is the token's bytes (little endian, zero-padded).
    let m0: u64 = 0;
    for (let i: u32 = 0; i < len; i++) m0 |= <u64>load<u8>(p + i) << (<u64>i << 3);
    blakeCompressShort(STATE, m0, 128 + <u64>len);
    return;
  }
  let t: u64 = 128;
  let rem = len;
  while (rem > 128) {
    t += 128;
    blakeCompress(STATE, p, t, false);
    p += 128;
    rem -= 128;
  }
  memory.fill(BLOCK, 0, 128);
  memory.copy(BLOCK, p, rem);
  blakeCompress(STATE, BLOCK, t + rem, true);
}

/** The 64-byte BLAKE2b digest of the single token at TOKBYTES (len >= 1 bytes) with slot s, at STATE (see state()). */
export function blakeDigest(s: u32, len: u32): void {
  blakeOne(slot(s), TOKBYTES, len);
}
export function state(): usize {
  return STATE;
}

/**
 * blakeHash positions of the nTok tokens with slots s0, s0 + 1, ... (salt
 * j for values 32j..32j+31), L bits (a power of two): the number of distinct
 * positions written to OUT, or -1 for an empty token (the caller's path).
 * `direct`: the positions are OR-ed into the record filter FILT instead
 * (L <= MAX_FILTER_BITS; count 0).
 */
export function blakeBits(s0: u32, nTok: u32, L: u32, direct: bool): i32 {
  let n: u32 = 0;
  const pow2 = (L & (L - 1)) == 0;
  const mask = L - 1;
  for (let i: u32 = 0; i < nTok; i++) {
    const k = load<u32>(TOKK + (<usize>i << 2));
    if (k == 0) continue;
    const start = load<u32>(TOKOFF + (<usize>i << 2));
    const end = load<u32>(TOKOFF + (<usize>(i + 1) << 2));
    if (end == start) {
      clearMarks(n);
      return -1;
    }
    const calls = (k + 31) >>> 5;
    for (let j: u32 = 0; j < calls; j++) {
      blakeOne(slot(s0 + j), TOKBYTES + start, end - start);
      const cnt = min<u32>(32, k - (j << 5));
      if (pow2) for (let m: u32 = 0; m < cnt; m++) n = emit(<u32>load<u16>(STATE + (<usize>m << 1)) & mask, n, direct);
      else for (let m: u32 = 0; m < cnt; m++) n = emit(<u32>load<u16>(STATE + (<usize>m << 1)) % L, n, direct);
    }
  }
  clearMarks(n);
  return n;
}

function sha256Init(s: usize): void {
  store<u32>(s, 0x6a09e667, 0);
  store<u32>(s, 0xbb67ae85, 4);
  store<u32>(s, 0x3c6ef372, 8);
  store<u32>(s, 0xa54ff53a, 12);
  store<u32>(s, 0x510e527f, 16);
  store<u32>(s, 0x9b05688c, 20);
  store<u32>(s, 0x1f83d9ab, 24);
  store<u32>(s, 0x5be0cd19, 28);
}

/** HMAC-SHA256 inner (at 0) and outer (at 32) states of key (<= 64 bytes: longer keys are hashed by the caller). */
export function hmacSha256Key(s: u32, key: usize, len: u32): void {
  const h = slot(s);
  sha256Init(h);
  padKey(key, len, 0x36);
  sha256Compress(h, BLOCK);
  sha256Init(h + 32);
  padKey(key, len, 0x5c);
  sha256Compress(h + 32, BLOCK);
}

/** HMAC-SHA256 of the len bytes at TOKBYTES with slot s: the 32-byte digest at STATE (see state()). */
export function hmacSha256(s: u32, len: u32): void {
  const h = slot(s);
  memory.copy(STATE, h, 32);
  let p = TOKBYTES;
  let rem = len;
  while (rem >= 64) {
    sha256Compress(STATE, p);
    p += 64;
    rem -= 64;
  }
  memory.fill(BLOCK, 0, 64);
  memory.copy(BLOCK, p, rem);
  store<u8>(BLOCK + rem, 0x80);
  if (rem >= 56) {
    sha256Compress(STATE, BLOCK);
    memory.fill(BLOCK, 0, 64);
  }
  store<u64>(BLOCK, bswap<u64>((<u64>len + 64) << 3), 56);
  sha256Compress(STATE, BLOCK);
  // outer over the inner digest (big-endian words)
  memory.copy(STATE2, h + 32, 32);
  memory.fill(BLOCK, 0, 64);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(BLOCK + i, bswap<u32>(load<u32>(STATE + i)));
  store<u8>(BLOCK + 32, 0x80);
  store<u64>(BLOCK, bswap<u64>(<u64>(64 + 32) << 3), 56);
  sha256Compress(STATE2, BLOCK);
  for (let i: usize = 0; i < 32; i += 4) store<u32>(STATE + i, bswap<u32>(load<u32>(STATE2 + i)));
}
