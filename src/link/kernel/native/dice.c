/*
 * Optional native Dice kernel for p20link (a Node-API addon).
 *
 * Same semantics as src/link/kernel/assembly/kernel.ts (rect, buckets),
 * bit for bit: the same popcount window, the same f64 keep test, the same
 * float32 scores, the same pairs. It works on the same linear memory the
 * WebAssembly kernel uses (passed in as a Uint8Array over the shared
 * buffer), with the same byte offsets, so the two are interchangeable.
 *
 * Built (optionally) by src/link/kernel/native/build.mjs with the local C
 * compiler and no Node headers: the few Node-API declarations it needs are
 * below (Node-API is a stable C ABI). It is compiled for the baseline CPU;
 * the AVX-512 VPOPCNTDQ and POPCNT code paths carry target attributes and
 * are chosen at run time from the CPU's features, so the same binary never
 * executes an instruction the CPU lacks.
 *
 * Every call checks that the regions it touches lie inside the memory
 * (a wrong offset throws a RangeError instead of reading past the end).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define P20_X86 1
#endif

/* ---- minimal Node-API (js_native_api.h / node_api.h) ------------------- */
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* enum; 0 = napi_ok */
typedef int napi_typedarray_type;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
extern napi_status napi_get_cb_info(napi_env env, napi_callback_info cbinfo, size_t *argc, napi_value *argv, napi_value *this_arg, void **data);
extern napi_status napi_get_value_double(napi_env env, napi_value value, double *result);
extern napi_status napi_get_typedarray_info(napi_env env, napi_value typedarray, napi_typedarray_type *type, size_t *length, void **data, napi_value *arraybuffer, size_t *byte_offset);
extern napi_status napi_create_double(napi_env env, double value, napi_value *result);
extern napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb, void *data, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value);
extern napi_status napi_throw_range_error(napi_env env, const char *code, const char *msg);
extern napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg);
#define P20_EXPORT __attribute__((visibility("default")))
#define NAPI_AUTO_LENGTH ((size_t)-1)
#define TA_UINT8 1   /* napi_uint8_array */
#define TA_FLOAT64 8 /* napi_float64_array */

/* ---- CPU features ------------------------------------------------------ */
/* 3 = AVX-512 VPOPCNTDQ, 2 = AVX2 (+ POPCNT), 1 = POPCNT, 0 = portable C */
static int detected_level(void) {
#if defined(P20_X86) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vpopcntdq")) return 3;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return 2;
  if (__builtin_cpu_supports("popcnt")) return 1;
#endif
  return 0;
}

/* ---- the shared semantics ---------------------------------------------- */
static inline int passes(uint32_t pa, uint32_t pb, double t) {
  uint32_t s = pa + pb;
  if (s == 0) return 0;
  uint32_t mn = pa < pb ? pa : pb;
  return (double)(2u * mn) / (double)s >= t;
}

typedef struct {
  uint32_t lo, span;
  int none;
} Window;

/* Admissible B popcounts [lo, lo + span] of an A row with popcount pa. */
static Window window_of(uint32_t pa, double t, uint32_t maxPop) {
  Window w;
  if (pa == 0) {
    w.lo = 1; w.span = 0; w.none = 1;
    return w;
  }
  double v = floor((double)pa * t / (2 - t)) - 2;
  uint32_t lo = v > 0 ? (uint32_t)v : 0;
  while (lo <= pa && !passes(pa, lo, t)) lo++;
  while (lo > 0 && passes(pa, lo - 1, t)) lo--;
  double u = ceil((double)pa * (2 - t) / t) + 2;
  uint32_t hi = (double)maxPop < u ? maxPop : (uint32_t)u;
  if (hi < pa) hi = pa;
  while (hi > pa && !passes(pa, hi, t)) hi--;
  while (hi < maxPop && passes(pa, hi + 1, t)) hi++;
  if (lo > pa) {
    w.lo = 1; w.span = 0; w.none = 1;
  } else {
    w.lo = lo; w.span = hi - lo; w.none = 0;
  }
  return w;
}

static inline int keep(uint32_t x, uint32_t s, double t, double tLow) {
  return (double)(2u * x) >= tLow * (double)s && (double)(2u * x) / (double)s >= t;
}

/* tI = floor(tLow * 2^20). (2x + 1) * 2^20 <= tI * s implies 2x + 1 <= tLow * s
 * in real numbers, so 2x is below the f64 product too and keep() is false.
 * Sound, not exact: when it says no, keep() decides. */
static inline uint64_t t_int(double tLow) { return (uint64_t)floor(tLow * 1048576.0); }
static inline int surely_below(uint32_t x, uint32_t s, uint64_t tI) {
  return ((uint64_t)(2u * x + 1) << 20) <= tI * (uint64_t)s;
}

static inline uint8_t *emit(uint8_t *out, uint32_t a, uint32_t b, uint32_t x, uint32_t s) {
  float f = (float)((double)(2u * x) / (double)s);
#ifdef P20_TEST_WRONG_KERNEL
  f *= 0.999f; /* only for the test that the self-test rejects a wrong kernel */
#endif
  memcpy(out, &a, 4);
  memcpy(out + 4, &b, 4);
  memcpy(out + 8, &f, 4);
  return out + 12;
}

static inline uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* |A AND B| over `words` 64-bit words, three ways. */
static inline __attribute__((always_inline)) uint32_t inter_c(const uint8_t *a, const uint8_t *b, uint32_t words) {
  uint64_t s = 0;
  for (uint32_t w = 0; w < words; w++) s += (uint64_t)__builtin_popcountll(rd64(a + 8 * w) & rd64(b + 8 * w));
  return (uint32_t)s;
}
#ifdef P20_X86
__attribute__((target("popcnt"))) static uint32_t inter_popcnt(const uint8_t *a, const uint8_t *b, uint32_t words) {
  uint64_t s0 = 0, s1 = 0;
  uint32_t w = 0;
  for (; w + 2 <= words; w += 2) {
    s0 += (uint64_t)__builtin_popcountll(rd64(a + 8 * w) & rd64(b + 8 * w));
    s1 += (uint64_t)__builtin_popcountll(rd64(a + 8 * w + 8) & rd64(b + 8 * w + 8));
  }
  if (w < words) s0 += (uint64_t)__builtin_popcountll(rd64(a + 8 * w) & rd64(b + 8 * w));
  return (uint32_t)(s0 + s1);
}
#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vpopcntdq")))
AVX512 static uint32_t inter_avx512(const uint8_t *a, const uint8_t *b, uint32_t words) {
  __m512i acc = _mm512_setzero_si512();
  uint32_t w = 0;
  for (; w + 8 <= words; w += 8) acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_loadu_si512(a + 8 * w), _mm512_loadu_si512(b + 8 * w))));
  if (w < words) {
    __mmask8 m = (__mmask8)((1u << (words - w)) - 1);
    acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_maskz_loadu_epi64(m, a + 8 * w), _mm512_maskz_loadu_epi64(m, b + 8 * w))));
  }
  return (uint32_t)_mm512_reduce_add_epi64(acc);
}
#endif

static inline uint32_t inter(int level, const uint8_t *a, const uint8_t *b, uint32_t words) {
#ifdef P20_X86
  if (level >= 3) return inter_avx512(a, b, words);
  if (level >= 1) return inter_popcnt(a, b, words);
#endif
  (void)level;
  return inter_c(a, b, words);
}

typedef struct {
  const uint8_t *m;
  double t, tLow;
  uint64_t tI;
  uint32_t stride, words, maxPop;
  int level;
  uint64_t cmp;
} Ctx;

/* One A row against B rows [js, j1). */
static uint8_t *rect_row(Ctx *c, uint32_t i, const uint8_t *ap, uint32_t pa, const uint8_t *bBase, const uint8_t *bPop, uint32_t js, uint32_t j1, uint8_t *out, uint32_t *n) {
  Window w = window_of(pa, c->t, c->maxPop);
  if (w.none) return out;
  for (uint32_t j = js; j < j1; j++) {
    uint32_t pb = rd32(bPop + 4 * (size_t)j);
    if (pb - w.lo > w.span) continue;
    c->cmp++;
    uint32_t x = inter(c->level, ap, bBase + (size_t)j * c->stride, c->words);
    if (!surely_below(x, pa + pb, c->tI) && keep(x, pa + pb, c->t, c->tLow)) {
      out = emit(out, i, j, x, pa + pb);
      (*n)++;
    }
  }
  return out;
}

#ifdef P20_X86
/* Sum of each of 8 vectors' 8 u64 lanes, as the 8 lanes of one vector. */
AVX512 static inline __m512i reduce8(__m512i v0, __m512i v1, __m512i v2, __m512i v3, __m512i v4, __m512i v5, __m512i v6, __m512i v7) {
  __m512i s01 = _mm512_add_epi64(_mm512_unpacklo_epi64(v0, v1), _mm512_unpackhi_epi64(v0, v1));
  __m512i s23 = _mm512_add_epi64(_mm512_unpacklo_epi64(v2, v3), _mm512_unpackhi_epi64(v2, v3));
  __m512i s45 = _mm512_add_epi64(_mm512_unpacklo_epi64(v4, v5), _mm512_unpackhi_epi64(v4, v5));
  __m512i s67 = _mm512_add_epi64(_mm512_unpacklo_epi64(v6, v7), _mm512_unpackhi_epi64(v6, v7));
  __m512i q0 = _mm512_add_epi64(_mm512_shuffle_i64x2(s01, s23, 0x88), _mm512_shuffle_i64x2(s01, s23, 0xDD));
  __m512i q1 = _mm512_add_epi64(_mm512_shuffle_i64x2(s45, s67, 0x88), _mm512_shuffle_i64x2(s45, s67, 0xDD));
  return _mm512_add_epi64(_mm512_shuffle_i64x2(q0, q1, 0x88), _mm512_shuffle_i64x2(q0, q1, 0xDD));
}

/* Eight A rows [i, i+8) against B rows [js, j1), stride a multiple of 64
 * bytes. The popcount window and a conservative keep test (2x >= tLow*s,
 * the same prefilter as keep()) run on all eight pairs at once; only pairs
 * that pass both go through the exact scalar keep(). */
#define PC(a, b) _mm512_popcnt_epi64(_mm512_and_si512((a), (b)))
AVX512 static uint8_t *rect8_avx512(Ctx *c, uint32_t i, const uint8_t *aBase, const uint8_t *aPop, int within, const uint8_t *bBase, const uint8_t *bPop, uint32_t js, uint32_t j1, uint8_t *out, uint32_t *n) {
  uint32_t lo[16] = {0}, span[16] = {0}, pa[8];
  double paD[8];
  unsigned live = 0;
  for (int r = 0; r < 8; r++) {
    pa[r] = rd32(aPop + 4 * (size_t)(i + r));
    paD[r] = (double)pa[r];
    Window w = window_of(pa[r], c->t, c->maxPop);
    lo[r] = w.lo;
    span[r] = w.span;
    live |= (unsigned)(!w.none) << r;
  }
  if (!live) return out;
  const __m512i vlo = _mm512_loadu_si512(lo), vspan = _mm512_loadu_si512(span);
  const __m512d vpa = _mm512_loadu_pd(paD), vtl = _mm512_set1_pd(c->tLow);
  const size_t stride = c->stride;
  const uint8_t *ap = aBase + (size_t)i * stride;
  const uint32_t chunks = c->words >> 3;
  uint64_t cmp = 0;
  uint64_t x[8];
  const __m512i a00 = _mm512_loadu_si512(ap), a01 = chunks >= 2 ? _mm512_loadu_si512(ap + 64) : _mm512_setzero_si512();
  const __m512i a10 = _mm512_loadu_si512(ap + stride), a11 = chunks >= 2 ? _mm512_loadu_si512(ap + stride + 64) : _mm512_setzero_si512();
  const __m512i a20 = _mm512_loadu_si512(ap + 2 * stride), a21 = chunks >= 2 ? _mm512_loadu_si512(ap + 2 * stride + 64) : _mm512_setzero_si512();
  const __m512i a30 = _mm512_loadu_si512(ap + 3 * stride), a31 = chunks >= 2 ? _mm512_loadu_si512(ap + 3 * stride + 64) : _mm512_setzero_si512();
  const __m512i a40 = _mm512_loadu_si512(ap + 4 * stride), a41 = chunks >= 2 ? _mm512_loadu_si512(ap + 4 * stride + 64) : _mm512_setzero_si512();
  const __m512i a50 = _mm512_loadu_si512(ap + 5 * stride), a51 = chunks >= 2 ? _mm512_loadu_si512(ap + 5 * stride + 64) : _mm512_setzero_si512();
  const __m512i a60 = _mm512_loadu_si512(ap + 6 * stride), a61 = chunks >= 2 ? _mm512_loadu_si512(ap + 6 * stride + 64) : _mm512_setzero_si512();
  const __m512i a70 = _mm512_loadu_si512(ap + 7 * stride), a71 = chunks >= 2 ? _mm512_loadu_si512(ap + 7 * stride + 64) : _mm512_setzero_si512();
  for (uint32_t j = js; j < j1; j++) {
    const uint32_t pb = rd32(bPop + 4 * (size_t)j);
    unsigned mask = (unsigned)_mm512_cmple_epu32_mask(_mm512_sub_epi32(_mm512_set1_epi32((int)pb), vlo), vspan) & live;
    if (within && j - i < 8) mask &= (1u << (j - i)) - 1; /* rows i + r < j only */
    if (!mask) continue;
    cmp += (uint64_t)__builtin_popcount(mask);
    const uint8_t *bp = bBase + (size_t)j * stride;
    __m512i s;
    if (chunks == 2) {
      /* 1024-bit CLKs: the eight A rows stay in registers */
      const __m512i b0 = _mm512_loadu_si512(bp), b1 = _mm512_loadu_si512(bp + 64);
      s = reduce8(
        _mm512_add_epi64(PC(a00, b0), PC(a01, b1)), _mm512_add_epi64(PC(a10, b0), PC(a11, b1)),
        _mm512_add_epi64(PC(a20, b0), PC(a21, b1)), _mm512_add_epi64(PC(a30, b0), PC(a31, b1)),
        _mm512_add_epi64(PC(a40, b0), PC(a41, b1)), _mm512_add_epi64(PC(a50, b0), PC(a51, b1)),
        _mm512_add_epi64(PC(a60, b0), PC(a61, b1)), _mm512_add_epi64(PC(a70, b0), PC(a71, b1)));
    } else {
      const __m512i b = _mm512_loadu_si512(bp);
      __m512i v0 = PC(a00, b), v1 = PC(a10, b), v2 = PC(a20, b), v3 = PC(a30, b), v4 = PC(a40, b), v5 = PC(a50, b), v6 = PC(a60, b), v7 = PC(a70, b);
      for (uint32_t k = 1; k < chunks; k++) {
        const size_t o = (size_t)k * 64;
        const __m512i bk = _mm512_loadu_si512(bp + o);
        v0 = _mm512_add_epi64(v0, PC(_mm512_loadu_si512(ap + o), bk));
        v1 = _mm512_add_epi64(v1, PC(_mm512_loadu_si512(ap + stride + o), bk));
        v2 = _mm512_add_epi64(v2, PC(_mm512_loadu_si512(ap + 2 * stride + o), bk));
        v3 = _mm512_add_epi64(v3, PC(_mm512_loadu_si512(ap + 3 * stride + o), bk));
        v4 = _mm512_add_epi64(v4, PC(_mm512_loadu_si512(ap + 4 * stride + o), bk));
        v5 = _mm512_add_epi64(v5, PC(_mm512_loadu_si512(ap + 5 * stride + o), bk));
        v6 = _mm512_add_epi64(v6, PC(_mm512_loadu_si512(ap + 6 * stride + o), bk));
        v7 = _mm512_add_epi64(v7, PC(_mm512_loadu_si512(ap + 7 * stride + o), bk));
      }
      s = reduce8(v0, v1, v2, v3, v4, v5, v6, v7);
    }
    /* prefilter 2x >= tLow * (pa + pb) in f64, exactly as keep() computes it */
    const __m512d twoX = _mm512_cvtepu64_pd(_mm512_add_epi64(s, s));
    const __m512d sum = _mm512_add_pd(vpa, _mm512_set1_pd((double)pb));
    unsigned hit = (unsigned)_mm512_cmp_pd_mask(twoX, _mm512_mul_pd(vtl, sum), _CMP_GE_OQ) & mask;
    if (!hit) continue;
    _mm512_storeu_si512(x, s);
    for (int r = 0; r < 8; r++) {
      if (!((hit >> r) & 1)) continue;
      const uint32_t xs = (uint32_t)x[r], sm = pa[r] + pb;
      if (keep(xs, sm, c->t, c->tLow)) {
        out = emit(out, i + (uint32_t)r, j, xs, sm);
        (*n)++;
      }
    }
  }
  c->cmp += cmp;
  return out;
}

/* AVX2 (no vector popcount instruction): four A rows against each B row,
 * stride a multiple of 32 bytes. Popcount of each byte by a 16-entry table
 * lookup per nibble (vpshufb), byte counts summed with vpsadbw at most every
 * 31 chunks (a byte lane holds at most 8 per chunk), the four rows' sums
 * reduced together. A cheap integer test rules most pairs out before the
 * exact keep(). */
#define AVX2 __attribute__((target("avx2,popcnt")))
AVX2 static inline __m256i pop8_avx2(__m256i v, __m256i lut, __m256i low) {
  const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(v, low));
  const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low));
  return _mm256_add_epi8(lo, hi);
}
AVX2 static uint8_t *rect4_avx2(Ctx *c, uint32_t i, const uint8_t *aBase, const uint8_t *aPop, int within, const uint8_t *bBase, const uint8_t *bPop, uint32_t js, uint32_t j1, uint8_t *out, uint32_t *n) {
  uint32_t lo[4], span[4], pa[4];
  unsigned live = 0;
  for (int r = 0; r < 4; r++) {
    pa[r] = rd32(aPop + 4 * (size_t)(i + r));
    Window w = window_of(pa[r], c->t, c->maxPop);
    lo[r] = w.lo;
    span[r] = w.span;
    live |= (unsigned)(!w.none) << r;
  }
  if (!live) return out;
  const size_t stride = c->stride;
  const uint8_t *ap = aBase + (size_t)i * stride;
  const uint32_t chunks = (uint32_t)(stride >> 5);
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
  const uint64_t tI = t_int(c->tLow);
  uint64_t cmp = 0;
  uint64_t x[4];
  for (uint32_t j = js; j < j1; j++) {
    const uint32_t pb = rd32(bPop + 4 * (size_t)j);
    unsigned mask = 0;
    for (int r = 0; r < 4; r++) mask |= (unsigned)(pb - lo[r] <= span[r]) << r;
    mask &= live;
    if (within && j - i < 4) mask &= (1u << (j - i)) - 1; /* rows i + r < j only */
    if (!mask) continue;
    cmp += (uint64_t)__builtin_popcount(mask);
    const uint8_t *bp = bBase + (size_t)j * stride;
    __m256i s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    for (uint32_t k0 = 0; k0 < chunks; k0 += 31) {
      const uint32_t kEnd = k0 + 31 < chunks ? k0 + 31 : chunks;
      __m256i v0 = zero, v1 = zero, v2 = zero, v3 = zero;
      for (uint32_t k = k0; k < kEnd; k++) {
        const size_t o = (size_t)k * 32;
        const __m256i b = _mm256_loadu_si256((const __m256i *)(bp + o));
        v0 = _mm256_add_epi8(v0, pop8_avx2(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)(ap + o)), b), lut, low));
        v1 = _mm256_add_epi8(v1, pop8_avx2(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)(ap + stride + o)), b), lut, low));
        v2 = _mm256_add_epi8(v2, pop8_avx2(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)(ap + 2 * stride + o)), b), lut, low));
        v3 = _mm256_add_epi8(v3, pop8_avx2(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)(ap + 3 * stride + o)), b), lut, low));
      }
      s0 = _mm256_add_epi64(s0, _mm256_sad_epu8(v0, zero));
      s1 = _mm256_add_epi64(s1, _mm256_sad_epu8(v1, zero));
      s2 = _mm256_add_epi64(s2, _mm256_sad_epu8(v2, zero));
      s3 = _mm256_add_epi64(s3, _mm256_sad_epu8(v3, zero));
    }
    const __m256i t01 = _mm256_add_epi64(_mm256_unpacklo_epi64(s0, s1), _mm256_unpackhi_epi64(s0, s1));
    const __m256i t23 = _mm256_add_epi64(_mm256_unpacklo_epi64(s2, s3), _mm256_unpackhi_epi64(s2, s3));
    _mm256_storeu_si256((__m256i *)x, _mm256_add_epi64(_mm256_permute2x128_si256(t01, t23, 0x20), _mm256_permute2x128_si256(t01, t23, 0x31)));
    for (int r = 0; r < 4; r++) {
      if (!((mask >> r) & 1)) continue;
      const uint32_t xs = (uint32_t)x[r], sm = pa[r] + pb;
      if (surely_below(xs, sm, tI)) continue;
      if (keep(xs, sm, c->t, c->tLow)) {
        out = emit(out, i + (uint32_t)r, j, xs, sm);
        (*n)++;
      }
    }
  }
  c->cmp += cmp;
  return out;
}
#endif

/* ---- argument plumbing ------------------------------------------------- */
typedef struct {
  uint8_t *m;
  size_t len;
  double *state; /* [compared, candidates, resumeBucket, resumeRow, level] */
} Bind;

static int get_bind(napi_env env, napi_value *argv, Bind *b) {
  napi_typedarray_type ty;
  size_t len;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, argv[0], &ty, &len, &data, &ab, &off) != 0 || ty != TA_UINT8) {
    napi_throw_type_error(env, "P20_NATIVE_ARGS", "native Dice kernel: argument 1 must be a Uint8Array over the kernel memory");
    return 0;
  }
  b->m = (uint8_t *)data;
  b->len = len;
  if (napi_get_typedarray_info(env, argv[1], &ty, &len, &data, &ab, &off) != 0 || ty != TA_FLOAT64 || len < 5) {
    napi_throw_type_error(env, "P20_NATIVE_ARGS", "native Dice kernel: argument 2 must be a Float64Array(>= 5) of state");
    return 0;
  }
  b->state = (double *)data;
  return 1;
}

static int get_nums(napi_env env, napi_value *argv, size_t n, double *v) {
  for (size_t k = 0; k < n; k++) {
    if (napi_get_value_double(env, argv[k], &v[k]) != 0) {
      napi_throw_type_error(env, "P20_NATIVE_ARGS", "native Dice kernel: numeric argument expected");
      return 0;
    }
  }
  return 1;
}

/* v is a whole number in [0, 2^32) */
static int u32ok(double v) { return v >= 0 && v < 4294967296.0 && v == floor(v); }

static napi_value ret_num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value range_error(napi_env env, const char *what) {
  napi_throw_range_error(env, "P20_NATIVE_BOUNDS", what);
  return NULL;
}

static int level_of(const Bind *b) {
  static int det = -1;
  if (det < 0) det = detected_level();
  double want = b->state[4];
  int lv = (want >= 0 && want < det) ? (int)want : det;
  return lv;
}

/* rect(mem, state, aBase, aPop, i0, i1, bBase, bPop, j0, j1, stride, t, within, out) -> n */
static napi_value js_rect(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 14) return range_error(env, "native Dice kernel: rect needs 14 arguments");
  Bind bd;
  if (!get_bind(env, argv, &bd)) return NULL;
  double v[12];
  if (!get_nums(env, argv + 2, 12, v)) return NULL;
  for (int k = 0; k < 12; k++) {
    if (k == 9) continue; /* t */
    if (!u32ok(v[k])) return range_error(env, "native Dice kernel: offsets and counts must be whole numbers below 2^32");
  }
  const uint64_t aBase = (uint64_t)v[0], aPop = (uint64_t)v[1], i0 = (uint64_t)v[2], i1 = (uint64_t)v[3];
  const uint64_t bBase = (uint64_t)v[4], bPop = (uint64_t)v[5], j0 = (uint64_t)v[6], j1 = (uint64_t)v[7];
  const uint64_t stride = (uint64_t)v[8], within = (uint64_t)v[10], outp = (uint64_t)v[11];
  const double t = v[9];
  if (stride == 0 || stride % 8 != 0) return range_error(env, "native Dice kernel: stride must be a positive multiple of 8");
  if (!(t > 0 && t <= 1)) return range_error(env, "native Dice kernel: threshold must be in (0, 1]");
  const uint64_t len = bd.len;
  if (i1 < i0 || j1 < j0) return ret_num(env, 0);
  if (aBase + i1 * stride > len || aPop + i1 * 4 > len || bBase + j1 * stride > len || bPop + j1 * 4 > len ||
      outp + (i1 - i0) * (j1 - j0) * 12 > len)
    return range_error(env, "native Dice kernel: rect reaches past the end of the kernel memory");
  Ctx c;
  c.m = bd.m;
  c.t = t;
  c.tLow = t * (1 - 1e-9);
  c.tI = t_int(c.tLow);
  c.stride = (uint32_t)stride;
  c.words = (uint32_t)(stride >> 3);
  c.maxPop = (uint32_t)(stride << 3);
  c.level = level_of(&bd);
  c.cmp = 0;
  uint8_t *m = bd.m;
  uint8_t *out = m + outp;
  uint32_t n = 0;
  uint32_t i = (uint32_t)i0;
#ifdef P20_X86
  if (c.level >= 3 && stride % 64 == 0) {
    for (; i + 8 <= (uint32_t)i1; i += 8) {
      uint32_t js = (uint32_t)j0;
      if (within && js <= i) js = i + 1;
      out = rect8_avx512(&c, i, m + aBase, m + aPop, (int)within, m + bBase, m + bPop, js, (uint32_t)j1, out, &n);
    }
  } else if (c.level == 2 && stride % 32 == 0) {
    for (; i + 4 <= (uint32_t)i1; i += 4) {
      uint32_t js = (uint32_t)j0;
      if (within && js <= i) js = i + 1;
      out = rect4_avx2(&c, i, m + aBase, m + aPop, (int)within, m + bBase, m + bPop, js, (uint32_t)j1, out, &n);
    }
  }
#endif
  for (; i < (uint32_t)i1; i++) {
    uint32_t js = (uint32_t)j0;
    if (within && js <= i) js = i + 1;
    out = rect_row(&c, i, m + aBase + (size_t)i * stride, rd32(m + aPop + 4 * (size_t)i), m + bBase, m + bPop, js, (uint32_t)j1, out, &n);
  }
  bd.state[0] += (double)c.cmp;
  return ret_num(env, n);
}

/* buckets(mem, state, aBase, aPop, bBase, bPop, stride, t, keysA, keysB, nb, band,
 *         orderA, orderB, table, nBuckets, within, out, outCap) -> n */
static napi_value js_buckets(napi_env env, napi_callback_info info) {
  size_t argc = 19;
  napi_value argv[19];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 19) return range_error(env, "native Dice kernel: buckets needs 19 arguments");
  Bind bd;
  if (!get_bind(env, argv, &bd)) return NULL;
  double v[17];
  if (!get_nums(env, argv + 2, 17, v)) return NULL;
  for (int k = 0; k < 17; k++) {
    if (k == 5) continue; /* t */
    if (!u32ok(v[k])) return range_error(env, "native Dice kernel: offsets and counts must be whole numbers below 2^32");
  }
  const uint64_t aBase = (uint64_t)v[0], aPop = (uint64_t)v[1], bBase = (uint64_t)v[2], bPop = (uint64_t)v[3];
  const uint64_t stride = (uint64_t)v[4];
  const double t = v[5];
  const uint64_t keysA = (uint64_t)v[6], keysB = (uint64_t)v[7], nb = (uint64_t)v[8], band = (uint64_t)v[9];
  const uint64_t orderA = (uint64_t)v[10], orderB = (uint64_t)v[11], table = (uint64_t)v[12], nBuckets = (uint64_t)v[13];
  const int within = v[14] != 0;
  const uint64_t outp = (uint64_t)v[15], outCap = (uint64_t)v[16];
  const uint64_t len = bd.len;
  if (stride == 0 || stride % 8 != 0) return range_error(env, "native Dice kernel: stride must be a positive multiple of 8");
  if (!(t > 0 && t <= 1)) return range_error(env, "native Dice kernel: threshold must be in (0, 1]");
  if (band > nb) return range_error(env, "native Dice kernel: band beyond the band count");
  if (table + nBuckets * 16 > len || outp + outCap * 12 > len) return range_error(env, "native Dice kernel: buckets reaches past the end of the kernel memory");
  /* records usable on each side: every per-record array must hold them */
  uint64_t maxA = len - aBase < len ? (len - aBase) / stride : 0;
  if (aBase > len) maxA = 0;
  uint64_t lim = aPop <= len ? (len - aPop) / 4 : 0;
  if (lim < maxA) maxA = lim;
  if (nb > 0) {
    lim = keysA <= len ? (len - keysA) / (4 * nb) : 0;
    if (lim < maxA) maxA = lim;
  }
  uint64_t maxB = bBase <= len ? (len - bBase) / stride : 0;
  lim = bPop <= len ? (len - bPop) / 4 : 0;
  if (lim < maxB) maxB = lim;
  if (nb > 0) {
    lim = keysB <= len ? (len - keysB) / (4 * nb) : 0;
    if (lim < maxB) maxB = lim;
  }
  if (within && maxB < maxA) maxA = maxB;
  uint8_t *m = bd.m;
  const double tLow = t * (1 - 1e-9);
  const uint64_t tI = t_int(tLow);
  const uint32_t words = (uint32_t)(stride >> 3), maxPop = (uint32_t)(stride << 3);
  const int level = level_of(&bd);
  const size_t kstride = (size_t)nb * 4;
  uint8_t *out = m + outp;
  uint32_t n = 0;
  uint64_t cmp = 0, cand = 0;
  uint32_t bk = (uint32_t)bd.state[2];
  uint32_t r0 = (uint32_t)bd.state[3];
  for (; bk < nBuckets; bk++) {
    const uint8_t *e = m + table + ((size_t)bk << 4);
    const uint32_t aS = rd32(e), aL = rd32(e + 4), bS = rd32(e + 8), bL = rd32(e + 12);
    if (orderA + ((uint64_t)aS + aL) * 4 > len || (!within && orderB + ((uint64_t)bS + bL) * 4 > len)) {
      bd.state[0] += (double)cmp;
      bd.state[1] += (double)cand;
      return range_error(env, "native Dice kernel: a bucket reaches past the end of the kernel memory");
    }
    for (uint32_t r = r0; r < aL; r++) {
      const uint32_t c0 = within ? r + 1 : 0;
      const uint32_t cEnd = within ? aL : bL;
      if ((uint64_t)n + (cEnd - c0) > outCap) {
        bd.state[2] = bk;
        bd.state[3] = r;
        bd.state[0] += (double)cmp;
        bd.state[1] += (double)cand;
        return ret_num(env, n);
      }
      const uint32_t i = rd32(m + orderA + 4 * ((size_t)aS + r));
      if (i >= maxA) {
        bd.state[0] += (double)cmp;
        bd.state[1] += (double)cand;
        return range_error(env, "native Dice kernel: a record index reaches past the end of the kernel memory");
      }
      const uint32_t pa = rd32(m + aPop + 4 * (size_t)i);
      const uint8_t *ap = m + aBase + (size_t)i * stride;
      const uint8_t *ka = m + keysA + (size_t)i * kstride;
      Window w = window_of(pa, t, maxPop);
      for (uint32_t cc = c0; cc < cEnd; cc++) {
        const uint32_t j = within ? rd32(m + orderA + 4 * ((size_t)aS + cc)) : rd32(m + orderB + 4 * ((size_t)bS + cc));
        if (j >= maxB) {
          bd.state[0] += (double)cmp;
          bd.state[1] += (double)cand;
          return range_error(env, "native Dice kernel: a record index reaches past the end of the kernel memory");
        }
        const uint8_t *kb = m + keysB + (size_t)j * kstride;
        int dup = 0;
        for (uint32_t q = 0; q < band; q++) {
          if (rd32(ka + 4 * q) == rd32(kb + 4 * q)) {
            dup = 1;
            break;
          }
        }
        if (dup) continue;
        cand++;
        const uint32_t pb = rd32(m + bPop + 4 * (size_t)j);
        if (w.none || pb - w.lo > w.span) continue;
        cmp++;
        const uint32_t x = inter(level, ap, m + bBase + (size_t)j * stride, words);
        if (!surely_below(x, pa + pb, tI) && keep(x, pa + pb, t, tLow)) {
          const int swap = within && j < i;
          out = emit(out, swap ? j : i, swap ? i : j, x, pa + pb);
          n++;
        }
      }
    }
    r0 = 0;
  }
  bd.state[2] = (double)nBuckets;
  bd.state[3] = 0;
  bd.state[0] += (double)cmp;
  bd.state[1] += (double)cand;
  return ret_num(env, n);
}

static napi_value js_level(napi_env env, napi_callback_info info) {
  (void)info;
  return ret_num(env, detected_level());
}

static napi_value js_features(napi_env env, napi_callback_info info) {
  (void)info;
  static const char *names[] = {"c", "popcnt", "avx2", "avx512-vpopcntdq"};
  napi_value r;
  napi_create_string_utf8(env, names[detected_level()], NAPI_AUTO_LENGTH, &r);
  return r;
}

static void add_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

P20_EXPORT int32_t node_api_module_get_api_version_v1(void) { return 8; }

P20_EXPORT napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  add_fn(env, exports, "rect", js_rect);
  add_fn(env, exports, "buckets", js_buckets);
  add_fn(env, exports, "level", js_level);
  add_fn(env, exports, "features", js_features);
  napi_value abi;
  napi_create_double(env, 1, &abi);
  napi_set_named_property(env, exports, "abi", abi);
  return exports;
}
