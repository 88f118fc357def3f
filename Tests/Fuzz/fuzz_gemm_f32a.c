/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_gemm_f32a.c - libFuzzer harness for fp8_gemm_f32a (A float32, B FP8); the checks are in
 * fuzz_gemm_common.h. */
#define FUZZ_F32A 1
#include "fuzz_gemm_common.h"
