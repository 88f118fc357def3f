/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_kernels.h - NOT API. The GEMM part of a kernel set: register-tile sizes, cache-block sizes and
 * the hot loops the portable drivers in gemm/ call.
 *
 * Large M (the packed, BLIS-style path; gemm_loops.c):
 *   The drivers pack decode(q) * scale into float slivers (gemm_pack.c): A as [k][mr] slivers of mr
 *   rows, B as [k][nr] slivers of nr rows, padded to full slivers by repeating the last real row
 *   (not zeros: a padding row then computes only products that a real row computes too, so it raises
 *   no floating-point exception, such as FE_INVALID from 0 * Inf, that the real rows do not; fp8.h).
 *   `ukr` multiplies one A sliver by one B sliver over kc steps (plain FP32 FMA) and updates one
 *   mr x nr tile of C.
 * Small M (M <= small->max_m; gemm_small_m.c):
 *   B is streamed once, decoded inline; A is prepared once by the driver (see a_width) and may be
 *   rewritten by the kernel's own prepare hook.
 */
#ifndef FP8_GEMM_KERNELS_H
#define FP8_GEMM_KERNELS_H
#include "../internal/fp8_internal.h"

/*
 * Micro-kernel: for i < mr, j < nr, with acc = sum over k < kc (in increasing k, one accumulator per
 * element) of a[k*mr + i] * b[k*nr + j]:
 *   beta == 0: c[i*ldc + j] = alpha * acc          (C is never read)
 *   otherwise: c[i*ldc + j] = alpha * acc + beta * c[i*ldc + j]
 * The arithmetic of an element must not depend on the other elements of the tile (the drivers rely on
 * it to give the same bits whatever the thread split). a and b are 64-byte aligned. kc may be 0.
 */
typedef void (*fp8_gemm_ukr_fn)(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                                float alpha, float beta);

/* Interleave: dst[k*r + i] = src[i*lds + k] for i < rows, k < kc; rows <= i < r repeat row rows - 1
 * (rows >= 1). */
typedef void (*fp8_gemm_interleave_fn)(const float *src, size_t lds, size_t rows, size_t kc,
                                       float *dst, size_t r);

/* One small-M product as seen by a small-M kernel (filled by gemm_small_m.c, then by prepare). */
typedef struct fp8_gemm_small_job {
    size_t m, k;                 /* M <= max_m, K > 0 */
    /* A prepared by the driver, already dequantized (scales folded):
     *   a_width(m) == 0: rows, a[i*lda + k], i < m (lda >= k);
     *   a_width(m) == w: interleaved, a[k*w + i], rows m..w-1 repeat row m - 1
     *                    (as the packed slivers do; lda unused; 64-byte aligned). */
    const float *a;
    size_t lda;
    /* B: codes [n, k] with leading dimension ldb, scales [ceil(n/bbr), nbc] row-major. */
    fp8_format bfmt;
    const uint8_t *b;
    size_t ldb;
    const float *bscales;
    size_t bbr, bbc, bnbc;
    float alpha, beta;           /* beta == 0: C is never read */
    float *c;
    size_t ldc;
    const fp8_quant_kernels *quant; /* of the same kernel set */
    /* Private to the kernel set, set by its prepare (zeroed by the driver). */
    int kmode;
    const float *ak;
    size_t akld;
    double kfac;       /* a power of two (possibly outside float32's range) */
    double fmax;       /* largest usable factor of a promoted piece (+Inf: any normal one) */
    double amax;       /* max |a| over the finite values of A */
    const float *lut;
    const float *lutp;
    const float *ablk; /* per scale block along K: 16 lanes of max |a|, then 16 of min nonzero |a| */
    size_t nkb;
    int afinite;
    /* Set by prepare (0 if unset): floats of workspace each task needs ((size_t)-1: too many). The
     * driver then allocates them, before any task runs (a failure returns before C is touched), and
     * hands each running task its own in task_ws (64-byte aligned; no other running task uses it). */
    size_t task_ws_floats;
    float *task_ws;
} fp8_gemm_small_job;

/* Computes C[0..m, j0..j1) of a small-M job: every element with the same arithmetic whatever j0, j1
 * (so the result never depends on how the drivers split N). The kernel chooses how B's scales enter
 * (folded per element, or applied once per block segment to a partial sum), within the documented
 * error bound; NaN and Inf codes must give what IEEE arithmetic on the decoded values would. */
typedef void (*fp8_gemm_small_fn)(const fp8_gemm_small_job *job, size_t j0, size_t j1);

/* The small-M part of a kernel set. */
typedef struct fp8_gemm_small_kernels {
    size_t max_m;                /* M <= max_m takes this path */
    size_t (*a_width)(size_t m); /* the form of A the driver prepares (see the job) */
    /* Optional (NULL: none): floats of workspace prepare needs ((size_t)-1: too many; called before
     * A is prepared, so it may read only the shapes of the job), and a hook
     * run once per product, on the calling thread, after A is prepared and before any task, with a
     * 64-byte aligned workspace of ws_floats(job) floats that lives until the tasks are done. */
    size_t (*ws_floats)(const struct fp8_gemm_small_job *job);
    void (*prepare)(fp8_gemm_small_job *job, float *ws);
    fp8_gemm_small_fn run;
    size_t n_align;              /* N-split granularity that suits run (efficiency only) */
} fp8_gemm_small_kernels;

typedef struct fp8_gemm_kernels {
    size_t mr, nr;               /* register tile of ukr */
    size_t mc, kc, nc;           /* cache blocks (upper bounds; the drivers balance them) */
    fp8_gemm_ukr_fn ukr;
    fp8_gemm_interleave_fn interleave;
    const fp8_gemm_small_kernels *small; /* NULL: every M uses the packed path */
    /* Optional (NULL: decode rows, then interleave): decode + scale + interleave in one pass, for a
     * full sliver (rows == r) and one scale segment: dst[k*r + i] = decode(q[i*ldq + k]) * rowscale[i],
     * k < n, the same floats as quant->scale_decode makes. Returns 0, maybe having written part of dst,
     * when it does not handle the case (the driver then packs the whole sliver the generic way). */
    int (*pack_fp8)(fp8_format fmt, const uint8_t *q, size_t ldq, size_t n, const float *rowscale,
                    float *dst, size_t r);
    /* Optional (NULL: widen rows into the temporary, then interleave): widen a binary16 / bfloat16
     * plain operand (t = FP8_DTYPE_F16 or FP8_DTYPE_BF16) and interleave in one pass, for a full
     * sliver (rows == r): the floats of the set's codec f16_to_f32 / bf16_to_f32 in interleave's
     * layout. Returns 0, maybe having written part of dst, when it does not handle the case. */
    int (*interleave_h)(fp8_dtype t, const uint16_t *src, size_t lds, size_t rows, size_t kc, float *dst,
                        size_t r);
} fp8_gemm_kernels;

extern const fp8_gemm_kernels fp8_gemm_scalar;
#ifdef FP8_HAVE_X86
extern const fp8_gemm_kernels fp8_gemm_avx2;
extern const fp8_gemm_small_kernels fp8_gemm_small_avx2;
extern const fp8_gemm_kernels fp8_gemm_avx512;
extern const fp8_gemm_small_kernels fp8_gemm_small_avx512;
extern const fp8_gemm_kernels fp8_gemm_avx512vbmi;
extern const fp8_gemm_small_kernels fp8_gemm_small_avx512vbmi;
#endif
#ifdef FP8_HAVE_NEON
extern const fp8_gemm_kernels fp8_gemm_neon;
#endif

/* ---- memory (gemm/gemm_workspace.c) ---- */

/* Aligned (64 bytes) allocation of n floats plus slack; NULL on failure or overflow. */
float *fp8_gemm_alloc_floats(size_t n);
void fp8_gemm_free(float *p);
/* A workspace of at least n floats (64-byte aligned, plus slack) from a small cache shared by all
 * threads, or newly allocated; NULL on failure. Give it back with fp8_gemm_workspace_put. */
float *fp8_gemm_workspace_get(size_t n);
void fp8_gemm_workspace_put(float *p);

/* The portable interleave (kernels/scalar/gemm_scalar.c), usable by every set for edge slivers. */
void fp8_gemm_interleave_ref(const float *src, size_t lds, size_t rows, size_t kc, float *dst, size_t r);

#endif
