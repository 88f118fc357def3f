/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_gemm_common.h - the body of the GEMM harnesses fuzz_gemm.c (fp8_gemm: A is an FP8 matrix) and
 * fuzz_gemm_f32a.c (fp8_gemm_f32a: A is float32, FUZZ_F32A defined); fuzz_gemm_typed.c uses only its
 * input helpers (FUZZ_GEMM_HELPERS_ONLY defined).
 *
 * The input chooses M (small: 1..16, the small-M paths; large: 17..40, the packed path), N, K (0
 * included, across the 256-k piece and kc boundaries), formats (sometimes invalid), block shapes of
 * both operands (per-tensor, per-row, 1 x 32, 1 x 128, 128 x 128, 16-row blocks for the AVX2
 * folded-into-A form, other shapes, zero), leading dimensions (gaps, too small, huge), NULL pointers,
 * codes (all, or finite only), scales (often NaN, 0, negative, subnormal, huge, Inf), A values (for
 * f32a also |A| up to 3e38), alpha and beta (0, 1, NaN, Inf, ...) and C (NaN-filled when beta = 0,
 * which must not read it). Rarely it picks a problem big enough for the thread pool and then also
 * requires bitwise-identical results for 1 and 3 threads (NaN signs and payloads included).
 *
 * For every kernel set this CPU supports:
 *  - the status is one fp8.h documents for the arguments, and a failed call leaves C (guards and
 *    gaps included) untouched; A, B and the scales are never written;
 *  - M or N = 0: C untouched; K = 0: C = beta * C exactly (0 when beta = 0, C not read);
 *  - otherwise each element is checked against a straightforward FP64 GEMM of the dequantized
 *    operands A', B' (float32 products decode(q) * scale, as fp8.h defines deq), with the bound of
 *    fp8.h: |C - alpha * sum_k A'B' - beta * C0| <= |alpha| (K + 3) 2^-24 sum_k |A'B'|
 *      + (2 + ceil(K / 128)) 2^-24 (|alpha| sum_k |A'B'| + |beta C0|)     the alpha/beta rounding (the
 *        packed path adds alpha * (sum over each K block) into C block by block: one rounding each)
 *      + |alpha| K (2^-120 max|A'| + 2^-148) + 2^-148                      float32 underflow (fp8.h:
 *        products below about 2^-122 max|A| may be flushed)
 *      + |alpha| K 2^-50 sum_k |A'B'|                                      the FP64 reference's own error
 *    as long as no float32 intermediate can overflow (sum |A'B'| and |alpha| sum |A'B'| + |beta C0|
 *    at most 2^127); beyond that a finite result must still meet the bound. Non-finite operands:
 *    a NaN in row i of A', row j of B', alpha, or (beta != 0) beta or C0 gives NaN; with only
 *    infinities, the IEEE outcome computed in double (NaN, or an Inf of a given sign) must be
 *    matched where no finite intermediate can overflow and no infinity meets a B' or A' that
 *    underflowed to zero.
 * Kernel sets may round differently within the bound (fp8.h), so GEMM results are compared with
 * the reference rather than bit for bit between sets.
 */
#ifndef FUZZ_GEMM_COMMON_H
#define FUZZ_GEMM_COMMON_H
#include "fuzz_common.h"

#define LIMIT 0x1p127 /* no float32 intermediate overflows below this */

typedef struct opnd {
    fp8_matrix m;
    uint8_t *codes;
    float *scales;
    size_t ns, span;
    float *deq;   /* [rows][cols] A' or B' as float32 */
    uint8_t *uf;  /* [rows][cols] 1 where a nonzero finite code underflowed to 0 with its scale */
} opnd;

static void pick_blocks(rd *r, size_t rows, size_t cols, size_t *br, size_t *bc, int is_b) {
    uint8_t g = rd_u8(r);
    switch (g % 11) {
    case 0: *br = rows ? rows : 1; *bc = cols ? cols : 1; break; /* per-tensor */
    case 1: *br = 1; *bc = cols ? cols : 1; break;                 /* per-row */
    case 2: *br = 1; *bc = 128; break;
    case 3: *br = 128; *bc = 128; break;
    case 4: *br = 1; *bc = 32; break;
    case 5: *br = 16 * rd_range(r, 1, 4); *bc = 32 * rd_range(r, 1, 4); break;  /* folded-into-A candidates */
    case 6: *br = 16; *bc = rd_range(r, 1, 48); break;
    case 7: *br = rd_range(r, 1, 20); *bc = rd_range(r, 1, 40); break;
    case 8: *br = rd_range(r, 1, 3); *bc = rd_range(r, 1, 300); break;
    case 9: *br = (g & 0x80) ? 0 : (g & 0x40) ? SIZE_MAX : 2; *bc = (g & 0x20) ? 0 : (g & 0x10) ? SIZE_MAX : 64; break;
    default: *br = is_b ? 128 : 1; *bc = 128; break;
    }
}

static uint8_t rd_code(rd *r, int fmt, int finite_only) {
    uint8_t c = rd_u8(r);
    if (finite_only && (fmt == 0 || fmt == 1)) {
        for (int t = 0; t < 4 && !isfinite(ref_decode(fmt, c)); t++) c = rd_u8(r);
        if (!isfinite(ref_decode(fmt, c))) c = 0x38;
    }
    return c;
}

static float rd_alpha(rd *r) {
    uint8_t v = rd_u8(r);
    if (v < 170) return 1.0f;
    static const float al[] = {0.0f, -1.0f, 0.5f, 0x1p-20f, 3.75f, 1e30f, 1e-30f, -0.0f, 0x1p-126f, 7e-45f};
    if (v < 240) return al[v % 10];
    if (v < 244) return f32_of(v & 1 ? 0x7FC00000u : 0x7F800000u);
    return rd_value(r);
}

static float rd_beta(rd *r) {
    uint8_t v = rd_u8(r);
    if (v < 128) return 0.0f;
    if (v < 180) return 1.0f;
    static const float be[] = {-0.0f, 0.5f, -2.0f, 1e20f, 0x1p-30f};
    if (v < 240) return be[v % 5];
    if (v < 244) return f32_of(v & 1 ? 0x7FC00000u : 0xFF800000u);
    return rd_value(r);
}

/* Fill an FP8 operand: codes (span of ld), scales (exact count), its float32 dequantization. */
static void fill_fp8(rd *r, opnd *o, int finite_only, int specials) {
    fp8_matrix *m = &o->m;
    int fmt = (int)m->format;
    o->codes = malloc(o->span ? o->span : 1);
    for (size_t i = 0; i < o->span; i++) o->codes[i] = rd_code(r, fmt, finite_only);
    o->scales = malloc((o->ns ? o->ns : 1) * sizeof(float));
    for (size_t i = 0; i < o->ns; i++) o->scales[i] = rd_scale(r, specials);
    o->deq = NULL;
    o->uf = NULL;
}

#ifndef FUZZ_GEMM_HELPERS_ONLY /* fuzz_gemm_typed.c uses only the helpers above */

/* A' or B' as float32 (valid operands only): decode(q) * scale, exact in double then rounded once. */
static void dequantize_ref(opnd *o) {
    fp8_matrix *m = &o->m;
    size_t nbc = cdiv(m->cols, m->block_cols), n = m->rows * m->cols;
    o->deq = malloc((n ? n : 1) * sizeof(float));
    o->uf = malloc(n ? n : 1);
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) {
            double v = ref_decode((int)m->format, o->codes[i * m->ld + j]);
            float s = o->scales[(i / m->block_rows) * nbc + j / m->block_cols];
            float d = (float)(v * (double)s);
            o->deq[i * m->cols + j] = d;
            o->uf[i * m->cols + j] = d == 0 && v != 0 && isfinite(v) && s != 0 && isfinite(s);
        }
}

static void check_element(size_t i, size_t j, size_t K, const float *arow, const uint8_t *auf, const float *brow,
                          const uint8_t *buf, float alpha, float beta, float c0, double maxa, float got) {
    double e = 0, sabs = 0, sfin = 0;
    int nan_op = 0, inf_meets_uf = 0;
    for (size_t k = 0; k < K; k++) {
        double a = arow[k], b = brow[k];
        if (isnan(a) || isnan(b)) nan_op = 1;
        if ((isinf(a) && buf[k]) || (isinf(b) && auf && auf[k])) inf_meets_uf = 1;
        double p = a * b; /* exact for finite float32 operands */
        e += p;
        if (isfinite(p)) sfin += fabs(p);
        sabs += fabs(p);
    }
    const int beta0 = beta == 0.0f;
    const double ab = fabs((double)alpha), bc = beta0 ? 0.0 : fabs((double)beta * c0);
    if (isnan(alpha) || nan_op || (!beta0 && (isnan(beta) || isnan(c0)))) {
        FUZZ_CHECK(isnan(got), "C[%zu][%zu] = %a: a NaN operand (alpha %a, beta %a, C0 %a) must give NaN", i, j, got,
                   alpha, beta, c0);
        return;
    }
    if (isinf(alpha) && isfinite(e)) return; /* Inf * (a float sum that may round to 0 or not) */
    if (!isfinite(e) || isinf(alpha) || (!beta0 && (isinf(beta) || isinf(c0)))) {
        /* Infinities only: IEEE in double (finite products cannot overflow there). */
        double want = (double)alpha * e + (beta0 ? 0.0 : (double)beta * c0);
        int no_ovf = sfin <= LIMIT && ab * sfin <= LIMIT && (beta0 || isinf(beta) || isinf(c0) || bc <= LIMIT);
        if (!no_ovf || inf_meets_uf) return;
        if (isnan(want))
            FUZZ_CHECK(isnan(got), "C[%zu][%zu] = %a, want NaN (IEEE on the dequantized operands; alpha %a beta %a C0 %a)",
                       i, j, got, alpha, beta, c0);
        else if (isinf(want))
            FUZZ_CHECK(got == (float)want, "C[%zu][%zu] = %a, want %a (IEEE on the dequantized operands; alpha %a beta %a C0 %a)",
                       i, j, got, want, alpha, beta, c0);
        return;
    }
    const double u = 0x1p-24;
    const double want = (double)alpha * e + (beta0 ? 0.0 : (double)beta * c0);
    double tol = ab * (double)(K + 3) * u * sabs + (2.0 + (double)cdiv(K, 128)) * u * (ab * sabs + bc) +
                 ab * (double)K * (0x1p-120 * maxa + 0x1p-148) + 0x1p-148 + ab * (double)K * 0x1p-50 * sabs;
    int safe = sabs <= LIMIT && ab * sabs + bc <= LIMIT;
    if (!safe && !isfinite(got)) return; /* a float32 intermediate may overflow legitimately */
    FUZZ_CHECK(isfinite(got) && fabs((double)got - want) <= tol,
               "C[%zu][%zu] = %a, want %a +- %a (K %zu, sum|A'B'| %a, alpha %a, beta %a, C0 %a, max|A'| %a): error %a = %.3g x bound",
               i, j, got, want, tol, K, sabs, alpha, beta, c0, maxa, fabs((double)got - want),
               fabs((double)got - want) / tol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ref_init();
    sets_init();
    rd r;
    rd_init(&r, data, size);

    uint8_t msel = rd_u8(&r);
    int big = msel == 0xFF && (rd_u8(&r) & 3) == 0;
    size_t M = msel < 8 ? 0 : (msel & 1) ? rd_range(&r, 1, 16) : rd_range(&r, 17, 40);
    uint8_t nsel = rd_u8(&r);
    size_t N = nsel < 6 ? 0 : nsel < 128 ? rd_range(&r, 1, 24) : rd_range(&r, 1, 72);
    uint8_t ksel = rd_u8(&r);
    size_t K = ksel < 8 ? 0 : ksel < 100 ? rd_range(&r, 1, 64) : ksel < 200 ? rd_range(&r, 1, 320) : 256 * rd_range(&r, 1, 2) + (size_t)(int8_t)rd_u8(&r) % 5;
    if (big) {
        if (M <= 16) { M = M ? M : 1; N = 512; K = 512; }  /* small-M path: N * K >= 2^18 */
        else { M = 20; N = 256; K = 416; }                 /* packed path: M * N * K >= 2^21 */
    }
    int finite_only = rd_u8(&r) >= 64;
    int specials = rd_u8(&r) < 64;
    float alpha = rd_alpha(&r), beta = rd_beta(&r);
    uint8_t nl = rd_u8(&r);
    int null_c = nl == 1, null_bm = nl == 2, null_bd = nl == 3, null_bs = nl == 4;
    int null_am = nl == 5, null_ad = nl == 6, null_as = nl == 7;

    opnd b;
    memset(&b, 0, sizeof b);
    b.m.format = (fp8_format)rd_format(&r);
    b.m.rows = N;
    b.m.cols = K;
    int huge;
    b.m.ld = rd_ld(&r, K, &huge);
    pick_blocks(&r, N, K, &b.m.block_rows, &b.m.block_cols, 1);
    size_t ldc = rd_ld(&r, N, &huge);
    size_t Ka = K;
    if (rd_u8(&r) == 0x55) Ka = K + 1; /* mismatched inner dimension */

    unsigned want = 0;
    size_t cbytes = 0, t;
    int valid_b = b.m.format == FP8_E4M3 || b.m.format == FP8_E5M2;
    if (null_bm) want |= ST(FP8_ERR_NULL_POINTER);
    if (!valid_b) want |= ST(FP8_ERR_BAD_FORMAT);
    if (b.m.block_rows == 0 || b.m.block_cols == 0 || b.m.ld < K || ldc < N) want |= ST(FP8_ERR_BAD_SHAPE);
    if (N && K) {
        if (null_bd || null_bs) want |= ST(FP8_ERR_NULL_POINTER);
        if (span_bytes(N, K, b.m.ld, 1, &b.span)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
        if (b.m.block_rows && b.m.block_cols &&
            (mul_ovf(cdiv(N, b.m.block_rows), cdiv(K, b.m.block_cols), &b.ns) || mul_ovf(b.ns, 4, &t)))
            want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }
    if (M && N) {
        if (null_c) want |= ST(FP8_ERR_NULL_POINTER);
        if (span_bytes(M, N, ldc, sizeof(float), &cbytes)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }

#ifdef FUZZ_F32A
    size_t lda = rd_ld(&r, Ka, &huge), aspan = 0;
    (void)null_am; (void)null_as;
    if (lda < K) want |= ST(FP8_ERR_BAD_SHAPE);
    if (M && K) {
        if (null_ad) want |= ST(FP8_ERR_NULL_POINTER);
        if (span_bytes(M, K, lda, sizeof(float), &aspan)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
        aspan /= sizeof(float);
    }
#else
    opnd a;
    memset(&a, 0, sizeof a);
    a.m.format = (fp8_format)rd_format(&r);
    a.m.rows = M;
    a.m.cols = Ka;
    a.m.ld = rd_ld(&r, Ka, &huge);
    pick_blocks(&r, M, Ka, &a.m.block_rows, &a.m.block_cols, 0);
    if (null_am) want |= ST(FP8_ERR_NULL_POINTER);
    if (a.m.format != FP8_E4M3 && a.m.format != FP8_E5M2) want |= ST(FP8_ERR_BAD_FORMAT);
    if (a.m.block_rows == 0 || a.m.block_cols == 0 || a.m.ld < Ka) want |= ST(FP8_ERR_BAD_SHAPE);
    if (Ka != K) want |= ST(FP8_ERR_BAD_SHAPE);
    if (M && Ka) {
        if (null_ad || null_as) want |= ST(FP8_ERR_NULL_POINTER);
        if (span_bytes(M, Ka, a.m.ld, 1, &a.span)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
        if (a.m.block_rows && a.m.block_cols &&
            (mul_ovf(cdiv(M, a.m.block_rows), cdiv(Ka, a.m.block_cols), &a.ns) || mul_ovf(a.ns, 4, &t)))
            want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }
#endif
    if (want) {
        /* Nothing may be touched: tiny buffers (ASan reports any access past them). */
        b.span = b.span > 64 || (want & ST(FP8_ERR_SIZE_OVERFLOW)) ? 16 : b.span;
        b.ns = b.ns > 64 || (want & ST(FP8_ERR_SIZE_OVERFLOW)) ? 4 : b.ns;
        cbytes = cbytes > 4096 || (want & ST(FP8_ERR_SIZE_OVERFLOW)) ? 64 : cbytes;
#ifdef FUZZ_F32A
        aspan = aspan > 64 || (want & ST(FP8_ERR_SIZE_OVERFLOW)) ? 4 : aspan;
#else
        a.span = a.span > 64 || (want & ST(FP8_ERR_SIZE_OVERFLOW)) ? 16 : a.span;
        a.ns = a.ns > 64 || (want & ST(FP8_ERR_SIZE_OVERFLOW)) ? 4 : a.ns;
#endif
    }
    size_t limit = big ? ((size_t)1 << 21) : ((size_t)1 << 18);
    if (b.span > limit || cbytes > limit * 4) return 0; /* valid but too large (huge ld, several rows) */
#ifdef FUZZ_F32A
    if (aspan > limit) return 0;
#else
    if (a.span > limit) return 0;
#endif

    fill_fp8(&r, &b, finite_only, specials);
    b.m.data = null_bd ? NULL : b.codes;
    b.m.scales = null_bs ? NULL : b.scales;
    uint8_t *bcopy = malloc(b.span ? b.span : 1);
    memcpy(bcopy, b.codes, b.span);
    float *bscopy = malloc((b.ns ? b.ns : 1) * sizeof(float));
    memcpy(bscopy, b.scales, b.ns * sizeof(float));
#ifdef FUZZ_F32A
    float *af = malloc((aspan ? aspan : 1) * sizeof(float));
    uint8_t amode = rd_u8(&r);
    for (size_t i = 0; i < aspan; i++) {
        float v;
        if (amode < 64) { /* |A| near 1e30 .. 3e38 */
            v = (float)ldexp(1.0 + rd_u16(&r) / 65536.0, 99 + rd_u8(&r) % 29);
            if (rd_u8(&r) & 1) v = -v;
        } else {
            v = rd_value(&r);
            if (finite_only && !isfinite(v)) v = (float)(int8_t)rd_u8(&r);
        }
        af[i] = v;
    }
    float *acopy = malloc((aspan ? aspan : 1) * sizeof(float));
    memcpy(acopy, af, aspan * sizeof(float));
#else
    fill_fp8(&r, &a, finite_only, specials);
    a.m.data = null_ad ? NULL : a.codes;
    a.m.scales = null_as ? NULL : a.scales;
    uint8_t *acopy = malloc(a.span ? a.span : 1);
    memcpy(acopy, a.codes, a.span);
    float *ascopy = malloc((a.ns ? a.ns : 1) * sizeof(float));
    memcpy(ascopy, a.scales, a.ns * sizeof(float));
#endif

    /* C0: read only when beta != 0; otherwise NaNs (quiet and signalling) that must not leak. */
    size_t cn = cbytes / sizeof(float);
    float *c0 = malloc((cn ? cn : 1) * sizeof(float));
    for (size_t i = 0; i < cn; i++) {
        if (beta == 0.0f) c0[i] = f32_of(i & 1 ? 0x7FC00000u : 0xFFA00000u);
        else {
            float v = rd_value(&r);
            c0[i] = finite_only && !isfinite(v) ? 1.0f : v;
        }
    }

    /* The reference operands (valid calls only). */
    const float *ad = NULL;
    const uint8_t *auf = NULL;
    double maxa = 0;
    if (!want && M && N && K) {
        dequantize_ref(&b);
#ifdef FUZZ_F32A
        float *ap = malloc(M * K * sizeof(float));
        for (size_t i = 0; i < M; i++)
            for (size_t k = 0; k < K; k++) ap[i * K + k] = af[i * lda + k];
        ad = ap;
#else
        dequantize_ref(&a);
        ad = a.deq;
        auf = a.uf;
#endif
        for (size_t i = 0; i < M * K; i++)
            if (isfinite(ad[i])) maxa = fmax(maxa, fabs((double)ad[i]));
    }

    if (getenv("FUZZ_VERBOSE")) {
        fprintf(stderr, "M %zu N %zu K %zu ldc %zu alpha %a beta %a big %d want 0x%x\n", M, N, K, ldc, alpha, beta, big, want);
        fprintf(stderr, "B: fmt %d ld %zu blocks %zux%zu scales", (int)b.m.format, b.m.ld, b.m.block_rows, b.m.block_cols);
        for (size_t i = 0; i < b.ns; i++) fprintf(stderr, " %a", b.scales[i]);
        fprintf(stderr, "\n");
#ifdef FUZZ_F32A
        fprintf(stderr, "A: f32, lda %zu\n", lda);
#else
        fprintf(stderr, "A: fmt %d ld %zu blocks %zux%zu scales", (int)a.m.format, a.m.ld, a.m.block_rows, a.m.block_cols);
        for (size_t i = 0; i < a.ns; i++) fprintf(stderr, " %a", a.scales[i]);
        fprintf(stderr, "\n");
#endif
    }
#ifdef FUZZ_F32A
    if (getenv("FUZZ_DUMP") && !want) {
        /* The problem as raw arrays, for a stand-alone reproduction: M N K lda ldc, B's fmt ld br bc,
         * alpha beta (size_t / int / float), then A, B's codes, B's scales, C0. */
        FILE *f = fopen(getenv("FUZZ_DUMP"), "wb");
        size_t hdr[8] = {M, N, K, lda, ldc, b.m.ld, b.m.block_rows, b.m.block_cols};
        int bf = (int)b.m.format;
        fwrite(hdr, sizeof hdr, 1, f); fwrite(&bf, 4, 1, f); fwrite(&alpha, 4, 1, f); fwrite(&beta, 4, 1, f);
        fwrite(af, 4, aspan, f); fwrite(b.codes, 1, b.span, f); fwrite(b.scales, 4, b.ns, f); fwrite(c0, 4, cn, f);
        fclose(f);
    }
#endif
    gbuf c;
    gbuf_alloc(&c, cbytes);
    float *first = malloc(cbytes ? cbytes : 1);
    for (size_t k = 0; k < g_nsets; k++) {
        use_set(k);
        for (int pass = 0; pass < (big ? 2 : 1); pass++) {
            if (big) fp8_set_num_threads(pass ? 3 : 1);
            memcpy(c.p, c0, cbytes);
            gbuf_snap(&c);
#ifdef FUZZ_F32A
            int st = fp8_gemm_f32a(M, null_ad ? NULL : af, lda, null_bm ? NULL : &b.m, alpha, beta,
                                   null_c ? NULL : (float *)(void *)c.p, ldc);
            FUZZ_CHECK(memcmp(af, acopy, aspan * sizeof(float)) == 0, "fp8_gemm_f32a wrote to A");
#else
            int st = fp8_gemm(null_am ? NULL : &a.m, null_bm ? NULL : &b.m, alpha, beta,
                              null_c ? NULL : (float *)(void *)c.p, ldc);
            FUZZ_CHECK(memcmp(a.codes, acopy, a.span) == 0 && memcmp(a.scales, ascopy, a.ns * sizeof(float)) == 0,
                       "fp8_gemm wrote to A");
#endif
            FUZZ_CHECK(memcmp(b.codes, bcopy, b.span) == 0 && memcmp(b.scales, bscopy, b.ns * sizeof(float)) == 0,
                       "GEMM wrote to B");
            if (want) {
                FUZZ_CHECK(st_in(want, st), "M %zu N %zu K %zu (A cols %zu) ldc %zu B ld %zu blocks %zux%zu fmt %d nulls %u: status %d, want mask 0x%x",
                           M, N, K, Ka, ldc, b.m.ld, b.m.block_rows, b.m.block_cols, (int)b.m.format, nl, st, want);
                FUZZ_CHECK(gbuf_same(&c), "failed GEMM (status %d) wrote to C", st);
                continue;
            }
            FUZZ_CHECK(st == FP8_OK, "M %zu N %zu K %zu: status %d, want FP8_OK", M, N, K, st);
            FUZZ_CHECK(gbuf_guards_ok(&c), "GEMM wrote past C");
            FUZZ_CHECK(gbuf_gaps_same(&c, M, N, ldc, sizeof(float)), "GEMM wrote into the gaps of C (ldc %zu > N %zu)", ldc, N);
            const float *cv = (const float *)(void *)c.p;
            if (M == 0 || N == 0) {
                FUZZ_CHECK(gbuf_same(&c), "empty GEMM (M %zu, N %zu) wrote to C", M, N);
            } else if (K == 0) {
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++) {
                        float got = cv[i * ldc + j], old = c0[i * ldc + j];
                        if (beta == 0.0f) FUZZ_CHECK(got == 0.0f, "K = 0, beta = 0: C[%zu][%zu] = %a, want 0", i, j, got);
                        else if (isnan(beta * old)) FUZZ_CHECK(isnan(got), "K = 0: C[%zu][%zu] = %a, want NaN", i, j, got);
                        else FUZZ_CHECK(f32_bits(got) == f32_bits(beta * old), "K = 0: C[%zu][%zu] = %a, want beta * C = %a",
                                        i, j, got, beta * old);
                    }
            } else {
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++)
                        check_element(i, j, K, ad + i * K, auf ? auf + i * K : NULL, b.deq + j * K, b.uf + j * K,
                                      alpha, beta, c0[i * ldc + j], maxa, cv[i * ldc + j]);
            }
            if (big) {
                /* the same bits for every thread count */
                if (pass == 0) memcpy(first, c.p, cbytes);
                else if (memcmp(first, c.p, cbytes) != 0) {
                    /* NaN results included: their signs and payloads must not depend on the thread
                     * count either (fp8.h). */
                    const float *c3 = (const float *)(void *)c.p;
                    size_t e = 0;
                    while (e < cn && memcmp(first + e, c3 + e, 4) == 0) e++;
                    uint32_t b1 = 0, b3 = 0;
                    if (e < cn) memcpy(&b1, first + e, 4), memcpy(&b3, c3 + e, 4);
                    FUZZ_FAIL("set %s: 1 and 3 threads give different bits: C[%zu][%zu] = %a (0x%08x) vs %a (0x%08x) (M %zu N %zu K %zu)",
                              g_sets[k], e / ldc, e % ldc, first[e], b1, c3[e], b3, M, N, K);
                }
            }
        }
    }
    if (big) fp8_set_num_threads(0);

    gbuf_free(&c);
    free(first);
    free(c0);
    free(b.codes);
    free(b.scales);
    free(b.deq);
    free(b.uf);
    free(bcopy);
    free(bscopy);
#ifdef FUZZ_F32A
    free(af);
    free(acopy);
    free((void *)ad);
#else
    free(a.codes);
    free(a.scales);
    free(a.deq);
    free(a.uf);
    free(acopy);
    free(ascopy);
#endif
    return 0;
}

#endif /* FUZZ_GEMM_HELPERS_ONLY */
#endif /* FUZZ_GEMM_COMMON_H */
