/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quantize.c - fp8_quantize_f32 / fp8_quantize_f32_ex: float32 -> FP8 codes + one float32
 * dequantization scale per block_rows x block_cols block.
 *
 * Each block is done in one go while it is in cache: amax over its row segments (kernel amax_bits),
 * the scale from the rule (scale_rules.h), then scale_encode of each row segment with 1/s. For
 * 1 x 128 tiles a segment is 512 B, so the encode reads it from L1 right after the amax: x is read
 * from memory once. For 1 x bc tiles a kernel set may instead provide quantize_tiles, which does all
 * three steps per tile from registers (used when fp8_quantize_tiles_bc_ok(bc)). Two schedules over the thread pool (results never depend on either):
 *  - fused (the usual case): each task owns whole blocks, a range of block-rows (or of block columns
 *    within one block-row) holding at least FP8_QUANT_TASK_MIN elements; for 1 x bc tiles a task is
 *    simply a range of whole rows.
 *  - split: when that gives fewer tasks than threads (a few huge blocks, e.g. per-tensor scaling),
 *    the blocks are done one after the other, each cut into element ranges: a parallel amax pass with
 *    one partial maximum per range, then a parallel encode pass.
 * Non-finite input: the block's amax_bits is >= 0x7F800000; its task raises a flag and skips it.
 * Afterwards (error path only) a row-major scan finds the first bad element, and every scale and
 * code is overwritten with NaN so that nothing looks valid.
 * binary16 / bfloat16 sources (fp8_quantize): a kernel set may read them directly, widening in
 * registers (amax_bits_h, scale_encode_h, quantize_tiles_h: avx2 and avx512); otherwise each row
 * segment is widened (by the set's bf16_to_f32 / f16_to_f32) into a stack buffer of at most WCHUNK
 * floats right before the float32 kernel reads it, so the float32 copy never leaves L1. Either way the
 * source is read from memory once per pass, at half the bytes, and the codes and scales are those of
 * the widened float32 matrix.
 * Options (fp8_quant_options): the amax floor enters the scale rule (scale_rules.h); true division
 * uses the kernels' scale_encode_div; static scales replace the rule (the amax is still taken, to
 * detect NaN and Inf).
 */
#include "quant_internal.h"
#include <stdatomic.h>

#define SPLIT_MAX_CHUNKS 64 /* partial maxima per split block; keeps the job on the stack */
/* Longest run of equal-scale tiles encoded by one call: longer runs let the amax pass run too far
 * ahead of the encode, and the memory-bound and compute-bound halves stop overlapping (measured). */
#define RUN_MAX 256

/* Floats widened per step from a 16-bit source: 2 KiB on the stack, a multiple of every fused tile
 * width up to 128 but 96 (handled by rounding down to whole tiles). */
#define WCHUNK 512

typedef struct qjob {
    fp8_format fmt;
    fp8_scale_rule rule;
    uint32_t floor_bits;                /* fp8_floor_bits of the options' amax_floor */
    int true_division;
    const float *static_scales;         /* NULL: scales from the rule */
    fp8_dtype st;                       /* source element type */
    size_t esz;                         /* its size in bytes */
    const void *x;
    size_t ldx;
    uint8_t *q;
    size_t ldq;
    float *scales;
    fp8_grid g;
    const fp8_quant_kernels *k;
    void (*widen)(const uint16_t *src, float *dst, size_t n); /* 16-bit sources; NULL for float32 */
    size_t task_brows, task_bcols, ntc; /* fused schedule: block-rows and block-cols per task */
    int fused_tiles;                    /* 1 x bc tiles go to k->quantize_tiles */
    atomic_int bad;                     /* set when some block holds NaN or Inf */
} qjob;

/* The extent of block (bi, bj): rows [r0, r0 + nr), cols [c0, c0 + n). */
typedef struct blk { size_t r0, nr, c0, n; } blk;

static blk block_at(const fp8_grid *g, size_t bi, size_t bj) {
    blk b;
    b.r0 = bi * g->br;
    b.nr = fp8_min_size(g->br, g->rows - b.r0);
    b.c0 = bj * g->bc;
    b.n = fp8_min_size(g->bc, g->cols - b.c0);
    return b;
}

static inline uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

static void mark_bad(qjob *j) { atomic_store_explicit(&j->bad, 1, memory_order_relaxed); }

/* ---- row segments of any source type ----------------------------------------------------------- */

/* Address of element (r, c) of the source. */
static const void *src_at(const qjob *j, size_t r, size_t c) {
    return (const char *)j->x + (r * j->ldx + c) * j->esz;
}

/* amax_bits of the n elements from (r, c) on. */
static uint32_t seg_amax(const qjob *j, size_t r, size_t c, size_t n) {
    const void *p = src_at(j, r, c);
    if (!j->widen) return j->k->amax_bits(p, n);
    if (j->k->amax_bits_h) return j->k->amax_bits_h(j->st, p, n);
    float tmp[WCHUNK] __attribute__((aligned(64)));
    uint32_t m = 0;
    for (size_t i = 0; i < n; i += WCHUNK) {
        size_t len = fp8_min_size(WCHUNK, n - i);
        j->widen((const uint16_t *)p + i, tmp, len);
        m = max_u32(m, j->k->amax_bits(tmp, len));
    }
    return m;
}

/* Encode the n elements from (r, c) on with scale s: encode(x * inv) or, with true division, x / s. */
static void encode_floats(const qjob *j, const float *x, uint8_t *q, size_t n, float s, float inv) {
    if (j->true_division)
        j->k->scale_encode_div(j->fmt, x, q, n, s);
    else
        j->k->scale_encode(j->fmt, x, q, n, inv);
}

static void seg_encode(const qjob *j, size_t r, size_t c, size_t n, float s) {
    const void *p = src_at(j, r, c);
    uint8_t *q = j->q + r * j->ldq + c;
    const float inv = 1.0f / s;
    if (!j->widen) { encode_floats(j, p, q, n, s, inv); return; }
    if (!j->true_division && j->k->scale_encode_h) { j->k->scale_encode_h(j->fmt, j->st, p, q, n, inv); return; }
    float tmp[WCHUNK] __attribute__((aligned(64)));
    for (size_t i = 0; i < n; i += WCHUNK) {
        size_t len = fp8_min_size(WCHUNK, n - i);
        j->widen((const uint16_t *)p + i, tmp, len);
        encode_floats(j, tmp, q + i, len, s, inv);
    }
}

/* The scale of block (bi, bj) whose amax_bits is finite. */
static float block_scale(const qjob *j, size_t bi, size_t bj, uint32_t amax) {
    if (j->static_scales) return j->static_scales[bi * j->g.nbc + bj];
    return fp8_rule_scale(j->fmt, j->rule, amax, j->floor_bits);
}

/* Record it (static scales are copied once at the end instead: scales may be NULL or alias them). */
static void store_scale(const qjob *j, size_t bi, size_t bj, float s) {
    if (!j->static_scales) j->scales[bi * j->g.nbc + bj] = s;
}

/* ---- fused schedule -------------------------------------------------------------------------- */

/* The block's amax_bits: the maximum over its row segments. */
static uint32_t block_amax(const qjob *j, const blk *b) {
    uint32_t amax = 0;
    for (size_t r = 0; r < b->nr; r++) amax = max_u32(amax, seg_amax(j, b->r0 + r, b->c0, b->n));
    return amax;
}

static void block_encode(const qjob *j, const blk *b, float s) {
    for (size_t r = 0; r < b->nr; r++) seg_encode(j, b->r0 + r, b->c0, b->n, s);
}

/* Quantize one block whose amax is known. */
static void finish_block(qjob *j, const blk *b, size_t bi, size_t bj, uint32_t amax) {
    if (amax >= 0x7F800000u) { mark_bad(j); return; }
    float s = block_scale(j, bi, bj, amax);
    store_scale(j, bi, bj, s);
    block_encode(j, b, s);
}

/* One block at a time: the amax pass brings it into L2 (128 x 128 floats = 64 KiB), the encode pass
 * reads it from there. (Pipelining by one block as in quantize_tile_row was slower here.) */
static void quantize_block(qjob *j, size_t bi, size_t bj) {
    blk b = block_at(&j->g, bi, bj);
    finish_block(j, &b, bi, bj, block_amax(j, &b));
}

/*
 * Blocks [bj0, bj1) of row r when block_rows = 1 (1 x bc tiles, per-row, MX): the kernel set's
 * fused quantize_tiles when it has one for this bc; otherwise the steps of quantize_block with the
 * per-block bookkeeping hoisted, as tiles can be as small as 32 elements.
 *  - Software-pipelined by one tile: the amax of tile bj + 1 (memory-bound: the first touch of its
 *    4*bc bytes) is issued before tile bj is encoded (compute-bound, from L1), so the two overlap.
 *    Measured on 1 x 128 tiles: about 10% faster than one tile at a time; computing the next tile's
 *    scale early too, going two tiles ahead, batching 16 tiles per pass, or going through the
 *    generic block path were all slower.
 *  - Neighbouring tiles with the same scale (common with POW2 and MX scales) are encoded by one
 *    scale_encode call (up to RUN_MAX elements): the same arithmetic per element, less per-call
 *    overhead (1 x 32 MX tiles: about 15% faster).
 */
static void quantize_tile_row(qjob *j, size_t r, size_t bj0, size_t bj1) {
    const fp8_quant_kernels *k = j->k;
    const size_t bc = j->g.bc, cols = j->g.cols;
    if (j->fused_tiles) {
        /* The kernel set's fused loop: each tile read once, into registers (AVX2, 4096 x 4096,
         * 1 x 128: about 10% faster than the pipelined two-call loop below; 1 x 32 MX: about 13%).
         * Same bits, same skip of bad tiles. A 16-bit source goes through it in pieces of whole
         * tiles widened into L1. */
        size_t c0 = bj0 * bc, c1 = fp8_min_size(bj1 * bc, cols);
        uint8_t *q = j->q + r * j->ldq;
        if (!j->widen) {
            if (k->quantize_tiles(j->fmt, j->rule, j->floor_bits, (const float *)src_at(j, r, 0) + c0, q + c0,
                                  c1 - c0, bc, j->scales + r * j->g.nbc + bj0))
                mark_bad(j);
            return;
        }
        const uint16_t *x = src_at(j, r, 0);
        if (k->quantize_tiles_h) {
            int bad = k->quantize_tiles_h(j->fmt, j->rule, j->floor_bits, j->st, x + c0, q + c0, c1 - c0, bc,
                                          j->scales + r * j->g.nbc + bj0);
            if (bad > 0) mark_bad(j);
            if (bad >= 0) return;
        }
        float tmp[WCHUNK] __attribute__((aligned(64)));
        const size_t step = (WCHUNK / bc) * bc; /* whole tiles (bc <= 128 here) */
        for (size_t c = c0; c < c1; c += step) {
            size_t len = fp8_min_size(step, c1 - c);
            j->widen(x + c, tmp, len);
            if (k->quantize_tiles(j->fmt, j->rule, j->floor_bits, tmp, q + c, len, bc, j->scales + r * j->g.nbc + c / bc))
                mark_bad(j);
        }
        return;
    }
    size_t run_c0 = 0, run_n = 0; /* pending columns [run_c0, run_c0 + run_n) share run_s */
    float run_s = 0.0f;
    uint32_t next = seg_amax(j, r, bj0 * bc, fp8_min_size(bc, cols - bj0 * bc));
    for (size_t bj = bj0; bj < bj1; bj++) {
        size_t c0 = bj * bc, n = fp8_min_size(bc, cols - c0);
        uint32_t amax = next;
        if (bj + 1 < bj1) next = seg_amax(j, r, c0 + bc, fp8_min_size(bc, cols - c0 - bc));
        if (amax >= 0x7F800000u) { mark_bad(j); continue; }
        float s = block_scale(j, r, bj, amax);
        store_scale(j, r, bj, s);
        if (run_n > 0 && s == run_s && run_c0 + run_n == c0 && run_n + n <= RUN_MAX) { run_n += n; continue; }
        if (run_n > 0) seg_encode(j, r, run_c0, run_n, run_s);
        run_c0 = c0; run_n = n; run_s = s;
    }
    if (run_n > 0) seg_encode(j, r, run_c0, run_n, run_s);
}

static void fused_task(void *ctx, size_t t) {
    qjob *j = ctx;
    size_t bi0 = (t / j->ntc) * j->task_brows, bj0 = (t % j->ntc) * j->task_bcols;
    size_t bi1 = fp8_min_size(bi0 + j->task_brows, j->g.nbr);
    size_t bj1 = fp8_min_size(bj0 + j->task_bcols, j->g.nbc);
    for (size_t bi = bi0; bi < bi1; bi++) {
        if (j->g.br == 1) { quantize_tile_row(j, bi, bj0, bj1); continue; }
        for (size_t bj = bj0; bj < bj1; bj++) quantize_block(j, bi, bj);
    }
}

/* Group whole blocks into tasks of >= FP8_QUANT_TASK_MIN elements; returns the task count.
 * (rows * cols cannot overflow: it is at most the validated span of x.) */
static size_t plan_fused(qjob *j) {
    const fp8_grid *g = &j->g;
    size_t block = fp8_min_size(g->br, g->rows) * fp8_min_size(g->bc, g->cols);
    size_t block_row = fp8_min_size(g->br, g->rows) * g->cols;
    if (block_row >= FP8_QUANT_TASK_MIN) {
        j->task_brows = 1;
        j->task_bcols = fp8_min_size(fp8_ceil_div(FP8_QUANT_TASK_MIN, block), g->nbc);
    } else {
        j->task_brows = fp8_ceil_div(FP8_QUANT_TASK_MIN, block_row);
        j->task_bcols = g->nbc;
    }
    j->ntc = fp8_ceil_div(g->nbc, j->task_bcols);
    return fp8_ceil_div(g->nbr, j->task_brows) * j->ntc;
}

/* ---- split schedule: one huge block at a time ------------------------------------------------ */

typedef struct split {
    qjob *j;
    blk b;
    size_t chunk;                       /* elements per range (row-major within the block) */
    float scale;
    uint32_t partial[SPLIT_MAX_CHUNKS]; /* amax of each range */
} split;

/* The next row segment of range [*lo, hi) of the block: returns its length, sets *r, *c. */
static size_t next_segment(const blk *b, size_t lo, size_t hi, size_t *r, size_t *c) {
    *r = lo / b->n;
    *c = lo % b->n;
    return fp8_min_size(b->n - *c, hi - lo);
}

static void split_bounds(const split *s, size_t t, size_t *lo, size_t *hi) {
    *lo = t * s->chunk;
    *hi = fp8_min_size(*lo + s->chunk, s->b.nr * s->b.n);
}

static void split_amax_task(void *ctx, size_t t) {
    split *s = ctx;
    const qjob *j = s->j;
    size_t lo, hi, r, c, len;
    uint32_t m = 0;
    split_bounds(s, t, &lo, &hi);
    for (; lo < hi; lo += len) {
        len = next_segment(&s->b, lo, hi, &r, &c);
        m = max_u32(m, seg_amax(j, s->b.r0 + r, s->b.c0 + c, len));
    }
    s->partial[t] = m;
}

static void split_encode_task(void *ctx, size_t t) {
    split *s = ctx;
    const qjob *j = s->j;
    size_t lo, hi, r, c, len;
    split_bounds(s, t, &lo, &hi);
    for (; lo < hi; lo += len) {
        len = next_segment(&s->b, lo, hi, &r, &c);
        seg_encode(j, s->b.r0 + r, s->b.c0 + c, len, s->scale);
    }
}

/* Quantize block (bi, bj) with both passes spread over the pool (small blocks: directly). */
static void quantize_block_split(qjob *j, size_t bi, size_t bj) {
    split s;
    s.j = j;
    s.b = block_at(&j->g, bi, bj);
    size_t total = s.b.nr * s.b.n;
    if (total < 2 * FP8_QUANT_TASK_MIN) { finish_block(j, &s.b, bi, bj, block_amax(j, &s.b)); return; }
    s.chunk = fp8_ceil_div(total, fp8_min_size(SPLIT_MAX_CHUNKS, total / FP8_QUANT_TASK_MIN));
    size_t nchunks = fp8_ceil_div(total, s.chunk);
    fp8_parallel_for(nchunks, split_amax_task, &s);
    uint32_t amax = 0;
    for (size_t t = 0; t < nchunks; t++) amax = max_u32(amax, s.partial[t]);
    if (amax >= 0x7F800000u) { mark_bad(j); return; }
    s.scale = block_scale(j, bi, bj, amax);
    store_scale(j, bi, bj, s.scale);
    fp8_parallel_for(nchunks, split_encode_task, &s);
}

static void run_split(qjob *j) {
    for (size_t bi = 0; bi < j->g.nbr; bi++)
        for (size_t bj = 0; bj < j->g.nbc; bj++) {
            quantize_block_split(j, bi, bj);
            if (atomic_load_explicit(&j->bad, memory_order_relaxed)) return; /* the result is NaN anyway */
        }
}

/* ---- non-finite input ------------------------------------------------------------------------ */

/* Whether element c of row r is NaN or +-Inf. */
static int is_bad(const qjob *j, size_t r, size_t c) {
    const void *p = src_at(j, r, c);
    uint16_t h;
    switch (j->st) {
    case FP8_DTYPE_BF16: memcpy(&h, p, 2); return (h & 0x7FFF) >= 0x7F80;
    case FP8_DTYPE_F16: memcpy(&h, p, 2); return (h & 0x7FFF) >= 0x7C00;
    default: return (fp8_bits_from_f32(*(const float *)p) & 0x7FFFFFFF) >= 0x7F800000u;
    }
}

/* The first NaN/Inf of x in row-major order (one exists). A whole-row amax skips clean rows fast. */
static void find_first_bad(const qjob *j, size_t *bad_row, size_t *bad_col) {
    for (size_t r = 0; r < j->g.rows; r++) {
        if (seg_amax(j, r, 0, j->g.cols) < 0x7F800000u) continue;
        for (size_t c = 0; c < j->g.cols; c++) {
            if (is_bad(j, r, c)) {
                *bad_row = r;
                *bad_col = c;
                return;
            }
        }
    }
}

/* Every scale NaN (if there is an output), every code of q's [rows, cols] the format's positive NaN. */
static void fill_nan(const qjob *j) {
    const float nan = fp8_f32_from_bits(0x7FC00000u);
    const int nan_code = j->fmt == FP8_E4M3 ? 0x7F : 0x7E;
    if (j->scales)
        for (size_t i = 0; i < j->g.nbr * j->g.nbc; i++) j->scales[i] = nan;
    for (size_t r = 0; r < j->g.rows; r++) memset(j->q + r * j->ldq, nan_code, j->g.cols);
}

/* ---- entry points ---------------------------------------------------------------------------- */

static size_t dtype_size(fp8_dtype t) { return t == FP8_DTYPE_F32 ? 4 : 2; }

/* Argument checks in the documented order. Returns FP8_OK with *empty = 1 for a valid empty call. */
static int validate(fp8_format fmt, fp8_dtype st, const void *x, size_t rows, size_t cols, size_t ldx,
                    size_t br, size_t bc, const fp8_quant_options *o, const uint8_t *q, size_t ldq,
                    const float *scales, fp8_grid *g, int *empty) {
    if (!fp8_format_valid(fmt)) return FP8_ERR_BAD_FORMAT;
    if ((unsigned)st > (unsigned)FP8_DTYPE_BF16 || (unsigned)o->rule > (unsigned)FP8_SCALE_MX ||
        !(o->amax_floor >= 0.0f && o->amax_floor <= FLT_MAX) || (o->true_division != 0 && o->true_division != 1))
        return FP8_ERR_BAD_ARGUMENT;
    if (br == 0 || bc == 0 || ldx < cols || ldq < cols) return FP8_ERR_BAD_SHAPE;
    *empty = rows == 0 || cols == 0;
    if (*empty) return FP8_OK;
    if (!x || !q || (!scales && !o->static_scales)) return FP8_ERR_NULL_POINTER;
    if (fp8_check_span(rows, cols, ldx, dtype_size(st)) || fp8_check_span(rows, cols, ldq, 1))
        return FP8_ERR_SIZE_OVERFLOW;
    int st2 = fp8_grid_init(g, rows, cols, br, bc);
    if (st2 || !o->static_scales) return st2;
    for (size_t i = 0; i < g->nbr * g->nbc; i++) {
        float s = o->static_scales[i];
        if (!(s >= FLT_MIN && s <= FLT_MAX)) return FP8_ERR_BAD_SCALE; /* NaN fails both */
    }
    return FP8_OK;
}

int fp8_quantize_ex(fp8_format fmt, fp8_dtype src_type, const void *x, size_t rows, size_t cols, size_t ldx,
                    size_t block_rows, size_t block_cols, const fp8_quant_options *opt,
                    uint8_t *q, size_t ldq, float *scales, size_t *bad_row, size_t *bad_col) {
    static const fp8_quant_options defaults = {FP8_SCALE_AMAX, 0.0f, 0, NULL};
    const fp8_quant_options *o = opt ? opt : &defaults;
    qjob j;
    int empty = 0;
    int st = validate(fmt, src_type, x, rows, cols, ldx, block_rows, block_cols, o, q, ldq, scales, &j.g, &empty);
    if (st || empty) return st;
    const fp8_kernel_set *ks = fp8_active_kernels();
    j.fmt = fmt;
    j.rule = o->rule;
    j.floor_bits = fp8_floor_bits(fmt, o->amax_floor);
    j.true_division = o->true_division;
    j.static_scales = o->static_scales;
    j.st = src_type;
    j.esz = dtype_size(src_type);
    j.x = x;
    j.ldx = ldx;
    j.q = q;
    j.ldq = ldq;
    j.scales = scales;
    j.k = ks->quant;
    if (j.k->fp_env_ok && !j.k->fp_env_ok()) j.k = &fp8_quant_scalar;
    j.widen = src_type == FP8_DTYPE_BF16 ? ks->codec->bf16_to_f32 : src_type == FP8_DTYPE_F16 ? ks->codec->f16_to_f32 : NULL;
    j.fused_tiles = block_rows == 1 && j.k->quantize_tiles && fp8_quantize_tiles_bc_ok(block_cols) &&
                    !j.true_division && !j.static_scales;
    atomic_init(&j.bad, 0);

    size_t ntasks = plan_fused(&j);
    if (rows * cols < FP8_QUANT_PARALLEL_MIN) {
        for (size_t t = 0; t < ntasks; t++) fused_task(&j, t);
    } else if (ntasks < (size_t)fp8_num_threads()) {
        run_split(&j);
    } else {
        fp8_parallel_for(ntasks, fused_task, &j);
    }
    if (!atomic_load(&j.bad)) {
        if (j.static_scales && scales && scales != j.static_scales)
            memmove(scales, j.static_scales, j.g.nbr * j.g.nbc * sizeof(float));
        return FP8_OK;
    }

    size_t br_ = 0, bc_ = 0;
    find_first_bad(&j, &br_, &bc_);
    if (bad_row) *bad_row = br_;
    if (bad_col) *bad_col = bc_;
    fill_nan(&j);
    return FP8_ERR_NON_FINITE;
}

int fp8_quantize(fp8_format fmt, fp8_dtype src_type, const void *x, size_t rows, size_t cols, size_t ldx,
                 size_t block_rows, size_t block_cols, const fp8_quant_options *opt,
                 uint8_t *q, size_t ldq, float *scales) {
    return fp8_quantize_ex(fmt, src_type, x, rows, cols, ldx, block_rows, block_cols, opt, q, ldq, scales,
                           NULL, NULL);
}

int fp8_quantize_f32_ex(fp8_format fmt, const float *x, size_t rows, size_t cols, size_t ldx,
                        size_t block_rows, size_t block_cols, fp8_scale_rule rule,
                        uint8_t *q, size_t ldq, float *scales, size_t *bad_row, size_t *bad_col) {
    const fp8_quant_options o = {rule, 0.0f, 0, NULL};
    return fp8_quantize_ex(fmt, FP8_DTYPE_F32, x, rows, cols, ldx, block_rows, block_cols, &o, q, ldq, scales,
                           bad_row, bad_col);
}

int fp8_quantize_f32(fp8_format fmt, const float *x, size_t rows, size_t cols, size_t ldx,
                     size_t block_rows, size_t block_cols, fp8_scale_rule rule,
                     uint8_t *q, size_t ldq, float *scales) {
    return fp8_quantize_f32_ex(fmt, x, rows, cols, ldx, block_rows, block_cols, rule, q, ldq, scales,
                               NULL, NULL);
}
