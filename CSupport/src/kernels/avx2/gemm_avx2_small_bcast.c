/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_small_bcast.c - the small-M "broadcast" form with promoted scales and table decode
 * (4 < M <= 16; FMA-bound: 2 FMAs of 8 lanes per code at M = 16). Rules 1-7 of gemm_avx2_small.c
 * apply.
 *
 * A interleaved [K][w] (w = 8 or 16 lanes, one per row of A; padding lanes repeat the last row, rule
 * 5). B rows in blocks of 40: for each 256-k step, groups of nb = 8 (w = 8) or 5 (w = 16) rows run the
 * transposed register tile (w x nb accumulators, vector A, broadcast B) against the same L1-resident
 * A step. B is decoded by TABLE: each code byte is loaded straight from B and its value broadcast
 * from a 256-entry table (two loads per code, no vector decode ops at all, NaN and Inf act as IEEE
 * says). The table holds the exact values times 2^-t (job->lutp; t = 0 unless |A| is so large that
 * A times a raw value could reach 2^PROD_EXP, or so small that it could fall below 2^-126: rule 4,
 * prescale_shift), and the factor is scale * 2^t (pieces whose factor exceeds job->fmax are computed
 * by bc_folded). Measured: M =
 * 16, N = K = 8192, one thread, 29 ms against 34 ms decoding into an L1 buffer with F16C. nb = 5
 * keeps 10 accumulators + 2 A vectors + broadcasts in the 16 ymm registers (nb = 6 made clang spill
 * an accumulator, a store-forwarding chain per k). A piece whose factor is not usable (rule 2) is
 * computed by bc_folded from decode(q) * scale and the unscaled A.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "gemm_avx2_small.h"

/* tot[0..W) += sum over k in [s0, s1) of A[k][.] * decode(q[k]) * s (unscaled A; the pieces whose
 * factor is not usable). */
FP8_AVX2 static void bc_folded(const fp8_gemm_small_job *jb, size_t row, size_t s0, size_t s1, float s,
                               const int W, float *tot) {
    float x[BC_KB];
    jb->quant->scale_decode(jb->bfmt, jb->b + row * jb->ldb + s0, x, s1 - s0, s);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (size_t k = s0; k < s1; k++) {
        __m256 bv = _mm256_broadcast_ss(x + (k - s0));
        acc0 = _mm256_fmadd_ps(_mm256_load_ps(jb->a + k * W), bv, acc0);
        if (W == 16) acc1 = _mm256_fmadd_ps(_mm256_load_ps(jb->a + k * W + 8), bv, acc1);
    }
    _mm256_store_ps(tot, _mm256_add_ps(_mm256_load_ps(tot), acc0));
    if (W == 16) _mm256_store_ps(tot + 8, _mm256_add_ps(_mm256_load_ps(tot + 8), acc1));
}

/* One group of NB rows (nb real ones; the others repeat row nb - 1 and are discarded) over one step
 * [kk, kk + kb): per block segment, acc = sum a * lut[code] with the code bytes read straight from B
 * and the decoded value broadcast from the 256-entry table (exact decode, so NaN and Inf codes act
 * as IEEE arithmetic says), then tot = fma(acc, scale, tot). */
FP8_AVX2 static FP8_INLINE void lut_group(const fp8_gemm_small_job *jb, size_t g, size_t nb, size_t kk, size_t kb,
                                          float *tot, const int W, const int NB) {
    const float *lut = jb->lutp; /* exact values times 2^-t (see small_prepare_avx2) */
    const uint8_t *q[BC_NBMAX];
    const size_t bc = jb->bbc;
    FP8_UNROLL
    for (int r = 0; r < NB; r++) q[r] = jb->b + (g + ((size_t)r < nb ? (size_t)r : nb - 1)) * jb->ldb;
    if (kk + kb + BC_KB <= jb->k) { /* the next step's codes */
        FP8_UNROLL
        for (int r = 0; r < NB; r++)
            for (size_t o = 0; o < BC_KB; o += 64) _mm_prefetch((const char *)(q[r] + kk + kb + o), _MM_HINT_T0);
    }
    for (size_t s0 = kk, s1; s0 < kk + kb; s0 = s1) {
        size_t bi = s0 / bc;
        float fac[BC_NBMAX];
        s1 = (bi + 1) * bc < kk + kb ? (bi + 1) * bc : kk + kb;
        for (size_t r = 0; r < (size_t)NB; r++) {
            fac[r] = 0.0f;
            if (r >= nb) continue;
            float sc = jb->bscales[((g + r) / jb->bbr) * jb->bnbc + bi];
            fac[r] = piece_factor(jb, jb->bfmt == FP8_E4M3, sc);
            if (fac[r] == 0.0f) bc_folded(jb, g + r, s0, s1, sc, W, tot + r * 16);
        }
        __m256 acc[BC_NBMAX][2];
        lut_dot(lut, q, s0, s1 - s0, jb->a + s0 * (size_t)W, W, NB, acc);
        FP8_UNROLL
        for (int r = 0; r < NB; r++) {
            if (fac[r] == 0.0f) continue; /* rows >= nb, and pieces done by bc_folded */
            __m256 f = _mm256_set1_ps(fac[r]);
            float *t = tot + r * 16;
            _mm256_store_ps(t, _mm256_fmadd_ps(acc[r][0], f, _mm256_load_ps(t)));
            if (W == 16) _mm256_store_ps(t + 8, _mm256_fmadd_ps(acc[r][1], f, _mm256_load_ps(t + 8)));
        }
    }
}

/* Rows of B in blocks of BC_RB; for each 256-k step every group of NB rows of the block reuses the
 * same L1-resident A step; per-row totals accumulate in k order, then C is written once. */
FP8_AVX2 static FP8_INLINE void lut_run(const fp8_gemm_small_job *jb, size_t j0, size_t j1, const int W, const int NB) {
    float tot[BC_RB * 16] __attribute__((aligned(64)));
    for (size_t rb0 = j0; rb0 < j1; rb0 += BC_RB) {
        const size_t rb1 = j1 - rb0 < BC_RB ? j1 : rb0 + BC_RB;
        for (size_t i = 0; i < BC_RB * 16; i++) tot[i] = 0.0f;
        for (size_t kk = 0; kk < jb->k; kk += BC_KB) {
            const size_t kb = jb->k - kk < BC_KB ? jb->k - kk : BC_KB;
            for (size_t g = rb0; g < rb1; g += NB)
                lut_group(jb, g, rb1 - g < (size_t)NB ? rb1 - g : (size_t)NB, kk, kb, tot + (g - rb0) * 16, W, NB);
        }
        for (size_t j = rb0; j < rb1; j++)
            for (size_t i = 0; i < jb->m; i++) store_c(jb, i, j, tot[(j - rb0) * 16 + i]);
    }
}

FP8_AVX2 void fp8_avx2_small_lut_8(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lut_run(jb, j0, j1, 8, 8); }
FP8_AVX2 void fp8_avx2_small_lut_16(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lut_run(jb, j0, j1, 16, 5); }

#endif /* FP8_HAVE_X86 */
