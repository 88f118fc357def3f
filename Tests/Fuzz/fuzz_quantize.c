/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_quantize.c - libFuzzer harness for fp8_quantize, fp8_quantize_ex, fp8_quantize_f32 and
 * fp8_quantize_f32_ex.
 *
 * The input chooses the function, the format and scale rule (sometimes invalid), the source type
 * (F32, F16, BF16 or an invalid value), the granularity (per-tensor, per-row, 1 x 128, 128 x 128, MX
 * 1 x 32, other shapes, zero or huge block sizes), the shape, the leading dimensions (gaps between
 * rows, too small, or huge), NULL pointers, the values (finite, or with a NaN / Inf planted; F16/BF16
 * sources as rounded floats or raw bit patterns) and the options: NULL, or a rule, an amax floor (0,
 * -0, 1e-4, the default floor and its neighbours, negative, NaN, +-Inf, subnormal, huge), true
 * division (0, 1 or invalid) and, sometimes, static scales (usually valid; sometimes with one 0, -0,
 * negative, subnormal, NaN or Inf), with the output scales given, NULL, or the static array itself.
 * For every kernel set this CPU supports:
 *  - fp8_quantize(_ex): the status is exactly the first error of fp8.h's order (format; src_type,
 *    rule, amax_floor, true_division; shape; pointers; sizes; static scales; non-finite x), the
 *    older float32 functions give one of the statuses fp8.h lists; a failed argument check writes
 *    nothing (q, scales, static scales, bad_row, bad_col and their guard bytes compared byte for
 *    byte);
 *  - FP8_OK: every scale is the rule of fp8.h computed here with doubles (amax raised to the larger
 *    of the floor and max_finite * 2^-126; AMAX = amax / max_finite rounded to float32; POW2 = that
 *    rounded up to a power of two; MX = 2^(floor(log2 amax) - emax_elem)), or the static scale as
 *    given (copied to `scales` when that is non-NULL; the static array itself unchanged), and every
 *    code is the reference's saturating encode of the float32 x * fl(1/s) (or of the float32 x / s
 *    with true division), x being the source widened by the reference's own binary16 / bfloat16
 *    decoding; nothing else of q is written;
 *  - FP8_ERR_NON_FINITE: every scale written is NaN, every code of q's [rows, cols] is a NaN code,
 *    the gaps are untouched and *bad_row / *bad_col give the first non-finite element in row-major
 *    order;
 *  - every set gives the scalar set's bits, and x is never written; rarely the matrix is 512 x 512,
 *    big enough for the thread pool (fused parallel tasks, or the split schedule for a few huge
 *    blocks), and every set but scalar (slow there) with 1 and 3 threads must give the bytes of the
 *    first of them with 1 thread (the
 *    statuses, non-finite handling and *bad_row / *bad_col checked as above; the element-wise
 *    reference, too slow at that size, is skipped there).
 */
#include "fuzz_common.h"

#define MAX_ELEMS 40000

enum { API_F32, API_F32_EX, API_Q, API_Q_EX };

/* The dequantization scale of a block with absolute maximum amax (finite), per fp8.h, with the amax
 * floor of the options (values below the default floor max_finite * 2^-126 mean the default). */
static float ref_scale(int fmt, int rule, double amax, float amax_floor) {
    const ref_fmt *t = &g_ref[fmt];
    double floor_amax = t->maxf * ldexp(1.0, -126);
    if ((double)amax_floor > floor_amax) floor_amax = amax_floor;
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

/* An amax floor worth trying: 0 (the default) and DeepSeek's 1e-4 most often. */
static float rd_floor(rd *r) {
    uint8_t v = rd_u8(r);
    if (v < 64) return 0.0f;
    if (v < 128) return 1e-4f;
    static const uint32_t fl[] = {
        0x80000000, /* -0: >= 0, accepted */
        0x3F800000, 0x42C80000, 0x3A83126F /* 1e-3 */, 0x38D1B717 /* 1e-4 */,
        0x05600000, 0x05600001, 0x055FFFFF, /* 448 * 2^-126 (E4M3 default floor) and neighbours */
        0x0C600000, 0x0C600001, 0x0C5FFFFF, /* 57344 * 2^-126 (E5M2 default floor) and neighbours */
        0x00000001, 0x007FFFFF, 0x00800000, /* subnormal, min normal */
        0x7F7FFFFF, 0x7149F2CA /* 1e30 */, 0x7F61B1E6 /* 3e38 */, 0x43E00000 /* 448 */, 0x47600000,
        0xB8D1B717 /* -1e-4 */, 0xBF800000, 0x80000001, 0xFF7FFFFF, /* negative: bad */
        0x7FC00000, 0xFFC00000, 0x7F800001, 0x7F800000, 0xFF800000, /* NaN, Inf: bad */
    };
    if (v < 250) return f32_of(fl[v % (sizeof fl / sizeof fl[0])]);
    return rd_value(r);
}

/* A bad static scale: zero, negative, subnormal, NaN or Inf. */
static float rd_bad_scale(rd *r) {
    static const uint32_t b[] = {0x00000000, 0x80000000, 0xBF800000, 0x80800000, 0xFF7FFFFF, 0x00000001,
                                 0x00400000, 0x007FFFFF, 0x7FC00000, 0xFFC00000, 0x7FA00000, 0x7F800000,
                                 0xFF800000, 0x80000001};
    return f32_of(b[rd_u8(r) % (sizeof b / sizeof b[0])]);
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
    uint8_t ap = rd_u8(&r);
    int api = ap < 48 ? (ap & 1 ? API_F32_EX : API_F32) : (ap & 1 ? API_Q_EX : API_Q);
    uint8_t bp = rd_u8(&r);
    int null_br = bp == 1, null_bc = bp == 2;
    uint8_t fin = rd_u8(&r); /* < 32: values as generated (often non-finite); else finite, maybe one planted */

    /* The new API's source type and options. */
    int st_type = FP8_DTYPE_F32, use_opt = api == API_Q || api == API_Q_EX;
    fp8_quant_options opt = {(fp8_scale_rule)rule, 0.0f, 0, NULL};
    int has_static = 0, bad_static = 0, alias_s = 0;
    if (!use_opt) {
        opt.rule = (fp8_scale_rule)rule;
    } else {
        st_type = rd_dtype(&r);
        uint8_t o = rd_u8(&r);
        if (o < 40) {
            use_opt = 0; /* NULL options: the defaults */
            opt.rule = FP8_SCALE_AMAX;
        } else {
            opt.amax_floor = rd_floor(&r);
            uint8_t td = rd_u8(&r);
            opt.true_division = td < 110 ? 0 : td < 245 ? 1 : (td & 1 ? 2 : (td & 2 ? -1 : (int)0x80000000));
            uint8_t sv = rd_u8(&r);
            if (sv < 80) {
                has_static = 1;
                bad_static = sv < 10;
                alias_s = sv >= 60; /* scales = static_scales */
            }
        }
    }
    const size_t esz = dtype_size(st_type);
    /* Rarely a matrix big enough for the thread pool (fused tasks, or the split schedule for a few
     * huge blocks): then run with 1 and 3 threads, which must give the same bytes. */
    int big = rd_u8(&r) == 0xA7;
    if (big) {
        rows = 512;
        cols = 512;
        if (g % 10 == 0) { br = rows; bc = cols; }
        if (g % 10 == 1) bc = cols;
        ldx = ldx >= cols && ldx <= cols + 8 ? ldx : cols;
        ldq = ldq >= cols && ldq <= cols + 8 ? ldq : cols;
    }

    /* The status fp8.h gives (exact for fp8_quantize: its documented order; a set of the listed
     * statuses for the float32 functions). */
    int want_st = FP8_OK;
    unsigned want = 0;
    size_t xbytes = 0, qbytes = 0, nbr = 0, nbc = 0, sbytes = 0;
    int empty = rows == 0 || cols == 0;
    int floor_ok = opt.amax_floor >= 0.0f && opt.amax_floor <= FLT_MAX;
    int td_ok = opt.true_division == 0 || opt.true_division == 1;
    int shape_ok = br != 0 && bc != 0 && ldx >= cols && ldq >= cols;
    int null_bad = null_x || null_q || (null_s && !has_static);
    int ovf = 0;
    if (!empty) {
        ovf = span_bytes(rows, cols, ldx, esz, &xbytes) | span_bytes(rows, cols, ldq, 1, &qbytes);
        if (br && bc) {
            nbr = cdiv(rows, br);
            nbc = cdiv(cols, bc);
            ovf |= mul_ovf(nbr, nbc, &sbytes) || mul_ovf(sbytes, sizeof(float), &sbytes);
        }
    }
    if (fmt != FP8_E4M3 && fmt != FP8_E5M2) want_st = FP8_ERR_BAD_FORMAT;
    else if (!dtype_valid(st_type) || (unsigned)opt.rule > 2u || !floor_ok || !td_ok) want_st = FP8_ERR_BAD_ARGUMENT;
    else if (!shape_ok) want_st = FP8_ERR_BAD_SHAPE;
    else if (empty) want_st = FP8_OK;
    else if (null_bad) want_st = FP8_ERR_NULL_POINTER;
    else if (ovf) want_st = FP8_ERR_SIZE_OVERFLOW;
    else if (bad_static) want_st = FP8_ERR_BAD_SCALE;
    if (!use_opt && (api == API_F32 || api == API_F32_EX)) {
        if (fmt != FP8_E4M3 && fmt != FP8_E5M2) want |= ST(FP8_ERR_BAD_FORMAT);
        if ((unsigned)rule > 2u) want |= ST(FP8_ERR_BAD_ARGUMENT);
        if (!shape_ok) want |= ST(FP8_ERR_BAD_SHAPE);
        if (!empty && null_bad) want |= ST(FP8_ERR_NULL_POINTER);
        if (!empty && ovf) want |= ST(FP8_ERR_SIZE_OVERFLOW);
    } else if (want_st != FP8_OK) {
        want = ST(want_st);
    }
    int arg_fail = want != 0;
    if (arg_fail || empty) {
        /* Nothing may be read or written: small buffers (ASan reports any access past them), except
         * the static scales, which a BAD_SCALE check reads in full. */
        xbytes = xbytes > 4096 || arg_fail ? 16 : xbytes;
        qbytes = qbytes > 4096 || arg_fail ? 16 : qbytes;
        if (!(want_st == FP8_ERR_BAD_SCALE && sbytes <= 4 * 512 * 512)) sbytes = 16;
    } else if (!big && (xbytes > MAX_ELEMS * 8 * sizeof(float) || qbytes > MAX_ELEMS * 8)) {
        return 0; /* valid but too large to allocate (huge ld with one row is fine and kept) */
    }

    /* x: exact size, values in row-major order (gaps too: they must not matter). xw is the
     * reference's float32 widening. */
    size_t xn = xbytes / esz;
    void *x = malloc(xn ? xbytes : 4);
    void *xcopy = malloc(xn ? xbytes : 4);
    float *xw = malloc((xn ? xn : 1) * sizeof(float));
    int tt = dtype_valid(st_type) ? st_type : FP8_DTYPE_F32;
    for (size_t i = 0; i < xn; i++) {
        if (big && i >= 4096) { /* cheap: the first 4096 repeated (the plantings below vary them) */
            memcpy((char *)x + i * esz, (const char *)x + (i - 4096) * esz, esz);
            continue;
        }
        uint32_t b = rd_elem(&r, tt);
        if (fin >= 32 && !isfinite(ref_widen_bits(tt, b))) {
            float v = (float)(int8_t)rd_u8(&r); /* exact in every type */
            b = tt == FP8_DTYPE_F32 ? f32_bits(v) : tt == FP8_DTYPE_F16 ? ref_f16_from_f32(v) : ref_bf16_from_f32(v);
        }
        if (tt == FP8_DTYPE_F32) memcpy((char *)x + 4 * i, &b, 4);
        else { uint16_t h = (uint16_t)b; memcpy((char *)x + 2 * i, &h, 2); }
    }
    if (fin >= 32 && fin < 48 && xn) {
        /* one Inf or NaN */
        static const uint32_t b32[] = {0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000};
        static const uint16_t b16[] = {0x7C00, 0xFC00, 0x7E00, 0xFE00, 0x7C01, 0x7D00};
        static const uint16_t bb16[] = {0x7F80, 0xFF80, 0x7FC0, 0xFFC0, 0x7F81, 0x7FA0};
        size_t i = rd_u16(&r) % xn;
        uint8_t w = rd_u8(&r) % 6;
        if (tt == FP8_DTYPE_F32) memcpy((char *)x + 4 * i, &b32[w], 4);
        else memcpy((char *)x + 2 * i, tt == FP8_DTYPE_F16 ? &b16[w] : &bb16[w], 2);
    }
    if (fin >= 48 && fin < 96 && xn) {
        /* small magnitudes next to big ones: per-block scales matter */
        double m = ldexp(1.0, (int8_t)rd_u8(&r) % 100);
        for (size_t i = 0; i < xn; i += 1 + rd_u8(&r) % 5) {
            float v = (float)((double)ref_widen(tt, x, i) * m);
            ref_store(tt, x, i, v);
        }
    }
    for (size_t i = 0; i < xn; i++) xw[i] = ref_widen(tt, x, i);
    memcpy(xcopy, x, xn * esz);

    /* Static scales: exactly nbr * nbc of them when that is small (ASan reports reads past them). */
    size_t ns = sbytes / sizeof(float);
    gbuf ss;
    gbuf_alloc(&ss, ns * sizeof(float));
    float *ss0 = malloc((ns ? ns : 1) * sizeof(float));
    for (size_t i = 0; i < ns; i++) {
        float v = rd_scale(&r, 0);
        uint8_t t = rd_u8(&r);
        if (t < 8) v = (float)ldexp(1.0, -126 + t % 3);   /* near 2^-126: 1/s near 2^126 */
        else if (t < 12) v = f32_of(0x7F7FFFFF - (t & 1)); /* near FLT_MAX: 1/s subnormal */
        ss0[i] = v;
    }
    if (bad_static && ns) ss0[rd_u16(&r) % ns] = rd_bad_scale(&r);
    if (has_static) opt.static_scales = (const float *)(void *)ss.p;

    gbuf q, sc, bad;
    gbuf_alloc(&q, qbytes);
    gbuf_alloc(&sc, sbytes);
    gbuf_alloc(&bad, 2 * sizeof(size_t));
    uint8_t *first_q = malloc(qbytes ? qbytes : 1);
    uint8_t *first_s = malloc(sbytes ? sbytes : 1);
    uint8_t *first_ss = malloc(sbytes ? sbytes : 1);
    int first_bad_same = 1;

    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "api %d fmt %d src %s %zux%zu ldx %zu ldq %zu block %zux%zu opt %d rule %d floor %a td %d static %d%s%s nulls %d%d%d want %d/0x%x\n",
                api, fmt, dtype_name(st_type), rows, cols, ldx, ldq, br, bc, use_opt, (int)opt.rule, opt.amax_floor,
                opt.true_division, has_static, bad_static ? " (bad)" : "", alias_s ? " (aliased)" : "", null_x, null_q,
                null_s, want_st, want);

    /* The first non-finite element of x in row-major order (valid calls). */
    size_t fr = SIZE_MAX, fc = SIZE_MAX;
    for (size_t i = 0; i < rows && fr == SIZE_MAX && !arg_fail; i++)
        for (size_t j = 0; j < cols; j++)
            if (!isfinite(xw[i * ldx + j])) { fr = i; fc = j; break; }
    /* big: the scalar set is skipped where there are others (it is slow under the coverage
     * instrumentation; smaller inputs compare every set with it) */
    const size_t k0 = big && g_nsets > 1 ? 1 : 0;
    for (size_t k = k0; k < g_nsets; k++)
    for (int pass = 0; pass < (big ? 2 : 1); pass++) {
        use_set(k);
        if (big) fp8_set_num_threads(pass ? 3 : 1);
        memset(q.p, CANARY, qbytes);
        memset(sc.p, CANARY, sbytes);
        memset(bad.p, CANARY, 2 * sizeof(size_t));
        memcpy(ss.p, ss0, ns * sizeof(float));
        gbuf_snap(&q);
        gbuf_snap(&sc);
        gbuf_snap(&bad);
        gbuf_snap(&ss);
        size_t *bad_row = null_br ? NULL : (size_t *)(void *)bad.p;
        size_t *bad_col = null_bc ? NULL : (size_t *)(void *)(bad.p + sizeof(size_t));
        const void *xp = null_x ? NULL : x;
        uint8_t *qp = null_q ? NULL : q.p;
        float *sp = null_s ? NULL : alias_s ? (float *)(void *)ss.p : (float *)(void *)sc.p;
        int st;
        switch (api) {
        case API_F32:
            st = fp8_quantize_f32((fp8_format)fmt, xp, rows, cols, ldx, br, bc, (fp8_scale_rule)rule, qp, ldq, sp);
            break;
        case API_F32_EX:
            st = fp8_quantize_f32_ex((fp8_format)fmt, xp, rows, cols, ldx, br, bc, (fp8_scale_rule)rule, qp, ldq, sp,
                                     bad_row, bad_col);
            break;
        case API_Q:
            st = fp8_quantize((fp8_format)fmt, (fp8_dtype)st_type, xp, rows, cols, ldx, br, bc, use_opt ? &opt : NULL,
                              qp, ldq, sp);
            break;
        default:
            st = fp8_quantize_ex((fp8_format)fmt, (fp8_dtype)st_type, xp, rows, cols, ldx, br, bc,
                                 use_opt ? &opt : NULL, qp, ldq, sp, bad_row, bad_col);
            break;
        }
        const int has_bad = api == API_F32_EX || api == API_Q_EX;
        FUZZ_CHECK(memcmp(x, xcopy, xn * esz) == 0, "quantize wrote to its input x");
        if (arg_fail || empty) {
            if (arg_fail)
                FUZZ_CHECK(st_in(want, st), "api %d fmt %d src %s rule %d floor %a td %d static %d%s %zux%zu ldx %zu ldq %zu block %zux%zu nulls %d%d%d: status %d, want mask 0x%x",
                           api, fmt, dtype_name(st_type), (int)opt.rule, opt.amax_floor, opt.true_division, has_static,
                           bad_static ? " (one bad)" : "", rows, cols, ldx, ldq, br, bc, null_x, null_q, null_s, st, want);
            else
                FUZZ_CHECK(st == FP8_OK, "empty %zux%zu call: status %d", rows, cols, st);
            FUZZ_CHECK(gbuf_same(&q) && gbuf_same(&sc) && gbuf_same(&bad) && gbuf_same(&ss),
                       "quantize status %d (%zux%zu) wrote to q, scales, static scales or bad_row/bad_col", st, rows, cols);
            continue;
        }
        /* Reference: the first non-finite element (fr, fc: above); per-block scales and codes. */
        const float *s = (const float *)(void *)(alias_s ? ss.p : sc.p);
        const int s_out = !null_s; /* scales written at all */
        /* big: only the statuses and the same bytes for every set and thread count are required
         * (the element-wise reference is too slow there; smaller inputs check the same code) */
        const int check_ref = !big;
        if (fr != SIZE_MAX) {
            FUZZ_CHECK(st == FP8_ERR_NON_FINITE, "x[%zu][%zu] = %a (%s) is not finite: status %d, want FP8_ERR_NON_FINITE",
                       fr, fc, xw[fr * ldx + fc], dtype_name(st_type), st);
            if (s_out)
                for (size_t i = 0; i < nbr * nbc; i++) FUZZ_CHECK(isnan(s[i]), "non-finite input: scale %zu = %a, not NaN", i, s[i]);
            else
                FUZZ_CHECK(gbuf_same(&sc) && gbuf_same(&ss), "non-finite input, scales NULL: scales or static scales written");
            if (has_static && !alias_s) FUZZ_CHECK(gbuf_same(&ss), "non-finite input: the static scales were written");
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++)
                    FUZZ_CHECK(isnan(ref_decode(fmt, q.p[i * ldq + j])), "non-finite input: q[%zu][%zu] = 0x%02X is not NaN",
                               i, j, q.p[i * ldq + j]);
            if (has_bad) {
                size_t got_r, got_c;
                memcpy(&got_r, bad.p, sizeof got_r);
                memcpy(&got_c, bad.p + sizeof(size_t), sizeof got_c);
                if (!null_br) FUZZ_CHECK(got_r == fr, "bad_row %zu, want %zu", got_r, fr);
                if (!null_bc) FUZZ_CHECK(got_c == fc, "bad_col %zu, want %zu", got_c, fc);
            }
        } else {
            FUZZ_CHECK(st == FP8_OK, "api %d fmt %d src %s rule %d %zux%zu block %zux%zu: status %d, want FP8_OK", api, fmt,
                       dtype_name(st_type), (int)opt.rule, rows, cols, br, bc, st);
            FUZZ_CHECK(gbuf_same(&bad), "bad_row/bad_col written by a successful call");
            FUZZ_CHECK(gbuf_same(&ss), "the static scales were written (status %d, aliased %d)", st, alias_s);
            if (!s_out || alias_s) FUZZ_CHECK(gbuf_same(&sc), "scales written although NULL or aliased");
            for (size_t bi = 0; bi < nbr && check_ref; bi++)
                for (size_t bj = 0; bj < nbc; bj++) {
                    size_t r1 = bi * br + br < rows ? bi * br + br : rows, c1 = bj * bc + bc < cols ? bj * bc + bc : cols;
                    float want_s;
                    double amax = 0;
                    if (has_static) {
                        want_s = ss0[bi * nbc + bj];
                    } else {
                        for (size_t i = bi * br; i < r1; i++)
                            for (size_t j = bj * bc; j < c1; j++) amax = fmax(amax, fabs((double)xw[i * ldx + j]));
                        want_s = ref_scale(fmt, (int)opt.rule, amax, opt.amax_floor);
                    }
                    if (s_out) {
                        float got_s = s[bi * nbc + bj];
                        FUZZ_CHECK(f32_bits(got_s) == f32_bits(want_s),
                                   "fmt %d rule %d floor %a static %d block %zux%zu (%zu,%zu) amax %a: scale %a, want %a", fmt,
                                   (int)opt.rule, opt.amax_floor, has_static, br, bc, bi, bj, amax, got_s, want_s);
                    }
                    float inv = (float)(1.0 / (double)want_s); /* float32 1/s: double rounding is innocuous */
                    for (size_t i = bi * br; i < r1; i++)
                        for (size_t j = bj * bc; j < c1; j++) {
                            double xv = xw[i * ldx + j];
                            /* one rounding to float32 of the exact product or (innocuous double
                             * rounding) of the quotient */
                            float y = opt.true_division ? (float)(xv / (double)want_s) : (float)(xv * (double)inv);
                            uint8_t want_c = ref_encode(fmt, y, 1), got_c = q.p[i * ldq + j];
                            FUZZ_CHECK(got_c == want_c,
                                       "fmt %d src %s rule %d floor %a td %d static %d block %zux%zu: x[%zu][%zu] = %a, scale %a: code 0x%02X, want 0x%02X",
                                       fmt, dtype_name(st_type), (int)opt.rule, opt.amax_floor, opt.true_division, has_static,
                                       br, bc, i, j, xv, want_s, got_c, want_c);
                        }
                }
        }
        FUZZ_CHECK(gbuf_guards_ok(&q) && gbuf_guards_ok(&sc) && gbuf_guards_ok(&ss), "quantize wrote past q or scales");
        FUZZ_CHECK(gbuf_gaps_same(&q, rows, cols, ldq, 1), "quantize wrote into the gap between rows of q (ldq %zu > cols %zu)",
                   ldq, cols);
        if (k == k0 && pass == 0) {
            memcpy(first_q, q.p, qbytes);
            memcpy(first_s, sc.p, sbytes);
            memcpy(first_ss, ss.p, ns * sizeof(float));
            first_bad_same = gbuf_same(&bad);
        } else {
            FUZZ_CHECK(memcmp(first_q, q.p, qbytes) == 0 && memcmp(first_s, sc.p, sbytes) == 0 && gbuf_same(&bad) == first_bad_same &&
                           memcmp(first_ss, ss.p, ns * sizeof(float)) == 0,
                       "set %s (%d threads) differs from set %s (1 thread; status %d)", g_sets[k], big && pass ? 3 : 0,
                       g_sets[k0], st);
        }
    }
    if (big) fp8_set_num_threads(0);
    gbuf_free(&q);
    gbuf_free(&sc);
    gbuf_free(&bad);
    gbuf_free(&ss);
    free(first_q);
    free(first_s);
    free(first_ss);
    free(ss0);
    free(x);
    free(xcopy);
    free(xw);
    return 0;
}
