/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bad_input_test.c - the C API's bad-input catalogue (issue 9): for every entry point, the exact
 * status of each bad argument (NULL pointers, unknown formats, rules and flags, bad shapes, counts and
 * sizes whose byte size overflows size_t, bad scales), and that every output buffer is untouched after
 * the failed call (documented exceptions are checked for their documented contents instead).
 *
 * Each CASE fills every output buffer with a sentinel, makes one call, and checks the status and the
 * sentinels. Counts that overflow come with real (small) buffers, so a call that does not reject them
 * reads or writes out of bounds or reports FP8_OK. Run by scripts/test.sh and, under ASan+UBSan, by
 * scripts/sanitize.sh; prints "bad_input_test: N passed, 0 failed (K bad-input cases)".
 */
#include <fp8.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SENT 0xA5
#define HUGE_N ((size_t)-1)

static int g_pass, g_fail, g_cases;

/* Output buffers: every failing call writes only into these (outputs) and reads the inputs below. */
static uint8_t o_q[256];
static float o_f[256], o_s[64], o_c[256];
static double o_d[4];
static size_t o_row, o_col;

static void fill_outputs(void) {
    memset(o_q, SENT, sizeof o_q);
    memset(o_f, SENT, sizeof o_f);
    memset(o_s, SENT, sizeof o_s);
    memset(o_c, SENT, sizeof o_c);
    memset(o_d, SENT, sizeof o_d);
    memset(&o_row, SENT, sizeof o_row);
    memset(&o_col, SENT, sizeof o_col);
}

static int untouched(const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != SENT) return 0;
    return 1;
}

static int outputs_untouched(void) {
    return untouched(o_q, sizeof o_q) && untouched(o_f, sizeof o_f) && untouched(o_s, sizeof o_s) &&
           untouched(o_c, sizeof o_c) && untouched(o_d, sizeof o_d) && untouched(&o_row, sizeof o_row) &&
           untouched(&o_col, sizeof o_col);
}

static void check(int ok, int line, const char *what) {
    if (ok) g_pass++;
    else { g_fail++; printf("FAIL line %d: %s\n", line, what); }
}

/* One bad input: exact status, nothing written. */
#define CASE(expect, call) do {                                                                  \
        fill_outputs();                                                                          \
        int st_ = (call);                                                                        \
        g_cases++;                                                                               \
        if (st_ != (expect)) printf("  got %d (%s), want %d\n", st_, fp8_status_string(st_), (int)(expect)); \
        check(st_ == (expect), __LINE__, #call " status");                                      \
        check(outputs_untouched(), __LINE__, #call " wrote to an output");                       \
    } while (0)

/* A valid call with nothing to do (count 0): FP8_OK, nothing written. Not counted as a bad input. */
#define EMPTY(call) do {                                                                         \
        fill_outputs();                                                                          \
        int st_ = (call);                                                                        \
        check(st_ == FP8_OK, __LINE__, #call " status");                                        \
        check(outputs_untouched(), __LINE__, #call " wrote to an output");                       \
    } while (0)

static float f32_of_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

int main(void) {
    const char *kernels = fp8_kernels(); /* the set under test (the end restores the default) */
    /* Inputs. */
    static float x[256];
    static double xd[256];
    static uint8_t q[256], e8[64];
    static float s[64];
    for (int i = 0; i < 256; i++) { x[i] = (float)(i % 17) - 8.0f; xd[i] = x[i]; q[i] = (uint8_t)(i & 0x77); }
    for (int i = 0; i < 64; i++) { s[i] = 1.0f; e8[i] = 127; }
    const fp8_format BADF = (fp8_format)2, NEGF = (fp8_format)-1;

    /* ---- codecs: format, pointers, saturate, count (fault 3: SIZE_MAX used to give FP8_OK) ---- */
    CASE(FP8_ERR_BAD_FORMAT, fp8_encode_f32(BADF, x, o_q, 4, 0));
    CASE(FP8_ERR_BAD_FORMAT, fp8_encode_f32(NEGF, x, o_q, 4, 0));
    CASE(FP8_ERR_BAD_FORMAT, fp8_encode_f32(BADF, NULL, NULL, HUGE_N, 7)); /* format first */
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f32(FP8_E4M3, NULL, o_q, 4, 0));
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f32(FP8_E4M3, x, NULL, 4, 0));
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f32(FP8_E5M2, NULL, o_q, HUGE_N, 0)); /* pointers before count */
    CASE(FP8_ERR_BAD_ARGUMENT, fp8_encode_f32(FP8_E4M3, x, o_q, 4, 2));
    CASE(FP8_ERR_BAD_ARGUMENT, fp8_encode_f32(FP8_E4M3, x, o_q, 4, -1));
    CASE(FP8_ERR_BAD_ARGUMENT, fp8_encode_f32(FP8_E4M3, x, o_q, HUGE_N, 2)); /* flag before count */
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f32(FP8_E4M3, x, o_q, HUGE_N, 0));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f32(FP8_E5M2, x, o_q, HUGE_N, 1));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f32(FP8_E4M3, x, o_q, HUGE_N / 4 + 1, 0)); /* first overflowing n */
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f32(FP8_E4M3, x, o_q, HUGE_N - 65534, 0)); /* chunk count wraps to 1 */
    EMPTY(fp8_encode_f32(FP8_E4M3, NULL, NULL, 0, 0));

    CASE(FP8_ERR_BAD_FORMAT, fp8_decode_f32(BADF, q, o_f, 4));
    CASE(FP8_ERR_NULL_POINTER, fp8_decode_f32(FP8_E4M3, NULL, o_f, 4));
    CASE(FP8_ERR_NULL_POINTER, fp8_decode_f32(FP8_E4M3, q, NULL, 4));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_decode_f32(FP8_E4M3, q, o_f, HUGE_N));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_decode_f32(FP8_E5M2, q, o_f, HUGE_N / 4 + 1)); /* dst bytes overflow */
    EMPTY(fp8_decode_f32(FP8_E5M2, NULL, NULL, 0));

    CASE(FP8_ERR_BAD_FORMAT, fp8_encode_f64(BADF, xd, o_q, 4, 0));
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f64(FP8_E4M3, NULL, o_q, 4, 0));
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f64(FP8_E4M3, xd, NULL, 4, 0));
    CASE(FP8_ERR_BAD_ARGUMENT, fp8_encode_f64(FP8_E4M3, xd, o_q, 4, 3));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f64(FP8_E4M3, xd, o_q, HUGE_N, 0));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f64(FP8_E5M2, xd, o_q, HUGE_N / 8 + 1, 0)); /* src bytes overflow */

    CASE(FP8_ERR_BAD_FORMAT, fp8_encode_f32_stochastic(BADF, x, o_q, 4, 0, 1));
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f32_stochastic(FP8_E4M3, NULL, o_q, 4, 0, 1));
    CASE(FP8_ERR_NULL_POINTER, fp8_encode_f32_stochastic(FP8_E4M3, x, NULL, 4, 0, 1));
    CASE(FP8_ERR_BAD_ARGUMENT, fp8_encode_f32_stochastic(FP8_E4M3, x, o_q, 4, 2, 1));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f32_stochastic(FP8_E4M3, x, o_q, HUGE_N, 0, 1));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_encode_f32_stochastic(FP8_E5M2, x, o_q, HUGE_N / 4 + 1, 1, 1));

    /* ---- E8M0 export: pointers, count, then every scale that is not a power of two in range ---- */
    CASE(FP8_ERR_NULL_POINTER, fp8_scales_to_e8m0(NULL, o_q, 4));
    CASE(FP8_ERR_NULL_POINTER, fp8_scales_to_e8m0(s, NULL, 4));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_scales_to_e8m0(s, o_q, HUGE_N));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_scales_to_e8m0(s, o_q, HUGE_N / 4 + 1));
    {
        /* The bad scale is last, after valid ones: the call must check all before writing any. */
        const float bad[] = {
            f32_of_bits(0x7FC00000u), f32_of_bits(0xFFC00000u), /* NaN, -NaN */
            INFINITY, -INFINITY, 0.0f, -0.0f, -1.0f, -0.5f, 3.0f, 1.5f, 0.75f,
            f32_of_bits(0x00200000u),  /* 2^-128: subnormal, below E8M0's 2^-127 */
            f32_of_bits(0x00000001u),  /* 2^-149: smallest subnormal */
            f32_of_bits(0x00400001u),  /* just above 2^-127: not a power of two */
            f32_of_bits(0x7F7FFFFFu),  /* FLT_MAX */
            f32_of_bits(0x80400000u),  /* -2^-127 */
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            float sc[4] = {1.0f, 0.5f, 2.0f, bad[i]};
            CASE(FP8_ERR_BAD_SCALE, fp8_scales_to_e8m0(sc, o_q, 4));
        }
        /* The limits are accepted: 2^-127 (a subnormal, byte 0) and 2^127 (byte 254). */
        float lim[2] = {f32_of_bits(0x00400000u), f32_of_bits(0x7F000000u)};
        uint8_t b[2];
        check(fp8_scales_to_e8m0(lim, b, 2) == FP8_OK && b[0] == 0 && b[1] == 254, __LINE__, "E8M0 limits");
    }
    EMPTY(fp8_scales_to_e8m0(NULL, NULL, 0));

    /* ---- E8M0 import ---- */
    CASE(FP8_ERR_NULL_POINTER, fp8_scales_from_e8m0(NULL, o_s, 4));
    CASE(FP8_ERR_NULL_POINTER, fp8_scales_from_e8m0(e8, NULL, 4));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_scales_from_e8m0(e8, o_s, HUGE_N));
    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_scales_from_e8m0(e8, o_s, HUGE_N / 4 + 1));
    {
        uint8_t b[4] = {127, 0, 254, 0xFF}; /* NaN last */
        CASE(FP8_ERR_BAD_SCALE, fp8_scales_from_e8m0(b, o_s, 4));
    }
    EMPTY(fp8_scales_from_e8m0(NULL, NULL, 0));

    /* ---- quantize: format, rule, shape, pointers, sizes ---- */
#define QZ(fmt, xp, rows, cols, ldx, br, bc, rule, qp, ldq, sp) \
    fp8_quantize_f32_ex(fmt, xp, rows, cols, ldx, br, bc, rule, qp, ldq, sp, &o_row, &o_col)
    CASE(FP8_ERR_BAD_FORMAT, QZ(BADF, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s));
    CASE(FP8_ERR_BAD_FORMAT, fp8_quantize_f32(NEGF, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s));
    CASE(FP8_ERR_BAD_ARGUMENT, QZ(FP8_E4M3, x, 4, 8, 8, 1, 8, (fp8_scale_rule)3, o_q, 8, o_s));
    CASE(FP8_ERR_BAD_ARGUMENT, QZ(FP8_E4M3, x, 4, 8, 8, 1, 8, (fp8_scale_rule)-1, o_q, 8, o_s));
    CASE(FP8_ERR_BAD_SHAPE, QZ(FP8_E4M3, x, 4, 8, 8, 0, 8, FP8_SCALE_AMAX, o_q, 8, o_s));
    CASE(FP8_ERR_BAD_SHAPE, QZ(FP8_E4M3, x, 4, 8, 8, 1, 0, FP8_SCALE_AMAX, o_q, 8, o_s));
    CASE(FP8_ERR_BAD_SHAPE, QZ(FP8_E4M3, x, 4, 8, 7, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s)); /* ldx < cols */
    CASE(FP8_ERR_BAD_SHAPE, QZ(FP8_E4M3, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 7, o_s)); /* ldq < cols */
    CASE(FP8_ERR_NULL_POINTER, QZ(FP8_E4M3, NULL, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s));
    CASE(FP8_ERR_NULL_POINTER, QZ(FP8_E4M3, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, NULL, 8, o_s));
    CASE(FP8_ERR_NULL_POINTER, QZ(FP8_E4M3, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, NULL));
    CASE(FP8_ERR_NULL_POINTER, fp8_quantize_f32(FP8_E4M3, NULL, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s));
    CASE(FP8_ERR_NULL_POINTER, fp8_quantize_f32(FP8_E4M3, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, NULL));
    CASE(FP8_ERR_SIZE_OVERFLOW, QZ(FP8_E4M3, x, 4, 8, HUGE_N / 2, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s)); /* x span */
    CASE(FP8_ERR_SIZE_OVERFLOW, QZ(FP8_E4M3, x, 4, 8, HUGE_N / 8, 1, 8, FP8_SCALE_AMAX, o_q, 8, o_s)); /* x bytes */
    CASE(FP8_ERR_SIZE_OVERFLOW, QZ(FP8_E4M3, x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, o_q, HUGE_N / 2, o_s)); /* q span */
    CASE(FP8_ERR_SIZE_OVERFLOW, QZ(FP8_E5M2, x, HUGE_N, 8, 8, 1, 8, FP8_SCALE_MX, o_q, 8, o_s)); /* rows */
    EMPTY(QZ(FP8_E4M3, NULL, 0, 8, 8, 1, 8, FP8_SCALE_AMAX, NULL, 8, NULL));
    EMPTY(QZ(FP8_E4M3, NULL, 4, 0, 0, 1, 8, FP8_SCALE_AMAX, NULL, 0, NULL));
    {
        /* Non-finite input: the documented exception to "writes nothing": every scale NaN, every code of
         * q's [rows, cols] the NaN code, the first bad element's position; q's padding untouched. */
        const float bads[3] = {f32_of_bits(0x7FC00000u), INFINITY, -INFINITY};
        for (int k = 0; k < 3; k++) {
            float xx[4 * 8];
            for (int i = 0; i < 32; i++) xx[i] = (float)i;
            xx[2 * 8 + 5] = bads[k];
            xx[3 * 8 + 1] = bads[(k + 1) % 3]; /* a later one is not reported */
            fill_outputs();
            int st = QZ(k == 1 ? FP8_E5M2 : FP8_E4M3, xx, 4, 8, 8, 1, 4, FP8_SCALE_AMAX, o_q, 10, o_s);
            g_cases++;
            int ok = st == FP8_ERR_NON_FINITE && o_row == 2 && o_col == 5;
            for (int i = 0; i < 8; i++) ok = ok && bits_of(o_s[i]) == 0x7FC00000u;
            ok = ok && untouched(o_s + 8, sizeof o_s - 8 * sizeof(float));
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 10; c++)
                    ok = ok && (c < 8 ? o_q[r * 10 + c] == (k == 1 ? 0x7E : 0x7F) : o_q[r * 10 + c] == SENT);
            ok = ok && untouched(o_q + 40, sizeof o_q - 40) && untouched(o_f, sizeof o_f) && untouched(o_c, sizeof o_c);
            check(ok, __LINE__, "quantize of non-finite input");
        }
    }

    /* ---- dequantize ---- */
    {
        fp8_matrix ok = {FP8_E4M3, 4, 8, 8, q, s, 1, 8}, m;
        CASE(FP8_ERR_NULL_POINTER, fp8_dequantize_f32(NULL, o_f, 8));
        m = ok; m.format = BADF;     CASE(FP8_ERR_BAD_FORMAT, fp8_dequantize_f32(&m, o_f, 8));
        m = ok; m.block_rows = 0;    CASE(FP8_ERR_BAD_SHAPE, fp8_dequantize_f32(&m, o_f, 8));
        m = ok; m.block_cols = 0;    CASE(FP8_ERR_BAD_SHAPE, fp8_dequantize_f32(&m, o_f, 8));
        m = ok; m.ld = 7;            CASE(FP8_ERR_BAD_SHAPE, fp8_dequantize_f32(&m, o_f, 8));
        m = ok;                      CASE(FP8_ERR_BAD_SHAPE, fp8_dequantize_f32(&m, o_f, 7)); /* ldx < cols */
        m = ok; m.data = NULL;       CASE(FP8_ERR_NULL_POINTER, fp8_dequantize_f32(&m, o_f, 8));
        m = ok; m.scales = NULL;     CASE(FP8_ERR_NULL_POINTER, fp8_dequantize_f32(&m, o_f, 8));
        m = ok;                      CASE(FP8_ERR_NULL_POINTER, fp8_dequantize_f32(&m, NULL, 8));
        m = ok; m.ld = HUGE_N / 2;   CASE(FP8_ERR_SIZE_OVERFLOW, fp8_dequantize_f32(&m, o_f, 8)); /* codes span */
        m = ok;                      CASE(FP8_ERR_SIZE_OVERFLOW, fp8_dequantize_f32(&m, o_f, HUGE_N / 8)); /* x bytes */
        m = ok; m.rows = HUGE_N;     CASE(FP8_ERR_SIZE_OVERFLOW, fp8_dequantize_f32(&m, o_f, 8));
        m = ok; m.rows = 0; m.data = NULL; m.scales = NULL; EMPTY(fp8_dequantize_f32(&m, NULL, 8));

        /* Scales are data, not checked: each element is decode(q) * scale, one IEEE float32 multiply
         * (fp8.h), also for NaN, 0, negative, subnormal and infinite scales. E4M3 codes 0x38 = 1,
         * 0xB8 = -1, 0x00 = +0, 0x40 = 2 (OCP: 0.0111.000 = 2^(7-7)). */
        static const uint8_t codes[4] = {0x38, 0xB8, 0x00, 0x40};
        const float vals[4] = {1.0f, -1.0f, 0.0f, 2.0f};
        const float scales[] = {f32_of_bits(0x7FC00000u), 0.0f, -0.0f, -3.0f, f32_of_bits(0x00000003u),
                                f32_of_bits(0x00400000u), INFINITY, -INFINITY};
        for (size_t k = 0; k < sizeof scales / sizeof scales[0]; k++) {
            fp8_matrix d = {FP8_E4M3, 1, 4, 4, codes, &scales[k], 1, 4};
            float out[4];
            int st = fp8_dequantize_f32(&d, out, 4);
            g_cases++;
            int same = st == FP8_OK;
            for (int i = 0; i < 4; i++) {
                volatile float want = vals[i] * scales[k]; /* the IEEE product, computed here */
                same = same && (isnan(want) ? isnan(out[i]) : bits_of(out[i]) == bits_of(want));
            }
            check(same, __LINE__, "dequantize with a NaN, zero, negative, subnormal or infinite scale");
        }
    }

    /* ---- GEMM ---- */
    {
        fp8_matrix A = {FP8_E4M3, 4, 16, 16, q, s, 1, 16}, B = {FP8_E5M2, 8, 16, 16, q, s, 8, 16}, a, b;
        CASE(FP8_ERR_NULL_POINTER, fp8_gemm(NULL, &B, 1, 0, o_c, 8));
        CASE(FP8_ERR_NULL_POINTER, fp8_gemm(&A, NULL, 1, 0, o_c, 8));
        CASE(FP8_ERR_NULL_POINTER, fp8_gemm(&A, &B, 1, 0, NULL, 8));
        a = A; a.format = BADF;      CASE(FP8_ERR_BAD_FORMAT, fp8_gemm(&a, &B, 1, 0, o_c, 8));
        b = B; b.format = NEGF;      CASE(FP8_ERR_BAD_FORMAT, fp8_gemm(&A, &b, 1, 0, o_c, 8));
        b = B; b.cols = 15; b.ld = 15; CASE(FP8_ERR_BAD_SHAPE, fp8_gemm(&A, &b, 1, 0, o_c, 8)); /* K mismatch */
        CASE(FP8_ERR_BAD_SHAPE, fp8_gemm(&A, &B, 1, 0, o_c, 7)); /* ldc < N */
        a = A; a.ld = 15;            CASE(FP8_ERR_BAD_SHAPE, fp8_gemm(&a, &B, 1, 0, o_c, 8));
        b = B; b.block_rows = 0;     CASE(FP8_ERR_BAD_SHAPE, fp8_gemm(&A, &b, 1, 0, o_c, 8));
        a = A; a.block_cols = 0;     CASE(FP8_ERR_BAD_SHAPE, fp8_gemm(&a, &B, 1, 0, o_c, 8));
        a = A; a.data = NULL;        CASE(FP8_ERR_NULL_POINTER, fp8_gemm(&a, &B, 1, 0, o_c, 8));
        b = B; b.scales = NULL;      CASE(FP8_ERR_NULL_POINTER, fp8_gemm(&A, &b, 1, 0, o_c, 8));
        a = A; a.scales = NULL;      CASE(FP8_ERR_NULL_POINTER, fp8_gemm(&a, &B, 1, 0, o_c, 8));
        b = B; b.data = NULL;        CASE(FP8_ERR_NULL_POINTER, fp8_gemm(&A, &b, 1, 0, o_c, 8));
        a = A; a.ld = HUGE_N / 2;    CASE(FP8_ERR_SIZE_OVERFLOW, fp8_gemm(&a, &B, 1, 0, o_c, 8)); /* A span */
        b = B; b.rows = HUGE_N / 2;  CASE(FP8_ERR_SIZE_OVERFLOW, fp8_gemm(&A, &b, 1, 0, o_c, HUGE_N / 2)); /* B span */
        CASE(FP8_ERR_SIZE_OVERFLOW, fp8_gemm(&A, &B, 1, 0, o_c, HUGE_N / 8)); /* C bytes */
        a = A; a.rows = 0; a.data = NULL; a.scales = NULL; EMPTY(fp8_gemm(&a, &B, 1, 0, NULL, 8));

        CASE(FP8_ERR_NULL_POINTER, fp8_gemm_f32a(4, x, 16, NULL, 1, 0, o_c, 8));
        CASE(FP8_ERR_NULL_POINTER, fp8_gemm_f32a(4, NULL, 16, &B, 1, 0, o_c, 8));
        CASE(FP8_ERR_NULL_POINTER, fp8_gemm_f32a(4, x, 16, &B, 1, 0, NULL, 8));
        b = B; b.format = BADF;      CASE(FP8_ERR_BAD_FORMAT, fp8_gemm_f32a(4, x, 16, &b, 1, 0, o_c, 8));
        b = B; b.data = NULL;        CASE(FP8_ERR_NULL_POINTER, fp8_gemm_f32a(4, x, 16, &b, 1, 0, o_c, 8));
        b = B; b.scales = NULL;      CASE(FP8_ERR_NULL_POINTER, fp8_gemm_f32a(4, x, 16, &b, 1, 0, o_c, 8));
        b = B; b.block_rows = 0;     CASE(FP8_ERR_BAD_SHAPE, fp8_gemm_f32a(4, x, 16, &b, 1, 0, o_c, 8));
        CASE(FP8_ERR_BAD_SHAPE, fp8_gemm_f32a(4, x, 15, &B, 1, 0, o_c, 8)); /* lda < K */
        CASE(FP8_ERR_BAD_SHAPE, fp8_gemm_f32a(4, x, 16, &B, 1, 0, o_c, 7)); /* ldc < N */
        CASE(FP8_ERR_SIZE_OVERFLOW, fp8_gemm_f32a(4, x, HUGE_N / 8, &B, 1, 0, o_c, 8)); /* A bytes */
        CASE(FP8_ERR_SIZE_OVERFLOW, fp8_gemm_f32a(HUGE_N / 16, x, 16, &B, 1, 0, o_c, 8)); /* m */
        EMPTY(fp8_gemm_f32a(0, NULL, 16, &B, 1, 0, NULL, 8));
    }

    /* ---- configuration ---- */
    g_cases += 5;
    check(fp8_set_num_threads(-1) == FP8_ERR_BAD_ARGUMENT, __LINE__, "set_num_threads(-1)");
    check(fp8_set_num_threads(257) == FP8_ERR_BAD_ARGUMENT, __LINE__, "set_num_threads(257)");
    check(fp8_set_kernels("no-such-set") == FP8_ERR_UNSUPPORTED && fp8_kernels_supported(fp8_kernels()),
          __LINE__, "set_kernels(unknown)");
    check(fp8_kernels_supported(NULL) == 0 && fp8_kernels_supported("") == 0, __LINE__, "kernels_supported(NULL, \"\")");
    check(strcmp(fp8_status_string(-100), "unknown status") == 0 && fp8_max_finite(BADF) == 0.0f, __LINE__,
          "unknown status / format");
    check(fp8_set_kernels(NULL) == FP8_OK && fp8_set_num_threads(0) == FP8_OK, __LINE__, "restore defaults");

    /* ---- version ---- */
    {
        char want[32];
        snprintf(want, sizeof want, "%d.%d.%d", FP8_VERSION_MAJOR, FP8_VERSION_MINOR, FP8_VERSION_PATCH);
        check(fp8_version() && strcmp(fp8_version(), want) == 0, __LINE__, "fp8_version() matches the macros");
    }

    printf("bad_input_test: %d passed, %d failed (%d bad-input cases; %s kernels)\n", g_pass, g_fail, g_cases, kernels);
    return g_fail != 0;
}
