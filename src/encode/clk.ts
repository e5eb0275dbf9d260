/**
 * The CLK encoder: a record's feature values -> a keyed Bloom filter (CLK),
 * bit-identical to clkhash 0.18.3's generate_clks for the same linkage schema,
 * secret and values (known-answer vectors in ../shared/vectors/clkhash/).
 *
 * Per feature: value -> (missing-value replacement, integer/date formatting)
 * -> tokens (src/encode/tokenize.ts) -> keyed bit positions
 * (src/encode/bloom-hash.ts) in a filter of L = l x 2^xor_folds bits. The
 * features' filters are OR-ed, then folded xor_folds times (first half XOR
 * second half). Bit i is byte i>>3, mask 0x80>>(i&7) (clkhash's bitarray,
 * most significant bit first); trailing bits of a partial last byte are 0.
 *
 * Speed: tokens are hashed by the WebAssembly kernel (src/encode/hash-kernel.ts),
 * a whole feature value per call, ASCII n-grams written straight from the
 * value; the JavaScript path (no kernel) is the fallback, same bytes. The
 * same value of a feature recurs a lot (first names, birth dates), and the
 * same token even more. Each feature keeps bounded caches: raw value -> bit
 * positions, and (JavaScript path) token -> keyed hash output. A cache holds at
 * most `cacheSize` entries; when full, its oldest eighth is dropped. A
 * feature whose values mostly do not recur admits only a sample of new
 * values (FeatureEncoder.admit).
 */
import { P20Error } from '../errors.js';
import type { HashedFeature, LinkageSchema } from '../schema/types.js';
import { BlakeHasher, DoubleHasher, deriveFeatureKeys } from './bloom-hash.js';
import { KERNEL_LIMITS, type HashKernel } from './hash-kernel.js';
import { featureValueRules, InvalidValueError, type FeatureValueRules } from './feature-value.js';
import { saltedToken } from './harden.js';
import {
  bitsForTokens,
  makeTokenEncoder,
  makeTokenizer,
  NumericValueError,
  TokenEncodingError,
  type TokenEncoder,
  type Tokenizer,
} from './tokenize.js';

export interface ClkProblem {
  /** Index into featureNames. */
  index: number;
  feature: string;
  /** What was expected (never quotes the value). */
  message: string;
}

export interface ClkEncoder {
  /** CLK length in bits (after folding). */
  readonly l: number;
  /** Every feature identifier in schema order, ignored ones included: the order encode() takes values in. */
  readonly featureNames: string[];
  /**
   * The CLK bytes (ceil(l/8)) of one record. Does not validate (call check() first); throws P20Error E_VALUE when a value cannot be hashed at all.
   * `salts[i]` (hardening, src/encode/harden.ts): "" or the salt feature i's tokens are hashed with.
   * `skip[i]` true: feature i adds no bits (encoded as missing: a bad field under --on-bad-field missing, or a feature the agency declared absent).
   * `into` (ceil(l/8) bytes): written and returned instead of a new array.
   */
  encode(values: readonly string[], skip?: readonly boolean[], salts?: readonly string[], into?: Uint8Array): Uint8Array;
  /** clkhash's validation of a record: the first bad feature (features with `skip[i]` true are not checked), or null. After null, encode() does not throw. */
  check(values: readonly string[], skip?: readonly boolean[]): ClkProblem | null;
  /** Sorted distinct positions in the final CLK (0..l-1) that this one feature value sets before folding cancels any. */
  bitsOf(featureIndex: number, value: string): number[];
}

/** Entries per feature cache unless ClkEncoderOptions.cacheSize says otherwise. */
export const DEFAULT_CACHE_SIZE = 100_000;

export interface ClkEncoderOptions {
  /** Max entries per feature cache (value cache and token cache each). Default 100,000; 0 turns the caches off (benchmarks). */
  cacheSize?: number;
  /** Hash in the WebAssembly kernel when it is available (default true); false: JavaScript only (tests compare the two). */
  wasm?: boolean;
}

/**
 * Standard base64 (with '=' padding) of CLK bytes, as clkhash serialises a CLK.
 * When `l` is given, the byte length must be ceil(l/8).
 */
export function clkToBase64(bytes: Uint8Array, l?: number): string {
  if (l !== undefined && bytes.length !== Math.ceil(l / 8)) {
    throw new RangeError(`CLK has ${bytes.length} bytes, expected ${Math.ceil(l / 8)} for l = ${l}`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V): void {
    if (this.max <= 0) return;
    if (this.map.size >= this.max) {
      let drop = Math.max(1, this.max >> 3);
      for (const key of this.map.keys()) {
        this.map.delete(key);
        if (--drop === 0) break;
      }
    }
    this.map.set(k, v);
  }
}

/** Distinct pre-fold bit positions (in no particular order). */
type Positions = Uint16Array | Uint32Array;

class FeatureEncoder {
  readonly rules: FeatureValueRules;
  private readonly tokenize: Tokenizer;
  private readonly encodeToken: TokenEncoder;
  private readonly double?: DoubleHasher;
  private readonly blake?: BlakeHasher;
  private readonly valueCache: BoundedCache<Positions>;
  private readonly doubleCache: BoundedCache<[number, number]>;
  private readonly blakeCache: BoundedCache<Uint16Array>;
  private scratch = new Uint32Array(256);
  /** Value-cache hits and misses in the current window, and whether every miss is admitted (admit()). */
  private hits = 0;
  private misses = 0;
  private admitAll = true;
  /** The padded value of kernelAsciiNgrams. */
  private padBuf = new Uint8Array(256);
  /** The WebAssembly hashing kernel (null: JavaScript path only). */
  readonly kernel: HashKernel | null;
  /** quiet(): 2 = any valid value, 1 = ASCII values, 0 = never. */
  private readonly quietKind: 0 | 1 | 2;
  /** Tokens are hashed as UTF-8. */
  private readonly utf8: boolean;
  /** One bit per pre-fold position: marks positions already emitted for the current value (all zero between calls). */
  private readonly mark: Uint8Array;
  /** The last value computed (check() then encode() ask for the same value: one hashing, even with the caches off). */
  private lastKey: string | undefined;
  private lastArr: Positions = this.scratch;
  private lastN = 0;
  /** Where the last positionsOf() answer is (its first n entries). */
  posArr: Positions = this.scratch;
  /**
   * Where the kernel left the last positionsOf() answer (keep = false): 0
   * nowhere, 1 also in the kernel's `out` (the caller ORs it in with
   * orFilter), 2 already OR-ed into the kernel's record filter (count 0).
   */
  inKernel: 0 | 1 | 2 = 0;
  /** The last positionsOf() call made a direct kernel call (the record filter may hold bits, even when it fell back to JavaScript). */
  filtTouched = false;

  constructor(
    readonly feature: HashedFeature,
    keys: [Uint8Array, Uint8Array],
    private readonly L: number,
    private readonly cacheSize: number,
    wasm = true,
  ) {
    this.mark = new Uint8Array(Math.ceil(L / 8));
    this.utf8 = feature.format.type !== 'string' || feature.format.encoding === 'utf-8';
    this.rules = featureValueRules(feature);
    this.tokenize = makeTokenizer(feature.hashing.comparison);
    this.encodeToken = makeTokenEncoder(feature.format.type === 'string' ? feature.format.encoding : 'utf-8');
    const h = feature.hashing.hash;
    if (h.type === 'doubleHash') this.double = new DoubleHasher(keys[0], keys[1], L, h.preventSingularity, wasm);
    else this.blake = new BlakeHasher(keys[0], wasm);
    this.kernel = (this.double ?? this.blake)!.kernel;
    const fmt = feature.format;
    const cmp = feature.hashing.comparison.type;
    this.quietKind =
      cmp !== 'ngram' && cmp !== 'exact'
        ? 0
        : fmt.type === 'integer' || fmt.type === 'date'
          ? 2
          : fmt.type === 'enum' || fmt.encoding === 'utf-8' || fmt.encoding === 'ascii'
            ? 1
            : 0;
    this.valueCache = new BoundedCache(cacheSize);
    this.doubleCache = new BoundedCache(cacheSize);
    this.blakeCache = new BoundedCache(cacheSize);
  }

  /**
   * Whether hashing `raw` cannot throw once rules.problem(raw) is null, so
   * check() can leave the hashing to encode(): an n-gram or exact comparison
   * of a value other than the missing-value sentinel that formats to ASCII
   * (integers, dates) or is ASCII text in a UTF-8 or ASCII format.
   */
  quiet(raw: string): boolean {
    const kind = this.quietKind;
    if (kind === 0) return false;
    const mv = this.feature.hashing.missingValue;
    if (mv !== undefined && raw === mv.sentinel) return false;
    if (kind === 2) return true;
    for (let i = 0; i < raw.length; i++) if (raw.charCodeAt(i) > 0x7f) return false;
    return true;
  }

  /** Distinct pre-fold positions a raw value sets, unordered (cached): a view of positionsOf's answer. Throws like positionsOf. */
  positions(raw: string, salt = ''): Positions {
    const n = this.positionsOf(raw, salt);
    return this.posArr.subarray(0, n);
  }

  /**
   * Distinct pre-fold positions a raw value sets, unordered (cached): their
   * count; they are the first entries of `posArr` (valid until this
   * feature's next call). `keep` false (encode, with the kernel's record
   * filter zeroed): see inKernel; the positions are not copied unless the
   * value cache takes them. Throws InvalidValueError /
   * NumericValueError / TokenEncodingError.
   */
  positionsOf(raw: string, salt = '', keep = true): number {
    this.inKernel = 0;
    this.filtTouched = false;
    const cacheKey = salt === '' ? raw : `${salt}\u0000${raw}`;
    if (cacheKey === this.lastKey) {
      this.posArr = this.lastArr;
      return this.lastN;
    }
    const hit = this.cacheSize > 0 ? this.valueCache.get(cacheKey) : undefined;
    if (hit !== undefined) {
      this.hits++;
      this.posArr = hit;
      return hit.length;
    }
    const formatted = this.rules.format(raw);
    // The positions go into this feature's reused buffer; the value cache
    // keeps its own copy (16-bit entries whenever L allows). With keep false
    // (encode) and the value not going into the cache, the kernel ORs them
    // straight into its record filter (direct: nothing copied or kept).
    // ASCII n-grams go straight from the value into the kernel (no token
    // strings).
    let admitted: boolean | undefined;
    let direct = false;
    if (!keep) {
      admitted = this.cacheSize > 0 && this.admit();
      direct = !admitted;
    }
    let n = salt === '' ? this.kernelAsciiNgrams(formatted, direct) : -1;
    let tokens: string[] | undefined;
    if (n < 0) {
      tokens = this.tokenize(formatted);
      if (salt !== '') tokens = tokens.map((t) => saltedToken(salt, t));
      n = this.kernelPositions(tokens, direct);
    }
    // A direct call that gave up (-1: the JavaScript path below) may have OR-ed the positions of its first tokens already (a subset of the answer).
    if (direct) this.filtTouched = true;
    if (n >= 0) {
      if (direct) {
        this.inKernel = 2;
        this.posArr = this.scratch;
        this.lastKey = undefined;
        return 0;
      }
      if (!keep) this.inKernel = 1;
      if (this.scratch.length < n) this.scratch = new Uint32Array(Math.max(n, 2 * this.scratch.length));
      const src = this.kernel!.out;
      const dst = this.scratch;
      for (let i = 0; i < n; i++) dst[i] = src[i]!;
    } else n = this.jsPositions(tokens!);
    let result: Positions = this.scratch;
    if (this.cacheSize > 0 && (admitted ?? this.admit())) {
      const view = this.scratch.subarray(0, n);
      result = this.L <= 65536 ? Uint16Array.from(view) : view.slice();
      this.valueCache.set(cacheKey, result);
    }
    this.lastKey = cacheKey;
    this.lastArr = result;
    this.lastN = n;
    this.posArr = result;
    return n;
  }

  /**
   * Whether a computed value goes into the value cache. Values that mostly
   * do not recur (street names, ids, dates of birth over a century) only
   * cost memory and copies, while the kernel recomputes a value in a few
   * microseconds: every 8,192 misses the share of hits is looked at, and
   * below 1 hit per 4 lookups only 1 miss in 16 is admitted (so values that
   * start recurring later still get in). Never changes a result.
   */
  private admit(): boolean {
    if (++this.misses >= 8192) {
      this.admitAll = this.hits * 3 >= this.misses;
      this.hits = 0;
      this.misses = 0;
    }
    return this.admitAll || (this.misses & 15) === 0;
  }

  /**
   * kernelPositions for an n-gram comparison of a value that is all ASCII
   * (UTF-8 encoding): the n-grams' bytes are written straight from the value
   * into the kernel, exactly the bytes the tokenizer's strings would encode
   * to (makeTokenizer: n - 1 spaces of padding on both sides, positional
   * n-grams prefixed "<1-based index> "). -1 when not applicable.
   */
  private kernelAsciiNgrams(value: string, direct: boolean): number {
    const kr = this.kernel;
    const c = this.feature.hashing.comparison;
    if (kr === null || c.type !== 'ngram' || !this.utf8) return -1;
    const len = value.length;
    if (len === 0) return this.kernelPositions([], direct);
    const ng = c.n;
    const padded = len + 2 * (ng - 1);
    const t = padded - ng + 1;
    if (t > KERNEL_LIMITS.tokens || t * (ng + 7) > KERNEL_LIMITS.tokenBytes) return -1;
    const pv = this.padBuf.length >= padded ? this.padBuf : (this.padBuf = new Uint8Array(2 * padded));
    const pad = ng - 1;
    for (let i = 0; i < pad; i++) {
      pv[i] = 32;
      pv[pad + len + i] = 32;
    }
    for (let i = 0; i < len; i++) {
      const ch = value.charCodeAt(i);
      if (ch > 0x7f) return -1;
      pv[pad + i] = ch;
    }
    const strategy = this.feature.hashing.strategy;
    const perToken = strategy.type === 'bitsPerToken' ? strategy.bitsPerToken : -1;
    const b = strategy.type === 'bitsPerFeature' ? strategy.bitsPerFeature : 0;
    const kLow = Math.floor(b / t);
    const extra = b % t;
    const positional = c.positional;
    const tokOff = kr.tokOff;
    const tokK = kr.tokK;
    const bytes = kr.tokBytes;
    let off = 0;
    let total = 0;
    let maxK = 0;
    for (let i = 0; i < t; i++) {
      const k = perToken >= 0 ? perToken : i < extra ? kLow + 1 : kLow;
      tokOff[i] = off;
      if (k <= 0) {
        tokK[i] = 0;
        continue;
      }
      if (positional) {
        const idx = i + 1;
        if (idx < 10) bytes[off++] = 48 + idx;
        else {
          const d = String(idx);
          for (let j = 0; j < d.length; j++) bytes[off++] = d.charCodeAt(j);
        }
        bytes[off++] = 32;
      }
      for (let j = 0; j < ng; j++) bytes[off++] = pv[i + j]!;
      tokK[i] = k;
      total += k;
      if (k > maxK) maxK = k;
    }
    tokOff[t] = off;
    if (total > KERNEL_LIMITS.positions) return -1;
    return this.double !== undefined ? this.double.kernelBits(t, direct) : this.blake!.kernelBits(t, maxK, this.L, direct);
  }

  /**
   * The positions of the tokens by the WebAssembly kernel: the tokens' bytes
   * and bit counts are laid out in the kernel's memory and one call hashes
   * them all and drops duplicate positions (into kernel.out). Returns the
   * count, or -1 when the kernel is not there or cannot take this value
   * (then jsPositions). Throws TokenEncodingError like the JavaScript path.
   */
  private kernelPositions(tokens: readonly string[], direct: boolean): number {
    const kr = this.kernel;
    const t = tokens.length;
    if (kr === null || t > KERNEL_LIMITS.tokens) return -1;
    const strategy = this.feature.hashing.strategy;
    const tokOff = kr.tokOff;
    const tokK = kr.tokK;
    const bytes = kr.tokBytes;
    const cap = bytes.length;
    const ascii = this.utf8;
    let off = 0;
    let total = 0;
    let maxK = 0;
    for (let i = 0; i < t; i++) {
      const k = bitsForTokens(strategy, t, i);
      tokOff[i] = off;
      if (k <= 0) {
        tokK[i] = 0;
        continue;
      }
      const tok = tokens[i]!;
      const len = tok.length;
      let j = 0;
      if (ascii && off + len <= cap) {
        // UTF-8 of ASCII text is its code units: write them straight into the kernel.
        for (; j < len; j++) {
          const c = tok.charCodeAt(j);
          if (c > 0x7f) break;
          bytes[off + j] = c;
        }
      }
      if (j === len) off += len;
      else {
        const b = this.encodeToken(tok);
        if (off + b.length > cap) return -1;
        bytes.set(b, off);
        off += b.length;
      }
      tokK[i] = k;
      total += k;
      if (k > maxK) maxK = k;
    }
    tokOff[t] = off;
    if (total > KERNEL_LIMITS.positions) return -1;
    return this.double !== undefined ? this.double.kernelBits(t, direct) : this.blake!.kernelBits(t, maxK, this.L, direct);
  }

  /** The positions of the tokens in JavaScript (token caches), into this.scratch: their count. */
  private jsPositions(tokens: readonly string[]): number {
    const strategy = this.feature.hashing.strategy;
    const L = this.L;
    const t = tokens.length;
    // Duplicates are dropped with a marker bitset (cleared again below)
    // instead of a sort: the order of the positions does not matter to
    // anyone (they are OR-ed into the filter; bitsOf sorts its own answer).
    let total = 0;
    for (let i = 0; i < t; i++) total += Math.max(0, bitsForTokens(strategy, t, i));
    if (this.scratch.length < total) this.scratch = new Uint32Array(Math.max(total, 2 * this.scratch.length));
    const out = this.scratch;
    const mark = this.mark;
    let n = 0;
    try {
      for (let i = 0; i < t; i++) {
        const k = bitsForTokens(strategy, t, i);
        if (k <= 0) continue;
        const tok = tokens[i]!;
        if (this.double !== undefined) {
          let hh = this.doubleCache.get(tok);
          if (hh === undefined) {
            hh = this.double.indices(this.encodeToken(tok));
            this.doubleCache.set(tok, hh);
          }
          const h1 = hh[0];
          const h2 = hh[1];
          for (let j = 0; j < k; j++) {
            const b = (h1 + j * h2) % L;
            const m = 1 << (b & 7);
            if ((mark[b >>> 3]! & m) === 0) {
              mark[b >>> 3]! |= m;
              out[n++] = b;
            }
          }
        } else {
          const calls = Math.ceil(k / 32);
          let vals = this.blakeCache.get(tok);
          if (vals === undefined || vals.length < 32 * calls) {
            vals = this.blake!.values(this.encodeToken(tok), calls);
            this.blakeCache.set(tok, vals);
          }
          for (let j = 0; j < k; j++) {
            const b = vals[j]! % L;
            const m = 1 << (b & 7);
            if ((mark[b >>> 3]! & m) === 0) {
              mark[b >>> 3]! |= m;
              out[n++] = b;
            }
          }
        }
      }
    } finally {
      // Also after a token that cannot be encoded: the marks must be all zero for the next value.
      for (let i = 0; i < n; i++) mark[out[i]! >>> 3] = 0;
    }
    return n;
  }
}

function valueError(feature: string, e: unknown): P20Error {
  if (e instanceof InvalidValueError || e instanceof NumericValueError || e instanceof TokenEncodingError) {
    return new P20Error('E_VALUE', e.message, { field: feature });
  }
  throw e;
}

/**
 * Build an encoder for a schema and secret (the secret's bytes, e.g. the UTF-8
 * of the secret text, exactly as clkhash uses its secret string). The secret
 * is used once, to derive the per-feature keys, and not kept.
 */
export function createClkEncoder(schema: LinkageSchema, secret: Uint8Array, opts: ClkEncoderOptions = {}): ClkEncoder {
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new P20Error('E_SECRET', 'the linkage secret is empty');
  }
  const cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE;
  const { l, xorFolds, kdf } = schema.clkConfig;
  const L = l * 2 ** xorFolds;
  const featureNames = schema.features.map((f) => f.identifier);
  const keys = deriveFeatureKeys(secret, kdf, schema.features.length);
  const encoders: (FeatureEncoder | undefined)[] = schema.features.map((f, i) =>
    f.ignored ? undefined : new FeatureEncoder(f, keys[i]!, L, cacheSize, opts.wasm ?? true),
  );
  const active = encoders.map((e, i) => [i, e] as const).filter((x): x is readonly [number, FeatureEncoder] => x[1] !== undefined);
  const n = featureNames.length;
  const filter = new Uint8Array(Math.ceil(L / 8));
  const outBytes = Math.ceil(l / 8);
  // Positions the kernel has just computed are OR-ed into its own record filter (no copy, no JavaScript loop).
  const kernel = L <= KERNEL_LIMITS.filterBits ? (active.find(([, fe]) => fe.kernel !== null)?.[1].kernel ?? null) : null;

  function checkArity(values: readonly string[]): void {
    if (values.length !== n) {
      throw new P20Error('E_VALUE', `expected ${n} values (${featureNames.join(', ')}), found ${values.length}`);
    }
  }

  function fold(): void {
    let len = L;
    for (let f = 0; f < xorFolds; f++) {
      const half = len / 2;
      if (half % 8 === 0) {
        const hb = half / 8;
        for (let b = 0; b < hb; b++) filter[b]! ^= filter[b + hb]!;
      } else {
        for (let i = 0; i < half; i++) {
          const j = i + half;
          if ((filter[j >>> 3]! & (0x80 >>> (j & 7))) !== 0) filter[i >>> 3]! ^= 0x80 >>> (i & 7);
        }
      }
      len = half;
    }
  }

  return {
    l,
    featureNames,
    encode(values, skip, salts, into) {
      checkArity(values);
      filter.fill(0);
      const nb = filter.length;
      // The kernel's record filter is all zero between calls (every encoder sharing the kernel leaves it so).
      let used = false;
      let done = false;
      try {
        for (let a = 0; a < active.length; a++) {
          const [i, fe] = active[a]!;
          if (skip?.[i] === true) continue;
          let n: number;
          try {
            n = fe.positionsOf(values[i]!, salts?.[i] ?? '', kernel === null);
          } catch (e) {
            throw valueError(featureNames[i]!, e);
          }
          if (fe.filtTouched) used = true;
          if (fe.inKernel === 2) continue;
          if (fe.inKernel === 1) {
            used = true;
            kernel!.orFilter(n);
            continue;
          }
          const pos = fe.posArr;
          for (let p = 0; p < n; p++) {
            const b = pos[p]!;
            filter[b >>> 3]! |= 0x80 >>> (b & 7);
          }
        }
        if (used) {
          const kf = kernel!.filt;
          for (let b = 0; b < nb; b++) {
            filter[b]! |= kf[b]!;
            kf[b] = 0;
          }
        }
        done = true;
      } finally {
        // After a value that could not be hashed: a direct call may have set bits before failing.
        if (!done && kernel !== null) kernel.filt.fill(0, 0, nb);
      }
      fold();
      const out = into ?? new Uint8Array(outBytes);
      for (let b = 0; b < outBytes; b++) out[b] = filter[b]!;
      if (l % 8 !== 0) out[outBytes - 1]! &= (0xff << (8 - (l % 8))) & 0xff;
      return out;
    },
    check(values, skip) {
      if (values.length !== n) {
        const index = Math.min(values.length, n - 1);
        return { index, feature: featureNames[index] ?? '', message: `expected ${n} values, found ${values.length}` };
      }
      for (const [i, fe] of active) {
        if (skip?.[i] === true) continue;
        const v = values[i]!;
        let message = fe.rules.problem(v);
        if (message === null && !fe.quiet(v)) {
          try {
            fe.positionsOf(v);
          } catch (e) {
            valueError(featureNames[i]!, e); // rethrows anything that is not a value problem
            message = (e as Error).message;
          }
        }
        if (message !== null) return { index: i, feature: featureNames[i]!, message };
      }
      return null;
    },
    bitsOf(featureIndex, value) {
      const fe = encoders[featureIndex];
      if (featureIndex < 0 || featureIndex >= n) throw new RangeError(`feature index ${featureIndex} out of range`);
      if (fe === undefined) return [];
      let pos: Positions;
      try {
        pos = fe.positions(value);
      } catch (e) {
        throw valueError(featureNames[featureIndex]!, e);
      }
      const set = new Set<number>();
      for (const p of pos) set.add(p % l);
      return [...set].sort((a, b) => a - b);
    },
  };
}
