/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_quantize.c - libFuzzer harness for fp8_quantize_f32 and fp8_quantize_f32_ex.
 *
 * The input chooses the format and scale rule (sometimes invalid), the granularity (per-tensor,
 * per-row, 1 x 128, 128 x 128, MX 1 x 32, other shapes, zero or huge block sizes), the shape, the
 * leading dimensions (gaps between rows, too small, or huge), NULL pointers and the values (finite,
 * or with a NaN / Inf planted). For every kernel set this CPU supports:
 *  - the status must be one fp8.h documents for the arguments; a failed argument check writes
 *    nothing (q, scales, bad_row, bad_col and their guard bytes compared byte for byte);
 *  - FP8_OK: every scale is the rule of fp8.h computed here with doubles (amax raised to
 *    max_finite * 2^-126; AMAX = amax / max_finite rounded to float32; POW2 = that rounded up to a
 *    power of two; MX = 2^(floor(log2 amax) - emax_elem)), every code is the reference's saturating
 *    encode of the float32 product x * (1/s), and nothing else of q is written;
 *  - FP8_ERR_NON_FINITE: every scale is NaN, every code of q's [rows, cols] is a NaN code, the gaps
 *    are untouched and *bad_row / *bad_col give the first non-finite element in row-major order;
 *  - every set gives the scalar set's bits, and x is never written.
 */
#include "fuzz_common.h"

#define MAX_ELEMS 40000

/* The dequantization scale of a block with absolute maximum amax (finite), per fp8.h. */
static float ref_scale(int fmt, int rule, double amax) {
    const ref_fmt *t = &g_ref[fmt];
    double floor_amax = t->maxf * ldexp(1.0, -126);
    double a = amax > floor_amax ? amax : floor_amax;
    int e;
    if (rule == FP8_SCALE_MX) {
        frexp(a, &e); /* a = f * 2^e, f in [0.5, 1): floor(log2 a) = e - 1 */
        return (float)ldexp(1.0, e - 1 - t->emax);
    }
    float s = (float)(a / t->maxf); /* float32 division: double rounding is innocuous here */
    if (rule == FP8_SCALE_POW2) {
        double f = frexp((double)s, &e);
        if (f != 0.5) s = (float)ldexp(1.0, e);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ref_init();
    sets_init();
    rd r;
    rd_init(&r, data, size);

    int fmt = rd_format(&r);
    uint8_t rs = rd_u8(&r);
    int rule = rs < 250 ? rs % 3 : (rs == 250 ? 3 : rs == 251 ? -1 : rs == 252 ? 0x100 : (int)0x80000000);
    uint8_t shp = rd_u8(&r);
    size_t rows = shp < 8 ? 0 : shp < 160 ? rd_range(&r, 1, 12) : rd_range(&r, 1, 140);
    size_t cols = shp % 16 == 1 ? 0 : (rd_u8(&r) & 1) ? rd_range(&r, 1, 70) : rd_range(&r, 1, 300);
    if (rows * cols > MAX_ELEMS) rows = MAX_ELEMS / (cols ? cols : 1);
    size_t br, bc;
    uint8_t g = rd_u8(&r);
    switch (g % 10) {
    case 0: br = rows ? rows : 1; bc = cols ? cols : 1; break;           /* per-tensor */
    case 1: br = 1; bc = cols ? cols : 1; break;                          /* per-row */
    case 2: br = 1; bc = 128; break;                                      /* DeepSeek activations */
    case 3: br = 128; bc = 128; break;                                    /* DeepSeek weights */
    case 4: br = 1; bc = 32; if (g < 200) rule = FP8_SCALE_MX; break;     /* MX */
    case 5: br = 1; bc = 32 * rd_range(&r, 1, 5); break;                  /* fused tile widths and beyond */
    case 6: br = rd_range(&r, 1, 20); bc = rd_range(&r, 1, 40); break;
    case 7: br = rd_range(&r, 1, 3); bc = rd_range(&r, 1, 9); break;
    case 8: br = (g & 0x10) ? 0 : SIZE_MAX; bc = (g & 0x20) ? 0 : (g & 0x40) ? SIZE_MAX : 7; break;
    default: br = rd_range(&r, 1, 160); bc = rd_range(&r, 1, 320); break;
    }
    int hx, hq;
    size_t ldx = rd_ld(&r, cols, &hx), ldq = rd_ld(&r, cols, &hq);
    uint8_t nl = rd_u8(&r);
    int null_x = nl == 1, null_q = nl == 2, null_s = nl == 3;
    int use_ex = rd_u8(&r) & 1;
    uint8_t bp = rd_u8(&r);
    int null_br = bp == 1, null_bc = bp == 2;
    uint8_t fin = rd_u8(&r); /* < 32: values as generated (often non-finite); else finite, maybe one planted */

    /* The statuses fp8.h allows. */
    unsigned want = 0;
    size_t xbytes = 0, qbytes = 0, nbr = 0, nbc = 0, sbytes = 0;
    int empty = rows == 0 || cols == 0;
    if (fmt != FP8_E4M3 && fmt != FP8_E5M2) want |= ST(FP8_ERR_BAD_FORMAT);
    if ((unsigned)rule > 2u) want |= ST(FP8_ERR_BAD_ARGUMENT);
    if (br == 0 || bc == 0 || ldx < cols || ldq < cols) want |= ST(FP8_ERR_BAD_SHAPE);
    if (!empty) {
        if (null_x || null_q || null_s) want |= ST(FP8_ERR_NULL_POINTER);
        int ovf = span_bytes(rows, cols, ldx, sizeof(float), &xbytes) | span_bytes(rows, cols, ldq, 1, &qbytes);
        if (br && bc) {
            nbr = cdiv(rows, br);
            nbc = cdiv(cols, bc);
            ovf |= mul_ovf(nbr, nbc, &sbytes) || mul_ovf(sbytes, sizeof(float), &sbytes);
        }
        if (ovf) want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }
    if (want || empty) {
        /* Nothing may be read or written: small buffers (ASan reports any access past them). */
        xbytes = xbytes > 4096 || want ? 16 : xbytes;
        qbytes = qbytes > 4096 || want ? 16 : qbytes;
        sbytes = 16;
    } else if (xbytes > MAX_ELEMS * 8 * sizeof(float) || qbytes > MAX_ELEMS * 8) {
        return 0; /* valid but too large to allocate (huge ld with one row is fine and kept) */
    }

    /* x: exact size, values in row-major order (gaps too: they must not matter). */
    size_t xn = xbytes / sizeof(float);
    float *x = malloc(xn ? xbytes : 4);
    float *xcopy = malloc(xn ? xbytes : 4);
    for (size_t i = 0; i < xn; i++) {
        float v = rd_value(&r);
        if (fin >= 32 && !isfinite(v)) v = (float)(int8_t)rd_u8(&r);
        x[i] = v;
    }
    if (fin >= 32 && fin < 48 && xn) x[rd_u16(&r) % xn] = f32_of(k_special_f32[4 + rd_u8(&r) % 6]); /* Inf/NaN */
    if (fin >= 48 && fin < 96 && xn) {
        /* one block of small magnitudes next to big ones: per-block scales matter */
        float m = (float)ldexp(1.0, (int8_t)rd_u8(&r) % 100);
        for (size_t i = 0; i < xn; i += 1 + rd_u8(&r) % 5) x[i] *= m;
    }
    memcpy(xcopy, x, xn * sizeof(float));

    gbuf q, sc, bad;
    gbuf_alloc(&q, qbytes);
    gbuf_alloc(&sc, sbytes);
    gbuf_alloc(&bad, 2 * sizeof(size_t));
    uint8_t *first_q = malloc(qbytes ? qbytes : 1);
    uint8_t *first_s = malloc(sbytes ? sbytes : 1);

    for (size_t k = 0; k < g_nsets; k++) {
        use_set(k);
        memset(q.p, CANARY, qbytes);
        memset(sc.p, CANARY, sbytes);
        memset(bad.p, CANARY, 2 * sizeof(size_t));
        gbuf_snap(&q);
        gbuf_snap(&sc);
        gbuf_snap(&bad);
        size_t *bad_row = null_br ? NULL : (size_t *)(void *)bad.p;
        size_t *bad_col = null_bc ? NULL : (size_t *)(void *)(bad.p + sizeof(size_t));
        const float *xp = null_x ? NULL : x;
        uint8_t *qp = null_q ? NULL : q.p;
        float *sp = null_s ? NULL : (float *)(void *)sc.p;
        int st = use_ex ? fp8_quantize_f32_ex((fp8_format)fmt, xp, rows, cols, ldx, br, bc, (fp8_scale_rule)rule,
                                              qp, ldq, sp, bad_row, bad_col)
                        : fp8_quantize_f32((fp8_format)fmt, xp, rows, cols, ldx, br, bc, (fp8_scale_rule)rule, qp,
                                           ldq, sp);
        FUZZ_CHECK(memcmp(x, xcopy, xn * sizeof(float)) == 0, "quantize wrote to its input x");
        if (want || empty) {
            if (want)
                FUZZ_CHECK(st_in(want, st), "fmt %d rule %d %zux%zu ldx %zu ldq %zu block %zux%zu nulls %d%d%d: status %d, want mask 0x%x",
                           fmt, rule, rows, cols, ldx, ldq, br, bc, null_x, null_q, null_s, st, want);
            else
                FUZZ_CHECK(st == FP8_OK, "empty %zux%zu call: status %d", rows, cols, st);
            FUZZ_CHECK(gbuf_same(&q) && gbuf_same(&sc) && gbuf_same(&bad),
                       "quantize status %d (%zux%zu) wrote to q, scales or bad_row/bad_col", st, rows, cols);
            continue;
        }
        /* Reference: first non-finite element; per-block scales and codes. */
        size_t fr = SIZE_MAX, fc = SIZE_MAX;
        for (size_t i = 0; i < rows && fr == SIZE_MAX; i++)
            for (size_t j = 0; j < cols; j++)
                if (!isfinite(x[i * ldx + j])) { fr = i; fc = j; break; }
        const float *s = (const float *)(void *)sc.p;
        if (fr != SIZE_MAX) {
            FUZZ_CHECK(st == FP8_ERR_NON_FINITE, "x[%zu][%zu] = %a is not finite: status %d, want FP8_ERR_NON_FINITE",
                       fr, fc, x[fr * ldx + fc], st);
            for (size_t i = 0; i < nbr * nbc; i++) FUZZ_CHECK(isnan(s[i]), "non-finite input: scale %zu = %a, not NaN", i, s[i]);
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++)
                    FUZZ_CHECK(isnan(ref_decode(fmt, q.p[i * ldq + j])), "non-finite input: q[%zu][%zu] = 0x%02X is not NaN",
                               i, j, q.p[i * ldq + j]);
            if (use_ex) {
                size_t got_r, got_c;
                memcpy(&got_r, bad.p, sizeof got_r);
                memcpy(&got_c, bad.p + sizeof(size_t), sizeof got_c);
                if (!null_br) FUZZ_CHECK(got_r == fr, "bad_row %zu, want %zu", got_r, fr);
                if (!null_bc) FUZZ_CHECK(got_c == fc, "bad_col %zu, want %zu", got_c, fc);
            }
        } else {
            FUZZ_CHECK(st == FP8_OK, "fmt %d rule %d %zux%zu block %zux%zu: status %d, want FP8_OK", fmt, rule, rows,
                       cols, br, bc, st);
            FUZZ_CHECK(gbuf_same(&bad), "bad_row/bad_col written by a successful call");
            for (size_t bi = 0; bi < nbr; bi++)
                for (size_t bj = 0; bj < nbc; bj++) {
                    size_t r1 = bi * br + br < rows ? bi * br + br : rows, c1 = bj * bc + bc < cols ? bj * bc + bc : cols;
                    double amax = 0;
                    for (size_t i = bi * br; i < r1; i++)
                        for (size_t j = bj * bc; j < c1; j++) amax = fmax(amax, fabs((double)x[i * ldx + j]));
                    float want_s = ref_scale(fmt, rule, amax), got_s = s[bi * nbc + bj];
                    FUZZ_CHECK(f32_bits(got_s) == f32_bits(want_s),
                               "fmt %d rule %d block %zux%zu (%zu,%zu) amax %a: scale %a, want %a", fmt, rule, br, bc, bi,
                               bj, amax, got_s, want_s);
                    float inv = (float)(1.0 / (double)want_s);
                    for (size_t i = bi * br; i < r1; i++)
                        for (size_t j = bj * bc; j < c1; j++) {
                            float y = (float)((double)x[i * ldx + j] * (double)inv); /* exact product, one rounding */
                            uint8_t want_c = ref_encode(fmt, y, 1), got_c = q.p[i * ldq + j];
                            FUZZ_CHECK(got_c == want_c,
                                       "fmt %d rule %d block %zux%zu: x[%zu][%zu] = %a, scale %a: code 0x%02X, want 0x%02X",
                                       fmt, rule, br, bc, i, j, x[i * ldx + j], want_s, got_c, want_c);
                        }
                }
        }
        FUZZ_CHECK(gbuf_guards_ok(&q) && gbuf_guards_ok(&sc), "quantize wrote past q or scales");
        FUZZ_CHECK(gbuf_gaps_same(&q, rows, cols, ldq, 1), "quantize wrote into the gap between rows of q (ldq %zu > cols %zu)",
                   ldq, cols);
        if (k == 0) {
            memcpy(first_q, q.p, qbytes);
            memcpy(first_s, sc.p, sbytes);
        } else {
            FUZZ_CHECK(memcmp(first_q, q.p, qbytes) == 0 && memcmp(first_s, sc.p, sbytes) == 0,
                       "set %s differs from scalar (status %d)", g_sets[k], st);
        }
    }
    gbuf_free(&q);
    gbuf_free(&sc);
    gbuf_free(&bad);
    free(first_q);
    free(first_s);
    free(x);
    free(xcopy);
    return 0;
}
