/**
 * clkhash 0.18.3's keyed hashing of tokens into Bloom-filter bit positions,
 * and its key derivation. Everything is keyed: an attacker without the secret
 * cannot compute which bits a name sets.
 *
 * Keys: HKDF (RFC 5869, SHA256 or SHA512) over IKM = the secret bytes, with the
 * schema's salt and info, output 2 x features x keySize bytes; feature i gets
 * [key0, key1] = bytes [2i*ks, (2i+1)*ks) and [(2i+1)*ks, (2i+2)*ks). Ignored
 * features take their slot too.
 *
 * doubleHash over L bits: h1 = HMAC-SHA1(key0, tok) mod L and
 * h2 = HMAC-MD5(key1, tok) mod L (digests read big-endian); bits
 * (h1 + i*h2) mod L for i < k. With prevent_singularity, while h2 == 0:
 * h2 = HMAC-MD5(key1, tok || UTF-8(chr(j))) mod L, j = 0, 1, ...
 *
 * blakeHash (L a power of two): for j < ceil(k/32), BLAKE2b-512(tok, key=key0,
 * salt = ASCII(str(j)) zero-padded to 16 bytes) read as 32 little-endian
 * uint16; bit value mod L for the first k values.
 *
 * Speed: the keyed state (HMAC's inner and outer states, BLAKE2b's state
 * after the key block) is computed once per feature key and copied per
 * token. Both hashings run in the WebAssembly kernel (src/encode/hash-kernel.ts)
 * when it loads and passes its self-check, else in JavaScript
 * (@noble/hashes); the bytes are the same either way. `kernelBits` computes
 * the distinct positions of a whole feature value in one kernel call (the
 * CLK encoder's hot path).
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { blake2b } from '@noble/hashes/blake2.js';
import type { KdfConfig } from '../schema/types.js';
import { hashKernel, KERNEL_LIMITS, type HashKernel, type SlotRef } from './hash-kernel.js';

export function deriveFeatureKeys(secret: Uint8Array, kdf: KdfConfig, featureCount: number): [Uint8Array, Uint8Array][] {
  const ks = kdf.keySize;
  const okm = hkdf(kdf.hash === 'SHA512' ? sha512 : sha256, secret, kdf.salt, kdf.info, 2 * featureCount * ks);
  const keys: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < featureCount; i++) {
    keys.push([okm.slice(2 * i * ks, (2 * i + 1) * ks), okm.slice((2 * i + 1) * ks, (2 * i + 2) * ks)]);
  }
  return keys;
}

/** Big-endian integer value of the bytes, mod L (L < 2^45 keeps every step exact). */
function modBE(bytes: Uint8Array, L: number): number {
  let r = 0;
  for (let i = 0; i < bytes.length; i++) r = (r * 256 + bytes[i]!) % L;
  return r;
}

/** The two doubleHash indices of a token. */
export class DoubleHasher {
  private readonly sha1Base;
  private readonly md5Base;
  private readonly sha1Work;
  private readonly md5Work;
  private readonly sha1Out = new Uint8Array(20);
  private readonly md5Out = new Uint8Array(16);
  /** The WebAssembly kernel (null: JavaScript only) and this key pair's slot in it. */
  readonly kernel: HashKernel | null;
  private ref: SlotRef | undefined;

  constructor(
    private readonly key0: Uint8Array,
    private readonly key1: Uint8Array,
    private readonly L: number,
    private readonly preventSingularity: boolean,
    useKernel = true,
  ) {
    this.sha1Base = hmac.create(sha1, key0);
    this.md5Base = hmac.create(md5, key1);
    this.sha1Work = this.sha1Base.clone();
    this.md5Work = this.md5Base.clone();
    this.kernel = useKernel ? hashKernel() : null;
  }

  private slot(k: HashKernel): number {
    if (this.ref === undefined || this.ref.gen !== k.gen) this.ref = k.hmacSlot(this.key0, this.key1);
    return this.ref.slot;
  }

  /**
   * The distinct positions (unordered, in kernel.out) of the nTok tokens the
   * caller laid out in the kernel (tokOff / tokK / tokBytes): their count, or
   * -1 when the caller must use indices() (no kernel, L beyond the kernel's
   * marks, or h2 = 0 under preventSingularity). `direct`: OR-ed into the
   * kernel's record filter instead (count 0; L <= KERNEL_LIMITS.filterBits).
   */
  kernelBits(nTok: number, direct = false): number {
    const k = this.kernel;
    if (k === null || this.L > KERNEL_LIMITS.bits) return -1;
    return k.doubleBits(this.slot(k), nTok, this.L, this.preventSingularity, direct);
  }

  /** [h1, h2] for the token bytes. */
  indices(tok: Uint8Array): [number, number] {
    const k = this.kernel;
    if (k !== null && tok.length <= KERNEL_LIMITS.tokenBytes) {
      const hh = k.doubleIndices(this.slot(k), tok, this.L);
      if (hh[1] !== 0 || !this.preventSingularity) return hh;
    }
    this.sha1Base._cloneInto(this.sha1Work);
    this.sha1Work.update(tok);
    this.sha1Work.digestInto(this.sha1Out);
    this.md5Base._cloneInto(this.md5Work);
    this.md5Work.update(tok);
    this.md5Work.digestInto(this.md5Out);
    const h1 = modBE(this.sha1Out, this.L);
    let h2 = modBE(this.md5Out, this.L);
    if (this.preventSingularity) {
      for (let j = 0; h2 === 0; j++) {
        const suffix = new TextEncoder().encode(String.fromCodePoint(j));
        const msg = new Uint8Array(tok.length + suffix.length);
        msg.set(tok);
        msg.set(suffix, tok.length);
        h2 = modBE(hmac(md5, this.key1, msg), this.L);
      }
    }
    return [h1, h2];
  }
}

/** noble's BLAKE2b internals the fast path uses (checked against the reference at construction). */
interface Blake2bInternals {
  compress(msg: Uint32Array, offset: number, isLast: boolean): void;
  buffer32: Uint32Array;
  pos: number;
  length: number;
  _cloneInto(to?: unknown): unknown;
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
}

/**
 * BLAKE2b values of a token: 32 uint16 per call, `calls` calls.
 *
 * Keyed BLAKE2b hashes the zero-padded key as its first 128-byte block. That
 * block is the same for every token, so it is compressed once per (key, salt)
 * here ("pre-keyed" state), and each token clones that state into a reused
 * work object and compresses only its own block(s): one compression per token
 * instead of two. An empty token is the one case where the key block is the
 * final block; it takes the ordinary path. The pre-keyed state is checked
 * against the reference computation when it is built, and the ordinary path
 * is used if they ever differ (e.g. a changed @noble/hashes).
 */
export class BlakeHasher {
  private readonly bases: ReturnType<typeof blake2b.create>[] = [];
  private readonly keyed: (Blake2bInternals | null)[] = [];
  private readonly work: (Blake2bInternals | null)[] = [];
  private readonly out = new Uint8Array(64);
  /** The WebAssembly kernel (null: JavaScript only), this key's slots in it and how many salts they cover. */
  readonly kernel: HashKernel | null;
  private ref: SlotRef | undefined;
  private refCalls = 0;

  constructor(
    private readonly key0: Uint8Array,
    useKernel = true,
  ) {
    this.kernel = useKernel && this.key0.length <= 64 ? hashKernel() : null;
  }

  /** First of `calls` consecutive kernel slots keyed with salts 0, 1, ... */
  private slots(k: HashKernel, calls: number): number {
    if (this.ref === undefined || this.ref.gen !== k.gen || this.refCalls < calls) {
      this.refCalls = Math.max(calls, 8, this.refCalls);
      this.ref = k.blakeSlots(this.key0, this.refCalls);
    }
    return this.ref.slot;
  }

  /**
   * The distinct positions (unordered, in kernel.out) of the nTok tokens the
   * caller laid out in the kernel, at most maxK bits per token, L bits: their
   * count, or -1 when the caller must use values() (no kernel, L beyond the
   * kernel's marks, an empty token). `direct`: OR-ed into the kernel's
   * record filter instead (count 0; L <= KERNEL_LIMITS.filterBits).
   */
  kernelBits(nTok: number, maxK: number, L: number, direct = false): number {
    const k = this.kernel;
    const calls = Math.ceil(maxK / 32);
    if (k === null || L > KERNEL_LIMITS.bits || calls > 64) return -1;
    return k.blakeBits(this.slots(k, calls), nTok, L, direct);
  }

  private base(j: number): ReturnType<typeof blake2b.create> {
    let b = this.bases[j];
    if (b === undefined) {
      const salt = new Uint8Array(16);
      const s = String(j);
      for (let i = 0; i < s.length && i < 16; i++) salt[i] = s.charCodeAt(i);
      b = blake2b.create({ key: this.key0, salt, dkLen: 64 });
      this.bases[j] = b;
      this.keyed[j] = this.preKey(b);
      this.work[j] = this.keyed[j] === null ? null : (b.clone() as unknown as Blake2bInternals);
    }
    return b;
  }

  /** The state after compressing the key block, or null when the shortcut does not reproduce the reference. */
  private preKey(b: ReturnType<typeof blake2b.create>): Blake2bInternals | null {
    try {
      const k = b.clone() as unknown as Blake2bInternals;
      if (k.pos !== 128 || k.length !== 128 || typeof k.compress !== 'function') return null;
      k.compress(k.buffer32, 0, false);
      k.pos = 0;
      for (const probe of [new Uint8Array([0x61, 0x62]), new Uint8Array(128).fill(7), new Uint8Array(200).fill(3)]) {
        const ref = b.clone();
        ref.update(probe);
        const want = ref.digest();
        const t = k._cloneInto() as Blake2bInternals;
        t.update(probe);
        const got = new Uint8Array(64);
        t.digestInto(got);
        for (let i = 0; i < 64; i++) if (got[i] !== want[i]) return null;
      }
      return k;
    } catch {
      return null;
    }
  }

  /** 32 x calls little-endian uint16 values. */
  values(tok: Uint8Array, calls: number): Uint16Array {
    const vals = new Uint16Array(32 * calls);
    const o = this.out;
    const k = this.kernel;
    if (k !== null && tok.length > 0 && tok.length <= KERNEL_LIMITS.tokenBytes && calls <= 64) {
      const s0 = this.slots(k, calls);
      for (let j = 0; j < calls; j++) {
        k.blakeDigest(s0 + j, tok, o);
        for (let i = 0; i < 32; i++) vals[32 * j + i] = o[2 * i]! | (o[2 * i + 1]! << 8);
      }
      return vals;
    }
    for (let j = 0; j < calls; j++) {
      const b = this.base(j);
      const keyed = this.keyed[j];
      if (keyed !== null && keyed !== undefined && tok.length > 0) {
        const w = this.work[j]!;
        keyed._cloneInto(w);
        w.update(tok);
        w.digestInto(o);
      } else {
        const h = b.clone();
        h.update(tok);
        h.digestInto(o);
      }
      for (let i = 0; i < 32; i++) vals[32 * j + i] = o[2 * i]! | (o[2 * i + 1]! << 8);
    }
    return vals;
  }
}

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * hex(first 16 bytes of HMAC-SHA256(key, UTF-8(name + "\0" + plain))), the
 * keyed blocking value (src/encode/blocking-keys.ts defines it); "" for an
 * empty plain value. The HMAC key state is computed once (kernel slot, or a
 * @noble/hashes HMAC cloned per call), not per value.
 */
export function createBlockMac(key: Uint8Array, useKernel = true): (name: string, plain: string) => string {
  const k = useKernel ? hashKernel() : null;
  const base = hmac.create(sha256, key);
  const work = base.clone();
  const digest = new Uint8Array(32);
  let ref: SlotRef | undefined;
  const hex = (d: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < 16; i++) s += HEX[d[i]!];
    return s;
  };
  return (name, plain) => {
    if (plain === '') return '';
    const msg = `${name}\0${plain}`;
    if (k !== null && 3 * msg.length <= KERNEL_LIMITS.tokenBytes) {
      if (ref === undefined || ref.gen !== k.gen) ref = k.hmacSha256Slot(key);
      const { written } = utf8.encodeInto(msg, k.tokBytes);
      return hex(k.hmacSha256(ref.slot, written));
    }
    base._cloneInto(work);
    work.update(utf8.encode(msg));
    work.digestInto(digest);
    return hex(digest);
  };
}
