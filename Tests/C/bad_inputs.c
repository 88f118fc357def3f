/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bad_inputs.c - the C API's bad-input catalogue: each case makes ONE call with one bad argument (or
 * an edge value whose result fp8.h defines) and asserts the EXACT status fp8.h documents, and that a
 * failed call wrote nothing: every buffer the call could reach (outputs, inputs, bad_row/bad_col) is
 * compared byte for byte with its canary-filled state before the call. Cases whose result is
 * defined (dequantize with NaN / 0 / negative / subnormal / Inf scales, E8M0 of subnormals, NaN
 * input to quantize, ...) also check the values written.
 *
 * Each case runs in a child process (fork), so a crash fails that case instead of the whole run; the
 * catalogue runs once per kernel set the CPU supports. Prints the case count and exits non-zero if
 * any case failed.
 *
 *   cc -std=c11 -O2 -Wall -Wextra -Werror -ICSupport/include Tests/C/bad_inputs.c -L.build/c -lfp8 -lm \
 *      -Wl,-rpath,$PWD/.build/c -o .build/c/bad_inputs && .build/c/bad_inputs
 *
 * Cases marked PENDING_RUNTIME need the count checks of branch `runtime` (issue 9, fault 3: a codec
 * or E8M0 count whose byte size overflows size_t must give FP8_ERR_SIZE_OVERFLOW); before that merge
 * they fail (wrong status or a crash in the child) and are listed as such.
 */
#define _POSIX_C_SOURCE 200809L
#include <fp8.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every buffer a case may pass. Inputs hold valid data, outputs a canary. */
typedef struct bufs {
    float x[256];       /* float32 input (encode, quantize, f32a A) */
    double d[64];       /* float64 input */
    uint8_t q[256];     /* codes: output of encode/quantize, input of decode/dequantize, B of GEMM */
    float s[64];        /* scales of q */
    uint8_t qa[256];    /* codes of GEMM operand A */
    float sa[64];       /* scales of qa */
    float y[256];       /* float32 output (decode, dequantize) */
    uint8_t e[64];      /* E8M0 bytes */
    float c[256];       /* GEMM C */
    size_t bad[2];      /* bad_row, bad_col */
} bufs;

#define CANARY 0xA5

static void init_bufs(bufs *b) {
    memset(b, CANARY, sizeof *b);
    for (int i = 0; i < 256; i++) b->x[i] = (float)((i % 17) - 8) * 0.25f;
    for (int i = 0; i < 64; i++) b->d[i] = (double)((i % 9) - 4) * 0.5;
    for (int i = 0; i < 256; i++) b->q[i] = (uint8_t)(0x30 + i % 16);   /* finite in both formats */
    for (int i = 0; i < 256; i++) b->qa[i] = (uint8_t)(0xB0 + i % 16);
    for (int i = 0; i < 64; i++) b->s[i] = 0.5f;
    for (int i = 0; i < 64; i++) b->sa[i] = 2.0f;
    for (int i = 0; i < 64; i++) b->e[i] = (uint8_t)(120 + i % 10);
}

/* A case: the call (returns its status), the status fp8.h documents, and for calls that succeed or
 * that document what they write on failure, a check of the bytes (returns 1 if right). */
typedef int (*call_fn)(bufs *b);
typedef int (*verify_fn)(const bufs *before, const bufs *after);
typedef struct bcase {
    const char *name;
    call_fn call;
    int expect;
    verify_fn verify; /* NULL: the call must write nothing at all */
    int pending;      /* PENDING_RUNTIME */
} bcase;
#define PENDING_RUNTIME 1

#define DEF(fn, ...) static int fn(bufs *B) { (void)B; __VA_ARGS__ }

/* The state the call starts from: taken by the runner before the case, and again by a case that
 * sets up inputs (SNAP) right before its library call. */
static bufs *g_before;
static void snap(const bufs *b) { memcpy(g_before, b, sizeof *b); }
#define SNAP snap(B)
#define SMAX SIZE_MAX

/* The base matrices: q as E4M3 [4, 8] (ld 8), blocks 1 x 8 (4 scales in s). */
static fp8_matrix mat_q(bufs *B) { fp8_matrix m = {FP8_E4M3, 4, 8, 8, B->q, B->s, 1, 8}; return m; }
/* GEMM operands: A = qa [2, 8] blocks 1 x 8; B = q [3, 8] blocks 1 x 8; C [2, 3] (ldc 3). */
static fp8_matrix mat_a(bufs *B) { fp8_matrix m = {FP8_E4M3, 2, 8, 8, B->qa, B->sa, 1, 8}; return m; }
static fp8_matrix mat_b(bufs *B) { fp8_matrix m = {FP8_E4M3, 3, 8, 8, B->q, B->s, 1, 8}; return m; }

/* ---- codecs -------------------------------------------------------------------------------------- */
DEF(enc_src_null, return fp8_encode_f32(FP8_E4M3, NULL, B->q, 4, 0);)
DEF(enc_dst_null, return fp8_encode_f32(FP8_E4M3, B->x, NULL, 4, 0);)
DEF(enc_fmt2, return fp8_encode_f32((fp8_format)2, B->x, B->q, 4, 0);)
DEF(enc_fmtneg, return fp8_encode_f32((fp8_format)-1, B->x, B->q, 4, 0);)
DEF(enc_sat2, return fp8_encode_f32(FP8_E4M3, B->x, B->q, 4, 2);)
DEF(enc_satneg, return fp8_encode_f32(FP8_E5M2, B->x, B->q, 4, -1);)
DEF(enc_nmax, return fp8_encode_f32(FP8_E4M3, B->x, B->q, SMAX, 0);)
DEF(enc_nbytes, return fp8_encode_f32(FP8_E4M3, B->x, B->q, SMAX / 4 + 1, 0);)
DEF(dec_src_null, return fp8_decode_f32(FP8_E4M3, NULL, B->y, 4);)
DEF(dec_dst_null, return fp8_decode_f32(FP8_E5M2, B->q, NULL, 4);)
DEF(dec_fmt2, return fp8_decode_f32((fp8_format)2, B->q, B->y, 4);)
DEF(dec_fmtbig, return fp8_decode_f32((fp8_format)INT_MAX, B->q, B->y, 4);)
DEF(dec_nmax, return fp8_decode_f32(FP8_E4M3, B->q, B->y, SMAX);)
DEF(dec_nbytes, return fp8_decode_f32(FP8_E4M3, B->q, B->y, SMAX / 4 + 1);)
DEF(e64_src_null, return fp8_encode_f64(FP8_E4M3, NULL, B->q, 4, 1);)
DEF(e64_dst_null, return fp8_encode_f64(FP8_E4M3, B->d, NULL, 4, 1);)
DEF(e64_fmt2, return fp8_encode_f64((fp8_format)2, B->d, B->q, 4, 1);)
DEF(e64_sat2, return fp8_encode_f64(FP8_E4M3, B->d, B->q, 4, 2);)
DEF(e64_nmax, return fp8_encode_f64(FP8_E4M3, B->d, B->q, SMAX, 0);)
DEF(e64_nbytes, return fp8_encode_f64(FP8_E4M3, B->d, B->q, SMAX / 8 + 1, 0);)
DEF(sto_src_null, return fp8_encode_f32_stochastic(FP8_E4M3, NULL, B->q, 4, 0, 1);)
DEF(sto_dst_null, return fp8_encode_f32_stochastic(FP8_E4M3, B->x, NULL, 4, 0, 1);)
DEF(sto_fmt2, return fp8_encode_f32_stochastic((fp8_format)2, B->x, B->q, 4, 0, 1);)
DEF(sto_sat2, return fp8_encode_f32_stochastic(FP8_E5M2, B->x, B->q, 4, 2, 1);)
DEF(sto_nmax, return fp8_encode_f32_stochastic(FP8_E4M3, B->x, B->q, SMAX, 0, 1);)
DEF(sto_nbytes, return fp8_encode_f32_stochastic(FP8_E4M3, B->x, B->q, SMAX / 4 + 1, 0, 1);)
/* accepted: NULL with n = 0 */
DEF(enc_null_n0, return fp8_encode_f32(FP8_E4M3, NULL, NULL, 0, 0);)
DEF(dec_null_n0, return fp8_decode_f32(FP8_E5M2, NULL, NULL, 0);)

/* ---- E8M0 ---------------------------------------------------------------------------------------- */
/* Export scale v at position 3 of 4 (the first three valid): a failure must not write even those. */
static int to_e8m0_with(bufs *B, float v) {
    B->s[0] = 1.0f; B->s[1] = 2.0f; B->s[2] = 0.25f; B->s[3] = v;
    SNAP;
    return fp8_scales_to_e8m0(B->s, B->e, 4);
}
DEF(x8_nan, return to_e8m0_with(B, NAN);)
DEF(x8_zero, return to_e8m0_with(B, 0.0f);)
DEF(x8_negzero, return to_e8m0_with(B, -0.0f);)
DEF(x8_neg, return to_e8m0_with(B, -1.0f);)
DEF(x8_inf, return to_e8m0_with(B, INFINITY);)
DEF(x8_neginf, return to_e8m0_with(B, -INFINITY);)
DEF(x8_notpow2, return to_e8m0_with(B, 1.5f);)
DEF(x8_fltmax, return to_e8m0_with(B, FLT_MAX);)
DEF(x8_sub_2m128, return to_e8m0_with(B, 0x1p-128f);)
DEF(x8_sub_min, return to_e8m0_with(B, 0x1p-149f);)
DEF(x8_sub_odd, return to_e8m0_with(B, 0x1.8p-127f);)
DEF(x8_sub_2m127, return to_e8m0_with(B, 0x1p-127f);)  /* accepted: byte 0 */
DEF(x8_2p127, return to_e8m0_with(B, 0x1p127f);)       /* accepted: byte 0xFE */
DEF(x8_null_src, return fp8_scales_to_e8m0(NULL, B->e, 4);)
DEF(x8_null_dst, return fp8_scales_to_e8m0(B->s, NULL, 4);)
/* Counts whose float size overflows; the second scale is invalid, so an unchecked count stops there. */
DEF(x8_nmax, B->s[0] = 1.0f; B->s[1] = 3.0f; SNAP; return fp8_scales_to_e8m0(B->s, B->e, SMAX);)
DEF(x8_nbytes, B->s[0] = 1.0f; B->s[1] = 3.0f; SNAP; return fp8_scales_to_e8m0(B->s, B->e, SMAX / 4 + 1);)
DEF(i8_ff_first, B->e[0] = 0xFF; SNAP; return fp8_scales_from_e8m0(B->e, B->y, 4);)
DEF(i8_ff_last, B->e[3] = 0xFF; SNAP; return fp8_scales_from_e8m0(B->e, B->y, 4);)
DEF(i8_null_src, return fp8_scales_from_e8m0(NULL, B->y, 4);)
DEF(i8_null_dst, return fp8_scales_from_e8m0(B->e, NULL, 4);)
DEF(i8_nmax, B->e[1] = 0xFF; SNAP; return fp8_scales_from_e8m0(B->e, B->y, SMAX);)
DEF(i8_nbytes, B->e[1] = 0xFF; SNAP; return fp8_scales_from_e8m0(B->e, B->y, SMAX / 4 + 1);)
DEF(i8_zero, B->e[0] = 0x00; B->e[1] = 0xFE; SNAP; return fp8_scales_from_e8m0(B->e, B->y, 2);) /* accepted */

static int v_x8_first3(const bufs *o, const bufs *n, uint8_t want3) {
    return n->e[0] == 127 && n->e[1] == 128 && n->e[2] == 125 && n->e[3] == want3 &&
           memcmp(n->e + 4, o->e + 4, sizeof o->e - 4) == 0 && memcmp(n->s, o->s, sizeof o->s) == 0;
}
static int v_x8_sub(const bufs *o, const bufs *n) { return v_x8_first3(o, n, 0x00); }
static int v_x8_max(const bufs *o, const bufs *n) { return v_x8_first3(o, n, 0xFE); }
static int v_i8_zero(const bufs *o, const bufs *n) {
    (void)o;
    uint32_t u0, u1, u2;
    memcpy(&u0, &n->y[0], 4); memcpy(&u1, &n->y[1], 4); memcpy(&u2, &n->y[2], 4);
    return u0 == 0x00400000u /* 2^-127, a subnormal */ && u1 == 0x7F000000u /* 2^127 */ && u2 == 0xA5A5A5A5u;
}
static int v_nothing(const bufs *o, const bufs *n) { return memcmp(o, n, sizeof *o) == 0; }

/* ---- quantize ------------------------------------------------------------------------------------ */
/* Base: x [4, 8] (ldx 8) -> q (ldq 8), blocks 1 x 8 (4 scales). */
#define QZ(fmt, x, rows, cols, ldx, br, bc, rule, q, ldq, s) \
    return fp8_quantize_f32((fp8_format)(fmt), x, rows, cols, ldx, br, bc, (fp8_scale_rule)(rule), q, ldq, s);
DEF(qz_x_null, QZ(FP8_E4M3, NULL, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, 8, B->s))
DEF(qz_q_null, QZ(FP8_E4M3, B->x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, NULL, 8, B->s))
DEF(qz_s_null, QZ(FP8_E4M3, B->x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, 8, NULL))
DEF(qz_fmt2, QZ(2, B->x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, 8, B->s))
DEF(qz_fmtneg, QZ(-1, B->x, 4, 8, 8, 1, 8, FP8_SCALE_POW2, B->q, 8, B->s))
DEF(qz_rule3, QZ(FP8_E4M3, B->x, 4, 8, 8, 1, 8, 3, B->q, 8, B->s))
DEF(qz_ruleneg, QZ(FP8_E5M2, B->x, 4, 8, 8, 1, 8, -1, B->q, 8, B->s))
DEF(qz_br0, QZ(FP8_E4M3, B->x, 4, 8, 8, 0, 8, FP8_SCALE_AMAX, B->q, 8, B->s))
DEF(qz_bc0, QZ(FP8_E4M3, B->x, 4, 8, 8, 1, 0, FP8_SCALE_MX, B->q, 8, B->s))
DEF(qz_ldx, QZ(FP8_E4M3, B->x, 4, 8, 7, 1, 8, FP8_SCALE_AMAX, B->q, 8, B->s))
DEF(qz_ldq, QZ(FP8_E4M3, B->x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, 7, B->s))
DEF(qz_ldx_ovf, QZ(FP8_E4M3, B->x, 2, 8, SMAX / 2, 1, 8, FP8_SCALE_AMAX, B->q, 8, B->s))
DEF(qz_ldq_ovf, QZ(FP8_E4M3, B->x, 3, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, SMAX / 2 + 1, B->s))
DEF(qz_rows_ovf, QZ(FP8_E4M3, B->x, SMAX, 1, 1, 1, 1, FP8_SCALE_AMAX, B->q, 1, B->s))
DEF(qz_nan, B->x[2 * 8 + 5] = NAN; B->x[3 * 8 + 1] = INFINITY; SNAP;
    return fp8_quantize_f32_ex(FP8_E4M3, B->x, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, 8, B->s, &B->bad[0], &B->bad[1]);)
DEF(qz_inf_e5, B->x[1 * 8 + 2] = -INFINITY; B->x[2 * 8 + 6] = NAN; SNAP;
    return fp8_quantize_f32_ex(FP8_E5M2, B->x, 3, 7, 8, 2, 4, FP8_SCALE_POW2, B->q, 8, B->s, &B->bad[0], &B->bad[1]);)
DEF(qz_ex_x_null, return fp8_quantize_f32_ex(FP8_E4M3, NULL, 4, 8, 8, 1, 8, FP8_SCALE_AMAX, B->q, 8, B->s, &B->bad[0], &B->bad[1]);)
DEF(qz_ex_rule, return fp8_quantize_f32_ex(FP8_E4M3, B->x, 4, 8, 8, 1, 8, (fp8_scale_rule)0x100, B->q, 8, B->s, &B->bad[0], &B->bad[1]);)
DEF(qz_empty_null, QZ(FP8_E4M3, NULL, 0, 8, 8, 1, 8, FP8_SCALE_AMAX, NULL, 8, NULL)) /* accepted */

/* NaN input: every scale NaN, every code of [rows, cols] the format's NaN, the rest (gaps) untouched,
 * bad_row / bad_col the first non-finite element in row-major order. */
static int v_nonfinite(const bufs *o, const bufs *n, int fmt, size_t rows, size_t cols, size_t ld, size_t nscales,
                       size_t br, size_t bc) {
    for (size_t i = 0; i < nscales; i++) if (!isnan(n->s[i])) return 0;
    if (n->s[nscales] != o->s[nscales]) return 0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < ld; j++) {
            uint8_t c = n->q[i * ld + j];
            int is_nan = fmt == FP8_E4M3 ? (c & 0x7F) == 0x7F : (c & 0x7F) > 0x7C;
            if (j < cols ? !is_nan : c != o->q[i * ld + j]) return 0;
        }
    if (memcmp(n->x, o->x, sizeof o->x) != 0) return 0;
    return n->bad[0] == br && n->bad[1] == bc;
}
static int v_qz_nan(const bufs *o, const bufs *n) { return v_nonfinite(o, n, FP8_E4M3, 4, 8, 8, 4, 2, 5); }
/* 3 x 7 in 2 x 4 blocks: 2 x 2 scales; x[0][7] (past cols) is not read. */
static int v_qz_inf_e5(const bufs *o, const bufs *n) { return v_nonfinite(o, n, FP8_E5M2, 3, 7, 8, 4, 1, 2); }

/* ---- dequantize ---------------------------------------------------------------------------------- */
DEF(dq_m_null, return fp8_dequantize_f32(NULL, B->y, 8);)
DEF(dq_data_null, fp8_matrix m = mat_q(B); m.data = NULL; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_scales_null, fp8_matrix m = mat_q(B); m.scales = NULL; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_x_null, fp8_matrix m = mat_q(B); return fp8_dequantize_f32(&m, NULL, 8);)
DEF(dq_fmt2, fp8_matrix m = mat_q(B); m.format = (fp8_format)2; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_fmtneg, fp8_matrix m = mat_q(B); m.format = (fp8_format)-7; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_br0, fp8_matrix m = mat_q(B); m.block_rows = 0; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_bc0, fp8_matrix m = mat_q(B); m.block_cols = 0; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_ld, fp8_matrix m = mat_q(B); m.ld = 7; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_ldx, fp8_matrix m = mat_q(B); return fp8_dequantize_f32(&m, B->y, 7);)
DEF(dq_ld_ovf, fp8_matrix m = mat_q(B); m.rows = 3; m.ld = SMAX / 2 + 1; return fp8_dequantize_f32(&m, B->y, 8);)
DEF(dq_ldx_ovf, fp8_matrix m = mat_q(B); m.rows = 2; return fp8_dequantize_f32(&m, B->y, SMAX / 4 + 1);)
DEF(dq_empty_null, fp8_matrix m = mat_q(B); m.rows = 0; m.data = NULL; m.scales = NULL; return fp8_dequantize_f32(&m, NULL, 8);)
/* Scales outside the usual domain: fp8.h defines x = decode(q) * scale (one float32 multiply) and
 * lists no scale check, so FP8_OK and the IEEE products. Row r uses scale s[r]; q row 0 is set to
 * 1.0 (0x38), row 1 to 0 (0x00), row 2 to -2.0 (0xC0), row 3 to 448 (0x7E), so each row shows one
 * product. */
static int dq_with_scale(bufs *B, float v) {
    for (int j = 0; j < 8; j++) { B->q[j] = 0x38; B->q[8 + j] = 0x00; B->q[16 + j] = 0xC0; B->q[24 + j] = 0x7E; }
    for (int r = 0; r < 4; r++) B->s[r] = v;
    SNAP;
    fp8_matrix m = mat_q(B);
    return fp8_dequantize_f32(&m, B->y, 8);
}
DEF(dq_s_nan, return dq_with_scale(B, NAN);)
DEF(dq_s_zero, return dq_with_scale(B, 0.0f);)
DEF(dq_s_negzero, return dq_with_scale(B, -0.0f);)
DEF(dq_s_neg, return dq_with_scale(B, -0.5f);)
DEF(dq_s_sub, return dq_with_scale(B, 0x1p-140f);)
DEF(dq_s_inf, return dq_with_scale(B, INFINITY);)
DEF(dq_s_huge, return dq_with_scale(B, 0x1p127f);)
static int v_dq(const bufs *n, float v) {
    const float want[4] = {1.0f * v, 0.0f * v, -2.0f * v, 448.0f * v};
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < 8; j++) {
            float got = n->y[r * 8 + j];
            if (isnan(want[r]) ? !isnan(got) : memcmp(&got, &want[r], 4) != 0) return 0;
        }
    uint32_t u;
    memcpy(&u, &n->y[32], 4);
    return u == 0xA5A5A5A5u;
}
static int v_dq_nan(const bufs *o, const bufs *n) { (void)o; return v_dq(n, NAN); }
static int v_dq_zero(const bufs *o, const bufs *n) { (void)o; return v_dq(n, 0.0f); }
static int v_dq_negzero(const bufs *o, const bufs *n) { (void)o; return v_dq(n, -0.0f); }
static int v_dq_neg(const bufs *o, const bufs *n) { (void)o; return v_dq(n, -0.5f); }
static int v_dq_sub(const bufs *o, const bufs *n) { (void)o; return v_dq(n, 0x1p-140f); }
static int v_dq_inf(const bufs *o, const bufs *n) { (void)o; return v_dq(n, INFINITY); }
static int v_dq_huge(const bufs *o, const bufs *n) { (void)o; return v_dq(n, 0x1p127f); }

/* ---- GEMM ---------------------------------------------------------------------------------------- */
#define GEMM_A(stmt) fp8_matrix a = mat_a(B), b = mat_b(B); stmt; return fp8_gemm(&a, &b, 1.0f, 0.0f, B->c, 3);
DEF(g_a_null, fp8_matrix b = mat_b(B); return fp8_gemm(NULL, &b, 1.0f, 0.0f, B->c, 3);)
DEF(g_b_null, fp8_matrix a = mat_a(B); return fp8_gemm(&a, NULL, 1.0f, 0.0f, B->c, 3);)
DEF(g_c_null, fp8_matrix a = mat_a(B), b = mat_b(B); return fp8_gemm(&a, &b, 1.0f, 0.0f, NULL, 3);)
DEF(g_a_data_null, GEMM_A(a.data = NULL))
DEF(g_a_scales_null, GEMM_A(a.scales = NULL))
DEF(g_b_data_null, GEMM_A(b.data = NULL))
DEF(g_b_scales_null, GEMM_A(b.scales = NULL))
DEF(g_a_fmt, GEMM_A(a.format = (fp8_format)2))
DEF(g_b_fmt, GEMM_A(b.format = (fp8_format)-1))
DEF(g_k_mismatch, GEMM_A(b.cols = 7))
DEF(g_a_ld, GEMM_A(a.ld = 7))
DEF(g_b_ld, GEMM_A(b.ld = 7))
DEF(g_a_br0, GEMM_A(a.block_rows = 0))
DEF(g_a_bc0, GEMM_A(a.block_cols = 0))
DEF(g_b_br0, GEMM_A(b.block_rows = 0))
DEF(g_b_bc0, GEMM_A(b.block_cols = 0))
DEF(g_ldc, fp8_matrix a = mat_a(B), b = mat_b(B); return fp8_gemm(&a, &b, 1.0f, 0.0f, B->c, 2);)
DEF(g_a_ld_ovf, GEMM_A(a.ld = SMAX))
DEF(g_b_ld_ovf, GEMM_A(b.ld = SMAX / 2 + 1))
DEF(g_ldc_ovf, fp8_matrix a = mat_a(B), b = mat_b(B); return fp8_gemm(&a, &b, 1.0f, 0.0f, B->c, SMAX / 4 + 1);)
/* M = 20 (the packed path, M > 16): same checks */
DEF(g_big_ldc, fp8_matrix a = mat_a(B), b = mat_b(B); a.rows = 20; return fp8_gemm(&a, &b, 1.0f, 0.0f, B->c, 2);)
DEF(g_big_c_null, fp8_matrix a = mat_a(B), b = mat_b(B); a.rows = 20; return fp8_gemm(&a, &b, 1.0f, 1.0f, NULL, 3);)
/* accepted: M = 0 with C NULL; K = 0 with beta = 0 writes zeros without reading C (NaN there) */
DEF(g_m0_c_null, fp8_matrix a = mat_a(B), b = mat_b(B); a.rows = 0; a.data = NULL; return fp8_gemm(&a, &b, 1.0f, 0.0f, NULL, 3);)
DEF(g_k0, fp8_matrix a = mat_a(B), b = mat_b(B); a.cols = b.cols = 0; a.data = b.data = NULL; a.scales = b.scales = NULL;
    for (int i = 0; i < 6; i++) B->c[i] = NAN;
    SNAP;
    return fp8_gemm(&a, &b, 1.0f, 0.0f, B->c, 3);)
static int v_g_k0(const bufs *o, const bufs *n) {
    (void)o;
    for (int i = 0; i < 6; i++) if (n->c[i] != 0.0f) return 0;
    uint32_t u;
    memcpy(&u, &n->c[6], 4);
    return u == 0xA5A5A5A5u;
}

#define F32A(stmt) fp8_matrix b = mat_b(B); size_t m = 2, lda = 8, ldc = 3; const float *a = B->x; float *c = B->c; stmt; \
    return fp8_gemm_f32a(m, a, lda, &b, 1.0f, 0.0f, c, ldc);
DEF(f_b_null, return fp8_gemm_f32a(2, B->x, 8, NULL, 1.0f, 0.0f, B->c, 3);)
DEF(f_a_null, F32A(a = NULL))
DEF(f_c_null, F32A(c = NULL))
DEF(f_b_data_null, F32A(b.data = NULL))
DEF(f_b_scales_null, F32A(b.scales = NULL))
DEF(f_b_fmt, F32A(b.format = (fp8_format)5))
DEF(f_lda, F32A(lda = 7))
DEF(f_ldc, F32A(ldc = 2))
DEF(f_b_ld, F32A(b.ld = 7))
DEF(f_b_br0, F32A(b.block_rows = 0))
DEF(f_b_bc0, F32A(b.block_cols = 0))
DEF(f_lda_ovf, F32A(lda = SMAX / 4 + 1))
DEF(f_m_ovf, F32A(m = SMAX))
DEF(f_ldc_ovf, F32A(ldc = SMAX / 4 + 1))
DEF(f_big_lda, F32A(m = 20; lda = 7))
DEF(f_m0_null, F32A(m = 0; a = NULL; c = NULL)) /* accepted */

/* ---- run-time configuration ---------------------------------------------------------------------- */
/* A rejected thread count leaves the count unchanged. */
static int set_threads_checked(int n) {
    int before = fp8_num_threads();
    int st = fp8_set_num_threads(n);
    if (fp8_num_threads() != before) return 1; /* not a status: the check below fails */
    return st;
}
DEF(t_neg, return set_threads_checked(-1);)
DEF(t_257, return set_threads_checked(257);)
DEF(t_intmin, return set_threads_checked(INT_MIN);)
/* An unknown set: FP8_ERR_UNSUPPORTED and the best set in use (the same one as after NULL). */
static int set_kernels_checked(const char *name) {
    fp8_set_kernels(NULL);
    const char *best = fp8_kernels();
    fp8_set_kernels("scalar");
    int st = fp8_set_kernels(name);
    if (strcmp(fp8_kernels(), best) != 0) return 1;
    return st;
}
DEF(k_bogus, return set_kernels_checked("bogus");)
DEF(k_upper, return set_kernels_checked("SCALAR");)
DEF(k_suffix, return set_kernels_checked("avx2 ");)
/* Not statuses, but bad inputs with documented results: 0 if right. */
DEF(s_unknown, return strcmp(fp8_status_string(-100), "unknown status") || strcmp(fp8_status_string(1), "unknown status");)
DEF(s_maxfinite, return fp8_max_finite((fp8_format)2) != 0.0f || fp8_max_finite((fp8_format)-1) != 0.0f;)
DEF(s_supported_null, return fp8_kernels_supported(NULL) != 0 || fp8_kernels_supported("") != 0;)

static const bcase k_cases[] = {
    {"encode_f32: src NULL, n 4", enc_src_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"encode_f32: dst NULL, n 4", enc_dst_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"encode_f32: format 2", enc_fmt2, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"encode_f32: format -1", enc_fmtneg, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"encode_f32: saturate 2", enc_sat2, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"encode_f32: saturate -1", enc_satneg, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"encode_f32: n SIZE_MAX", enc_nmax, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"encode_f32: n SIZE_MAX/4+1 (bytes overflow)", enc_nbytes, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"decode_f32: src NULL, n 4", dec_src_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"decode_f32: dst NULL, n 4", dec_dst_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"decode_f32: format 2", dec_fmt2, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"decode_f32: format INT_MAX", dec_fmtbig, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"decode_f32: n SIZE_MAX", dec_nmax, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"decode_f32: n SIZE_MAX/4+1 (bytes overflow)", dec_nbytes, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"encode_f64: src NULL, n 4", e64_src_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"encode_f64: dst NULL, n 4", e64_dst_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"encode_f64: format 2", e64_fmt2, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"encode_f64: saturate 2", e64_sat2, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"encode_f64: n SIZE_MAX", e64_nmax, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"encode_f64: n SIZE_MAX/8+1 (bytes overflow)", e64_nbytes, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"stochastic: src NULL, n 4", sto_src_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"stochastic: dst NULL, n 4", sto_dst_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"stochastic: format 2", sto_fmt2, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"stochastic: saturate 2", sto_sat2, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"stochastic: n SIZE_MAX", sto_nmax, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"stochastic: n SIZE_MAX/4+1 (bytes overflow)", sto_nbytes, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"encode_f32: NULL, NULL, n 0 (accepted)", enc_null_n0, FP8_OK, v_nothing, 0},
    {"decode_f32: NULL, NULL, n 0 (accepted)", dec_null_n0, FP8_OK, v_nothing, 0},

    {"scales_to_e8m0: NaN", x8_nan, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: 0", x8_zero, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: -0", x8_negzero, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: -1", x8_neg, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: +Inf", x8_inf, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: -Inf", x8_neginf, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: 1.5 (not a power of two)", x8_notpow2, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: FLT_MAX", x8_fltmax, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: subnormal 2^-128", x8_sub_2m128, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: subnormal 2^-149", x8_sub_min, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: subnormal 1.5 * 2^-127", x8_sub_odd, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_to_e8m0: subnormal 2^-127 -> 0x00 (accepted)", x8_sub_2m127, FP8_OK, v_x8_sub, 0},
    {"scales_to_e8m0: 2^127 -> 0xFE (accepted)", x8_2p127, FP8_OK, v_x8_max, 0},
    {"scales_to_e8m0: scales NULL, n 4", x8_null_src, FP8_ERR_NULL_POINTER, NULL, 0},
    {"scales_to_e8m0: e8m0 NULL, n 4", x8_null_dst, FP8_ERR_NULL_POINTER, NULL, 0},
    {"scales_to_e8m0: n SIZE_MAX", x8_nmax, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"scales_to_e8m0: n SIZE_MAX/4+1 (bytes overflow)", x8_nbytes, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"scales_from_e8m0: 0xFF first", i8_ff_first, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_from_e8m0: 0xFF last", i8_ff_last, FP8_ERR_BAD_SCALE, NULL, 0},
    {"scales_from_e8m0: e8m0 NULL, n 4", i8_null_src, FP8_ERR_NULL_POINTER, NULL, 0},
    {"scales_from_e8m0: scales NULL, n 4", i8_null_dst, FP8_ERR_NULL_POINTER, NULL, 0},
    {"scales_from_e8m0: n SIZE_MAX", i8_nmax, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"scales_from_e8m0: n SIZE_MAX/4+1 (bytes overflow)", i8_nbytes, FP8_ERR_SIZE_OVERFLOW, NULL, PENDING_RUNTIME},
    {"scales_from_e8m0: 0x00 -> 2^-127 subnormal (accepted)", i8_zero, FP8_OK, v_i8_zero, 0},

    {"quantize: x NULL", qz_x_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"quantize: q NULL", qz_q_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"quantize: scales NULL", qz_s_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"quantize: format 2", qz_fmt2, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"quantize: format -1", qz_fmtneg, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"quantize: rule 3", qz_rule3, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"quantize: rule -1", qz_ruleneg, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"quantize: block_rows 0", qz_br0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"quantize: block_cols 0", qz_bc0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"quantize: ldx < cols", qz_ldx, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"quantize: ldq < cols", qz_ldq, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"quantize: ldx SIZE_MAX/2, 2 rows (bytes overflow)", qz_ldx_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"quantize: ldq SIZE_MAX/2+1, 3 rows", qz_ldq_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"quantize: rows SIZE_MAX", qz_rows_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"quantize_ex: NaN and Inf in x (E4M3, AMAX)", qz_nan, FP8_ERR_NON_FINITE, v_qz_nan, 0},
    {"quantize_ex: -Inf in x (E5M2, POW2, 2x4 blocks, ldq gap)", qz_inf_e5, FP8_ERR_NON_FINITE, v_qz_inf_e5, 0},
    {"quantize_ex: x NULL", qz_ex_x_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"quantize_ex: rule 0x100", qz_ex_rule, FP8_ERR_BAD_ARGUMENT, NULL, 0},
    {"quantize: 0 rows, all NULL (accepted)", qz_empty_null, FP8_OK, v_nothing, 0},

    {"dequantize: m NULL", dq_m_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"dequantize: m->data NULL", dq_data_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"dequantize: m->scales NULL", dq_scales_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"dequantize: x NULL", dq_x_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"dequantize: format 2", dq_fmt2, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"dequantize: format -7", dq_fmtneg, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"dequantize: block_rows 0", dq_br0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"dequantize: block_cols 0", dq_bc0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"dequantize: ld < cols", dq_ld, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"dequantize: ldx < cols", dq_ldx, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"dequantize: ld SIZE_MAX/2+1, 3 rows", dq_ld_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"dequantize: ldx SIZE_MAX/4+1, 2 rows (bytes overflow)", dq_ldx_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"dequantize: 0 rows, all NULL (accepted)", dq_empty_null, FP8_OK, v_nothing, 0},
    {"dequantize: scale NaN -> NaN (documented x = decode(q) * scale)", dq_s_nan, FP8_OK, v_dq_nan, 0},
    {"dequantize: scale 0 -> +-0", dq_s_zero, FP8_OK, v_dq_zero, 0},
    {"dequantize: scale -0 -> -+0", dq_s_negzero, FP8_OK, v_dq_negzero, 0},
    {"dequantize: scale -0.5 -> negated products", dq_s_neg, FP8_OK, v_dq_neg, 0},
    {"dequantize: scale 2^-140 (subnormal) -> subnormal products", dq_s_sub, FP8_OK, v_dq_sub, 0},
    {"dequantize: scale +Inf -> Inf, and NaN for code 0", dq_s_inf, FP8_OK, v_dq_inf, 0},
    {"dequantize: scale 2^127 -> Inf where 448 * scale overflows", dq_s_huge, FP8_OK, v_dq_huge, 0},

    {"gemm: a NULL", g_a_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: b NULL", g_b_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: c NULL", g_c_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: a->data NULL", g_a_data_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: a->scales NULL", g_a_scales_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: b->data NULL", g_b_data_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: b->scales NULL", g_b_scales_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: a format 2", g_a_fmt, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"gemm: b format -1", g_b_fmt, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"gemm: K mismatch (8 vs 7)", g_k_mismatch, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: a->ld < K", g_a_ld, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: b->ld < K", g_b_ld, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: a block_rows 0", g_a_br0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: a block_cols 0", g_a_bc0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: b block_rows 0", g_b_br0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: b block_cols 0", g_b_bc0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: ldc < N", g_ldc, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: a->ld SIZE_MAX, 2 rows", g_a_ld_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"gemm: b->ld SIZE_MAX/2+1, 3 rows", g_b_ld_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"gemm: ldc SIZE_MAX/4+1 (bytes overflow)", g_ldc_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"gemm: M 20, ldc < N", g_big_ldc, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm: M 20, c NULL, beta 1", g_big_c_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm: M 0, c NULL (accepted)", g_m0_c_null, FP8_OK, v_nothing, 0},
    {"gemm: K 0, beta 0, C NaN -> 0 (accepted)", g_k0, FP8_OK, v_g_k0, 0},

    {"gemm_f32a: b NULL", f_b_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm_f32a: a NULL", f_a_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm_f32a: c NULL", f_c_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm_f32a: b->data NULL", f_b_data_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm_f32a: b->scales NULL", f_b_scales_null, FP8_ERR_NULL_POINTER, NULL, 0},
    {"gemm_f32a: b format 5", f_b_fmt, FP8_ERR_BAD_FORMAT, NULL, 0},
    {"gemm_f32a: lda < K", f_lda, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm_f32a: ldc < N", f_ldc, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm_f32a: b->ld < K", f_b_ld, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm_f32a: b block_rows 0", f_b_br0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm_f32a: b block_cols 0", f_b_bc0, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm_f32a: lda SIZE_MAX/4+1 (bytes overflow)", f_lda_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"gemm_f32a: m SIZE_MAX", f_m_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"gemm_f32a: ldc SIZE_MAX/4+1 (bytes overflow)", f_ldc_ovf, FP8_ERR_SIZE_OVERFLOW, NULL, 0},
    {"gemm_f32a: m 20, lda < K", f_big_lda, FP8_ERR_BAD_SHAPE, NULL, 0},
    {"gemm_f32a: m 0, a and c NULL (accepted)", f_m0_null, FP8_OK, v_nothing, 0},

    {"set_num_threads: -1 (count unchanged)", t_neg, FP8_ERR_BAD_ARGUMENT, v_nothing, 0},
    {"set_num_threads: 257 (count unchanged)", t_257, FP8_ERR_BAD_ARGUMENT, v_nothing, 0},
    {"set_num_threads: INT_MIN (count unchanged)", t_intmin, FP8_ERR_BAD_ARGUMENT, v_nothing, 0},
    {"set_kernels: \"bogus\" (best set in use)", k_bogus, FP8_ERR_UNSUPPORTED, v_nothing, 0},
    {"set_kernels: \"SCALAR\" (names are case-sensitive)", k_upper, FP8_ERR_UNSUPPORTED, v_nothing, 0},
    {"set_kernels: \"avx2 \" (trailing space)", k_suffix, FP8_ERR_UNSUPPORTED, v_nothing, 0},
    {"status_string: -100 and 1 -> \"unknown status\"", s_unknown, 0, v_nothing, 0},
    {"max_finite: formats 2 and -1 -> 0", s_maxfinite, 0, v_nothing, 0},
    {"kernels_supported: NULL and \"\" -> 0", s_supported_null, 0, v_nothing, 0},
};
#define NCASES (sizeof k_cases / sizeof k_cases[0])

/* Child: 0 pass, 1 wrong status, 2 a failed call wrote, 3 wrong output. */
static int run_child(const bcase *c, const char *set) {
    if (fp8_set_kernels(set) != FP8_OK) return 4;
    bufs *b = malloc(sizeof *b); /* exact size: ASan reports any access past it */
    g_before = malloc(sizeof *b);
    init_bufs(b);
    snap(b);
    int st = c->call(b);
    if (st != c->expect) {
        fprintf(stderr, "    status %d (%s), want %d (%s)\n", st, fp8_status_string(st), c->expect,
                fp8_status_string(c->expect));
        return 1;
    }
    if (c->verify) return c->verify(g_before, b) ? 0 : 3;
    if (memcmp(g_before, b, sizeof *b) != 0) {
        fprintf(stderr, "    the failed call wrote to a buffer\n");
        return 2;
    }
    free(b);
    free(g_before);
    return 0;
}

int main(void) {
    const char *all[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
    size_t failed = 0, pending_failed = 0, runs = 0;
    for (size_t si = 0; si < sizeof all / sizeof all[0]; si++) {
        /* fp8_kernels_supported in a child too: the parent never uses the library (fork safety). */
        pid_t p = fork();
        if (p == 0) _exit(fp8_kernels_supported(all[si]) ? 0 : 1);
        int ws;
        waitpid(p, &ws, 0);
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) continue;
        for (size_t i = 0; i < NCASES; i++) {
            const bcase *c = &k_cases[i];
            fflush(stdout);
            fflush(stderr);
            pid_t pid = fork();
            if (pid == 0) _exit(run_child(c, all[si]));
            waitpid(pid, &ws, 0);
            runs++;
            int ok = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
            if (ok) continue;
            const char *why = !WIFEXITED(ws) ? "crashed" : WEXITSTATUS(ws) == 1 ? "wrong status"
                              : WEXITSTATUS(ws) == 2 ? "wrote on failure" : WEXITSTATUS(ws) == 3 ? "wrong output"
                              : "could not select the kernel set";
            if (c->pending) {
                pending_failed++;
                printf("FAIL [%s] %s: %s  (PENDING_RUNTIME: needs the count checks of branch runtime)\n", all[si],
                       c->name, why);
            } else {
                failed++;
                printf("FAIL [%s] %s: %s\n", all[si], c->name, why);
            }
        }
    }
    printf("bad-input catalogue: %zu distinct cases, %zu runs over the supported kernel sets: %zu failed "
           "(%zu of them PENDING_RUNTIME)\n", (size_t)NCASES, runs, failed + pending_failed, pending_failed);
    return failed + pending_failed ? 1 : 0;
}
