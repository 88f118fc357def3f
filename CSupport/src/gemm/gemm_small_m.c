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
 *               totals, or folded into a copy of A per scale row (kernels/avx2/gemm_avx2_small*.c:
 *               integer decode for M <= 4, table decode for larger M);
 *   - tasks are ranges of B rows (N), never of K; the kernels compute each element with arithmetic
 *     that does not depend on the range, so the bits never depend on the thread count;
 *   - memory: from the workspace cache (gemm_workspace.c), one block for the prepared A and the
 *     kernel's prepare workspace, and one of per-task workspaces (one per thread, a task claims a
 *     free one) if prepare asks: a warm cache means no malloc at all, and every block is taken
 *     before C is touched, so a failed allocation returns FP8_ERR_NO_MEMORY with C untouched.
 */
#include "gemm_internal.h"
#include <sched.h>
#include <stdatomic.h>

#define FP8_GEMM_SMALL_PARALLEL_MIN ((size_t)1 << 18) /* B elements */
#define FP8_GEMM_PACK_K 256
#define FP8_GEMM_MAX_SLOTS 256 /* task workspaces: at most one per thread (fp8_set_num_threads' limit) */
#define FP8_GEMM_WS_MAX ((size_t)-1 / 16) /* floats: larger requests fail with FP8_ERR_SIZE_OVERFLOW */

typedef struct small_task_ctx {
    const fp8_gemm_problem *p;
    float *cbuf;                 /* the epilogue's float32 C [m, n] (ld n) for a 16-bit C, or NULL */
    fp8_gemm_small_job job;
    fp8_gemm_small_fn fn;
    size_t n, units, ntasks, align;
    float *task_ws;              /* nslots workspaces of task_stride floats, or NULL */
    size_t task_stride, nslots;
    atomic_flag busy[FP8_GEMM_MAX_SLOTS];
} small_task_ctx;

/* A free task workspace. At most nslots tasks run at once (one per thread), so one is free but for a
 * moment when a finishing task has not yet released its own. */
static size_t claim_slot(small_task_ctx *s) {
    for (;;) {
        for (size_t i = 0; i < s->nslots; i++)
            if (!atomic_flag_test_and_set_explicit(&s->busy[i], memory_order_acquire)) return i;
        sched_yield();
    }
}

/* Columns [j0, j1): C widened into the epilogue's buffer when it is read, the kernel, the store. */
static void run_cols(small_task_ctx *s, const fp8_gemm_small_job *jb, size_t j0, size_t j1) {
    const fp8_gemm_problem *p = s->p;
    if (s->cbuf && p->beta != 0.0f) fp8_gemm_load_c(p, 0, p->m, j0, j1, s->cbuf + j0, p->n);
    s->fn(jb, j0, j1);
    if (s->cbuf)
        fp8_gemm_store(p, 0, p->m, j0, j1, s->cbuf + j0, p->n);
    else if (p->epi)
        fp8_gemm_store(p, 0, p->m, j0, j1, (float *)p->c + j0, p->ldc);
}

static void small_task(void *ctx, size_t t) {
    small_task_ctx *s = ctx;
    size_t u0 = t * s->units / s->ntasks, u1 = (t + 1) * s->units / s->ntasks;
    size_t j0 = u0 * s->align, j1 = fp8_gemm_min(u1 * s->align, s->n);
    if (j0 >= j1) return;
    if (!s->task_ws) {
        run_cols(s, &s->job, j0, j1);
        return;
    }
    size_t slot = claim_slot(s);
    fp8_gemm_small_job jb = s->job; /* a copy per task, with its own workspace */
    jb.task_ws = s->task_ws + slot * s->task_stride;
    run_cols(s, &jb, j0, j1);
    atomic_flag_clear_explicit(&s->busy[slot], memory_order_release);
}

int fp8_gemm_small_m(const fp8_gemm_problem *p) {
    const fp8_kernel_set *ks = p->ks;
    const fp8_gemm_small_kernels *g = ks->gemm->small;
    const size_t m = p->m, K = p->k;
    const size_t w = g->a_width ? g->a_width(m) : 0;
    /* A is decoded, widened or interleaved into the workspace unless it is float32 rows already. */
    const int own_a = !(w == 0 && p->a.f && p->a.ftype == FP8_DTYPE_F32);
    const int own_c = p->epi && p->c_type != FP8_DTYPE_F32; /* the epilogue's float32 C */
    size_t nfl = 0, tmpfl = 0, wsfl = 0, cfl = 0;
    float *buf;
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

    /* Tasks: ranges of whole `align`-row units of B. */
    s.fn = g->run;
    s.n = p->n;
    s.align = g->n_align ? g->n_align : 1;
    s.units = fp8_gemm_cdiv(p->n, s.align);
    s.ntasks = (size_t)fp8_num_threads() * 4;
    if (p->n * K < FP8_GEMM_SMALL_PARALLEL_MIN || fp8_num_threads() == 1) s.ntasks = 1;
    if (s.ntasks > s.units) s.ntasks = s.units;
    s.nslots = fp8_gemm_min(fp8_gemm_min((size_t)fp8_num_threads(), s.ntasks), FP8_GEMM_MAX_SLOTS);

    /* The workspaces, all taken before C is touched (a failure writes nothing): the prepared A with
     * the kernel's prepare workspace, then one workspace per concurrent task if prepare asks. */
    if (own_a) {
        if (w == 0 ? fp8_mul_overflows(m, fp8_gemm_round_up(K, 16), &nfl) : fp8_mul_overflows(K, w, &nfl))
            return FP8_ERR_SIZE_OVERFLOW;
        tmpfl = w * FP8_GEMM_PACK_K;
    }
    if (g->prepare && g->ws_floats) wsfl = g->ws_floats(jb);
    if (own_c && fp8_mul_overflows(m, p->n, &cfl)) return FP8_ERR_SIZE_OVERFLOW;
    if (nfl > FP8_GEMM_WS_MAX || wsfl > FP8_GEMM_WS_MAX || cfl > FP8_GEMM_WS_MAX) return FP8_ERR_SIZE_OVERFLOW;
    const size_t total = fp8_gemm_round_up(nfl + tmpfl, 16) + fp8_gemm_round_up(wsfl, 16) + cfl;
    buf = total ? fp8_gemm_workspace_get(total) : NULL;
    if (total && !buf) return FP8_ERR_NO_MEMORY;
    float *abuf = buf, *ws = abuf + fp8_gemm_round_up(nfl + tmpfl, 16);
    s.p = p;
    s.cbuf = own_c ? ws + fp8_gemm_round_up(wsfl, 16) : NULL;
    if (own_c) {
        jb->c = s.cbuf; /* the kernels make C in float32 there (ld n); run_cols stores it */
        jb->ldc = p->n;
    }

    /* Prepare A. */
    if (!own_a) {
        jb->a = p->a.f;
        jb->lda = p->a.ld;
    } else if (w == 0) {
        const size_t lda = fp8_gemm_round_up(K, 16);
        for (size_t i = 0; i < m; i++) {
            if (p->a.f)
                fp8_gemm_widen_row(&p->a, i, 0, K, abuf + i * lda, ks);
            else
                fp8_gemm_decode_row(&p->a, i, 0, K, abuf + i * lda, ks->quant);
        }
        jb->a = abuf;
        jb->lda = lda;
    } else {
        /* [K][w] is the concatenation of [kc][w] slivers of consecutive k ranges. */
        float *tmp = abuf + fp8_gemm_round_up(nfl, 16);
        for (size_t k0 = 0; k0 < K; k0 += FP8_GEMM_PACK_K) {
            size_t kc = fp8_gemm_min(FP8_GEMM_PACK_K, K - k0);
            fp8_gemm_pack(&p->a, 0, m, k0, kc, w, abuf + k0 * w, tmp, ks);
        }
        jb->a = abuf;
        jb->lda = w;
    }
    if (g->prepare) g->prepare(jb, ws);
    s.task_ws = NULL;
    if (jb->task_ws_floats) {
        s.task_stride = fp8_gemm_round_up(jb->task_ws_floats, 16);
        if (jb->task_ws_floats > FP8_GEMM_WS_MAX || s.task_stride > FP8_GEMM_WS_MAX / s.nslots ||
            !(s.task_ws = fp8_gemm_workspace_get(s.nslots * s.task_stride))) {
            fp8_gemm_workspace_put(buf);
            return jb->task_ws_floats > FP8_GEMM_WS_MAX || s.task_stride > FP8_GEMM_WS_MAX / s.nslots
                       ? FP8_ERR_SIZE_OVERFLOW : FP8_ERR_NO_MEMORY;
        }
        for (size_t i = 0; i < s.nslots; i++) atomic_flag_clear(&s.busy[i]);
    }

    if (s.ntasks == 1)
        small_task(&s, 0);
    else
        fp8_parallel_for(s.ntasks, small_task, &s);
    fp8_gemm_workspace_put(s.task_ws);
    fp8_gemm_workspace_put(buf);
    return FP8_OK;
}
