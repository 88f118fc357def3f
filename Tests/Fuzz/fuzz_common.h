/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h - shared by the libFuzzer harnesses in Tests/Fuzz (built by scripts/fuzz.sh).
 *
 * Holds an INDEPENDENT reference model of the formats, written from the definitions in fp8.h
 * (OCP OFP8 v1.0) with doubles: decoding is sign * 2^e * (1 + m / 2^mbits) from the fields, encoding
 * is a search for the nearest value in the table of the format's values (ties to the even code), with
 * the virtual value one quantum above the max finite deciding overflow. Nothing here calls the library
 * to compute an expected value, and none of the library's bit tricks are reused.
 *
 * Also: a byte reader that turns the fuzzer's input into parameters and data (continuing with a
 * PRNG seeded from the input once the input is used up), guarded output buffers (canary bytes around
 * and inside every output, poisoned for ASan, checked after each call), the list of kernel sets to
 * compare, and a set-of-statuses model for argument checks.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <fp8.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define FUZZ_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define FUZZ_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define FUZZ_POISON(p, n) ((void)(p), (void)(n))
#define FUZZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A failed check: say what and where, then abort so libFuzzer saves the input as a crash. */
#define FUZZ_FAIL(...)                                                                           \
    do {                                                                                         \
        fprintf(stderr, "\n*** FUZZ CHECK FAILED (%s:%d, kernels %s): ", __FILE__, __LINE__,    \
                fp8_kernels());                                                                  \
        fprintf(stderr, __VA_ARGS__);                                                            \
        fprintf(stderr, "\n");                                                                   \
        abort();                                                                                 \
    } while (0)
#define FUZZ_CHECK(cond, ...) do { if (!(cond)) FUZZ_FAIL(__VA_ARGS__); } while (0)

static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float f32_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* ---- input reader -------------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, i;
    uint64_t s; /* PRNG state once the input is used up */
} rd;

static inline void rd_init(rd *r, const uint8_t *p, size_t n) {
    r->p = p; r->n = n; r->i = 0;
    uint64_t h = 0x243F6A8885A308D3ull ^ n;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001B3ull;
    r->s = h | 1;
}

static inline uint8_t rd_u8(rd *r) {
    if (r->i < r->n) return r->p[r->i++];
    r->s ^= r->s << 13; r->s ^= r->s >> 7; r->s ^= r->s << 17; /* xorshift64 */
    return (uint8_t)(r->s >> 29);
}
static inline uint16_t rd_u16(rd *r) { uint16_t a = rd_u8(r); return (uint16_t)(a | rd_u8(r) << 8); }
static inline uint32_t rd_u32(rd *r) { uint32_t a = rd_u16(r); return a | (uint32_t)rd_u16(r) << 16; }
static inline uint64_t rd_u64(rd *r) { uint64_t a = rd_u32(r); return a | (uint64_t)rd_u32(r) << 32; }
/* Uniform-ish in [lo, hi]. */
static inline size_t rd_range(rd *r, size_t lo, size_t hi) { return lo + rd_u16(r) % (hi - lo + 1); }

/* Floats worth trying as values or scales. */
static const uint32_t k_special_f32[] = {
    0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
    0x7F800001, 0x7FA00000, /* signalling NaNs */
    0x00000001, 0x80000001, 0x007FFFFF, 0x00400000, 0x00800000, 0x80800000, /* subnormals, min normal */
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000, 0x7E800000, 0x3B000000, 0x37800000, 0x30800000, 0x03800000,
    0x43E00000, 0xC3E00000, 0x43E80000, 0x43E80001, 0x43F00000, 0x43DFFFFF, /* 448, 464 tie, 480 */
    0x47600000, 0x47700000, 0x47700001, 0x476FFFFF, 0x47800000,            /* 57344, 61440 tie, 65536 */
    0x3C000000, 0x3B800000, 0x3A800000, 0x38800000, 0x37000000, 0x36800000, /* 2^-7.. 2^-18 */
};
#define N_SPECIAL_F32 (sizeof k_special_f32 / sizeof k_special_f32[0])

/* A float for codec/quantization input: raw bits, a special value, a value near an FP8 grid point or
 * midpoint (ties) scaled by a power of two, or a moderate random value. */
static inline float rd_value(rd *r) {
    uint8_t sel = rd_u8(r);
    switch (sel & 7) {
    case 0: return f32_of(rd_u32(r));
    case 1: return f32_of(k_special_f32[rd_u8(r) % N_SPECIAL_F32]);
    case 2: case 3: {
        /* k/16 of an FP8 quantum around a grid point 2^e * (1 + m/8), +- a few float ulps */
        int e = (int8_t)rd_u8(r) % 24 - 12;
        int m = rd_u8(r) % 16;
        double v = ldexp(1.0 + m / 16.0, e);
        float f = (float)v;
        int ulps = (int8_t)rd_u8(r) % 3;
        uint32_t u = f32_bits(f) + (uint32_t)ulps;
        f = f32_of(u);
        return (sel & 0x80) ? -f : f;
    }
    default: {
        int e = (int8_t)rd_u8(r) % 20 - 10;
        float f = (float)ldexp((double)(int16_t)rd_u16(r), e - 8);
        return f;
    }
    }
}

/* A block scale: usually a power of two or an ordinary positive float; sometimes 0, negative,
 * subnormal, huge, Inf or NaN. */
static inline float rd_scale(rd *r, int allow_special) {
    uint8_t sel = rd_u8(r);
    if (allow_special && sel < 24) {
        static const uint32_t sp[] = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000,
                                      0xFFC00000, 0x00000001, 0x00400000, 0x007FFFFF, 0x7F7FFFFF,
                                      0x7F000000, 0xBF800000, 0xC0000000, 0x3F800000, 0x7E800000,
                                      0x72800000, 0x0C800000, 0x00800000, 0x01000000, 0x7F7FFFFF,
                                      0xBE000000, 0x80000001, 0x3F800000, 0x40000000};
        return f32_of(sp[sel % (sizeof sp / sizeof sp[0])]);
    }
    if (sel < 160) return (float)ldexp(1.0, (int8_t)rd_u8(r) % 24);                 /* 2^-23..2^23 */
    if (sel < 176) return (float)ldexp(1.0, (int)(rd_u8(r) % 254) - 126);           /* any normal 2^e */
    return (float)ldexp(1.0 + rd_u16(r) / 65536.0, (int8_t)rd_u8(r) % 20);
}

/* ---- reference model of the formats -------------------------------------------------------------- */

typedef struct ref_fmt {
    int mbits, ebits, bias, emax; /* emax: exponent of the largest finite value */
    int max_code;                 /* largest finite magnitude code */
    double maxf;                  /* largest finite value */
    double val[128];              /* value of each magnitude code 0..0x7F (NaN where not finite) */
} ref_fmt;

static ref_fmt g_ref[2];
static int g_ref_ready;

/* Value of a code straight from the fields (OCP OFP8): NaN/Inf as the format defines them. */
static inline double ref_decode(int fmt, uint8_t c) {
    const int mbits = fmt == FP8_E4M3 ? 3 : 2, ebits = fmt == FP8_E4M3 ? 4 : 5;
    const int bias = fmt == FP8_E4M3 ? 7 : 15;
    const int sign = c >> 7, e = (c >> mbits) & ((1 << ebits) - 1), m = c & ((1 << mbits) - 1);
    double v;
    if (fmt == FP8_E4M3 && e == 15 && m == 7) v = NAN;
    else if (fmt == FP8_E5M2 && e == 31) v = m == 0 ? INFINITY : NAN;
    else if (e == 0) v = ldexp((double)m, 1 - bias - mbits);
    else v = ldexp((double)(m + (1 << mbits)), e - bias - mbits);
    return sign ? -v : v;
}

static inline void ref_init(void) {
    if (g_ref_ready) return;
    for (int f = 0; f < 2; f++) {
        ref_fmt *t = &g_ref[f];
        t->mbits = f == FP8_E4M3 ? 3 : 2;
        t->ebits = f == FP8_E4M3 ? 4 : 5;
        t->bias = f == FP8_E4M3 ? 7 : 15;
        t->max_code = 0;
        for (int c = 0; c < 128; c++) {
            t->val[c] = ref_decode(f, (uint8_t)c);
            if (isfinite(t->val[c])) t->max_code = c; /* values rise with the code */
        }
        t->maxf = t->val[t->max_code];
        t->emax = ilogb(t->maxf);
    }
    g_ref_ready = 1;
}

/* The quiet NaN code with the sign of x, and the code an overflow gives. */
static inline uint8_t ref_nan_code(int fmt) { return fmt == FP8_E4M3 ? 0x7F : 0x7E; }
static inline uint8_t ref_ovf_code(int fmt, int sat) {
    return (uint8_t)(sat ? g_ref[fmt].max_code : (fmt == FP8_E4M3 ? 0x7F : 0x7C));
}

/* The largest finite magnitude code whose value is <= a (a >= 0, not NaN): a binary search in the
 * table (values rise with the code). */
static inline int ref_floor_code(const ref_fmt *t, double a) {
    int lo = 0, hi = t->max_code; /* invariant: val[lo] <= a; the answer is in [lo, hi] */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (t->val[mid] <= a) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* Round x (any double) to the format, once, to nearest with ties to the even code. */
static inline uint8_t ref_encode(int fmt, double x, int sat) {
    const ref_fmt *t = &g_ref[fmt];
    const uint8_t sign = signbit(x) ? 0x80 : 0;
    if (isnan(x)) return sign | ref_nan_code(fmt);
    double a = fabs(x);
    if (isinf(a)) return sign | ref_ovf_code(fmt, sat);
    /* the virtual code max_code + 1, one quantum above the max finite */
    const double virt = t->maxf + ldexp(1.0, t->emax - t->mbits);
    if (a >= virt) return sign | ref_ovf_code(fmt, sat);
    const int lo = ref_floor_code(t, a);
    if (t->val[lo] == a) return sign | (uint8_t)lo;
    const int hi = lo + 1;
    const double hv = hi > t->max_code ? virt : t->val[hi];
    const double mid = (t->val[lo] + hv) / 2; /* exact: few bits */
    int c = a < mid ? lo : a > mid ? hi : ((lo & 1) ? hi : lo);
    if (c > t->max_code) return sign | ref_ovf_code(fmt, sat);
    return sign | (uint8_t)c;
}

/* The float32 fp8_decode_f32 must give, as bits (NaN payloads as fp8.h documents them). */
static inline uint32_t ref_decode_bits(int fmt, uint8_t c) {
    double v = ref_decode(fmt, c);
    uint32_t sign = (uint32_t)(c >> 7) << 31;
    if (isnan(v)) {
        if (fmt == FP8_E4M3) return sign | 0x7FC00000u;
        /* binary16 NaN 1.11111.mm00000000 widened: payload mm at the top of the float mantissa,
         * quiet bit set */
        return sign | 0x7F800000u | ((uint32_t)(c & 3) << 21) | 0x00400000u;
    }
    return f32_bits((float)v);
}

/* Truncation and the next step up for stochastic rounding: codes lo, hi of |x| (hi may be the
 * virtual max_code + 1). Returns 1 if |x| is exactly on the grid. */
static inline int ref_stochastic_pair(int fmt, double a, int *lo_out, int *hi_out) {
    const ref_fmt *t = &g_ref[fmt];
    const int lo = ref_floor_code(t, a);
    const double virt = t->maxf + ldexp(1.0, t->emax - t->mbits);
    if (a >= virt) { *lo_out = *hi_out = t->max_code + 1; return 1; }
    *lo_out = lo;
    *hi_out = lo + 1;
    return t->val[lo] == a;
}

/* ---- binary16 and bfloat16 reference ------------------------------------------------------------ */
/*
 * Written from IEEE 754 (binary16: 1.5.10, bias 15; bfloat16: 1.8.7, bias 127, the top half of a
 * float32) and the NaN rules of fp8.h, with doubles: widening decodes the fields; narrowing rounds
 * |x| once to nearest, ties to the even significand, on the grid of x's binade (the subnormal grid
 * below the smallest normal), and gives +-Inf when the rounded value reaches 2^(emax+1). No bit trick
 * of the library is reused.
 */

/* float32 value of a binary16 bit pattern (NaN: sign, payload << 13, quiet bit set). */
static inline float ref_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h >> 15) << 31;
    const int e = (h >> 10) & 31;
    const uint32_t m = h & 0x3FF;
    if (e == 31) return f32_of(sign | 0x7F800000u | (m ? 0x00400000u | (m << 13) : 0));
    double v = e == 0 ? ldexp((double)m, -24) : ldexp((double)(m + 1024), e - 25);
    return f32_of(sign | f32_bits((float)v));
}

/* float32 value of a bfloat16 bit pattern (NaN: sign and payload kept, quiet bit set). */
static inline float ref_bf16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h >> 15) << 31;
    const int e = (h >> 7) & 0xFF;
    const uint32_t m = h & 0x7F;
    if (e == 255) return f32_of(sign | 0x7F800000u | (m ? 0x00400000u | (m << 16) : 0));
    double v = e == 0 ? ldexp((double)m, -133) : ldexp((double)(m + 128), e - 134);
    return f32_of(sign | f32_bits((float)v));
}

/* |x| rounded once to nearest-even in a binary format with p significand bits (hidden bit
 * included), exponents emin..emax and bias: the magnitude bits (the Inf pattern on overflow). */
static inline uint16_t ref_round_binary(double a, int p, int emin, int emax, int bias) {
    const uint16_t inf = (uint16_t)((emax + bias + 1) << (p - 1));
    if (isinf(a)) return inf;
    if (a == 0) return 0;
    int e = ilogb(a);
    if (e > emax) return inf;
    if (e < emin) e = emin;
    const double quantum = ldexp(1.0, e - (p - 1));
    const double n = a / quantum; /* exact: a has at most 24 significant bits */
    double r = floor(n);
    const double frac = n - r;
    if (frac > 0.5 || (frac == 0.5 && fmod(r, 2.0) != 0)) r += 1;
    const double v = r * quantum;
    if (v >= ldexp(1.0, emax + 1)) return inf;
    if (v < ldexp(1.0, emin)) return (uint16_t)r; /* subnormal (or 0): the count of quanta */
    const int ev = ilogb(v);
    const double sig = v / ldexp(1.0, ev - (p - 1)); /* in [2^(p-1), 2^p) */
    return (uint16_t)(((unsigned)(ev + bias) << (p - 1)) | (unsigned)(sig - ldexp(1.0, p - 1)));
}

/* float32 -> binary16 bits, as fp8.h defines fp8_f16_from_f32 (NaN: sign | 0x7E00 | top 10 payload bits). */
static inline uint16_t ref_f16_from_f32(float f) {
    const uint32_t u = f32_bits(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    if (isnan(f)) return (uint16_t)(sign | 0x7E00 | ((u >> 13) & 0x3FF));
    return (uint16_t)(sign | ref_round_binary(fabs((double)f), 11, -14, 15, 15));
}

/* float32 -> bfloat16 bits, as fp8.h defines fp8_bf16_from_f32 (NaN: (bits >> 16) | 0x0040). */
static inline uint16_t ref_bf16_from_f32(float f) {
    const uint32_t u = f32_bits(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    if (isnan(f)) return (uint16_t)((u >> 16) | 0x0040);
    return (uint16_t)(sign | ref_round_binary(fabs((double)f), 8, -126, 127, 127));
}

static inline size_t dtype_size(int t) { return t == FP8_DTYPE_F16 || t == FP8_DTYPE_BF16 ? 2 : 4; }
static inline int dtype_valid(int t) { return t == FP8_DTYPE_F32 || t == FP8_DTYPE_F16 || t == FP8_DTYPE_BF16; }
static inline const char *dtype_name(int t) {
    return t == FP8_DTYPE_F32 ? "F32" : t == FP8_DTYPE_F16 ? "F16" : t == FP8_DTYPE_BF16 ? "BF16" : "bad";
}

/* Element i of an array of type t, widened to float32 by the reference. */
static inline float ref_widen(int t, const void *p, size_t i) {
    uint16_t h;
    if (t == FP8_DTYPE_F32) { float f; memcpy(&f, (const char *)p + 4 * i, 4); return f; }
    memcpy(&h, (const char *)p + 2 * i, 2);
    return t == FP8_DTYPE_F16 ? ref_f16_to_f32(h) : ref_bf16_to_f32(h);
}

/* The float32 value of the bits of an element of type t. */
static inline float ref_widen_bits(int t, uint32_t b) {
    if (t == FP8_DTYPE_F32) return f32_of(b);
    return t == FP8_DTYPE_F16 ? ref_f16_to_f32((uint16_t)b) : ref_bf16_to_f32((uint16_t)b);
}

/* Store the float32 f rounded into element i of an array of type t (F32: unchanged bits). */
static inline void ref_store(int t, void *p, size_t i, float f) {
    if (t == FP8_DTYPE_F32) { memcpy((char *)p + 4 * i, &f, 4); return; }
    uint16_t h = t == FP8_DTYPE_F16 ? ref_f16_from_f32(f) : ref_bf16_from_f32(f);
    memcpy((char *)p + 2 * i, &h, 2);
}

/* Bits of element i of an array of type t (F32: 32 bits, else 16). */
static inline uint32_t elem_bits(int t, const void *p, size_t i) {
    if (t == FP8_DTYPE_F32) { uint32_t u; memcpy(&u, (const char *)p + 4 * i, 4); return u; }
    uint16_t h;
    memcpy(&h, (const char *)p + 2 * i, 2);
    return h;
}

/* 1 if the bits of an element of type t are a NaN. */
static inline int bits_isnan(int t, uint32_t b) {
    if (t == FP8_DTYPE_F16) return (b & 0x7FFF) > 0x7C00;
    if (t == FP8_DTYPE_BF16) return (b & 0x7FFF) > 0x7F80;
    return (b & 0x7FFFFFFF) > 0x7F800000u;
}

/* A value of type t for an input array, as bits: usually a float from rd_value rounded into t, or
 * raw 16-bit patterns (NaN and Inf included) for the 16-bit types. */
static inline uint32_t rd_elem(rd *r, int t) {
    if (t == FP8_DTYPE_F32) return f32_bits(rd_value(r));
    if ((rd_u8(r) & 7) == 0) return rd_u16(r);
    float f = rd_value(r);
    return t == FP8_DTYPE_F16 ? ref_f16_from_f32(f) : ref_bf16_from_f32(f);
}

/* An fp8_dtype: usually valid, sometimes not. */
static inline int rd_dtype(rd *r) {
    uint8_t v = rd_u8(r);
    if (v < 80) return FP8_DTYPE_F32;
    if (v < 160) return FP8_DTYPE_F16;
    if (v < 248) return FP8_DTYPE_BF16;
    static const int bad[] = {3, -1, 255, 0x7FFFFFFF, (int)0x80000000, 4, 0x10001, -3};
    return bad[v % 8];
}

/* ---- guarded buffers ----------------------------------------------------------------------------- */

#define GUARD 64
#define CANARY 0xA5

/* An output buffer of `bytes` with GUARD canary bytes on each side (poisoned for ASan so that any
 * access to them is reported at once). `snap` keeps a copy of the whole region for comparisons. */
typedef struct gbuf {
    uint8_t *raw, *p, *snap;
    size_t bytes;
} gbuf;

static inline void gbuf_alloc(gbuf *b, size_t bytes) {
    b->bytes = bytes;
    b->raw = malloc(bytes + 2 * GUARD);
    b->snap = malloc(bytes + 2 * GUARD);
    if (!b->raw || !b->snap) abort();
    memset(b->raw, CANARY, bytes + 2 * GUARD);
    b->p = b->raw + GUARD;
    FUZZ_POISON(b->raw, GUARD);
    FUZZ_POISON(b->p + bytes, GUARD);
}
static inline void gbuf_free(gbuf *b) {
    FUZZ_UNPOISON(b->raw, b->bytes + 2 * GUARD);
    free(b->raw);
    free(b->snap);
}
/* Copy the whole region (guards included) into snap. */
static inline void gbuf_snap(gbuf *b) {
    FUZZ_UNPOISON(b->raw, b->bytes + 2 * GUARD);
    memcpy(b->snap, b->raw, b->bytes + 2 * GUARD);
    FUZZ_POISON(b->raw, GUARD);
    FUZZ_POISON(b->p + b->bytes, GUARD);
}
/* 1 if the whole region (guards included) equals the snapshot. */
static inline int gbuf_same(gbuf *b) {
    FUZZ_UNPOISON(b->raw, b->bytes + 2 * GUARD);
    int same = memcmp(b->snap, b->raw, b->bytes + 2 * GUARD) == 0;
    FUZZ_POISON(b->raw, GUARD);
    FUZZ_POISON(b->p + b->bytes, GUARD);
    return same;
}
/* 1 if the guards still hold the canary. */
static inline int gbuf_guards_ok(gbuf *b) {
    FUZZ_UNPOISON(b->raw, b->bytes + 2 * GUARD);
    int ok = 1;
    for (size_t i = 0; i < GUARD; i++)
        if (b->raw[i] != CANARY || b->p[b->bytes + i] != CANARY) ok = 0;
    FUZZ_POISON(b->raw, GUARD);
    FUZZ_POISON(b->p + b->bytes, GUARD);
    return ok;
}
/* 1 if the bytes outside the [rows, cols] elements of a matrix with leading dimension ld (elements
 * of esize bytes) equal the snapshot (the gaps between rows must never be written). */
static inline int gbuf_gaps_same(const gbuf *b, size_t rows, size_t cols, size_t ld, size_t esize) {
    if (rows == 0 || cols == 0) return 1; /* nothing is written at all: checked by gbuf_same */
    for (size_t r = 0; r + 1 < rows; r++) {
        size_t off = (r * ld + cols) * esize, len = (ld - cols) * esize;
        if (memcmp(b->p + off, b->snap + GUARD + off, len) != 0) return 0;
    }
    return 1;
}

/* ---- kernel sets --------------------------------------------------------------------------------- */

/* Every set the library might have; those this CPU supports are compared against scalar. */
static const char *const k_all_sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
#define N_ALL_SETS (sizeof k_all_sets / sizeof k_all_sets[0])

static const char *g_sets[N_ALL_SETS];
static size_t g_nsets;

/* FUZZ_SETS=name,name... limits the comparison to those sets (to replay a failure on one set);
 * scalar is always included. */
static inline void sets_init(void) {
    if (g_nsets) return;
    const char *only = getenv("FUZZ_SETS");
    for (size_t i = 0; i < N_ALL_SETS; i++)
        if (fp8_kernels_supported(k_all_sets[i]) && (i == 0 || !only || strstr(only, k_all_sets[i])))
            g_sets[g_nsets++] = k_all_sets[i];
    if (g_nsets == 0 || strcmp(g_sets[0], "scalar") != 0) {
        fprintf(stderr, "the scalar kernel set is not supported?\n");
        abort();
    }
}
static inline void use_set(size_t i) {
    if (fp8_set_kernels(g_sets[i]) != FP8_OK || strcmp(fp8_kernels(), g_sets[i]) != 0)
        FUZZ_FAIL("fp8_set_kernels(\"%s\") did not select it", g_sets[i]);
}

/* ---- statuses ------------------------------------------------------------------------------------ */

/* A set of statuses as a bit mask: bit (-status). Several faults in one call may give any of them. */
#define ST(s) (1u << (unsigned)(-(s)))
static inline int st_in(unsigned mask, int st) { return st < 0 && st > -32 && (mask & ST(st)); }

static inline int mul_ovf(size_t a, size_t b, size_t *out) { return __builtin_mul_overflow(a, b, out); }
static inline int add_ovf(size_t a, size_t b, size_t *out) { return __builtin_add_overflow(a, b, out); }
/* Bytes spanned by a [rows, cols] matrix with leading dimension ld, element size esize; 1 on overflow. */
static inline int span_bytes(size_t rows, size_t cols, size_t ld, size_t esize, size_t *out) {
    size_t t;
    if (rows == 0 || cols == 0) { *out = 0; return 0; }
    if (mul_ovf(rows - 1, ld, &t) || add_ovf(t, cols, &t) || mul_ovf(t, esize, &t)) return 1;
    *out = t;
    return 0;
}
static inline size_t cdiv(size_t a, size_t b) { return a / b + (a % b != 0); }

/* A format value: usually valid, sometimes not. */
static inline int rd_format(rd *r) {
    uint8_t v = rd_u8(r);
    if (v < 250) return v & 1;
    static const int bad[] = {2, -1, 3, 255, 0x7FFFFFFF, (int)0x80000000};
    return bad[v % 6];
}

/* An extent used for leading dimensions: cols plus a small gap, or (rarely) something invalid or huge. */
static inline size_t rd_ld(rd *r, size_t cols, int *huge) {
    uint8_t v = rd_u8(r);
    *huge = 0;
    if (v < 200) return cols + (v % 4 == 0 ? (size_t)(v % 7) : 0);
    if (v < 225) return cols ? cols - 1 - (v % cols) : 0; /* too small (when cols > 0) */
    *huge = 1;
    static const size_t h[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 2 + 1, SIZE_MAX / 4 + 1, SIZE_MAX / 8,
                               (size_t)1 << 62, (size_t)1 << 33};
    return h[v % 7];
}

#endif /* FUZZ_COMMON_H */
