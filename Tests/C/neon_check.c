/* SPDX-License-Identifier: Apache-2.0 */
/* scalar vs neon kernel tables (codecs, bf16/f16 conversions, quantization), bit for bit (run under qemu-aarch64). Run by scripts/neon-check.sh (CI).
 * usage: test_neon [exhaustive [part nparts]] */
#define _POSIX_C_SOURCE 200809L
#include "../../CSupport/src/internal/fp8_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long g_fail = 0;
#define CHECK(c, ...) do { if (!(c)) { if (g_fail++ < 20) { printf("FAIL %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next32(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)(rng >> 16); }

static const fp8_codec_kernels *S = &fp8_codec_scalar, *N = &fp8_codec_neon;
static const fp8_quant_kernels *QS = &fp8_quant_scalar, *QN = &fp8_quant_neon;

static void set_fpcr(uint64_t v) { __asm__ volatile("msr fpcr, %0" : : "r"(v)); }
static uint64_t get_fpcr(void) { uint64_t v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return v; }

static uint32_t special_bits(int i);

/* float32 -> bf16 / f16, scalar vs neon, bit for bit, at offsets 0..2 (vector body and tail). */
static void half_narrow(const uint32_t *u, size_t n) {
    static uint16_t a[1 << 16], b[1 << 16];
    for (size_t off = 0; off < 3 && off < n; off++) {
        S->bf16_from_f32((const float *)u + off, a, n - off);
        N->bf16_from_f32((const float *)u + off, b, n - off);
        if (memcmp(a, b, (n - off) * 2)) for (size_t i = 0; i < n - off; i++)
            CHECK(a[i] == b[i], "bf16_from_f32 %08x: scalar %04x neon %04x", u[off + i], a[i], b[i]);
        S->f16_from_f32((const float *)u + off, a, n - off);
        N->f16_from_f32((const float *)u + off, b, n - off);
        if (memcmp(a, b, (n - off) * 2)) for (size_t i = 0; i < n - off; i++)
            CHECK(a[i] == b[i], "f16_from_f32 %08x: scalar %04x neon %04x", u[off + i], a[i], b[i]);
    }
}

/* bf16 / f16 -> float32 for all 65536 patterns, and a strided sweep of float32 -> bf16 / f16. */
static void test_half(void) {
    enum { H = 1 << 16 };
    static uint16_t h[H]; static uint32_t a[H], b[H], u[H];
    for (uint32_t i = 0; i < H; i++) h[i] = (uint16_t)i;
    for (size_t off = 0; off < 3; off++) {
        S->bf16_to_f32(h + off, (float *)a, H - off);
        N->bf16_to_f32(h + off, (float *)b, H - off);
        for (size_t i = 0; i < H - off; i++) CHECK(a[i] == b[i], "bf16_to_f32 %04zx: scalar %08x neon %08x", i + off, a[i], b[i]);
        S->f16_to_f32(h + off, (float *)a, H - off);
        N->f16_to_f32(h + off, (float *)b, H - off);
        for (size_t i = 0; i < H - off; i++) CHECK(a[i] == b[i], "f16_to_f32 %04zx: scalar %08x neon %08x", i + off, a[i], b[i]);
    }
    for (uint64_t base = 0; base < 16; base++) {
        for (uint32_t i = 0; i < H; i++) u[i] = (uint32_t)((base + (uint64_t)i * 65537u * 4093u) & 0xFFFFFFFFu);
        for (uint32_t i = 0; i < 64; i++) u[i] = special_bits((int)i);
        half_narrow(u, H);
    }
    /* the binary16 subnormal and overflow thresholds, densely */
    for (uint32_t i = 0; i < H; i++) u[i] = 0x38800000u - H / 2 + i;
    half_narrow(u, H);
    for (uint32_t i = 0; i < H; i++) u[i] = 0x477FF000u - H / 2 + i;
    half_narrow(u, H);
    for (uint32_t i = 0; i < H; i++) u[i] = 0x33000000u - H / 2 + i;
    half_narrow(u, H);
}

/* Encode the bit patterns [lo, hi) in chunks; both formats, both modes (and bf16 / f16 narrowing). */
static void encode_range(uint64_t lo, uint64_t hi) {
    enum { C = 1 << 16 };
    static uint32_t u[C]; static uint8_t a[C], b[C];
    for (uint64_t base = lo; base < hi; base += C) {
        size_t n = hi - base < C ? (size_t)(hi - base) : C;
        for (size_t i = 0; i < n; i++) u[i] = (uint32_t)(base + i);
        for (int f = 0; f < 2; f++) for (int sat = 0; sat < 2; sat++) {
            S->encode((fp8_format)f, (const float *)u, a, n, sat);
            N->encode((fp8_format)f, (const float *)u, b, n, sat);
            if (memcmp(a, b, n)) for (size_t i = 0; i < n; i++)
                CHECK(a[i] == b[i], "encode f%d sat%d %08x: scalar %02x neon %02x", f, sat, u[i], a[i], b[i]);
        }
        half_narrow(u, n);
    }
}

static uint32_t special_bits(int i) {
    static const uint32_t sp[] = {0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0x7F800000, 0xFF800000,
        0x7F800001, 0x7FC00000, 0xFFC00000, 0x7FFFFFFF, 0x43E80000 /*464*/, 0x43E7FFFF, 0x43E80001, 0x43F00000,
        0x477FE000 /*65504*/, 0x476FFFFF, 0x47700000 /*61440*/, 0x3A800000 /*2^-10*/, 0x3B400000, 0x3B200000, 0x3C700000,
        0x37800000 /*2^-16*/, 0x37000000, 0x37400000, 0x38000000};
    return sp[i % (int)(sizeof sp / 4)];
}

static void test_random_encode(void) {
    enum { C = 4099 };
    static uint32_t u[C]; static uint8_t a[C], b[C];
    for (int rep = 0; rep < 2000; rep++) {
        for (int i = 0; i < C; i++) u[i] = (rep & 1) ? next32() : ((next32() % 3 == 0) ? special_bits((int)next32()) : (next32() & 0x807FFFFF) | ((90 + next32() % 70) << 23));
        for (int f = 0; f < 2; f++) for (int sat = 0; sat < 2; sat++) {
            size_t off = next32() % 17, n = C - off;
            S->encode((fp8_format)f, (const float *)u + off, a, n, sat);
            N->encode((fp8_format)f, (const float *)u + off, b, n, sat);
            CHECK(!memcmp(a, b, n), "random encode f%d sat%d", f, sat);
        }
    }
}

static void test_decode(void) {
    uint8_t c[256 + 16]; float a[272], b[272];
    for (int i = 0; i < 272; i++) c[i] = (uint8_t)(i * 7 + 3);
    for (int i = 0; i < 256; i++) c[i] = (uint8_t)i;
    for (int f = 0; f < 2; f++) {
        S->decode((fp8_format)f, c, a, 272);
        N->decode((fp8_format)f, c, b, 272);
        for (int i = 0; i < 272; i++) CHECK(!memcmp(&a[i], &b[i], 4), "decode f%d %02x: %08x vs %08x", f, c[i], ((uint32_t *)a)[i], ((uint32_t *)b)[i]);
        float scales[] = {1.0f, 0x1p-127f, 0x1p-149f, 3.0f, -0.5f, 0.0f, -0.0f, 1e38f, 0x1p100f, __builtin_inff(), -__builtin_inff(), __builtin_nanf(""), 0.1f, 0x1.fffffep-1f, 1.17e-38f};
        for (size_t s = 0; s < sizeof scales / 4; s++) {
            for (int rep = 0; rep < 4; rep++) {
                size_t off = rep * 5, n = 272 - off;
                QS->scale_decode((fp8_format)f, c + off, a, n, scales[s]);
                QN->scale_decode((fp8_format)f, c + off, b, n, scales[s]);
                for (size_t i = 0; i < n; i++) CHECK(!memcmp(&a[i], &b[i], 4), "scale_decode f%d %02x s=%a: %08x vs %08x", f, c[off + i], scales[s], ((uint32_t *)a)[i], ((uint32_t *)b)[i]);
            }
        }
    }
}

static void test_quant(void) {
    enum { C = 1000 };
    static uint32_t u[C]; static uint8_t a[C], b[C];
    for (int rep = 0; rep < 3000; rep++) {
        for (int i = 0; i < C; i++) u[i] = (next32() % 5 == 0) ? special_bits((int)next32()) : (next32() & 0x807FFFFF) | ((60 + next32() % 130) << 23);
        uint32_t invb = (rep % 50 == 0) ? (0x7F800001 | next32()) : (rep % 3 == 0) ? next32() & 0x7FFFFFFF : (next32() & 0x007FFFFF) | ((100 + next32() % 60) << 23);
        float inv; memcpy(&inv, &invb, 4);
        size_t off = next32() % 33, n = C - off - next32() % 40;
        for (int f = 0; f < 2; f++) {
            QS->scale_encode((fp8_format)f, (const float *)u + off, a, n, inv);
            QN->scale_encode((fp8_format)f, (const float *)u + off, b, n, inv);
            CHECK(!memcmp(a, b, n), "scale_encode f%d inv %a", f, inv);
        }
        uint32_t ma = QS->amax_bits((const float *)u + off, n), mb = QN->amax_bits((const float *)u + off, n);
        CHECK(ma == mb, "amax %08x vs %08x", ma, mb);
    }
    for (size_t n = 0; n < 70; n++) {
        for (size_t i = 0; i < n; i++) u[i] = next32() & 0x3FFFFFFF;
        if (n) u[next32() % n] = next32() | 0x7F800000;
        CHECK(QS->amax_bits((const float *)u, n) == QN->amax_bits((const float *)u, n), "amax n=%zu", n);
    }
}

int main(int argc, char **argv) {
    uint64_t fpcr0 = get_fpcr();
    if (argc > 1 && !strcmp(argv[1], "exhaustive")) {
        uint64_t part = argc > 2 ? strtoull(argv[2], 0, 10) : 0, parts = argc > 3 ? strtoull(argv[3], 0, 10) : 1;
        uint64_t lo = (1ull << 32) / parts * part, hi = part + 1 == parts ? 1ull << 32 : (1ull << 32) / parts * (part + 1);
        encode_range(lo, hi);
        printf("exhaustive encode [%08llx, %08llx): %ld failures\n", (unsigned long long)lo, (unsigned long long)hi - 1, g_fail);
        return g_fail != 0;
    }
    /* every FPCR mode: default, FZ, FZ16, each rounding mode, DN (default NaN), and combinations */
    uint64_t modes[] = {0, 1u << 24, 1u << 19, 1u << 22, 2u << 22, 3u << 22, (1u << 24) | (1u << 19) | (3u << 22), 1u << 25, (1u << 25) | (1u << 24)};
    for (size_t m = 0; m < sizeof modes / 8; m++) {
        set_fpcr(fpcr0 | modes[m]);
        CHECK((get_fpcr() & modes[m]) == modes[m], "fpcr not set");
        long before = g_fail;
        test_decode();
        test_random_encode();
        test_quant();
        test_half();
        encode_range(0x3A000000, 0x3A000000 + (1u << 22)); /* subnormal-range slice */
        printf("fpcr mode %#llx: %ld failures\n", (unsigned long long)modes[m], g_fail - before);
    }
    set_fpcr(fpcr0);
    printf("%s (%ld failures)\n", g_fail ? "FAILED" : "ALL OK", g_fail);
    return g_fail != 0;
}
