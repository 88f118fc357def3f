/* SPDX-License-Identifier: Apache-2.0 */
/* bench_support.c - see bench_support.h. */
#define _GNU_SOURCE
#include "bench_support.h"
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>

/* 12 independent FMA chains: enough to cover the FMA latency on every current core (4 cycles x 2
 * pipes = 8 in flight), and 12 + 2 constants fit the 16 ymm registers of AVX2 (16 chains would spill). */
#define CHAINS(T, SET1, FMA)                                                                       \
    T a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f), a4 = SET1(1.4f),         \
      a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f), a8 = SET1(1.8f), a9 = SET1(1.9f),         \
      a10 = SET1(2.0f), a11 = SET1(2.1f);                                                          \
    const T m = SET1(0.999999f), c = SET1(1e-7f);                                                  \
    for (long i = 0; i < iters; i++) {                                                             \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c);            \
        a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); a6 = FMA(a6, m, c); a7 = FMA(a7, m, c);            \
        a8 = FMA(a8, m, c); a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c);        \
    }                                                                                              \
    T s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;

__attribute__((target("avx2,fma"))) static double chains256(long iters, float *sink) {
    CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps)
    *sink = s[0];
    return 2.0 * 8 * 12 * (double)iters;
}

__attribute__((target("avx512f"))) static double chains512(long iters, float *sink) {
    CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps)
    *sink = s[0];
    return 2.0 * 16 * 12 * (double)iters;
}

static volatile float g_sink;

double fp8b_fma_chains(int bits, long iters) {
    float s = 0;
    double f = 0;
    __builtin_cpu_init();
    if (bits == 256 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f = chains256(iters, &s);
    else if (bits == 512 && __builtin_cpu_supports("avx512f")) f = chains512(iters, &s);
    g_sink = s;
    return f;
}

__attribute__((target("avx2"))) static unsigned long long read_avx2(const void *p, size_t bytes) {
    const __m256i *v = (const __m256i *)p;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i + 4 <= bytes / 32; i += 4) {
        s0 = _mm256_add_epi64(s0, _mm256_load_si256(v + i));
        s1 = _mm256_add_epi64(s1, _mm256_load_si256(v + i + 1));
        s2 = _mm256_add_epi64(s2, _mm256_load_si256(v + i + 2));
        s3 = _mm256_add_epi64(s3, _mm256_load_si256(v + i + 3));
    }
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
    uint64_t o[4];
    memcpy(o, &s, 32);
    return o[0] + o[1] + o[2] + o[3];
}
#else
double fp8b_fma_chains(int bits, long iters) { (void)bits; (void)iters; return 0; }
#endif

unsigned long long fp8b_read_sum(const void *p, size_t bytes) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return read_avx2(p, bytes);
#endif
    const uint64_t *w = (const uint64_t *)p;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i + 4 <= bytes / 8; i += 4) { s0 += w[i]; s1 += w[i + 1]; s2 += w[i + 2]; s3 += w[i + 3]; }
    return s0 + s1 + s2 + s3;
}

/* ---- the same on POSIX threads started together ----------------------------------------------- */

typedef struct par_job {
    pthread_barrier_t *go;
    int bits;
    long iters;
    const char *p;
    size_t bytes;
    double flops;
    unsigned long long sum;
} par_job;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *fma_worker(void *arg) {
    par_job *j = arg;
    pthread_barrier_wait(j->go);
    j->flops = fp8b_fma_chains(j->bits, j->iters);
    return NULL;
}

static void *read_worker(void *arg) {
    par_job *j = arg;
    pthread_barrier_wait(j->go);
    j->sum = fp8b_read_sum(j->p, j->bytes);
    return NULL;
}

/* Runs fn on `threads` threads released by one barrier (the caller is the last party); returns the
 * seconds from just before the release to the last join, or -1. */
static double run_threads(void *(*fn)(void *), par_job *jobs, int threads) {
    pthread_t tid[256];
    pthread_barrier_t go;
    if (threads < 1 || threads > 256 || pthread_barrier_init(&go, NULL, (unsigned)threads + 1) != 0) return -1;
    /* Worker i is pinned to the i-th CPU this process may use (Linux), so that the workers never
     * share a core while another one idles; elsewhere the scheduler decides. */
    int cpus[256], ncpu = 0;
#if defined(__linux__)
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        for (int c = 0; c < CPU_SETSIZE && ncpu < 256; c++)
            if (CPU_ISSET(c, &allowed)) cpus[ncpu++] = c;
#endif
    int started = 0;
    for (; started < threads; started++) {
        jobs[started].go = &go;
        if (pthread_create(&tid[started], NULL, fn, &jobs[started]) != 0) break;
#if defined(__linux__)
        if (ncpu > 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpus[started % ncpu], &one);
            pthread_setaffinity_np(tid[started], sizeof one, &one);
        }
#endif
    }
    if (started < threads) { /* cannot happen in practice; let the started ones go and give up */
        pthread_barrier_destroy(&go);
        return -1;
    }
    /* The clock starts before the caller's own arrival releases the workers: after it, the caller
     * may not run again until a worker is done (more threads than cores). */
    double t0 = now_s();
    pthread_barrier_wait(&go);
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    double t = now_s() - t0;
    pthread_barrier_destroy(&go);
    return t;
}

static volatile unsigned long long g_read_sink;

double fp8b_fma_gflops_threads(int bits, long iters, int threads) {
    par_job jobs[256];
    if (threads < 1 || threads > 256 || fp8b_fma_chains(bits, 1) == 0) return 0;
    for (int i = 0; i < threads; i++) { memset(&jobs[i], 0, sizeof jobs[i]); jobs[i].bits = bits; jobs[i].iters = iters; }
    double t = run_threads(fma_worker, jobs, threads);
    if (t <= 0) return 0;
    double flops = 0;
    for (int i = 0; i < threads; i++) flops += jobs[i].flops;
    return flops / t * 1e-9;
}

double fp8b_read_gbs_threads(const void *p, size_t bytes, int threads) {
    par_job jobs[256];
    if (threads < 1 || threads > 256) return 0;
    size_t part = (bytes / (size_t)threads) & ~(size_t)63;
    for (int i = 0; i < threads; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].p = (const char *)p + (size_t)i * part;
        jobs[i].bytes = part;
    }
    double t = run_threads(read_worker, jobs, threads);
    if (t <= 0) return 0;
    unsigned long long s = 0;
    for (int i = 0; i < threads; i++) s += jobs[i].sum;
    g_read_sink = s;
    return (double)part * threads / t * 1e-9;
}
