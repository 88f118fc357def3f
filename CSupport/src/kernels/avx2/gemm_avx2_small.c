/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx2_small.c - the AVX2 + FMA small-M GEMM kernels (M <= 16, LLM decoding): entry points.
 * B is streamed once and its codes are decoded inline, WITHOUT the scale. The scales enter in one of
 * two ways, and there are three computation forms, one file each:
 *   promoted: FP32 partial sums over each piece (<= 256 k) of a scale-block segment are scaled once
 *       into per-element totals, tot = fma(partial, factor, tot) (one extra rounding per piece):
 *       gemm_avx2_small_dot.c (the dot form, M <= 4) and gemm_avx2_small_bcast.c (the broadcast
 *       form with table decode, 4 < M <= 16);
 *   folded into A (block rows >= FOLD_MIN_ROWS): per scale row of B, a copy of A holds fl(a *
 *       scale(block) * 2^g) (one rounding per element, as folding into B would give), and the inner
 *       loops run across block boundaries: gemm_avx2_small_fold.c (both forms).
 * This file picks the form per call (small_m_avx2) and prepares what the forms read, once per call
 * on the calling thread (small_prepare_avx2): the dot form's decode mode and prescaled A, the
 * broadcast form's decode tables, the folded forms' A statistics, the per-task workspace size.
 *
 * Rules every form follows (another kernel set's small-M path must follow 1-7 too; see fp8.h):
 *  1. Error bound: fp8.h's (K + 3) 2^-24 sum_k |A'B'|: one rounding per product, FP32 sums in pieces
 *     of at most 256 k, at most one extra rounding per piece (the factor).
 *  2. deq(B) as float32 holds it: a piece whose factor is not a normal finite float, or whose scale
 *     is 0, NaN, Inf or so large that scale * max finite overflows float32, is computed from the
 *     folded values decode(q) * scale with the unscaled A (Inf where deq(B) is Inf).
 *  3. NaN and Inf codes give what IEEE arithmetic on the dequantized values gives (rows holding them
 *     are recomputed, or the decode is exact).
 *  4. Overflow: no intermediate overflows where the dequantized sum does not (fp8.h: if
 *     sum_k |A'B'| <= 2^127 the sum is finite, whatever |A|). Raw products (A times raw code values,
 *     before the scale) are kept below 2^PROD_EXP by exact power-of-two prescaling (prescale_shift),
 *     and factors are formed in double.
 *  5. Floating-point exceptions: no float instruction sees an operand the scalar set would not
 *     compute on, so no FE_INVALID / FE_DIVBYZERO / FE_OVERFLOW trap fires that scalar does not
 *     raise: range checks and statistics of A and of the scales compare bits (vmaxps / vminps and C's
 *     < <= > >= raise FE_INVALID on a quiet NaN), padding lanes repeat a real lane (never 0 * Inf),
 *     E5M2 signalling NaNs are quieted before vcvtph2ps (fp8_avx2.h).
 *  6. Every element's arithmetic is independent of the row range a task gets (bits never depend on
 *     the thread count).
 *  7. No allocation: prepare's workspace (ws_floats) and each task's (job->task_ws_floats, set by
 *     prepare) come from the driver.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "gemm_avx2_small.h"

/* ---- entry points -------------------------------------------------------------------------------- */

static void small_m_avx2(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    if (jb->m <= DOT_MAXM) {
        if (jb->kmode == MODE_INT && jb->bbr >= FOLD_MIN_ROWS)
            fp8_avx2_small_dot_fold(jb, j0, j1, jb->task_ws); /* the folded A, m x akld (prepare) */
        else
            fp8_avx2_small_dot(jb, j0, j1);
    } else if (jb->bbr >= FOLD_MIN_ROWS) {
        (jb->m > 8 ? fp8_avx2_small_lutf_16 : fp8_avx2_small_lutf_8)(jb, j0, j1);
    } else {
        (jb->m > 8 ? fp8_avx2_small_lut_16 : fp8_avx2_small_lut_8)(jb, j0, j1);
    }
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
