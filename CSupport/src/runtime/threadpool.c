/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threadpool.c - a small persistent pthread pool for the library's parallel loops.
 *
 * fp8_parallel_for hands out task indices through one atomic counter; the caller works too. Workers
 * are started lazily and sleep on a condition variable between jobs. One job runs at a time: a
 * concurrent or nested call simply runs its tasks serially, so callers never deadlock, and since tasks
 * write disjoint outputs the result never depends on which thread ran what.
 */
#include "../internal/fp8_internal.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define FP8_MAX_THREADS 256 /* g_start_gen is indexed by worker id 1..255 */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_cv_done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t g_busy = PTHREAD_MUTEX_INITIALIZER; /* held for a whole job */

static unsigned long g_gen;   /* job generation, bumped per job (under g_mu) */
static fp8_task_fn g_fn;
static void *g_ctx;
static size_t g_ntasks;
static _Atomic size_t g_next;
static int g_job_workers;     /* workers 1..g_job_workers take part in the current job */
static int g_pending;         /* of those, how many have not finished */
static int g_started;         /* workers started so far */

static _Thread_local int t_in_pool;

/* The caller's floating-point control state, applied by the workers for each job so that every task
 * runs in the environment the caller chose (rounding mode, FTZ/DAZ), wherever it runs. */
typedef struct fp_state { unsigned v; } fp_state;
static fp_state g_fp;
static fp_state fp_get(void) {
    fp_state s = {0};
#if defined(__x86_64__)
    __asm__ volatile("stmxcsr %0" : "=m"(s.v));
#elif defined(__aarch64__)
    unsigned long r;
    __asm__ volatile("mrs %0, fpcr" : "=r"(r));
    s.v = (unsigned)r;
#endif
    return s;
}
static void fp_set(fp_state s) {
#if defined(__x86_64__)
    __asm__ volatile("ldmxcsr %0" : : "m"(s.v));
#elif defined(__aarch64__)
    unsigned long r = s.v;
    __asm__ volatile("msr fpcr, %0" : : "r"(r));
#else
    (void)s;
#endif
}
static unsigned long g_start_gen[FP8_MAX_THREADS]; /* g_gen when worker i was created (under g_mu) */

static _Atomic int g_nthreads; /* 0 = not yet initialised */

static int default_threads(void) {
    const char *env = getenv("FP8_NUM_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == 0 && v >= 1 && v <= FP8_MAX_THREADS) return (int)v;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > FP8_MAX_THREADS ? FP8_MAX_THREADS : (int)n;
}

int fp8_num_threads(void) {
    int n = atomic_load(&g_nthreads);
    if (n == 0) {
        n = default_threads();
        atomic_store(&g_nthreads, n);
    }
    return n;
}

int fp8_set_num_threads(int n) {
    if (n < 0 || n > FP8_MAX_THREADS) return FP8_ERR_BAD_ARGUMENT;
    atomic_store(&g_nthreads, n == 0 ? default_threads() : n);
    return FP8_OK;
}

static void run_tasks(fp8_task_fn fn, void *ctx, size_t ntasks) {
    size_t t;
    while ((t = atomic_fetch_add(&g_next, 1)) < ntasks) fn(ctx, t);
}

static void *worker_main(void *arg) {
    int id = (int)(intptr_t)arg;
    t_in_pool = 1;
    pthread_mutex_lock(&g_mu);
    unsigned long seen = g_start_gen[id]; /* a job posted before we ran is still ours */
    for (;;) {
        while (g_gen == seen) pthread_cond_wait(&g_cv_work, &g_mu);
        seen = g_gen;
        if (id > g_job_workers) continue;
        fp8_task_fn fn = g_fn;
        void *ctx = g_ctx;
        fp_set(g_fp);
        size_t ntasks = g_ntasks;
        pthread_mutex_unlock(&g_mu);
        run_tasks(fn, ctx, ntasks);
        pthread_mutex_lock(&g_mu);
        if (--g_pending == 0) pthread_cond_signal(&g_cv_done);
    }
    return NULL;
}

void fp8_parallel_for(size_t ntasks, fp8_task_fn fn, void *ctx) {
    if (ntasks == 0) return;
    size_t want = (size_t)fp8_num_threads();
    if (want > ntasks) want = ntasks;
    if (want <= 1 || t_in_pool || pthread_mutex_trylock(&g_busy) != 0) {
        for (size_t t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&g_mu);
    while (g_started < (int)want - 1) {
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        g_start_gen[g_started + 1] = g_gen;
        int rc = pthread_create(&th, &attr, worker_main, (void *)(intptr_t)(g_started + 1));
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        g_started++;
    }
    int workers = (int)want - 1 < g_started ? (int)want - 1 : g_started;
    g_fn = fn;
    g_ctx = ctx;
    g_fp = fp_get();
    g_ntasks = ntasks;
    atomic_store(&g_next, 0);
    g_job_workers = workers;
    g_pending = workers;
    g_gen++;
    pthread_cond_broadcast(&g_cv_work);
    pthread_mutex_unlock(&g_mu);

    t_in_pool = 1;
    run_tasks(fn, ctx, ntasks);
    t_in_pool = 0;

    pthread_mutex_lock(&g_mu);
    while (g_pending > 0) pthread_cond_wait(&g_cv_done, &g_mu);
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_unlock(&g_busy);
}
