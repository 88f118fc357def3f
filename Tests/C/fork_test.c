/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fork_test.c - the thread pool across fork() and fp8_release_threads (issue 9, fault 1).
 *
 * The parent runs threaded calls (an encode of 2^20 floats, a quantize of 1024 x 1024, a packed GEMM
 * and a small-M GEMM, each above its threading threshold, on 4 threads), keeps their bits, then forks.
 * Each child repeats the calls and exits 0 only if it gets the parent's bits; the parent waits for it
 * with a deadline and kills it when the deadline passes (before the fix the child's first threaded
 * call waited forever for workers that were not copied into it). Cases:
 *   1. fork after threaded calls (twice in a row, and a grandchild from the child);
 *   2. fork while another thread of the parent is inside threaded calls;
 *   3. fp8_release_threads, then the same calls again (same bits), then a fork.
 * The bits are also compared with a 1-thread run, which never uses the pool.
 * Run by scripts/test.sh; prints "fork_test: N passed, 0 failed". Deadline: FP8_FORK_DEADLINE seconds
 * (default 60).
 */
#define _POSIX_C_SOURCE 200809L
#include <fp8.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int g_pass, g_fail;
#define CHECK(c, ...) do { if (c) g_pass++; else { g_fail++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

enum { NENC = 1 << 20, QR = 1024, QC = 1024, GM = 64, GN = 256, GK = 256, SM = 4, SN = 1024, SK = 512 };

/* Inputs (filled once) and one set of results. */
static float *g_x, *g_qx, *g_ga, *g_gb, *g_sa;
typedef struct results {
    uint8_t *enc;
    uint8_t *q;
    float *qs;
    float *gc, *sc;
} results;

static uint64_t g_rng = 0x243F6A8885A308D3ull;
static float next_float(void) { /* uniform in [-2, 2) times a power of two in 2^-8..2^7 */
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    float u = (float)((g_rng >> 40) & 0xFFFFFF) / 16777216.0f * 4.0f - 2.0f;
    return u * (float)(1u << ((g_rng >> 8) % 16)) / 256.0f;
}

static void alloc_results(results *r) {
    r->enc = malloc(NENC);
    r->q = malloc((size_t)QR * QC);
    r->qs = malloc(sizeof(float) * QR * (QC / 128));
    r->gc = malloc(sizeof(float) * GM * GN);
    r->sc = malloc(sizeof(float) * SM * SN);
    if (!r->enc || !r->q || !r->qs || !r->gc || !r->sc) { printf("out of memory\n"); exit(2); }
}

/* The threaded calls; 0 if every status was FP8_OK. B operands are quantized from the inputs inside,
 * so each GEMM goes through quantize too. */
static int compute(results *r) {
    static uint8_t gqb[GN * GK], sqb[SN * SK];
    static float gsb[(GN / 128) * (GK / 128)], ssb[(SN / 128) * (SK / 128)];
    int st = 0;
    st |= fp8_encode_f32(FP8_E4M3, g_x, r->enc, NENC, 0);
    st |= fp8_quantize_f32(FP8_E5M2, g_qx, QR, QC, QC, 1, 128, FP8_SCALE_AMAX, r->q, QC, r->qs);
    st |= fp8_quantize_f32(FP8_E4M3, g_gb, GN, GK, GK, 128, 128, FP8_SCALE_POW2, gqb, GK, gsb);
    fp8_matrix gb = {FP8_E4M3, GN, GK, GK, gqb, gsb, 128, 128};
    st |= fp8_gemm_f32a(GM, g_ga, GK, &gb, 1.0f, 0.0f, r->gc, GN);
    st |= fp8_quantize_f32(FP8_E4M3, g_gb, SN, SK, SK, 128, 128, FP8_SCALE_AMAX, sqb, SK, ssb);
    fp8_matrix sb = {FP8_E4M3, SN, SK, SK, sqb, ssb, 128, 128};
    st |= fp8_gemm_f32a(SM, g_sa, SK, &sb, 1.0f, 0.0f, r->sc, SN);
    return st;
}

static int same(const results *a, const results *b) {
    return memcmp(a->enc, b->enc, NENC) == 0 && memcmp(a->q, b->q, (size_t)QR * QC) == 0 &&
           memcmp(a->qs, b->qs, sizeof(float) * QR * (QC / 128)) == 0 &&
           memcmp(a->gc, b->gc, sizeof(float) * GM * GN) == 0 && memcmp(a->sc, b->sc, sizeof(float) * SM * SN) == 0;
}

static results g_ref;   /* the parent's bits */
static results g_other; /* scratch for a child or a re-run */

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double g_deadline_s = 60.0;

/* Wait for pid until the deadline; returns its exit status, or -1 if it was killed for being late,
 * -2 if it died by a signal. */
static int wait_child(pid_t pid) {
    double end = now() + g_deadline_s;
    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0) return -3;
        if (now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (WIFSIGNALED(status)) return -2;
    return WEXITSTATUS(status);
}

/* The child's work: the calls again, the parent's bits, optionally a grandchild doing the same. */
static int child_main(int grandchild) {
    if (compute(&g_other) != 0) return 10;
    if (!same(&g_other, &g_ref)) return 11;
    if (compute(&g_other) != 0 || !same(&g_other, &g_ref)) return 12; /* the restarted pool, again */
    if (grandchild) {
        pid_t pid = fork();
        if (pid < 0) return 13;
        if (pid == 0) _exit(child_main(0));
        int st = wait_child(pid);
        if (st != 0) return st == -1 ? 14 : 15;
    }
    return 0;
}

/* Fork a child running child_main and check it finishes in time with exit status 0. */
static void fork_and_check(const char *what, int grandchild) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { CHECK(0, "%s: fork failed", what); return; }
    if (pid == 0) _exit(child_main(grandchild));
    int st = wait_child(pid);
    CHECK(st == 0, "%s: child %s (status %d)", what,
          st == -1 ? "did not finish before the deadline (hung)" : st == -2 ? "was killed by a signal" :
          "computed other bits or failed", st);
}

/* A parent thread that keeps running threaded encodes while the main thread forks. */
static atomic_int g_stop;
static void *busy_thread(void *arg) {
    (void)arg;
    uint8_t *out = malloc(NENC);
    long rounds = 0;
    while (out && !atomic_load(&g_stop)) {
        if (fp8_encode_f32(FP8_E4M3, g_x, out, NENC, 0) != FP8_OK || memcmp(out, g_ref.enc, NENC) != 0) {
            free(out);
            return (void *)1;
        }
        rounds++;
    }
    free(out);
    return rounds > 0 ? NULL : (void *)2;
}

int main(void) {
    const char *dl = getenv("FP8_FORK_DEADLINE");
    if (dl && atof(dl) > 0) g_deadline_s = atof(dl);
    g_x = malloc(sizeof(float) * NENC);
    g_qx = malloc(sizeof(float) * QR * QC);
    g_ga = malloc(sizeof(float) * GM * GK);
    g_gb = malloc(sizeof(float) * SN * SK);
    g_sa = malloc(sizeof(float) * SM * SK);
    if (!g_x || !g_qx || !g_ga || !g_gb || !g_sa) { printf("out of memory\n"); return 2; }
    for (size_t i = 0; i < NENC; i++) g_x[i] = next_float() * 100.0f;
    for (size_t i = 0; i < (size_t)QR * QC; i++) g_qx[i] = next_float();
    for (size_t i = 0; i < (size_t)GM * GK; i++) g_ga[i] = next_float();
    for (size_t i = 0; i < (size_t)SN * SK; i++) g_gb[i] = next_float();
    for (size_t i = 0; i < (size_t)SM * SK; i++) g_sa[i] = next_float();
    alloc_results(&g_ref);
    alloc_results(&g_other);

    /* The reference: one thread (the pool is never used), then 4 threads must agree. */
    CHECK(fp8_set_num_threads(1) == FP8_OK, "set 1 thread");
    CHECK(compute(&g_ref) == 0, "1-thread calls failed");
    CHECK(fp8_set_num_threads(4) == FP8_OK, "set 4 threads");
    CHECK(compute(&g_other) == 0, "4-thread calls failed");
    CHECK(same(&g_other, &g_ref), "4 threads give other bits than 1 thread");

    /* 1. fork after threaded calls; a second fork; a grandchild. */
    fork_and_check("fork after threaded calls", 0);
    fork_and_check("second fork", 0);
    fork_and_check("fork, then a grandchild forked by the child", 1);
    CHECK(compute(&g_other) == 0 && same(&g_other, &g_ref), "parent after the forks");

    /* 2. fork while another thread is inside threaded calls. */
    pthread_t th;
    atomic_store(&g_stop, 0);
    if (pthread_create(&th, NULL, busy_thread, NULL) != 0) { CHECK(0, "pthread_create"); return 1; }
    for (int i = 0; i < 4; i++) {
        struct timespec ts = {0, 3 * 1000 * 1000};
        nanosleep(&ts, NULL);
        fork_and_check("fork while another thread runs threaded encodes", 0);
    }
    atomic_store(&g_stop, 1);
    void *tr;
    pthread_join(th, &tr);
    CHECK(tr == NULL, "the busy thread got other bits or no round (%p)", tr);

    /* 3. release the workers; the next calls start new ones; fork after a release. */
    CHECK(fp8_release_threads() == FP8_OK, "release");
    CHECK(fp8_release_threads() == FP8_OK, "second release (no workers)");
    CHECK(compute(&g_other) == 0 && same(&g_other, &g_ref), "calls after a release");
    CHECK(fp8_release_threads() == FP8_OK, "release after restart");
    fork_and_check("fork after a release", 0);
    CHECK(compute(&g_other) == 0 && same(&g_other, &g_ref), "calls after release and fork");
    CHECK(fp8_release_threads() == FP8_OK, "final release");

    printf("fork_test: %d passed, %d failed (%s kernels)\n", g_pass, g_fail, fp8_kernels());
    free(g_x); free(g_qx); free(g_ga); free(g_gb); free(g_sa);
    results *rs[2] = {&g_ref, &g_other};
    for (int i = 0; i < 2; i++) { free(rs[i]->enc); free(rs[i]->q); free(rs[i]->qs); free(rs[i]->gc); free(rs[i]->sc); }
    return g_fail != 0;
}
