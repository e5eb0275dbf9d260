/**
 * The CLK encoder's keyed hashing kernel (WebAssembly, compiled from
 * src/link/kernel/assembly/clk-hash.ts by `npm run build:wasm`): clkhash's keyed
 * BLAKE2b and HMAC-SHA1 / HMAC-MD5 (and HMAC-SHA256 for the keyed blocking
 * values) with the keyed state computed once per
 * feature key ("slots") and the bit positions of a whole feature value
 * computed in one call. One instance per thread, created on first use; its
 * memory is its own (about 7 MiB) and never grows.
 *
 * The kernel checks itself against @noble/hashes when it is loaded (keyed
 * BLAKE2b with a salt, HMAC-SHA1, HMAC-MD5, one- and multi-block messages);
 * if anything differs, or WebAssembly is unavailable, or P20LINK_HASH_WASM=0
 * is set, `hashKernel()` returns null and the callers use their JavaScript
 * path (same bytes, slower).
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HASH_WASM_BASE64 } from './hash-wasm-bytes.js';

interface HashExports {
  memory: { buffer: ArrayBuffer };
  tokOff(): number;
  tokK(): number;
  tokBytes(): number;
  out(): number;
  keyArea(): number;
  state(): number;
  blakeKey(slot: number, key: number, keyLen: number, salt: number): void;
  hmacKey(slot: number, key0: number, len0: number, key1: number, len1: number): void;
  doubleIndices(slot: number, len: number, L: number): void;
  h1(): number;
  h2(): number;
  blakeDigest(slot: number, len: number): void;
  doubleBits(slot: number, nTok: number, L: number, prevent: number, direct: number): number;
  blakeBits(slot0: number, nTok: number, L: number, direct: number): number;
  hmacSha256Key(slot: number, key: number, len: number): void;
  hmacSha256(slot: number, len: number): void;
  filt(): number;
  orFilter(n: number): void;
}

/** Minimal typings (the project's lib settings carry no WebAssembly declarations). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown, imports: object) => { exports: unknown };
}

/** Limits of the kernel's fixed areas (src/link/kernel/assembly/clk-hash.ts). */
export const KERNEL_LIMITS = {
  slots: 1024,
  tokens: 16383,
  tokenBytes: 0x40000,
  /** Largest pre-fold filter length (bits) the kernel's marks cover. */
  bits: 1 << 24,
  positions: 1 << 20,
  /** Longest pre-fold filter (bits) of the kernel's record filter (filt / orFilter). */
  filterBits: 1 << 19,
} as const;

/** A keyed state in the kernel. `gen` changes when the kernel recycles its slots: the holder must key again. */
export interface SlotRef {
  slot: number;
  gen: number;
}

export class HashKernel {
  /** Token i's bytes are tokBytes[tokOff[i] .. tokOff[i+1]). */
  readonly tokOff: Uint32Array;
  /** Bits of token i (0: the token adds none and is not hashed). */
  readonly tokK: Uint32Array;
  readonly tokBytes: Uint8Array;
  /** Distinct positions of the last doubleBits / blakeBits call. */
  readonly out: Uint32Array;
  /** A record's pre-fold filter (bit i = byte i >> 3, mask 0x80 >> (i & 7)): orFilter and direct calls OR positions into it; whoever uses it leaves it all zero. */
  readonly filt: Uint8Array;
  private readonly mem: Uint8Array;
  private readonly keyArea: number;
  private readonly statePtr: number;
  private nextSlot = 0;
  /** Incremented when every slot is recycled (all holders key again). */
  gen = 0;

  constructor(private readonly x: HashExports) {
    const buf = x.memory.buffer;
    this.mem = new Uint8Array(buf);
    this.tokOff = new Uint32Array(buf, x.tokOff(), KERNEL_LIMITS.tokens + 1);
    this.tokK = new Uint32Array(buf, x.tokK(), KERNEL_LIMITS.tokens);
    this.tokBytes = new Uint8Array(buf, x.tokBytes(), KERNEL_LIMITS.tokenBytes);
    this.out = new Uint32Array(buf, x.out(), KERNEL_LIMITS.positions);
    this.filt = new Uint8Array(buf, x.filt(), KERNEL_LIMITS.filterBits / 8);
    this.keyArea = x.keyArea();
    this.statePtr = x.state();
  }

  /** `n` consecutive free slots (recycling all slots, gen + 1, when they run out). */
  private alloc(n: number): number {
    if (n > KERNEL_LIMITS.slots) throw new RangeError('too many kernel slots');
    if (this.nextSlot + n > KERNEL_LIMITS.slots) {
      this.nextSlot = 0;
      this.gen++;
    }
    const s = this.nextSlot;
    this.nextSlot += n;
    return s;
  }

  /** Slots s, s+1, ... keyed with BLAKE2b key `key` (<= 64 bytes) and salts str(0), str(1), ... */
  blakeSlots(key: Uint8Array, calls: number): SlotRef {
    const s = this.alloc(calls);
    const ka = this.keyArea;
    this.mem.set(key, ka);
    for (let j = 0; j < calls; j++) {
      const salt = this.mem.subarray(ka + 128, ka + 144);
      salt.fill(0);
      const t = String(j);
      for (let i = 0; i < t.length && i < 16; i++) salt[i] = t.charCodeAt(i);
      this.x.blakeKey(s + j, ka, key.length, ka + 128);
    }
    return { slot: s, gen: this.gen };
  }

  /** A slot keyed with HMAC-SHA1 key0 and HMAC-MD5 key1 (keys longer than 64 bytes are hashed first, as HMAC does). */
  hmacSlot(key0: Uint8Array, key1: Uint8Array): SlotRef {
    const k0 = key0.length > 64 ? sha1(key0) : key0;
    const k1 = key1.length > 64 ? md5(key1) : key1;
    const s = this.alloc(1);
    const ka = this.keyArea;
    this.mem.set(k0, ka);
    this.mem.set(k1, ka + 64);
    this.x.hmacKey(s, ka, k0.length, ka + 64, k1.length);
    return { slot: s, gen: this.gen };
  }

  /** A slot keyed with HMAC-SHA256 key `key` (longer than 64 bytes: hashed first, as HMAC does). */
  hmacSha256Slot(key: Uint8Array): SlotRef {
    const k = key.length > 64 ? sha256(key) : key;
    const s = this.alloc(1);
    this.mem.set(k, this.keyArea);
    this.x.hmacSha256Key(s, this.keyArea, k.length);
    return { slot: s, gen: this.gen };
  }

  /** HMAC-SHA256 of the first `len` bytes of tokBytes (the caller wrote them): a view of the 32-byte digest, valid until the next kernel call. */
  hmacSha256(slot: number, len: number): Uint8Array {
    this.x.hmacSha256(slot, len);
    return this.mem.subarray(this.statePtr, this.statePtr + 32);
  }

  /** [h1, h2] of one token (its bytes at most tokenBytes long). */
  doubleIndices(slot: number, tok: Uint8Array, L: number): [number, number] {
    this.tokBytes.set(tok, 0);
    this.x.doubleIndices(slot, tok.length, L);
    return [this.x.h1(), this.x.h2()];
  }

  /** The 64-byte keyed BLAKE2b digest of one non-empty token, written into `out`. */
  blakeDigest(slot: number, tok: Uint8Array, out: Uint8Array): void {
    this.tokBytes.set(tok, 0);
    this.x.blakeDigest(slot, tok.length);
    out.set(this.mem.subarray(this.statePtr, this.statePtr + 64));
  }

  /** doubleHash positions of the tokens laid out in tokOff / tokK / tokBytes: count in `out`, or -1 (h2 = 0 with preventSingularity: use the JavaScript path). `direct` (L <= filterBits): OR-ed into `filt` instead, count 0. */
  doubleBits(slot: number, nTok: number, L: number, prevent: boolean, direct = false): number {
    return this.x.doubleBits(slot, nTok, L, prevent ? 1 : 0, direct ? 1 : 0);
  }

  /** OR the first n positions of `out` (each below KERNEL_LIMITS.filterBits) into `filt`. */
  orFilter(n: number): void {
    this.x.orFilter(n);
  }

  /** blakeHash positions (slots from blakeSlots with enough calls): count in `out`, or -1 (an empty token: use the JavaScript path). `direct` (L <= filterBits): OR-ed into `filt` instead, count 0. */
  blakeBits(slot0: number, nTok: number, L: number, direct = false): number {
    return this.x.blakeBits(slot0, nTok, L, direct ? 1 : 0);
  }
}

let cached: HashKernel | null | undefined;

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function beBytesMod(bytes: Uint8Array, L: number): number {
  let r = 0;
  for (let i = 0; i < bytes.length; i++) r = (r * 256 + bytes[i]!) % L;
  return r;
}

/** Compare the kernel with @noble/hashes on a few keys and messages (one and several blocks). */
function selfTest(k: HashKernel): boolean {
  const key0 = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  const key1 = new Uint8Array(64).map((_, i) => (i * 91 + 3) & 0xff);
  const short = new Uint8Array(37).map((_, i) => (i * 53 + 1) & 0xff);
  // one block, the padding spilling into a second block, several blocks (test/encode/hash-kernel.test.ts tries many more)
  const msgs = [new Uint8Array([0x61]), new Uint8Array(56).fill(8), new Uint8Array(200).map((_, i) => i & 0xff)];
  for (const [ka, kb] of [
    [key0, key1],
    [short, new Uint8Array(100).fill(5)],
  ] as const) {
    const b = k.blakeSlots(ka, 2);
    const h = k.hmacSlot(ka, kb);
    const h256 = k.hmacSha256Slot(kb);
    for (const m of msgs) {
      k.tokBytes.set(m, 0);
      if (!same(k.hmacSha256(h256.slot, m.length), hmac(sha256, kb, m))) return false;
      for (let j = 0; j < 2; j++) {
        const salt = new Uint8Array(16);
        salt[0] = 0x30 + j;
        const want = blake2b(m, { key: ka, salt, dkLen: 64 });
        const got = new Uint8Array(64);
        k.blakeDigest(b.slot + j, m, got);
        if (!same(got, want)) return false;
      }
      for (const L of [1024, 2 ** 40 + 3]) {
        const [h1, h2] = k.doubleIndices(h.slot, m, L);
        if (h1 !== beBytesMod(hmac(sha1, ka, m), L) || h2 !== beBytesMod(hmac(md5, kb, m), L)) return false;
      }
    }
    if (!lanesAgree(k, b.slot, h.slot)) return false;
  }
  return true;
}

/**
 * The multi-token calls (doubleBits 4 tokens per SIMD step; blakeBits)
 * against the one-token digests, with positions listed and OR-ed straight
 * into the record filter (direct): tokens of 1 to 130 bytes (one-block
 * lanes and the longer ones between them), a power-of-two L and not.
 */
function lanesAgree(k: HashKernel, blakeSlot: number, hmacSlot: number): boolean {
  const lens = [1, 3, 55, 56, 2, 7, 130, 128, 4, 9, 1];
  const toks = lens.map((n, t) => new Uint8Array(n).map((_, i) => (i * 29 + t * 7 + 1) & 0xff));
  const layout = (bits: number) => {
    let off = 0;
    toks.forEach((t, i) => {
      k.tokOff[i] = off;
      k.tokK[i] = i === 5 ? 0 : bits + i;
      k.tokBytes.set(t, off);
      off += t.length;
    });
    k.tokOff[toks.length] = off;
  };
  const distinct = (xs: number[]) => [...new Set(xs)];
  const filterOf = (xs: number[]) => {
    const f = new Uint8Array(128);
    for (const b of xs) f[b >>> 3]! |= 0x80 >>> (b & 7);
    return f;
  };
  for (const L of [1024, 1000]) {
    const want: number[] = [];
    toks.forEach((t, i) => {
      if (i === 5) return;
      const [h1, h2] = k.doubleIndices(hmacSlot, t, L);
      for (let j = 0; j < 3 + i; j++) want.push((h1 + j * h2) % L);
    });
    layout(3);
    const n = k.doubleBits(hmacSlot, toks.length, L, false);
    if (!same(distinct(want), k.out.subarray(0, n))) return false;
    k.filt.fill(0, 0, 128);
    if (k.doubleBits(hmacSlot, toks.length, L, false, true) !== 0 || !same(k.filt.subarray(0, 128), filterOf(want))) return false;
  }
  for (const L of [1024, 1000]) {
    const want: number[] = [];
    const d = new Uint8Array(64);
    toks.forEach((t, i) => {
      if (i === 5) return;
      const bits = 30 + i;
      for (let j = 0; j * 32 < bits; j++) {
        k.blakeDigest(blakeSlot + j, t, d);
        for (let m = 0; m < Math.min(32, bits - 32 * j); m++) want.push((d[2 * m]! | (d[2 * m + 1]! << 8)) % L);
      }
    });
    layout(30);
    const n = k.blakeBits(blakeSlot, toks.length, L);
    if (!same(distinct(want), k.out.subarray(0, n))) return false;
    k.filt.fill(0, 0, 128);
    if (k.blakeBits(blakeSlot, toks.length, L, true) !== 0 || !same(k.filt.subarray(0, 128), filterOf(want))) return false;
  }
  k.filt.fill(0, 0, 128); // all zero between calls (the encoders rely on it)
  return true;
}

/** This thread's kernel, or null (no WebAssembly, P20LINK_HASH_WASM=0, or the self-check failed): use the JavaScript path. */
export function hashKernel(): HashKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.P20LINK_HASH_WASM === '0') return null;
  const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (WA === undefined) return null;
  try {
    const mod = new WA.Module(Buffer.from(HASH_WASM_BASE64, 'base64'));
    const inst = new WA.Instance(mod, {});
    const k = new HashKernel(inst.exports as HashExports);
    if (selfTest(k)) cached = k;
  } catch {
    cached = null;
  }
  return cached;
}
