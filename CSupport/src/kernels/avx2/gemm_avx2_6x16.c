/*
 * gemm_avx2_6x16.c - the AVX2 + FMA GEMM kernels (enabled per function, chosen at run time).
 *
 * Packed path: a 6 x 16 register tile, 12 ymm accumulators (6 rows x 2 vectors of 8 columns); per k
 * two aligned loads of the B sliver, six broadcasts of the A sliver and twelve FMAs, k unrolled by 4.
 * Blocking (BLIS zen3): kc = 256 (B sliver 16 KiB in L1), mc = 144 (A block 144 KiB in L2),
 * nc = 4080 (B panel in L3).
 *
 * Small-M path, B codes decoded inline with F16C (E4M3 as the binary16 of value * 2^-8, E5M2 exactly)
 * WITHOUT multiplying by the scale: FP32 partial sums over each piece (<= 256 k) of a scale-block
 * segment are scaled once into per-element totals (tot = fma(partial, scale * 2^8, tot)); NaN codes
 * are tracked with a max over the code magnitudes and patched into their outputs at the end.
 *   - M <= 4, "dot" form: R rows of B at a time (R = 4 for M <= 2, else 2), 16 codes per row per
 *     step, M x R vector accumulators over k, one horizontal sum per element at the end. A as rows.
 *   - 4 < M <= 16, "broadcast" form: A interleaved [K][w] (w = 8 or 16 lanes, one per row of A). B
 *     rows in blocks of 60: for each 256-k step, groups of nb = 12 or 6 rows are decoded into an L1
 *     buffer, then the transposed register tile (w x nb accumulators, broadcast B, vector A) runs
 *     against the same L1-resident A step for every group; per-row totals are written to C once.
 *     Software pipelined: the next group's codes are decoded into a second buffer in 16-code chunks
 *     interleaved with the current group's FMAs (M = 16, N = K = 8192, 1 thread: 40.3 -> 33.6 ms;
 *     with the decode removed the FMAs alone take 25.9 ms).
 * Measured on Zen 3: vcvtph2ps (ymm) issues about once per 2 cycles, which caps inline decode at
 * about 11-12 G codes/s per core.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "fp8_avx2.h"
#include "../../gemm/gemm_kernels.h"

#define AV_MR 6
#define AV_NR 16
#define FP8_INLINE __attribute__((always_inline)) inline
#define FP8_UNROLL _Pragma("GCC unroll 16")

/* ---- packed path: the 6 x 16 micro-kernel ---------------------------------------------------- */

#define UKR_STEP(u)                                                                  \
    do {                                                                             \
        __m256 b0 = _mm256_load_ps(b + 16 * (u)), b1 = _mm256_load_ps(b + 16 * (u) + 8); \
        __m256 av = _mm256_broadcast_ss(a + 6 * (u) + 0);                            \
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 1);                                   \
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 2);                                   \
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 3);                                   \
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 4);                                   \
        c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);      \
        av = _mm256_broadcast_ss(a + 6 * (u) + 5);                                   \
        c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);      \
    } while (0)

FP8_AVX2 static FP8_INLINE void ukr_store_row(float *c, __m256 x0, __m256 x1, __m256 va, __m256 vb, int mode) {
    if (mode == 0) {
        _mm256_storeu_ps(c, _mm256_mul_ps(va, x0));
        _mm256_storeu_ps(c + 8, _mm256_mul_ps(va, x1));
    } else if (mode == 1) {
        _mm256_storeu_ps(c, _mm256_fmadd_ps(va, x0, _mm256_loadu_ps(c)));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, x1, _mm256_loadu_ps(c + 8)));
    } else {
        _mm256_storeu_ps(c, _mm256_fmadd_ps(va, x0, _mm256_mul_ps(vb, _mm256_loadu_ps(c))));
        _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(va, x1, _mm256_mul_ps(vb, _mm256_loadu_ps(c + 8))));
    }
}

FP8_AVX2 static void ukr_6x16(size_t kc, const float *restrict a, const float *restrict b, float *restrict c,
                              size_t ldc, float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
           c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
           c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
           c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int i = 0; i < AV_MR; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
    }
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        UKR_STEP(0);
        UKR_STEP(1);
        UKR_STEP(2);
        UKR_STEP(3);
        a += 4 * AV_MR;
        b += 4 * AV_NR;
    }
    for (; k > 0; k--) {
        UKR_STEP(0);
        a += AV_MR;
        b += AV_NR;
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    int mode = beta == 0.0f ? 0 : beta == 1.0f ? 1 : 2;
    ukr_store_row(c + 0 * ldc, c00, c01, va, vb, mode);
    ukr_store_row(c + 1 * ldc, c10, c11, va, vb, mode);
    ukr_store_row(c + 2 * ldc, c20, c21, va, vb, mode);
    ukr_store_row(c + 3 * ldc, c30, c31, va, vb, mode);
    ukr_store_row(c + 4 * ldc, c40, c41, va, vb, mode);
    ukr_store_row(c + 5 * ldc, c50, c51, va, vb, mode);
}

/* ---- interleave (packing transposes) --------------------------------------------------------- */

/* r[0..7] rows -> r[t] = column t. */
FP8_AVX2 static FP8_INLINE void tr8x8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

FP8_AVX2 static void interleave_avx2(const float *src, size_t lds, size_t rows, size_t kc, float *dst, size_t r) {
    size_t k = 0;
    __m256 v[8];
    if (rows == r && r == 16) {
        for (; k + 8 <= kc; k += 8) {
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(src + (size_t)(8 * h + i) * lds + k);
                tr8x8(v);
                for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (k + t) * 16 + 8 * h, v[t]);
            }
        }
    } else if (rows == r && r == 8) {
        for (; k + 8 <= kc; k += 8) {
            for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(src + (size_t)i * lds + k);
            tr8x8(v);
            for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (k + t) * 8, v[t]);
        }
    } else if (rows == r && r == 6) {
        for (; k + 8 <= kc; k += 8) {
            for (int i = 0; i < 6; i++) v[i] = _mm256_loadu_ps(src + (size_t)i * lds + k);
            v[6] = v[7] = _mm256_setzero_ps();
            tr8x8(v);
            for (int t = 0; t < 8; t++) {
                float *d = dst + (k + t) * 6;
                _mm_storeu_ps(d, _mm256_castps256_ps128(v[t]));
                _mm_storel_pi((__m64 *)(void *)(d + 4), _mm256_extractf128_ps(v[t], 1));
            }
        }
    }
    if (k < kc) fp8_gemm_interleave_ref(src + k, lds, rows, kc - k, dst + k * r, r);
}

/* ---- fused decode + scale + interleave (packing FP8 slivers) ----------------------------------- */

/* 16 codes of one row -> 16 binary16 patterns, as scale_decode_avx2 makes them. */
FP8_AVX2 static FP8_INLINE __m256i pack_h16(fp8_format fmt, const uint8_t *p) {
    if (fmt == FP8_E4M3) return e4m3s_to_h16(load16_e4m3s(p));
    return e5m2_to_h16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p)));
}

/* 8 columns (k .. k+7) of the decoded rows v[0..7] -> dst[t*r + i]; r = 16 (half h) or 6. */
FP8_AVX2 static FP8_INLINE void pack_store8(__m256 v[8], float *dst, size_t r, int h) {
    tr8x8(v);
    if (r == 16) {
        for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + t * 16 + 8 * h, v[t]);
    } else {
        for (int t = 0; t < 8; t++) {
            _mm_storeu_ps(dst + t * 6, _mm256_castps256_ps128(v[t]));
            _mm_storel_pi((__m64 *)(void *)(dst + t * 6 + 4), _mm256_extractf128_ps(v[t], 1));
        }
    }
}

/* The products are those of scale_decode_avx2: binary16 -> float32 (exact), times 256 * scale (E4M3)
 * or scale (E5M2), one rounding. Cases scale_decode_avx2 sends to the scalar code (256 * scale not
 * finite) are left to the generic path, as are n not a multiple of 8 and r other than 16 and 6. */
FP8_AVX2 static int pack_fp8_avx2(fp8_format fmt, const uint8_t *q, size_t ldq, size_t n, const float *rowscale,
                                  float *dst, size_t r) {
    __m256 s[16], lo[8], hi[8];
    if ((r != 16 && r != 6) || n % 8 != 0) return 0;
    for (size_t i = 0; i < r; i++) {
        float m = fmt == FP8_E4M3 ? rowscale[i] * 256.0f : rowscale[i];
        if (fmt == FP8_E4M3 && m - m != 0.0f) return 0;
        s[i] = _mm256_set1_ps(m);
    }
    for (size_t k = 0; k < n; k += 16) {
        int two = k + 16 <= n; /* else 8 columns left: the upper half is decoded but not stored */
        for (int h = 0; h * 8 < (int)r; h++) {
            int nrow = r == 16 ? 8 : 6;
            for (int i = 0; i < 8; i++) {
                if (i >= nrow) { lo[i] = hi[i] = _mm256_setzero_ps(); continue; }
                size_t row = (size_t)(8 * h + i);
                __m256i x = two ? pack_h16(fmt, q + row * ldq + k)
                                : _mm256_castsi128_si256(_mm_setzero_si128());
                if (!two) { /* 8 codes only: never read past the segment */
                    __m128i c8 = _mm_loadl_epi64((const __m128i *)(const void *)(q + row * ldq + k));
                    x = fmt == FP8_E4M3 ? e4m3s_to_h16(_mm256_cvtepi8_epi16(c8)) : e5m2_to_h16(_mm256_cvtepu8_epi16(c8));
                }
                lo[i] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(x)), s[row]);
                hi[i] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(x, 1)), s[row]);
            }
            pack_store8(lo, dst + k * r, r, h);
            if (two) pack_store8(hi, dst + (k + 8) * r, r, h);
        }
    }
    return 1;
}

/* ---- small M: raw decode (scale applied per block to partial sums) ---------------------------- */

/* 16 E4M3 codes -> 16 binary16 patterns of value * 2^-8, WITHOUT the NaN patch: NaN codes (0x7F, 0xFF)
 * come out as +-1.875 * 2^-8 and are caught by nan_track / row_has_nan instead. */
FP8_AVX2 static FP8_INLINE __m256i e4m3_raw16(__m256i s) {
    return _mm256_and_si256(_mm256_slli_epi16(s, 7), _mm256_set1_epi16((short)0xBF80));
}
FP8_AVX2 static FP8_INLINE __m256i load16_s(const uint8_t *p) {
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}
FP8_AVX2 static FP8_INLINE __m256i load16_u(const uint8_t *p) {
    return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}
/* 16 codes -> binary16: E4M3 (value * 2^-8, NaN unpatched; nan |= magnitude bits) or E5M2 (exact). */
FP8_AVX2 static FP8_INLINE __m256i raw16(const uint8_t *p, const int E4, __m256i *nan) {
    if (E4) {
        __m256i s = load16_s(p);
        *nan = _mm256_max_epi16(*nan, _mm256_and_si256(s, _mm256_set1_epi16(0x7F)));
        return e4m3_raw16(s);
    }
    return _mm256_slli_epi16(load16_u(p), 8);
}
FP8_AVX2 static FP8_INLINE int nan_seen(__m256i nan) {
    return _mm256_movemask_epi8(_mm256_cmpeq_epi16(nan, _mm256_set1_epi16(0x7F))) != 0;
}
static int row_has_nan(fp8_format fmt, const uint8_t *q, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (fmt == FP8_E4M3 ? (q[k] & 0x7F) == 0x7F : (q[k] & 0x7F) > 0x7C) return 1;
    return 0;
}
/* The factor applied to a raw partial sum: scale (E5M2) or scale * 2^8 (E4M3); 0 if that is not
 * finite (the caller then uses exact folded values instead). */
static inline float raw_factor(const int E4, float s) {
    float f = E4 ? s * 256.0f : s;
    return f - f == 0.0f ? f : 0.0f;
}

/* ---- small M, dot form (M <= 4) --------------------------------------------------------------- */

#define DOT_MAXM 4
#define DOT_PIECE 256 /* raw partial sums are scaled into the totals at least every 256 k */

FP8_AVX2 static FP8_INLINE float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* res[i][r] = sum_k A[i][k] * deq(B)[j + r][k] for i < M, r < R (M, R, E4 constants after inlining).
 * Per block segment (cut into pieces of <= 256 k): vector partial sums of a * raw(b) over 16-code
 * steps, then tot = fma(partial, factor, tot); segment tails (block sizes not multiples of 16) use
 * folded scalar products. A row's arithmetic never depends on R or on the other rows. */
FP8_AVX2 static FP8_INLINE void dot_rows(const fp8_gemm_small_job *jb, size_t j, const int M, const int R,
                                         const int E4, float res[DOT_MAXM][4]) {
    const size_t K = jb->k, bc = jb->bbc;
    const uint8_t *q[4];
    const float *sc[4];
    const float *ap[DOT_MAXM];
    __m256 tot[DOT_MAXM][4];
    float tail[DOT_MAXM][4];
    __m256i nan = _mm256_setzero_si256();
    FP8_UNROLL
    for (int r = 0; r < R; r++) {
        q[r] = jb->b + (j + r) * jb->ldb;
        sc[r] = jb->bscales + ((j + r) / jb->bbr) * jb->bnbc;
    }
    FP8_UNROLL
    for (int i = 0; i < M; i++) {
        ap[i] = jb->a + i * jb->lda;
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
            fac[r] = raw_factor(E4, sc[r][kb]);
            if (fac[r] == 0.0f) slow = 1;
        }
        size_t k = k0;
        while (!slow && k + 16 <= k1) {
            size_t kend = k + ((k1 - k) / 16 < DOT_PIECE / 16 ? (k1 - k) / 16 : DOT_PIECE / 16) * 16;
            __m256 acc[DOT_MAXM][4];
            FP8_UNROLL
            for (int i = 0; i < M; i++) {
                FP8_UNROLL
                for (int r = 0; r < R; r++) acc[i][r] = _mm256_setzero_ps();
            }
            for (; k < kend; k += 16) {
                FP8_UNROLL
                for (int r = 0; r < R; r++) {
                    __m256i h = raw16(q[r] + k, E4, &nan);
                    __m256 f0 = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
                    __m256 f1 = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
                    FP8_UNROLL
                    for (int i = 0; i < M; i++) {
                        acc[i][r] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[i] + k), f0, acc[i][r]);
                        acc[i][r] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[i] + k + 8), f1, acc[i][r]);
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
                for (int i = 0; i < M; i++) tail[i][r] += ap[i][k] * x;
            }
        }
    }
    const int any_nan = E4 && nan_seen(nan);
    FP8_UNROLL
    for (int r = 0; r < R; r++) {
        int isnan = any_nan && row_has_nan(jb->bfmt, q[r], K);
        FP8_UNROLL
        for (int i = 0; i < M; i++) {
            float v = hsum8(tot[i][r]) + tail[i][r];
            res[i][r] = isnan ? fp8_f32_from_bits(0x7FC00000u) : v;
        }
    }
}

FP8_AVX2 static FP8_INLINE void dot_store(const fp8_gemm_small_job *jb, size_t j, int M, int R, float res[DOT_MAXM][4]) {
    for (int i = 0; i < M; i++) {
        float *c = jb->c + i * jb->ldc + j;
        for (int r = 0; r < R; r++)
            c[r] = jb->beta == 0.0f ? jb->alpha * res[i][r] : jb->alpha * res[i][r] + jb->beta * c[r];
    }
}

#define DOT_INST(M_, R_, E_)                                                                         \
    FP8_AVX2 static void dot_##M_##_##R_##_##E_(const fp8_gemm_small_job *jb, size_t j) {           \
        float res[DOT_MAXM][4];                                                                      \
        dot_rows(jb, j, M_, R_, E_, res);                                                            \
        dot_store(jb, j, M_, R_, res);                                                               \
    }
#define DOT_INST_M(M_, R_) DOT_INST(M_, R_, 0) DOT_INST(M_, R_, 1) DOT_INST(M_, 1, 0) DOT_INST(M_, 1, 1)
DOT_INST_M(1, 4)
DOT_INST_M(2, 4)
DOT_INST_M(3, 2)
DOT_INST_M(4, 2)

typedef void (*dot_fn)(const fp8_gemm_small_job *, size_t);

static void small_dot(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    static const dot_fn wide[DOT_MAXM][2] = {{dot_1_4_0, dot_1_4_1}, {dot_2_4_0, dot_2_4_1},
                                            {dot_3_2_0, dot_3_2_1}, {dot_4_2_0, dot_4_2_1}};
    static const dot_fn one[DOT_MAXM][2] = {{dot_1_1_0, dot_1_1_1}, {dot_2_1_0, dot_2_1_1},
                                           {dot_3_1_0, dot_3_1_1}, {dot_4_1_0, dot_4_1_1}};
    static const size_t rw[DOT_MAXM] = {4, 4, 2, 2};
    const size_t mi = jb->m - 1, e4 = jb->bfmt == FP8_E4M3, R = rw[mi];
    size_t j = j0;
    for (; j + R <= j1; j += R) wide[mi][e4](jb, j);
    for (; j < j1; j++) one[mi][e4](jb, j);
}

/* ---- small M, broadcast form (4 < M <= 16) ------------------------------------------------------ */

#define BC_KB 256   /* k per step: A step [256][W] (<= 16 KiB) stays in L1 for a whole row block */
#define BC_RB 60    /* rows of B per row block (multiple of every NB); totals 60 x 16 floats */
#define BC_NBMAX 12

/* The work of a row range is a flat sequence of items (row block rb0, 256-k step kk, group g of NB
 * rows). Software pipelined: while the FMAs of one item run on its decoded buffer, the codes of the
 * next item are decoded into the other buffer in 16-code chunks interleaved with the FMA blocks, so
 * that decode and FMA overlap in the out-of-order core. The arithmetic of every element is that of
 * the unpipelined form (same products, same order). */
typedef struct bc_item { size_t rb0, rb1, kk, kb, g, nb; } bc_item;

static void bc_fix(const fp8_gemm_small_job *jb, size_t j1, size_t NB, bc_item *it) {
    it->rb1 = j1 - it->rb0 < BC_RB ? j1 : it->rb0 + BC_RB;
    it->kb = jb->k - it->kk < BC_KB ? jb->k - it->kk : BC_KB;
    it->nb = it->rb1 - it->g < NB ? it->rb1 - it->g : NB;
}
static int bc_advance(const fp8_gemm_small_job *jb, size_t j1, size_t NB, bc_item *it) {
    it->g += NB;
    if (it->g >= it->rb1) {
        it->g = it->rb0;
        it->kk += BC_KB;
        if (it->kk >= jb->k) {
            it->kk = 0;
            it->rb0 += BC_RB;
            if (it->rb0 >= j1) return 0;
            it->g = it->rb0;
        }
    }
    bc_fix(jb, j1, NB, it);
    return 1;
}

/* Chunk ci (codes [16 ci, 16 ci + 16) of the step) of every row of item it, raw, into buf. The next
 * step's codes are prefetched (rows are read in 256-byte pieces, too many streams for the hardware
 * prefetchers). */
FP8_AVX2 static FP8_INLINE void bc_chunk(const fp8_gemm_small_job *jb, const bc_item *it, size_t ci, float *buf,
                                         const int NB, const int E4, __m256i *nan) {
    const int pf = (ci & 3) == 0 && it->kk + it->kb + BC_KB <= jb->k;
    const uint8_t *q = jb->b + it->g * jb->ldb + it->kk + ci * 16;
    FP8_UNROLL
    for (int r = 0; r < NB; r++) {
        if ((size_t)r >= it->nb) break;
        const uint8_t *qr = q + (size_t)r * jb->ldb;
        if (pf) _mm_prefetch((const char *)(qr + BC_KB), _MM_HINT_T1);
        __m256i h = raw16(qr, E4, nan);
        float *d = buf + (size_t)r * BC_KB + ci * 16;
        _mm256_store_ps(d, _mm256_cvtph_ps(_mm256_castsi256_si128(h)));
        _mm256_store_ps(d + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
    }
}

/* The rest of item it from chunk ci on: full chunks, exact tails, zero rows nb..NB-1. */
FP8_AVX2 static FP8_INLINE void bc_finish(const fp8_gemm_small_job *jb, const bc_item *it, size_t ci, float *buf,
                                          const int NB, const int E4, __m256i *nan) {
    for (; ci * 16 + 16 <= it->kb; ci++) bc_chunk(jb, it, ci, buf, NB, E4, nan);
    for (size_t r = 0; r < (size_t)NB; r++) {
        float *d = buf + r * BC_KB;
        if (r < it->nb) {
            const uint8_t *q = jb->b + (it->g + r) * jb->ldb + it->kk;
            for (size_t k = ci * 16; k < it->kb; k++)
                d[k] = fp8_decode1(E4 ? FP8_E4M3 : FP8_E5M2, q[k]) * (E4 ? 0x1p-8f : 1.0f);
        } else {
            for (size_t k = 0; k < it->kb; k++) d[k] = 0.0f;
        }
    }
}

#define BC_FMA_K(u)                                                                                  \
    do {                                                                                             \
        __m256 a0 = _mm256_load_ps(a + (u) * W), a1 = W == 16 ? _mm256_load_ps(a + (u) * W + 8) : a0;   \
        FP8_UNROLL                                                                                   \
        for (int r = 0; r < NB; r++) {                                                               \
            __m256 bv = _mm256_broadcast_ss(bb + r * BC_KB + k + (u));                               \
            acc[r][0] = _mm256_fmadd_ps(a0, bv, acc[r][0]);                                          \
            if (W == 16) acc[r][1] = _mm256_fmadd_ps(a1, bv, acc[r][1]);                             \
        }                                                                                            \
    } while (0)

/* One item cur (its codes already decoded raw in buf): per block segment register partial sums
 * acc = sum a * raw(b) and tot = fma(acc, factor, tot) (tot: nb x 16 floats in memory); meanwhile the
 * item nx (if any) is decoded into nbuf. */
FP8_AVX2 static FP8_INLINE void bc_step(const fp8_gemm_small_job *jb, const bc_item *cur, const bc_item *nx,
                                        float *tot, float *buf, float *nbuf, const int W, const int NB,
                                        const int E4, __m256i *nnan) {
    const size_t bc = jb->bbc, kk = cur->kk, kb = cur->kb, g = cur->g, nb = cur->nb;
    size_t ci = 0;
    const size_t nci = nx ? nx->kb / 16 : 0;
    for (size_t s0 = kk, s1; s0 < kk + kb; s0 = s1) {
        size_t bi = s0 / bc;
        float fac[BC_NBMAX];
        s1 = (bi + 1) * bc < kk + kb ? (bi + 1) * bc : kk + kb;
        for (size_t r = 0; r < (size_t)NB; r++) {
            fac[r] = 0.0f;
            if (r >= nb) continue;
            float s = jb->bscales[((g + r) / jb->bbr) * jb->bnbc + bi];
            fac[r] = raw_factor(E4, s);
            if (fac[r] == 0.0f) { /* scale * 2^8 overflows: exact folded values, factor 1 */
                jb->quant->scale_decode(jb->bfmt, jb->b + (g + r) * jb->ldb + s0, buf + r * BC_KB + (s0 - kk),
                                        s1 - s0, s);
                fac[r] = 1.0f;
            }
        }
        __m256 acc[BC_NBMAX][2];
        FP8_UNROLL
        for (int r = 0; r < NB; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        const float *a = jb->a + s0 * (size_t)W;
        const float *bb = buf + (s0 - kk);
        const size_t len = s1 - s0;
        size_t k = 0;
        for (; k + 16 <= len; k += 16, a += 16 * W) {
            FP8_UNROLL
            for (int u = 0; u < 16; u++) BC_FMA_K(u);
            if (ci < nci) bc_chunk(jb, nx, ci++, nbuf, NB, E4, nnan);
        }
        for (; k < len; k++, a += W) BC_FMA_K(0);
        FP8_UNROLL
        for (int r = 0; r < NB; r++) {
            __m256 f = _mm256_set1_ps(fac[r]);
            float *t = tot + r * 16;
            _mm256_store_ps(t, _mm256_fmadd_ps(acc[r][0], f, _mm256_load_ps(t)));
            if (W == 16) _mm256_store_ps(t + 8, _mm256_fmadd_ps(acc[r][1], f, _mm256_load_ps(t + 8)));
        }
    }
    if (nx) bc_finish(jb, nx, ci, nbuf, NB, E4, nnan);
}

/* Rows of B in blocks of BC_RB: for each 256-k step, every group of NB rows of the block reuses the
 * same L1-resident A step; per-row totals (16 floats) accumulate in k order, then C is written once.
 * NaN tracking is per block (two trackers: the next block's first codes are decoded during the
 * current block's last item). */
FP8_AVX2 static FP8_INLINE void bc_run(const fp8_gemm_small_job *jb, size_t j0, size_t j1, const int W,
                                       const int NB, const int E4) {
    float buf[2][BC_NBMAX * BC_KB] __attribute__((aligned(64)));
    float tot[BC_RB * 16] __attribute__((aligned(64)));
    __m256i nan[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    bc_item cur = {j0, 0, 0, 0, j0, 0};
    int p = 0;
    if (j0 >= j1) return;
    bc_fix(jb, j1, NB, &cur);
    bc_finish(jb, &cur, 0, buf[0], NB, E4, &nan[0]);
    for (;;) {
        bc_item nx = cur;
        const int has = bc_advance(jb, j1, NB, &nx);
        const size_t par = ((cur.rb0 - j0) / BC_RB) & 1, npar = has ? ((nx.rb0 - j0) / BC_RB) & 1 : 0;
        if (cur.kk == 0 && cur.g == cur.rb0)
            for (size_t i = 0; i < BC_RB * 16; i++) tot[i] = 0.0f;
        bc_step(jb, &cur, has ? &nx : NULL, tot + (cur.g - cur.rb0) * 16, buf[p], buf[p ^ 1], W, NB, E4,
                &nan[npar]);
        if (cur.kk + cur.kb >= jb->k && cur.g + NB >= cur.rb1) { /* block done: write C */
            const int any_nan = E4 && nan_seen(nan[par]);
            nan[par] = _mm256_setzero_si256();
            for (size_t j = cur.rb0; j < cur.rb1; j++) {
                float *t = tot + (j - cur.rb0) * 16;
                if (any_nan && row_has_nan(jb->bfmt, jb->b + j * jb->ldb, jb->k))
                    for (int i = 0; i < 16; i++) t[i] = fp8_f32_from_bits(0x7FC00000u);
                for (size_t i = 0; i < jb->m; i++) {
                    float *ci = jb->c + i * jb->ldc + j;
                    *ci = jb->beta == 0.0f ? jb->alpha * t[i] : jb->alpha * t[i] + jb->beta * *ci;
                }
            }
        }
        if (!has) break;
        cur = nx;
        p ^= 1;
    }
}

#define BC_INST(W_, NB_, E_)                                                                         \
    FP8_AVX2 static void bcast_##W_##_##E_(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {   \
        bc_run(jb, j0, j1, W_, NB_, E_);                                                             \
    }
BC_INST(8, 12, 0)
BC_INST(8, 12, 1)
BC_INST(16, 6, 0)
BC_INST(16, 6, 1)

FP8_AVX2 static void small_bcast(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    const int w16 = jb->m > 8, e4 = jb->bfmt == FP8_E4M3;
    if (w16)
        (e4 ? bcast_16_1 : bcast_16_0)(jb, j0, j1);
    else
        (e4 ? bcast_8_1 : bcast_8_0)(jb, j0, j1);
}

static size_t small_a_width_avx2(size_t m) { return m <= DOT_MAXM ? 0 : m <= 8 ? 8 : 16; }

static void small_m_avx2(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    if (jb->m <= DOT_MAXM)
        small_dot(jb, j0, j1);
    else
        small_bcast(jb, j0, j1);
}

const fp8_gemm_kernels fp8_gemm_avx2 = {
    AV_MR, AV_NR,        /* mr, nr */
    144, 256, 4080,      /* mc, kc, nc */
    ukr_6x16,
    interleave_avx2,
    16, small_a_width_avx2, small_m_avx2, 60,
    pack_fp8_avx2,
};

#endif /* FP8_HAVE_X86 */
