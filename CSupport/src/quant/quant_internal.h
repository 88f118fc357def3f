/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quant_internal.h - NOT API. Shared by the quantization drivers in quant/: the block grid of a
 * matrix, task-size constants and checked size helpers (the scale rules are in scale_rules.h).
 */
#ifndef FP8_QUANT_INTERNAL_H
#define FP8_QUANT_INTERNAL_H
#include "../internal/fp8_internal.h"
#include "scale_rules.h"

/* Below this many elements the calling thread does all the work (waking the pool costs more). */
#define FP8_QUANT_PARALLEL_MIN ((size_t)1 << 18)
/* Each parallel task gets at least this many elements, so per-task overhead stays negligible. */
#define FP8_QUANT_TASK_MIN ((size_t)1 << 16)

/* A [rows, cols] matrix cut into br x bc blocks: nbr x nbc of them (edge blocks may be partial). */
typedef struct fp8_grid {
    size_t rows, cols, br, bc;
    size_t nbr, nbc;
} fp8_grid;

/* ceil(a / b) for b > 0, without the overflow of (a + b - 1) / b. */
static inline size_t fp8_ceil_div(size_t a, size_t b) { return a / b + (a % b != 0); }
static inline size_t fp8_min_size(size_t a, size_t b) { return a < b ? a : b; }

/* Fill g; FP8_ERR_SIZE_OVERFLOW if the scale count (or its byte size) does not fit in size_t.
 * The caller has checked br, bc > 0. */
static inline int fp8_grid_init(fp8_grid *g, size_t rows, size_t cols, size_t br, size_t bc) {
    size_t n;
    g->rows = rows; g->cols = cols; g->br = br; g->bc = bc;
    g->nbr = fp8_ceil_div(rows, br);
    g->nbc = fp8_ceil_div(cols, bc);
    if (fp8_mul_overflows(g->nbr, g->nbc, &n) || fp8_mul_overflows(n, sizeof(float), &n))
        return FP8_ERR_SIZE_OVERFLOW;
    return FP8_OK;
}

/* FP8_OK if a [rows, cols] matrix with leading dimension ld and elements of `elem` bytes spans an
 * addressable range (elements and bytes), else FP8_ERR_SIZE_OVERFLOW. */
static inline int fp8_check_span(size_t rows, size_t cols, size_t ld, size_t elem) {
    size_t span, bytes;
    if (fp8_span_overflows(rows, cols, ld, &span) || fp8_mul_overflows(span, elem, &bytes))
        return FP8_ERR_SIZE_OVERFLOW;
    return FP8_OK;
}

#endif /* FP8_QUANT_INTERNAL_H */
