/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_small_m_check.c - regression tests for the small-M GEMM paths (M <= 16) found by the GEMM
 * fuzzers (Tests/Fuzz/repro, issue 9), on every kernel set this machine supports:
 *
 *  1. inf: an E5M2 Inf code times a subnormal A element gives +-Inf, as IEEE arithmetic on the
 *     dequantized operands does (the avx2 set gave NaN: A prescaled by 2^-t to avoid overflow
 *     flushed the subnormal to 0, then 0 * Inf). A is made to need that prescale (max|A| = 2^114)
 *     and to take each decode of the avx2 dot form (a non-finite A, block widths that are not
 *     multiples of 32, 32-aligned blocks).
 *  2. underflow: B's block scales are large (2^90, 2^110) and some A elements tiny (2^-145, 2^-60),
 *     so that A times a raw code value (before the scale) falls below float32's normal range while
 *     the dequantized products are normal; other A elements (2^20, 1) make max|A| large. fp8.h's
 *     error bound must hold: |C - C_exact| <= (K + 3) 2^-24 sum_k |A'B'| + the alpha rounding +
 *     K (2^-120 max|A'| + 2^-148) (float32 underflow). The avx2 set was off by up to 10^5 x bound.
 *  3. threads: results (NaN signs and payloads included) are bitwise identical for 1, 2, 3 and 5
 *     threads, with NaNs of both signs in A and NaN codes of both signs in B (the avx2 set's NaN
 *     signs depended on the thread split).
 * The reference is an FP64 GEMM of the operands dequantized by this file's own decoder.
 *
 * Run by scripts/test.sh:
 *   cc -std=c11 -O2 -ICSupport/include Tests/C/gemm_small_m_check.c -L.build/c -lfp8 -lm -o gemm_small_m_check
 */
#include <fp8.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const g_sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
static int g_fail;

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
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

/* The value of an FP8 code (independent of the library): E4M3 bias 7, no Inf, NaN = S.1111.111;
 * E5M2 bias 15, Inf = S.11111.00, NaN = S.11111.xx (xx != 0). */
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

/* fp8.h's bound for alpha = 1, beta = 0 (see the top of this file). */
static int check_c(const char *set, const char *what, size_t M, size_t N, size_t K, const float *a,
                   fp8_format fmt, const uint8_t *q, const float *sc, size_t br, size_t bc, const float *c) {
    const size_t nbc = (K + bc - 1) / bc;
    double maxa = 0;
    int bad = 0;
    for (size_t i = 0; i < M * K; i++)
        if (isfinite(a[i])) maxa = fmax(maxa, fabs((double)a[i]));
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double e = 0, sabs = 0;
            for (size_t k = 0; k < K; k++) {
                const double b = (double)(float)(decode(fmt, q[j * K + k]) * (double)sc[(j / br) * nbc + k / bc]);
                const double p = (double)a[i * K + k] * b;
                e += p;
                sabs += fabs(p);
            }
            const double got = c[i * N + j];
            int ok;
            if (!isfinite(e)) {
                ok = isnan(e) ? isnan(got) : got == e;
            } else {
                const double tol = (double)(K + 3) * 0x1p-24 * sabs + 2 * 0x1p-24 * sabs +
                                   (double)K * (0x1p-120 * maxa + 0x1p-148) + 0x1p-148;
                ok = isfinite(got) && fabs(got - e) <= tol;
                if (!ok && bad < 3)
                    fprintf(stderr, "  %s %s: C[%zu][%zu] = %a, want %a (error %.3g x bound)\n", set, what, i, j, got,
                            e, fabs(got - e) / tol);
            }
            if (!ok && isfinite(e) == 0 && bad < 3)
                fprintf(stderr, "  %s %s: C[%zu][%zu] = %a, want %a (IEEE on the dequantized operands)\n", set, what, i,
                        j, got, e);
            bad += !ok;
        }
    if (bad) {
        fprintf(stderr, "FAIL %s %s: %d bad elements (M %zu N %zu K %zu, fmt %d, blocks %zux%zu)\n", set, what, bad, M,
                N, K, (int)fmt, br, bc);
        g_fail++;
    }
    return bad;
}

static int run(size_t M, size_t N, size_t K, const float *a, fp8_format fmt, const uint8_t *q, const float *sc,
               size_t br, size_t bc, float *c) {
    fp8_matrix B = {fmt, N, K, K, q, sc, br, bc};
    int st = fp8_gemm_f32a(M, a, K, &B, 1.0f, 0.0f, c, N);
    if (st != FP8_OK) {
        fprintf(stderr, "FAIL: status %d\n", st);
        g_fail++;
    }
    return st;
}

#define MAXM 16
#define MAXN 48
#define MAXK 96

/* 1. A subnormal A element times an E5M2 Inf code. */
static void case_inf(const char *set) {
    static const size_t bcs[][2] = {{48, 51}, {1, 20}, {1, 32}, {16, 32}, {1, 51}};
    float a[MAXM * MAXK], sc[MAXN * 8], c[MAXM * MAXN];
    uint8_t q[MAXN * MAXK];
    const size_t N = 24, K = 51;
    for (int nonfinite = 0; nonfinite < 2; nonfinite++)
        for (size_t bi = 0; bi < sizeof bcs / sizeof bcs[0]; bi++)
            for (size_t M = 1; M <= MAXM; M++) {
                const size_t br = bcs[bi][0], bc = bcs[bi][1], nsc = ((N + br - 1) / br) * ((K + bc - 1) / bc);
                for (size_t i = 0; i < M; i++)
                    for (size_t k = 0; k < K; k++) a[i * K + k] = (float)ldexp((rnd32() & 1 ? -1.0 : 1.0) * (1 + (rnd32() & 0xFF) / 256.0), (int)(rnd32() % 8) - 4);
                for (size_t i = 0; i < M; i++) {
                    a[i * K + 0] = 0x1p114f;                       /* max|A|: A must be prescaled */
                    a[i * K + 4] = i & 1 ? -0x1p-149f : 0x1p-149f; /* times the Inf codes */
                    a[i * K + 9] = 0x1.8p-127f;
                }
                if (nonfinite) a[(M - 1) * K + 3] = -INFINITY;      /* an Inf in A (avx2: F16 decode) */
                for (size_t j = 0; j < N; j++)
                    for (size_t k = 0; k < K; k++) q[j * K + k] = finite_code(FP8_E5M2, 6);
                for (size_t j = 0; j < N; j++) {
                    q[j * K + 0] = 0x3C;                           /* 1.0 against 2^114 */
                    q[j * K + 4] = j & 1 ? 0xFC : 0x7C;            /* -Inf / +Inf */
                    if (j % 3 == 0) q[j * K + 9] = 0x7C;
                    if (j % 5 == 0) q[j * K + 3] = 0x00;           /* 0 * -Inf */
                }
                for (size_t s = 0; s < nsc; s++) sc[s] = s & 1 ? 0x1p-1f : 0x1p11f;
                run(M, N, K, a, FP8_E5M2, q, sc, br, bc, c);
                char what[64];
                snprintf(what, sizeof what, "inf (M %zu, blocks %zux%zu%s)", M, br, bc, nonfinite ? ", A has -Inf" : "");
                check_c(set, what, M, N, K, a, FP8_E5M2, q, sc, br, bc, c);
            }
}

/* 2. Large block scales against tiny A elements, with a large max|A|. */
static void case_underflow(const char *set) {
    static const size_t bcs[][2] = {{1, 32}, {1, 10}, {16, 32}, {1, 64}, {48, 64}, {1, 96}};
    float a[MAXM * MAXK], sc[MAXN * 10], c[MAXM * MAXN];
    uint8_t q[MAXN * MAXK];
    const size_t N = 40, K = 64;
    for (int fi = 0; fi < 2; fi++)
        for (int pat = 0; pat < 2; pat++)
            for (size_t bi = 0; bi < sizeof bcs / sizeof bcs[0]; bi++)
                for (size_t M = 1; M <= MAXM; M++) {
                    const fp8_format fmt = fi ? FP8_E5M2 : FP8_E4M3;
                    const size_t br = bcs[bi][0], bc = bcs[bi][1], nbc = (K + bc - 1) / bc;
                    const size_t nsc = ((N + br - 1) / br) * nbc;
                    for (size_t i = 0; i < M; i++)
                        for (size_t k = 0; k < K; k++) {
                            const double m = (rnd32() & 1 ? -1.0 : 1.0) * (1 + (rnd32() & 0xFFFFF) * 0x1p-20);
                            /* pat 0: 2^-145 against 2^90; pat 1: 0 (k < 32), 2^-60 against 2^-20 (k >= 32) */
                            a[i * K + k] = pat == 1 && k < 32 ? 0.0f : (float)ldexp(m, pat == 0 ? -145 : -60);
                        }
                    for (size_t i = 0; i < M; i++)
                        if (pat == 1 || i % 3 != 2) a[i * K + 0] = pat == 0 ? 0x1p20f : 1.0f; /* max|A| */
                    for (size_t j = 0; j < N; j++)
                        for (size_t k = 0; k < K; k++)
                            q[j * K + k] = pat == 0 ? finite_code(fmt, 4) : (uint8_t)((rnd32() & 0x80) | (1 + rnd32() % 3));
                    for (size_t j = 0; j < N; j++)
                        if (j % 2 == 0) q[j * K + 0] = 0x00; /* the large product vanishes: a tiny sum */
                        else q[j * K + 0] = fmt == FP8_E4M3 ? 0x38 : 0x3C;
                    for (size_t s = 0; s < nsc; s++)
                        sc[s] = pat == 0 ? 0x1p90f : (s % nbc == 0 ? 0x1p110f : 0x1p-20f);
                    run(M, N, K, a, fmt, q, sc, br, bc, c);
                    char what[64];
                    snprintf(what, sizeof what, "underflow %d (M %zu, blocks %zux%zu)", pat, M, br, bc);
                    check_c(set, what, M, N, K, a, fmt, q, sc, br, bc, c);
                }
}

/* 3. Bitwise identical results for 1, 2, 3 and 5 threads, NaNs included. */
static void case_threads(const char *set) {
    static const size_t ms[] = {1, 3, 4, 5, 9, 15, 16};
    static const size_t brs[] = {1, 48, 128};
    const size_t N = 512, K = 512;
    float *a = malloc(16 * K * sizeof(float)), *sc = malloc(N * K * sizeof(float) / 32);
    float *c1 = malloc(16 * N * sizeof(float)), *c2 = malloc(16 * N * sizeof(float));
    uint8_t *q = malloc(N * K);
    for (int fi = 0; fi < 2; fi++)
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
            for (size_t bi = 0; bi < sizeof brs / sizeof brs[0]; bi++) {
                const fp8_format fmt = fi ? FP8_E5M2 : FP8_E4M3;
                const size_t M = ms[mi], br = brs[bi], bc = 32, nsc = ((N + br - 1) / br) * (K / bc);
                for (size_t i = 0; i < M * K; i++) {
                    const uint32_t r = rnd32();
                    a[i] = r % 97 == 0 ? f32_of(r & 1 ? 0xFFC00000u : 0x7FC00001u) : (float)ldexp((int)(r % 2001) - 1000, -8);
                }
                for (size_t i = 0; i < N * K; i++) {
                    const uint32_t r = rnd32();
                    q[i] = r % 89 == 0 ? (uint8_t)((r & 0x100 ? 0x80 : 0) | (fmt == FP8_E4M3 ? 0x7F : 0x7E))
                                       : finite_code(fmt, 8);
                }
                for (size_t s = 0; s < nsc; s++) sc[s] = (float)ldexp(1.0, (int)(rnd32() % 21) - 10);
                static const int threads[] = {1, 2, 3, 5};
                for (int t = 0; t < 4; t++) {
                    fp8_set_num_threads(threads[t]);
                    float *c = t ? c2 : c1;
                    memset(c, 0, 16 * N * sizeof(float));
                    run(M, N, K, a, fmt, q, sc, br, bc, c);
                    if (t) {
                        size_t e = 0;
                        while (e < M * N && bits_of(c1[e]) == bits_of(c2[e])) e++;
                        if (e < M * N) {
                            fprintf(stderr, "FAIL %s threads: M %zu fmt %d blocks %zux%zu: 1 and %d threads differ at C[%zu][%zu]: %a (0x%08x) vs %a (0x%08x)\n",
                                    set, M, (int)fmt, br, bc, threads[t], e / N, e % N, c1[e], bits_of(c1[e]), c2[e], bits_of(c2[e]));
                            g_fail++;
                        }
                    } else {
                        check_c(set, "threads", M, N, K, a, fmt, q, sc, br, bc, c1);
                    }
                }
                fp8_set_num_threads(0);
            }
    free(a);
    free(sc);
    free(c1);
    free(c2);
    free(q);
}

int main(void) {
    int nsets = 0;
    for (size_t s = 0; s < sizeof g_sets / sizeof g_sets[0]; s++) {
        if (!fp8_kernels_supported(g_sets[s])) continue;
        fp8_set_kernels(g_sets[s]);
        nsets++;
        const int before = g_fail;
        case_inf(g_sets[s]);
        case_underflow(g_sets[s]);
        case_threads(g_sets[s]);
        printf("gemm_small_m_check %s: %s\n", g_sets[s], g_fail == before ? "ok" : "FAILED");
    }
    fp8_set_kernels(NULL);
    printf("gemm_small_m_check: %d kernel sets, %d failures\n", nsets, g_fail);
    return g_fail ? 1 : 0;
}
