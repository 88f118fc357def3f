/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_workspace.c - the GEMM's memory (the bottom layer of gemm/; see gemm_internal.h): 64-byte
 * aligned float buffers, and a small cache of workspaces that the small-M path reuses from call to
 * call, so a decode step (M = 1..16) does not call malloc at all once the cache is warm.
 *
 * The cache is a few atomic pointers, not thread-local storage: no destructor to register (a
 * library that may be dlclose'd must not leave one behind), nothing lost when a calling thread
 * exits, and concurrent callers simply take different entries. A buffer carries its capacity in a
 * 64-byte header. Buffers larger than FP8_GEMM_CACHE_MAX are freed after use instead of kept.
 */
#include "gemm_kernels.h"
#include <stdatomic.h>
#include <stdlib.h>

#define FP8_GEMM_CACHE_SLOTS 4
#define FP8_GEMM_CACHE_MAX ((size_t)16 << 20) /* bytes kept per cached buffer */

static size_t round_up64(size_t b) { return (b + 63) / 64 * 64; }

float *fp8_gemm_alloc_floats(size_t n) {
    if (n > ((size_t)-1 - 256) / sizeof(float)) return NULL;
    return (float *)aligned_alloc(64, round_up64((n + 32) * sizeof(float))); /* slack for vector tails */
}

void fp8_gemm_free(float *p) { free(p); }

/* ---- the workspace cache -------------------------------------------------------------------- */

static _Atomic(float *) g_cache[FP8_GEMM_CACHE_SLOTS];

/* A block is [64-byte header holding the capacity in floats][capacity + 32 floats]. */
static size_t ws_capacity(const float *p) { size_t c; memcpy(&c, (const char *)p - 64, sizeof c); return c; }

static float *ws_new(size_t n) {
    if (n > ((size_t)-1 - 512) / sizeof(float)) return NULL;
    char *b = aligned_alloc(64, 64 + round_up64((n + 32) * sizeof(float)));
    if (!b) return NULL;
    memcpy(b, &n, sizeof n);
    return (float *)(void *)(b + 64);
}

static void ws_delete(float *p) {
    if (p) free((char *)p - 64);
}

/* Puts p into a free cache entry; 0 if there is none. */
static int ws_cache(float *p) {
    for (int i = 0; i < FP8_GEMM_CACHE_SLOTS; i++) {
        float *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(&g_cache[i], &expected, p, memory_order_release,
                                                    memory_order_relaxed))
            return 1;
    }
    return 0;
}

static void ws_keep(float *p) {
    if (p && !ws_cache(p)) ws_delete(p);
}

/* The smallest cached buffer that holds n floats; else a new one (replacing the smallest cached). */
float *fp8_gemm_workspace_get(size_t n) {
    float *fit = NULL, *small = NULL;
    for (int i = 0; i < FP8_GEMM_CACHE_SLOTS; i++) {
        float *p = atomic_exchange_explicit(&g_cache[i], NULL, memory_order_acquire);
        if (!p) continue;
        float **keep = ws_capacity(p) >= n ? &fit : &small;
        if (!*keep || ws_capacity(p) < ws_capacity(*keep)) { /* the smallest of each kind */
            float *old = *keep;
            *keep = p;
            p = old;
        }
        ws_keep(p);
    }
    if (fit) {
        ws_keep(small);
        return fit;
    }
    ws_delete(small);
    return ws_new(n);
}

void fp8_gemm_workspace_put(float *p) {
    if (!p) return;
    if (ws_capacity(p) * sizeof(float) <= FP8_GEMM_CACHE_MAX && ws_cache(p)) return;
    ws_delete(p);
}

/* Frees every cached workspace (fp8_release_threads: nothing of the library's stays allocated). A
 * buffer a running call holds is not in the cache and goes back to it (or is freed) as usual. */
void fp8_gemm_workspace_release_all(void) {
    for (int i = 0; i < FP8_GEMM_CACHE_SLOTS; i++)
        ws_delete(atomic_exchange_explicit(&g_cache[i], NULL, memory_order_acquire));
}
