/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_e8m0.c - libFuzzer harness for fp8_scales_to_e8m0 and fp8_scales_from_e8m0.
 *
 * Export: the input gives scales that are mostly exact powers of two in [2^-127, 2^127] (2^-127 is a
 * float32 subnormal), sometimes not: 0, -0, negative, NaN, Inf, 2^-128, 2^128 overflowing to Inf,
 * other subnormals, non-powers of two. Import: arbitrary bytes, sometimes with 0xFF (NaN). Counts
 * 0..300, NULL pointers. For every kernel set:
 *  - the status is the documented one (NULL pointer with n > 0; FP8_ERR_BAD_SCALE if any element is
 *    out of the domain), and a failed call writes nothing (guarded output compared byte for byte);
 *  - on success byte i is e + 127 for scale 2^e (export), scale i is the float32 2^(b - 127)
 *    (import), computed here with ldexp; and export(import(b)) gives b back.
 */
#include "fuzz_common.h"

/* The E8M0 byte of s, or -1 if s is not an exact power of two in [2^-127, 2^127]. */
static int ref_e8m0(float s) {
    if (!(s > 0) || isinf(s)) return -1; /* also NaN, 0, -0 and negatives */
    int e;
    double f = frexp((double)s, &e);
    if (f != 0.5 || e - 1 < -127 || e - 1 > 127) return -1;
    return e - 1 + 127;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ref_init();
    sets_init();
    rd r;
    rd_init(&r, data, size);
    int export_ = rd_u8(&r) & 1;
    uint8_t nsel = rd_u8(&r);
    size_t n = nsel < 16 ? 0 : nsel < 128 ? (size_t)(nsel % 20) : (size_t)(rd_u16(&r) % 301);
    uint8_t nl = rd_u8(&r);
    int null_in = nl == 1 || nl == 3, null_out = nl == 2 || nl == 3;
    uint8_t badness = rd_u8(&r); /* < 64: elements may be out of the domain */

    float *sc = malloc((n ? n : 1) * sizeof(float));
    uint8_t *by = malloc(n ? n : 1);
    int any_bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (export_) {
            uint8_t v = rd_u8(&r);
            float s;
            if (badness < 64 && v < 24) {
                static const uint32_t bad[] = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
                                               0x00200000, 0x00000001, 0x007FFFFF, 0x3FC00000, 0xBF800000, 0x40400000,
                                               0x7F7FFFFF, 0x00400001, 0x80400000, 0x00600000};
                s = f32_of(bad[v % (sizeof bad / sizeof bad[0])]);
                if (v >= 16) s = f32_of(rd_u32(&r));
            } else {
                s = (float)ldexp(1.0, (int)(rd_u8(&r) % 255) - 127); /* 2^-127 .. 2^127 */
            }
            sc[i] = s;
            any_bad |= ref_e8m0(s) < 0;
        } else {
            uint8_t b = rd_u8(&r);
            if (b == 0xFF && badness >= 64) b = 0xFE;
            by[i] = b;
            any_bad |= b == 0xFF;
        }
    }
    unsigned want = 0;
    if (n > 0 && (null_in || null_out)) want |= ST(FP8_ERR_NULL_POINTER);
    if (n > 0 && any_bad && !null_in) want |= ST(FP8_ERR_BAD_SCALE);

    size_t obytes = export_ ? n : n * sizeof(float);
    gbuf out;
    gbuf_alloc(&out, obytes);
    for (size_t k = 0; k < g_nsets; k++) {
        use_set(k);
        memset(out.p, CANARY, obytes);
        gbuf_snap(&out);
        int st = export_ ? fp8_scales_to_e8m0(null_in ? NULL : sc, null_out ? NULL : out.p, n)
                         : fp8_scales_from_e8m0(null_in ? NULL : by, null_out ? NULL : (float *)(void *)out.p, n);
        if (want) {
            FUZZ_CHECK(st_in(want, st), "%s n %zu nulls %d/%d: status %d, want mask 0x%x", export_ ? "to_e8m0" : "from_e8m0",
                       n, null_in, null_out, st, want);
            FUZZ_CHECK(gbuf_same(&out), "%s: failed call (status %d) wrote to its output", export_ ? "to_e8m0" : "from_e8m0", st);
            continue;
        }
        FUZZ_CHECK(st == FP8_OK, "%s n %zu: status %d, want FP8_OK", export_ ? "to_e8m0" : "from_e8m0", n, st);
        FUZZ_CHECK(gbuf_guards_ok(&out), "e8m0 wrote past its output");
        for (size_t i = 0; i < n; i++) {
            if (export_) {
                int want_b = ref_e8m0(sc[i]);
                FUZZ_CHECK(out.p[i] == want_b, "to_e8m0: scale %a gave 0x%02X, want 0x%02X", sc[i], out.p[i], want_b);
            } else {
                float got, want_f = (float)ldexp(1.0, by[i] - 127);
                memcpy(&got, out.p + i * 4, 4);
                FUZZ_CHECK(f32_bits(got) == f32_bits(want_f), "from_e8m0: 0x%02X gave %a, want %a", by[i], got, want_f);
            }
        }
        if (!export_ && n > 0) {
            uint8_t *back = malloc(n);
            int st2 = fp8_scales_to_e8m0((const float *)(void *)out.p, back, n);
            FUZZ_CHECK(st2 == FP8_OK && memcmp(back, by, n) == 0, "export(import(b)) != b (status %d)", st2);
            free(back);
        }
    }
    gbuf_free(&out);
    free(sc);
    free(by);
    return 0;
}
