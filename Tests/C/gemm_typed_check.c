/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_typed_check.c - the typed GEMM (fp8_gemm_ex, fp8_gemm_weight_only: F32/F16/BF16 A, F32/F16/BF16
 * C, a float32 bias) on every kernel set this machine supports, with 1 and 2 threads:
 *
 *  1. identities, bit for bit (exact by construction, so any difference is a bug):
 *     - weight_only with a BF16 or F16 A = weight_only with this file's float32 widening of A;
 *     - weight_only / gemm_ex with c_type F32, F16 or BF16 and a bias = this file's nearest-even
 *       narrowing of (R + bias[j]) in float32, R the float32 C of fp8_gemm_f32a / fp8_gemm without
 *       bias, with the same alpha and beta (beta != 0: R made from C widened exactly);
 *     - 2 threads give the bits of 1 thread (NaNs included); C's padding (ldc > N) is never written.
 *  2. an FP64 oracle (operands dequantized by this file's decoder): fp8.h's bound
 *     |C - C_exact| <= |alpha| ((K + 3) 2^-24 sum_k |A'B'| + K (2^-120 max|A'| + 2^-148))
 *                      + 2 * 2^-24 (|alpha| sum_k |A'B'| + |beta C|)      (the final alpha/beta step)
 *     plus 2^-24 |C| for the bias addition, plus one output rounding: half an ulp, 2^-8 relative for
 *     BF16 (8 significant bits) and 2^-11 for F16 (11 bits), plus half the output's smallest subnormal.
 *     With beta != 0 the packed path (gemm_loops.c) adds each further block of K (kc <= 256) into C,
 *     which already holds beta * C: that is one more rounding of |alpha acc + beta C| per block, which
 *     fp8.h's "final alpha/beta rounding" does not cover when |beta C| >> sum |A'B'| (the "tiny" case
 *     below). The bound has (ceil(K / 256) - 1) 2^-24 (|alpha| sum_k |A'B'| + |beta C|) more for it;
 *     the summary counts the elements that needed it.
 *  3. NaN / Inf: a NaN in A (BF16 NaN, an FP8 NaN code for gemm_ex), NaN and Inf codes and an Inf
 *     scale in B, NaN and Inf bias elements give NaN / Inf exactly where IEEE arithmetic on the
 *     dequantized operands does; F16 overflow gives +-Inf; beta = 0 never reads C (every call with
 *     beta = 0 starts from C filled with NaN patterns, quiet and signalling, of both signs).
 *  4. K = 0: C = round(beta * C + bias) for each type.
 *  5. errors: bad a_type / c_type, NULL c, ldc < N, lda < K, sizes that overflow only for a 2-byte
 *     element, NULL operands; a failing call writes nothing.
 *
 * GT_TIME=1 prints each shape's time and its count of elements beyond fp8.h's bound on stderr.
 *
 * Run by scripts/test.sh:
 *   cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -ICSupport/include Tests/C/gemm_typed_check.c \
 *      -L.build/c -lfp8 -lm -o gemm_typed_check
 */
#include <fp8.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const g_sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
static const char *g_set = "?";
static int g_threads = 1;
static long g_fail, g_calls, g_ident, g_oracle, g_special;
static double g_ratio[3]; /* the largest |C - C_exact| / bound seen, per c_type */
static long g_beyond_doc;  /* elements within the bound but outside fp8.h's text (beta != 0, K > 256) */

#define FAILF(...)                                                                                         \
    do {                                                                                                   \
        if (g_fail < 60) {                                                                                 \
            fprintf(stderr, "FAIL [%s, %d thr] ", g_set, g_threads);                                       \
            fprintf(stderr, __VA_ARGS__);                                                                  \
            fputc('\n', stderr);                                                                           \
        }                                                                                                  \
        g_fail++;                                                                                          \
    } while (0)

/* ---- random numbers, bits --------------------------------------------------------------------- */

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd32(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float f32_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static size_t dsize(fp8_dtype t) { return t == FP8_DTYPE_F32 ? 4 : 2; }
static const char *dname(fp8_dtype t) { return t == FP8_DTYPE_F32 ? "F32" : t == FP8_DTYPE_F16 ? "F16" : "BF16"; }

/* ---- this file's own conversions (from the formats' definitions, by value) --------------------- */

/* Round |x| (finite, double) to p significant bits with quantum at least 2^qmin, nearest even. */
static double round_sig(double x, int p, int qmin) {
    int e;
    frexp(x, &e); /* x in [2^(e-1), 2^e) */
    int q = e - p;
    if (q < qmin) q = qmin;
    return ldexp(nearbyint(ldexp(x, -q)), q);
}

/* float32 -> bfloat16 (1.8.7, float32's exponent range): nearest even; >= 2^128 after rounding is
 * Inf; NaN -> sign | top 7 payload bits | quiet (fp8.h). */
static uint16_t my_bf16(float f) {
    const uint32_t u = bits_of(f);
    const uint16_t s = (uint16_t)((u >> 16) & 0x8000);
    if (isnan(f)) return (uint16_t)((u >> 16) | 0x0040);
    if (isinf(f)) return s | 0x7F80;
    const double x = fabs((double)f);
    if (x == 0) return s;
    const double r = round_sig(x, 8, -133);
    if (r >= 0x1p128) return s | 0x7F80;
    return (uint16_t)(s | (bits_of((float)r) >> 16)); /* r is a bf16 value: the low 16 bits are 0 */
}

/* float32 -> binary16 (1.5.10, bias 15, max 65504, min subnormal 2^-24): nearest even; NaN -> sign |
 * 0x7E00 | top 10 payload bits (fp8.h). */
static uint16_t my_f16(float f) {
    const uint32_t u = bits_of(f);
    const uint16_t s = (uint16_t)((u >> 16) & 0x8000);
    if (isnan(f)) return (uint16_t)(s | 0x7E00 | ((u >> 13) & 0x3FF));
    if (isinf(f)) return s | 0x7C00;
    const double x = fabs((double)f);
    if (x == 0) return s;
    const double r = round_sig(x, 11, -24);
    if (r >= 65536.0) return s | 0x7C00;
    if (r < 0x1p-14) return (uint16_t)(s | (uint16_t)ldexp(r, 24));
    int e;
    frexp(r, &e); /* r in [2^(e-1), 2^e) */
    return (uint16_t)(s | (uint16_t)((e - 1 + 15) << 10) | (uint16_t)(ldexp(r, 11 - e) - 1024));
}

/* Widening: exact; NaNs keep sign and payload and become quiet (fp8.h). */
static float my_from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu)) u |= 0x00400000u;
    return f32_of(u);
}
static float my_from_f16(uint16_t h) {
    const int e = (h >> 10) & 31, m = h & 0x3FF;
    const uint32_t s = (uint32_t)(h & 0x8000) << 16;
    if (e == 31) return f32_of(s | 0x7F800000u | (m ? 0x00400000u | ((uint32_t)m << 13) : 0));
    const double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -(float)v : (float)v;
}

static uint16_t narrow16(fp8_dtype t, float f) { return t == FP8_DTYPE_BF16 ? my_bf16(f) : my_f16(f); }
static float widen16(fp8_dtype t, uint16_t h) { return t == FP8_DTYPE_BF16 ? my_from_bf16(h) : my_from_f16(h); }

/* Element (i, j) of a typed C, widened. */
static float c_get(fp8_dtype t, const void *c, size_t ldc, size_t i, size_t j) {
    if (t == FP8_DTYPE_F32) return ((const float *)c)[i * ldc + j];
    return widen16(t, ((const uint16_t *)c)[i * ldc + j]);
}
static uint32_t c_bits(fp8_dtype t, const void *c, size_t ldc, size_t i, size_t j) {
    if (t == FP8_DTYPE_F32) return bits_of(((const float *)c)[i * ldc + j]);
    return ((const uint16_t *)c)[i * ldc + j];
}

/* The value of an FP8 code: E4M3 bias 7, no Inf, NaN = S.1111.111; E5M2 bias 15, Inf = S.11111.00,
 * NaN = S.11111.xx (xx != 0). */
static double decode(fp8_format f, uint8_t c) {
    const int s = c >> 7, e4 = f == FP8_E4M3;
    const int mb = e4 ? 3 : 2, bias = e4 ? 7 : 15, emax = e4 ? 15 : 31;
    const int e = (c & 0x7F) >> mb, m = c & ((1 << mb) - 1);
    double v;
    if (e4 && e == emax && m == (1 << mb) - 1) v = NAN;
    else if (!e4 && e == emax) v = m ? NAN : INFINITY;
    else if (e == 0) v = ldexp((double)m, 1 - bias - mb);
    else v = ldexp((double)((1 << mb) + m), e - bias - mb);
    return s ? -v : v;
}
/* A random finite code with |value| <= 2^maxexp. */
static uint8_t finite_code(fp8_format f, int maxexp) {
    for (;;) {
        uint8_t c = (uint8_t)rnd32();
        double v = decode(f, c);
        if (isfinite(v) && fabs(v) <= ldexp(1.0, maxexp)) return c;
    }
}
/* A value exact in float32, binary16 and bfloat16: 8 significant bits, |x| in [2^lo, 2^hi), or 0. */
static float common_value(int lo, int hi) {
    const uint32_t r = rnd32();
    if (r % 23 == 0) return r & 0x100 ? -0.0f : 0.0f;
    const double m = 1.0 + (double)(r & 127) / 128.0;
    const double v = ldexp(m, lo + (int)((r >> 8) % (uint32_t)(hi - lo)));
    return (float)((r >> 20) & 1 ? -v : v);
}

/* ---- a test case ------------------------------------------------------------------------------- */

enum { SPECIAL_NONE, SPECIAL_NAN, SPECIAL_OVF, SPECIAL_TINY };

typedef struct gcase {
    size_t M, N, K;
    size_t br, bc;     /* B's blocks */
    size_t abr, abc;   /* A's blocks (fp8_gemm_ex) */
    fp8_format bf, af;
    float alpha, beta;
    int full;          /* every (a_type, c_type, bias) combination, else a subset */
    int special;
    size_t lpad;       /* lda = K + lpad, ldc = N + lpad */
} gcase;

typedef struct data {
    const gcase *cs;
    size_t lda, ldc;
    float *aw;                    /* A widened: [M, lda], the lda - K padding is NaN (never read) */
    uint16_t *abf, *af16;         /* A as BF16 / F16 bits (same values) */
    uint8_t *aq, *bq;             /* FP8 A [M, lda], B [N, K] */
    float *as, *bs;               /* their scales */
    float *bias;                  /* [N] */
    float *c0w;                   /* beta != 0: C's initial values [M, N], exact in all three types */
    uint16_t *c0h[2];             /* the same as F16, BF16 */
    /* the oracle, on rows orow[0..nor) */
    size_t nor, *orow;
    double *ew, *sw, *eq, *sq;    /* sum_k A'B', sum_k |A'B'| for the plain A and the FP8 A, [nor, N] */
    double maxw, maxq;            /* max |A'| over finite elements */
} data;

static size_t nsc(size_t r, size_t c, size_t br, size_t bc) { return ((r + br - 1) / br) * ((c + bc - 1) / bc); }
static double bdeq(const data *d, size_t j, size_t k) {
    const gcase *cs = d->cs;
    const size_t nbc = (cs->K + cs->bc - 1) / cs->bc;
    return (double)(float)(decode(cs->bf, d->bq[j * cs->K + k]) * (double)d->bs[(j / cs->br) * nbc + k / cs->bc]);
}
static double adeq(const data *d, size_t i, size_t k) {
    const gcase *cs = d->cs;
    const size_t nbc = (cs->K + cs->abc - 1) / cs->abc;
    return (double)(float)(decode(cs->af, d->aq[i * d->lda + k]) * (double)d->as[(i / cs->abr) * nbc + k / cs->abc]);
}

static void make_data(data *d, const gcase *cs) {
    const size_t M = cs->M, N = cs->N, K = cs->K;
    memset(d, 0, sizeof *d);
    d->cs = cs;
    d->lda = K + cs->lpad;
    d->ldc = N + cs->lpad;
    d->aw = malloc(M * d->lda * sizeof(float) + 4);
    d->abf = malloc(M * d->lda * 2 + 2);
    d->af16 = malloc(M * d->lda * 2 + 2);
    d->aq = malloc(M * d->lda + 1);
    d->bq = malloc(N * K + 1);
    d->as = malloc(nsc(M, K, cs->abr, cs->abc) * sizeof(float));
    d->bs = malloc(nsc(N, K, cs->br, cs->bc) * sizeof(float));
    d->bias = malloc(N * sizeof(float));
    d->c0w = malloc(M * N * sizeof(float));
    const int ovf = cs->special == SPECIAL_OVF;
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < d->lda; k++) {
            const size_t x = i * d->lda + k;
            if (k >= K) { /* padding: NaN in every form */
                d->aw[x] = NAN;
                d->abf[x] = 0x7FC0;
                d->af16[x] = 0x7E00;
                d->aq[x] = 0x7F;
                continue;
            }
            float v = ovf ? common_value(4, 9) : common_value(-6, 4);
            if (!ovf && rnd32() % 61 == 0) v = (float)ldexp((double)(rnd32() % 256), -24); /* F16 subnormal */
            d->aw[x] = v;
            d->abf[x] = my_bf16(v);
            d->af16[x] = my_f16(v);
            d->aq[x] = finite_code(cs->af, cs->af == FP8_E4M3 ? 8 : 10);
        }
    for (size_t x = 0; x < N * K; x++) d->bq[x] = finite_code(cs->bf, cs->bf == FP8_E4M3 ? 8 : 10);
    /* Scales: amax / max_finite style (not powers of two), tiny ones for SPECIAL_TINY. */
    const size_t nas = nsc(M, K, cs->abr, cs->abc), nbs = nsc(N, K, cs->br, cs->bc);
    for (size_t s = 0; s < nas; s++) d->as[s] = (float)((0.5 + (rnd32() % 1000) / 1000.0) / 64.0);
    for (size_t s = 0; s < nbs; s++) {
        double v = (0.5 + (rnd32() % 1000) / 1000.0) / 32.0;
        if (cs->special == SPECIAL_TINY) v *= 0x1p-28;
        if (ovf) v *= 16.0;
        d->bs[s] = (float)v;
    }
    for (size_t j = 0; j < N; j++) {
        const uint32_t r = rnd32();
        d->bias[j] = r % 17 == 0 ? 0.0f : (float)((r & 1 ? -1.0 : 1.0) * ((r >> 1) % 100000) * 1e-4);
        if (cs->special == SPECIAL_TINY) d->bias[j] *= 0x1p-24f;
    }
    d->c0h[0] = malloc(M * N * 2);
    d->c0h[1] = malloc(M * N * 2);
    for (size_t x = 0; x < M * N; x++) {
        d->c0w[x] = common_value(-4, 4);
        d->c0h[0][x] = my_f16(d->c0w[x]);
        d->c0h[1][x] = my_bf16(d->c0w[x]);
    }
}

static void free_data(data *d) {
    free(d->aw), free(d->abf), free(d->af16), free(d->aq), free(d->bq), free(d->as), free(d->bs);
    free(d->bias), free(d->c0w), free(d->c0h[0]), free(d->c0h[1]), free(d->orow), free(d->ew), free(d->sw), free(d->eq), free(d->sq);
}

/* NaN and Inf: a BF16 NaN in A (and an FP8 NaN code in the FP8 A), an Inf in A with zero codes below
 * it in some rows of B, NaN and Inf codes in B (E5M2), an Inf scale, NaN and Inf bias elements. */
static void add_specials(data *d) {
    const gcase *cs = d->cs;
    const size_t M = cs->M, N = cs->N, K = cs->K;
    const size_t i0 = M / 2, k0 = K / 3, i1 = M - 1, k1 = K - 1;
    d->aw[i0 * d->lda + k0] = f32_of(0xFFC10000u); /* BF16 0xFFC1, F16 0xFE08 */
    d->aq[i0 * d->lda + k0] = cs->af == FP8_E4M3 ? 0xFF : 0x7E;
    if (M > 1) {
        d->aw[i1 * d->lda + k1] = -INFINITY;
        d->aq[i1 * d->lda + k1] = cs->af == FP8_E5M2 ? 0xFC : 0x7F;
    }
    for (size_t j = 0; j < N; j += 3) d->bq[j * K + k1] = 0x00;         /* 0 * Inf */
    if (N > 1) d->bq[1 * K + K / 2] = cs->bf == FP8_E4M3 ? 0x7F : 0xFD; /* NaN codes */
    if (N > 5) d->bq[5 * K + 0] = cs->bf == FP8_E5M2 ? 0x7C : 0xFF;     /* +Inf (E5M2) */
    if (N > 7 && cs->bf == FP8_E5M2) d->bq[7 * K + K / 2] = 0xFC;       /* -Inf */
    if (N > 2) d->bias[2] = NAN;
    if (N > 4) d->bias[4] = -INFINITY;
    if (N > 6) d->bias[N - 1] = INFINITY;
    if (cs->br > 1 && N > 2 * cs->br) d->bs[((N - 1) / cs->br) * ((K + cs->bc - 1) / cs->bc)] = INFINITY;
    for (size_t x = 0; x < M * d->lda; x++) {
        d->abf[x] = my_bf16(d->aw[x]);
        d->af16[x] = my_f16(d->aw[x]);
    }
}

static int row_in_oracle(const gcase *cs, size_t i) {
    if (cs->M <= 128) return 1;
    return i < 2 || i == cs->M / 2 || (i >= 1005 && i <= 1010) || i >= cs->M - 2 || i % 97 == 13;
}

static void make_oracle(data *d) {
    const gcase *cs = d->cs;
    const size_t M = cs->M, N = cs->N, K = cs->K;
    d->orow = malloc(M * sizeof(size_t));
    for (size_t i = 0; i < M; i++)
        if (row_in_oracle(cs, i)) d->orow[d->nor++] = i;
    d->ew = malloc(d->nor * N * sizeof(double) + 8);
    d->sw = malloc(d->nor * N * sizeof(double) + 8);
    d->eq = malloc(d->nor * N * sizeof(double) + 8);
    d->sq = malloc(d->nor * N * sizeof(double) + 8);
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < K; k++) {
            const double w = d->aw[i * d->lda + k], q = adeq(d, i, k);
            if (isfinite(w)) d->maxw = fmax(d->maxw, fabs(w));
            if (isfinite(q)) d->maxq = fmax(d->maxq, fabs(q));
        }
    double *bcol = malloc(K * sizeof(double) + 8), *aw = malloc(K * sizeof(double) + 8), *aq = malloc(K * sizeof(double) + 8);
    for (size_t r = 0; r < d->nor; r++) {
        const size_t i = d->orow[r];
        for (size_t k = 0; k < K; k++) aw[k] = d->aw[i * d->lda + k], aq[k] = adeq(d, i, k);
        for (size_t j = 0; j < N; j++) {
            double e1 = 0, s1 = 0, e2 = 0, s2 = 0;
            for (size_t k = 0; k < K; k++) bcol[k] = bdeq(d, j, k);
            for (size_t k = 0; k < K; k++) {
                const double p = aw[k] * bcol[k], q = aq[k] * bcol[k];
                e1 += p, s1 += fabs(p), e2 += q, s2 += fabs(q);
            }
            d->ew[r * N + j] = e1, d->sw[r * N + j] = s1, d->eq[r * N + j] = e2, d->sq[r * N + j] = s2;
        }
    }
    free(bcol), free(aw), free(aq);
}

/* ---- calls and their checks ------------------------------------------------------------------- */

static void *g_c;              /* the C under test */
static size_t g_cbytes;
static const uint8_t k_pad = 0xA5; /* C's padding (columns N..ldc-1) */

/* C before a call: beta != 0: c0w in c_type; beta = 0: NaN patterns (quiet and signalling, both
 * signs), which any read of C would carry into the result. Padding bytes k_pad. */
static void fill_c(const data *d, fp8_dtype t, float beta) {
    const size_t M = d->cs->M, N = d->cs->N, es = dsize(t);
    static const uint32_t n32[] = {0x7FC00000u, 0xFFC00001u, 0x7F800001u, 0xFF812345u};
    static const uint16_t n16[2][4] = {{0x7E00, 0xFE01, 0x7C01, 0xFD55}, {0x7FC0, 0xFFC1, 0x7F81, 0xFF95}};
    memset(g_c, k_pad, M * d->ldc * es);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            const size_t x = i * d->ldc + j;
            if (t == FP8_DTYPE_F32)
                ((float *)g_c)[x] = beta != 0.0f ? d->c0w[i * N + j] : f32_of(n32[x & 3]);
            else
                ((uint16_t *)g_c)[x] = beta != 0.0f ? d->c0h[t == FP8_DTYPE_BF16][i * N + j] : n16[t == FP8_DTYPE_BF16][x & 3];
        }
}

static int pad_intact(const data *d, fp8_dtype t, const char *what) {
    const size_t M = d->cs->M, N = d->cs->N, es = dsize(t);
    const uint8_t *c = g_c;
    for (size_t i = 0; i < M; i++)
        for (size_t b = N * es; b < d->ldc * es; b++)
            if (c[i * d->ldc * es + b] != k_pad) {
                FAILF("%s: padding of C row %zu written", what, i);
                return 0;
            }
    return 1;
}

static uint64_t hash_c(const data *d, fp8_dtype t) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < d->cs->M; i++)
        for (size_t j = 0; j < d->cs->N; j++) h = (h ^ c_bits(t, g_c, d->ldc, i, j)) * 1099511628211ull;
    return h;
}

/* 1 thread's hashes per call, for the 2-thread run. */
static uint64_t g_hash[64];
static size_t g_ncall;
static void thread_check(const data *d, fp8_dtype t, const char *what) {
    const uint64_t h = hash_c(d, t);
    if (g_ncall >= 64) return;
    if (g_threads == 1) g_hash[g_ncall] = h;
    else if (g_hash[g_ncall] != h) FAILF("%s: bits differ from 1 thread", what);
    g_ncall++;
}

/* Bitwise: C == narrow_t(R + bias) (R: float32 [M, N], ld N). */
static void ident_check(const data *d, fp8_dtype t, const float *r, const float *bias, const char *what) {
    const size_t M = d->cs->M, N = d->cs->N;
    long bad = 0;
    if (g_threads > 1) return; /* thread_check compares these bits with 1 thread's */
    g_ident++;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            float v = r[i * N + j];
            if (bias) v = v + bias[j];
            const uint32_t want = t == FP8_DTYPE_F32 ? bits_of(v) : narrow16(t, v), got = c_bits(t, g_c, d->ldc, i, j);
            if (want != got) {
                if (bad < 3)
                    FAILF("%s: C[%zu][%zu] = 0x%0*x, want 0x%0*x (R %a, bias %a)", what, i, j, t ? 4 : 8, got,
                          t ? 4 : 8, want, r[i * N + j], bias ? bias[j] : 0.0f);
                bad++;
            }
        }
    if (bad > 3) FAILF("%s: %ld elements differ in all", what, bad);
}

/* The FP64 oracle with fp8.h's bound (see the top of this file). Returns the bad count; quiet = 1 for
 * the control that must fail. */
static long oracle_check(const data *d, int fp8a, fp8_dtype t, const float *bias, float beta, const char *what,
                         int quiet) {
    const gcase *cs = d->cs;
    const size_t N = cs->N, K = cs->K;
    const double u = 0x1p-24, uo = t == FP8_DTYPE_F32 ? 0 : t == FP8_DTYPE_BF16 ? 0x1p-8 : 0x1p-11;
    const double sub = t == FP8_DTYPE_F32 ? 0x1p-150 : t == FP8_DTYPE_BF16 ? 0x1p-134 : 0x1p-25;
    const double thr = t == FP8_DTYPE_F16 ? 65520.0 : t == FP8_DTYPE_BF16 ? 0x1.ffp127 : 0x1.ffffffp127;
    const double alpha = cs->alpha, maxa = fp8a ? d->maxq : d->maxw;
    const size_t nkb = (K + 255) / 256; /* the packed path's kc blocks (kc <= 256 in every set) */
    long bad = 0;
    if (g_threads > 1) return quiet; /* thread_check compares these bits with 1 thread's */
    if (!quiet) g_oracle++;
    for (size_t r = 0; r < d->nor; r++) {
        const size_t i = d->orow[r];
        for (size_t j = 0; j < N; j++) {
            const double acc = (fp8a ? d->eq : d->ew)[r * N + j], sabs = (fp8a ? d->sq : d->sw)[r * N + j];
            const double c0 = beta != 0.0f ? (double)d->c0w[i * N + j] * beta : 0.0;
            const double b = bias ? bias[j] : 0.0;
            const double exact = alpha * acc + c0 + b;
            const double got = c_get(t, g_c, d->ldc, i, j);
            /* fp8.h's bound; then the kc-block additions with beta != 0 (see the top of this file) */
            double tdoc = fabs(alpha) * ((double)(K + 3) * u * sabs + (double)K * (0x1p-120 * maxa + 0x1p-148)) +
                          2 * u * (fabs(alpha) * sabs + fabs(c0)) + 0x1p-149;
            double t32 = tdoc + (c0 != 0.0 ? (double)(nkb - 1) * u * (fabs(alpha) * sabs + fabs(c0)) : 0.0);
            if (bias) tdoc += u * (fabs(exact) + tdoc), t32 += u * (fabs(exact) + t32);
            const double tol = t32 + uo * (fabs(exact) + t32) + sub, toldoc = tdoc + uo * (fabs(exact) + tdoc) + sub;
            int ok;
            if (isnan(exact)) ok = isnan(got);
            else if (isinf(exact)) ok = got == exact;
            else if (isinf(got)) ok = !isnan(sabs) && (got > 0 ? exact + t32 >= thr : exact - t32 <= -thr);
            else if (fabs(exact) - t32 > thr) ok = 0; /* must have overflowed */
            else {
                ok = !isnan(got) && fabs(got - exact) <= tol;
                if (ok && !quiet && tol > 0) g_ratio[t] = fmax(g_ratio[t], fabs(got - exact) / tol);
                if (ok && !quiet && fabs(got - exact) > toldoc) g_beyond_doc++;
            }
            if (!ok) {
                if (!quiet && bad < 3)
                    FAILF("%s: C[%zu][%zu] = %a, exact %a (|error| %.3g, bound %.3g)", what, i, j, got, exact,
                          fabs(got - exact), tol);
                bad++;
            }
        }
    }
    if (bad > 3 && !quiet) FAILF("%s: %ld elements outside the bound in all", what, bad);
    return bad;
}

static void status_ok(int st, const char *what) {
    g_calls++;
    if (st != FP8_OK) FAILF("%s: status %d (%s)", what, st, fp8_status_string(st));
}

/* All calls of one case on the current kernel set and thread count. */
static void run_case(const data *d) {
    const gcase *cs = d->cs;
    const size_t M = cs->M, N = cs->N, K = cs->K;
    const float alpha = cs->alpha, beta = cs->beta;
    const fp8_matrix B = {cs->bf, N, K, K, d->bq, d->bs, cs->br, cs->bc};
    const fp8_matrix A = {cs->af, M, K, d->lda, d->aq, d->as, cs->abr, cs->abc};
    float *r = malloc(M * N * sizeof(float)), *rq = malloc(M * N * sizeof(float));
    char what[160];
    const char *tag = cs->special == SPECIAL_NAN ? " nan" : cs->special == SPECIAL_OVF ? " ovf" : cs->special == SPECIAL_TINY ? " tiny" : "";
#define WHAT(...) (snprintf(what, sizeof what, "M %zu N %zu K %zu B %zux%zu%s: ", M, N, K, cs->br, cs->bc, tag), \
                   snprintf(what + strlen(what), sizeof what - strlen(what), __VA_ARGS__), what)
    g_ncall = 0;

    /* The float32 references. */
    fill_c(d, FP8_DTYPE_F32, beta);
    status_ok(fp8_gemm_f32a(M, d->aw, d->lda, &B, alpha, beta, g_c, d->ldc), WHAT("f32a"));
    pad_intact(d, FP8_DTYPE_F32, what);
    for (size_t i = 0; i < M; i++) memcpy(r + i * N, (float *)g_c + i * d->ldc, N * sizeof(float));
    oracle_check(d, 0, FP8_DTYPE_F32, NULL, beta, what, 0);
    thread_check(d, FP8_DTYPE_F32, what);
    fill_c(d, FP8_DTYPE_F32, beta);
    status_ok(fp8_gemm(&A, &B, alpha, beta, g_c, d->ldc), WHAT("fp8_gemm"));
    pad_intact(d, FP8_DTYPE_F32, what);
    for (size_t i = 0; i < M; i++) memcpy(rq + i * N, (float *)g_c + i * d->ldc, N * sizeof(float));
    oracle_check(d, 1, FP8_DTYPE_F32, NULL, beta, what, 0);
    thread_check(d, FP8_DTYPE_F32, what);

    /* Weight-only: (a_type, c_type, bias) combinations. */
    static const fp8_dtype types[] = {FP8_DTYPE_F32, FP8_DTYPE_F16, FP8_DTYPE_BF16};
    for (int ai = 0; ai < 3; ai++)
        for (int ci = 0; ci < 3; ci++)
            for (int wb = 0; wb < 2; wb++) {
                const fp8_dtype at = types[ai], ct = types[ci];
                const float *bias = wb ? d->bias : NULL;
                if (at == FP8_DTYPE_F32 && ct == FP8_DTYPE_F32 && !bias) continue; /* the reference */
                if (!cs->full) {
                    /* subset: A widening alone, and each output type with a bias from another A type */
                    const int keep = (!bias && ct == FP8_DTYPE_F32 && at == FP8_DTYPE_BF16) ||
                                     (bias && ((at == FP8_DTYPE_BF16 && ct == FP8_DTYPE_BF16) ||
                                               (at == FP8_DTYPE_F16 && ct == FP8_DTYPE_F16) ||
                                               (at == FP8_DTYPE_F32 && ct == FP8_DTYPE_F32)));
                    if (!keep) continue;
                }
                const void *a = at == FP8_DTYPE_F32 ? (const void *)d->aw : at == FP8_DTYPE_F16 ? (const void *)d->af16 : (const void *)d->abf;
                fill_c(d, ct, beta);
                status_ok(fp8_gemm_weight_only(M, at, a, d->lda, &B, bias, alpha, beta, ct, g_c, d->ldc),
                          WHAT("weight_only A %s C %s%s", dname(at), dname(ct), bias ? " bias" : ""));
                pad_intact(d, ct, what);
                ident_check(d, ct, r, bias, what);
                oracle_check(d, 0, ct, bias, beta, what, 0);
                thread_check(d, ct, what);
                /* The control: the oracle must see a missing bias. */
                if (bias && cs->special == SPECIAL_NONE && ct == FP8_DTYPE_BF16 && oracle_check(d, 0, ct, NULL, beta, what, 1) == 0)
                    FAILF("%s: the oracle does not notice a missing bias", what);
            }

    /* fp8_gemm_ex: every c_type with a bias, F32 and BF16 without. */
    for (int ci = 0; ci < 3; ci++)
        for (int wb = 0; wb < 2; wb++) {
            const fp8_dtype ct = types[ci];
            const float *bias = wb ? d->bias : NULL;
            if (!bias && ct == FP8_DTYPE_F16) continue;
            if (!cs->full && !bias) continue;
            fill_c(d, ct, beta);
            status_ok(fp8_gemm_ex(&A, &B, bias, alpha, beta, ct, g_c, d->ldc),
                      WHAT("gemm_ex C %s%s", dname(ct), bias ? " bias" : ""));
            pad_intact(d, ct, what);
            ident_check(d, ct, rq, bias, what);
            oracle_check(d, 1, ct, bias, beta, what, 0);
            thread_check(d, ct, what);
        }
#undef WHAT
    free(r);
    free(rq);
}

/* ---- 1. / 2. / 3.: the cases -------------------------------------------------------------------- */

static const gcase k_cases[] = {
    /* M    N     K     B blocks  A blocks  B fmt     A fmt     alpha   beta  full special pad */
    /* small M (M <= 16) */
    {1, 4100, 1300, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_NONE, 0},
    {2, 520, 700, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 0.75f, 0.5f, 1, SPECIAL_NONE, 3},
    {4, 33, 100, 128, 128, 1, 128, FP8_E5M2, FP8_E4M3, 1.0f, 1.0f, 1, SPECIAL_NONE, 0},
    {5, 520, 1300, 48, 51, 1, 100, FP8_E4M3, FP8_E5M2, -1.25f, 0.0f, 1, SPECIAL_NONE, 1},
    {15, 4100, 100, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, -2.0f, 1, SPECIAL_NONE, 0},
    {16, 1, 1300, 128, 128, 16, 128, FP8_E5M2, FP8_E4M3, 1.0f, 0.5f, 1, SPECIAL_NONE, 5},
    {16, 520, 1, 7, 1, 1, 1, FP8_E4M3, FP8_E4M3, 2.0f, 0.0f, 1, SPECIAL_NONE, 0},
    {1, 33, 1, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 3.0f, 1, SPECIAL_NONE, 0},
    /* packed (M > 16): edge tiles, kc blocks, nc blocks, the epilogue's 1008-row blocks and strips */
    {17, 33, 700, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.25f, 1, SPECIAL_NONE, 2},
    {17, 4100, 100, 1, 128, 1, 128, FP8_E5M2, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_NONE, 0},
    {100, 520, 1300, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 0.5f, 1.0f, 0, SPECIAL_NONE, 0},
    {100, 4100, 100, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 0, SPECIAL_NONE, 3},
    {1100, 33, 1300, 48, 51, 1, 100, FP8_E4M3, FP8_E5M2, 1.0f, -1.0f, 0, SPECIAL_NONE, 1},
    {1100, 4100, 1, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.5f, 0, SPECIAL_NONE, 0},
    {1100, 520, 100, 1, 128, 1, 128, FP8_E5M2, FP8_E4M3, 1.5f, 0.0f, 0, SPECIAL_NONE, 0},
    /* regressions, 2 threads: a task narrower than the one the workspace was sized for used a wider
     * B panel (scalar, neon: N 4100 above and 8200; avx2: 8170; avx512: 8200), and a task with fewer
     * rows a wider epilogue block (M 1457 N 1433, every set): writes into the next task's workspace */
    {17, 8170, 16, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 0, SPECIAL_NONE, 0},
    {17, 8200, 16, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.5f, 0, SPECIAL_NONE, 0},
    {1457, 1433, 2, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 0, SPECIAL_NONE, 0},
    /* NaN / Inf propagation: small M and packed, promoted and folded block shapes */
    {5, 33, 100, 1, 128, 1, 128, FP8_E5M2, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_NAN, 0},
    {16, 520, 700, 128, 128, 1, 128, FP8_E5M2, FP8_E5M2, 1.0f, 1.0f, 1, SPECIAL_NAN, 1},
    {2, 33, 1300, 16, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_NAN, 0},
    {17, 33, 700, 128, 128, 1, 128, FP8_E5M2, FP8_E4M3, 1.0f, 0.5f, 1, SPECIAL_NAN, 0},
    {100, 520, 100, 1, 128, 1, 128, FP8_E5M2, FP8_E5M2, 1.0f, 0.0f, 1, SPECIAL_NAN, 0},
    /* F16 overflow to +-Inf, F16 subnormal outputs */
    {4, 520, 100, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_OVF, 0},
    {100, 33, 100, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_OVF, 0},
    {15, 520, 100, 128, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.0f, 1, SPECIAL_TINY, 0},
    {100, 33, 700, 1, 128, 1, 128, FP8_E4M3, FP8_E4M3, 1.0f, 0.5f, 1, SPECIAL_TINY, 0},
};
#define NCASES (sizeof k_cases / sizeof k_cases[0])

/* SPECIAL_OVF: bias chosen so that row 0 of C lands on F16's overflow edge (65504, the tie 65520
 * that rounds to Inf, just below it, beyond it, negative), from the FP64 oracle. */
static void overflow_bias(data *d) {
    static const double targets[] = {65504.0, 65519.0, 65520.0, 65536.0, -65520.0, -65519.5, 1e6, -3e5};
    const gcase *cs = d->cs;
    for (size_t j = 0; j < cs->N; j++) d->bias[j] = (float)(targets[j % 8] - cs->alpha * d->ew[j]);
}

/* A BF16 / F16 A with arbitrary finite bit patterns (every exponent, subnormals), against
 * fp8_gemm_f32a on this file's widening: bitwise. */
static void widen_case(size_t M, size_t N, size_t K, size_t br, size_t bc) {
    const size_t lda = K + 1;
    uint16_t *a16 = malloc(M * lda * 2);
    float *aw = malloc(M * lda * 4), *r = malloc(M * N * 4), *c = malloc(M * N * 4), *bs = malloc(nsc(N, K, br, bc) * 4);
    uint8_t *bq = malloc(N * K);
    for (size_t x = 0; x < N * K; x++) bq[x] = finite_code(FP8_E4M3, 8);
    for (size_t s = 0; s < nsc(N, K, br, bc); s++) bs[s] = (float)((1 + rnd32() % 1000) / 3000.0);
    const fp8_matrix B = {FP8_E4M3, N, K, K, bq, bs, br, bc};
    for (int ti = 0; ti < 2; ti++) {
        const fp8_dtype t = ti ? FP8_DTYPE_BF16 : FP8_DTYPE_F16;
        for (size_t x = 0; x < M * lda; x++) {
            uint16_t h;
            do {
                h = (uint16_t)rnd32();
                if (t == FP8_DTYPE_BF16) h = (uint16_t)((h & 0x807F) | (((h >> 7) % 150 + 0) << 7)); /* exp 0..149: |x| < 2^23 */
            } while (t == FP8_DTYPE_F16 ? (h & 0x7C00) == 0x7C00 : (h & 0x7F80) == 0x7F80);
            a16[x] = h;
            aw[x] = widen16(t, h);
        }
        for (size_t i = 0; i < M; i++) a16[i * lda + K] = t == FP8_DTYPE_BF16 ? 0x7FC0 : 0x7E00, aw[i * lda + K] = NAN;
        int st = fp8_gemm_f32a(M, aw, lda, &B, 1.0f, 0.0f, r, N);
        g_calls++;
        st |= fp8_gemm_weight_only(M, t, a16, lda, &B, NULL, 1.0f, 0.0f, FP8_DTYPE_F32, c, N);
        g_calls++;
        g_ident++;
        if (st) FAILF("widen %s M %zu N %zu K %zu: status %d", dname(t), M, N, K, st);
        else if (memcmp(r, c, M * N * 4)) {
            size_t e = 0;
            while (bits_of(r[e]) == bits_of(c[e])) e++;
            FAILF("widen %s M %zu N %zu K %zu: C[%zu][%zu] = %a, f32a of the widened A gives %a", dname(t), M, N, K,
                  e / N, e % N, c[e], r[e]);
        }
    }
    free(a16), free(aw), free(r), free(c), free(bs), free(bq);
}

/* ---- 4. K = 0 ------------------------------------------------------------------------------------- */

static void k0_case(size_t M, size_t N, float beta) {
    static const fp8_dtype types[] = {FP8_DTYPE_F32, FP8_DTYPE_F16, FP8_DTYPE_BF16};
    float *bias = malloc(N * 4), *c0 = malloc(M * N * 4);
    void *c = malloc(M * N * 4);
    for (size_t j = 0; j < N; j++) bias[j] = (float)((int)(rnd32() % 20001) - 10000) * 0.37f;
    for (size_t x = 0; x < M * N; x++) c0[x] = f32_of(rnd32() & 0xC7FFFFFF); /* |c0| < 2^... moderate */
    if (N > 3) bias[3] = NAN, bias[2] = 70000.0f;                             /* F16 overflow */
    const fp8_matrix A = {FP8_E4M3, M, 0, 0, NULL, NULL, 1, 128}, B = {FP8_E5M2, N, 0, 0, NULL, NULL, 128, 128};
    for (int ti = 0; ti < 3; ti++)
        for (int wb = 0; wb < 2; wb++)
            for (int fn = 0; fn < 3; fn++) {
                const fp8_dtype t = types[ti];
                const float *bi = wb ? bias : NULL;
                const size_t es = dsize(t);
                /* C0 in t (exact for F32; the rounded value for 16-bit types, widened below) */
                for (size_t x = 0; x < M * N; x++) {
                    if (beta == 0.0f) {
                        if (t == FP8_DTYPE_F32) ((float *)c)[x] = f32_of(0x7F800001u);
                        else ((uint16_t *)c)[x] = t == FP8_DTYPE_F16 ? 0xFC01 : 0x7F81;
                    } else if (t == FP8_DTYPE_F32) ((float *)c)[x] = c0[x];
                    else ((uint16_t *)c)[x] = narrow16(t, c0[x]);
                }
                uint8_t *before = malloc(M * N * es);
                memcpy(before, c, M * N * es);
                float dummy = 1.0f;
                int st = fn == 0 ? fp8_gemm_ex(&A, &B, bi, 1.5f, beta, t, c, N)
                         : fn == 1 ? fp8_gemm_weight_only(M, FP8_DTYPE_BF16, NULL, 0, &B, bi, 1.5f, beta, t, c, N)
                                   : fp8_gemm_weight_only(M, FP8_DTYPE_F16, &dummy, 7, &B, bi, 1.5f, beta, t, c, N);
                g_calls++;
                g_special++;
                if (st != FP8_OK) {
                    FAILF("K = 0 (%d) C %s: status %d", fn, dname(t), st);
                    free(before);
                    continue;
                }
                long bad = 0;
                for (size_t x = 0; x < M * N; x++) {
                    float v = 0.0f;
                    if (beta != 0.0f) {
                        const float cin = t == FP8_DTYPE_F32 ? f32_of(((uint32_t *)(void *)before)[x]) : widen16(t, ((uint16_t *)before)[x]);
                        v = beta * cin;
                    }
                    if (bi) v = v + bi[x % N];
                    const uint32_t want = t == FP8_DTYPE_F32 ? bits_of(v) : narrow16(t, v);
                    const uint32_t got = t == FP8_DTYPE_F32 ? bits_of(((float *)c)[x]) : ((uint16_t *)c)[x];
                    if (want != got && bad++ < 2)
                        FAILF("K = 0 (%s) M %zu N %zu beta %g C %s%s: C[%zu][%zu] = 0x%x, want 0x%x", fn ? "weight_only" : "gemm_ex",
                              M, N, (double)beta, dname(t), bi ? " bias" : "", x / N, x % N, got, want);
                }
                free(before);
            }
    free(bias), free(c0), free(c);
}

/* ---- 5. errors ------------------------------------------------------------------------------------ */

static void error_cases(void) {
    enum { M = 3, N = 5, K = 7 };
    uint8_t aq[M * K], bq[N * K];
    float as[M], bs[N], aw[M * K], bias[N];
    uint16_t a16[M * K];
    uint8_t c[M * N * 4 + 64], before[sizeof c];
    for (size_t x = 0; x < sizeof aq; x++) aq[x] = 0x38;
    for (size_t x = 0; x < sizeof bq; x++) bq[x] = 0x38;
    for (size_t x = 0; x < M * K; x++) aw[x] = 1.0f, a16[x] = 0x3F80;
    for (size_t x = 0; x < M; x++) as[x] = 1.0f;
    for (size_t x = 0; x < N; x++) bs[x] = 1.0f, bias[x] = 1.0f;
    for (size_t x = 0; x < sizeof c; x++) c[x] = (uint8_t)(0x5A ^ x);
    memcpy(before, c, sizeof c);
    const fp8_matrix A = {FP8_E4M3, M, K, K, aq, as, 1, 128}, B = {FP8_E4M3, N, K, K, bq, bs, 1, 128};
    const size_t SMAX = (size_t)-1;
    struct {
        const char *what;
        int st, want;
    } r[] = {
        {"wo a_type 3", fp8_gemm_weight_only(M, (fp8_dtype)3, a16, K, &B, bias, 1, 0, FP8_DTYPE_BF16, c, N), FP8_ERR_BAD_ARGUMENT},
        {"wo a_type -1", fp8_gemm_weight_only(M, (fp8_dtype)-1, a16, K, &B, bias, 1, 0, FP8_DTYPE_BF16, c, N), FP8_ERR_BAD_ARGUMENT},
        {"wo c_type 3", fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, K, &B, bias, 1, 0, (fp8_dtype)3, c, N), FP8_ERR_BAD_ARGUMENT},
        {"wo c_type -1", fp8_gemm_weight_only(M, FP8_DTYPE_F32, aw, K, &B, NULL, 1, 0, (fp8_dtype)-1, c, N), FP8_ERR_BAD_ARGUMENT},
        {"ex c_type 3", fp8_gemm_ex(&A, &B, bias, 1, 0, (fp8_dtype)3, c, N), FP8_ERR_BAD_ARGUMENT},
        {"ex c_type -1", fp8_gemm_ex(&A, &B, NULL, 1, 1, (fp8_dtype)-1, c, N), FP8_ERR_BAD_ARGUMENT},
        {"wo c NULL", fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, K, &B, bias, 1, 0, FP8_DTYPE_F16, NULL, N), FP8_ERR_NULL_POINTER},
        {"ex c NULL", fp8_gemm_ex(&A, &B, bias, 1, 0, FP8_DTYPE_BF16, NULL, N), FP8_ERR_NULL_POINTER},
        {"wo a NULL", fp8_gemm_weight_only(M, FP8_DTYPE_F16, NULL, K, &B, bias, 1, 0, FP8_DTYPE_F16, c, N), FP8_ERR_NULL_POINTER},
        {"wo b NULL", fp8_gemm_weight_only(M, FP8_DTYPE_F16, a16, K, NULL, bias, 1, 0, FP8_DTYPE_F16, c, N), FP8_ERR_NULL_POINTER},
        {"ex a NULL", fp8_gemm_ex(NULL, &B, bias, 1, 0, FP8_DTYPE_F16, c, N), FP8_ERR_NULL_POINTER},
        {"wo ldc < N", fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, K, &B, bias, 1, 0, FP8_DTYPE_BF16, c, N - 1), FP8_ERR_BAD_SHAPE},
        {"ex ldc < N", fp8_gemm_ex(&A, &B, bias, 1, 0, FP8_DTYPE_F16, c, N - 1), FP8_ERR_BAD_SHAPE},
        {"wo lda < K", fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, K - 1, &B, bias, 1, 0, FP8_DTYPE_BF16, c, N), FP8_ERR_BAD_SHAPE},
        {"wo lda < K F32", fp8_gemm_weight_only(M, FP8_DTYPE_F32, aw, K - 1, &B, NULL, 1, 0, FP8_DTYPE_F32, c, N), FP8_ERR_BAD_SHAPE},
        /* (M - 1) * ldc + N elements fit in size_t; as 2-byte elements they do not */
        {"wo ldc huge BF16", fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, K, &B, bias, 1, 0, FP8_DTYPE_BF16, c, SMAX / 4), FP8_ERR_SIZE_OVERFLOW},
        {"wo ldc huge F16", fp8_gemm_weight_only(M, FP8_DTYPE_F32, aw, K, &B, NULL, 1, 0, FP8_DTYPE_F16, c, SMAX / 4), FP8_ERR_SIZE_OVERFLOW},
        {"ex ldc huge BF16", fp8_gemm_ex(&A, &B, NULL, 1, 0, FP8_DTYPE_BF16, c, SMAX / 4), FP8_ERR_SIZE_OVERFLOW},
        {"ex ldc huge F16 beta", fp8_gemm_ex(&A, &B, bias, 1, 1, FP8_DTYPE_F16, c, SMAX / 4), FP8_ERR_SIZE_OVERFLOW},
        {"wo lda huge BF16", fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, SMAX / 4, &B, bias, 1, 0, FP8_DTYPE_BF16, c, N), FP8_ERR_SIZE_OVERFLOW},
        {"wo lda huge F16", fp8_gemm_weight_only(M, FP8_DTYPE_F16, a16, SMAX / 4, &B, bias, 1, 0, FP8_DTYPE_F32, c, N), FP8_ERR_SIZE_OVERFLOW},
        {"ex ldc huge F32", fp8_gemm_ex(&A, &B, NULL, 1, 0, FP8_DTYPE_F32, c, SMAX / 4), FP8_ERR_SIZE_OVERFLOW},
    };
    for (size_t e = 0; e < sizeof r / sizeof r[0]; e++) {
        g_calls++;
        g_special++;
        if (r[e].st != r[e].want) FAILF("error case %s: status %d, want %d", r[e].what, r[e].st, r[e].want);
    }
    if (memcmp(c, before, sizeof c)) FAILF("error cases: a failing call wrote into C");
    /* The same arguments made valid do write (so the check above can fail). */
    g_calls++;
    if (fp8_gemm_weight_only(M, FP8_DTYPE_BF16, a16, K, &B, bias, 1, 0, FP8_DTYPE_BF16, c, N) != FP8_OK ||
        !memcmp(c, before, sizeof c))
        FAILF("error cases: the valid call did not write C");
}

/* ---- main -------------------------------------------------------------------------------------- */

/* Whether /proc/cpuinfo lists avx2 (x86-64 Linux): then some SIMD set must have run. */
static int cpu_has_avx2(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[1 << 14];
    int has = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "flags", 5)) {
            for (char *p = strtok(line, " \t\n"); p; p = strtok(NULL, " \t\n")) has |= !strcmp(p, "avx2");
            break;
        }
    fclose(f);
    return has;
}

int main(void) {
    int nsets = 0, simd = 0;
    size_t maxc = 0;
    for (size_t ci = 0; ci < NCASES; ci++) {
        const size_t b = k_cases[ci].M * (k_cases[ci].N + k_cases[ci].lpad) * 4;
        if (b > maxc) maxc = b;
    }
    g_cbytes = maxc;
    g_c = malloc(maxc);
    long set_fail[5] = {0};
    int set_ran[5] = {0};
    for (size_t s = 0; s < 5; s++) set_ran[s] = fp8_kernels_supported(g_sets[s]);

    for (size_t ci = 0; ci < NCASES; ci++) {
        data d;
        make_data(&d, &k_cases[ci]);
        if (d.cs->special == SPECIAL_NAN) add_specials(&d);
        struct timespec t0, t1, t2;
        const long beyond0 = g_beyond_doc;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        make_oracle(&d);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (d.cs->special == SPECIAL_OVF) overflow_bias(&d);
        for (size_t s = 0; s < 5; s++) {
            if (!set_ran[s]) continue;
            fp8_set_kernels(g_sets[s]);
            g_set = g_sets[s];
            for (g_threads = 1; g_threads <= 2; g_threads++) {
                const long before = g_fail;
                fp8_set_num_threads(g_threads);
                run_case(&d);
                set_fail[s] += g_fail - before;
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &t2);
        if (getenv("GT_TIME"))
            fprintf(stderr, "case %zu (M %zu N %zu K %zu): %ld beyond fp8.h's bound; oracle %.2f s, calls %.2f s\n", ci,
                    d.cs->M, d.cs->N, d.cs->K, g_beyond_doc - beyond0,
                    (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec), (t2.tv_sec - t1.tv_sec) + 1e-9 * (t2.tv_nsec - t1.tv_nsec));
        free_data(&d);
    }
    for (size_t s = 0; s < 5; s++) {
        if (!set_ran[s]) continue;
        fp8_set_kernels(g_sets[s]);
        g_set = g_sets[s];
        const long before = g_fail;
        for (g_threads = 1; g_threads <= 2; g_threads++) {
            fp8_set_num_threads(g_threads);
            widen_case(1, 33, 700, 128, 128);
            widen_case(5, 520, 100, 1, 128);
            widen_case(16, 33, 1300, 48, 51);
            widen_case(17, 520, 100, 128, 128);
            widen_case(100, 33, 700, 1, 100);
            k0_case(3, 33, 0.0f);
            k0_case(1100, 300, 0.5f);
            k0_case(17, 5, -3.0f);
        }
        error_cases();
        set_fail[s] += g_fail - before;
        nsets++;
        simd += s > 0;
        printf("gemm_typed_check %s: %s\n", g_sets[s], set_fail[s] ? "FAILED" : "ok");
    }
    fp8_set_num_threads(0);
    fp8_set_kernels(NULL);
    if (simd == 0 && cpu_has_avx2()) FAILF("this CPU has avx2 but no SIMD kernel set ran");
    printf("gemm_typed_check: %d kernel sets x 1, 2 threads, %zu shapes; %ld calls, %ld bitwise identities, "
           "%ld oracle checks (%ld elements needed the kc-block term), %ld special/K=0/error checks; max error / bound: "
           "F32 %.3f F16 %.3f BF16 %.3f; %ld failures\n",
           nsets, NCASES, g_calls, g_ident, g_oracle, g_beyond_doc, g_special, g_ratio[0], g_ratio[1], g_ratio[2], g_fail);
    free(g_c);
    return g_fail ? 1 : 0;
}
