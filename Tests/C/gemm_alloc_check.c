/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gemm_alloc_check.c - no allocation on the small-M GEMM's hot path (issue 9): once warm, a small-M
 * product (M = 1..16) on every kernel set and two threads allocates nothing; and when an allocation
 * fails, the call returns FP8_ERR_NO_MEMORY with C untouched, and the next call works.
 * The library allocates its GEMM memory with aligned_alloc, which this program interposes (counts,
 * and fails on request). Run by scripts/test.sh:
 *   cc -std=c11 -O2 -D_GNU_SOURCE -ICSupport/include Tests/C/gemm_alloc_check.c -L.build/c -lfp8 -lm -ldl -o gemm_alloc_check
 */
#include <fp8.h>
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int g_allocs;
static atomic_int g_fail_from = -1; /* allocations numbered >= this fail (-1: none) */

void *aligned_alloc(size_t align, size_t size) {
    static void *(*real)(size_t, size_t);
    if (!real) *(void **)(&real) = dlsym(RTLD_NEXT, "aligned_alloc");
    int k = atomic_fetch_add(&g_allocs, 1), f = atomic_load(&g_fail_from);
    if (f >= 0 && k >= f) return NULL;
    return real(align, size);
}

static int g_fail;
#define CHECK(c, ...) do { if (!(c)) { g_fail++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

enum { N = 512, KMAX = 2048 };
static uint8_t g_q[N * KMAX], g_qa[16 * KMAX];
static float g_s[N * (KMAX / 128 + 1)], g_sa[16 * (KMAX / 128 + 1)], g_a[16 * KMAX];

/* One small-M product: B [N, k] in br x bc blocks, A float32 or FP8 (1 x 128 tiles). */
static int product(fp8_format fmt, size_t m, size_t k, size_t br, size_t bc, int fp8a, float *c) {
    fp8_matrix b = {fmt, N, k, k, g_q, g_s, br, bc};
    if (!fp8a) return fp8_gemm_f32a(m, g_a, k, &b, 1.0f, 0.0f, c, N);
    fp8_matrix a = {FP8_E4M3, m, k, k, g_qa, g_sa, 1, 128};
    return fp8_gemm(&a, &b, 1.0f, 0.0f, c, N);
}

/* A cold-cache small-M product whose allocation number `nth` (0 or 1) fails: FP8_ERR_NO_MEMORY and C
 * untouched, or FP8_OK if the call needed fewer allocations; then the same call succeeds. Returns
 * whether the failing allocation was reached. */
static int fail_once(const char *set, int nth, size_t m) {
    static float c[16 * N];
    for (size_t i = 0; i < 16 * N; i++) c[i] = (float)i;
    atomic_store(&g_allocs, 0);
    atomic_store(&g_fail_from, nth);
    int st = product(FP8_E4M3, m, 2048, 16, 128, 1, c);
    atomic_store(&g_fail_from, -1);
    int touched = 0, reached = atomic_load(&g_allocs) > nth;
    for (size_t i = 0; i < 16 * N; i++) touched |= c[i] != (float)i;
    if (reached) {
        CHECK(st == FP8_ERR_NO_MEMORY, "%s M=%zu, allocation %d fails: status %d", set, m, nth, st);
        CHECK(!touched, "%s M=%zu, allocation %d fails: C was written", set, m, nth);
    } else {
        CHECK(st == FP8_OK, "%s M=%zu: status %d", set, m, st);
    }
    CHECK(product(FP8_E4M3, m, 2048, 16, 128, 1, c) == FP8_OK, "%s M=%zu: the retry failed", set, m);
    return reached;
}

int main(void) {
    static const char *sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
    static float c[16 * N];
    for (size_t i = 0; i < sizeof g_q; i++) g_q[i] = (uint8_t)((i * 2654435761u) >> 24) & 0xBB; /* finite codes */
    for (size_t i = 0; i < sizeof g_qa; i++) g_qa[i] = (uint8_t)((i * 40503u) >> 8) & 0xBB;
    for (size_t i = 0; i < sizeof g_s / sizeof g_s[0]; i++) g_s[i] = 0.25f + (float)(i % 7) / 8;
    for (size_t i = 0; i < sizeof g_sa / sizeof g_sa[0]; i++) g_sa[i] = 0.5f + (float)(i % 5) / 4;
    for (size_t i = 0; i < sizeof g_a / sizeof g_a[0]; i++) g_a[i] = (float)((int)(i % 13) - 6) / 4;
    fp8_set_num_threads(2);
    /* 1. Failed allocations, while the workspace cache is still cold (the library's first GEMMs): the
     *    first allocation of a call, then (avx2's dot form with 16-row blocks takes two: A with the
     *    prepare workspace, then the tasks' workspaces) the second. */
    fp8_set_kernels(fp8_kernels_supported("avx2") ? "avx2" : "scalar");
    CHECK(fail_once(fp8_kernels(), 0, 1), "%s: the first allocation was not reached", fp8_kernels());
    if (!strcmp(fp8_kernels(), "avx2"))
        CHECK(fail_once("avx2", 1, 2), "avx2: the second allocation was not reached");
    /* 2. Warm: every shape once, then again: the second round allocates nothing. */
    int sets_run = 0;
    for (int si = 0; si < (int)(sizeof sets / sizeof sets[0]); si++) {
        if (!fp8_kernels_supported(sets[si])) continue;
        fp8_set_kernels(sets[si]);
        sets_run++;
        for (int round = 0; round < 2; round++) {
            atomic_store(&g_allocs, 0);
            for (int f = 0; f < 2; f++)
                for (size_t m = 1; m <= 16; m++)
                    for (int blk = 0; blk < 2; blk++)
                        for (int fp8a = 0; fp8a < 2; fp8a++)
                            CHECK(product((fp8_format)f, m, 2048, blk ? 16 : 1, 128, fp8a, c) == FP8_OK,
                                  "%s M=%zu", sets[si], m);
            if (round == 1)
                CHECK(atomic_load(&g_allocs) == 0, "%s: %d allocations in 128 warm small-M products", sets[si],
                      atomic_load(&g_allocs));
        }
    }
    printf("gemm_alloc_check: %d kernel sets, %d failures\n", sets_run, g_fail);
    return g_fail != 0 || sets_run == 0;
}
