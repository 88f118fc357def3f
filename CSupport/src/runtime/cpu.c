/* SPDX-License-Identifier: Apache-2.0 */
/* cpu.c - CPU feature detection for run-time kernel choice (x86-64: CPUID + XGETBV). */
#include "../internal/fp8_internal.h"

#ifdef FP8_HAVE_X86
#include <cpuid.h>

/* AVX2, FMA and F16C instructions, AND the OS saving YMM state (OSXSAVE + XCR0 bits 1-2). */
int fp8_cpu_has_avx2_fma_f16c(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!(fma && osxsave && avx && f16c)) return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 6) != 6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 5) & 1; /* AVX2 */
}
#endif
