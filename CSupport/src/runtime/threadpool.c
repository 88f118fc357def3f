/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threadpool.c - a small persistent pthread pool for the library's parallel loops.
 *
 * fp8_parallel_for hands out task indices through one atomic counter; the caller works too. Workers
 * are started lazily and sleep on a condition variable between jobs. One job runs at a time: a
 * concurrent or nested call simply runs its tasks serially, so callers never deadlock, and since tasks
 * write disjoint outputs the result never depends on which thread ran what.
 *
 * Lifetime:
 *  - fork(): the child has only the forking thread, but a copy of the pool's state (the count of
 *    started workers, a job that another thread of the parent was running, a locked mutex). A
 *    pthread_atfork handler, registered before the first worker is started, resets it: the prepare
 *    handler takes g_mu, so the copy is taken between the bookkeeping steps of jobs, and the child
 *    handler releases it, re-creates g_busy and the condition variables, and forgets the workers and
 *    any job. g_busy is not taken by the prepare handler: the forking thread never holds it (no user
 *    code runs inside a job), so a fork is never delayed by a long job on another thread. If the
 *    handler cannot be registered the pool is never used (every job runs on the caller), so a child
 *    can never wait for a missing worker.
 *  - fp8_release_threads asks every worker to exit and joins it; the next job starts new ones.
 */
#include "../internal/fp8_internal.h"

#define FP8_MAX_THREADS 256 /* g_start_gen and g_threads are indexed by worker id 1..255 */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_cv_done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t g_busy = PTHREAD_MUTEX_INITIALIZER; /* held for a whole job, or a release */

static unsigned long g_gen;   /* job generation, bumped per job and per release (under g_mu) */
static fp8_task_fn g_fn;
static void *g_ctx;
static size_t g_ntasks;
static _Atomic size_t g_next;
static int g_job_workers;     /* workers 1..g_job_workers take part in the current job */
static int g_pending;         /* of those, how many have not finished */
static int g_started;         /* workers started so far (under g_mu; changed only with g_busy held) */
static int g_quit;            /* set by fp8_release_threads: workers exit at the next generation */
static pthread_t g_threads[FP8_MAX_THREADS]; /* g_threads[i] is worker i (with g_busy held) */

static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;
static int g_atfork_ok; /* 1 once the fork handlers are registered (written once, inside pthread_once) */

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
        int zero = 0, d = default_threads();
        /* A concurrent fp8_set_num_threads wins over this lazy default. */
        n = atomic_compare_exchange_strong(&g_nthreads, &zero, d) ? d : zero;
    }
    return n;
}

int fp8_set_num_threads(int n) {
    if (n < 0 || n > FP8_MAX_THREADS) return FP8_ERR_BAD_ARGUMENT;
    atomic_store(&g_nthreads, n == 0 ? default_threads() : n);
    return FP8_OK;
}

/* ---- fork ------------------------------------------------------------------------------------ */

static void atfork_prepare(void) { pthread_mutex_lock(&g_mu); }
static void atfork_parent(void) { pthread_mutex_unlock(&g_mu); }

/* The child: only the forking thread exists. g_mu is this thread's (atfork_prepare took it); g_busy may
 * be held by a parent thread that is not here, and the condition variables may count its waiting
 * workers, so they are made anew. No workers, no job. */
static void atfork_child(void) {
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_init(&g_busy, NULL);
    pthread_cond_init(&g_cv_work, NULL);
    pthread_cond_init(&g_cv_done, NULL);
    g_started = 0;
    g_job_workers = 0;
    g_pending = 0;
    g_quit = 0;
}

static void register_atfork(void) {
    g_atfork_ok = pthread_atfork(atfork_prepare, atfork_parent, atfork_child) == 0;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

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
        if (g_quit) break;
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
    pthread_mutex_unlock(&g_mu);
    return NULL;
}

/* Start workers until there are want - 1 (with g_busy and g_mu held); returns how many there are. */
static int start_workers(int want) {
    while (g_started < want - 1) {
        int id = g_started + 1;
        g_start_gen[id] = g_gen;
        if (pthread_create(&g_threads[id], NULL, worker_main, (void *)(intptr_t)id) != 0) break;
        g_started = id;
    }
    return g_started;
}

void fp8_parallel_for(size_t ntasks, fp8_task_fn fn, void *ctx) {
    if (ntasks == 0) return;
    size_t want = (size_t)fp8_num_threads();
    if (want > ntasks) want = ntasks;
    if (want > 1 && !t_in_pool) pthread_once(&g_atfork_once, register_atfork);
    if (want <= 1 || t_in_pool || !g_atfork_ok || pthread_mutex_trylock(&g_busy) != 0) {
        for (size_t t = 0; t < ntasks; t++) fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&g_mu);
    int started = start_workers((int)want);
    int workers = (int)want - 1 < started ? (int)want - 1 : started;
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

int fp8_release_threads(void) {
    if (t_in_pool) return FP8_OK; /* not reachable from user code: tasks never call the API */
    pthread_mutex_lock(&g_busy); /* meanwhile other calls run their jobs serially */
    pthread_mutex_lock(&g_mu);
    int n = g_started;
    if (n > 0) {
        g_quit = 1;
        g_gen++;
        pthread_cond_broadcast(&g_cv_work);
    }
    pthread_mutex_unlock(&g_mu);
    for (int id = 1; id <= n; id++) pthread_join(g_threads[id], NULL);
    pthread_mutex_lock(&g_mu);
    g_quit = 0;
    g_started = 0;
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_unlock(&g_busy);
    fp8_gemm_workspace_release_all();
    return FP8_OK;
}
