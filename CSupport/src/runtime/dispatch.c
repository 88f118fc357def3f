/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dispatch.c - the ONE table of kernel sets, and the run-time choice among them.
 *
 * The choice is made once (first use) from the CPU and FP8_KERNELS, can be changed with
 * fp8_set_kernels, and is read with one atomic load per operation.
 */
#include "../internal/fp8_internal.h"
#include "../gemm/gemm_kernels.h"
#include <pthread.h>
#include <stdlib.h>

static const fp8_kernel_set k_sets[] = {
    {"scalar", 1, &fp8_codec_scalar, &fp8_quant_scalar, &fp8_gemm_scalar},
#ifdef FP8_HAVE_X86
    {"avx2", 1, &fp8_codec_avx2, &fp8_quant_avx2, &fp8_gemm_avx2},
    /* Not the default (see by_default in fp8_internal.h): both pass the whole suite on AMD Zen 4
     * (2026-11-29), but there they are not faster than avx2 (packed GEMM about 0.95x, small M 0.5-0.8x,
     * codecs 0.9-1.35x; Zen 4 runs 512-bit operations on 256-bit units); not yet measured on Intel. */
    {"avx512", 0, &fp8_codec_avx512, &fp8_quant_avx512, &fp8_gemm_avx512},
    {"avx512vbmi", 0, &fp8_codec_avx512vbmi, &fp8_quant_avx512vbmi, &fp8_gemm_avx512vbmi},
#endif
#ifdef FP8_HAVE_NEON
    {"neon", 1, &fp8_codec_neon, &fp8_quant_neon, &fp8_gemm_neon},
#endif
};
#define NSETS (sizeof k_sets / sizeof k_sets[0])

static const fp8_kernel_set *find_set(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < NSETS; i++)
        if (strcmp(k_sets[i].name, name) == 0) return &k_sets[i];
    return NULL;
}

static int set_supported(const fp8_kernel_set *s) {
    if (!s) return 0;
#ifdef FP8_HAVE_X86
    if (s->codec == &fp8_codec_avx2) return fp8_cpu_has_avx2_fma_f16c();
    if (s->codec == &fp8_codec_avx512) return fp8_cpu_has_avx512();
    if (s->codec == &fp8_codec_avx512vbmi) return fp8_cpu_has_avx512vbmi();
#endif
    return 1; /* scalar always; NEON is compiled only where it is baseline (AArch64) */
}

/* The last (fastest) set marked by_default that the CPU supports. */
static const fp8_kernel_set *best_set(void) {
    for (size_t i = NSETS; i-- > 0;)
        if (k_sets[i].by_default && set_supported(&k_sets[i])) return &k_sets[i];
    return &k_sets[0];
}

static const fp8_kernel_set *_Atomic g_active;
static int g_env_status = FP8_OK;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_from_env(void) {
    const char *req = getenv("FP8_KERNELS");
    const fp8_kernel_set *s = NULL;
    if (req && *req) {
        s = find_set(req);
        if (!set_supported(s)) { s = NULL; g_env_status = FP8_ERR_UNSUPPORTED; }
    }
    g_active = s ? s : best_set();
}

const fp8_kernel_set *fp8_active_kernels(void) {
    pthread_once(&g_once, init_from_env);
    return g_active;
}

const fp8_kernel_set *fp8_scalar_kernels(void) { return &k_sets[0]; }

const char *fp8_kernels(void) { return fp8_active_kernels()->name; }

int fp8_kernels_supported(const char *name) { return set_supported(find_set(name)); }

int fp8_kernels_env_status(void) {
    pthread_once(&g_once, init_from_env);
    return g_env_status;
}

int fp8_set_kernels(const char *name) {
    pthread_once(&g_once, init_from_env);
    if (!name || !*name) { g_active = best_set(); return FP8_OK; }
    const fp8_kernel_set *s = find_set(name);
    if (!set_supported(s)) { g_active = best_set(); return FP8_ERR_UNSUPPORTED; }
    g_active = s;
    return FP8_OK;
}
