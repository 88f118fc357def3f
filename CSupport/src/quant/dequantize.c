/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dequantize.c - fp8_dequantize_f32 / fp8_dequantize: x = decode(q) * scale(block), one float32
 * multiply per element (kernel scale_decode over each row segment of a block); for a binary16 or
 * bfloat16 output each segment is made in a float32 stack buffer of at most NCHUNK elements (it stays
 * in L1) and narrowed from there by the set's f16_from_f32 / bf16_from_f32: one rounding of the
 * float32 product, as DeepSeek-V3's weight_dequant does.
 *
 * Unlike quantization nothing has to be known about a whole block first, so the work is streamed row
 * by row; parallel tasks are ranges of rows (or, for very wide rows, ranges of block columns within
 * one row) of at least FP8_QUANT_TASK_MIN elements. Each output element is written by exactly one
 * task with the same arithmetic, so the result never depends on the thread count.
 */
#include "quant_internal.h"

#define NCHUNK 512

typedef struct djob {
    const fp8_matrix *m;
    void *x;
    size_t ldx;
    size_t esz;                                                /* output element size */
    void (*narrow)(const float *src, uint16_t *dst, size_t n); /* 16-bit outputs; NULL for float32 */
    fp8_grid g;
    const fp8_quant_kernels *k;
    size_t task_rows, task_bcols, ntc; /* rows and block columns per task; tasks per row range */
} djob;

/* Row r, block columns [bj0, bj1). */
static void dequantize_row(const djob *j, size_t r, size_t bj0, size_t bj1) {
    const fp8_matrix *m = j->m;
    const float *s = m->scales + (r / m->block_rows) * j->g.nbc;
    const uint8_t *q = m->data + r * m->ld;
    char *x = (char *)j->x + r * j->ldx * j->esz;
    float tmp[NCHUNK] __attribute__((aligned(64)));
    for (size_t bj = bj0; bj < bj1; bj++) {
        size_t c0 = bj * m->block_cols, n = fp8_min_size(m->block_cols, m->cols - c0);
        if (!j->narrow) {
            j->k->scale_decode(m->format, q + c0, (float *)(void *)x + c0, n, s[bj]);
            continue;
        }
        for (size_t c = c0; c < c0 + n; c += NCHUNK) {
            size_t len = fp8_min_size(NCHUNK, c0 + n - c);
            j->k->scale_decode(m->format, q + c, tmp, len, s[bj]);
            j->narrow(tmp, (uint16_t *)(void *)x + c, len);
        }
    }
}

static void dequantize_task(void *ctx, size_t t) {
    const djob *j = ctx;
    size_t r0 = (t / j->ntc) * j->task_rows, bj0 = (t % j->ntc) * j->task_bcols;
    size_t r1 = fp8_min_size(r0 + j->task_rows, j->g.rows);
    size_t bj1 = fp8_min_size(bj0 + j->task_bcols, j->g.nbc);
    for (size_t r = r0; r < r1; r++) dequantize_row(j, r, bj0, bj1);
}

/* Tasks of >= FP8_QUANT_TASK_MIN elements; returns the task count. */
static size_t plan(djob *j) {
    const fp8_grid *g = &j->g;
    if (g->cols >= FP8_QUANT_TASK_MIN) {
        j->task_rows = 1;
        j->task_bcols = fp8_min_size(fp8_ceil_div(FP8_QUANT_TASK_MIN, fp8_min_size(g->bc, g->cols)), g->nbc);
    } else {
        j->task_rows = fp8_ceil_div(FP8_QUANT_TASK_MIN, g->cols);
        j->task_bcols = g->nbc;
    }
    j->ntc = fp8_ceil_div(g->nbc, j->task_bcols);
    return fp8_ceil_div(g->rows, j->task_rows) * j->ntc;
}

static int validate(const fp8_matrix *m, fp8_dtype dt, const void *x, size_t ldx, fp8_grid *g, int *empty) {
    if (!m) return FP8_ERR_NULL_POINTER;
    if (!fp8_format_valid(m->format)) return FP8_ERR_BAD_FORMAT;
    if ((unsigned)dt > (unsigned)FP8_DTYPE_BF16) return FP8_ERR_BAD_ARGUMENT;
    if (m->block_rows == 0 || m->block_cols == 0 || m->ld < m->cols || ldx < m->cols) return FP8_ERR_BAD_SHAPE;
    *empty = m->rows == 0 || m->cols == 0;
    if (*empty) return FP8_OK;
    if (!m->data || !m->scales || !x) return FP8_ERR_NULL_POINTER;
    if (fp8_check_span(m->rows, m->cols, m->ld, 1) || fp8_check_span(m->rows, m->cols, ldx, dt == FP8_DTYPE_F32 ? 4 : 2))
        return FP8_ERR_SIZE_OVERFLOW;
    return fp8_grid_init(g, m->rows, m->cols, m->block_rows, m->block_cols);
}

int fp8_dequantize(const fp8_matrix *m, fp8_dtype dst_type, void *x, size_t ldx) {
    djob j;
    int empty = 0;
    int st = validate(m, dst_type, x, ldx, &j.g, &empty);
    if (st || empty) return st;
    const fp8_kernel_set *ks = fp8_active_kernels();
    j.m = m;
    j.x = x;
    j.ldx = ldx;
    j.esz = dst_type == FP8_DTYPE_F32 ? 4 : 2;
    j.narrow = dst_type == FP8_DTYPE_BF16 ? ks->codec->bf16_from_f32
             : dst_type == FP8_DTYPE_F16  ? ks->codec->f16_from_f32 : NULL;
    j.k = ks->quant;
    size_t ntasks = plan(&j);
    if (m->rows * m->cols < FP8_QUANT_PARALLEL_MIN) {
        for (size_t t = 0; t < ntasks; t++) dequantize_task(&j, t);
    } else {
        fp8_parallel_for(ntasks, dequantize_task, &j);
    }
    return FP8_OK;
}

int fp8_dequantize_f32(const fp8_matrix *m, float *x, size_t ldx) { return fp8_dequantize(m, FP8_DTYPE_F32, x, ldx); }
