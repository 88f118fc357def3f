/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_small.h - NOT API. What the avx2 small-M GEMM files share (include only from
 * kernels/avx2/gemm_avx2_small*.c, inside #ifdef FP8_HAVE_X86):
 *   gemm_avx2_small.c        entry points: prepare (mode, prescales, tables, A statistics), dispatch
 *   gemm_avx2_small_dot.c    the dot form, promoted scales (M <= 4)
 *   gemm_avx2_small_bcast.c  the broadcast form, promoted scales, table decode (4 < M <= 16)
 *   gemm_avx2_small_fold.c   both forms with B's scales folded into A (block rows >= 16)
 * The rules every form follows are in gemm_avx2_small.c's opening comment; the helpers below carry
 * the pieces of them that several forms need (raw decode, special codes, the piece factor).
 */
#ifndef FP8_GEMM_AVX2_SMALL_H
#define FP8_GEMM_AVX2_SMALL_H
#include "../../internal/fp8_internal.h"
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
 * special_seen, in both modes and formats: F16 mode in 16-bit lanes (code & 0x7F), INT mode in bytes
 * ((code & 0x7F) << 1). E5M2's Inf and NaN codes are tracked in F16 mode too although vcvtph2ps
 * decodes them exactly: a prescaled A (rule 4) may have flushed a tiny a to 0, and 0 * Inf would give
 * NaN where a * Inf is an infinity (rule 3). */
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
            const __m256i z = load16_zx(p);
            *trk = _mm256_max_epi16(*trk, _mm256_and_si256(z, _mm256_set1_epi16(0x7F)));
            h = e5m2_to_h16(z);
        }
        v[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
        v[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    }
}

FP8_AVX2 static FP8_INLINE int special_seen(__m256i t, const int MODE, const int E4) {
    if (MODE == MODE_F16)
        return _mm256_movemask_epi8(_mm256_cmpgt_epi16(t, _mm256_set1_epi16(E4 ? 0x7E : 0x7B))) != 0;
    if (E4) return _mm256_movemask_epi8(_mm256_cmpeq_epi8(t, _mm256_set1_epi8((char)0xFE))) != 0;
    return _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(t, _mm256_set1_epi8((char)0xF8)), t)) != 0;
}

/* A row of B holding a NaN code, or an Inf code (E5M2). */
static inline int row_special(fp8_format fmt, const uint8_t *q, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (fmt == FP8_E4M3 ? (q[k] & 0x7F) == 0x7F : (q[k] & 0x7F) >= 0x7C) return 1;
    return 0;
}

/* Natural (driver-prepared, unscaled) A: rows (w == 0) or interleaved [K][w]. */
static inline size_t small_a_width_avx2(size_t m) { return m <= 4 ? 0 : m <= 8 ? 8 : 16; }
static inline float a_nat(const fp8_gemm_small_job *jb, size_t w, size_t i, size_t k) {
    return w ? jb->a[k * w + i] : jb->a[i * jb->lda + k];
}

/* C[i][j] recomputed from folded values decode(q) * scale, for rows with special codes. */
static inline float recompute(const fp8_gemm_small_job *jb, size_t i, size_t j) {
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
static inline int scale_row_fits(const fp8_gemm_small_job *jb, const float *sc) {
    for (size_t kb = 0; kb < jb->nkb; kb++)
        if (!scale_fits(jb->bfmt == FP8_E4M3, sc[kb])) return 0;
    return 1;
}

/* The factor of a piece's raw partial sum, scale * kfac (kfac, a power of two set by prepare, undoes
 * the powers of two of the raw values and of the prescaled A: see small_prepare_avx2), or 0 if it is
 * not a normal finite float, if the block's dequantized values can overflow float32 (scale * max
 * finite > FLT_MAX: folding gives the Inf that deq(B) holds, as on the packed path), or if it exceeds
 * jb->fmax (raw products may underflow and the factor would magnify their error beyond the bound:
 * rule 4). The product is formed in double (exact), so an out-of-range factor raises no FE_OVERFLOW. */
static inline float piece_factor(const fp8_gemm_small_job *jb, const int E4, float s) {
    if (!scale_fits(E4, s)) return 0.0f;
    const double f = fabs((double)s * jb->kfac); /* finite: s and kfac are */
    return f >= (double)FLT_MIN && f <= (double)FLT_MAX && f <= jb->fmax ? (float)((double)s * jb->kfac) : 0.0f;
}

/* gemm_avx2_small.c: C[i][j] for an element whose computed value was NaN, recomputed (rule 6). */
__attribute__((visibility("hidden"))) float fp8_avx2_small_nan_c(const fp8_gemm_small_job *jb, size_t i, size_t j);

/* C[i][j] = alpha * v (+ beta * C[i][j]). A NaN result is replaced by fp8_avx2_small_nan_c's: the
 * sign and payload of a NaN that x86 arithmetic propagates depend on the operand order of the
 * instructions (the first NaN operand wins), which differs between the inlined copies of a form
 * (register tile positions, row counts) that compute an element depending on the thread split. */
FP8_AVX2 static FP8_INLINE void store_c(const fp8_gemm_small_job *jb, size_t i, size_t j, float v) {
    float *c = jb->c + i * jb->ldc + j;
    float r = jb->beta == 0.0f ? jb->alpha * v : jb->alpha * v + jb->beta * *c;
    if (fp8_avx2_is_nan(r)) r = fp8_avx2_small_nan_c(jb, i, j);
    *c = r;
}

#define DOT_MAXM 4
#define DOT_PIECE 256 /* raw partial sums are scaled into the totals at least every 256 k */

FP8_AVX2 static FP8_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#define FOLD_MIN_ROWS 16 /* block rows from which a scale row is folded into A */

/* ---- broadcast form (4 < M <= 16) ---------------------------------------------------------------- */

#define BC_KB 256   /* k per step: A step [256][W] (<= 16 KiB) stays in L1 for a whole row block */
#define BC_RB 40    /* rows of B per row block (multiple of every NB); totals 40 x 16 floats */
#define BC_NBMAX 8

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

/* ---- the forms (each returns C[0..m, j0..j1) of the job) ---- */

/* gemm_avx2_small_dot.c: promoted dot form, every scale row. */
__attribute__((visibility("hidden"))) void fp8_avx2_small_dot(const fp8_gemm_small_job *jb, size_t j0, size_t j1);
/* gemm_avx2_small_bcast.c: promoted broadcast form, w = 8 or 16 lanes. */
__attribute__((visibility("hidden"))) void fp8_avx2_small_lut_8(const fp8_gemm_small_job *jb, size_t j0, size_t j1);
__attribute__((visibility("hidden"))) void fp8_avx2_small_lut_16(const fp8_gemm_small_job *jb, size_t j0, size_t j1);
/* gemm_avx2_small_fold.c: folded forms (scale rows that cannot be folded take the promoted ones);
 * af is the task's workspace of m * akld floats. */
__attribute__((visibility("hidden"))) void fp8_avx2_small_dot_fold(const fp8_gemm_small_job *jb, size_t j0, size_t j1, float *af);
__attribute__((visibility("hidden"))) void fp8_avx2_small_lutf_8(const fp8_gemm_small_job *jb, size_t j0, size_t j1);
__attribute__((visibility("hidden"))) void fp8_avx2_small_lutf_16(const fp8_gemm_small_job *jb, size_t j0, size_t j1);

#endif
