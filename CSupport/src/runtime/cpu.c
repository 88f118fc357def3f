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

/* AVX-512 F (CPUID.7.0:EBX bit 16), DQ (17), BW (30) and VL (31), on top of the AVX2 set's needs, AND
 * the OS saving the opmask, ZMM0-15 upper halves and ZMM16-31 (XCR0 bits 5, 6, 7) besides SSE/AVX
 * state (bits 1, 2). */
int fp8_cpu_has_avx512(void) {
    unsigned a, b, c, d;
    if (!fp8_cpu_has_avx2_fma_f16c()) return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0xE6) != 0xE6) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    return (b & need) == need;
}

int fp8_cpu_has_avx512vbmi(void) {
    unsigned a, b, c, d;
    if (!fp8_cpu_has_avx512()) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (c >> 1) & 1; /* CPUID.7.0:ECX bit 1 */
}
#endif
