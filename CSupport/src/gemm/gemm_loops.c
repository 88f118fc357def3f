/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_loops.c - the packed path, BLIS-style:
 *
 *   for jc over N in nc blocks            (B panel: kc x nc floats, lives in L3)
 *     for pc over K in kc blocks          (the same kc blocks for every task: summation order fixed)
 *       pack B[jc.., pc..] into [kc][nr] slivers (decode * scale)
 *       for ic over M in mc blocks        (A block: mc x kc floats, lives in L2)
 *         pack A[ic.., pc..] into [kc][mr] slivers
 *         for jr over the B slivers       (one B sliver, kc x nr, stays in L1)
 *           for ir over the A slivers
 *             micro-kernel: C tile = alpha * A sliver * B sliver + (pc == 0 ? beta : 1) * C tile
 *
 * Each element of C is thus the FP32 FMA chain over k inside each kc block, and the blocks are added
 * into C in increasing k: alpha*s_0 + beta*C, then + alpha*s_1, ... whatever the thread split, since
 * a task always owns whole mr x nr tiles (its range starts on tile boundaries) and edge tiles go
 * through a temporary with the very same micro-kernel.
 */
#include "gemm_internal.h"

void fp8_gemm_plan_blocks(const fp8_gemm_kernels *g, size_t m, size_t n, size_t k, fp8_gemm_blocking *bl) {
    size_t nkb = fp8_gemm_cdiv(k, g->kc);
    bl->kc = fp8_gemm_min(fp8_gemm_round_up(fp8_gemm_cdiv(k, nkb), 8), g->kc);
    if (bl->kc < fp8_gemm_cdiv(k, nkb)) bl->kc = fp8_gemm_cdiv(k, nkb); /* g->kc not a multiple of 8 */
    size_t nmb = fp8_gemm_cdiv(m, g->mc);
    bl->mc = fp8_gemm_round_up(fp8_gemm_cdiv(m, nmb), g->mr);
    (void)n;
    bl->nc = g->nc;
}

/* nc for a task of nt columns: balanced blocks of at most g->nc, multiples of nr. */
static size_t task_nc(const fp8_gemm_kernels *g, size_t nt) {
    size_t nnb = fp8_gemm_cdiv(nt, g->nc);
    return fp8_gemm_round_up(fp8_gemm_cdiv(nt, nnb), g->nr);
}

/* For a task of AT MOST nt columns. task_nc is not monotonic in nt (scalar: 2056 columns make two
 * blocks of 1032, 2048 columns one of 2048), so a narrower task than the one sized for could use a
 * wider B panel: size it for the widest any task up to nt columns may use. */
size_t fp8_gemm_workspace_floats(const fp8_gemm_kernels *g, const fp8_gemm_blocking *bl, size_t mt, size_t nt) {
    size_t nc = fp8_gemm_min(fp8_gemm_round_up(g->nc, g->nr), fp8_gemm_round_up(nt, g->nr));
    size_t mc = fp8_gemm_min(bl->mc, fp8_gemm_round_up(mt, g->mr));
    size_t rmax = g->mr > g->nr ? g->mr : g->nr;
    /* B panel + A block + decode temporary, each rounded to 16 floats (64 bytes). */
    return fp8_gemm_round_up(bl->kc * nc, 16) + fp8_gemm_round_up(bl->kc * mc, 16) +
           fp8_gemm_round_up(bl->kc * rmax, 16);
}

/* An edge tile (rows < mr or cols < nr): the same micro-kernel on an aligned temporary. */
static void edge_tile(const fp8_gemm_kernels *g, size_t kc, const float *a, const float *b, float *c,
                      size_t ldc, size_t rows, size_t cols, float alpha, float beta) {
    float tile[16 * 32] __attribute__((aligned(64))); /* mr * nr <= 512 in every set */
    size_t nr = g->nr;
    if (beta != 0.0f) {
        for (size_t i = 0; i < g->mr; i++)
            for (size_t j = 0; j < nr; j++) tile[i * nr + j] = (i < rows && j < cols) ? c[i * ldc + j] : 0.0f;
    }
    g->ukr(kc, a, b, tile, nr, alpha, beta);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) c[i * ldc + j] = tile[i * nr + j];
}

/* The product for rows [i0, i1) x cols [jc, jc + ncur) of C into the float32 target ct (element (i, j)
 * at ct[(i - i0) * ldt + (j - jc)]), over all of K: the loops below NC of the file comment. */
static void product_block(const fp8_gemm_problem *p, const fp8_gemm_blocking *bl, size_t i0, size_t i1,
                          size_t jc, size_t ncur, float *ct, size_t ldt, size_t mc, float *bp, float *ap,
                          float *tmp) {
    const fp8_kernel_set *ks = p->ks;
    const fp8_gemm_kernels *g = ks->gemm;
    const size_t mr = g->mr, nr = g->nr, K = p->k, kcmax = bl->kc;
    for (size_t pc = 0; pc < K; pc += kcmax) {
        size_t kc = fp8_gemm_min(kcmax, K - pc);
        float beta = pc == 0 ? p->beta : 1.0f;
        fp8_gemm_pack(&p->b, jc, ncur, pc, kc, nr, bp, tmp, ks);
        for (size_t ic = i0; ic < i1; ic += mc) {
            size_t mcur = fp8_gemm_min(mc, i1 - ic);
            fp8_gemm_pack(&p->a, ic, mcur, pc, kc, mr, ap, tmp, ks);
            for (size_t jr = 0; jr < ncur; jr += nr) {
                size_t cols = fp8_gemm_min(nr, ncur - jr);
                const float *bs = bp + jr * kc;
                float *ccol = ct + jr;
                for (size_t ir = 0; ir < mcur; ir += mr) {
                    size_t rows = fp8_gemm_min(mr, mcur - ir);
                    float *cti = ccol + (ic - i0 + ir) * ldt;
                    if (rows == mr && cols == nr)
                        g->ukr(kc, ap + ir * kc, bs, cti, ldt, p->alpha, beta);
                    else
                        edge_tile(g, kc, ap + ir * kc, bs, cti, ldt, rows, cols, p->alpha, beta);
                }
            }
        }
    }
}

/* The epilogue's blocks of C (see fp8_gemm_problem). A block is er rows by ec columns of the task's
 * C with er * ec <= EPI_FLOATS (16 MiB of float32 per task), so the buffer stays bounded whatever M
 * and N and the store finds the block in cache. Each strip of ec columns packs the task's A rows
 * again, each chunk of er rows packs its B panel again, so the split minimises
 * (strips * rows + chunks * columns) of packing, preferring full-width strips (measured: a 2048 x
 * 2112 x 7168 BF16-output product lost 6% to a 16-column strip and a 32-row chunk before this). */
#define EPI_FLOATS ((size_t)1 << 22)

typedef struct epi_plan { size_t er, ec; } epi_plan;

static epi_plan plan_epi(const fp8_gemm_kernels *g, size_t mt, size_t nt, size_t nc) {
    const size_t mr = g->mr, nr = g->nr;
    epi_plan best = {mr, nr};
    size_t best_cost = (size_t)-1;
    for (size_t s = fp8_gemm_cdiv(nt, nc); s <= fp8_gemm_cdiv(nt, nr); s++) {
        size_t ec = fp8_gemm_round_up(fp8_gemm_cdiv(nt, s), nr);
        if (ec > nc) continue;
        size_t erm = EPI_FLOATS / ec / mr * mr;
        if (erm < mr) erm = mr;
        size_t chunks = fp8_gemm_cdiv(mt, erm), strips = fp8_gemm_cdiv(nt, ec);
        size_t cost = strips * mt + chunks * nt;
        if (cost < best_cost) {
            best_cost = cost;
            best.ec = ec;
            best.er = fp8_gemm_round_up(fp8_gemm_cdiv(mt, chunks), mr);
        }
        if (chunks == 1) break; /* more strips would only pack A more often */
    }
    return best;
}

/* For a task of AT MOST mt rows and nt columns: every plan keeps er <= round_up(mt, mr),
 * ec <= min(nc, round_up(nt, nr)) and er * ec <= EPI_FLOATS (ec * mr is far below it). */
size_t fp8_gemm_epi_floats(const fp8_gemm_problem *p, size_t mt, size_t nt) {
    const fp8_gemm_kernels *g = p->ks->gemm;
    if (!p->epi || p->c_type == FP8_DTYPE_F32) return 0;
    size_t w = fp8_gemm_min(fp8_gemm_round_up(g->nc, g->nr), fp8_gemm_round_up(nt, g->nr));
    return fp8_gemm_round_up(fp8_gemm_min(EPI_FLOATS, fp8_gemm_round_up(mt, g->mr) * w), 16);
}

void fp8_gemm_packed_range(const fp8_gemm_problem *p, const fp8_gemm_blocking *bl, size_t i0, size_t i1,
                           size_t j0, size_t j1, float *ws) {
    const fp8_gemm_kernels *g = p->ks->gemm;
    const size_t mr = g->mr;
    const size_t nc = task_nc(g, j1 - j0);
    const size_t mc = fp8_gemm_min(bl->mc, fp8_gemm_round_up(i1 - i0, mr));
    const size_t kcmax = bl->kc;
    float *bp = ws;
    float *ap = bp + fp8_gemm_round_up(kcmax * nc, 16);
    float *tmp = ap + fp8_gemm_round_up(kcmax * mc, 16);

    if (!p->epi) {
        float *c = p->c;
        for (size_t jc = j0; jc < j1; jc += nc)
            product_block(p, bl, i0, i1, jc, fp8_gemm_min(nc, j1 - jc), c + i0 * p->ldc + jc, p->ldc, mc, bp, ap, tmp);
        return;
    }
    /* With the epilogue: blocks of C small enough to stay in cache until they are stored. */
    const epi_plan pl = plan_epi(g, i1 - i0, j1 - j0, nc);
    const size_t er = pl.er, ec = pl.ec;
    float *cbuf = tmp + fp8_gemm_round_up(kcmax * (g->mr > g->nr ? g->mr : g->nr), 16);
    for (size_t ii = i0; ii < i1; ii += er) {
        size_t ie = fp8_gemm_min(i1, ii + er);
        for (size_t jc = j0; jc < j1; jc += ec) {
            size_t ncur = fp8_gemm_min(ec, j1 - jc);
            if (p->c_type == FP8_DTYPE_F32) {
                float *c = (float *)p->c + ii * p->ldc + jc;
                product_block(p, bl, ii, ie, jc, ncur, c, p->ldc, mc, bp, ap, tmp);
                fp8_gemm_store(p, ii, ie, jc, jc + ncur, c, p->ldc);
            } else {
                if (p->beta != 0.0f) fp8_gemm_load_c(p, ii, ie, jc, jc + ncur, cbuf, ec);
                product_block(p, bl, ii, ie, jc, ncur, cbuf, ec, mc, bp, ap, tmp);
                fp8_gemm_store(p, ii, ie, jc, jc + ncur, cbuf, ec);
            }
        }
    }
}
