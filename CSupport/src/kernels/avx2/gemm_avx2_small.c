/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_small.c - the AVX2 + FMA small-M GEMM kernels (M <= 16, LLM decoding): B is streamed
 * once and its codes are decoded inline, WITHOUT the scale. The scales enter in one of two ways:
 *   promoted: FP32 partial sums over each piece (<= 256 k) of a scale-block segment are scaled once
 *       into per-element totals, tot = fma(partial, factor, tot) (one extra rounding per piece);
 *   folded into A (block rows >= 16): per scale row of B, a copy of A holds fl(a * scale(block) *
 *       2^g) (one rounding per element, as folding into B would give), and the inner loops run
 *       across block boundaries (see fold_rows, lutf_run).
 * Both stay inside the documented bound.
 *
 * M <= 4, "dot" form (memory-bound: every code feeds at most 4 FMA lanes, so decode speed decides):
 *   R rows of B at a time (R = 4 for M <= 2, else 2), one unit of codes per row per step, M x R
 *   vector accumulators over k, one horizontal sum per element at the end. Two decodes ("modes"),
 *   chosen once per product by small_prepare_avx2:
 *   INT (the fast one): 32 codes -> float32 BIT PATTERNS of value * 2^-120 (E4M3) or 2^-112 (E5M2)
 *       with integer multiplies and masks (see raw_unit), so a code's exponent field becomes the
 *       float32 exponent field and subnormal codes become float32 subnormals. No conversion
 *       instruction and no float multiply: the power of two lives in A instead, which is prescaled
 *       ONCE by 2^ke (exact; ke puts max|A| in [2^125, 2^126)), so every product a * 2^ke * raw(b)
 *       is the exact product a * value(b) times 2^(ke - 120) and stays a normal float (only
 *       products below about 2^-122 max|A| can lose bits to underflow). The promoted factor is
 *       scale * 2^(120 - ke) (E4M3) or scale * 2^(112 - ke) (E5M2). The four vectors of a unit hold
 *       the codes 4l, 4l + 2, 4l + 1, 4l + 3 in lane l, and A is stored permuted to match. The
 *       decode is built from integer multiplies, which Zen 3 issues on the two vector pipes that
 *       shuffles and shifts do not use (one shuffle/shift pipe also takes FMAs). Measured, M = 1, one
 *       core, N = 1024, K = 8192 (B in L3), 128 x 128 blocks: 0.44 ms against 0.70 ms for the
 *       unpack-and-shift decode with promoted scales that this replaced.
 *       Needs: DAZ off (subnormal raw values must not read as 0), every A value finite, and the
 *       scale blocks of B 32-aligned along K (bc % 32 == 0 or one block per row).
 *   F16 (the fallback for everything else): 16 codes -> binary16 (E4M3 as value * 2^-8, exact; E5M2
 *       exactly) -> float32 with F16C's vcvtph2ps; the factor is scale * 2^8 (E4M3) or scale.
 *   Rows of B holding NaN (E4M3, E5M2) or Inf (E5M2) codes are recomputed from folded values
 *   decode(q) * scale by a plain loop, so that IEEE rules decide their outputs (the codes are
 *   tracked on the fly with a max over their magnitudes).
 * 4 < M <= 16, "broadcast" form (FMA-bound: 2 FMAs of 8 lanes per code at M = 16):
 *   A interleaved [K][w] (w = 8 or 16 lanes, one per row of A). B rows in blocks of 40: for each
 *   256-k step, groups of nb = 8 (w = 8) or 5 (w = 16) rows run the transposed register tile (w x nb
 *   accumulators, vector A, broadcast B) against the same L1-resident A step. B is decoded by TABLE:
 *   each code byte is loaded straight from B and its exact value broadcast from a 256-entry table
 *   (two loads per code, no vector decode ops at all, NaN and Inf act as IEEE says). Measured:
 *   M = 16, N = K = 8192, one thread, 29 ms against 34 ms decoding into an L1 buffer with F16C.
 *   nb = 5 keeps 10 accumulators + 2 A vectors + broadcasts in the 16 ymm registers (nb = 6 made
 *   clang spill an accumulator, a store-forwarding chain per k).
 * In both forms a piece whose factor is not a normal finite float, or whose scale is 0, NaN, Inf or
 * large enough for scale * max finite to overflow float32, is computed from the folded values
 * decode(q) * scale (deq(B) exactly as float32 holds it) with the unscaled A instead.
 * Every element's arithmetic is independent of the row range a task gets (bits never depend on the
 * thread count).
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"
#include "../../gemm/gemm_kernels.h"
#include <string.h>
#include <float.h>
#include <math.h>

#define FP8_INLINE __attribute__((always_inline)) inline
#define FP8_UNROLL _Pragma("GCC unroll 32")

enum { MODE_F16 = 0, MODE_INT = 1 };
#define UNIT(MODE) ((MODE) == MODE_INT ? 32 : 16)
/* Position of code u (< UNIT) of a unit in its decoded floats. */
#define UPOS(MODE, u) ((MODE) == MODE_INT ? (((u) & 1) * 16 + ((u) >> 1 & 1) * 8 + ((u) >> 2)) : (u))

/* ---- decoding one unit of codes ---------------------------------------------------------------- */

/* One unit of codes at p -> raw floats v[0 .. UNIT/8) (order UPOS). *trk collects code magnitudes for
 * special_seen: F16 mode tracks E4M3 only (16-bit lanes, code & 0x7F; vcvtph2ps already handles
 * E5M2's Inf/NaN), INT mode tracks both formats (bytes, (code & 0x7F) << 1). */
FP8_AVX2 static FP8_INLINE void raw_unit(const uint8_t *p, const int MODE, const int E4, __m256i *trk, __m256 v[4]) {
    if (MODE == MODE_INT) {
        /* Integer multiplies only (no shuffles, no shifts: those share two pipes with the FMAs on
         * Zen 3, the multiplies do not). A 16-bit lane holding codes (lo, hi) is, as a signed
         * integer, (int8)hi * 256 + lo; vpmaddwd by 2^12 (E5M2: 2^13) on the low or high lane of a
         * 32-bit lane gives (int8)hi * 2^20 (2^21) + lo * 2^12, so hi's magnitude lands at bit 20
         * (21) with its sign copied above and lo below bit 20, and the mask keeps the magnitude and
         * one sign bit. The even codes first become (int8)lo * 64 (128) with vpmaddubsw and then go
         * the same way with 2^14. v[0], v[1], v[2], v[3] hold the codes 4l, 4l + 2, 4l + 1, 4l + 3
         * of lane l. */
        const __m256i mk = _mm256_set1_epi32(E4 ? (int)0x87F00000 : (int)0x8FE00000);
        const __m256i lo = _mm256_set1_epi32(E4 ? 1 << 12 : 1 << 13), hi = _mm256_set1_epi32(E4 ? 1 << 28 : 1 << 29);
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)p);
        *trk = _mm256_max_epu8(*trk, _mm256_add_epi8(b, b)); /* (code & 0x7F) << 1 */
        __m256i e = _mm256_slli_epi16(b, 8);
        v[0] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_madd_epi16(e, lo), mk));
        v[1] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_madd_epi16(e, hi), mk));
        v[2] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_madd_epi16(b, lo), mk));
        v[3] = _mm256_castsi256_ps(_mm256_and_si256(_mm256_madd_epi16(b, hi), mk));
    } else {
        __m256i h;
        if (E4) {
            __m256i s = load16_e4m3s(p);
            *trk = _mm256_max_epi16(*trk, _mm256_and_si256(s, _mm256_set1_epi16(0x7F)));
            h = _mm256_and_si256(_mm256_slli_epi16(s, 7), _mm256_set1_epi16((short)0xBF80)); /* NaN unpatched */
        } else {
            h = e5m2_to_h16(load16_zx(p));
        }
        v[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
        v[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    }
}

FP8_AVX2 static FP8_INLINE int special_seen(__m256i t, const int MODE, const int E4) {
    if (MODE == MODE_F16)
        return E4 && _mm256_movemask_epi8(_mm256_cmpeq_epi16(t, _mm256_set1_epi16(0x7F))) != 0;
    if (E4) return _mm256_movemask_epi8(_mm256_cmpeq_epi8(t, _mm256_set1_epi8((char)0xFE))) != 0;
    return _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(t, _mm256_set1_epi8((char)0xF8)), t)) != 0;
}

/* A row of B holding a NaN code, or an Inf code (E5M2). */
static int row_special(fp8_format fmt, const uint8_t *q, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (fmt == FP8_E4M3 ? (q[k] & 0x7F) == 0x7F : (q[k] & 0x7F) >= 0x7C) return 1;
    return 0;
}

/* Natural (driver-prepared, unscaled) A: rows (w == 0) or interleaved [K][w]. */
static size_t small_a_width_avx2(size_t m) { return m <= 4 ? 0 : m <= 8 ? 8 : 16; }
static inline float a_nat(const fp8_gemm_small_job *jb, size_t w, size_t i, size_t k) {
    return w ? jb->a[k * w + i] : jb->a[i * jb->lda + k];
}

/* C[i][j] recomputed from folded values decode(q) * scale, for rows with special codes. */
static float recompute(const fp8_gemm_small_job *jb, size_t i, size_t j) {
    const size_t w = small_a_width_avx2(jb->m);
    const uint8_t *q = jb->b + j * jb->ldb;
    const float *sc = jb->bscales + (j / jb->bbr) * jb->bnbc;
    float acc = 0.0f;
    for (size_t k = 0; k < jb->k; k++) acc += a_nat(jb, w, i, k) * (fp8_decode1(jb->bfmt, q[k]) * sc[k / jb->bbc]);
    return acc;
}

/* |s| * max finite <= FLT_MAX: the block's dequantized values are all finite (NaN scales fail too).
 * Compared as bits (the same order for non-negative floats), so a NaN scale raises no FE_INVALID. */
static inline int scale_fits(const int E4, float s) {
    return (fp8_bits_from_f32(s) & 0x7FFFFFFFu) <= fp8_bits_from_f32(E4 ? FLT_MAX / 448.0f : FLT_MAX / 57344.0f);
}

/* Every scale of the scale row sc fits (the folded forms' first condition; needs jb->nkb). */
static int scale_row_fits(const fp8_gemm_small_job *jb, const float *sc) {
    for (size_t kb = 0; kb < jb->nkb; kb++)
        if (!scale_fits(jb->bfmt == FP8_E4M3, sc[kb])) return 0;
    return 1;
}

/* The factor of a piece's raw partial sum, scale * kfac (kfac, a power of two set by prepare, undoes
 * the powers of two of the raw values and of the prescaled A: see small_prepare_avx2), or 0 if it is
 * not a normal finite float, or if the block's dequantized values can overflow float32 (scale * max
 * finite > FLT_MAX: folding gives the Inf that deq(B) holds, as on the packed path). The product is
 * formed in double (exact), so an out-of-range factor raises no FE_OVERFLOW. */
static inline float piece_factor(const fp8_gemm_small_job *jb, const int E4, float s) {
    if (!scale_fits(E4, s)) return 0.0f;
    const double f = (double)s * (double)jb->kfac; /* finite: s and kfac are */
    return fabs(f) >= (double)FLT_MIN && fabs(f) <= (double)FLT_MAX ? (float)f : 0.0f;
}

FP8_AVX2 static FP8_INLINE void store_c(const fp8_gemm_small_job *jb, size_t i, size_t j, float v) {
    float *c = jb->c + i * jb->ldc + j;
    *c = jb->beta == 0.0f ? jb->alpha * v : jb->alpha * v + jb->beta * *c;
}

/* ---- dot form (M <= 4) --------------------------------------------------------------------------- */

#define DOT_MAXM 4
#define DOT_PIECE 256 /* raw partial sums are scaled into the totals at least every 256 k */

FP8_AVX2 static FP8_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

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

static void small_dot(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
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

/* ---- dot form, B's scales folded into A (M <= 4, INT mode) ------------------------------------------
 *
 * For a scale row of B (rows sharing one row of block scales s[kb]) the block scales go into a copy of
 * the (prescaled, permuted) A: af[i][k] = fl(ak[i][k] * s[kb] * 2^g[i]) (one rounding, computed in
 * double), with g[i] putting max |af[i]| in [2^125, 2^126). The inner loop then runs over all of K
 * with no block boundaries (partial sums per DOT_PIECE k, added into totals: blocked summation), and
 * the element is (sum af * raw(b)) * 2^(G[i]), G[i] = log2(kfac) - g[i], a power of two applied in
 * double (exact unless the result leaves float32's normal range). Used for scale rows of at least
 * FOLD_MIN_ROWS rows (building af costs m * K per scale row) whose scales are all finite with
 * scale * max finite <= FLT_MAX; others go to dot_rows. */

#define FOLD_MIN_ROWS 16

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

/* Builds af and G for the scale row with scales sc; 0 if the scale row cannot be folded. */
static int fold_build(const fp8_gemm_small_job *jb, const float *sc, float *af, int *G) {
    const size_t K = jb->k, ld = jb->akld, bc = jb->bbc < K ? jb->bbc : K, nb = jb->nkb;
    const int kexp = ilogbf(jb->kfac);
    if (!scale_row_fits(jb, sc)) return 0;
    for (size_t i = 0; i < jb->m; i++) {
        const float *a = jb->ak + i * ld;
        float *d = af + i * ld;
        double mx = 0.0;
        for (size_t kb = 0; kb < nb; kb++) mx = fmax(mx, (double)jb->ablk[kb * 32 + i] * fabs((double)sc[kb]));
        int e = 0;
        if (mx > 0.0) (void)frexp(mx, &e); /* mx in [2^(e-1), 2^e) */
        const int g = mx > 0.0 ? 126 - e : 0;
        G[i] = kexp - g;
        for (size_t kb = 0, k0 = 0; kb < nb; kb++, k0 += bc) {
            const size_t k1 = K - k0 < bc ? K : k0 + bc;
            const double f = ldexp((double)sc[kb], g);
            for (size_t k = k0; k < k1; k++) d[k] = (float)((double)a[k] * f);
        }
    }
    return 1;
}

/* Rows [j0, j1) by scale rows: folded where possible (fold_build), else dot_rows. */
static void small_dot_fold(const fp8_gemm_small_job *jb, size_t j0, size_t j1, float *af) {
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
            small_dot(jb, s0, s1);
        }
        s0 = s1;
    }
}

/* ---- broadcast form (4 < M <= 16) ---------------------------------------------------------------- */

#define BC_KB 256   /* k per step: A step [256][W] (<= 16 KiB) stays in L1 for a whole row block */
#define BC_RB 40    /* rows of B per row block (multiple of every NB); totals 40 x 16 floats */
#define BC_NBMAX 8

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

/* ---- broadcast form, table decode ----------------------------------------------------------------- */

/* acc[r][.] = sum over k in [k0, k0 + n) of a[(k - k0) * W + .] * lut[q[r][k]] for r < NB: the code
 * bytes are read straight from B and their exact values broadcast from the 256-entry table. */
FP8_AVX2 static FP8_INLINE void lut_dot(const float *lut, const uint8_t *const *q, size_t k0, size_t n,
                                        const float *a, const int W, const int NB, __m256 acc[][2]) {
    FP8_UNROLL
    for (int r = 0; r < NB; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    size_t k = k0;
    for (; k + 8 <= k0 + n; k += 8, a += 8 * W) {
        FP8_UNROLL
        for (int u = 0; u < 8; u++) {
            __m256 a0 = _mm256_load_ps(a + u * W), a1 = W == 16 ? _mm256_load_ps(a + u * W + 8) : a0;
            FP8_UNROLL
            for (int r = 0; r < NB; r++) {
                __m256 bv = _mm256_broadcast_ss(lut + q[r][k + u]);
                acc[r][0] = _mm256_fmadd_ps(a0, bv, acc[r][0]);
                if (W == 16) acc[r][1] = _mm256_fmadd_ps(a1, bv, acc[r][1]);
            }
        }
    }
    for (; k < k0 + n; k++, a += W) {
        __m256 a0 = _mm256_load_ps(a), a1 = W == 16 ? _mm256_load_ps(a + 8) : a0;
        FP8_UNROLL
        for (int r = 0; r < NB; r++) {
            __m256 bv = _mm256_broadcast_ss(lut + q[r][k]);
            acc[r][0] = _mm256_fmadd_ps(a0, bv, acc[r][0]);
            if (W == 16) acc[r][1] = _mm256_fmadd_ps(a1, bv, acc[r][1]);
        }
    }
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

FP8_AVX2 static void lut_8(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lut_run(jb, j0, j1, 8, 8); }
FP8_AVX2 static void lut_16(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lut_run(jb, j0, j1, 16, 5); }

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

/* The fold plan of the scale row with scales sc for lanes < m; 0 if it is not usable. */
static int lutf_plan_build(const fp8_gemm_small_job *jb, const float *sc, lutf_plan *pl) {
    const size_t nb = jb->nkb, m = jb->m;
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
            lut_run(jb, s0, s1, W, NB);
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

FP8_AVX2 static void lutf_8(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lutf_run(jb, j0, j1, 8, 8); }
FP8_AVX2 static void lutf_16(const fp8_gemm_small_job *jb, size_t j0, size_t j1) { lutf_run(jb, j0, j1, 16, 5); }

/* ---- entry points -------------------------------------------------------------------------------- */

static void small_m_avx2(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    if (jb->m <= DOT_MAXM) {
        if (jb->kmode == MODE_INT && jb->bbr >= FOLD_MIN_ROWS)
            small_dot_fold(jb, j0, j1, jb->task_ws); /* the folded A, m x akld (small_task_ws_floats_avx2) */
        else
            small_dot(jb, j0, j1);
    } else
        (jb->bbr >= FOLD_MIN_ROWS ? (jb->m > 8 ? lutf_16 : lutf_8) : (jb->m > 8 ? lut_16 : lut_8))(jb, j0, j1);
}

/* Workspace: the two decode tables (exact, and times 2^-t: 512 floats) for the broadcast form; the
 * INT mode's A (rows permuted per 32-code unit, prescaled) or the F16 mode's prescaled A for the dot
 * form; then, for the folded forms, 32 floats of A statistics per scale block along K (see the job's
 * ablk). */
static size_t small_ws_floats_avx2(const fp8_gemm_small_job *jb) {
    const size_t m = jb->m, K = jb->k, ld = (K + 15) / 16 * 16, bc = jb->bbc < K ? jb->bbc : K;
    const size_t nkb = (K + bc - 1) / bc, big = ((size_t)-1 / 8);
    if (nkb > big / 32) return (size_t)-1;
    size_t n = jb->bbr >= FOLD_MIN_ROWS ? 32 * nkb : 0;
    if (small_a_width_avx2(m)) return 512 + n;
    return m > (big - n) / ld ? (size_t)-1 : m * ld + n;
}

/* Per scale block along K and lane: max |a| and min nonzero |a| of A into dst (jb->ablk); A is
 * interleaved [K][w] (w > 0, lanes i < m) or rows src[i * ld + k] (w == 0). jb->afinite = 0 if any
 * value is Inf or NaN. Integer arithmetic on the bits of |a| (the same order as the floats for
 * non-negative values): vmaxps / vminps would raise FE_INVALID on a quiet NaN, which the scalar set
 * does not (the statistics of a non-finite A are never used). */
FP8_AVX2 static void small_ablk(fp8_gemm_small_job *jb, float *dst, const float *src, size_t w, size_t ld) {
    const size_t K = jb->k, bc = jb->bbc < K ? jb->bbc : K, m = jb->m;
    const __m256i absm = _mm256_set1_epi32(0x7FFFFFFF), inf = _mm256_set1_epi32(0x7F800000);
    const __m256i zero = _mm256_setzero_si256();
    __m256i bad = zero; /* lanes that saw |a| >= Inf */
    int fin = 1;
    jb->nkb = (K + bc - 1) / bc;
    for (size_t kb = 0, k0 = 0; kb < jb->nkb; kb++, k0 += bc) {
        const size_t k1 = K - k0 < bc ? K : k0 + bc;
        float *hi = dst + kb * 32, *lo = hi + 16;
        for (size_t i = 0; i < 16; i++) hi[i] = 0.0f, lo[i] = INFINITY;
        if (w) { /* lanes across a vector */
            for (size_t h = 0; h < w; h += 8) {
                __m256i vh = zero, vl = inf;
                for (size_t k = k0; k < k1; k++) {
                    const __m256i x = _mm256_and_si256(_mm256_load_si256((const __m256i *)(const void *)(src + k * w + h)), absm);
                    bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(x, _mm256_sub_epi32(inf, _mm256_set1_epi32(1))));
                    vh = _mm256_max_epi32(vh, x);
                    vl = _mm256_min_epi32(vl, _mm256_blendv_epi8(x, inf, _mm256_cmpeq_epi32(x, zero)));
                }
                _mm256_storeu_si256((__m256i *)(void *)(hi + h), vh);
                _mm256_storeu_si256((__m256i *)(void *)(lo + h), vl);
            }
            for (size_t i = m; i < 16; i++) hi[i] = 0.0f, lo[i] = INFINITY; /* padding lanes */
        } else { /* k across a vector, then a horizontal reduction */
            for (size_t i = 0; i < m; i++) {
                const float *r = src + i * ld;
                __m256i vh = zero, vl = inf;
                size_t k = k0;
                for (; k + 8 <= k1; k += 8) {
                    const __m256i x = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(r + k)), absm);
                    bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(x, _mm256_sub_epi32(inf, _mm256_set1_epi32(1))));
                    vh = _mm256_max_epi32(vh, x);
                    vl = _mm256_min_epi32(vl, _mm256_blendv_epi8(x, inf, _mm256_cmpeq_epi32(x, zero)));
                }
                uint32_t t[16];
                _mm256_storeu_si256((__m256i *)(void *)t, vh);
                _mm256_storeu_si256((__m256i *)(void *)(t + 8), vl);
                uint32_t h1 = 0, l1 = 0x7F800000u;
                for (int u = 0; u < 8; u++) h1 = t[u] > h1 ? t[u] : h1, l1 = t[8 + u] < l1 ? t[8 + u] : l1;
                for (; k < k1; k++) {
                    const uint32_t x = fp8_bits_from_f32(r[k]) & 0x7FFFFFFFu;
                    if (x >= 0x7F800000u) fin = 0;
                    h1 = x > h1 ? x : h1;
                    l1 = x != 0 && x < l1 ? x : l1;
                }
                hi[i] = fp8_f32_from_bits(h1);
                lo[i] = fp8_f32_from_bits(l1);
            }
        }
    }
    jb->afinite = fin && _mm256_testz_si256(bad, bad);
    jb->ablk = dst;
}

/* max |x| over the finite values of x[0, n), as float32 bits (0 if none); *finite = 0 if some value
 * is Inf or NaN. Integer compares only (a NaN raises no FE_INVALID). */
FP8_AVX2 static uint32_t finite_amax_bits(const float *x, size_t n, int *finite) {
    const __m256i absm = _mm256_set1_epi32(0x7FFFFFFF), inf = _mm256_set1_epi32(0x7F800000);
    __m256i mx = _mm256_setzero_si256(), bad = _mm256_setzero_si256();
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + k)), absm);
        const __m256i nf = _mm256_cmpgt_epi32(a, _mm256_sub_epi32(inf, _mm256_set1_epi32(1))); /* a >= Inf */
        bad = _mm256_or_si256(bad, nf);
        mx = _mm256_max_epi32(mx, _mm256_andnot_si256(nf, a));
    }
    uint32_t t[8], m = 0;
    _mm256_storeu_si256((__m256i *)(void *)t, mx);
    for (int u = 0; u < 8; u++) m = t[u] > m ? t[u] : m;
    int ok = _mm256_testz_si256(bad, bad);
    for (; k < n; k++) {
        const uint32_t a = fp8_bits_from_f32(x[k]) & 0x7FFFFFFFu;
        if (a >= 0x7F800000u) ok = 0;
        else m = a > m ? a : m;
    }
    *finite = ok;
    return m;
}

/*
 * Overflow safety of the promoted forms (F16 dot mode, table broadcast form): their FP32 partial sums
 * are sums of a * v, v the code's exact value times a fixed power of two (at most 2^VEXP), BEFORE the
 * block scale is applied, so with |a| near FLT_MAX they would overflow even where every dequantized
 * product a * v * scale is small (issue 9, fault 2). So when max|a| * 2^VEXP could reach 2^PROD_EXP,
 * the raw values are scaled by 2^-t (t the smallest shift that keeps every raw product below
 * 2^PROD_EXP, and a partial sum of at most 256 of them below 2^(PROD_EXP + 8)), and the piece factor
 * by 2^t. Scaling by a power of two is exact (the raw values stay normal: t <= 44), so the results
 * are the bits of the unscaled computation wherever that one did not overflow (and no product
 * underflows: products below 2^(PROD_EXP - 226) max|a| would, far below the 2^-122 max|a| of the
 * documented underflow caveat). For ordinary data (max|a| < 2^(PROD_EXP - VEXP), about 2e27 for
 * E4M3) t = 0 and nothing changes. The INT dot mode and both folded forms need nothing: their raw
 * products are at most 2^32 whatever A is (A is prescaled into [2^125, 2^126), the raw values carry
 * 2^-120 / 2^-112, or the folded A is normalised per lane).
 */
#define PROD_EXP 100
static int prescale_shift(uint32_t amax_bits, int vexp) {
    if (amax_bits < 0x00800000u) return 0; /* zero or subnormal */
    const int ea = (int)(amax_bits >> 23) - 126; /* max|a| < 2^ea */
    return ea + vexp > PROD_EXP ? ea + vexp - PROD_EXP : 0;
}

/* Broadcast form: builds the decode tables (exact, and times 2^-t for the promoted form). Dot form:
 * chooses the mode; INT needs DAZ off, 32-aligned scale blocks along K and a finite A, and then A is
 * prescaled by 2^ke and permuted into ws; F16 prescales A by 2^-t into ws when t > 0. Both: the A
 * statistics of the folded forms (block rows >= FOLD_MIN_ROWS). */
static void small_prepare_avx2(fp8_gemm_small_job *jb, float *ws) {
    const size_t m = jb->m, K = jb->k, ld = (K + 15) / 16 * 16, w = small_a_width_avx2(m);
    const int fold = jb->bbr >= FOLD_MIN_ROWS, E4 = jb->bfmt == FP8_E4M3;
    int e, finite = 1;
    jb->kmode = MODE_F16;
    jb->ak = NULL;
    if (w) {
        const int t = prescale_shift(finite_amax_bits(jb->a, K * w, &finite), E4 ? 9 : 16); /* 448 < 2^9 */
        for (int c = 0; c < 256; c++) ws[c] = fp8_decode1(jb->bfmt, (uint8_t)c);
        jb->lut = jb->lutp = ws;
        jb->kfac = ldexpf(1.0f, t);
        if (t) {
            const float p = ldexpf(1.0f, -t);
            for (int c = 0; c < 256; c++) ws[256 + c] = ws[c] * p; /* exact; NaN codes are quiet */
            jb->lutp = ws + 256;
        }
        if (fold) small_ablk(jb, ws + 512, jb->a, w, 0);
        return;
    }
    uint32_t abits = 0;
    for (size_t i = 0; i < m; i++) {
        int f;
        const uint32_t b = finite_amax_bits(jb->a + i * jb->lda, K, &f);
        abits = b > abits ? b : abits;
        finite &= f;
    }
    if ((_mm_getcsr() & 0x0040) != 0 || (jb->bbc % 32 != 0 && jb->bbc < K) || !finite) {
        /* F16: raw values are value * 2^-8 (E4M3, < 2) or the value (E5M2, < 2^16). */
        const int t = prescale_shift(abits, E4 ? 1 : 16);
        jb->kfac = ldexpf(1.0f, (E4 ? 8 : 0) + t);
        if (t) {
            const float p = ldexpf(1.0f, -t);
            for (size_t i = 0; i < m; i++)
                for (size_t k = 0; k < K; k++) ws[i * ld + k] = jb->a[i * jb->lda + k] * p;
            jb->ak = ws;
            jb->akld = ld;
        }
        return;
    }
    const float amax = fp8_f32_from_bits(abits);
    (void)frexpf(amax, &e); /* amax in [2^(e-1), 2^e) */
    int ke = 126 - e;
    ke = ke < 0 ? 0 : ke > 126 ? 126 : ke;
    const float p = ldexpf(1.0f, ke);
    float *ak = ws;
    jb->kfac = ldexpf(1.0f, (E4 ? 120 : 112) - ke);
    for (size_t i = 0; i < m; i++) {
        const float *src = jb->a + i * jb->lda;
        float *dst = ak + i * ld;
        size_t k = 0;
        for (; k + 32 <= K; k += 32)
            for (int u = 0; u < 32; u++) dst[k + UPOS(MODE_INT, u)] = src[k + u] * p;
        for (; k < K; k++) dst[k] = src[k] * p;
    }
    jb->ak = ak;
    jb->akld = ld;
    jb->kmode = MODE_INT;
    if (fold) {
        small_ablk(jb, ws + m * ld, ak, 0, ld);
        jb->task_ws_floats = m * ld; /* each task's folded copy of A (small_dot_fold) */
    }
}

const fp8_gemm_small_kernels fp8_gemm_small_avx2 = {
    16, small_a_width_avx2, small_ws_floats_avx2, small_prepare_avx2, small_m_avx2, 40,
};

#endif /* FP8_HAVE_X86 */
