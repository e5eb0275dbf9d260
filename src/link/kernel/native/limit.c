/*
 * "The machine's limit" for bench:anchors: the plainest fast all-pairs Dice
 * count on 1024-bit CLKs this CPU can do, compiled at bench time with
 * `cc -O3 -march=native`. No popcount window, no output records, no bounds
 * checks: for every pair it computes |A AND B| and counts the pairs with
 * 2|A AND B| >= t (|A| + |B|). Two variants, the faster is the limit:
 *   simple : per pair, vector popcount of A AND B and a horizontal sum
 *   blocked: 8 A rows held in registers against each B row, the eight sums
 *            reduced together (the same blocking as the native kernel)
 * With AVX-512 VPOPCNTDQ it uses vpopcntq; otherwise 64-bit popcnt.
 * B is swept in tiles of 4,096 rows (512 KiB), as the p20link kernels do.
 *
 * usage: limit N [t] [seed | fileA fileB]    prints one JSON line
 *   fileA, fileB: N rows of 128 bytes each (the data bench:anchors gives
 *   p20link and anonlink too); without them the rows are generated
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__AVX512F__) && defined(__AVX512VPOPCNTDQ__)
#include <immintrin.h>
#define VEC 1
#else
#define VEC 0
#endif

#define WORDS 16 /* 1024 bits */
#define TILE 4096

static uint32_t rs = 1;
static uint32_t xs(void) {
  rs ^= rs << 13;
  rs ^= rs >> 17;
  rs ^= rs << 5;
  return rs;
}

static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t *A, *B;
static uint32_t *pA, *pB, *need; /* need[s]: smallest x with 2x >= t*s */

static uint64_t run_simple(uint32_t n) {
  uint64_t kept = 0;
  for (uint32_t j0 = 0; j0 < n; j0 += TILE) {
    uint32_t j1 = j0 + TILE < n ? j0 + TILE : n;
    for (uint32_t i = 0; i < n; i++) {
      const uint64_t *a = A + (size_t)i * WORDS;
#if VEC
      const __m512i a0 = _mm512_loadu_si512(a), a1 = _mm512_loadu_si512(a + 8);
#endif
      for (uint32_t j = j0; j < j1; j++) {
        const uint64_t *b = B + (size_t)j * WORDS;
#if VEC
        __m512i v = _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(a0, _mm512_loadu_si512(b))), _mm512_popcnt_epi64(_mm512_and_si512(a1, _mm512_loadu_si512(b + 8))));
        uint32_t x = (uint32_t)_mm512_reduce_add_epi64(v);
#else
        uint32_t x = 0;
        for (int w = 0; w < WORDS; w++) x += (uint32_t)__builtin_popcountll(a[w] & b[w]);
#endif
        kept += x >= need[pA[i] + pB[j]];
      }
    }
  }
  return kept;
}

static uint64_t run_blocked(uint32_t n) {
  uint64_t kept = 0;
  for (uint32_t j0 = 0; j0 < n; j0 += TILE) {
    uint32_t j1 = j0 + TILE < n ? j0 + TILE : n;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const uint64_t *a = A + (size_t)i * WORDS;
#if VEC
      __m512i r0[8], r1[8];
      for (int r = 0; r < 8; r++) {
        r0[r] = _mm512_loadu_si512(a + r * WORDS);
        r1[r] = _mm512_loadu_si512(a + r * WORDS + 8);
      }
      uint64_t x[8];
      for (uint32_t j = j0; j < j1; j++) {
        const uint64_t *b = B + (size_t)j * WORDS;
        const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 8);
        __m512i v[8];
        for (int r = 0; r < 8; r++) v[r] = _mm512_add_epi64(_mm512_popcnt_epi64(_mm512_and_si512(r0[r], b0)), _mm512_popcnt_epi64(_mm512_and_si512(r1[r], b1)));
        __m512i s01 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[0], v[1]), _mm512_unpackhi_epi64(v[0], v[1]));
        __m512i s23 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[2], v[3]), _mm512_unpackhi_epi64(v[2], v[3]));
        __m512i s45 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[4], v[5]), _mm512_unpackhi_epi64(v[4], v[5]));
        __m512i s67 = _mm512_add_epi64(_mm512_unpacklo_epi64(v[6], v[7]), _mm512_unpackhi_epi64(v[6], v[7]));
        __m512i q0 = _mm512_add_epi64(_mm512_shuffle_i64x2(s01, s23, 0x88), _mm512_shuffle_i64x2(s01, s23, 0xDD));
        __m512i q1 = _mm512_add_epi64(_mm512_shuffle_i64x2(s45, s67, 0x88), _mm512_shuffle_i64x2(s45, s67, 0xDD));
        _mm512_storeu_si512(x, _mm512_add_epi64(_mm512_shuffle_i64x2(q0, q1, 0x88), _mm512_shuffle_i64x2(q0, q1, 0xDD)));
        const uint32_t pb = pB[j];
        for (int r = 0; r < 8; r++) kept += x[r] >= need[pA[i + r] + pb];
      }
#else
      for (uint32_t j = j0; j < j1; j++) {
        const uint64_t *b = B + (size_t)j * WORDS;
        uint32_t x[8] = {0};
        for (int w = 0; w < WORDS; w++) {
          const uint64_t bw = b[w];
          for (int r = 0; r < 8; r++) x[r] += (uint32_t)__builtin_popcountll(a[r * WORDS + w] & bw);
        }
        for (int r = 0; r < 8; r++) kept += x[r] >= need[pA[i + r] + pB[j]];
      }
#endif
    }
    for (; i < n; i++) {
      const uint64_t *a = A + (size_t)i * WORDS;
      for (uint32_t j = j0; j < j1; j++) {
        const uint64_t *b = B + (size_t)j * WORDS;
        uint32_t x = 0;
        for (int w = 0; w < WORDS; w++) x += (uint32_t)__builtin_popcountll(a[w] & b[w]);
        kept += x >= need[pA[i] + pB[j]];
      }
    }
  }
  return kept;
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 20000;
  double t = argc > 2 ? strtod(argv[2], NULL) : 0.8;
  rs = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 12345;
  if (rs == 0) rs = 1;
  A = aligned_alloc(64, (size_t)n * WORDS * 8 + 64);
  B = aligned_alloc(64, (size_t)n * WORDS * 8 + 64);
  pA = malloc((size_t)n * 4);
  pB = malloc((size_t)n * 4);
  need = malloc((2 * 64 * WORDS + 1) * 4);
  if (!A || !B || !pA || !pB || !need) return 3;
  if (argc > 4) {
    for (int side = 0; side < 2; side++) {
      FILE *f = fopen(argv[3 + side], "rb");
      if (!f || fread(side ? B : A, 128, n, f) != n) {
        fprintf(stderr, "limit: cannot read %u rows from %s\n", n, argv[3 + side]);
        return 2;
      }
      fclose(f);
    }
    for (uint32_t i = 0; i < n; i++) {
      pA[i] = pB[i] = 0;
      for (int w = 0; w < WORDS; w++) {
        pA[i] += (uint32_t)__builtin_popcountll(A[(size_t)i * WORDS + w]);
        pB[i] += (uint32_t)__builtin_popcountll(B[(size_t)i * WORDS + w]);
      }
    }
  } else {
    for (int side = 0; side < 2; side++) {
      uint64_t *M = side ? B : A;
      uint32_t *P = side ? pB : pA;
      for (uint32_t i = 0; i < n; i++) {
        uint32_t p = 0;
        for (int w = 0; w < WORDS; w++) {
          uint64_t lo = (xs() & xs()) | (xs() & xs() & xs());
          uint64_t hi = (xs() & xs()) | (xs() & xs() & xs());
          M[(size_t)i * WORDS + w] = lo | hi << 32;
          p += (uint32_t)__builtin_popcountll(M[(size_t)i * WORDS + w]);
        }
        P[i] = p;
      }
    }
    /* every 7th B row a copy of the A row, so some pairs pass */
    for (uint32_t i = 0; i < n; i += 7) {
      memcpy(B + (size_t)i * WORDS, A + (size_t)i * WORDS, WORDS * 8);
      pB[i] = pA[i];
    }
  }
  for (uint32_t s = 0; s <= 2 * 64 * WORDS; s++) {
    uint32_t x = 0;
    while (x <= s && !(s > 0 && (double)(2 * x) / (double)s >= t)) x++;
    need[s] = x; /* s = 0: x = 1 > any intersection, never kept */
  }
  double c0 = cpu_seconds();
  uint64_t k1 = run_simple(n);
  double c1 = cpu_seconds();
  uint64_t k2 = run_blocked(n);
  double c2 = cpu_seconds();
  double pairs = (double)n * (double)n;
  printf("{\"isa\":\"%s\",\"n\":%u,\"t\":%g,\"kept\":[%llu,%llu],\"simpleMPairsPerCpuS\":%.1f,\"blockedMPairsPerCpuS\":%.1f}\n", VEC ? "avx512-vpopcntdq" : "popcnt", n, t,
         (unsigned long long)k1, (unsigned long long)k2, pairs / (c1 - c0) / 1e6, pairs / (c2 - c1) / 1e6);
  return k1 == k2 ? 0 : 70;
}
