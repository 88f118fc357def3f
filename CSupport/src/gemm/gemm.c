/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm.c - fp8_gemm_ex / fp8_gemm_weight_only (and the float32 wrappers fp8_gemm / fp8_gemm_f32a):
 * argument checks, the choice of path, workspaces and threads.
 *
 * Paths:
 *   - K = 0: C = beta * C (C is not read when beta = 0).
 *   - M <= the set's small->max_m: gemm_small_m.c (B streamed once, decoded inline; memory-bound).
 *   - otherwise the packed path of gemm_loops.c.
 * Threads: the packed path gives each task a range of whole nr-column slivers of N (or, when M is the
 * larger dimension, whole mr-row slivers of M); never a range of K. Every element of C is computed
 * by exactly one task with the same arithmetic, so the bits never depend on the thread count. All
 * workspaces are allocated before C is touched: a failing call writes nothing.
 */
#include "gemm_internal.h"
#include <stdlib.h>

/* Below this many multiply-adds one task does everything (waking the pool would cost more). */
#define FP8_GEMM_PARALLEL_MIN ((size_t)1 << 21)

/* ---- argument checks ------------------------------------------------------------------------- */

static int check_matrix_shape(const fp8_matrix *x) {
    if (!fp8_format_valid(x->format)) return FP8_ERR_BAD_FORMAT;
    if (x->block_rows == 0 || x->block_cols == 0 || x->ld < x->cols) return FP8_ERR_BAD_SHAPE;
    return FP8_OK;
}

/* Pointers, then sizes: codes span, scale count (and bytes). Fills op. */
static int check_matrix_data(const fp8_matrix *x, fp8_gemm_operand *op) {
    size_t span, nbr, nbc, ns;
    memset(op, 0, sizeof *op);
    op->fmt = x->format;
    op->rows = x->rows;
    op->cols = x->cols;
    op->ld = x->ld;
    op->q = x->data;
    op->scales = x->scales;
    op->br = x->block_rows;
    op->bc = x->block_cols;
    if (x->rows == 0 || x->cols == 0) return FP8_OK;
    if (!x->data || !x->scales) return FP8_ERR_NULL_POINTER;
    if (fp8_span_overflows(x->rows, x->cols, x->ld, &span)) return FP8_ERR_SIZE_OVERFLOW;
    nbr = fp8_gemm_cdiv(x->rows, x->block_rows);
    nbc = fp8_gemm_cdiv(x->cols, x->block_cols);
    if (fp8_mul_overflows(nbr, nbc, &ns) || fp8_mul_overflows(ns, sizeof(float), &ns)) return FP8_ERR_SIZE_OVERFLOW;
    op->nbc = nbc;
    return FP8_OK;
}

static int check_c(size_t m, size_t n, fp8_dtype t, const void *c, size_t ldc) {
    size_t span, bytes;
    if (m == 0 || n == 0) return FP8_OK;
    if (!c) return FP8_ERR_NULL_POINTER;
    if (fp8_span_overflows(m, n, ldc, &span) || fp8_mul_overflows(span, fp8_gemm_dtype_size(t), &bytes))
        return FP8_ERR_SIZE_OVERFLOW;
    return FP8_OK;
}

/* K = 0: C = beta * C (+ bias), without reading C when beta = 0. */
static void scale_c(const fp8_gemm_problem *p) {
    if (!p->epi) {
        for (size_t i = 0; i < p->m; i++) {
            float *ci = (float *)p->c + i * p->ldc;
            if (p->beta == 0.0f) {
                for (size_t j = 0; j < p->n; j++) ci[j] = 0.0f;
            } else {
                for (size_t j = 0; j < p->n; j++) ci[j] = p->beta * ci[j];
            }
        }
        return;
    }
    float t[256] __attribute__((aligned(64)));
    for (size_t i = 0; i < p->m; i++) {
        for (size_t j = 0; j < p->n; j += 256) {
            size_t n = fp8_gemm_min(256, p->n - j);
            if (p->beta == 0.0f) {
                for (size_t e = 0; e < n; e++) t[e] = 0.0f;
            } else {
                fp8_gemm_load_c(p, i, i + 1, j, j + n, t, n);
                for (size_t e = 0; e < n; e++) t[e] = p->beta * t[e];
            }
            if (p->c_type == FP8_DTYPE_F32) {
                memcpy((float *)p->c + i * p->ldc + j, t, n * sizeof(float));
                fp8_gemm_store(p, i, i + 1, j, j + n, (float *)p->c + i * p->ldc + j, p->ldc);
            } else {
                fp8_gemm_store(p, i, i + 1, j, j + n, t, n);
            }
        }
    }
}

/* ---- the packed path with its tasks ------------------------------------------------------------ */

typedef struct packed_job {
    const fp8_gemm_problem *p;
    fp8_gemm_blocking bl;
    int split_n;
    size_t ntasks, nsl;          /* tasks; slivers along the split dimension */
    float *ws;
    size_t ws_floats;            /* per task */
} packed_job;

static void packed_range_of(const packed_job *j, size_t t, size_t *lo, size_t *hi) {
    const fp8_gemm_kernels *g = j->p->ks->gemm;
    size_t r = j->split_n ? g->nr : g->mr, total = j->split_n ? j->p->n : j->p->m;
    size_t s0 = t * j->nsl / j->ntasks, s1 = (t + 1) * j->nsl / j->ntasks;
    *lo = s0 * r;
    *hi = fp8_gemm_min(s1 * r, total);
}

static void packed_task(void *ctx, size_t t) {
    const packed_job *j = ctx;
    size_t lo, hi;
    packed_range_of(j, t, &lo, &hi);
    if (lo >= hi) return;
    float *ws = j->ws + t * j->ws_floats;
    if (j->split_n)
        fp8_gemm_packed_range(j->p, &j->bl, 0, j->p->m, lo, hi, ws);
    else
        fp8_gemm_packed_range(j->p, &j->bl, lo, hi, 0, j->p->n, ws);
}

static int run_packed(const fp8_gemm_problem *p) {
    const fp8_gemm_kernels *g = p->ks->gemm;
    packed_job j;
    size_t work, total;
    j.p = p;
    fp8_gemm_plan_blocks(g, p->m, p->n, p->k, &j.bl);
    j.split_n = p->n >= p->m;
    j.nsl = j.split_n ? fp8_gemm_cdiv(p->n, g->nr) : fp8_gemm_cdiv(p->m, g->mr);
    j.ntasks = (size_t)fp8_num_threads();
    if (fp8_mul_overflows(p->m, p->n, &work) || fp8_mul_overflows(work, p->k, &work)) work = (size_t)-1;
    if (work < FP8_GEMM_PARALLEL_MIN) j.ntasks = 1;
    if (j.ntasks > j.nsl) j.ntasks = j.nsl;
    {
        /* Workspace of the largest task. */
        size_t per = fp8_gemm_cdiv(j.nsl, j.ntasks) * (j.split_n ? g->nr : g->mr);
        size_t mt = j.split_n ? p->m : per, nt = j.split_n ? per : p->n;
        j.ws_floats = fp8_gemm_round_up(fp8_gemm_workspace_floats(g, &j.bl, mt, nt), 16) +
                      fp8_gemm_epi_floats(p, mt, nt);
    }
    if (fp8_mul_overflows(j.ws_floats, j.ntasks, &total)) return FP8_ERR_NO_MEMORY;
    j.ws = fp8_gemm_workspace_get(total);
    if (!j.ws) return FP8_ERR_NO_MEMORY;
    if (j.ntasks == 1)
        packed_task(&j, 0);
    else
        fp8_parallel_for(j.ntasks, packed_task, &j);
    fp8_gemm_workspace_put(j.ws);
    return FP8_OK;
}

static int gemm_run(const fp8_gemm_problem *p) {
    if (p->m == 0 || p->n == 0) return FP8_OK;
    if (p->k == 0) {
        scale_c(p);
        return FP8_OK;
    }
    const fp8_gemm_kernels *g = p->ks->gemm;
    if (g->small && p->m <= g->small->max_m) return fp8_gemm_small_m(p);
    return run_packed(p);
}

/* ---- public entry points ----------------------------------------------------------------------- */

/* Both entry points end here once their operands are validated and described in p. */
static int run_checked(fp8_gemm_problem *p, size_t m, size_t n, size_t k, const float *bias, float alpha,
                       float beta, fp8_dtype c_type, void *c, size_t ldc) {
    p->m = m;
    p->n = n;
    p->k = k;
    p->alpha = alpha;
    p->beta = beta;
    p->c = c;
    p->ldc = ldc;
    p->c_type = c_type;
    p->bias = bias;
    p->epi = bias != NULL || c_type != FP8_DTYPE_F32;
    p->ks = fp8_active_kernels();
    return gemm_run(p);
}

static int dtype_valid(fp8_dtype t) { return (unsigned)t <= (unsigned)FP8_DTYPE_BF16; }

int fp8_gemm_ex(const fp8_matrix *a, const fp8_matrix *b, const float *bias, float alpha, float beta,
                fp8_dtype c_type, void *c, size_t ldc) {
    fp8_gemm_problem p;
    int st;
    if (!a || !b) return FP8_ERR_NULL_POINTER;
    if ((st = check_matrix_shape(a)) != FP8_OK || (st = check_matrix_shape(b)) != FP8_OK) return st;
    if (!dtype_valid(c_type)) return FP8_ERR_BAD_ARGUMENT;
    if (a->cols != b->cols || ldc < b->rows) return FP8_ERR_BAD_SHAPE;
    if ((st = check_matrix_data(a, &p.a)) != FP8_OK || (st = check_matrix_data(b, &p.b)) != FP8_OK) return st;
    if ((st = check_c(a->rows, b->rows, c_type, c, ldc)) != FP8_OK) return st;
    return run_checked(&p, a->rows, b->rows, a->cols, bias, alpha, beta, c_type, c, ldc);
}

int fp8_gemm(const fp8_matrix *a, const fp8_matrix *b, float alpha, float beta, float *c, size_t ldc) {
    return fp8_gemm_ex(a, b, NULL, alpha, beta, FP8_DTYPE_F32, c, ldc);
}

int fp8_gemm_weight_only(size_t m, fp8_dtype a_type, const void *a, size_t lda, const fp8_matrix *b,
                         const float *bias, float alpha, float beta, fp8_dtype c_type, void *c, size_t ldc) {
    fp8_gemm_problem p;
    int st;
    size_t span, bytes;
    if (!b) return FP8_ERR_NULL_POINTER;
    if ((st = check_matrix_shape(b)) != FP8_OK) return st;
    if (!dtype_valid(a_type) || !dtype_valid(c_type)) return FP8_ERR_BAD_ARGUMENT;
    if (lda < b->cols || ldc < b->rows) return FP8_ERR_BAD_SHAPE;
    if (m != 0 && b->cols != 0) {
        if (!a) return FP8_ERR_NULL_POINTER;
    }
    if ((st = check_matrix_data(b, &p.b)) != FP8_OK) return st;
    if ((st = check_c(m, b->rows, c_type, c, ldc)) != FP8_OK) return st;
    if (m != 0 && b->cols != 0 &&
        (fp8_span_overflows(m, b->cols, lda, &span) || fp8_mul_overflows(span, fp8_gemm_dtype_size(a_type), &bytes)))
        return FP8_ERR_SIZE_OVERFLOW;
    memset(&p.a, 0, sizeof p.a);
    p.a.fmt = FP8_E4M3;
    p.a.rows = m;
    p.a.cols = b->cols;
    p.a.ld = lda;
    p.a.f = a;
    p.a.ftype = a_type;
    p.a.br = p.a.bc = 1;
    return run_checked(&p, m, b->rows, b->cols, bias, alpha, beta, c_type, c, ldc);
}

int fp8_gemm_f32a(size_t m, const float *a, size_t lda, const fp8_matrix *b,
                  float alpha, float beta, float *c, size_t ldc) {
    return fp8_gemm_weight_only(m, FP8_DTYPE_F32, a, lda, b, NULL, alpha, beta, FP8_DTYPE_F32, c, ldc);
}
