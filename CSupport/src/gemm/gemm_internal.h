/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_internal.h - NOT API. Shared by the GEMM drivers in gemm/:
 *   gemm.c            public entry points, argument checks, choice of path, threading
 *   gemm_loops.c      the packed path: NC -> KC -> pack B -> MC -> pack A -> NR -> MR -> micro-kernel
 *   gemm_small_m.c    the memory-bound path for M <= small->max_m: B streamed once, decoded inline
 *   gemm_pack.c       decode(q) * scale into float slivers (scales folded while packing)
 *   gemm_epilogue.c   the typed output: C widened for beta, bias added, rounded once into F16/BF16
 *   gemm_workspace.c  aligned buffers and the workspace cache (declared in gemm_kernels.h)
 * Dependencies run one way, down this list: gemm.c calls the two paths, the paths call the packing
 * and the epilogue,
 * and everything below the driver calls only the kernel tables (gemm_kernels.h, kernels/<isa>/) and
 * the workspace functions. The shared types and size helpers are defined here, in the header, so no
 * file calls back up into the one above it; the kernels include gemm_kernels.h only.
 */
#ifndef FP8_GEMM_INTERNAL_H
#define FP8_GEMM_INTERNAL_H
#include "gemm_kernels.h"

/* One operand, [rows, cols] row-major with leading dimension ld: FP8 codes with block scales, or a
 * plain float32, binary16 or bfloat16 matrix (f != NULL, of type ftype; fp8_gemm_weight_only's A). */
typedef struct fp8_gemm_operand {
    fp8_format fmt;
    size_t rows, cols, ld;
    const uint8_t *q;
    const void *f;
    fp8_dtype ftype;
    const float *scales;
    size_t br, bc, nbc;           /* block shape; nbc = ceil(cols / bc) scales per block row */
} fp8_gemm_operand;

/* A whole product C[M,N] = alpha * A[M,K] * B[N,K]^T + beta * C (+ bias), M, N, K > 0.
 * The epilogue (epi = 1: a bias, or C not float32): C's elements are first made in float32 (in C
 * itself when it is float32, else in a per-task float32 buffer that holds C widened when beta != 0),
 * then each element gets t + bias[j] in float32 and is rounded once into c_type ("store"). */
typedef struct fp8_gemm_problem {
    fp8_gemm_operand a, b;
    size_t m, n, k;
    float alpha, beta;
    void *c;                      /* [m, n] of c_type, leading dimension ldc (elements) */
    size_t ldc;
    fp8_dtype c_type;
    const float *bias;            /* [n] or NULL */
    int epi;
    const fp8_kernel_set *ks;
} fp8_gemm_problem;

static inline size_t fp8_gemm_dtype_size(fp8_dtype t) { return t == FP8_DTYPE_F32 ? 4 : 2; }

/* ---- gemm_epilogue.c ---- */

/* Rows [i0, i1) x cols [j0, j1) of C, as float32 in t (row i at t + (i - i0) * ldt): C = t (+ bias[j]),
 * rounded once into p->c_type. t may be C itself when C is float32 (then only the bias is added). */
void fp8_gemm_store(const fp8_gemm_problem *p, size_t i0, size_t i1, size_t j0, size_t j1, const float *t,
                    size_t ldt);
/* t[(i - i0) * ldt + (j - j0)] = C[i][j] widened to float32 (a copy for a float32 C), for beta != 0. */
void fp8_gemm_load_c(const fp8_gemm_problem *p, size_t i0, size_t i1, size_t j0, size_t j1, float *t, size_t ldt);
/* Widen row r, cols [k0, k0 + n) of a plain operand into dst (float32: a copy). */
void fp8_gemm_widen_row(const fp8_gemm_operand *op, size_t r, size_t k0, size_t n, float *dst,
                        const fp8_kernel_set *ks);

static inline size_t fp8_gemm_min(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t fp8_gemm_cdiv(size_t a, size_t b) { return a / b + (a % b != 0); }
static inline size_t fp8_gemm_round_up(size_t a, size_t b) { return fp8_gemm_cdiv(a, b) * b; }

/* ---- gemm_pack.c ---- */

/* dst[0..kc) = decode(row r, cols [k0, k0 + kc)) * scale, one scale_decode call per block segment. */
void fp8_gemm_decode_row(const fp8_gemm_operand *op, size_t r, size_t k0, size_t kc, float *dst,
                         const fp8_quant_kernels *quant);

/* Pack rows [r0, r0 + nrows) x cols [k0, k0 + kc) of op into ceil(nrows / R) slivers [kc][R]
 * (sliver s at dst + s*R*kc; missing rows repeat the last real row, see gemm_kernels.h). tmp holds R * kc floats. */
void fp8_gemm_pack(const fp8_gemm_operand *op, size_t r0, size_t nrows, size_t k0, size_t kc, size_t R,
                   float *dst, float *tmp, const fp8_kernel_set *ks);

/* ---- gemm_loops.c (the packed path) ---- */

typedef struct fp8_gemm_blocking {
    size_t mc, kc, nc;            /* balanced block sizes actually used */
} fp8_gemm_blocking;

/* Blocking for the packed path: kc depends on K only (never on the thread split), so every element
 * is accumulated in the same order whatever the split. */
void fp8_gemm_plan_blocks(const fp8_gemm_kernels *g, size_t m, size_t n, size_t k, fp8_gemm_blocking *bl);

/* Floats of the epilogue's float32 C buffer a task needs (0 without one). */
size_t fp8_gemm_epi_floats(const fp8_gemm_problem *p, size_t mt, size_t nt);

/* Floats of workspace one task needs for a sub-problem with at most mt rows and nt columns. */
size_t fp8_gemm_workspace_floats(const fp8_gemm_kernels *g, const fp8_gemm_blocking *bl, size_t mt, size_t nt);

/* C[i0..i1, j0..j1) of p (i0, j0 multiples of mr / nr) with workspace ws (with the epilogue: of
 * fp8_gemm_workspace_floats plus fp8_gemm_epi_floats). */
void fp8_gemm_packed_range(const fp8_gemm_problem *p, const fp8_gemm_blocking *bl, size_t i0, size_t i1,
                           size_t j0, size_t j1, float *ws);

/* ---- gemm_small_m.c ---- */

/* The small-M path (p->m <= small->max_m). Returns FP8_OK or FP8_ERR_NO_MEMORY (C untouched). */
int fp8_gemm_small_m(const fp8_gemm_problem *p);

#endif
