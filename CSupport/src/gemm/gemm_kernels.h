/* gemm_kernels.h - NOT API. The GEMM part of a kernel set (placeholder until the GEMM lands). */
#ifndef FP8_GEMM_KERNELS_H
#define FP8_GEMM_KERNELS_H
#include "../internal/fp8_internal.h"

typedef struct fp8_gemm_kernels {
    int mr, nr;
} fp8_gemm_kernels;

extern const fp8_gemm_kernels fp8_gemm_scalar;
#ifdef FP8_HAVE_X86
extern const fp8_gemm_kernels fp8_gemm_avx2;
#endif
#ifdef FP8_HAVE_NEON
extern const fp8_gemm_kernels fp8_gemm_neon;
#endif
#endif
