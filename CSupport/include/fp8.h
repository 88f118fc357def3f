/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fp8.h - exact OCP FP8 (E4M3, E5M2) codecs, fine-grained block quantization and a
 * tile-wise scaled FP8 GEMM with FP32 accumulation, for ordinary CPUs.
 *
 * This is the library's only public C header. The library is plain C11 + pthreads + libm. To build
 * and install libfp8.so, libfp8.a, this header and the pkg-config file fp8.pc (PREFIX and DESTDIR are
 * honoured), then compile a program against the installation:
 *
 *     make -C CSupport
 *     make -C CSupport install PREFIX=/usr/local
 *     cc app.c $(pkg-config --cflags --libs fp8) -o app
 *
 * (for a prefix pkg-config does not search, set PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig, and
 * LD_LIBRARY_PATH=$PREFIX/lib to run the program). Or without make, from the repository root:
 *
 *     cc -O2 -shared -fPIC -ICSupport/include $(find CSupport/src -name '*.c') -lpthread -lm -o libfp8.so
 *     cc -O2 -ICSupport/include app.c -L. -lfp8 -Wl,-rpath,. -o app
 *
 * Only the functions declared here are exported from the shared library.
 *
 * Conventions that hold for every function below
 * -----------------------------------------------
 * - Every function that can fail returns an `int` status: FP8_OK (0) on success, a negative
 *   fp8_status on bad arguments. A failing call never crashes, never writes past the sizes it was
 *   given and (unless stated) writes nothing at all. `fp8_status_string` names every status.
 * - NULL pointers are accepted only where the element count is 0.
 * - Matrices are row-major. `ld` ("leading dimension") is the distance in ELEMENTS between the starts
 *   of consecutive rows and must be >= the number of columns.
 * - The caller owns every buffer; the library keeps no pointer after a call returns.
 * - Kernel sets ("scalar", "avx2", "avx512", "avx512vbmi", "neon") are chosen once at run time from
 *   CPUID/XGETBV (x86-64) or the build target (arm64); FP8_KERNELS=<name> forces one. "avx512" needs
 *   AVX-512 F/BW/VL/DQ with opmask and ZMM state enabled by the OS, "avx512vbmi" also AVX512_VBMI
 *   (it decodes FP8 through byte-permute tables). A set is chosen by default only once it has passed
 *   the whole test suite on hardware of its ISA and been measured faster there than the set it would
 *   replace: the default is "avx2" on x86-64 with AVX2 (the avx512 sets pass on AMD Zen 4 but are
 *   not faster there, and are not yet measured on Intel), "neon" on arm64. Every set gives bit-identical
 *   codec and quantization results; GEMM results agree within the documented error bound.
 * - Floating-point exceptions: with the traps of FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW enabled
 *   (feenableexcept), no kernel set raises one on a call where the scalar set raises none, and the
 *   results are the bits of a call with the traps masked. The codecs (the bfloat16 / binary16
 *   conversions included) and quantization raise none of them, whatever the input (signalling NaNs included); dequantization raises what decode(q) * scale
 *   raises (FE_INVALID for 0 * Inf, FE_OVERFLOW when the product overflows); the GEMM raises them only
 *   for a signalling NaN input, an infinity in the dequantized operands (0 * Inf, Inf - Inf), or a
 *   sum near overflow (see fp8_gemm). One caveat for the GEMM, whose kernel sets add in different
 *   orders: where the outcome depends on that order (a dot product holding infinities of both signs
 *   and a NaN, or partial sums within rounding of FLT_MAX) one set may raise where another does not.
 *   FE_UNDERFLOW and FE_INEXACT are not covered (ordinary rounding raises them; the avx2 encoder
 *   raises FE_INEXACT). Pool threads run in the caller's floating-point environment, traps included.
 * - Large operations use a small persistent pthread pool; FP8_NUM_THREADS=N or fp8_set_num_threads
 *   sets the thread count (default: the number of online CPUs). Results never depend on it. Its
 *   workers start at the first large call; fp8_release_threads stops them.
 * - Thread safety: all functions may be called concurrently from several threads, except
 *   fp8_set_kernels, which must not race with other calls. fp8_set_num_threads may be called at any
 *   time from any thread; a call already running keeps the count it started with.
 * - fork(): the pool is fork-safe. A pthread_atfork handler resets the pool in the child (which has
 *   none of the parent's threads), and the child's first large call starts new workers. This holds
 *   also when another thread of the parent was inside a call at the fork: that call goes on in the
 *   parent only. Every function may be called in the child (as after any fork() of a threaded
 *   process, this relies on malloc and pthread_create working in the child, as they do in glibc).
 */
#ifndef FP8_H
#define FP8_H

#include <stddef.h>
#include <stdint.h>

/* Marks the exported API. Everything else in the library is hidden (see src/internal/fp8_internal.h). */
#if defined(__GNUC__) && !defined(_WIN32)
#define FP8_API __attribute__((visibility("default")))
#else
#define FP8_API
#endif

/* The library version (semantic versioning); fp8_version() gives the built library's. */
#define FP8_VERSION_MAJOR 0
#define FP8_VERSION_MINOR 5
#define FP8_VERSION_PATCH 0

#ifdef __cplusplus
extern "C" {
#endif

/** The version of the library in use, "MAJOR.MINOR.PATCH" (e.g. "0.5.0"): static, never NULL. It
 *  equals the FP8_VERSION_* macros a program was compiled with unless it runs on another build. */
FP8_API const char *fp8_version(void);

/* ------------------------------------------------------------------------------------------------
 * Status codes
 * ---------------------------------------------------------------------------------------------- */

/** Status returned by every fallible function. 0 is success; every error is negative. */
typedef enum fp8_status {
    FP8_OK = 0,
    FP8_ERR_NULL_POINTER = -1,   /**< a required pointer was NULL while its count was > 0 */
    FP8_ERR_BAD_FORMAT = -2,     /**< the fp8_format value is not one of the enumerators */
    FP8_ERR_BAD_ARGUMENT = -3,   /**< a flag or enum argument is out of range (e.g. saturate not 0/1) */
    FP8_ERR_BAD_SHAPE = -4,      /**< zero block size, ld < cols, mismatched inner dimensions, ... */
    FP8_ERR_SIZE_OVERFLOW = -5,  /**< a size product (rows * ld, ...) does not fit in size_t */
    FP8_ERR_NON_FINITE = -6,     /**< quantization input contains NaN or +-Inf */
    FP8_ERR_BAD_SCALE = -7,      /**< a scale is not finite and positive, or not representable */
    FP8_ERR_NO_MEMORY = -8,      /**< a temporary buffer could not be allocated */
    FP8_ERR_UNSUPPORTED = -9     /**< the requested kernel set is unknown or not supported here */
} fp8_status;

/** A static, human-readable description of `status` (never NULL; "unknown status" if unknown). */
FP8_API const char *fp8_status_string(int status);

/* ------------------------------------------------------------------------------------------------
 * Formats
 * ---------------------------------------------------------------------------------------------- */

/**
 * FP8 formats (OCP OFP8 v1.0).
 *  - FP8_E4M3 ("e4m3fn"): 1.4.3, bias 7, max finite 448 (0x7E), min normal 2^-6, min subnormal 2^-9,
 *    NaN = 0x7F/0xFF only, no infinity, -0 = 0x80.
 *  - FP8_E5M2: 1.5.2, bias 15, max finite 57344 (0x7B), min normal 2^-14, min subnormal 2^-16,
 *    +-Inf = 0x7C/0xFC, NaN = 0x7D-0x7F/0xFD-0xFF, -0 = 0x80. It is the top byte of an IEEE binary16.
 */
typedef enum fp8_format { FP8_E4M3 = 0, FP8_E5M2 = 1 } fp8_format;

/** Largest finite value of `fmt` (448 or 57344), or 0 for an unknown format. */
FP8_API float fp8_max_finite(fp8_format fmt);

/* ------------------------------------------------------------------------------------------------
 * Codecs: float32/float64 <-> FP8
 * ---------------------------------------------------------------------------------------------- */

/**
 * Encode n float32 values to FP8 codes, rounding to nearest, ties to even, once.
 *
 * saturate = 0 (OCP "no saturation", identical to ml_dtypes / PyTorch): a result whose magnitude rounds
 * above the max finite becomes NaN (E4M3: 0x7F/0xFF) or +-Inf (E5M2: 0x7C/0xFC); +-Inf input gives NaN
 * (E4M3) or +-Inf (E5M2).
 * saturate = 1 (SATFINITE): such results, and +-Inf, clamp to +-max finite.
 * In both modes NaN input gives a quiet NaN code with the input's sign (E4M3 0x7F, E5M2 0x7E), -0.0
 * gives 0x80, and results do not depend on the FPU's flush-to-zero / denormals-are-zero modes.
 *
 * src and dst may not overlap. Returns FP8_OK, FP8_ERR_BAD_FORMAT, FP8_ERR_BAD_ARGUMENT (saturate not
 * 0 or 1), FP8_ERR_NULL_POINTER (src or dst NULL with n > 0) or FP8_ERR_SIZE_OVERFLOW (n * 4 bytes,
 * the size of src, does not fit in size_t), checked in this order; a failed call writes nothing.
 */
FP8_API int fp8_encode_f32(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate);

/**
 * Decode n FP8 codes to float32 (exact: every FP8 value is a float32). NaN codes decode to a quiet
 * NaN with the code's sign (E4M3: sign | 0x7FC00000; E5M2: the binary16 NaN widened, payload kept,
 * quiet bit set). Same statuses as fp8_encode_f32 (minus the saturate check; FP8_ERR_SIZE_OVERFLOW
 * when n * 4 bytes, the size of dst, does not fit in size_t).
 */
FP8_API int fp8_decode_f32(fp8_format fmt, const uint8_t *src, float *dst, size_t n);

/**
 * Encode n float64 values, rounding ONCE from the double (never through float32):
 * -431.99999999999994 gives -416 in E4M3. Overflow rules and statuses as fp8_encode_f32
 * (FP8_ERR_SIZE_OVERFLOW when n * 8 bytes, the size of src, does not fit in size_t).
 */
FP8_API int fp8_encode_f64(fp8_format fmt, const double *src, uint8_t *dst, size_t n, int saturate);

/**
 * Stochastic rounding: each value rounds up to the next FP8 value above it (in magnitude) with
 * probability (|x| - lo) / (hi - lo), where lo <= |x| < hi are its FP8 neighbours (beyond the max
 * finite the next step is the virtual value one quantum above it, which then overflows as in
 * fp8_encode_f32). The random draw for element i is a pure function of (seed, i), so the output is
 * identical for identical seeds whatever the thread count or kernel set. Probabilities are exact to
 * 2^-32. Statuses as fp8_encode_f32.
 */
FP8_API int fp8_encode_f32_stochastic(fp8_format fmt, const float *src, uint8_t *dst, size_t n,
                                      int saturate, uint64_t seed);

/* ------------------------------------------------------------------------------------------------
 * bfloat16 and IEEE binary16 ("float16", "half")
 * ---------------------------------------------------------------------------------------------- */

/**
 * Element types of the non-FP8 side of a conversion.
 *  - FP8_DTYPE_F32:  IEEE binary32 (`float`).
 *  - FP8_DTYPE_F16:  IEEE binary16, 1.5.10, bias 15, max finite 65504, min normal 2^-14, min
 *    subnormal 2^-24; stored as its bit pattern in a uint16_t (C's _Float16, Swift's Float16).
 *  - FP8_DTYPE_BF16: bfloat16, 1.8.7, the top 16 bits of a float32 (same exponent range, subnormals
 *    included); stored as its bit pattern in a uint16_t (PyTorch/ml_dtypes `bfloat16`).
 * Every E4M3 and E5M2 value is exactly an F16 and a BF16 value.
 */
typedef enum fp8_dtype { FP8_DTYPE_F32 = 0, FP8_DTYPE_F16 = 1, FP8_DTYPE_BF16 = 2 } fp8_dtype;

/**
 * float32 -> bfloat16, n elements: round to nearest, ties to even, on the low 16 bits of each float
 * (|x| >= 0x1.ffp+127, the largest bf16 0x1.fep+127 plus half an ulp, gives +-Inf, as does
 * +-Inf); float32 subnormals are kept (they round to bf16 subnormals); a NaN becomes a quiet NaN
 * with its sign and its top 7 payload bits ((bits >> 16) | 0x0040). The same bits as ml_dtypes'
 * `bfloat16` cast for every non-NaN input (Tests/C/half_test.c checks its vectors). Bits never
 * depend on the rounding mode or on FTZ/DAZ (MXCSR, FPCR) and no floating-point exception is
 * raised. src and dst may not overlap.
 * Returns FP8_OK, FP8_ERR_NULL_POINTER (src or dst NULL with n > 0) or FP8_ERR_SIZE_OVERFLOW (n * 4
 * bytes, the size of src, does not fit in size_t), checked in this order; a failed call writes nothing.
 */
FP8_API int fp8_bf16_from_f32(const float *src, uint16_t *dst, size_t n);

/**
 * bfloat16 -> float32, n elements: exact (bits << 16); a signalling NaN becomes quiet (bit 22 set),
 * sign and payload kept. Statuses as fp8_bf16_from_f32 (n * 4 bytes is the size of dst).
 */
FP8_API int fp8_bf16_to_f32(const uint16_t *src, float *dst, size_t n);

/**
 * float32 -> IEEE binary16, n elements: round to nearest, ties to even, once (IEEE 754
 * convertFormat; the same bits as numpy's `astype(float16)` for every non-NaN input): |x| >=
 * 65520 (65504 plus half an ulp) and +-Inf give +-Inf; values below 2^-14 round to the subnormal grid
 * of 2^-24 (float32 subnormals give +-0); a NaN becomes sign | 0x7E00 | its top 10 payload bits (a
 * quiet NaN). Independent of the rounding mode and FTZ/DAZ; no floating-point exception is raised.
 * Statuses as fp8_bf16_from_f32.
 */
FP8_API int fp8_f16_from_f32(const float *src, uint16_t *dst, size_t n);

/**
 * IEEE binary16 -> float32, n elements: exact, subnormals included (independent of DAZ); a NaN keeps
 * its sign and payload (shifted up 13 bits) and becomes quiet. Statuses as fp8_bf16_from_f32 (n * 4
 * bytes is the size of dst).
 */
FP8_API int fp8_f16_to_f32(const uint16_t *src, float *dst, size_t n);

/**
 * Encode n values of type src_type (src points at float, or at uint16_t bit patterns for F16 and BF16)
 * to FP8 codes. Rounds ONCE, from the source value: an F16 or BF16 value is exact in float32, so the
 * result is bitwise fp8_encode_f32 of its float32 widening (fp8_f16_to_f32 / fp8_bf16_to_f32), with the
 * saturate rules of fp8_encode_f32. FP8_DTYPE_F32 is exactly fp8_encode_f32.
 * Returns FP8_OK, FP8_ERR_BAD_FORMAT, FP8_ERR_BAD_ARGUMENT (src_type not an fp8_dtype),
 * FP8_ERR_NULL_POINTER (src or dst NULL with n > 0), FP8_ERR_BAD_ARGUMENT (saturate not 0 or 1) or
 * FP8_ERR_SIZE_OVERFLOW (n elements of src_type do not fit in size_t), checked in this order; a
 * failed call writes nothing.
 */
FP8_API int fp8_encode(fp8_format fmt, fp8_dtype src_type, const void *src, uint8_t *dst, size_t n, int saturate);

/**
 * Decode n FP8 codes to dst_type (dst points at float, or at uint16_t for F16 and BF16). Exact for
 * every non-NaN code (every E4M3 and E5M2 value is an F16 and a BF16 value; E5M2 +-Inf gives +-Inf).
 * A NaN code gives the float32 NaN of fp8_decode_f32 narrowed by fp8_f16_from_f32 / fp8_bf16_from_f32:
 * a quiet NaN with the code's sign (E4M3: F16 0x7E00, BF16 0x7FC0, with the sign bit 0x8000; E5M2
 * codes 0x7D-0x7F: F16 0x7F00, 0x7E00, 0x7F00, BF16 0x7FE0, 0x7FC0, 0x7FE0). FP8_DTYPE_F32 is exactly
 * fp8_decode_f32. src and dst may not overlap. Statuses as fp8_encode minus the saturate check
 * (FP8_ERR_SIZE_OVERFLOW: n elements of dst_type do not fit in size_t).
 */
FP8_API int fp8_decode(fp8_format fmt, const uint8_t *src, fp8_dtype dst_type, void *dst, size_t n);

/* ------------------------------------------------------------------------------------------------
 * Block-scaled quantization
 * ---------------------------------------------------------------------------------------------- */

/**
 * How a block's float32 dequantization scale s is chosen from its absolute maximum amax
 * (x ~= decode(q) * s; the scale stored is the DEQUANTIZATION scale, as in DeepSeek-V3/DeepGEMM).
 *  - FP8_SCALE_AMAX: s = amax / max_finite (float32 division).
 *  - FP8_SCALE_POW2: that value rounded UP to a power of two (DeepGEMM UE8M0 scales).
 *  - FP8_SCALE_MX:   s = 2^(floor(log2(amax)) - emax_elem), emax_elem = 8 (E4M3) or 15 (E5M2), OCP MX.
 * amax is first raised to at least max_finite * 2^-126 (so s >= 2^-126 is normal and 1/s is finite);
 * an all-zero block therefore gets a tiny finite positive scale. Elements are then encoded
 * saturating as encode(x * (1/s)) with 1/s rounded to float32.
 */
typedef enum fp8_scale_rule { FP8_SCALE_AMAX = 0, FP8_SCALE_POW2 = 1, FP8_SCALE_MX = 2 } fp8_scale_rule;

/**
 * An FP8 matrix with block scales, as read by fp8_dequantize_f32 and fp8_gemm (nothing is owned).
 * Codes are row-major [rows, cols] with leading dimension ld >= cols (elements). Block (i, j) covers
 * rows [i*block_rows, ...) and cols [j*block_cols, ...); partial blocks at the right/bottom edges are
 * ordinary blocks. scales is row-major [ceil(rows/block_rows), ceil(cols/block_cols)] with no padding:
 * the layout of DeepSeek-V3's `weight_scale_inv` when block_rows = block_cols = 128.
 */
typedef struct fp8_matrix {
    fp8_format format;
    size_t rows, cols, ld;        /* row-major codes, ld >= cols (in elements) */
    const uint8_t *data;
    const float *scales;          /* row-major [ceil(rows/block_rows), ceil(cols/block_cols)] */
    size_t block_rows, block_cols;
} fp8_matrix;

/**
 * Quantize x[rows, cols] (leading dimension ldx) into codes q (leading dimension ldq) and one scale
 * per block_rows x block_cols block, stored row-major in scales[ceil(rows/block_rows) *
 * ceil(cols/block_cols)]. Granularities: per-tensor = (rows, cols), per-row = (1, cols), DeepSeek
 * activations = (1, 128), DeepSeek weights = (128, 128), MX = (1, 32) with FP8_SCALE_MX.
 *
 * rows or cols = 0 is a valid empty call. Errors: FP8_ERR_BAD_FORMAT, FP8_ERR_BAD_ARGUMENT (rule),
 * FP8_ERR_NULL_POINTER, FP8_ERR_BAD_SHAPE (block size 0, ldx or ldq < cols), FP8_ERR_SIZE_OVERFLOW,
 * FP8_ERR_NON_FINITE (x holds NaN or +-Inf: then every scale is set to NaN and every code of q to the
 * format's NaN, so nothing looks valid). Only q's [rows, cols] elements are written.
 */
FP8_API int fp8_quantize_f32(fp8_format fmt, const float *x, size_t rows, size_t cols, size_t ldx,
                             size_t block_rows, size_t block_cols, fp8_scale_rule rule,
                             uint8_t *q, size_t ldq, float *scales);

/**
 * As fp8_quantize_f32; on FP8_ERR_NON_FINITE also stores the row and column of the first non-finite
 * element in row-major order into *bad_row / *bad_col (either pointer may be NULL).
 */
FP8_API int fp8_quantize_f32_ex(fp8_format fmt, const float *x, size_t rows, size_t cols, size_t ldx,
                                size_t block_rows, size_t block_cols, fp8_scale_rule rule,
                                uint8_t *q, size_t ldq, float *scales, size_t *bad_row, size_t *bad_col);

/**
 * Options of fp8_quantize (NULL options = { FP8_SCALE_AMAX, 0, 0, NULL }, fp8_quantize_f32's behaviour).
 *  - rule: as fp8_scale_rule above.
 *  - amax_floor: each block's amax is first raised to at least this (float32, finite, >= 0, else
 *    FP8_ERR_BAD_ARGUMENT); 0, or any value below the default floor max_finite * 2^-126, means the
 *    default. DeepSeek-V3 (`act_quant`) and DeepGEMM (`per_token_cast_to_fp8`,
 *    `per_block_cast_to_fp8`) use 1e-4: an all-zero tile then gets s = 1e-4 / 448.
 *  - true_division: 0 codes are encode(x * fl(1/s)) (DeepGEMM's `x * (1.0 / sf)`); 1 codes are
 *    encode(x / s), one IEEE float32 division (DeepSeek-V3 `act_quant`, ONNX QuantizeLinear). The two
 *    disagree on about 5e-4 of the codes of bf16-valued data (FP8-REFERENCE.md).
 *  - static_scales: non-NULL means no amax is used for the scales: block (i, j) gets
 *    static_scales[i * nbc + j] (the layout of the output scales; static activation scales, the
 *    `input_scale` tensors of FP8 checkpoints). Each must be finite, positive and normal (>= 2^-126,
 *    so that 1/s is finite), else FP8_ERR_BAD_SCALE before anything is written. An element whose
 *    x * (1/s) or x / s exceeds the format's range encodes as +-max finite (saturating), and that
 *    float32 step may raise FE_OVERFLOW (the only floating-point exception quantization can raise).
 *    rule and amax_floor are then unused; the scales are still copied into `scales` when it is not
 *    NULL (it may be NULL, or equal to static_scales).
 * Scale rules with a floor f: AMAX s = max(amax, f) / max_finite; POW2 rounds that up to a power of
 * two on the bits (DeepGEMM `ceil_to_ue8m0`); MX as above with max(amax, f).
 */
typedef struct fp8_quant_options {
    fp8_scale_rule rule;
    float amax_floor;           /* amax is raised to at least this; 0 = the default floor (max_finite * 2^-126).
                                   DeepSeek-V3 and DeepGEMM use 1e-4. */
    int true_division;          /* 0: encode(x * fl(1/s)); 1: encode(x / s), IEEE division
                                   (DeepSeek-V3 act_quant, ONNX QuantizeLinear) */
    const float *static_scales; /* non-NULL: use these scales (same layout as the output scales),
                                   compute no amax: static activation scales, input_scale tensors */
} fp8_quant_options;

/**
 * Quantize x[rows, cols] of element type src_type (float32, binary16 or bfloat16 as uint16_t bits;
 * leading dimension ldx in elements) into codes q (leading dimension ldq) and one float32
 * dequantization scale per block_rows x block_cols block, as fp8_quantize_f32 does with the options
 * opt (NULL: defaults). A binary16 or bfloat16 source gives exactly the codes and scales of quantizing
 * its float32 widening (every such value is a float32; the widening is done in small L1-sized pieces
 * inside the quantizer, never as a separate pass over x).
 * Errors, in this order: FP8_ERR_BAD_FORMAT; FP8_ERR_BAD_ARGUMENT (src_type, rule, amax_floor NaN,
 * Inf or negative, true_division not 0 or 1); FP8_ERR_BAD_SHAPE; FP8_ERR_NULL_POINTER (x, q, or
 * scales when there are no static scales); FP8_ERR_SIZE_OVERFLOW; FP8_ERR_BAD_SCALE (a static scale
 * not finite, positive and normal; nothing written); FP8_ERR_NON_FINITE (x holds NaN or +-Inf, with or
 * without static scales: every code of q becomes the format's NaN and every scale written becomes NaN).
 * rows or cols = 0 is a valid empty call.
 */
FP8_API int fp8_quantize(fp8_format fmt, fp8_dtype src_type, const void *x, size_t rows, size_t cols, size_t ldx,
                         size_t block_rows, size_t block_cols, const fp8_quant_options *opt,
                         uint8_t *q, size_t ldq, float *scales);

/**
 * As fp8_quantize; on FP8_ERR_NON_FINITE also stores the row and column of the first non-finite
 * element in row-major order into *bad_row / *bad_col (either pointer may be NULL).
 */
FP8_API int fp8_quantize_ex(fp8_format fmt, fp8_dtype src_type, const void *x, size_t rows, size_t cols,
                            size_t ldx, size_t block_rows, size_t block_cols, const fp8_quant_options *opt,
                            uint8_t *q, size_t ldq, float *scales, size_t *bad_row, size_t *bad_col);

/**
 * Dequantize m into x[m->rows, m->cols] (leading dimension ldx): x = decode(q) * scale(block), one
 * float32 multiply per element. Errors: FP8_ERR_NULL_POINTER, FP8_ERR_BAD_FORMAT, FP8_ERR_BAD_SHAPE,
 * FP8_ERR_SIZE_OVERFLOW.
 */
FP8_API int fp8_dequantize_f32(const fp8_matrix *m, float *x, size_t ldx);

/**
 * Dequantize m into x[m->rows, m->cols] of element type dst_type (leading dimension ldx, elements):
 * the float32 product decode(q) * scale(block), rounded once to nearest even into binary16 or
 * bfloat16 (NaN stays NaN, overflow gives +-Inf; the fp8_bf16_from_f32 / fp8_f16_from_f32 rules).
 * For bfloat16 this is DeepSeek-V3's `weight_dequant` (`fp8_cast_bf16.py`) bit for bit, partial
 * blocks included. Errors: FP8_ERR_NULL_POINTER, FP8_ERR_BAD_FORMAT, FP8_ERR_BAD_ARGUMENT (dst_type),
 * FP8_ERR_BAD_SHAPE, FP8_ERR_SIZE_OVERFLOW.
 */
FP8_API int fp8_dequantize(const fp8_matrix *m, fp8_dtype dst_type, void *x, size_t ldx);

/**
 * Export n power-of-two scales as E8M0 bytes (value 2^(byte - 127), 0xFF = NaN, as MX stores them).
 * Fails with FP8_ERR_BAD_SCALE, writing nothing, if any scale is not an exact power of two in
 * [2^-127, 2^127]. Other errors: FP8_ERR_NULL_POINTER (a pointer NULL with n > 0), then
 * FP8_ERR_SIZE_OVERFLOW (n * 4 bytes does not fit in size_t), both checked before any scale is read.
 */
FP8_API int fp8_scales_to_e8m0(const float *scales, uint8_t *e8m0, size_t n);

/**
 * Import n E8M0 bytes as float32 scales. Fails with FP8_ERR_BAD_SCALE, writing nothing, if a byte is
 * 0xFF (NaN). Note 0x00 (2^-127) is a float32 subnormal. Other errors as fp8_scales_to_e8m0.
 */
FP8_API int fp8_scales_from_e8m0(const uint8_t *e8m0, float *scales, size_t n);

/* ------------------------------------------------------------------------------------------------
 * GEMM: C = alpha * deq(A) * deq(B)^T + beta * C, FP32 accumulation
 * ---------------------------------------------------------------------------------------------- */

/**
 * C[M,N] = alpha * deq(A)[M,K] * deq(B)[N,K]^T + beta * C, with M = a->rows, N = b->rows,
 * K = a->cols = b->cols; both operands K-contiguous ("NT"); any formats and block shapes.
 * C is float32 row-major with leading dimension ldc >= N. beta = 0 never reads C (it may hold NaN).
 *
 * How the scales enter (products are always accumulated in FP32 with FMA):
 *  - folded (M > 16, and every M on the scalar, NEON, avx512 and avx512vbmi sets): each element of
 *    B (and, when packed, of A) becomes the float32 product decode(q) * scale, exact for power-of-two
 *    scales; on the small-M path (M <= 16) the FP32 sums are blocked (partial sums over at most 256
 *    k added into totals), so no intermediate holds anything but sums of dequantized products;
 *  - promoted (M <= 16 on the AVX2 set, DeepSeek's "promotion"): B's codes enter as their exact
 *    values (times a power of two), FP32 partial sums run over pieces of at most 256 k inside one
 *    scale block, and each partial sum is multiplied by its block's scale once into the FP32 total.
 *    A block whose scale is 0, NaN or Inf, or so large that scale * max finite overflows float32,
 *    is folded instead, so every path computes with deq(B) as float32 holds it (Inf where it
 *    overflows); NaN and Inf codes give what IEEE arithmetic on the dequantized values gives;
 *  - folded into A (M <= 16 on the AVX2 set, B blocks of at least 16 rows, all scales of the block
 *    row finite and not overflowing as above, A finite, and |A' * scale| of a range that keeps the
 *    underflow allowance below): for each block row of B, a copy of A holds the float32 products
 *    A' * scale(block) times a power of two (one rounding each, as folding the scale into B would
 *    give), B's codes enter as their exact values, and the FP32 sums run across block boundaries.
 *    Other block rows are promoted.
 * Error bound (per element): |C - C_exact| <= (K + 3) * 2^-24 * sum_k |A'_ik B'_jk| for the
 * dequantized A', B', plus the alpha/beta rounding (with beta != 0 on the packed path, that is
 * M > 16 on the scalar, avx2 and avx512 sets and every M on NEON, beta * C enters with the first
 * 256 k and the sum of each later block of at most 256 k is added to it: add
 * 2^-24 * (|alpha| * sum_k |A'_ik B'_jk| + |beta * C_ij|) per block after the first), plus float32
 * underflow: at most K * (2^-120 * max|A'| + 2^-148) (max over the finite elements of all of A'). The promoted and
 * folded-into-A paths sum products before (or with part of) the scale, so a product far below
 * max|A'| can underflow there although the dequantized product is normal; they choose their
 * power-of-two prescaling so that no nonzero product underflows where the range of A allows it (the
 * nonzero |A'| within about 2^120 of each other, more on some paths), and otherwise compute folded
 * each block (or block row) whose scale would magnify an underflow beyond this allowance. Results
 * are bitwise identical for every thread count, NaN results included (sign and payload); different
 * kernel sets and paths may round differently within the bound, and may give NaNs of different sign
 * or payload.
 * Overflow: whatever the magnitudes of A and of the scales, no path of any kernel set overflows in an
 * intermediate step where the dequantized sum does not: if sum_k |A'_ik B'_jk| <= 2^127 and K < 2^22,
 * the FP32 sum for C_ij is finite (only the final alpha/beta step can then overflow). The promoted
 * and folded-into-A paths keep this by scaling A or the raw code values by exact powers of two (so
 * |A| up to FLT_MAX against small scales is fine).
 *
 * Errors: FP8_ERR_NULL_POINTER, FP8_ERR_BAD_FORMAT, FP8_ERR_BAD_SHAPE (K mismatch, ld < cols,
 * ldc < N, zero block size), FP8_ERR_SIZE_OVERFLOW, FP8_ERR_NO_MEMORY. M, N or K = 0 are valid
 * (K = 0 gives C = beta * C).
 */
FP8_API int fp8_gemm(const fp8_matrix *a, const fp8_matrix *b, float alpha, float beta, float *c, size_t ldc);

/**
 * Weight-only variant: C[M,N] = alpha * A[M,K] * deq(B)[N,K]^T + beta * C with A plain float32
 * (leading dimension lda >= K, K = b->cols). Same contract as fp8_gemm. (fp8_gemm_weight_only with
 * FP8_DTYPE_F32 for A and C and no bias.)
 */
FP8_API int fp8_gemm_f32a(size_t m, const float *a, size_t lda, const fp8_matrix *b,
                          float alpha, float beta, float *c, size_t ldc);

/**
 * fp8_gemm with a typed output and an optional float32 bias[N] (NULL: none):
 *   C = round_c(alpha * acc + beta * C + bias)
 * where alpha * acc + beta * C is made exactly as fp8_gemm makes its float32 C (C read in c_type and
 * widened exactly when beta != 0; never read when beta = 0; as for fp8_gemm, a NaN result may differ
 * in sign or payload, e.g. where beta and C are both NaN), bias[j] is then added in float32, and
 * the float32 result is rounded once into c_type (F16 or BF16: nearest even, NaN stays NaN, overflow
 * gives +-Inf, as fp8_f16_from_f32 / fp8_bf16_from_f32; F32: unchanged). With bias = NULL and
 * c_type = FP8_DTYPE_F32 this is fp8_gemm bit for bit. C is row-major [M, N], leading dimension
 * ldc >= N in elements of c_type. The error bound of fp8_gemm holds for the float32 result, plus one
 * rounding of the bias addition and one of the output (half an ulp: 2^-8 relative for BF16, 2^-11
 * for F16, plus half the smallest subnormal; Tests/C/gemm_typed_check.c checks this bound).
 * The conversion is done block by block while the block is in cache (the BF16 output of a large
 * product costs about as much as the float32 one; Benchmarks/PERFORMANCE.md).
 * Errors: as fp8_gemm, plus FP8_ERR_BAD_ARGUMENT (c_type not an fp8_dtype).
 */
FP8_API int fp8_gemm_ex(const fp8_matrix *a, const fp8_matrix *b, const float *bias, float alpha, float beta,
                        fp8_dtype c_type, void *c, size_t ldc);

/**
 * Weight-only GEMM (W8A16 / W8A32): C[M,N] = round_c(alpha * A[M,K] * deq(B)[N,K]^T + beta * C + bias)
 * with A a dense F32, F16 or BF16 row-major matrix [m, K] (K = b->cols, leading dimension lda >= K, in
 * elements of a_type), the rest as fp8_gemm_ex. A binary16 or bfloat16 A is widened exactly to
 * float32 inside the packing and small-M preparation (never as a separate pass), so the result is
 * that of the float32 A with the same values, bit for bit. Errors: FP8_ERR_NULL_POINTER,
 * FP8_ERR_BAD_FORMAT (b), FP8_ERR_BAD_ARGUMENT (a_type or c_type), FP8_ERR_BAD_SHAPE (lda < K,
 * ldc < N, b's block size 0 or ld < cols), FP8_ERR_SIZE_OVERFLOW, FP8_ERR_NO_MEMORY.
 */
FP8_API int fp8_gemm_weight_only(size_t m, fp8_dtype a_type, const void *a, size_t lda, const fp8_matrix *b,
                                 const float *bias, float alpha, float beta, fp8_dtype c_type, void *c,
                                 size_t ldc);

/* ------------------------------------------------------------------------------------------------
 * Run-time configuration
 * ---------------------------------------------------------------------------------------------- */

/** Name of the kernel set in use: "scalar", "avx2", "avx512", "avx512vbmi" or "neon". */
FP8_API const char *fp8_kernels(void);

/** 1 if the kernel set `name` exists in this build and this CPU supports it, else 0. */
FP8_API int fp8_kernels_supported(const char *name);

/**
 * Switch to kernel set `name` (NULL or "" = best available). If the name is unknown or unsupported,
 * the best available set is used and FP8_ERR_UNSUPPORTED is returned. Not thread-safe.
 */
FP8_API int fp8_set_kernels(const char *name);

/**
 * Status of the FP8_KERNELS environment request made at start-up: FP8_OK if it was absent or
 * honoured, FP8_ERR_UNSUPPORTED if it named an unknown or unsupported set (the best set is in use).
 */
FP8_API int fp8_kernels_env_status(void);

/** Threads used by large operations (>= 1). */
FP8_API int fp8_num_threads(void);

/**
 * Set the thread count (1..256); 0 restores the default. Returns FP8_ERR_BAD_ARGUMENT otherwise.
 * Safe to call concurrently with any other function: calls that start afterwards use the new count.
 */
FP8_API int fp8_set_num_threads(int n);

/**
 * Stop the pool's worker threads and wait for them to exit (joined, their stacks freed), and free the
 * GEMM workspaces the library keeps for reuse, e.g. before a leak checker's report at exit or before
 * dlclose. A call running on another thread is let finish first; the next large call starts new
 * workers (and allocates workspaces again), so nothing else changes. Returns FP8_OK.
 */
FP8_API int fp8_release_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* FP8_H */
