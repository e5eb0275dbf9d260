#!/usr/bin/env node
// Writes clk-compress.ts (AssemblyScript) next to this file: the CLK encoder's keyed
// hashing kernel. The BLAKE2b, SHA-1 and MD5 compression functions are fully
// unrolled (every state word a local), which AssemblyScript cannot express
// without a generator. Run by hand after editing (node gen-clk-compress.mjs); the
// generated clk-compress.ts is committed and compiled by src/link/kernel/build-wasm.mjs.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const L = [];
const emit = (s) => L.push(s);

// ---- BLAKE2b compression (RFC 7693) -------------------------------------------
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const B_IV = ['0x6a09e667f3bcc908', '0xbb67ae8584caa73b', '0x3c6ef372fe94f82b', '0xa54ff53a5f1d36f1', '0x510e527fade682d1', '0x9b05688c2b3e6c1f', '0x1f83d9abfb41bd6b', '0x5be0cd19137e2179'];

emit('// BLAKE2b compression of the 128-byte block at m into the 8 x u64 state at h; t = bytes so far (< 2^64), last = final block.');
emit('export function blakeCompress(h: usize, m: usize, t: u64, last: bool): void {');
for (let i = 0; i < 16; i++) emit(`  const m${i} = load<u64>(m, ${8 * i});`);
for (let i = 0; i < 8; i++) emit(`  let v${i} = load<u64>(h, ${8 * i});`);
for (let i = 0; i < 4; i++) emit(`  let v${8 + i}: u64 = ${B_IV[i]};`);
emit(`  let v12: u64 = ${B_IV[4]} ^ t;`);
emit(`  let v13: u64 = ${B_IV[5]};`);
emit(`  let v14: u64 = last ? ~(<u64>${B_IV[6]}) : <u64>${B_IV[6]};`);
emit(`  let v15: u64 = ${B_IV[7]};`);
const G = (a, b, c, d, x, y) => {
  emit(`  v${a} = v${a} + v${b} + m${x}; v${d} = rotr<u64>(v${d} ^ v${a}, 32); v${c} = v${c} + v${d}; v${b} = rotr<u64>(v${b} ^ v${c}, 24);`);
  emit(`  v${a} = v${a} + v${b} + m${y}; v${d} = rotr<u64>(v${d} ^ v${a}, 16); v${c} = v${c} + v${d}; v${b} = rotr<u64>(v${b} ^ v${c}, 63);`);
};
// the 12 rounds of BLAKE2b, each mixing columns then diagonals with the round's message schedule
const rounds = (g) => {
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10];
    g(0, 4, 8, 12, s[0], s[1]);
    g(1, 5, 9, 13, s[2], s[3]);
    g(2, 6, 10, 14, s[4], s[5]);
    g(3, 7, 11, 15, s[6], s[7]);
    g(0, 5, 10, 15, s[8], s[9]);
    g(1, 6, 11, 12, s[10], s[11]);
    g(2, 7, 8, 13, s[12], s[13]);
    g(3, 4, 9, 14, s[14], s[15]);
  }
};
rounds(G);
for (let i = 0; i < 8; i++) emit(`  store<u64>(h, load<u64>(h, ${8 * i}) ^ v${i} ^ v${i + 8}, ${8 * i});`);
emit('}');
emit('');

// The final block of a message of at most 8 bytes: m1..m15 are zero, so
// their additions drop out (about an eighth of the work). n-gram tokens.
emit('// BLAKE2b compression of a final block whose only non-zero word is m0 (a message of at most 8 bytes); t = bytes so far.');
emit('export function blakeCompressShort(h: usize, m0: u64, t: u64): void {');
for (let i = 0; i < 8; i++) emit(`  let v${i} = load<u64>(h, ${8 * i});`);
for (let i = 0; i < 4; i++) emit(`  let v${8 + i}: u64 = ${B_IV[i]};`);
emit(`  let v12: u64 = ${B_IV[4]} ^ t;`);
emit(`  let v13: u64 = ${B_IV[5]};`);
emit(`  let v14: u64 = ~(<u64>${B_IV[6]});`);
emit(`  let v15: u64 = ${B_IV[7]};`);
const GS = (a, b, c, d, x, y) => {
  const mx = x === 0 ? ' + m0' : '';
  const my = y === 0 ? ' + m0' : '';
  emit(`  v${a} = v${a} + v${b}${mx}; v${d} = rotr<u64>(v${d} ^ v${a}, 32); v${c} = v${c} + v${d}; v${b} = rotr<u64>(v${b} ^ v${c}, 24);`);
  emit(`  v${a} = v${a} + v${b}${my}; v${d} = rotr<u64>(v${d} ^ v${a}, 16); v${c} = v${c} + v${d}; v${b} = rotr<u64>(v${b} ^ v${c}, 63);`);
};
rounds(GS);
for (let i = 0; i < 8; i++) emit(`  store<u64>(h, load<u64>(h, ${8 * i}) ^ v${i} ^ v${i + 8}, ${8 * i});`);
emit('}');
emit('');

// ---- SHA-1 compression (FIPS 180-4) -------------------------------------------
emit('// SHA-1 compression of the 64-byte block at m into the 5 x u32 state at s.');
emit('export function sha1Compress(s: usize, m: usize): void {');
for (let i = 0; i < 16; i++) emit(`  let w${i} = bswap<u32>(load<u32>(m, ${4 * i}));`);
emit('  let a = load<u32>(s, 0); let b = load<u32>(s, 4); let c = load<u32>(s, 8); let d = load<u32>(s, 12); let e = load<u32>(s, 16);');
emit('  let t: u32 = 0;');
for (let i = 0; i < 80; i++) {
  const w = `w${i % 16}`;
  if (i >= 16) emit(`  ${w} = rotl<u32>(w${(i + 13) % 16} ^ w${(i + 8) % 16} ^ w${(i + 2) % 16} ^ ${w}, 1);`);
  let f;
  let k;
  if (i < 20) { f = '((b & c) | (~b & d))'; k = '0x5a827999'; }
  else if (i < 40) { f = '(b ^ c ^ d)'; k = '0x6ed9eba1'; }
  else if (i < 60) { f = '((b & c) | (b & d) | (c & d))'; k = '0x8f1bbcdc'; }
  else { f = '(b ^ c ^ d)'; k = '0xca62c1d6'; }
  emit(`  t = rotl<u32>(a, 5) + ${f} + e + ${k} + ${w}; e = d; d = c; c = rotl<u32>(b, 30); b = a; a = t;`);
}
emit('  store<u32>(s, load<u32>(s, 0) + a, 0); store<u32>(s, load<u32>(s, 4) + b, 4); store<u32>(s, load<u32>(s, 8) + c, 8);');
emit('  store<u32>(s, load<u32>(s, 12) + d, 12); store<u32>(s, load<u32>(s, 16) + e, 16);');
emit('}');
emit('');

// ---- MD5 compression (RFC 1321) ----------------------------------------------
const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const MD5_K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);
emit('// MD5 compression of the 64-byte block at m into the 4 x u32 state at s.');
emit('export function md5Compress(s: usize, m: usize): void {');
for (let i = 0; i < 16; i++) emit(`  const x${i} = load<u32>(m, ${4 * i});`);
emit('  let a = load<u32>(s, 0); let b = load<u32>(s, 4); let c = load<u32>(s, 8); let d = load<u32>(s, 12);');
emit('  let t: u32 = 0;');
for (let i = 0; i < 64; i++) {
  let f;
  let g;
  if (i < 16) { f = '((b & c) | (~b & d))'; g = i; }
  else if (i < 32) { f = '((d & b) | (~d & c))'; g = (5 * i + 1) % 16; }
  else if (i < 48) { f = '(b ^ c ^ d)'; g = (3 * i + 5) % 16; }
  else { f = '(c ^ (b | ~d))'; g = (7 * i) % 16; }
  const sh = MD5_S[(i >> 4) * 4 + (i % 4)];
  emit(`  t = b + rotl<u32>(a + ${f} + 0x${MD5_K[i].toString(16)} + x${g}, ${sh}); a = d; d = c; c = b; b = t;`);
}
emit('  store<u32>(s, load<u32>(s, 0) + a, 0); store<u32>(s, load<u32>(s, 4) + b, 4);');
emit('  store<u32>(s, load<u32>(s, 8) + c, 8); store<u32>(s, load<u32>(s, 12) + d, 12);');
emit('}');

// ---- SHA-256 compression (FIPS 180-4) -----------------------------------------
const K256 = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
emit('');
emit('// SHA-256 compression of the 64-byte block at m into the 8 x u32 state at s.');
emit('export function sha256Compress(s: usize, m: usize): void {');
for (let i = 0; i < 16; i++) emit(`  let w${i} = bswap<u32>(load<u32>(m, ${4 * i}));`);
emit('  let a = load<u32>(s, 0); let b = load<u32>(s, 4); let c = load<u32>(s, 8); let d = load<u32>(s, 12);');
emit('  let e = load<u32>(s, 16); let f = load<u32>(s, 20); let g = load<u32>(s, 24); let h = load<u32>(s, 28);');
emit('  let t1: u32 = 0; let t2: u32 = 0;');
for (let i = 0; i < 64; i++) {
  const w = `w${i % 16}`;
  if (i >= 16) {
    const w15 = `w${(i + 1) % 16}`;
    const w2 = `w${(i + 14) % 16}`;
    const w7 = `w${(i + 9) % 16}`;
    emit(`  ${w} = ${w} + (rotr<u32>(${w15}, 7) ^ rotr<u32>(${w15}, 18) ^ (${w15} >>> 3)) + ${w7} + (rotr<u32>(${w2}, 17) ^ rotr<u32>(${w2}, 19) ^ (${w2} >>> 10));`);
  }
  emit(`  t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + 0x${K256[i].toString(16)} + ${w};`);
  emit(`  t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));`);
  emit('  h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;');
}
emit('  store<u32>(s, load<u32>(s, 0) + a, 0); store<u32>(s, load<u32>(s, 4) + b, 4); store<u32>(s, load<u32>(s, 8) + c, 8); store<u32>(s, load<u32>(s, 12) + d, 12);');
emit('  store<u32>(s, load<u32>(s, 16) + e, 16); store<u32>(s, load<u32>(s, 20) + f, 20); store<u32>(s, load<u32>(s, 24) + g, 24); store<u32>(s, load<u32>(s, 28) + h, 28);');
emit('}');


// ---- Multi-lane (WebAssembly SIMD) versions -------------------------------------
// The same compressions over several tokens at once: lane j of every v128
// holds token j's word. States and message blocks are stored transposed
// (word i of lane j at 16 * i + 4 * j). Used by clk-hash.ts for tokens
// that fit one block (n-grams): 4 tokens per SHA-1 / MD5 call, with
// bit-identical results. (A 2-lane BLAKE2b, i64x2, measured slower than the
// scalar one here: 171 against 144 ns per token.)
emit('');
emit('@inline function rotl4(x: v128, n: i32): v128 {');
emit('  return v128.or(i32x4.shl(x, n), i32x4.shr_u(x, 32 - n));');
emit('}');
emit('');
// Message words are either loaded (null) or known constants (a number, the
// same in every lane), folded into the round constants and the schedule at
// generation time. (Variants for short tokens and for the outer HMAC block,
// mostly constant words, measured no faster here: 315 against 309 ns per
// token, for a module 30 KB larger; only the general ones are generated.)
const splat = (c) => `i32x4.splat(${c | 0})`;
const rotl32 = (x, n) => ((x << n) | (x >>> (32 - n))) >>> 0;

function sha1x4(name, doc, spec) {
  emit(`// ${doc}`);
  emit(`export function ${name}(s: usize, m: usize): void {`);
  // w[i]: { v: local name | null, c: constant } with value v (when set) else c.
  const w = spec.map((x, i) => (x === null ? { v: `w${i}`, c: 0 } : { v: null, c: x >>> 0 }));
  for (let i = 0; i < 16; i++) if (w[i].v) emit(`  let w${i} = v128.load(m, ${16 * i});`);
  emit('  let a = v128.load(s, 0); let b = v128.load(s, 16); let c = v128.load(s, 32); let d = v128.load(s, 48); let e = v128.load(s, 64);');
  emit('  let t = a;');
  const K = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6];
  let fresh = 16;
  for (let i = 0; i < 80; i++) {
    if (i >= 16) {
      const parts = [w[(i + 13) % 16], w[(i + 8) % 16], w[(i + 2) % 16], w[i % 16]];
      const vars = parts.filter((p) => p.v).map((p) => p.v);
      const c = parts.filter((p) => !p.v).reduce((x, p) => (x ^ p.c) >>> 0, 0);
      if (vars.length === 0) w[i % 16] = { v: null, c: rotl32(c, 1) };
      else {
        let x = vars.reduce((acc, v) => (acc ? `v128.xor(${acc}, ${v})` : v), '');
        if (c !== 0) x = `v128.xor(${x}, ${splat(c)})`;
        const nm = `x${fresh++}`;
        emit(`  const ${nm} = rotl4(${x}, 1);`);
        w[i % 16] = { v: nm, c: 0 };
      }
    }
    let f;
    if (i < 20) f = 'v128.bitselect(c, d, b)';
    else if (i < 40 || i >= 60) f = 'v128.xor(v128.xor(b, c), d)';
    else f = 'v128.bitselect(d, b, v128.xor(b, c))';
    const word = w[i % 16];
    const k = (K[Math.floor(i / 20)] + (word.v ? 0 : word.c)) >>> 0;
    const add = word.v ? `i32x4.add(i32x4.add(e, ${splat(k)}), ${word.v})` : `i32x4.add(e, ${splat(k)})`;
    emit(`  t = i32x4.add(i32x4.add(rotl4(a, 5), ${f}), ${add}); e = d; d = c; c = rotl4(b, 30); b = a; a = t;`);
  }
  emit('  v128.store(s, i32x4.add(v128.load(s, 0), a), 0); v128.store(s, i32x4.add(v128.load(s, 16), b), 16); v128.store(s, i32x4.add(v128.load(s, 32), c), 32);');
  emit('  v128.store(s, i32x4.add(v128.load(s, 48), d), 48); v128.store(s, i32x4.add(v128.load(s, 64), e), 64);');
  emit('}');
  emit('');
}

function md5x4(name, doc, spec) {
  emit(`// ${doc}`);
  emit(`export function ${name}(s: usize, m: usize): void {`);
  for (let i = 0; i < 16; i++) if (spec[i] === null) emit(`  const x${i} = v128.load(m, ${16 * i});`);
  emit('  let a = v128.load(s, 0); let b = v128.load(s, 16); let c = v128.load(s, 32); let d = v128.load(s, 48);');
  emit('  let t = a;');
  for (let i = 0; i < 64; i++) {
    let f;
    let g;
    if (i < 16) { f = 'v128.bitselect(c, d, b)'; g = i; }
    else if (i < 32) { f = 'v128.bitselect(b, c, d)'; g = (5 * i + 1) % 16; }
    else if (i < 48) { f = 'v128.xor(v128.xor(b, c), d)'; g = (3 * i + 5) % 16; }
    else { f = 'v128.xor(c, v128.or(b, v128.not(d)))'; g = (7 * i) % 16; }
    const sh = MD5_S[(i >> 4) * 4 + (i % 4)];
    const k = (MD5_K[i] + (spec[g] === null ? 0 : spec[g])) >>> 0;
    const add = spec[g] === null ? `i32x4.add(${splat(k)}, x${g})` : splat(k);
    emit(`  t = i32x4.add(b, rotl4(i32x4.add(i32x4.add(a, ${f}), ${add}), ${sh})); a = d; d = c; c = b; b = t;`);
  }
  emit('  v128.store(s, i32x4.add(v128.load(s, 0), a), 0); v128.store(s, i32x4.add(v128.load(s, 16), b), 16);');
  emit('  v128.store(s, i32x4.add(v128.load(s, 32), c), 32); v128.store(s, i32x4.add(v128.load(s, 48), d), 48);');
  emit('}');
  emit('');
}

const ALL = Array(16).fill(null);
sha1x4('sha1Compress4', 'SHA-1 compression of 4 lanes: 5 x v128 state at s, 16 x v128 message words (already big-endian values) at m.', ALL);
md5x4('md5Compress4', 'MD5 compression of 4 lanes: 4 x v128 state at s, 16 x v128 message words at m.', ALL);

const head = `// GENERATED by src/link/kernel/assembly/gen-clk-compress.mjs: the unrolled
// compression functions of clk-hash.ts. Do not edit.
`;
writeFileSync(join(here, 'clk-compress.ts'), head + L.join('\n') + '\n');
