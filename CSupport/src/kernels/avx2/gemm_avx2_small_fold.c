/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_small_fold.c - both small-M forms with B's scales folded into A, for B in blocks of at
 * least FOLD_MIN_ROWS rows (building the folded A costs m * K per scale row of B): per scale row, a
 * copy of A holds fl(a * scale(block) * 2^g) (one rounding per element, as folding the scale into B
 * would give), B's codes enter as exact (raw) values, and the inner loops run across block
 * boundaries. A scale row that cannot be folded (a scale 0, NaN, Inf or overflowing, A not finite,
 * too wide a range of |a * s|) takes the promoted form instead (fp8_avx2_small_dot,
 * fp8_avx2_small_lut_*). Rules 1-7 of gemm_avx2_small.c apply; the folded A is normalised per lane,
 * so raw products stay far below overflow whatever A is (rule 4). Each form's own rules are in the
 * comment above its code.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "gemm_avx2_small.h"

/* ---- dot form, B's scales folded into A (M <= 4, INT mode) ------------------------------------------
 *
 * For a scale row of B (rows sharing one row of block scales s[kb]) the block scales go into a copy of
 * the (prescaled, permuted) A: af[i][k] = fl(ak[i][k] * s[kb] * 2^g[i]) (one rounding, computed in
 * double), with g[i] putting max |af[i]| in [2^125, 2^126). The inner loop then runs over all of K
 * with no block boundaries (partial sums per DOT_PIECE k, added into totals: blocked summation), and
 * the element is (sum af * raw(b)) * 2^(G[i]), G[i] = log2(kfac) - g[i], a power of two applied in
 * double (exact unless the result leaves float32's normal range). Used for scale rows of at least
 * FOLD_MIN_ROWS rows (building af costs m * K per scale row) whose scales are all finite with
 * scale * max finite <= FLT_MAX and whose range of |a * s| passes fold_build's underflow check;
 * others go to dot_rows. */

/* The raw float of one code (the scalar twin of raw_unit's INT mode, for K tails). */
static inline float raw1(const int E4, uint8_t c) {
    uint32_t u = ((uint32_t)(c & 0x80) << 24) | ((uint32_t)(c & 0x7F) << (E4 ? 20 : 21));
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline int special1(const int E4, uint8_t c) { return E4 ? (c & 0x7F) == 0x7F : (c & 0x7F) >= 0x7C; }

FP8_AVX2 static FP8_INLINE void fold_rows(const fp8_gemm_small_job *jb, size_t j, const float *af,
                                          const int *G, const int M, const int R, const int E4) {
    const size_t K = jb->k, Kf = K / 32 * 32, ld = jb->akld;
    const uint8_t *q[4];
    __m256 acc[DOT_MAXM][4], tot[DOT_MAXM][4];
    __m256i trk = _mm256_setzero_si256();
    FP8_UNROLL
    for (int r = 0; r < R; r++) q[r] = jb->b + (j + r) * jb->ldb;
    FP8_UNROLL
    for (int i = 0; i < M; i++) {
        FP8_UNROLL
        for (int r = 0; r < R; r++) tot[i][r] = _mm256_setzero_ps();
    }
    /* Partial sums over pieces of DOT_PIECE k, added into the totals (blocked summation: the error
     * grows with the piece length plus the number of pieces, not with K). */
    for (size_t k = 0; k < Kf;) {
        const size_t kend = Kf - k < DOT_PIECE ? Kf : k + DOT_PIECE;
        FP8_UNROLL
        for (int i = 0; i < M; i++) {
            FP8_UNROLL
            for (int r = 0; r < R; r++) acc[i][r] = _mm256_setzero_ps();
        }
        for (; k < kend; k += 32) {
            FP8_UNROLL
            for (int r = 0; r < R; r++) {
                __m256 v[4];
                raw_unit(q[r] + k, MODE_INT, E4, &trk, v);
                FP8_UNROLL
                for (int i = 0; i < M; i++) {
                    FP8_UNROLL
                    for (int t = 0; t < 4; t++)
                        acc[i][r] = _mm256_fmadd_ps(_mm256_load_ps(af + i * ld + k + 8 * t), v[t], acc[i][r]);
                }
            }
        }
        FP8_UNROLL
        for (int i = 0; i < M; i++) {
            FP8_UNROLL
            for (int r = 0; r < R; r++) tot[i][r] = _mm256_add_ps(tot[i][r], acc[i][r]);
        }
    }
    int any = special_seen(trk, MODE_INT, E4);
    FP8_UNROLL
    for (int r = 0; r < R; r++) {
        float tl[DOT_MAXM] = {0.0f};
        for (size_t k = Kf; k < K; k++) {
            float x = raw1(E4, q[r][k]);
            any |= special1(E4, q[r][k]);
            FP8_UNROLL
            for (int i = 0; i < M; i++) tl[i] += af[i * ld + k] * x;
        }
        const int sp = any && row_special(jb->bfmt, q[r], K);
        FP8_UNROLL
        for (int i = 0; i < M; i++)
            store_c(jb, (size_t)i, j + r,
                    sp ? recompute(jb, (size_t)i, j + r) : (float)ldexp((double)(hsum8(tot[i][r]) + tl[i]), G[i]));
    }
}

#define FOLD_INST(M_, R_, E_)                                                                        \
    FP8_AVX2 static void fold_##M_##_##R_##_##E_(const fp8_gemm_small_job *jb, size_t j, const float *af, \
                                                 const int *G) {                                    \
        fold_rows(jb, j, af, G, M_, R_, E_);                                                         \
    }
#define FOLD_INST_M(M_, R_) FOLD_INST(M_, R_, 0) FOLD_INST(M_, R_, 1) FOLD_INST(M_, 1, 0) FOLD_INST(M_, 1, 1)
FOLD_INST_M(1, 4)
FOLD_INST_M(2, 4)
FOLD_INST_M(3, 2)
FOLD_INST_M(4, 2)

typedef void (*fold_fn)(const fp8_gemm_small_job *, size_t, const float *, const int *);

/* Builds af and G for the scale row with scales sc; 0 if the scale row cannot be folded: a scale
 * does not fit, or a row's range of |a * s| is so wide that raw products af * raw(b) can fall below
 * 2^-126 (min |af| < 2^3 for E4M3, whose smallest raw value is 2^-129, or < 2^2 for E5M2, 2^-128)
 * while 2^G would magnify that underflow beyond fp8.h's allowance (2^G > 2^29 max|A|, as fmax in
 * gemm_avx2_small.c: a rounding of at most 2^-150 per k, times 2^G). Such rows take dot_rows, whose
 * pieces are checked one by one. */
static int fold_build(const fp8_gemm_small_job *jb, const float *sc, float *af, int *G) {
    const size_t K = jb->k, ld = jb->akld, bc = jb->bbc < K ? jb->bbc : K, nb = jb->nkb;
    const int kexp = ilogb(jb->kfac);
    const double need = jb->bfmt == FP8_E4M3 ? 8.0 : 4.0, gmax = jb->amax * 0x1p29;
    if (!scale_row_fits(jb, sc)) return 0;
    for (size_t i = 0; i < jb->m; i++) {
        double mx = 0.0, mn = INFINITY;
        for (size_t kb = 0; kb < nb; kb++) {
            const double s = fabs((double)sc[kb]);
            mx = fmax(mx, (double)jb->ablk[kb * 32 + i] * s);
            if (s != 0.0) mn = fmin(mn, (double)jb->ablk[kb * 32 + 16 + i] * s); /* Inf if no nonzero a */
        }
        int e = 0;
        if (mx > 0.0) (void)frexp(mx, &e); /* mx in [2^(e-1), 2^e) */
        const int g = mx > 0.0 ? 126 - e : 0;
        G[i] = kexp - g;
        if (mx > 0.0 && !(ldexp(mn, g) >= need) && !(ldexp(1.0, G[i]) <= gmax)) return 0;
    }
    for (size_t i = 0; i < jb->m; i++) {
        const float *a = jb->ak + i * ld;
        float *d = af + i * ld;
        const int g = kexp - G[i];
        for (size_t kb = 0, k0 = 0; kb < nb; kb++, k0 += bc) {
            const size_t k1 = K - k0 < bc ? K : k0 + bc;
            const double f = ldexp((double)sc[kb], g);
            for (size_t k = k0; k < k1; k++) d[k] = (float)((double)a[k] * f);
        }
    }
    return 1;
}

/* Rows [j0, j1) by scale rows: folded where possible (fold_build), else dot_rows. */
void fp8_avx2_small_dot_fold(const fp8_gemm_small_job *jb, size_t j0, size_t j1, float *af) {
#define FOLD_ROW(M_, R_) {fold_##M_##_##R_##_0, fold_##M_##_##R_##_1}
    static const fold_fn wide[DOT_MAXM][2] = {FOLD_ROW(1, 4), FOLD_ROW(2, 4), FOLD_ROW(3, 2), FOLD_ROW(4, 2)};
    static const fold_fn one[DOT_MAXM][2] = {FOLD_ROW(1, 1), FOLD_ROW(2, 1), FOLD_ROW(3, 1), FOLD_ROW(4, 1)};
#undef FOLD_ROW
    static const size_t rw[DOT_MAXM] = {4, 4, 2, 2};
    const size_t mi = jb->m - 1, e4 = jb->bfmt == FP8_E4M3, R = rw[mi];
    int G[DOT_MAXM];
    for (size_t s0 = j0; s0 < j1;) {
        const size_t sr = s0 / jb->bbr, s1 = (sr + 1) * jb->bbr < j1 ? (sr + 1) * jb->bbr : j1;
        if (fold_build(jb, jb->bscales + sr * jb->bnbc, af, G)) {
            size_t j = s0;
            for (; j + R <= s1; j += R) wide[mi][e4](jb, j, af, G);
            for (; j < s1; j++) one[mi][e4](jb, j, af, G);
        } else {
            fp8_avx2_small_dot(jb, s0, s1);
        }
        s0 = s1;
    }
}

/* ---- broadcast form, B's scales folded into A ----------------------------------------------------
 *
 * For a scale row of B with scales s[kb], lane i of the A step becomes fl(a * F[kb][i]) with
 * F[kb][i] = s[kb] * 2^g[i] (a normal float, so the product rounds once, as folding the scale into B
 * would), g[i] putting max |a * s| of the lane in [2^64, 2^65); the table decode stays exact, the
 * inner loop has no block boundaries, and C = tot * 2^-g[i] (in double). Used when every scale of
 * the scale row is finite with scale * max finite <= FLT_MAX, every F is 0 or normal, and no nonzero
 * a * s of a lane falls below 2^-126 after scaling (so no product of the folded A underflows, and
 * DAZ / FTZ cannot touch it); other scale rows take lut_run. Chunks of up to BC_CHUNK rows of one
 * scale row share each folded A step. */

#define BC_CHUNK 160 /* a multiple of every NB: a short last group's padding rows stay inside tot */

typedef struct lutf_plan {
    int g[16];
    double p2[16]; /* 2^g[i] */
} lutf_plan;

/* The fold plan of the scale row with scales sc for lanes < m; 0 if it is not usable. Besides the
 * conditions above, a lane whose products fl(a * F) * v can fall below 2^-126 (min |a * s| 2^g times
 * the smallest code value, 2^-9 or 2^-16) needs 2^-g <= 2^29 max|A| (a rounding of at most 2^-150 per
 * k, times 2^-g, within fp8.h's allowance for underflow, as fmax in gemm_avx2_small.c). */
static int lutf_plan_build(const fp8_gemm_small_job *jb, const float *sc, lutf_plan *pl) {
    const size_t nb = jb->nkb, m = jb->m;
    const double vmin = jb->bfmt == FP8_E4M3 ? 0x1p-9 : 0x1p-16, gmax = jb->amax * 0x1p29;
    double mx[16] = {0}, mn[16];
    for (size_t i = 0; i < 16; i++) mn[i] = INFINITY;
    if (!scale_row_fits(jb, sc)) return 0;
    if (!jb->afinite) return 0; /* Inf or NaN in A: lut_run lets IEEE decide */
    for (size_t kb = 0; kb < nb; kb++) {
        const double s = fabs((double)sc[kb]);
        if (s == 0.0) continue;
        for (size_t i = 0; i < m; i++) {
            mx[i] = fmax(mx[i], (double)jb->ablk[kb * 32 + i] * s);
            mn[i] = fmin(mn[i], (double)jb->ablk[kb * 32 + 16 + i] * s);
        }
    }
    for (size_t i = 0; i < 16; i++) {
        int e = 0;
        if (i < m && mx[i] > 0.0) (void)frexp(mx[i], &e); /* mx in [2^(e-1), 2^e) */
        pl->g[i] = i < m && mx[i] > 0.0 ? 65 - e : 0;
        pl->p2[i] = ldexp(1.0, pl->g[i]);
        if (i < m && mx[i] > 0.0 && !(mn[i] * pl->p2[i] >= (double)FLT_MIN)) return 0;
        if (i < m && mx[i] > 0.0 && !(mn[i] * pl->p2[i] * vmin >= (double)FLT_MIN) && !(1.0 / pl->p2[i] <= gmax))
            return 0;
    }
    for (size_t kb = 0; kb < nb; kb++)
        for (size_t i = 0; i < m; i++) {
            const double f = fabs((double)sc[kb] * pl->p2[i]);
            if (f != 0.0 && !(f >= (double)FLT_MIN && f <= (double)FLT_MAX)) return 0;
        }
    return 1;
}

/* tot[r * 16 + .] += sum over the step of as[k][.] * lut[code] for the group's NB rows (nb real). */
FP8_AVX2 static FP8_INLINE void lutf_group(const fp8_gemm_small_job *jb, size_t g, size_t nb, size_t kk, size_t kb,
                                           const uint8_t *pf, size_t pfn, const float *as, float *tot,
                                           const int W, const int NB) {
    const float *lut = jb->lut;
    const uint8_t *q[BC_NBMAX];
    FP8_UNROLL
    for (int r = 0; r < NB; r++) q[r] = jb->b + (g + ((size_t)r < nb ? (size_t)r : nb - 1)) * jb->ldb + kk;
    /* The codes of the group that runs next: pfn rows from pf (a whole chunk's worth ahead would
     * not fit L1). */
    for (size_t r = 0; r < pfn; r++)
        for (size_t o = 0; o < BC_KB; o += 64) _mm_prefetch((const char *)(pf + r * jb->ldb + o), _MM_HINT_T0);
    __m256 acc[BC_NBMAX][2];
    lut_dot(lut, q, 0, kb, as, W, NB, acc);
    FP8_UNROLL
    for (int r = 0; r < NB; r++) {
        if ((size_t)r >= nb) continue;
        float *t = tot + r * 16;
        _mm256_store_ps(t, _mm256_add_ps(_mm256_load_ps(t), acc[r][0]));
        if (W == 16) _mm256_store_ps(t + 8, _mm256_add_ps(_mm256_load_ps(t + 8), acc[r][1]));
    }
}

/* Rows [j0, j1) by chunks of one scale row: folded where the plan allows, else lut_run. */
FP8_AVX2 static FP8_INLINE void lutf_run(const fp8_gemm_small_job *jb, size_t j0, size_t j1, const int W, const int NB) {
    float tot[BC_CHUNK * 16] __attribute__((aligned(64)));
    float as[BC_KB * 16] __attribute__((aligned(64)));
    const size_t K = jb->k, bc = jb->bbc < K ? jb->bbc : K;
    lutf_plan pl;
    const float *plsc = NULL;
    int ok = 0;
    for (size_t s0 = j0, s1; s0 < j1; s0 = s1) {
        const size_t sr = s0 / jb->bbr, send = (sr + 1) * jb->bbr < j1 ? (sr + 1) * jb->bbr : j1;
        const float *sc = jb->bscales + sr * jb->bnbc;
        s1 = send - s0 < BC_CHUNK ? send : s0 + BC_CHUNK;
        if (sc != plsc) {
            ok = lutf_plan_build(jb, sc, &pl);
            plsc = sc;
        }
        if (!ok) {
            (W == 16 ? fp8_avx2_small_lut_16 : fp8_avx2_small_lut_8)(jb, s0, s1);
            continue;
        }
        for (size_t i = 0; i < (s1 - s0) * 16; i++) tot[i] = 0.0f;
        for (size_t kk = 0; kk < K; kk += BC_KB) {
            const size_t kb = K - kk < BC_KB ? K - kk : BC_KB;
            /* The folded A step: per block segment, lanes times F = s * 2^g (exact in float). */
            for (size_t k0 = kk; k0 < kk + kb;) {
                const size_t bi = k0 / bc, k1 = (bi + 1) * bc < kk + kb ? (bi + 1) * bc : kk + kb;
                float f[16] __attribute__((aligned(32)));
                /* Padding lanes repeat the last row's factor (their A lanes repeat its values), so they
                 * compute what a real lane does: no 0 * Inf (FE_INVALID) the scalar set would not do. */
                for (int i = 0; i < W; i++) f[i] = (float)((double)sc[bi] * pl.p2[(size_t)i < jb->m ? (size_t)i : jb->m - 1]);
                const __m256 f0 = _mm256_load_ps(f), f1 = W == 16 ? _mm256_load_ps(f + 8) : f0;
                for (size_t k = k0; k < k1; k++) {
                    _mm256_store_ps(as + (k - kk) * W, _mm256_mul_ps(_mm256_load_ps(jb->a + k * W), f0));
                    if (W == 16) _mm256_store_ps(as + (k - kk) * W + 8, _mm256_mul_ps(_mm256_load_ps(jb->a + k * W + 8), f1));
                }
                k0 = k1;
            }
            for (size_t g = s0; g < s1; g += NB) {
                /* Next group: the following rows of this step, or the chunk's first rows of the next. */
                const size_t gn = g + NB < s1 ? g + NB : s0, kn = g + NB < s1 ? kk : kk + BC_KB;
                const size_t pfn = kn + BC_KB <= K ? (s1 - gn < (size_t)NB ? s1 - gn : (size_t)NB) : 0;
                lutf_group(jb, g, s1 - g < (size_t)NB ? s1 - g : (size_t)NB, kk, kb, jb->b + gn * jb->ldb + kn, pfn, as,
                           tot + (g - s0) * 16, W, NB);
            }
        }
        for (size_t j = s0; j < s1; j++)
            for (size_t i = 0; i < jb->m; i++)
                store_c(jb, i, j, (float)((double)tot[(j - s0) * 16 + i] / pl.p2[i]));
    }
}

FP8_AVX2 void fp8_avx2_small_lutf_8(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lutf_run(jb, j0, j1, 8, 8); }
FP8_AVX2 void fp8_avx2_small_lutf_16(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lutf_run(jb, j0, j1, 16, 5); }

#endif /* FP8_HAVE_X86 */
