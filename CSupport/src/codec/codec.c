/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec.c - public codec entry points: argument checks, then the active kernel set, split over the
 * thread pool for large arrays (chunks are independent, so results never depend on the split).
 */
#include "../internal/fp8_internal.h"

/* Below this many elements one thread is faster than waking the pool. */
#define PARALLEL_MIN ((size_t)1 << 18)
#define CHUNK ((size_t)1 << 16)
/* At or above this many elements the destination will not stay in cache: stream it. */
#define STREAM_MIN ((size_t)1 << 22)

/* Format, pointers, flag, then the count: n elements of `elem` bytes (the wider of src and dst) must
 * fit in size_t, or the chunk count below wraps and nothing is converted. */
static int check(int fmt, const void *src, const void *dst, size_t n, int saturate, size_t elem) {
    if (!fp8_format_valid(fmt)) return FP8_ERR_BAD_FORMAT;
    if (n > 0 && (!src || !dst)) return FP8_ERR_NULL_POINTER;
    if (saturate != 0 && saturate != 1) return FP8_ERR_BAD_ARGUMENT;
    if (fp8_count_overflows(n, elem)) return FP8_ERR_SIZE_OVERFLOW;
    return FP8_OK;
}

typedef struct job {
    fp8_format fmt;
    const void *src;
    void *dst;
    size_t n;
    int saturate;
    uint64_t seed;
    const fp8_kernel_set *ks;
    int dtype; /* fp8_dtype of the 16-bit side (F16 or BF16) for the conversions below */
} job;

static void chunk_range(const job *j, size_t t, size_t *b, size_t *len) {
    *b = t * CHUNK;
    *len = j->n - *b < CHUNK ? j->n - *b : CHUNK;
}

static void run(fp8_task_fn fn, job *j) {
    size_t ntasks = (j->n + CHUNK - 1) / CHUNK;
    if (j->n < PARALLEL_MIN) {
        for (size_t t = 0; t < ntasks; t++) fn(j, t);
    } else {
        fp8_parallel_for(ntasks, fn, j);
    }
}

/* ---- float32 -> FP8 -------------------------------------------------------------------------- */

static void encode_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const fp8_codec_kernels *k = j->ks->codec;
    (j->n >= STREAM_MIN && k->encode_stream ? k->encode_stream : k->encode)(
        j->fmt, (const float *)j->src + b, (uint8_t *)j->dst + b, len, j->saturate);
}

int fp8_encode_f32(fp8_format fmt, const float *src, uint8_t *dst, size_t n, int saturate) {
    int st = check(fmt, src, dst, n, saturate, sizeof(float));
    if (st) return st;
    job j = {fmt, src, dst, n, saturate, 0, fp8_active_kernels(), 0};
    run(encode_task, &j);
    return FP8_OK;
}

/* ---- FP8 -> float32 -------------------------------------------------------------------------- */

static void decode_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const fp8_codec_kernels *k = j->ks->codec;
    (j->n >= STREAM_MIN && k->decode_stream ? k->decode_stream : k->decode)(
        j->fmt, (const uint8_t *)j->src + b, (float *)j->dst + b, len);
}

int fp8_decode_f32(fp8_format fmt, const uint8_t *src, float *dst, size_t n) {
    int st = check(fmt, src, dst, n, 0, sizeof(float));
    if (st) return st;
    job j = {fmt, src, dst, n, 0, 0, fp8_active_kernels(), 0};
    run(decode_task, &j);
    return FP8_OK;
}

/* ---- float64 -> FP8 (rounds once, from the double) ------------------------------------------- */

static void encode_f64_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const double *s = (const double *)j->src + b;
    uint8_t *d = (uint8_t *)j->dst + b;
    for (size_t i = 0; i < len; i++) d[i] = fp8_encode1_f64(j->fmt, s[i], j->saturate);
}

int fp8_encode_f64(fp8_format fmt, const double *src, uint8_t *dst, size_t n, int saturate) {
    int st = check(fmt, src, dst, n, saturate, sizeof(double));
    if (st) return st;
    job j = {fmt, src, dst, n, saturate, 0, fp8_active_kernels(), 0};
    run(encode_f64_task, &j);
    return FP8_OK;
}

/* ---- stochastic rounding --------------------------------------------------------------------- */

/* The draw for element i: SplitMix64 at stream position i, a pure function of (seed, i). */
static inline uint32_t draw32(uint64_t seed, uint64_t i) {
    uint64_t z = seed + (i + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/*
 * Truncate |x| to the FP8 grid (code `lo`, possibly past the max finite) and return the discarded
 * fraction of a quantum as a 32-bit fixed-point number; integer arithmetic on the bits throughout.
 */
static uint8_t encode1_stochastic(fp8_format fmt, float x, int saturate, uint32_t r) {
    const int mbits = fmt == FP8_E4M3 ? 3 : 2, bias = fmt == FP8_E4M3 ? 7 : 15;
    const uint32_t max_code = fmt == FP8_E4M3 ? 0x7E : 0x7B, ovf = fmt == FP8_E4M3 ? 0x7F : 0x7C;
    uint32_t u = fp8_bits_from_f32(x), a = u & 0x7FFFFFFF, sign = (u >> 24) & 0x80;
    if (a >= 0x7F800000) return fp8_encode1(fmt, x, saturate); /* NaN, Inf: nothing to round */
    uint32_t e = a >> 23, min_normal_e = (uint32_t)(127 - bias + 1);
    uint64_t lo, frac32;
    if (e >= min_normal_e) {
        unsigned shift = 23 - (unsigned)mbits;
        lo = (a >> shift) - ((uint64_t)(127 - bias) << mbits);
        frac32 = (uint64_t)(a & ((1u << shift) - 1)) << (32 - shift);
    } else {
        /* |x| = sig * 2^(e' - 150); in quanta of the min subnormal 2^(1 - bias - mbits): sig / 2^sh. */
        uint64_t sig = e ? ((a & 0x7FFFFF) | 0x800000) : a;
        unsigned sh = 150 - (e ? e : 1) - (unsigned)(bias - 1 + mbits);
        if (sh >= 64) { lo = 0; frac32 = 0; }
        else {
            lo = sig >> sh;
            uint64_t rem = sig & ((UINT64_C(1) << sh) - 1);
            frac32 = sh >= 32 ? rem >> (sh - 32) : rem << (32 - sh);
        }
    }
    uint64_t code = lo + (r < frac32);
    if (code > max_code) code = saturate ? max_code : ovf;
    return (uint8_t)(sign | code);
}

static void stochastic_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const float *s = (const float *)j->src + b;
    uint8_t *d = (uint8_t *)j->dst + b;
    for (size_t i = 0; i < len; i++) d[i] = encode1_stochastic(j->fmt, s[i], j->saturate, draw32(j->seed, b + i));
}

int fp8_encode_f32_stochastic(fp8_format fmt, const float *src, uint8_t *dst, size_t n,
                              int saturate, uint64_t seed) {
    int st = check(fmt, src, dst, n, saturate, sizeof(float));
    if (st) return st;
    job j = {fmt, src, dst, n, saturate, seed, fp8_active_kernels(), 0};
    run(stochastic_task, &j);
    return FP8_OK;
}

/* ---- bfloat16 / binary16 <-> float32 --------------------------------------------------------- */

/* Pointers, then the count (n elements of 4 bytes, the float32 side). */
static int check_conv(const void *src, const void *dst, size_t n) {
    if (n > 0 && (!src || !dst)) return FP8_ERR_NULL_POINTER;
    if (fp8_count_overflows(n, sizeof(float))) return FP8_ERR_SIZE_OVERFLOW;
    return FP8_OK;
}

static void narrow_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const fp8_codec_kernels *k = j->ks->codec;
    (j->dtype == FP8_DTYPE_BF16 ? k->bf16_from_f32 : k->f16_from_f32)((const float *)j->src + b,
                                                                      (uint16_t *)j->dst + b, len);
}

static void widen_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const fp8_codec_kernels *k = j->ks->codec;
    (j->dtype == FP8_DTYPE_BF16 ? k->bf16_to_f32 : k->f16_to_f32)((const uint16_t *)j->src + b,
                                                                  (float *)j->dst + b, len);
}

static int narrow(fp8_dtype dt, const float *src, uint16_t *dst, size_t n) {
    int st = check_conv(src, dst, n);
    if (st) return st;
    job j = {FP8_E4M3, src, dst, n, 0, 0, fp8_active_kernels(), dt};
    run(narrow_task, &j);
    return FP8_OK;
}

static int widen(fp8_dtype dt, const uint16_t *src, float *dst, size_t n) {
    int st = check_conv(src, dst, n);
    if (st) return st;
    job j = {FP8_E4M3, src, dst, n, 0, 0, fp8_active_kernels(), dt};
    run(widen_task, &j);
    return FP8_OK;
}

int fp8_bf16_from_f32(const float *src, uint16_t *dst, size_t n) { return narrow(FP8_DTYPE_BF16, src, dst, n); }
int fp8_bf16_to_f32(const uint16_t *src, float *dst, size_t n) { return widen(FP8_DTYPE_BF16, src, dst, n); }
int fp8_f16_from_f32(const float *src, uint16_t *dst, size_t n) { return narrow(FP8_DTYPE_F16, src, dst, n); }
int fp8_f16_to_f32(const uint16_t *src, float *dst, size_t n) { return widen(FP8_DTYPE_F16, src, dst, n); }

/* ---- FP8 <-> any dtype ----------------------------------------------------------------------- */

/* The 16-bit side goes through float32 in pieces of this many elements in a stack buffer: widening
 * is exact, so encoding rounds once; every FP8 value is a bf16 and binary16 value, so the narrowing
 * after decode is exact. */
#define PIECE 512

static void encode16_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const fp8_codec_kernels *k = j->ks->codec;
    void (*wid)(const uint16_t *, float *, size_t) = j->dtype == FP8_DTYPE_BF16 ? k->bf16_to_f32 : k->f16_to_f32;
    const uint16_t *s = (const uint16_t *)j->src + b;
    uint8_t *d = (uint8_t *)j->dst + b;
    float buf[PIECE];
    for (size_t i = 0; i < len; i += PIECE) {
        size_t m = len - i < PIECE ? len - i : PIECE;
        wid(s + i, buf, m);
        k->encode(j->fmt, buf, d + i, m, j->saturate);
    }
}

static void decode16_task(void *ctx, size_t t) {
    job *j = ctx;
    size_t b, len;
    chunk_range(j, t, &b, &len);
    const fp8_codec_kernels *k = j->ks->codec;
    void (*nar)(const float *, uint16_t *, size_t) = j->dtype == FP8_DTYPE_BF16 ? k->bf16_from_f32 : k->f16_from_f32;
    const uint8_t *s = (const uint8_t *)j->src + b;
    uint16_t *d = (uint16_t *)j->dst + b;
    float buf[PIECE];
    for (size_t i = 0; i < len; i += PIECE) {
        size_t m = len - i < PIECE ? len - i : PIECE;
        k->decode(j->fmt, s + i, buf, m);
        nar(buf, d + i, m);
    }
}

static int dtype_valid(int dt) { return dt == FP8_DTYPE_F32 || dt == FP8_DTYPE_F16 || dt == FP8_DTYPE_BF16; }

int fp8_encode(fp8_format fmt, fp8_dtype src_type, const void *src, uint8_t *dst, size_t n, int saturate) {
    if (!fp8_format_valid(fmt)) return FP8_ERR_BAD_FORMAT;
    if (!dtype_valid(src_type)) return FP8_ERR_BAD_ARGUMENT;
    if (src_type == FP8_DTYPE_F32) return fp8_encode_f32(fmt, src, dst, n, saturate);
    int st = check(fmt, src, dst, n, saturate, sizeof(uint16_t));
    if (st) return st;
    job j = {fmt, src, dst, n, saturate, 0, fp8_active_kernels(), src_type};
    run(encode16_task, &j);
    return FP8_OK;
}

int fp8_decode(fp8_format fmt, const uint8_t *src, fp8_dtype dst_type, void *dst, size_t n) {
    if (!fp8_format_valid(fmt)) return FP8_ERR_BAD_FORMAT;
    if (!dtype_valid(dst_type)) return FP8_ERR_BAD_ARGUMENT;
    if (dst_type == FP8_DTYPE_F32) return fp8_decode_f32(fmt, src, dst, n);
    int st = check(fmt, src, dst, n, 0, sizeof(uint16_t));
    if (st) return st;
    job j = {fmt, src, dst, n, 0, 0, fp8_active_kernels(), dst_type};
    run(decode16_task, &j);
    return FP8_OK;
}
