/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_support.h - machine measurements for the bench only (not part of the library): the FP32 FMA
 * peak of one core at 256 and 512 bits, and a streaming-read bandwidth, in C with per-function target
 * attributes (Swift code is compiled for baseline x86-64 and cannot issue these instructions).
 */
#ifndef FP8_BENCH_SUPPORT_H
#define FP8_BENCH_SUPPORT_H
#include <stddef.h>

/* Runs `iters` steps of 12 independent FMA chains of `bits` (256 or 512) wide FP32 vectors on the
 * calling thread and returns the number of floating-point operations done (2 per lane per FMA), or 0
 * if this build or CPU cannot run that width (check fp8_kernels_supported first for 512). */
double fp8b_fma_chains(int bits, long iters);

/* Sums `bytes` bytes (a multiple of 64) at p with 256-bit loads (4 independent accumulators) and
 * returns a value depending on every byte, so the reads cannot be optimised away. Baseline x86-64
 * (SSE2) when AVX2 is absent; plain C elsewhere. */
unsigned long long fp8b_read_sum(const void *p, size_t bytes);

/* The same on `threads` POSIX threads started together (each runs fp8b_fma_chains(bits, iters)):
 * returns GFLOP/s over the wall time of the slowest, or 0 if the width is unavailable or a thread
 * could not start. Dispatch's concurrentPerform does not guarantee that its iterations run at the
 * same time (one bench run measured the 2-thread peak equal to the 1-thread one). */
double fp8b_fma_gflops_threads(int bits, long iters, int threads);

/* Streaming read of `bytes` at p split over `threads` POSIX threads started together (each sums its
 * 64-byte aligned part with fp8b_read_sum): returns GB/s over the wall time, or 0 on failure. */
double fp8b_read_gbs_threads(const void *p, size_t bytes, int threads);

#endif
