#include "gemm_kernels.h"
const fp8_gemm_kernels fp8_gemm_scalar = {1, 1};
#ifdef FP8_HAVE_X86
const fp8_gemm_kernels fp8_gemm_avx2 = {6, 16};
#endif
