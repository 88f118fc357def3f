/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_gemm_typed.c - libFuzzer harness for fp8_gemm_weight_only (A F32, F16 or BF16) and fp8_gemm_ex
 * (A FP8): typed C (F32, F16 or BF16) and the optional float32 bias.
 *
 * fp8.h defines both as C = round_c(alpha * acc + beta * C + bias), where alpha * acc + beta * C is
 * made exactly as the float32 API makes its float32 C (C read in c_type and widened exactly when
 * beta != 0), bias[j] is added in float32 and the sum is rounded once into c_type; an F16 or BF16 A
 * gives the bits of the float32 A with the same values. So the oracle here is the float32 API
 * itself, called on the same kernel set and thread count with A and C widened by the reference's own
 * binary16 / bfloat16 decoding (fuzz_common.h): fp8_gemm_f32a for weight-only, fp8_gemm for
 * fp8_gemm_ex (their accuracy against an FP64 GEMM is what fuzz_gemm_f32a and fuzz_gemm check). Its
 * result, plus bias[j] in float32, is narrowed by the reference's own nearest-even rounding.
 *
 * The input chooses the function, M, N, K (as fuzz_gemm_common.h: the small-M and packed paths, 0
 * included, rarely a problem big enough for the thread pool, then run with 1 and 3 threads), a_type
 * and c_type (sometimes invalid), bias or none (NaN and Inf bias values included), B (format, block
 * shape, leading dimension, codes, scales), A (F16/BF16 values rounded from floats or raw bit
 * patterns: NaN, Inf, subnormals; huge values), alpha, beta, C (NaN-filled when beta = 0, which must
 * not read it), leading dimensions (gaps, too small, huge) and NULL pointers. For every kernel set:
 *  - the status is one fp8.h lists for the arguments (FP8_ERR_BAD_ARGUMENT for a bad a_type or
 *    c_type); a failed call leaves C (guards and gaps included) untouched;
 *  - A, B, the scales and the bias are never written; C's gaps and guards never;
 *  - M or N = 0: C untouched; otherwise every element of C equals, bit for bit, the narrowing of the
 *    float32 API's element plus bias[j] (NaN included: without a bias the narrowed NaN of the float32
 *    result; with one, the quieted NaN operand of the addition, either one when both are NaN;
 *    where beta and C0 are both NaN, any NaN unless FUZZ_STRICT_NAN is set: see repro/README.md).
 */
#define FUZZ_GEMM_HELPERS_ONLY 1
#include "fuzz_gemm_common.h"

enum { OP_WO, OP_EX };

/* The bits of f rounded into type t by the reference. */
static uint32_t narrow_bits(int t, float f) {
    if (t == FP8_DTYPE_F16) return ref_f16_from_f32(f);
    if (t == FP8_DTYPE_BF16) return ref_bf16_from_f32(f);
    return f32_bits(f);
}

static float quiet(float f) { return f32_of(f32_bits(f) | 0x00400000u); }

/* A value for A or C of type t: as rd_elem, or (huge) a large magnitude for the type. */
static uint32_t rd_operand(rd *r, int t, int huge, int finite_only) {
    uint32_t b;
    if (huge) {
        float v = t == FP8_DTYPE_F16 ? (float)ldexp(1.0 + rd_u16(r) / 65536.0, 5 + rd_u8(r) % 11)
                                     : (float)ldexp(1.0 + rd_u16(r) / 65536.0, 99 + rd_u8(r) % 29);
        if (rd_u8(r) & 1) v = -v;
        b = narrow_bits(t, v);
    } else {
        b = rd_elem(r, t);
    }
    if (finite_only && !isfinite(ref_widen_bits(t, b))) b = narrow_bits(t, (float)(int8_t)rd_u8(r));
    return b;
}

static void put_bits(int t, void *p, size_t i, uint32_t b) {
    if (t == FP8_DTYPE_F32) { memcpy((char *)p + 4 * i, &b, 4); return; }
    uint16_t h = (uint16_t)b;
    memcpy((char *)p + 2 * i, &h, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ref_init();
    sets_init();
    rd r;
    rd_init(&r, data, size);

    int op = rd_u8(&r) < 170 ? OP_WO : OP_EX;
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
    int a_type = op == OP_WO ? rd_dtype(&r) : FP8_DTYPE_F32;
    int c_type = rd_dtype(&r);
    int has_bias = rd_u8(&r) >= 80;
    int finite_only = rd_u8(&r) >= 64;
    int specials = rd_u8(&r) < 64;
    float alpha = rd_alpha(&r), beta = rd_beta(&r);
    uint8_t nl = rd_u8(&r);
    int null_c = nl == 1, null_bm = nl == 2, null_bd = nl == 3, null_bs = nl == 4;
    int null_am = nl == 5, null_ad = nl == 6, null_as = nl == 7;
    const size_t asz = dtype_size(a_type), csz = dtype_size(c_type);

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
    if (op == OP_EX && rd_u8(&r) == 0x55) Ka = K + 1; /* mismatched inner dimension */

    /* The statuses fp8.h lists for these arguments. */
    unsigned want = 0;
    size_t cbytes = 0, t;
    if (null_bm) want |= ST(FP8_ERR_NULL_POINTER);
    if (b.m.format != FP8_E4M3 && b.m.format != FP8_E5M2) want |= ST(FP8_ERR_BAD_FORMAT);
    if (b.m.block_rows == 0 || b.m.block_cols == 0 || b.m.ld < K || ldc < N) want |= ST(FP8_ERR_BAD_SHAPE);
    if (!dtype_valid(c_type)) want |= ST(FP8_ERR_BAD_ARGUMENT);
    if (N && K) {
        if (null_bd || null_bs) want |= ST(FP8_ERR_NULL_POINTER);
        if (span_bytes(N, K, b.m.ld, 1, &b.span)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
        if (b.m.block_rows && b.m.block_cols &&
            (mul_ovf(cdiv(N, b.m.block_rows), cdiv(K, b.m.block_cols), &b.ns) || mul_ovf(b.ns, 4, &t)))
            want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }
    if (M && N) {
        if (null_c) want |= ST(FP8_ERR_NULL_POINTER);
        if (span_bytes(M, N, ldc, csz, &cbytes)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
    }
    size_t lda = 0, aspan = 0;
    opnd a;
    memset(&a, 0, sizeof a);
    if (op == OP_WO) {
        lda = rd_ld(&r, K, &huge);
        if (!dtype_valid(a_type)) want |= ST(FP8_ERR_BAD_ARGUMENT);
        if (lda < K) want |= ST(FP8_ERR_BAD_SHAPE);
        if (M && K) {
            if (null_ad) want |= ST(FP8_ERR_NULL_POINTER);
            if (span_bytes(M, K, lda, asz, &aspan)) want |= ST(FP8_ERR_SIZE_OVERFLOW);
            aspan /= asz;
        }
    } else {
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
    }
    if (want) {
        /* Nothing may be touched: tiny buffers (ASan reports any access past them). */
        const int so = (want & ST(FP8_ERR_SIZE_OVERFLOW)) != 0;
        b.span = b.span > 64 || so ? 16 : b.span;
        b.ns = b.ns > 64 || so ? 4 : b.ns;
        cbytes = cbytes > 4096 || so ? 64 : cbytes;
        aspan = aspan > 64 || so ? 4 : aspan;
        a.span = a.span > 64 || so ? 16 : a.span;
        a.ns = a.ns > 64 || so ? 4 : a.ns;
    }
    size_t limit = big ? ((size_t)1 << 21) : ((size_t)1 << 18);
    if (b.span > limit || cbytes > limit * 4 || aspan > limit || a.span > limit) return 0; /* too large */
    const int ct = dtype_valid(c_type) ? c_type : FP8_DTYPE_F32; /* how C's bytes are filled */
    const int at = dtype_valid(a_type) ? a_type : FP8_DTYPE_F32;

    fill_fp8(&r, &b, finite_only, specials);
    b.m.data = null_bd ? NULL : b.codes;
    b.m.scales = null_bs ? NULL : b.scales;
    uint8_t *bcopy = malloc(b.span ? b.span : 1);
    memcpy(bcopy, b.codes, b.span);
    float *bscopy = malloc((b.ns ? b.ns : 1) * sizeof(float));
    memcpy(bscopy, b.scales, b.ns * sizeof(float));

    /* A: typed values and their float32 widening (weight-only), or an FP8 operand. */
    void *av = malloc(aspan ? aspan * asz : 4), *acopy = NULL;
    float *aw = malloc((aspan ? aspan : 1) * sizeof(float));
    float *ascopy = NULL;
    if (op == OP_WO) {
        uint8_t amode = rd_u8(&r);
        for (size_t i = 0; i < aspan; i++) {
            uint32_t v = rd_operand(&r, at, amode < 48, finite_only);
            put_bits(at, av, i, v);
            aw[i] = ref_widen_bits(at, v);
        }
        acopy = malloc(aspan ? aspan * asz : 4);
        memcpy(acopy, av, aspan * asz);
    } else {
        fill_fp8(&r, &a, finite_only, specials);
        a.m.data = null_ad ? NULL : a.codes;
        a.m.scales = null_as ? NULL : a.scales;
        acopy = malloc(a.span ? a.span : 1);
        memcpy(acopy, a.codes, a.span);
        ascopy = malloc((a.ns ? a.ns : 1) * sizeof(float));
        memcpy(ascopy, a.scales, a.ns * sizeof(float));
    }

    /* bias[N]: exactly N floats (ASan reports reads past them). */
    float *bias = NULL, *biascopy = NULL;
    if (has_bias) {
        bias = malloc((N ? N : 1) * sizeof(float));
        uint8_t bmode = rd_u8(&r);
        for (size_t j = 0; j < N; j++) {
            float v = bmode < 32 ? (float)(int8_t)rd_u8(&r) : rd_value(&r);
            bias[j] = finite_only && !isfinite(v) ? 0.5f : v;
        }
        biascopy = malloc((N ? N : 1) * sizeof(float));
        memcpy(biascopy, bias, N * sizeof(float));
    }

    /* C0 in c_type: read only when beta != 0; otherwise NaNs (quiet and signalling) that must not
     * leak. c0w: its float32 widening, the float32 API's C0. */
    size_t cn = cbytes / csz;
    void *c0 = malloc(cn ? cbytes : 4);
    float *c0w = malloc((cn ? cn : 1) * sizeof(float));
    for (size_t i = 0; i < cn; i++) {
        uint32_t v;
        if (beta == 0.0f) {
            static const uint32_t n32[2] = {0x7FC00000u, 0xFFA00000u};
            static const uint16_t n16[2] = {0x7E00, 0xFD01}, nb16[2] = {0x7FC0, 0xFF81};
            v = ct == FP8_DTYPE_F32 ? n32[i & 1] : ct == FP8_DTYPE_F16 ? n16[i & 1] : nb16[i & 1];
        } else {
            v = rd_operand(&r, ct, 0, finite_only);
        }
        put_bits(ct, c0, i, v);
        c0w[i] = ref_widen_bits(ct, v);
    }

    if (getenv("FUZZ_VERBOSE")) {
        fprintf(stderr, "op %s M %zu N %zu K %zu A %s lda %zu C %s ldc %zu bias %d alpha %a beta %a big %d want 0x%x\n",
                op == OP_WO ? "weight_only" : "gemm_ex", M, N, K, dtype_name(a_type), lda, dtype_name(c_type), ldc,
                has_bias, alpha, beta, big, want);
        fprintf(stderr, "B: fmt %d ld %zu blocks %zux%zu scales", (int)b.m.format, b.m.ld, b.m.block_rows, b.m.block_cols);
        for (size_t i = 0; i < b.ns; i++) fprintf(stderr, " %a", b.scales[i]);
        fprintf(stderr, "\n");
    }

    const int strict_nan = getenv("FUZZ_STRICT_NAN") != NULL;
    gbuf c;
    gbuf_alloc(&c, cbytes);
    float *cref = malloc((cn ? cn : 1) * sizeof(float));
    for (size_t k = 0; k < g_nsets; k++) {
        use_set(k);
        for (int pass = 0; pass < (big ? 2 : 1); pass++) {
            if (big) fp8_set_num_threads(pass ? 3 : 1);
            /* The float32 API on the widened operands: the oracle. */
            if (!want && M && N) {
                memcpy(cref, c0w, cn * sizeof(float));
                int st_ref = op == OP_WO ? fp8_gemm_f32a(M, null_ad ? NULL : aw, lda, &b.m, alpha, beta, cref, ldc)
                                         : fp8_gemm(&a.m, &b.m, alpha, beta, cref, ldc);
                FUZZ_CHECK(st_ref == FP8_OK, "the float32 API failed (status %d) where the typed call is valid", st_ref);
            }
            memcpy(c.p, c0, cbytes);
            gbuf_snap(&c);
            int st;
            if (op == OP_WO)
                st = fp8_gemm_weight_only(M, (fp8_dtype)a_type, null_ad ? NULL : av, lda, null_bm ? NULL : &b.m, bias,
                                          alpha, beta, (fp8_dtype)c_type, null_c ? NULL : (void *)c.p, ldc);
            else
                st = fp8_gemm_ex(null_am ? NULL : &a.m, null_bm ? NULL : &b.m, bias, alpha, beta, (fp8_dtype)c_type,
                                 null_c ? NULL : (void *)c.p, ldc);
            if (op == OP_WO)
                FUZZ_CHECK(memcmp(av, acopy, aspan * asz) == 0, "fp8_gemm_weight_only wrote to A");
            else
                FUZZ_CHECK(memcmp(a.codes, acopy, a.span) == 0 && memcmp(a.scales, ascopy, a.ns * sizeof(float)) == 0,
                           "fp8_gemm_ex wrote to A");
            FUZZ_CHECK(memcmp(b.codes, bcopy, b.span) == 0 && memcmp(b.scales, bscopy, b.ns * sizeof(float)) == 0,
                       "GEMM wrote to B");
            if (has_bias) FUZZ_CHECK(memcmp(bias, biascopy, N * sizeof(float)) == 0, "GEMM wrote to the bias");
            if (want) {
                FUZZ_CHECK(st_in(want, st), "%s M %zu N %zu K %zu (A cols %zu) A %s lda %zu C %s ldc %zu B ld %zu blocks %zux%zu fmt %d nulls %u: status %d, want mask 0x%x",
                           op == OP_WO ? "weight_only" : "gemm_ex", M, N, K, Ka, dtype_name(a_type), lda, dtype_name(c_type),
                           ldc, b.m.ld, b.m.block_rows, b.m.block_cols, (int)b.m.format, nl, st, want);
                FUZZ_CHECK(gbuf_same(&c), "failed GEMM (status %d) wrote to C", st);
                continue;
            }
            FUZZ_CHECK(st == FP8_OK, "M %zu N %zu K %zu A %s C %s: status %d, want FP8_OK", M, N, K, dtype_name(a_type),
                       dtype_name(c_type), st);
            FUZZ_CHECK(gbuf_guards_ok(&c), "GEMM wrote past C");
            FUZZ_CHECK(gbuf_gaps_same(&c, M, N, ldc, csz), "GEMM wrote into the gaps of C (ldc %zu > N %zu, C %s)", ldc, N,
                       dtype_name(c_type));
            if (M == 0 || N == 0) {
                FUZZ_CHECK(gbuf_same(&c), "empty GEMM (M %zu, N %zu) wrote to C", M, N);
                continue;
            }
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    const size_t e = i * ldc + j;
                    const float v = cref[e];
                    const uint32_t got = elem_bits(c_type, c.p, e);
                    uint32_t w1, w2;
                    if (!has_bias) {
                        w1 = w2 = narrow_bits(c_type, v);
                    } else if (isnan(v) || isnan(bias[j])) {
                        /* the addition returns its NaN operand, quieted; either one when both are */
                        w1 = narrow_bits(c_type, quiet(isnan(v) ? v : bias[j]));
                        w2 = narrow_bits(c_type, quiet(isnan(bias[j]) ? bias[j] : v));
                    } else {
                        volatile float sum = v + bias[j]; /* Inf - Inf: this machine's default NaN */
                        w1 = w2 = narrow_bits(c_type, sum);
                    }
                    /* beta * C with both NaN: which operand's NaN comes out is the compiler's choice
                     * (multiplication commutes), and scale_c's two loops (K = 0) choose differently:
                     * any NaN is accepted there unless FUZZ_STRICT_NAN is set (repro/README.md). */
                    if (!strict_nan && isnan(v) && beta != 0.0f && isnan(beta) && isnan(c0w[e]) && bits_isnan(c_type, got))
                        continue;
                    FUZZ_CHECK(got == w1 || got == w2,
                               "%s A %s C %s%s M %zu N %zu K %zu alpha %a beta %a: C[%zu][%zu] = 0x%x (%a), want 0x%x (%a): float32 API %a (0x%08x)%s%a, C0 %a",
                               op == OP_WO ? "weight_only" : "gemm_ex", dtype_name(a_type), dtype_name(c_type),
                               has_bias ? " bias" : "", M, N, K, alpha, beta, i, j, got, ref_widen_bits(c_type, got), w1,
                               ref_widen_bits(c_type, w1), v, f32_bits(v), has_bias ? " + bias " : " ",
                               has_bias ? bias[j] : 0.0f, c0w[e]);
                }
        }
    }
    if (big) fp8_set_num_threads(0);

    gbuf_free(&c);
    free(cref);
    free(c0);
    free(c0w);
    free(bias);
    free(biascopy);
    free(av);
    free(aw);
    free(acopy);
    free(ascopy);
    free(a.codes);
    free(a.scales);
    free(b.codes);
    free(b.scales);
    free(bcopy);
    free(bscopy);
    return 0;
}
