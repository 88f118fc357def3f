/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_codec.c - libFuzzer harness for fp8_encode_f32, fp8_encode_f64, fp8_encode_f32_stochastic and
 * fp8_decode_f32.
 *
 * The input chooses the function, format (sometimes invalid), saturate flag (sometimes not 0/1),
 * count, NULL pointers, the x86 FTZ/DAZ modes and the values. For every kernel set this CPU supports:
 *  - the status must be the one fp8.h documents for the arguments;
 *  - a failed call must leave the destination (and its guard bytes) untouched;
 *  - a successful call must give, element by element, the code or float bits of the double-based
 *    reference model in fuzz_common.h (decode: the documented NaN payloads too), and nothing outside
 *    [0, n) may change;
 *  - stochastic rounding: each code is the truncation or the next step up of |x| (exact grid values
 *    are kept), the set gives scalar's bits, the code of element i depends only on (seed, i, x[i])
 *    (a second call with other values at odd positions and a shorter count keeps the even codes), and
 *    for the same draw a larger fraction of a step never rounds down where a smaller one rounded up.
 */
#include "fuzz_common.h"
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

enum { OP_ENC32, OP_DEC, OP_ENC64, OP_STOCH, N_OPS };
#define MAX_N 700

typedef struct ccase {
    int op, fmt, sat, ftz;
    size_t n;
    int null_src, null_dst;
    uint64_t seed;
    float *f32;   /* source floats (OP_ENC32, OP_STOCH) */
    double *f64;  /* source doubles (OP_ENC64) */
    uint8_t *codes; /* source codes (OP_DEC) */
} ccase;

static int call(const ccase *c, const void *src, void *dst, size_t n, uint64_t seed) {
#ifdef HAVE_MXCSR
    unsigned csr = _mm_getcsr();
    if (c->ftz) _mm_setcsr(csr | 0x8040); /* FTZ | DAZ: fp8.h says codec results do not depend on them */
#endif
    int st = FP8_ERR_BAD_ARGUMENT;
    switch (c->op) {
    case OP_ENC32: st = fp8_encode_f32((fp8_format)c->fmt, src, dst, n, c->sat); break;
    case OP_DEC: st = fp8_decode_f32((fp8_format)c->fmt, src, dst, n); break;
    case OP_ENC64: st = fp8_encode_f64((fp8_format)c->fmt, src, dst, n, c->sat); break;
    case OP_STOCH: st = fp8_encode_f32_stochastic((fp8_format)c->fmt, src, dst, n, c->sat, seed); break;
    }
#ifdef HAVE_MXCSR
    _mm_setcsr(csr);
#endif
    return st;
}

/* The statuses fp8.h allows for these arguments (0 = must succeed). */
static unsigned expected(const ccase *c) {
    unsigned m = 0;
    if (c->fmt != FP8_E4M3 && c->fmt != FP8_E5M2) m |= ST(FP8_ERR_BAD_FORMAT);
    if (c->op != OP_DEC && c->sat != 0 && c->sat != 1) m |= ST(FP8_ERR_BAD_ARGUMENT);
    if (c->n > 0 && (c->null_src || c->null_dst)) m |= ST(FP8_ERR_NULL_POINTER);
    return m;
}

static double rd_double(rd *r) {
    uint8_t sel = rd_u8(r);
    if (sel < 32) {
        uint64_t u = rd_u64(r);
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    double v = rd_value(r);
    if (sel < 128) {
        /* just off a float: v * (1 +- 2^-k), k in 24..54, probes rounding once from the double */
        int k = 24 + rd_u8(r) % 31;
        v = v * (1.0 + ((sel & 1) ? -1 : 1) * ldexp(1.0, -k));
    }
    return v;
}

/* The stochastic code's magnitude must be the truncation lo or the step up hi of |x|. Returns 1 if
 * it rounded up, 0 if down, -1 if that cannot be seen (NaN, Inf, grid values, both codes equal);
 * sets *frac to the fraction of a step. */
static int check_stochastic(int fmt, int sat, float x, uint8_t got, size_t i, double *frac) {
    *frac = -1;
    if (isnan(x) || isinf(x)) {
        uint8_t want = ref_encode(fmt, x, sat);
        FUZZ_CHECK(got == want, "stochastic: x[%zu] = %a gave 0x%02X, want 0x%02X", i, x, got, want);
        return -1;
    }
    const uint8_t sign = signbit(x) ? 0x80 : 0;
    double a = fabs((double)x);
    int lo, hi;
    int exact = ref_stochastic_pair(fmt, a, &lo, &hi);
    int maxc = g_ref[fmt].max_code;
    uint8_t clo = lo > maxc ? ref_ovf_code(fmt, sat) : (uint8_t)lo;
    uint8_t chi = hi > maxc ? ref_ovf_code(fmt, sat) : (uint8_t)hi;
    if (exact) {
        FUZZ_CHECK(got == (sign | clo), "stochastic: grid value x[%zu] = %a gave 0x%02X, want 0x%02X", i, x,
                   got, sign | clo);
        return -1;
    }
    FUZZ_CHECK(got == (sign | clo) || got == (sign | chi),
               "stochastic: x[%zu] = %a gave 0x%02X, want 0x%02X or 0x%02X", i, x, got, sign | clo, sign | chi);
    double vhi = hi > maxc ? g_ref[fmt].maxf + ldexp(1.0, g_ref[fmt].emax - g_ref[fmt].mbits) : g_ref[fmt].val[hi];
    *frac = (a - g_ref[fmt].val[lo]) / (vhi - g_ref[fmt].val[lo]);
    if (clo == chi) return -1;
    return got == (sign | chi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ref_init();
    sets_init();
    rd r;
    rd_init(&r, data, size);
    ccase c;
    memset(&c, 0, sizeof c);
    c.op = rd_u8(&r) % N_OPS;
    c.fmt = rd_format(&r);
    uint8_t s = rd_u8(&r);
    c.sat = s < 248 ? (s & 1) : (s == 248 ? 2 : s == 249 ? -1 : s == 250 ? 0x100 : (int)0x80000001);
    c.ftz = rd_u8(&r) < 64;
    uint8_t nsel = rd_u8(&r);
    c.n = nsel < 16 ? 0 : nsel < 128 ? (size_t)(nsel % 40) : (size_t)(rd_u16(&r) % (MAX_N + 1));
    uint8_t nl = rd_u8(&r);
    c.null_src = nl == 1 || nl == 3;
    c.null_dst = nl == 2 || nl == 3;
    c.seed = rd_u64(&r);

    /* Sources (exact-size allocations: ASan reports any read past them). */
    size_t na = c.n ? c.n : 1;
    c.f32 = malloc(na * sizeof(float));
    c.f64 = malloc(na * sizeof(double));
    c.codes = malloc(na);
    for (size_t i = 0; i < c.n; i++) {
        if (c.op == OP_ENC64) c.f64[i] = rd_double(&r);
        else if (c.op == OP_DEC) c.codes[i] = rd_u8(&r);
        else c.f32[i] = rd_value(&r);
    }
    const void *src = c.op == OP_ENC64 ? (const void *)c.f64 : c.op == OP_DEC ? (const void *)c.codes
                                                                             : (const void *)c.f32;
    size_t esize = c.op == OP_DEC ? sizeof(float) : 1;
    unsigned want = expected(&c);

    gbuf out, first;
    gbuf_alloc(&out, c.n * esize);
    gbuf_alloc(&first, c.n * esize); /* the scalar set's output, for the bit-for-bit comparison */
    for (size_t k = 0; k < g_nsets; k++) {
        use_set(k);
        memset(out.p, CANARY, c.n * esize);
        gbuf_snap(&out);
        int st = call(&c, c.null_src ? NULL : src, c.null_dst ? NULL : out.p, c.n, c.seed);
        if (want) {
            FUZZ_CHECK(st_in(want, st), "op %d fmt %d sat %d n %zu nulls %d/%d: status %d, want one of mask 0x%x",
                       c.op, c.fmt, c.sat, c.n, c.null_src, c.null_dst, st, want);
            FUZZ_CHECK(gbuf_same(&out), "op %d: failed call (status %d) wrote to its destination", c.op, st);
            continue;
        }
        FUZZ_CHECK(st == FP8_OK, "op %d fmt %d sat %d n %zu: status %d, want FP8_OK", c.op, c.fmt, c.sat, c.n, st);
        FUZZ_CHECK(gbuf_guards_ok(&out), "op %d n %zu: wrote outside [0, n)", c.op, c.n);
        for (size_t i = 0; i < c.n; i++) {
            switch (c.op) {
            case OP_ENC32: {
                uint8_t want_c = ref_encode(c.fmt, c.f32[i], c.sat);
                FUZZ_CHECK(out.p[i] == want_c, "encode_f32 fmt %d sat %d ftz %d: x[%zu] = %a (0x%08X) gave 0x%02X, want 0x%02X",
                           c.fmt, c.sat, c.ftz, i, c.f32[i], f32_bits(c.f32[i]), out.p[i], want_c);
                break;
            }
            case OP_ENC64: {
                uint8_t want_c = ref_encode(c.fmt, c.f64[i], c.sat);
                FUZZ_CHECK(out.p[i] == want_c, "encode_f64 fmt %d sat %d ftz %d: x[%zu] = %a gave 0x%02X, want 0x%02X",
                           c.fmt, c.sat, c.ftz, i, c.f64[i], out.p[i], want_c);
                break;
            }
            case OP_DEC: {
                uint32_t got, want_b = ref_decode_bits(c.fmt, c.codes[i]);
                memcpy(&got, out.p + i * 4, 4);
                FUZZ_CHECK(got == want_b, "decode fmt %d ftz %d: code[%zu] = 0x%02X gave 0x%08X, want 0x%08X",
                           c.fmt, c.ftz, i, c.codes[i], got, want_b);
                break;
            }
            case OP_STOCH: {
                double frac;
                check_stochastic(c.fmt, c.sat, c.f32[i], out.p[i], i, &frac);
                break;
            }
            }
        }
        if (k == 0) {
            memcpy(first.p, out.p, c.n * esize);
            continue;
        }
        /* Every set gives the scalar set's bits (codec results are bit-identical across sets). */
        for (size_t i = 0; i < c.n * esize; i++)
            FUZZ_CHECK(out.p[i] == first.p[i], "op %d fmt %d: set %s differs from scalar at byte %zu: 0x%02X vs 0x%02X",
                       c.op, c.fmt, g_sets[k], i, out.p[i], first.p[i]);
    }

    if (c.op == OP_STOCH && !want && c.n > 1) {
        /* Element i's code depends on (seed, i, x[i]) only: change the odd elements, shorten n. */
        size_t n2 = c.n - rd_u8(&r) % (c.n / 2 + 1);
        float *x2 = malloc(n2 * sizeof(float));
        for (size_t i = 0; i < n2; i++) {
            x2[i] = c.f32[i];
            if (i & 1) {
                /* same binade, other fraction (often): the same draw must order the decisions */
                float alt = rd_value(&r);
                if (rd_u8(&r) & 1) {
                    uint32_t u = f32_bits(c.f32[i]);
                    alt = f32_of((u & 0xFF800000u) | (rd_u32(&r) & 0x7FFFFFu));
                    if (isnan(alt) || isinf(alt)) alt = c.f32[i];
                }
                x2[i] = alt;
            }
        }
        gbuf o2;
        gbuf_alloc(&o2, n2);
        for (size_t k = 0; k < g_nsets; k++) {
            use_set(k);
            int st = call(&c, x2, o2.p, n2, c.seed);
            FUZZ_CHECK(st == FP8_OK, "stochastic second call: status %d", st);
            for (size_t i = 0; i < n2; i++) {
                double f1, f2;
                int up1 = check_stochastic(c.fmt, c.sat, c.f32[i], first.p[i], i, &f1);
                int up2 = check_stochastic(c.fmt, c.sat, x2[i], o2.p[i], i, &f2);
                if (!(i & 1)) {
                    FUZZ_CHECK(o2.p[i] == first.p[i],
                               "stochastic: element %zu (x = %a, seed %llu) gave 0x%02X with n = %zu and 0x%02X with n = %zu "
                               "and other odd neighbours", i, c.f32[i], (unsigned long long)c.seed, first.p[i], c.n, o2.p[i], n2);
                } else {
                    /* the same draw r: round up iff r < frac (to 2^-32); monotone in frac */
                    if (up1 == 1 && up2 >= 0 && f2 >= f1 + 0x1p-31)
                        FUZZ_CHECK(up2 == 1, "stochastic: element %zu rounded up at fraction %g but not at %g (same seed and index)", i, f1, f2);
                    if (up2 == 1 && up1 >= 0 && f1 >= f2 + 0x1p-31)
                        FUZZ_CHECK(up1 == 1, "stochastic: element %zu rounded up at fraction %g but not at %g (same seed and index)", i, f2, f1);
                }
            }
        }
        gbuf_free(&o2);
        free(x2);
    }
    gbuf_free(&out);
    gbuf_free(&first);
    free(c.f32);
    free(c.f64);
    free(c.codes);
    return 0;
}
