/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_gemm.c - libFuzzer harness for fp8_gemm (A and B FP8); the checks are in fuzz_gemm_common.h. */
#include "fuzz_gemm_common.h"
