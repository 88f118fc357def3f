/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_avx512_small.c - the AVX-512 small-M GEMM kernels (M <= 16, LLM decoding; kernel set "avx512").
 *
 * B's scales are FOLDED: every B element enters as the float32 product decode(q) * scale(block), the
 * very floats scale_decode makes (dec16_scaled: one rounding). So an intermediate can only overflow
 * where a partial sum of the dequantized products itself does: there is no raw-code partial sum and
 * no prescaled A. Sums are blocked: FP32 partial sums over chunks of at most 256 k (dot form) or
 * 128 k (broadcast form) are added into per-element totals, so the error grows like
 * (chunk + K / chunk) ulp rather than K ulp. NaN and Inf codes and activations act as IEEE
 * arithmetic on the dequantized values says. Each element's arithmetic is independent of the row
 * range a task gets (bits never depend on the thread count).
 *
 * M <= 4, "dot" form (memory-bound: each code feeds at most 4 FMA lanes): A as rows; R rows of B at a
 * time (R = 4 for M <= 2, else 2); per 16 k each row's codes are decoded and scaled in registers and
 * multiplied into M x R vector accumulators against the A rows; one horizontal sum per element.
 * Segments end at scale-block boundaries (a new scale per row), tails are masked.
 * 4 < M <= 16, "broadcast" form (FMA-bound): A interleaved [K][16] (one zmm per k holds all rows of A;
 * rows m..15 are zero). Groups of 16 B rows: per chunk of 128 k, each row is decoded and scaled into
 * an L1 buffer by scale_decode (one call per block segment), then per k one A vector is multiplied
 * by each row's value, broadcast straight from the buffer as the FMA's memory operand.
 */
#include "../../internal/fp8_internal.h"
#ifdef FP8_HAVE_X86
#include "fp8_avx512.h"
#include "../../gemm/gemm_kernels.h"

#define DOT_CHUNK 256
#define BC_CHUNK 128
#define BC_NB 16

static size_t small_a_width_avx512(size_t m) { return m <= 4 ? 0 : 16; }

static inline void store_c(const fp8_gemm_small_job *jb, size_t i, size_t j, float v) {
    float *c = jb->c + i * jb->ldc + j;
    *c = jb->beta == 0.0f ? jb->alpha * v : jb->alpha * v + jb->beta * *c;
}

/* ---- dot form (M <= 4) ------------------------------------------------------------------------ */

/*
 * Rows j .. j + R - 1 of B against the M rows of A, 32 k per step. E4EXACT: the E4M3 decode gives the
 * exact values (VBMI tables), so the multiplier is the scale itself; otherwise 256 * scale (or * 256
 * then * scale when that overflows). Tail steps multiply under the mask, so lanes past the end stay 0
 * whatever the scale (no NaN from 0 * Inf).
 */
#define DEFINE_DOT(SUF, ATTR, H32E4, H32E5, E4EXACT)                                                   \
    ATTR static FP8_AVX512_INLINE void dot_rows_##SUF(const fp8_gemm_small_job *jb, size_t j, const int M, \
                                                      const int R, const fp8_format fmt) {             \
        const size_t K = jb->k, bc = jb->bbc;                                                          \
        const uint8_t *q[4];                                                                           \
        const float *sc[4];                                                                            \
        __m512 tot[4][4], acc[4][4];                                                                   \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                                                                  \
            q[r] = jb->b + (j + (size_t)r) * jb->ldb;                                                  \
            sc[r] = jb->bscales + ((j + (size_t)r) / jb->bbr) * jb->bnbc;                              \
            _Pragma("GCC unroll 4") for (int i = 0; i < M; i++) tot[i][r] = _mm512_setzero_ps();                               \
        }                                                                                              \
        for (size_t k0 = 0; k0 < K; k0 += DOT_CHUNK) {                                                 \
            const size_t kend = K - k0 < DOT_CHUNK ? K : k0 + DOT_CHUNK;                               \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                                \
                _Pragma("GCC unroll 4") for (int i = 0; i < M; i++) acc[i][r] = _mm512_setzero_ps();                           \
            for (size_t k = k0; k < kend;) {                                                           \
                const size_t kb = k / bc, send = (kb + 1) * bc < kend ? (kb + 1) * bc : kend;          \
                __m512 vs[4];                                                                          \
                int m256[4], any256 = 0;                                                               \
                _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                                                          \
                    float s = sc[r][kb];                                                               \
                    if (E4EXACT || fmt != FP8_E4M3) m256[r] = 0;                                       \
                    else s = fp8_avx512_mult(fmt, s, &m256[r]);                                        \
                    vs[r] = _mm512_set1_ps(s);                                                         \
                    any256 |= m256[r];                                                                 \
                }                                                                                      \
                for (; k < send; k += 32) {                                                            \
                    const size_t nk = send - k;                                                        \
                    const int full = nk >= 32;                                                         \
                    const __mmask32 m = fp8_mask32(nk);                                                \
                    __m512 a[4][2];                                                                    \
                    _Pragma("GCC unroll 4") for (int i = 0; i < M; i++) {                                                      \
                        const float *ai = jb->a + (size_t)i * jb->lda + k;                             \
                        if (full) { a[i][0] = _mm512_loadu_ps(ai); a[i][1] = _mm512_loadu_ps(ai + 16); } \
                        else {                                                                         \
                            a[i][0] = _mm512_maskz_loadu_ps((__mmask16)m, ai);                         \
                            a[i][1] = _mm512_maskz_loadu_ps((__mmask16)(m >> 16), ai + 16);            \
                        }                                                                              \
                    }                                                                                  \
                    _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {                                                      \
                        __m256i c = full ? _mm256_loadu_si256((const __m256i *)(const void *)(q[r] + k))   \
                                         : _mm256_maskz_loadu_epi8(m, q[r] + k);                       \
                        __m512i h = fmt == FP8_E4M3 ? H32E4(c) : H32E5(c);                             \
                        __m512 f0 = _mm512_cvtph_ps(_mm512_castsi512_si256(h));                        \
                        __m512 f1 = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));                  \
                        if (!E4EXACT && fmt == FP8_E4M3 && any256 && m256[r]) {                        \
                            f0 = _mm512_mul_ps(f0, _mm512_set1_ps(256.0f));                            \
                            f1 = _mm512_mul_ps(f1, _mm512_set1_ps(256.0f));                            \
                        }                                                                              \
                        if (full) { f0 = _mm512_mul_ps(f0, vs[r]); f1 = _mm512_mul_ps(f1, vs[r]); }    \
                        else {                                                                         \
                            f0 = _mm512_maskz_mul_ps((__mmask16)m, f0, vs[r]);                         \
                            f1 = _mm512_maskz_mul_ps((__mmask16)(m >> 16), f1, vs[r]);                 \
                        }                                                                              \
                        _Pragma("GCC unroll 4") for (int i = 0; i < M; i++) {                                                  \
                            acc[i][r] = _mm512_fmadd_ps(a[i][0], f0, acc[i][r]);                       \
                            acc[i][r] = _mm512_fmadd_ps(a[i][1], f1, acc[i][r]);                       \
                        }                                                                              \
                    }                                                                                  \
                    if (!full) k = send - 32; /* so that k += 32 lands on send */                      \
                }                                                                                      \
            }                                                                                          \
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                                \
                _Pragma("GCC unroll 4") for (int i = 0; i < M; i++) tot[i][r] = _mm512_add_ps(tot[i][r], acc[i][r]);           \
        }                                                                                              \
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++)                                                                    \
            _Pragma("GCC unroll 4") for (int i = 0; i < M; i++) store_c(jb, (size_t)i, j + (size_t)r, _mm512_reduce_add_ps(tot[i][r])); \
    }
DEFINE_DOT(vbmi, FP8_AVX512VBMI, h32_e4m3_vbmi, h32_e5m2_vbmi, 1)
DEFINE_DOT(shift, FP8_AVX512, h32_e4m3_shift, h32_e5m2_shift, 0)

#define DOT_INST(SUF, ATTR, M, R)                                                                  \
    ATTR static void dot_##SUF##_e4m3_##M##_##R(const fp8_gemm_small_job *jb, size_t j) { dot_rows_##SUF(jb, j, M, R, FP8_E4M3); } \
    ATTR static void dot_##SUF##_e5m2_##M##_##R(const fp8_gemm_small_job *jb, size_t j) { dot_rows_##SUF(jb, j, M, R, FP8_E5M2); }
#define DOT_INST_ALL(SUF, ATTR)                                                                    \
    DOT_INST(SUF, ATTR, 1, 4) DOT_INST(SUF, ATTR, 2, 4) DOT_INST(SUF, ATTR, 3, 2) DOT_INST(SUF, ATTR, 4, 2) \
    DOT_INST(SUF, ATTR, 1, 1) DOT_INST(SUF, ATTR, 2, 1) DOT_INST(SUF, ATTR, 3, 1) DOT_INST(SUF, ATTR, 4, 1)
DOT_INST_ALL(vbmi, FP8_AVX512VBMI)
DOT_INST_ALL(shift, FP8_AVX512)

typedef void (*dot_fn)(const fp8_gemm_small_job *, size_t);
#define DOT_TABLES(SUF)                                                                                     \
    static const dot_fn wide_##SUF[2][4] = {{dot_##SUF##_e4m3_1_4, dot_##SUF##_e4m3_2_4, dot_##SUF##_e4m3_3_2, dot_##SUF##_e4m3_4_2}, \
                                            {dot_##SUF##_e5m2_1_4, dot_##SUF##_e5m2_2_4, dot_##SUF##_e5m2_3_2, dot_##SUF##_e5m2_4_2}}; \
    static const dot_fn one_##SUF[2][4] = {{dot_##SUF##_e4m3_1_1, dot_##SUF##_e4m3_2_1, dot_##SUF##_e4m3_3_1, dot_##SUF##_e4m3_4_1}, \
                                           {dot_##SUF##_e5m2_1_1, dot_##SUF##_e5m2_2_1, dot_##SUF##_e5m2_3_1, dot_##SUF##_e5m2_4_1}};
DOT_TABLES(vbmi)
DOT_TABLES(shift)

static void small_dot(const fp8_gemm_small_job *jb, size_t j0, size_t j1, const int vb) {
    const int f = jb->bfmt == FP8_E4M3 ? 0 : 1, mi = (int)jb->m - 1;
    const dot_fn wide = vb ? wide_vbmi[f][mi] : wide_shift[f][mi], one = vb ? one_vbmi[f][mi] : one_shift[f][mi];
    const size_t R = jb->m <= 2 ? 4 : 2;
    size_t j = j0;
    for (; j + R <= j1; j += R) wide(jb, j);
    for (; j < j1; j++) one(jb, j);
}

/* ---- broadcast form (4 < M <= 16) -------------------------------------------------------------- */

/* buf[r * BC_CHUNK + (k - k0)] = decode(B[j + r][k]) * scale for k in [k0, k0 + kc), block by block. */
static void decode_chunk(const fp8_gemm_small_job *jb, size_t j, size_t nb, size_t k0, size_t kc, float *buf) {
    for (size_t r = 0; r < nb; r++) {
        const uint8_t *q = jb->b + (j + r) * jb->ldb;
        const float *sc = jb->bscales + ((j + r) / jb->bbr) * jb->bnbc;
        for (size_t k = k0; k < k0 + kc;) {
            size_t kb = k / jb->bbc, e = (kb + 1) * jb->bbc < k0 + kc ? (kb + 1) * jb->bbc : k0 + kc;
            jb->quant->scale_decode(jb->bfmt, q + k, buf + r * BC_CHUNK + (k - k0), e - k, sc[kb]);
            k = e;
        }
    }
}

/* Writes the totals of rows j .. j + nb - 1 (lane i = row i of C). */
FP8_AVX512 static FP8_AVX512_INLINE void bc_store(const fp8_gemm_small_job *jb, size_t j, size_t nb, const __m512 *tot) {
    float t[16] __attribute__((aligned(64)));
    for (size_t r = 0; r < nb; r++) {
        _mm512_store_ps(t, tot[r]);
        for (size_t i = 0; i < jb->m; i++) store_c(jb, i, j + r, t[i]);
    }
}

/* A full group of BC_NB rows: the accumulators stay in registers over a chunk. */
FP8_AVX512 static void bc_group_full(const fp8_gemm_small_job *jb, size_t j, float *buf) {
    __m512 tot[BC_NB];
    for (int r = 0; r < BC_NB; r++) tot[r] = _mm512_setzero_ps();
    for (size_t k0 = 0; k0 < jb->k; k0 += BC_CHUNK) {
        const size_t kc = jb->k - k0 < BC_CHUNK ? jb->k - k0 : BC_CHUNK;
        decode_chunk(jb, j, BC_NB, k0, kc, buf);
        __m512 acc[BC_NB];
#pragma GCC unroll 16
        for (int r = 0; r < BC_NB; r++) acc[r] = _mm512_setzero_ps();
        const float *a = jb->a + k0 * 16;
        for (size_t k = 0; k < kc; k++) {
            const __m512 av = _mm512_load_ps(a + k * 16);
#pragma GCC unroll 16
            for (int r = 0; r < BC_NB; r++) acc[r] = _mm512_fmadd_ps(av, _mm512_set1_ps(buf[r * BC_CHUNK + k]), acc[r]);
        }
#pragma GCC unroll 16
        for (int r = 0; r < BC_NB; r++) tot[r] = _mm512_add_ps(tot[r], acc[r]);
    }
    bc_store(jb, j, BC_NB, tot);
}

/* The last group of a range (nb < BC_NB rows): the same arithmetic, one row at a time. */
FP8_AVX512 static void bc_group_tail(const fp8_gemm_small_job *jb, size_t j, size_t nb, float *buf) {
    __m512 tot[BC_NB];
    for (size_t r = 0; r < nb; r++) tot[r] = _mm512_setzero_ps();
    for (size_t k0 = 0; k0 < jb->k; k0 += BC_CHUNK) {
        const size_t kc = jb->k - k0 < BC_CHUNK ? jb->k - k0 : BC_CHUNK;
        decode_chunk(jb, j, nb, k0, kc, buf);
        const float *a = jb->a + k0 * 16;
        for (size_t r = 0; r < nb; r++) {
            __m512 acc = _mm512_setzero_ps();
            for (size_t k = 0; k < kc; k++)
                acc = _mm512_fmadd_ps(_mm512_load_ps(a + k * 16), _mm512_set1_ps(buf[r * BC_CHUNK + k]), acc);
            tot[r] = _mm512_add_ps(tot[r], acc);
        }
    }
    bc_store(jb, j, nb, tot);
}

static void small_bc(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    float buf[BC_NB * BC_CHUNK] __attribute__((aligned(64)));
    size_t j = j0;
    for (; j + BC_NB <= j1; j += BC_NB) bc_group_full(jb, j, buf);
    if (j < j1) bc_group_tail(jb, j, j1 - j, buf);
}

/* The broadcast form decodes through the set's own scale_decode (jb->quant), so it serves both sets. */
static void small_m_avx512(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    if (jb->m <= 4) small_dot(jb, j0, j1, 0);
    else small_bc(jb, j0, j1);
}
static void small_m_avx512vbmi(const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    if (jb->m <= 4) small_dot(jb, j0, j1, 1);
    else small_bc(jb, j0, j1);
}

const fp8_gemm_small_kernels fp8_gemm_small_avx512 = {16, small_a_width_avx512, NULL, NULL, small_m_avx512, BC_NB};
const fp8_gemm_small_kernels fp8_gemm_small_avx512vbmi = {16, small_a_width_avx512, NULL, NULL, small_m_avx512vbmi, BC_NB};

#endif /* FP8_HAVE_X86 */
