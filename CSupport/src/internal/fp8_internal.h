/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp8_internal.h - NOT API. Shared by the library's C sources only.
 *
 * Architecture ("reference first, then override", as in BLIS):
 *   codec/, quant/, gemm/   portable drivers: argument checks, blocking, threading
 *   kernels/<isa>/          the hot loops, one kernel set per ISA, each filling the same tables
 *   runtime/                CPU detection, the ONE table of kernel sets, thread pool, statuses
 */
#ifndef FP8_INTERNAL_H
#define FP8_INTERNAL_H

#include "../../include/fp8.h"
/* Every system header a library source uses, included BEFORE the visibility pragma below: a function
 * declared while it is in force is taken to be defined inside libfp8.so, so a libc or libm function
 * declared after it fails to link ("hidden symbol ... isn't defined"). A source that needs another
 * system header includes it here. (Compiler intrinsics headers hold only inline functions and may
 * come later.) */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

/* Only the fp8.h API (marked FP8_API) is exported from a shared libfp8: everything declared or defined
 * from here on, in this header and in every library source that includes it, is hidden. A pragma
 * rather than -fvisibility=hidden, so the SwiftPM target (which cannot pass compiler flags) and a
 * plain `cc -shared` build export the same symbols. scripts/c-packaging.sh (run by scripts/test.sh)
 * lists the exports and fails on any name fp8.h does not declare. */
#if defined(__GNUC__) && !defined(_WIN32)
#pragma GCC visibility push(hidden)
#endif

#if defined(__x86_64__) || defined(_M_X64)
#define FP8_HAVE_X86 1
#endif
#if defined(__aarch64__) && defined(__ARM_NEON)
#define FP8_HAVE_NEON 1
#endif

/* ---- format traits (one place for every constant) ------------------------------------------- */

/* E4M3: exponent 4, mantissa 3, bias 7; no inf; NaN = S.1111.111.
 *   max finite 0.1111.110 = (1 + 6/8) * 2^(15 - 7) = 448; min normal 2^-6; min subnormal 2^-9.
 * E5M2: exponent 5, mantissa 2, bias 15; inf = S.11111.00; NaN = S.11111.{01,10,11}.
 *   max finite 0.11110.11 = (1 + 3/4) * 2^(30 - 15) = 57344; min normal 2^-14; min subnormal 2^-16. */
#define FP8_E4M3_MAX 448.0f
#define FP8_E5M2_MAX 57344.0f

static inline float fp8_f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t fp8_bits_from_f32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline int fp8_format_valid(int fmt) { return fmt == FP8_E4M3 || fmt == FP8_E5M2; }

/* ---- kernel tables --------------------------------------------------------------------------- */

/* Codecs over a contiguous range. Every set must give the scalar set's bits exactly. */
typedef struct fp8_codec_kernels {
    void (*encode)(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate);
    void (*decode)(fp8_format fmt, const uint8_t *src, float *dst, size_t n);
    /* Optional (NULL = use the above): the same results written with non-temporal stores, for
     * arrays much larger than the caches. */
    void (*encode_stream)(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate);
    void (*decode_stream)(fp8_format fmt, const uint8_t *src, float *dst, size_t n);
    /* bfloat16 / binary16 <-> float32 (required in every set): the bits of the fp8_*16_1 functions
     * below, whatever the floating-point environment (rounding mode, FTZ/DAZ), raising no
     * FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW. */
    void (*bf16_from_f32)(const float *src, uint16_t *dst, size_t n);
    void (*bf16_to_f32)(const uint16_t *src, float *dst, size_t n);
    void (*f16_from_f32)(const float *src, uint16_t *dst, size_t n);
    void (*f16_to_f32)(const uint16_t *src, float *dst, size_t n);
} fp8_codec_kernels;

/* ---- bfloat16 / binary16 reference conversions (integer arithmetic on the bits only) ---------- */

/* float32 -> bfloat16: round the low 16 bits to nearest even (a carry into the exponent is right,
 * and FLT_MAX rounds to Inf); NaN keeps its sign and top payload bits with the quiet bit set. */
static inline uint16_t fp8_bf16_from_f32_1(uint32_t u) {
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1)) >> 16);
}
/* bfloat16 -> float32: exact (the top half of the float32); a NaN gets the quiet bit set. */
static inline uint32_t fp8_bf16_to_f32_1(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    return (h & 0x7FFF) > 0x7F80 ? u | 0x400000u : u;
}
/* float32 -> binary16 (1.5.10, bias 15): round to nearest even once; |x| >= 65520 (and Inf) gives
 * +-Inf; float32 values below 2^-14 go to the subnormal grid of 2^-24 (float32 subnormals give +-0);
 * NaN gives sign | 0x7E00 | the top 10 payload bits (quiet bit set). */
static inline uint16_t fp8_f16_from_f32_1(uint32_t u) {
    uint32_t sign = (u >> 16) & 0x8000, a = u & 0x7FFFFFFFu, code;
    if (a > 0x7F800000u) return (uint16_t)(sign | 0x7E00 | ((a >> 13) & 0x3FF));
    if (a >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);      /* 65520 = 65504 + half an ulp */
    if (a >= 0x38800000u) {                                      /* 2^-14: binary16 normal */
        code = ((a + 0xFFFu + ((a >> 13) & 1)) >> 13) - (112u << 10);
    } else {                                                     /* quanta of 2^-24 */
        uint32_t e = a >> 23, sig = e ? ((a & 0x7FFFFF) | 0x800000) : a;
        unsigned sh = 126 - (e ? e : 1);                         /* >= 14 */
        code = sh >= 32 ? 0 : (sig + ((1u << (sh - 1)) - 1) + ((sig >> sh) & 1)) >> sh;
    }
    return (uint16_t)(sign | code);
}
/* binary16 -> float32: exact; a NaN keeps its sign and payload and gets the quiet bit set. */
static inline uint32_t fp8_f16_to_f32_1(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1F, m = h & 0x3FF;
    if (e == 31) return sign | 0x7F800000u | (m << 13) | (m ? 0x400000u : 0);
    if (e != 0) return sign | ((e + 112) << 23) | (m << 13);
    if (m == 0) return sign;
    /* subnormal m * 2^-24: normalise m (leading bit at position p) into a float32 normal */
    unsigned p = 9;
    while (!(m >> p)) p--;
    return sign | ((p + 103) << 23) | ((m << (23 - p)) & 0x7FFFFF);
}

/* Quantization building blocks over one contiguous row segment of a block. */
typedef struct fp8_quant_kernels {
    /* max over i of (bits(x[i]) & 0x7FFFFFFF): the float amax when finite; >= 0x7F800000 means a NaN
     * or Inf is present. 0 for n = 0. Integer compare, so it is exact and set-independent. */
    uint32_t (*amax_bits)(const float *x, size_t n);
    /* q[i] = encode_saturating(x[i] * inv_scale) (one float32 multiply, then one rounding). */
    void (*scale_encode)(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale);
    /* q[i] = encode_saturating(x[i] / scale) (one IEEE float32 division, then one rounding):
     * fp8_quant_options.true_division. scale is finite, positive and normal. */
    void (*scale_encode_div)(fp8_format fmt, const float *x, uint8_t *q, size_t n, float scale);
    /* x[i] = decode(q[i]) * scale (one float32 multiply). Also used by GEMM packing. */
    void (*scale_decode)(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale);
    /* NULL if the kernels' bits never depend on the floating-point environment; otherwise returns 1
     * when the calling thread's environment is one they are exact in (the driver checks once per
     * call and uses the scalar set if not; the pool runs workers in the caller's environment). */
    int (*fp_env_ok)(void);
    /* Optional (NULL = the driver uses amax_bits + scale_encode per tile). 1 x bc tiles of one row
     * segment, fused so each tile is read from memory once: x[0, n) is cut into tiles of bc elements
     * (the last may be partial); tile t gets scales[t] = fp8_rule_scale(fmt, rule, amax_bits(tile),
     * floor_bits)
     * and q[i] = encode_saturating(x[i] * (1.0f / scales[t])), the same bits as the unfused path.
     * A tile holding NaN or Inf is skipped (its scale and codes are left untouched) and the return
     * value is then 1, else 0. Only called when fp8_quantize_tiles_bc_ok(bc). */
    int (*quantize_tiles)(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, const float *x,
                          uint8_t *q, size_t n, size_t bc, float *scales);
    /* Optional (NULL = the driver widens pieces into an L1 buffer and calls the float32 kernels):
     * the same three operations read straight from a binary16 or bfloat16 source (t is FP8_DTYPE_F16
     * or FP8_DTYPE_BF16), widening in registers, with the bits of the float32 kernels on the widened
     * values (amax_bits_h returns the float32 amax_bits of the widened values). quantize_tiles_h may
     * decline a tile width by returning -1 (nothing written). */
    uint32_t (*amax_bits_h)(fp8_dtype t, const uint16_t *x, size_t n);
    void (*scale_encode_h)(fp8_format fmt, fp8_dtype t, const uint16_t *x, uint8_t *q, size_t n, float inv_scale);
    int (*quantize_tiles_h)(fp8_format fmt, fp8_scale_rule rule, uint32_t floor_bits, fp8_dtype t,
                            const uint16_t *x, uint8_t *q, size_t n, size_t bc, float *scales);
} fp8_quant_kernels;

/* The tile widths quantize_tiles must handle: a whole number of 32-element (4-vector) groups up to
 * 128, so a tile fits in 16 AVX2 registers (1 x 128 DeepSeek activations, 1 x 32 MX). */
static inline int fp8_quantize_tiles_bc_ok(size_t bc) { return bc % 32 == 0 && bc <= 128 && bc > 0; }

struct fp8_gemm_kernels; /* defined in gemm/gemm_kernels.h */

typedef struct fp8_kernel_set {
    const char *name;
    /* 1: may be chosen by default on a CPU that supports it. A set is marked so only once it has
     * passed the whole test suite on real hardware of that ISA AND been measured faster there than the
     * set chosen before it; otherwise it runs only when forced (FP8_KERNELS, fp8_set_kernels). */
    int by_default;
    const fp8_codec_kernels *codec;
    const fp8_quant_kernels *quant;
    const struct fp8_gemm_kernels *gemm;
} fp8_kernel_set;

/* The active set (chosen once, lazily; thread-safe to call). */
const fp8_kernel_set *fp8_active_kernels(void);
/* The scalar set, always present: the reference the others are tested against. */
const fp8_kernel_set *fp8_scalar_kernels(void);

extern const fp8_codec_kernels fp8_codec_scalar;
extern const fp8_quant_kernels fp8_quant_scalar;
#ifdef FP8_HAVE_X86
extern const fp8_codec_kernels fp8_codec_avx2;
extern const fp8_quant_kernels fp8_quant_avx2;
extern const fp8_codec_kernels fp8_codec_avx512;
extern const fp8_quant_kernels fp8_quant_avx512;
extern const fp8_codec_kernels fp8_codec_avx512vbmi;
extern const fp8_quant_kernels fp8_quant_avx512vbmi;
/* The avx2 set's bfloat16 / binary16 conversions (kernels/avx2/half_avx2.c). */
void fp8_bf16_from_f32_avx2(const float *src, uint16_t *dst, size_t n);
void fp8_bf16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);
void fp8_f16_from_f32_avx2(const float *src, uint16_t *dst, size_t n);
void fp8_f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);
/* The avx512 sets' (kernels/avx512/half_avx512.c). */
void fp8_bf16_from_f32_avx512(const float *src, uint16_t *dst, size_t n);
void fp8_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
void fp8_f16_from_f32_avx512(const float *src, uint16_t *dst, size_t n);
void fp8_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
int fp8_cpu_has_avx2_fma_f16c(void);
/* AVX-512 F, BW, VL and DQ (and AVX2/FMA/F16C), with the OS saving opmask and ZMM state. */
int fp8_cpu_has_avx512(void);
/* AVX512_VBMI (byte permutes), on top of fp8_cpu_has_avx512. */
int fp8_cpu_has_avx512vbmi(void);
#endif
#ifdef FP8_HAVE_NEON
extern const fp8_codec_kernels fp8_codec_neon;
extern const fp8_quant_kernels fp8_quant_neon;
/* The neon set's bfloat16 / binary16 conversions (kernels/neon/half_neon.c). */
void fp8_bf16_from_f32_neon(const float *src, uint16_t *dst, size_t n);
void fp8_bf16_to_f32_neon(const uint16_t *src, float *dst, size_t n);
void fp8_f16_from_f32_neon(const float *src, uint16_t *dst, size_t n);
void fp8_f16_to_f32_neon(const uint16_t *src, float *dst, size_t n);
#endif

/* Scalar reference conversions (kernels/scalar/codec_scalar.c), used by every set for tails. */
uint8_t fp8_encode1(fp8_format fmt, float x, int saturate);
uint8_t fp8_encode1_f64(fp8_format fmt, double x, int saturate);
float fp8_decode1(fp8_format fmt, uint8_t code);
void fp8_bf16_from_f32_scalar(const float *src, uint16_t *dst, size_t n);
void fp8_bf16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);
void fp8_f16_from_f32_scalar(const float *src, uint16_t *dst, size_t n);
void fp8_f16_to_f32_scalar(const uint16_t *src, float *dst, size_t n);

/* ---- threads (runtime/threadpool.c) ---------------------------------------------------------- */

typedef void (*fp8_task_fn)(void *ctx, size_t task);

/* Run fn(ctx, t) for every t in [0, ntasks) on up to fp8_num_threads() threads (the caller is one of
 * them) and return when all are done. Tasks must write disjoint outputs. Nested or concurrent calls
 * run serially on the calling thread, so this never deadlocks. */
void fp8_parallel_for(size_t ntasks, fp8_task_fn fn, void *ctx);

/* Frees the GEMM's cached workspaces (gemm/gemm_workspace.c); fp8_release_threads calls it. */
void fp8_gemm_workspace_release_all(void);

/* ---- checked size arithmetic ----------------------------------------------------------------- */

/* 1 if n elements of `elem` bytes do not fit in size_t (the byte size of an array of n). */
static inline int fp8_count_overflows(size_t n, size_t elem) { return elem != 0 && n > (size_t)-1 / elem; }

static inline int fp8_mul_overflows(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > (size_t)-1 / a) return 1;
    *out = a * b;
    return 0;
}
/* Elements spanned by a [rows, cols] matrix with leading dimension ld: (rows-1)*ld + cols. */
static inline int fp8_span_overflows(size_t rows, size_t cols, size_t ld, size_t *out) {
    size_t t;
    if (rows == 0 || cols == 0) { *out = 0; return 0; }
    if (fp8_mul_overflows(rows - 1, ld, &t)) return 1;
    if (t > (size_t)-1 - cols) return 1;
    *out = t + cols;
    return 0;
}

#endif /* FP8_INTERNAL_H */
