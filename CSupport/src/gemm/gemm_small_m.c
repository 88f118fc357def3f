/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_small_m.c - the memory-bound path for small M (LLM decoding: M = 1..16 rows of activations
 * against a large FP8 weight matrix B[N, K]).
 *
 * Here every B element is used by at most 16 multiply-adds, so packing B (write N*K floats, read them
 * back) would cost more than the arithmetic. Instead:
 *   - A (at most 16 x K) is prepared once, dequantized with its scales folded (decode(q) * scale by
 *     scale_decode, the same floats the packed path makes), either as rows or interleaved [K][w],
 *     whichever the kernel set's small-M kernel wants (a_width), then handed to the set's prepare
 *     hook (if any), which may derive its own form of A in a workspace;
 *   - B is streamed exactly once, its codes decoded inline by the kernel. How B's scales enter is the
 *     kernel set's choice, documented there (and in fp8.h):
 *       scalar: folded, each B element is decode(q) * scale(block) (the scale_decode products);
 *       avx2:   promoted, per-block FP32 partial sums of exact code values scaled once into the
 *               totals (kernels/avx2/gemm_avx2_small.c: integer decode for M <= 4, table decode for
 *               larger M);
 *   - tasks are ranges of B rows (N), never of K; the kernels compute each element with arithmetic
 *     that does not depend on the range, so the bits never depend on the thread count.
 */
#include "gemm_internal.h"

#define FP8_GEMM_SMALL_PARALLEL_MIN ((size_t)1 << 18) /* B elements */
#define FP8_GEMM_PACK_K 256

typedef struct small_task_ctx {
    fp8_gemm_small_job job;
    fp8_gemm_small_fn fn;
    size_t n, units, ntasks, align;
} small_task_ctx;

static void small_task(void *ctx, size_t t) {
    const small_task_ctx *s = ctx;
    size_t u0 = t * s->units / s->ntasks, u1 = (t + 1) * s->units / s->ntasks;
    size_t j0 = u0 * s->align, j1 = fp8_gemm_min(u1 * s->align, s->n);
    if (j0 < j1) s->fn(&s->job, j0, j1);
}

int fp8_gemm_small_m(const fp8_gemm_problem *p) {
    const fp8_kernel_set *ks = p->ks;
    const fp8_gemm_small_kernels *g = ks->gemm->small;
    const size_t m = p->m, K = p->k;
    size_t w = g->a_width ? g->a_width(m) : 0;
    size_t nfl = 0, tmpfl = 0;
    float *abuf = NULL, *ws = NULL;
    small_task_ctx s;
    fp8_gemm_small_job *jb = &s.job;

    memset(jb, 0, sizeof *jb);
    jb->m = m;
    jb->k = K;
    jb->bfmt = p->b.fmt;
    jb->b = p->b.q;
    jb->ldb = p->b.ld;
    jb->bscales = p->b.scales;
    jb->bbr = p->b.br;
    jb->bbc = p->b.bc;
    jb->bnbc = p->b.nbc;
    jb->alpha = p->alpha;
    jb->beta = p->beta;
    jb->c = p->c;
    jb->ldc = p->ldc;
    jb->quant = ks->quant;

    /* Prepare A. */
    if (w == 0 && p->a.f) {
        jb->a = p->a.f;
        jb->lda = p->a.ld;
    } else {
        size_t lda = w == 0 ? fp8_gemm_round_up(K, 16) : 0;
        if (w == 0) {
            if (fp8_mul_overflows(m, lda, &nfl)) return FP8_ERR_SIZE_OVERFLOW;
        } else {
            if (fp8_mul_overflows(K, w, &nfl)) return FP8_ERR_SIZE_OVERFLOW;
            tmpfl = w * FP8_GEMM_PACK_K;
        }
        if (nfl > (size_t)-1 / 2 - tmpfl) return FP8_ERR_SIZE_OVERFLOW;
        abuf = fp8_gemm_alloc_floats(nfl + tmpfl);
        if (!abuf) return FP8_ERR_NO_MEMORY;
        if (w == 0) {
            for (size_t i = 0; i < m; i++) fp8_gemm_decode_row(&p->a, i, 0, K, abuf + i * lda, ks->quant);
            jb->lda = lda;
        } else {
            /* [K][w] is the concatenation of [kc][w] slivers of consecutive k ranges. */
            float *tmp = abuf + fp8_gemm_round_up(nfl, 16);
            for (size_t k0 = 0; k0 < K; k0 += FP8_GEMM_PACK_K) {
                size_t kc = fp8_gemm_min(FP8_GEMM_PACK_K, K - k0);
                fp8_gemm_pack(&p->a, 0, m, k0, kc, w, abuf + k0 * w, tmp, ks);
            }
            jb->lda = w;
        }
        jb->a = abuf;
    }
    if (g->prepare) {
        size_t wsfl = g->ws_floats ? g->ws_floats(jb) : 0;
        if (wsfl > (size_t)-1 / 8 || !(ws = fp8_gemm_alloc_floats(wsfl))) {
            fp8_gemm_free(abuf);
            return wsfl > (size_t)-1 / 8 ? FP8_ERR_SIZE_OVERFLOW : FP8_ERR_NO_MEMORY;
        }
        g->prepare(jb, ws);
    }

    /* Tasks: ranges of whole `align`-row units of B. */
    s.fn = g->run;
    s.n = p->n;
    s.align = g->n_align ? g->n_align : 1;
    s.units = fp8_gemm_cdiv(p->n, s.align);
    s.ntasks = (size_t)fp8_num_threads() * 4;
    if (p->n * K < FP8_GEMM_SMALL_PARALLEL_MIN || fp8_num_threads() == 1) s.ntasks = 1;
    if (s.ntasks > s.units) s.ntasks = s.units;
    if (s.ntasks == 1)
        small_task(&s, 0);
    else
        fp8_parallel_for(s.ntasks, small_task, &s);
    fp8_gemm_free(ws);
    fp8_gemm_free(abuf);
    return FP8_OK;
}
