/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threads_test.c - concurrent callers while the thread count changes (issue 9).
 *
 * The reference bits of every call are computed first on one thread (fp8_set_num_threads(1): the pool
 * is never used). Then CALLERS threads each run every call ROUNDS times and compare with them, while
 * one more thread keeps changing the thread count (1..4, 0 = default) and releasing the pool's workers
 * (fp8_release_threads). Every call is above its threading threshold, so the callers take turns on the
 * pool or run serially when it is busy. Run by scripts/test.sh, and under TSan by scripts/sanitize.sh.
 * Usage: threads_test [rounds]; prints "threads_test: N passed, 0 failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <fp8.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CALLERS = 4, N = 1 << 19, QR = 512, QC = 1024, GM = 40, GN = 256, GK = 256, SM = 3, SN = 1024, SK = 256 };

static float *g_x, *g_qx, *g_ga, *g_sa, *g_gb;
static double *g_xd;

/* Everything one round produces. */
typedef struct out {
    uint8_t *enc, *enc64, *sto, *q;
    float *dec, *qs, *deq, *gc, *sc;
} out;

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) { printf("out of memory\n"); exit(2); }
    return p;
}

static void out_alloc(out *o) {
    o->enc = xmalloc(N); o->enc64 = xmalloc(N); o->sto = xmalloc(N); o->q = xmalloc((size_t)QR * QC);
    o->dec = xmalloc(sizeof(float) * N); o->qs = xmalloc(sizeof(float) * QR * (QC / 32));
    o->deq = xmalloc(sizeof(float) * QR * QC);
    o->gc = xmalloc(sizeof(float) * GM * GN); o->sc = xmalloc(sizeof(float) * SM * SN);
}

static void out_free(out *o) {
    free(o->enc); free(o->enc64); free(o->sto); free(o->q); free(o->dec); free(o->qs); free(o->deq);
    free(o->gc); free(o->sc);
}

/* B operands, quantized once by main (read-only afterwards). */
static uint8_t g_gqb[GN * GK], g_sqb[SN * SK];
static float g_gsb[(GN / 128) * (GK / 128)], g_ssb[(SN / 128) * (SK / 128)];

/* One round of every threaded call; returns the first failing call's number, or 0. */
static int run_round(out *o) {
    if (fp8_encode_f32(FP8_E4M3, g_x, o->enc, N, 0)) return 1;
    if (fp8_decode_f32(FP8_E5M2, o->enc, o->dec, N)) return 2;
    if (fp8_encode_f64(FP8_E5M2, g_xd, o->enc64, N, 1)) return 3;
    if (fp8_encode_f32_stochastic(FP8_E4M3, g_x, o->sto, N, 1, 12345)) return 4;
    if (fp8_quantize_f32(FP8_E4M3, g_qx, QR, QC, QC, 1, 32, FP8_SCALE_MX, o->q, QC, o->qs)) return 5;
    fp8_matrix m = {FP8_E4M3, QR, QC, QC, o->q, o->qs, 1, 32};
    if (fp8_dequantize_f32(&m, o->deq, QC)) return 6;
    fp8_matrix gb = {FP8_E4M3, GN, GK, GK, g_gqb, g_gsb, 128, 128};
    if (fp8_gemm_f32a(GM, g_ga, GK, &gb, 1.0f, 0.0f, o->gc, GN)) return 7;
    fp8_matrix sb = {FP8_E5M2, SN, SK, SK, g_sqb, g_ssb, 128, 128};
    if (fp8_gemm_f32a(SM, g_sa, SK, &sb, 1.0f, 0.0f, o->sc, SN)) return 8;
    return 0;
}

/* 0 if o has the reference bits, else the number of the first differing output. */
static out g_ref;
static int compare(const out *o) {
    if (memcmp(o->enc, g_ref.enc, N)) return 1;
    if (memcmp(o->dec, g_ref.dec, sizeof(float) * N)) return 2;
    if (memcmp(o->enc64, g_ref.enc64, N)) return 3;
    if (memcmp(o->sto, g_ref.sto, N)) return 4;
    if (memcmp(o->q, g_ref.q, (size_t)QR * QC) || memcmp(o->qs, g_ref.qs, sizeof(float) * QR * (QC / 32))) return 5;
    if (memcmp(o->deq, g_ref.deq, sizeof(float) * QR * QC)) return 6;
    if (memcmp(o->gc, g_ref.gc, sizeof(float) * GM * GN)) return 7;
    if (memcmp(o->sc, g_ref.sc, sizeof(float) * SM * SN)) return 8;
    return 0;
}

static int g_rounds = 3;
static atomic_int g_callers_left;
static atomic_int g_bad_status, g_bad_bits, g_rounds_done;

static void *caller(void *arg) {
    (void)arg;
    out o;
    out_alloc(&o);
    for (int r = 0; r < g_rounds; r++) {
        memset(o.enc, 0, N); /* so a call that wrote nothing cannot pass */
        int st = run_round(&o);
        if (st) { atomic_store(&g_bad_status, st); break; }
        int d = compare(&o);
        if (d) { atomic_store(&g_bad_bits, d); break; }
        atomic_fetch_add(&g_rounds_done, 1);
    }
    out_free(&o);
    atomic_fetch_sub(&g_callers_left, 1);
    return NULL;
}

static atomic_int g_changes, g_bad_set;
static void *changer(void *arg) {
    (void)arg;
    static const int counts[] = {2, 1, 4, 3, 0, 2, 4, 1};
    unsigned i = 0;
    while (atomic_load(&g_callers_left) > 0) {
        if (fp8_set_num_threads(counts[i % 8]) != FP8_OK) atomic_store(&g_bad_set, 1);
        if (i % 5 == 4 && fp8_release_threads() != FP8_OK) atomic_store(&g_bad_set, 2);
        int n = fp8_num_threads();
        if (n < 1 || n > 256) atomic_store(&g_bad_set, 3);
        i++;
        atomic_fetch_add(&g_changes, 1);
        sched_yield();
    }
    return NULL;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static float next_float(void) {
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    float u = (float)((g_rng >> 40) & 0xFFFFFF) / 16777216.0f * 4.0f - 2.0f;
    return u * (float)(1u << ((g_rng >> 8) % 20)) / 1024.0f;
}

int main(int argc, char **argv) {
    int pass = 0, fail = 0;
#define CHECK(c, ...) do { if (c) pass++; else { fail++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)
    if (argc > 1) g_rounds = atoi(argv[1]) > 0 ? atoi(argv[1]) : 1;
    g_x = xmalloc(sizeof(float) * N); g_xd = xmalloc(sizeof(double) * N);
    g_qx = xmalloc(sizeof(float) * QR * QC); g_ga = xmalloc(sizeof(float) * GM * GK);
    g_sa = xmalloc(sizeof(float) * SM * SK); g_gb = xmalloc(sizeof(float) * SN * SK);
    for (size_t i = 0; i < N; i++) { g_x[i] = next_float(); g_xd[i] = (double)g_x[i] * (1.0 + 1e-9); }
    for (size_t i = 0; i < (size_t)QR * QC; i++) g_qx[i] = next_float();
    for (size_t i = 0; i < (size_t)GM * GK; i++) g_ga[i] = next_float();
    for (size_t i = 0; i < (size_t)SM * SK; i++) g_sa[i] = next_float();
    for (size_t i = 0; i < (size_t)SN * SK; i++) g_gb[i] = next_float();
    CHECK(fp8_quantize_f32(FP8_E4M3, g_gb, GN, GK, GK, 128, 128, FP8_SCALE_AMAX, g_gqb, GK, g_gsb) == FP8_OK, "quantize B");
    CHECK(fp8_quantize_f32(FP8_E5M2, g_gb, SN, SK, SK, 128, 128, FP8_SCALE_POW2, g_sqb, SK, g_ssb) == FP8_OK, "quantize B");

    CHECK(fp8_set_num_threads(1) == FP8_OK, "set 1 thread");
    out_alloc(&g_ref);
    CHECK(run_round(&g_ref) == 0, "reference round");

    atomic_store(&g_callers_left, CALLERS);
    pthread_t th[CALLERS + 1];
    for (int i = 0; i < CALLERS; i++) CHECK(pthread_create(&th[i], NULL, caller, NULL) == 0, "create caller");
    CHECK(pthread_create(&th[CALLERS], NULL, changer, NULL) == 0, "create changer");
    for (int i = 0; i <= CALLERS; i++) pthread_join(th[i], NULL);
    CHECK(atomic_load(&g_bad_status) == 0, "call %d failed", atomic_load(&g_bad_status));
    CHECK(atomic_load(&g_bad_bits) == 0, "output %d differs from the 1-thread bits", atomic_load(&g_bad_bits));
    CHECK(atomic_load(&g_bad_set) == 0, "thread-count change %d failed", atomic_load(&g_bad_set));
    CHECK(atomic_load(&g_rounds_done) == CALLERS * g_rounds, "%d of %d rounds done",
          atomic_load(&g_rounds_done), CALLERS * g_rounds);
    CHECK(atomic_load(&g_changes) > 0, "the thread count was never changed");

    /* After all that, one more threaded round on 4 threads, then release (valgrind: no thread left). */
    CHECK(fp8_set_num_threads(4) == FP8_OK, "set 4 threads");
    out o;
    out_alloc(&o);
    CHECK(run_round(&o) == 0 && compare(&o) == 0, "4-thread round after the concurrent phase");
    out_free(&o);
    CHECK(fp8_release_threads() == FP8_OK, "release");
    out_free(&g_ref);
    free(g_x); free(g_xd); free(g_qx); free(g_ga); free(g_sa); free(g_gb);
    printf("threads_test: %d passed, %d failed (%d rounds on %d callers, %d thread-count changes; %s kernels)\n",
           pass, fail, g_rounds, CALLERS, atomic_load(&g_changes), fp8_kernels());
    return fail != 0;
}
