/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_small_dot.c - the small-M "dot" form with promoted scales (M <= 4; memory-bound: every
 * code feeds at most 4 FMA lanes, so decode speed decides). Rules 1-7 of gemm_avx2_small.c apply.
 *
 * R rows of B at a time (R = 4 for M <= 2, else 2), one unit of codes per row per step, M x R vector
 * accumulators over k, one horizontal sum per element at the end. Two decodes ("modes"), chosen once
 * per product by small_prepare_avx2:
 *   INT (the fast one): 32 codes -> float32 BIT PATTERNS of value * 2^-120 (E4M3) or 2^-112 (E5M2)
 *       with integer multiplies and masks (raw_unit), so a code's exponent field becomes the float32
 *       exponent field and subnormal codes become float32 subnormals. No conversion instruction and
 *       no float multiply: the power of two lives in A instead, which is prescaled ONCE by 2^ke
 *       (exact; ke puts max|A| in [2^125, 2^126), or lower if that keeps all of A's products normal:
 *       see small_prepare_avx2), so every product a * 2^ke * raw(b) is the exact product
 *       a * value(b) times 2^(ke - 120) and at most 2^32; it stays a normal float unless A spans
 *       more than about 2^122 (rule 4: then the pieces whose factor would magnify an underflow
 *       beyond fp8.h's allowance are computed folded). The promoted factor is
 *       scale * 2^(120 - ke) (E4M3) or scale * 2^(112 - ke) (E5M2) (job->kfac). The four vectors of a
 *       unit hold the codes 4l, 4l + 2, 4l + 1, 4l + 3 in lane l, and A is stored permuted to match.
 *       The decode is built from integer multiplies, which Zen 3 issues on the two vector pipes that
 *       shuffles and shifts do not use (one shuffle/shift pipe also takes FMAs). Measured, M = 1, one
 *       core, N = 1024, K = 8192 (B in L3), 128 x 128 blocks: 0.44 ms against 0.70 ms for the
 *       unpack-and-shift decode with promoted scales that this replaced.
 *       Needs: DAZ off (subnormal raw values must not read as 0), every A value finite, and the
 *       scale blocks of B 32-aligned along K (bc % 32 == 0 or one block per row).
 *   F16 (the fallback for everything else): 16 codes -> binary16 (E4M3 as value * 2^-8, exact; E5M2
 *       exactly, signalling NaNs quieted) -> float32 with F16C's vcvtph2ps; the factor is scale * 2^8
 *       (E4M3) or scale, times 2^t when A was prescaled by 2^-t (rule 4: t > 0 for |A| near FLT_MAX,
 *       t < 0 for a tiny |A|; see prescale_shift).
 *   Rows of B holding NaN (E4M3, E5M2) or Inf (E5M2) codes are recomputed from folded values
 *   decode(q) * scale by a plain loop, so that IEEE rules decide their outputs (the codes are tracked
 *   on the fly with a max over their magnitudes).
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "gemm_avx2_small.h"

/* C[i][j + r] for i < M, r < R (M, R, E4, MODE constants after inlining). Per block segment (cut into
 * pieces of <= 256 k): vector partial sums of a * raw(b) over whole units, then tot = fma(partial,
 * factor, tot); segment tails (block sizes not multiples of the unit) and pieces whose factor is not
 * usable take folded scalar products with the unscaled A. A row's arithmetic never depends on R or on
 * the other rows. */
FP8_AVX2 static FP8_INLINE void dot_rows(const fp8_gemm_small_job *jb, size_t j, const int M, const int R,
                                         const int E4, const int MODE) {
    const size_t K = jb->k, bc = jb->bbc, U = UNIT(MODE);
    const uint8_t *q[4];
    const float *sc[4];
    const float *ap[DOT_MAXM], *an[DOT_MAXM];
    __m256 tot[DOT_MAXM][4];
    float tail[DOT_MAXM][4];
    __m256i trk = _mm256_setzero_si256();
    FP8_UNROLL
    for (int r = 0; r < R; r++) {
        q[r] = jb->b + (j + r) * jb->ldb;
        sc[r] = jb->bscales + ((j + r) / jb->bbr) * jb->bnbc;
    }
    FP8_UNROLL
    for (int i = 0; i < M; i++) {
        an[i] = jb->a + i * jb->lda;
        ap[i] = jb->ak ? jb->ak + i * jb->akld : an[i]; /* prepare's A, or the driver's */
        FP8_UNROLL
        for (int r = 0; r < R; r++) {
            tot[i][r] = _mm256_setzero_ps();
            tail[i][r] = 0.0f;
        }
    }
    for (size_t kb = 0, k0 = 0; k0 < K; kb++, k0 += bc) {
        size_t k1 = K - k0 < bc ? K : k0 + bc;
        float fac[4];
        int slow = 0;
        FP8_UNROLL
        for (int r = 0; r < R; r++) {
            fac[r] = piece_factor(jb, E4, sc[r][kb]);
            if (fac[r] == 0.0f) slow = 1;
        }
        size_t k = k0;
        while (!slow && k + U <= k1) {
            size_t kend = k + ((k1 - k) / U < DOT_PIECE / U ? (k1 - k) / U : DOT_PIECE / U) * U;
            __m256 acc[DOT_MAXM][4];
            FP8_UNROLL
            for (int i = 0; i < M; i++) {
                FP8_UNROLL
                for (int r = 0; r < R; r++) acc[i][r] = _mm256_setzero_ps();
            }
            for (; k < kend; k += U) {
                FP8_UNROLL
                for (int r = 0; r < R; r++) {
                    __m256 v[4];
                    raw_unit(q[r] + k, MODE, E4, &trk, v);
                    FP8_UNROLL
                    for (int i = 0; i < M; i++) {
                        FP8_UNROLL
                        for (int t = 0; t < (int)(U / 8); t++)
                            acc[i][r] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[i] + k + 8 * t), v[t], acc[i][r]);
                    }
                }
            }
            FP8_UNROLL
            for (int r = 0; r < R; r++) {
                __m256 f = _mm256_set1_ps(fac[r]);
                FP8_UNROLL
                for (int i = 0; i < M; i++) tot[i][r] = _mm256_fmadd_ps(acc[i][r], f, tot[i][r]);
            }
        }
        for (; k < k1; k++) {
            FP8_UNROLL
            for (int r = 0; r < R; r++) {
                float x = fp8_decode1(jb->bfmt, q[r][k]) * sc[r][kb];
                FP8_UNROLL
                for (int i = 0; i < M; i++) tail[i][r] += an[i][k] * x;
            }
        }
    }
    const int any = special_seen(trk, MODE, E4);
    FP8_UNROLL
    for (int r = 0; r < R; r++) {
        const int sp = any && row_special(jb->bfmt, q[r], K);
        FP8_UNROLL
        for (int i = 0; i < M; i++)
            store_c(jb, (size_t)i, j + r, sp ? recompute(jb, (size_t)i, j + r) : hsum8(tot[i][r]) + tail[i][r]);
    }
}

#define DOT_INST(M_, R_, E_, MD_)                                                                    \
    FP8_AVX2 static void dot_##M_##_##R_##_##E_##_##MD_(const fp8_gemm_small_job *jb, size_t j) {   \
        dot_rows(jb, j, M_, R_, E_, MD_);                                                            \
    }
#define DOT_INST_MODE(M_, R_, MD_) DOT_INST(M_, R_, 0, MD_) DOT_INST(M_, R_, 1, MD_) DOT_INST(M_, 1, 0, MD_) DOT_INST(M_, 1, 1, MD_)
#define DOT_INST_M(M_, R_) DOT_INST_MODE(M_, R_, 0) DOT_INST_MODE(M_, R_, 1)
DOT_INST_M(1, 4)
DOT_INST_M(2, 4)
DOT_INST_M(3, 2)
DOT_INST_M(4, 2)

typedef void (*dot_fn)(const fp8_gemm_small_job *, size_t);

void fp8_avx2_small_dot(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
#define DOT_ROW(M_, R_) {{dot_##M_##_##R_##_0_0, dot_##M_##_##R_##_1_0}, {dot_##M_##_##R_##_0_1, dot_##M_##_##R_##_1_1}}
    static const dot_fn wide[DOT_MAXM][2][2] = {DOT_ROW(1, 4), DOT_ROW(2, 4), DOT_ROW(3, 2), DOT_ROW(4, 2)};
    static const dot_fn one[DOT_MAXM][2][2] = {DOT_ROW(1, 1), DOT_ROW(2, 1), DOT_ROW(3, 1), DOT_ROW(4, 1)};
#undef DOT_ROW
    static const size_t rw[DOT_MAXM] = {4, 4, 2, 2};
    const size_t mi = jb->m - 1, e4 = jb->bfmt == FP8_E4M3, md = jb->kmode == MODE_INT, R = rw[mi];
    size_t j = j0;
    for (; j + R <= j1; j += R) wide[mi][md][e4](jb, j);
    for (; j < j1; j++) one[mi][md][e4](jb, j);
}

#endif /* FP8_HAVE_X86 */
