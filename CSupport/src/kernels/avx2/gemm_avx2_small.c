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
 *     are recomputed, or the decode is exact and A is not prescaled).
 *  4. Range: no intermediate overflows where the dequantized sum does not (fp8.h: if
 *     sum_k |A'B'| <= 2^127 the sum is finite, whatever |A|), and underflow costs no more than fp8.h
 *     allows (products below about 2^-122 max|A| may be flushed). Raw products (A times raw code
 *     values, before the scale) are kept below 2^PROD_EXP and, where A's range allows, at or above
 *     2^-126 by exact power-of-two prescaling (prescale_shift); where it does not, a piece whose
 *     factor would magnify underflowed raw products beyond that allowance is computed folded
 *     (fmax, piece_factor; the folded forms check their scale rows the same way). Factors are formed
 *     in double.
 *  5. Floating-point exceptions: no float instruction sees an operand the scalar set would not
 *     compute on, so no FE_INVALID / FE_DIVBYZERO / FE_OVERFLOW trap fires that scalar does not
 *     raise: range checks and statistics of A and of the scales compare bits (vmaxps / vminps and C's
 *     < <= > >= raise FE_INVALID on a quiet NaN), padding lanes repeat a real lane (never 0 * Inf),
 *     E5M2 signalling NaNs are quieted before vcvtph2ps (fp8_avx2.h).
 *  6. Every element's arithmetic is independent of the row range a task gets (bits never depend on
 *     the thread count). NaN results are the exception x86 forces: the NaN an instruction propagates
 *     is its first NaN operand, and the operand order differs between the inlined copies of a form
 *     (register positions) that may compute an element under different splits. So store_c hands
 *     every NaN element to one out-of-line function (fp8_avx2_small_nan_c), which recomputes it.
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

/* max |x| over the finite values of x[0, n), as float32 bits (0 if none), and in *minb the min
 * nonzero |x| over them (0x7F800000 if none); *finite = 0 if some value is Inf or NaN. Integer
 * compares only (a NaN raises no FE_INVALID). */
FP8_AVX2 static uint32_t finite_range_bits(const float *x, size_t n, int *finite, uint32_t *minb) {
    const __m256i absm = _mm256_set1_epi32(0x7FFFFFFF), inf = _mm256_set1_epi32(0x7F800000);
    const __m256i zero = _mm256_setzero_si256();
    __m256i mx = zero, mn = inf, bad = zero;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + k)), absm);
        const __m256i nf = _mm256_cmpgt_epi32(a, _mm256_sub_epi32(inf, _mm256_set1_epi32(1))); /* a >= Inf */
        bad = _mm256_or_si256(bad, nf);
        mx = _mm256_max_epi32(mx, _mm256_andnot_si256(nf, a));
        mn = _mm256_min_epi32(mn, _mm256_blendv_epi8(a, inf, _mm256_or_si256(nf, _mm256_cmpeq_epi32(a, zero))));
    }
    uint32_t t[16], m = 0, l = 0x7F800000u;
    _mm256_storeu_si256((__m256i *)(void *)t, mx);
    _mm256_storeu_si256((__m256i *)(void *)(t + 8), mn);
    for (int u = 0; u < 8; u++) m = t[u] > m ? t[u] : m, l = t[8 + u] < l ? t[8 + u] : l;
    int ok = _mm256_testz_si256(bad, bad);
    for (; k < n; k++) {
        const uint32_t a = fp8_bits_from_f32(x[k]) & 0x7FFFFFFFu;
        if (a >= 0x7F800000u) {
            ok = 0;
            continue;
        }
        m = a > m ? a : m;
        l = a != 0 && a < l ? a : l;
    }
    *finite = ok;
    *minb = l;
    return m;
}

/*
 * Range safety of the promoted forms (rule 4). Their FP32 partial sums are sums of raw products
 * a * v * 2^-t, v a code's exact value (|v| < 2^VEXP, smallest nonzero |v| = 2^VMIN), before the
 * block scale enters through the piece factor scale * 2^t (times the form's own power of two):
 *  - overflow: with |a| near FLT_MAX they would overflow where every dequantized product a * v *
 *    scale is small (issue 9, fault 2), so t >= lo, the smallest shift that keeps every raw product
 *    below 2^PROD_EXP (and a partial sum of at most 256 of them below 2^(PROD_EXP + 8));
 *  - underflow: with tiny |a| against large scales, raw products below 2^-126 lose bits (or vanish)
 *    although the dequantized products are normal, and the factor magnifies that error (the fuzzers
 *    found errors of 10^5 times the bound). If t <= hi, the largest shift that keeps every nonzero
 *    raw product >= 2^-126, no raw product is subnormal: a partial sum that still falls below 2^-126
 *    (cancellation) rounds by at most 2^-150 <= 2^-24 |product|, within the usual bound.
 * t is a power-of-two scaling of A or of the raw values, exact wherever the result stays normal, so
 * the results are the bits of the unscaled computation wherever that one neither overflowed nor
 * underflowed. Ordinary data needs no shift: t = 0 whenever lo <= 0 <= hi (for E4M3 that is max|a| <
 * 2^91 and min nonzero |a| >= 2^-117 in the table form, max|a| < 2^99 and min |a| >= 2^-109 in the F16
 * dot form); else t is the nearest value in [lo, hi], and if lo > hi (A spans more than about 2^200)
 * t = lo and the pieces whose factor could magnify an underflow beyond the documented allowance
 * (factor > fmax) are computed folded (piece_factor). min|a| ignores zeros: their products are exact.
 * The INT dot mode chooses its own power of two the same way (small_prepare_avx2); the folded forms
 * check their range per scale row (gemm_avx2_small_fold.c).
 */
#define PROD_EXP 100
static int prescale_shift(uint32_t amax_bits, uint32_t amin_bits, int vexp, int vmin, int *exact) {
    *exact = 1;
    if (amax_bits == 0) return 0; /* no nonzero finite a */
    const int lo = ilogbf(fp8_f32_from_bits(amax_bits)) + 1 + vexp - PROD_EXP; /* max|a| < 2^(ilogb + 1) */
    const int hi = ilogbf(fp8_f32_from_bits(amin_bits)) + vmin + 126;         /* min|a| >= 2^ilogb */
    const int z = hi < 0 ? hi : 0, t = lo > z ? lo : z;
    *exact = t <= hi;
    return t; /* in [-40, 44]: ilogb >= -149, vmin >= -17, ilogb <= 127, vexp <= 16 */
}

/* fmax for a form whose raw sums err by at most err_step (raw units, per k) where raw products
 * underflow: the factor then turns that into at most 2^-121 max|a| per k, half the allowance of
 * fp8.h ("products below about 2^-122 max|A| may be flushed"; the fuzzers' bound: K 2^-120 max|A|). */
static double factor_limit(const fp8_gemm_small_job *jb, int exact, double err_step) {
    return exact ? INFINITY : jb->amax * 0x1p-121 / err_step;
}

/* Broadcast form: builds the decode tables (exact, and times 2^-t for the promoted form). Dot form:
 * chooses the mode; INT needs DAZ off, 32-aligned scale blocks along K and a finite A, and then A is
 * prescaled by 2^ke and permuted into ws; F16 prescales A by 2^-t into ws when t != 0. Both: the A
 * statistics of the folded forms (block rows >= FOLD_MIN_ROWS), kfac and fmax (see prescale_shift). */
static void small_prepare_avx2(fp8_gemm_small_job *jb, float *ws) {
    const size_t m = jb->m, K = jb->k, ld = (K + 15) / 16 * 16, w = small_a_width_avx2(m);
    const int fold = jb->bbr >= FOLD_MIN_ROWS, E4 = jb->bfmt == FP8_E4M3;
    int e, finite = 1, exact;
    uint32_t abits = 0, lbits = 0x7F800000u;
    jb->kmode = MODE_F16;
    jb->ak = NULL;
    if (w) {
        /* Table values: |v| < 2^9 (E4M3, 448) or 2^16 (E5M2), smallest 2^-9 or 2^-16. */
        abits = finite_range_bits(jb->a, K * w, &finite, &lbits);
        jb->amax = fp8_f32_from_bits(abits);
        const int t = prescale_shift(abits, lbits, E4 ? 9 : 16, E4 ? -9 : -16, &exact);
        for (int c = 0; c < 256; c++) ws[c] = fp8_decode1(jb->bfmt, (uint8_t)c);
        jb->lut = jb->lutp = ws;
        jb->kfac = ldexp(1.0, t);
        jb->fmax = factor_limit(jb, exact, 0x1p-150); /* one rounding of a subnormal sum per k */
        if (t) {
            const float p = ldexpf(1.0f, -t);
            for (int c = 0; c < 256; c++) ws[256 + c] = ws[c] * p; /* exact; NaN codes are quiet */
            jb->lutp = ws + 256;
        }
        if (fold) small_ablk(jb, ws + 512, jb->a, w, 0);
        return;
    }
    for (size_t i = 0; i < m; i++) {
        int f;
        uint32_t l;
        const uint32_t b = finite_range_bits(jb->a + i * jb->lda, K, &f, &l);
        abits = b > abits ? b : abits;
        lbits = l < lbits ? l : lbits;
        finite &= f;
    }
    jb->amax = fp8_f32_from_bits(abits);
    if ((_mm_getcsr() & 0x0040) != 0 || (jb->bbc % 32 != 0 && jb->bbc < K) || !finite) {
        /* F16: raw values are value * 2^-8 (E4M3, < 2, smallest 2^-17) or the value (E5M2, < 2^16,
         * smallest 2^-16). A prescaled by 2^-t > 1 is exact; by 2^-t < 1, a value that leaves the
         * normal range is rounded (by at most 2^-150, times a raw value < 2 or < 2^16). */
        const int t = prescale_shift(abits, lbits, E4 ? 1 : 16, E4 ? -17 : -16, &exact);
        jb->kfac = ldexp(1.0, (E4 ? 8 : 0) + t);
        jb->fmax = factor_limit(jb, exact, 0x1p-150 * (t > 0 ? 1.0 + (E4 ? 2.0 : 0x1p16) : 1.0));
        if (t) {
            const float p = ldexpf(1.0f, -t);
            for (size_t i = 0; i < m; i++)
                for (size_t k = 0; k < K; k++) ws[i * ld + k] = jb->a[i * jb->lda + k] * p;
            jb->ak = ws;
            jb->akld = ld;
        }
        return;
    }
    /* INT: A times 2^ke, raw values are value * 2^-120 (E4M3, smallest 2^-129) or 2^-112 (E5M2,
     * smallest 2^-128). ke0 puts max|A| in [2^125, 2^126) (at most 126, so that 2^ke is a float;
     * at least 0). Every nonzero raw product is normal if min|a| 2^ke >= 2^3 (E4M3) or 2^2 (E5M2):
     * where ke0 falls short of that, ke is raised as far as max|A| 2^ke < 2^126 allows (applied in
     * two exact steps beyond 2^126); if that is not enough, fmax limits the factors (as above). */
    (void)frexpf(jb->amax, &e); /* amax in [2^(e-1), 2^e) */
    int ke = 126 - e;
    ke = ke < 0 ? 0 : ke > 126 ? 126 : ke;
    exact = 1;
    if (abits != 0) {
        const int klo = (E4 ? 3 : 2) - ilogbf(fp8_f32_from_bits(lbits)), khi = 126 - e;
        if (ke < klo && ke < khi) ke = klo < khi ? klo : khi;
        exact = ke >= klo;
    }
    const float p = ldexpf(1.0f, ke < 126 ? ke : 126), p2 = ldexpf(1.0f, ke < 126 ? 0 : ke - 126);
    float *ak = ws;
    jb->kfac = ldexp(1.0, (E4 ? 120 : 112) - ke);
    jb->fmax = factor_limit(jb, exact, 0x1p-150);
    for (size_t i = 0; i < m; i++) {
        const float *src = jb->a + i * jb->lda;
        float *dst = ak + i * ld;
        size_t k = 0;
        if (ke <= 126) {
            for (; k + 32 <= K; k += 32)
                for (int u = 0; u < 32; u++) dst[k + UPOS(MODE_INT, u)] = src[k + u] * p;
            for (; k < K; k++) dst[k] = src[k] * p;
        } else {
            for (; k + 32 <= K; k += 32)
                for (int u = 0; u < 32; u++) dst[k + UPOS(MODE_INT, u)] = src[k + u] * p * p2;
            for (; k < K; k++) dst[k] = src[k] * p * p2;
        }
    }
    jb->ak = ak;
    jb->akld = ld;
    jb->kmode = MODE_INT;
    if (fold) {
        small_ablk(jb, ws + m * ld, ak, 0, ld);
        jb->task_ws_floats = m * ld; /* each task's folded copy of A (small_dot_fold) */
    }
}

/* C[i][j] where the computed value was NaN (store_c): the element recomputed from folded values
 * decode(q) * scale by one plain loop, then alpha and beta applied, all by this one function (not
 * inlined), so the NaN's sign and payload depend only on the element's operands, never on the form
 * or register position that computed it, hence never on the thread split (rule 6). Only NaN elements
 * come here; for them it is also what IEEE arithmetic on the dequantized values gives (rule 3). */
__attribute__((noinline)) float fp8_avx2_small_nan_c(const fp8_gemm_small_job *jb, size_t i, size_t j) {
    const float v = fp8_avx2_is_nan(jb->alpha) ? 0.0f : recompute(jb, i, j);
    const float c = jb->c[i * jb->ldc + j];
    return jb->beta == 0.0f ? jb->alpha * v : jb->alpha * v + jb->beta * c;
}

const fp8_gemm_small_kernels fp8_gemm_small_avx2 = {
    16, small_a_width_avx2, small_ws_floats_avx2, small_prepare_avx2, small_m_avx2, 40,
};

#endif /* FP8_HAVE_X86 */
