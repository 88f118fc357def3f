/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_dequantize.c - libFuzzer harness for fp8_dequantize_f32 and fp8_dequantize.
 *
 * The input chooses the function and the output type (F32, F16, BF16 or an invalid value), the
 * format (sometimes invalid), shape, block shape (including zero and huge),
 * leading dimensions of the codes and of x (gaps, too small, huge), NULL pointers (m, data, scales,
 * x), every code (NaN and Inf codes included) and the block scales, which are often NaN, 0, -0,
 * negative, subnormal, huge or Inf: fp8.h defines x = decode(q) * scale(block) as one float32
 * multiply and lists no scale check, so those must give the IEEE product. For every kernel set:
 *  - the status must be one fp8.h documents for the arguments; a failed call writes nothing;
 *  - FP8_OK: each element equals the product computed with doubles from the reference decode
 *    (exact in double, then rounded once to float32; NaN where the product is NaN), for F16 and BF16
 *    outputs then rounded once more by the reference's own nearest-even narrowing (fp8.h: one
 *    rounding of the float32 product, DeepSeek-V3's weight_dequant), nothing outside x's
 *    [rows, cols] elements (gaps, guards) changes, and every set gives the scalar set's bits.
 */
#include "fuzz_common.h"

#define MAX_ELEMS 40000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ref_init();
    sets_init();
    rd r;
    rd_init(&r, data, size);

    fp8_matrix m;
    memset(&m, 0, sizeof m);
    m.format = (fp8_format)rd_format(&r);
    uint8_t shp = rd_u8(&r);
    size_t rows = shp < 8 ? 0 : shp < 160 ? rd_range(&r, 1, 12) : rd_range(&r, 1, 140);
    size_t cols = shp % 16 == 1 ? 0 : (rd_u8(&r) & 1) ? rd_range(&r, 1, 70) : rd_range(&r, 1, 300);
    if (rows * cols > MAX_ELEMS) rows = MAX_ELEMS / (cols ? cols : 1);
    size_t br, bc;
    uint8_t g = rd_u8(&r);
    switch (g % 9) {
    case 0: br = rows ? rows : 1; bc = cols ? cols : 1; break;
    case 1: br = 1; bc = cols ? cols : 1; break;
    case 2: br = 1; bc = 128; break;
    case 3: br = 128; bc = 128; break;
    case 4: br = 1; bc = 32; break;
    case 5: br = rd_range(&r, 1, 20); bc = rd_range(&r, 1, 40); break;
    case 6: br = (g & 0x10) ? 0 : SIZE_MAX; bc = (g & 0x20) ? 0 : (g & 0x40) ? SIZE_MAX : 5; break;
    default: br = rd_range(&r, 1, 160); bc = rd_range(&r, 1, 320); break;
    }
    int hq, hx;
    size_t ld = rd_ld(&r, cols, &hq), ldx = rd_ld(&r, cols, &hx);
    uint8_t nl = rd_u8(&r);
    int null_m = nl == 1, null_d = nl == 2, null_s = nl == 3, null_x = nl == 4;
    int specials = rd_u8(&r) < 96; /* scales: special values allowed */
    uint8_t dsel = rd_u8(&r);
    int use_typed = dsel >= 40;     /* fp8_dequantize, else fp8_dequantize_f32 */
    int dt = use_typed ? rd_dtype(&r) : FP8_DTYPE_F32;
    const size_t esz = dtype_size(dt);

    unsigned want = 0;
    size_t qbytes = 0, xbytes = 0, nbr = 0, nbc = 0, ns = 0;
    int empty = rows == 0 || cols == 0;
    if (null_m) want |= ST(FP8_ERR_NULL_POINTER);
    if (m.format != FP8_E4M3 && m.format != FP8_E5M2) want |= ST(FP8_ERR_BAD_FORMAT);
    if (!dtype_valid(dt)) want |= ST(FP8_ERR_BAD_ARGUMENT);
    if (br == 0 || bc == 0 || ld < cols || ldx < cols) want |= ST(FP8_ERR_BAD_SHAPE);
    if (!empty) {
        if (null_d || null_s || null_x) want |= ST(FP8_ERR_NULL_POINTER);
        int ovf = span_bytes(rows, cols, ld, 1, &qbytes) | span_bytes(rows, cols, ldx, esz, &xbytes);
        if (br && bc) {
            nbr = cdiv(rows, br);
            nbc = cdiv(cols, bc);
            size_t t;
            ovf |= mul_ovf(nbr, nbc, &ns) || mul_ovf(ns, sizeof(float), &t);
        }
        if (ovf) want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }
    if (want || empty) {
        qbytes = 16;
        xbytes = 16;
        ns = 4;
    } else if (qbytes > MAX_ELEMS * 8 || xbytes > MAX_ELEMS * 8 * esz) {
        return 0; /* valid but too large to allocate */
    }

    uint8_t *q = malloc(qbytes ? qbytes : 1);
    for (size_t i = 0; i < qbytes; i++) q[i] = rd_u8(&r);
    float *s = malloc((ns ? ns : 1) * sizeof(float));
    for (size_t i = 0; i < ns; i++) s[i] = rd_scale(&r, specials);
    m.rows = rows;
    m.cols = cols;
    m.ld = ld;
    m.block_rows = br;
    m.block_cols = bc;
    m.data = null_d ? NULL : q;
    m.scales = null_s ? NULL : s;

    gbuf x;
    gbuf_alloc(&x, xbytes);
    float *first = malloc(xbytes ? xbytes : 1);
    for (size_t k = 0; k < g_nsets; k++) {
        use_set(k);
        memset(x.p, CANARY, xbytes);
        gbuf_snap(&x);
        int st = use_typed ? fp8_dequantize(null_m ? NULL : &m, (fp8_dtype)dt, null_x ? NULL : (void *)x.p, ldx)
                           : fp8_dequantize_f32(null_m ? NULL : &m, null_x ? NULL : (float *)(void *)x.p, ldx);
        if (want || empty) {
            if (want)
                FUZZ_CHECK(st_in(want, st), "dst %s fmt %d %zux%zu ld %zu ldx %zu block %zux%zu nulls %d%d%d%d: status %d, want mask 0x%x",
                           dtype_name(dt), (int)m.format, rows, cols, ld, ldx, br, bc, null_m, null_d, null_s, null_x, st, want);
            else
                FUZZ_CHECK(st == FP8_OK, "empty %zux%zu dequantize: status %d", rows, cols, st);
            FUZZ_CHECK(gbuf_same(&x), "dequantize status %d (%zux%zu) wrote to x", st, rows, cols);
            continue;
        }
        FUZZ_CHECK(st == FP8_OK, "fmt %d %zux%zu block %zux%zu: status %d, want FP8_OK", (int)m.format, rows, cols, br, bc, st);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                uint8_t code = q[i * ld + j];
                float sc = s[(i / br) * nbc + j / bc];
                double p = ref_decode((int)m.format, code) * (double)sc; /* exact in double */
                float pf = (float)p;
                uint32_t got = elem_bits(dt, x.p, i * ldx + j), want_v;
                if (isnan(pf)) {
                    FUZZ_CHECK(bits_isnan(dt, got), "fmt %d dst %s: x[%zu][%zu]: code 0x%02X * scale %a gave 0x%x, want NaN",
                               (int)m.format, dtype_name(dt), i, j, code, sc, got);
                    continue;
                }
                want_v = dt == FP8_DTYPE_F32 ? f32_bits(pf) : dt == FP8_DTYPE_F16 ? ref_f16_from_f32(pf) : ref_bf16_from_f32(pf);
                FUZZ_CHECK(got == want_v,
                           "fmt %d dst %s: x[%zu][%zu]: code 0x%02X * scale %a = %a (float32) gave 0x%x (%a), want 0x%x (%a)",
                           (int)m.format, dtype_name(dt), i, j, code, sc, pf, got, ref_widen_bits(dt, got), want_v,
                           ref_widen_bits(dt, want_v));
            }
        FUZZ_CHECK(gbuf_guards_ok(&x), "dequantize wrote past x");
        FUZZ_CHECK(gbuf_gaps_same(&x, rows, cols, ldx, esz), "dequantize wrote into the gaps of x (ldx %zu > cols %zu)",
                   ldx, cols);
        if (k == 0) memcpy(first, x.p, xbytes);
        else FUZZ_CHECK(memcmp(first, x.p, xbytes) == 0, "set %s differs from scalar", g_sets[k]);
    }
    gbuf_free(&x);
    free(first);
    free(q);
    free(s);
    return 0;
}
