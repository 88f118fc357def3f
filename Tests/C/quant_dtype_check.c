/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quant_dtype_check.c - fp8_quantize / fp8_quantize_ex from float32, bfloat16 and binary16 sources
 * with fp8_quant_options, and fp8_dequantize to float32, bfloat16 and binary16, on every kernel set
 * this machine supports (run by scripts/test.sh). The oracles are written here, on VALUES in double
 * arithmetic, and share no code with the library:
 *  - widening: bf16 by a 16-bit shift; f16 from its fields (ldexp);
 *  - scales: amax in double, raised to max(amax_floor, max_finite * 2^-126), then AMAX
 *    s = float(a / max_finite), POW2 the smallest power of two >= that, MX 2^(floor(log2 a) - emax);
 *  - codes: y = float(x * float(1/s)) or float(x / s), then the nearest of the decoded FP8 values
 *    (binary search over the 127 / 124 finite magnitudes built from the format's fields), ties to
 *    the even code, beyond the max finite the max finite (saturating);
 *  - narrowing (dequantize): float(decode(q) * s) rounded to the bf16 / f16 grid with nearbyint.
 * Checks:
 *  1. fp8_quantize from BF16 / F16 is bitwise fp8_quantize of the widened float32 (codes, scales) and
 *     equals the oracle, for per-tensor, per-row, 1x128, 1x32, 128x128, 3x5, 1x96, 1x64, 2x96, 64x1 blocks,
 *     shapes that are not multiples of the blocks, padded leading dimensions (the padding of x holds
 *     NaN, that of q a canary), sizes that take the threaded and the split schedules, every rule,
 *     amax_floor 0 / 1e-4 (and -0, a subnormal, 2.5), true_division 0 / 1; data with Gaussian
 *     blocks of many magnitudes, outliers, all-zero blocks, blocks below 1e-4, subnormals, and rows
 *     whose amax sits on the rules' edges (POW2's 2^k (1 + 2^-23), MX's 2^n, the floors) with FP8
 *     midpoints around it (ties to even). Large shapes also run with 1 and 3 threads.
 *     The two division modes must disagree somewhere on bf16-valued data (oracle and library).
 *  2. static scales: codes as the oracle's with those scales, saturating overflow (asserted to
 *     occur); scales NULL, equal to static_scales, or a separate copy; 0, -0, negative, subnormal,
 *     NaN, +-Inf scales give FP8_ERR_BAD_SCALE with q and scales untouched.
 *  3. bad arguments (src_type, amax_floor NaN / negative / Inf, true_division, rule) give
 *     FP8_ERR_BAD_ARGUMENT, NULL scales without static scales FP8_ERR_NULL_POINTER, nothing written;
 *     NaN / Inf in a BF16 / F16 / F32 source gives FP8_ERR_NON_FINITE, the first bad element in
 *     bad_row / bad_col, NaN codes and scales.
 *  4. fp8_dequantize to BF16 / F16 on partial blocks equals the narrowed oracle product (NaN codes
 *     give NaN, F16 overflow gives Inf); F32 equals fp8_dequantize_f32; bad dst_type.
 * Prints one summary line; exits non-zero on any failure.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fp8.h"

static long g_fail, g_calls, g_elems, g_cases, g_td_diff_oracle, g_td_diff_lib, g_sat;
static const char *g_set = "-";
static char g_case[200];
#define FAILF(...) do { if (g_fail++ < 40) { printf("FAIL [%s] %s: ", g_set, g_case); printf(__VA_ARGS__); printf("\n"); } } while (0)
#define CHECK(c, ...) do { if (!(c)) FAILF(__VA_ARGS__); } while (0)

static float f_of(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t u_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) { printf("out of memory\n"); exit(2); }
    return p;
}

/* ---- kernel sets ----------------------------------------------------------------------------- */

static const char *k_sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
enum { NSETS = 5 };
static int g_have[NSETS], g_nsets;

/* The SIMD sets this machine should offer, from /proc/cpuinfo (x86-64 Linux) or the architecture
 * (arm64: NEON is baseline), decided without the library's CPU detection. */
static int machine_expects(const char *set) {
#if defined(__aarch64__)
    return !strcmp(set, "neon");
#elif defined(__x86_64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return 0;
    static char line[1 << 16];
    int r = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5)) continue;
        char *flags[] = {" avx2", " fma", " f16c", " avx512f", " avx512bw", " avx512vl", " avx512dq", " avx512vbmi"};
        int has[8] = {0};
        for (int i = 0; i < 8; i++) {
            size_t n = strlen(flags[i]);
            for (char *p = strstr(line, flags[i]); p; p = strstr(p + 1, flags[i]))
                if (p[n] == ' ' || p[n] == '\n' || p[n] == '\0') { has[i] = 1; break; }
        }
        int avx2 = has[0] && has[1] && has[2], avx512 = avx2 && has[3] && has[4] && has[5] && has[6];
        if (!strcmp(set, "avx2")) r = avx2;
        else if (!strcmp(set, "avx512")) r = avx512;
        else if (!strcmp(set, "avx512vbmi")) r = avx512 && has[7];
        break;
    }
    fclose(f);
    return r;
#else
    (void)set;
    return 0;
#endif
}

static void use_set(int s) {
    if (fp8_set_kernels(k_sets[s]) != FP8_OK) FAILF("fp8_set_kernels(%s) failed", k_sets[s]);
    g_set = k_sets[s];
}

/* ---- value oracles --------------------------------------------------------------------------- */

/* FP8 magnitudes by code (0..0x7F); g_top = the largest finite code. */
static double g_mag[2][128];
static int g_top[2] = {0x7E, 0x7B};
static double g_maxf[2] = {448.0, 57344.0};
static int g_emax[2] = {8, 15};

static void init_fp8_tables(void) {
    for (int c = 0; c < 128; c++) {
        int e = c >> 3, m = c & 7; /* E4M3: bias 7, 3 mantissa bits */
        g_mag[0][c] = e ? ldexp(8 + m, e - 7 - 3) : ldexp(m, -6 - 3);
        e = c >> 2; m = c & 3;     /* E5M2: bias 15, 2 mantissa bits */
        g_mag[1][c] = e ? ldexp(4 + m, e - 15 - 2) : ldexp(m, -14 - 2);
    }
}

/* Nearest FP8 code of a finite y, ties to the even code, saturating to the max finite. */
static uint8_t o_encode(int fmt, float y) {
    uint8_t sign = signbit(y) ? 0x80 : 0;
    double a = fabs((double)y);
    const double *mag = g_mag[fmt];
    int top = g_top[fmt];
    if (a >= mag[top]) return sign | (uint8_t)top;
    int lo = 0, hi = top; /* mag[lo] <= a < mag[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (mag[mid] <= a) lo = mid; else hi = mid;
    }
    double dl = a - mag[lo], dh = mag[hi] - a;
    int c = dl < dh ? lo : dh < dl ? hi : ((lo & 1) ? hi : lo);
    return sign | (uint8_t)c;
}

/* Decoded value of a code; *nan = 1 for NaN codes. */
static double o_decode(int fmt, uint8_t c, int *nan) {
    int m = c & 0x7F;
    *nan = fmt == 0 ? m == 0x7F : m > 0x7C;
    if (*nan) return 0;
    double v = (fmt == 1 && m == 0x7C) ? INFINITY : g_mag[fmt][m];
    return (c & 0x80) ? -v : v;
}

static float wid_bf16(uint16_t h) { return f_of((uint32_t)h << 16); }

static float wid_f16(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 0x3FF;
    double v = e == 31 ? (m ? NAN : INFINITY) : e ? ldexp(1024 + m, e - 25) : ldexp(m, -24);
    return (float)((h & 0x8000) ? -v : v);
}

/* Round |f| to the grid with `mb` fraction bits and minimum exponent `emin`, nearest even. */
static double round_grid(double a, int mb, int emin) {
    int e;
    frexp(a, &e); /* a in [2^(e-1), 2^e) */
    int ex = e - 1 < emin ? emin : e - 1;
    double quantum = ldexp(1.0, ex - mb);
    return nearbyint(a / quantum) * quantum;
}

static uint16_t nar_bf16(float f) {
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    if (isnan(f)) return sign | 0x7FC0;
    double a = fabs((double)f);
    if (isinf(a)) return sign | 0x7F80;
    if (a == 0) return sign;
    double r = round_grid(a, 7, -126);
    if (r >= 0x1p128) return sign | 0x7F80;
    return sign | (uint16_t)(u_of((float)r) >> 16); /* r is a bf16 value: the top half of its float */
}

static uint16_t nar_f16(float f) {
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    if (isnan(f)) return sign | 0x7E00;
    double a = fabs((double)f);
    if (isinf(a)) return sign | 0x7C00;
    if (a == 0) return sign;
    double r = round_grid(a, 10, -14);
    if (r >= 65536.0) return sign | 0x7C00;
    if (r < 0x1p-14) return sign | (uint16_t)(r * 0x1p24);
    int e;
    frexp(r, &e);
    int E = e - 1;
    return sign | (uint16_t)((E + 15) << 10) | (uint16_t)(r * ldexp(1.0, 10 - E) - 1024);
}

static int bf16_isnan(uint16_t h) { return (h & 0x7FFF) > 0x7F80; }
static int f16_isnan(uint16_t h) { return (h & 0x7FFF) > 0x7C00; }

/* The scale of a block whose largest magnitude is amax (a float value). */
static float o_scale(int fmt, int rule, double amax, float floor_opt) {
    double dfl = g_maxf[fmt] * 0x1p-126;
    double fl = (double)floor_opt > dfl ? (double)floor_opt : dfl;
    double a = amax > fl ? amax : fl;
    int e;
    if (rule == FP8_SCALE_MX) {
        frexp(a, &e);
        return (float)ldexp(1.0, e - 1 - g_emax[fmt]);
    }
    float s = (float)(a / g_maxf[fmt]); /* one rounding: double holds the quotient to 2p+2 bits */
    if (rule == FP8_SCALE_POW2) {
        double m = frexp(s, &e);
        if (m != 0.5) s = (float)ldexp(1.0, e);
    }
    return s;
}

typedef struct qopt {
    int fmt, rule;
    float floor;
    int td;
    const float *stat; /* static scales */
} qopt;

/* The oracle quantizer: x (float values, leading dim ldx) -> oq [rows, cols] (dense), os [nbr*nbc]. */
static void o_quant(const qopt *o, const float *x, size_t rows, size_t cols, size_t ldx, size_t br, size_t bc,
                    uint8_t *oq, float *os) {
    size_t nbr = (rows + br - 1) / br, nbc = (cols + bc - 1) / bc;
    for (size_t bi = 0; bi < nbr; bi++)
        for (size_t bj = 0; bj < nbc; bj++) {
            size_t r0 = bi * br, r1 = r0 + br < rows ? r0 + br : rows;
            size_t c0 = bj * bc, c1 = c0 + bc < cols ? c0 + bc : cols;
            float s;
            if (o->stat) {
                s = o->stat[bi * nbc + bj];
            } else {
                double amax = 0;
                for (size_t r = r0; r < r1; r++)
                    for (size_t c = c0; c < c1; c++) {
                        double a = fabs((double)x[r * ldx + c]);
                        if (a > amax) amax = a;
                    }
                s = o_scale(o->fmt, o->rule, amax, o->floor);
            }
            os[bi * nbc + bj] = s;
            double sd = s, inv = (float)(1.0 / sd);
            for (size_t r = r0; r < r1; r++)
                for (size_t c = c0; c < c1; c++) {
                    double v = x[r * ldx + c];
                    float y = o->td ? (float)(v / sd) : (float)(v * inv); /* the product is exact in double */
                    oq[r * cols + c] = o_encode(o->fmt, y);
                }
        }
}

/* ---- data -------------------------------------------------------------------------------------- */

/* Every draw is its own statement (or declarator), so the data do not depend on the compiler. */
static uint64_t g_rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng * 0x2545F4914F6CDD1Dull;
}
static double unif(void) { return (double)(rnd() >> 11) * 0x1p-53; }
static double gauss(void) {
    double u1 = unif(), u2 = unif();
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
static float f32_subnormal(void) { return f_of((uint32_t)(rnd() & 0x807FFFFFu)); }

enum { D_MIXED, D_GAUSS_OUT, D_ZERO, D_TINY, D_BF16_GAUSS, D_EDGES };
enum { K_GAUSS, K_OUTLIER, K_ZERO, K_TINY, K_SUB32, K_SUB16, K_MIXSUB, K_WIDE, NKINDS };
static const char *k_kind_names[NKINDS] = {"gauss", "outliers", "zero", "below-1e-4", "f32-subnormal",
                                           "f16-subnormal", "mixed-subnormal", "wide"};
static long g_kind_count[NKINDS];

static float gen_elem(int kind, double mag) {
    switch (kind) {
    case K_GAUSS: return (float)(gauss() * mag);
    case K_OUTLIER: { double g = gauss(); return (float)(g * mag * ((rnd() % 64) == 0 ? 300.0 : 1.0)); }
    case K_ZERO: return (rnd() & 1) ? 0.0f : -0.0f;
    case K_TINY: { double g = gauss() * 1.5e-5; return (float)(fabs(g) < 9.5e-5 ? g : 9e-5); }
    case K_SUB32: return f32_subnormal();
    case K_SUB16: return (float)(gauss() * 0x1p-18);
    case K_MIXSUB: {
        uint64_t r = rnd() % 10;
        return r == 0 ? f32_subnormal() : r == 1 ? 0.0f : r == 2 ? -0.0f : (float)(gauss() * mag);
    }
    default: { double g = gauss(); return (float)(g * ldexp(1.0, (int)(rnd() % 36) - 20)); }
    }
}

/*
 * Rows whose amax sits on the rules' edges (the scales of both formats): amax = max_finite * 2^k (an
 * exact POW2 scale) and the next float above it (amax / max_finite then rounds to 2^k (1 + 2^-23),
 * which POW2 must bump), 2^n and the float below it (MX), 1e-4 and its neighbours (the floor), the
 * default floor max_finite * 2^-126 and its neighbours, the smallest subnormal. The other elements
 * of a row are FP8 midpoints times the row's POW2 scale, so that ties to even are exercised.
 */
static size_t edge_amaxes(float *a) {
    size_t n = 0;
    for (int f = 0; f < 2; f++) {
        const int ks[] = {-20, -3, 0, 5};
        for (int i = 0; i < 4; i++) {
            float m = (float)ldexp(g_maxf[f], ks[i]), up = m;
            for (int step = 0; step < 64; step++) {
                up = nextafterf(up, INFINITY);
                if ((u_of((float)((double)up / g_maxf[f])) & 0x7FFFFF) == 1) break;
            }
            a[n++] = m;
            a[n++] = up;
        }
        float dfl = (float)(g_maxf[f] * 0x1p-126);
        a[n++] = dfl;
        a[n++] = nextafterf(dfl, 0);
        a[n++] = nextafterf(dfl, INFINITY);
    }
    a[n++] = 1024.0f;
    a[n++] = nextafterf(1024.0f, 0);
    a[n++] = 0x1p-10f;
    a[n++] = nextafterf(0x1p-10f, 0);
    a[n++] = 1e-4f;
    a[n++] = nextafterf(1e-4f, 0);
    a[n++] = nextafterf(1e-4f, INFINITY);
    a[n++] = FLT_TRUE_MIN;
    return n;
}

static void fill_edges(float *x, size_t rows, size_t cols, size_t ldx) {
    float a[64];
    size_t na = edge_amaxes(a);
    for (size_t r = 0; r < rows; r++) {
        float amax = a[r % na];
        double s = o_scale(0, FP8_SCALE_POW2, amax, 0.0f); /* s >= amax / 448: mid * s < amax for mid <= 224 */
        for (size_t c = 0; c < cols; c++) {
            int code = (int)(rnd() % 0x77); /* midpoints up to (mag[0x76] + mag[0x77]) / 2 = 208 */
            double v = (g_mag[0][code] + g_mag[0][code + 1]) / 2 * s;
            if (!(v < amax)) v = 0;
            x[r * ldx + c] = (float)((rnd() & 1) ? -v : v);
        }
        x[r * ldx + rnd() % cols] = (r & 1) ? -amax : amax;
    }
}

typedef struct data {
    size_t rows, cols, ldx;
    float *x32, *wb, *wh;   /* float32 data, the widened bf16 and f16 data */
    uint16_t *xb, *xh;      /* bf16 and f16 data */
} data;

/* Values by block (bi, bj) of the br x bc grid: each block gets a kind (D_MIXED) or all the same. */
static void gen(data *d, int mode, size_t rows, size_t cols, size_t pad, size_t br, size_t bc) {
    size_t ldx = cols + pad, n = rows * ldx;
    d->rows = rows; d->cols = cols; d->ldx = ldx;
    d->x32 = xmalloc(n * 4); d->wb = xmalloc(n * 4); d->wh = xmalloc(n * 4);
    d->xb = xmalloc(n * 2); d->xh = xmalloc(n * 2);
    for (size_t i = 0; i < n; i++) d->x32[i] = NAN; /* padding: never read */
    size_t nbr = (rows + br - 1) / br, nbc = (cols + bc - 1) / bc;
    for (size_t bi = 0; bi < nbr; bi++)
        for (size_t bj = 0; bj < nbc; bj++) {
            int kind;
            double mag = ldexp(1.0, (int)(rnd() % 13) - 6);
            switch (mode) {
            case D_MIXED: { static const int pick[20] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 6, 7, 7};
                            kind = pick[rnd() % 20]; break; }
            case D_GAUSS_OUT: kind = K_OUTLIER; break;
            case D_ZERO: kind = K_ZERO; break;
            case D_TINY: kind = K_TINY; break;
            default: kind = K_GAUSS; mag = 1.0; break;
            }
            g_kind_count[kind]++;
            for (size_t r = bi * br; r < rows && r < (bi + 1) * br; r++)
                for (size_t c = bj * bc; c < cols && c < (bj + 1) * bc; c++) d->x32[r * ldx + c] = gen_elem(kind, mag);
        }
    if (mode == D_EDGES) fill_edges(d->x32, rows, cols, ldx);
    if (mode == D_GAUSS_OUT) /* a few subnormals and zeros among them */
        for (size_t i = 0; i < rows * cols / 97; i++) {
            size_t r = rnd() % rows, c = rnd() % cols;
            d->x32[r * ldx + c] = (i & 1) ? f32_subnormal() : 0.0f;
        }
    for (size_t i = 0; i < n; i++) {
        float v = d->x32[i];
        int pad_elem = isnan(v);
        d->xb[i] = pad_elem ? 0x7FC0 : nar_bf16(v);
        float vh = v > 65504.0f ? 65504.0f : v < -65504.0f ? -65504.0f : v;
        d->xh[i] = pad_elem ? 0x7E00 : nar_f16(vh);
        d->wb[i] = wid_bf16(d->xb[i]);
        d->wh[i] = wid_f16(d->xh[i]);
    }
    if (mode == D_BF16_GAUSS) memcpy(d->x32, d->wb, n * 4);
}

static void data_free(data *d) { free(d->x32); free(d->wb); free(d->wh); free(d->xb); free(d->xh); }

/* ---- the quantize comparison ------------------------------------------------------------------- */

enum { CANARY = 0xA5 };
static const uint32_t SCANARY = 0x7FA5A5A5u; /* a NaN pattern no scale rule produces */

static const char *src_name(int t) { return t == FP8_DTYPE_F32 ? "F32" : t == FP8_DTYPE_F16 ? "F16" : "BF16"; }

/* Compare the library's q (ld ldq) and scales with the oracle's; xv = the source values (for messages). */
static void cmp_quant(const char *what, const float *xv, size_t ldx, size_t rows, size_t cols, size_t ldq,
                      size_t br, size_t bc, const uint8_t *q, const float *s, const uint8_t *oq, const float *os,
                      int scales_written) {
    size_t nbc = (cols + bc - 1) / bc, nb = ((rows + br - 1) / br) * nbc;
    long bad = 0;
    g_calls++;
    if (scales_written) {
        for (size_t b = 0; b < nb; b++) {
            g_elems++;
            if (u_of(s[b]) != u_of(os[b]) && !bad++)
                FAILF("%s: scale of block %zu (%zu, %zu): expected %a, got %a", what, b, b / nbc, b % nbc, os[b], s[b]);
        }
        if (u_of(s[nb]) != SCANARY && !bad++) FAILF("%s: wrote past the scales", what);
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            g_elems++;
            uint8_t got = q[r * ldq + c], want = oq[r * cols + c];
            if (got != want && !bad++)
                FAILF("%s: code (%zu, %zu): x = %a, scale %a: expected 0x%02x, got 0x%02x", what, r, c,
                      xv[r * ldx + c], os[(r / br) * nbc + c / bc], want, got);
        }
        for (size_t c = cols; c < ldq; c++)
            if (q[r * ldq + c] != CANARY && !bad++) FAILF("%s: wrote q's padding at (%zu, %zu)", what, r, c);
    }
    if (bad > 1 && g_fail <= 40) printf("  ... %s: %ld mismatches in all\n", what, bad);
}

static void fill_out(uint8_t *q, size_t nq, float *s, size_t ns) {
    memset(q, CANARY, nq);
    if (s) for (size_t i = 0; i < ns; i++) s[i] = f_of(SCANARY);
}

static const char *rule_name(int r) { return r == FP8_SCALE_AMAX ? "AMAX" : r == FP8_SCALE_POW2 ? "POW2" : "MX"; }

/*
 * One shape and data set under the options in cfg[0..ncfg): the oracle on the float32 data and on
 * the widened bf16 and f16 data, then, on every kernel set, fp8_quantize_ex of F32, BF16, F16, and
 * F32 of the two widenings; BF16 / F16 must equal their widening bitwise and all must equal the oracle.
 */
static void run_case(const char *name, int mode, size_t rows, size_t cols, size_t pad, size_t br, size_t bc,
                     const qopt *cfg, int ncfg) {
    data d;
    gen(&d, mode, rows, cols, pad, br, bc);
    size_t ldq = cols + pad, nb = ((rows + br - 1) / br) * ((cols + bc - 1) / bc);
    uint8_t *oq[3], *q[2];
    float *os[3], *s[2];
    for (int i = 0; i < 3; i++) { oq[i] = xmalloc(rows * cols); os[i] = xmalloc(nb * 4); }
    for (int i = 0; i < 2; i++) { q[i] = xmalloc(rows * ldq); s[i] = xmalloc((nb + 1) * 4); }
    const float *srcv[3] = {d.x32, d.wb, d.wh};
    for (int k = 0; k < ncfg; k++) {
        const qopt *o = &cfg[k];
        g_cases++;
        for (int i = 0; i < 3; i++) o_quant(o, srcv[i], rows, cols, d.ldx, br, bc, oq[i], os[i]);
        fp8_quant_options opt = {(fp8_scale_rule)o->rule, o->floor, o->td, NULL};
        for (int si = 0; si < NSETS; si++) {
            if (!g_have[si]) continue;
            use_set(si);
            snprintf(g_case, sizeof g_case, "%s %zux%zu (ldx %zu) blocks %zux%zu %s %s floor %g td %d", name, rows, cols,
                     d.ldx, br, bc, o->fmt ? "E5M2" : "E4M3", rule_name(o->rule), (double)o->floor, o->td);
            /* F32 source */
            size_t brow = 7, bcol = 7;
            fill_out(q[0], rows * ldq, s[0], nb + 1);
            int st = fp8_quantize_ex((fp8_format)o->fmt, FP8_DTYPE_F32, d.x32, rows, cols, d.ldx, br, bc, &opt, q[0], ldq,
                                     s[0], &brow, &bcol);
            CHECK(st == FP8_OK && brow == 7 && bcol == 7, "F32: status %d, bad_row/bad_col touched", st);
            cmp_quant("F32 source", d.x32, d.ldx, rows, cols, ldq, br, bc, q[0], s[0], oq[0], os[0], 1);
            /* BF16 and F16 against their widenings */
            for (int t = 1; t <= 2; t++) {
                fp8_dtype dt = t == 1 ? FP8_DTYPE_BF16 : FP8_DTYPE_F16;
                const void *x16 = t == 1 ? (const void *)d.xb : (const void *)d.xh;
                fill_out(q[0], rows * ldq, s[0], nb + 1);
                fill_out(q[1], rows * ldq, s[1], nb + 1);
                st = fp8_quantize_ex((fp8_format)o->fmt, dt, x16, rows, cols, d.ldx, br, bc, &opt, q[0], ldq, s[0],
                                     &brow, &bcol);
                CHECK(st == FP8_OK && brow == 7 && bcol == 7, "%s: status %d", src_name(dt), st);
                st = fp8_quantize((fp8_format)o->fmt, FP8_DTYPE_F32, srcv[t], rows, cols, d.ldx, br, bc, &opt, q[1], ldq, s[1]);
                CHECK(st == FP8_OK, "F32 of the widened %s: status %d", src_name(dt), st);
                g_calls++;
                CHECK(memcmp(q[0], q[1], rows * ldq) == 0 && memcmp(s[0], s[1], (nb + 1) * 4) == 0,
                      "%s source differs from quantizing its float32 widening", src_name(dt));
                char what[64];
                snprintf(what, sizeof what, "%s source", src_name(dt));
                cmp_quant(what, srcv[t], d.ldx, rows, cols, ldq, br, bc, q[0], s[0], oq[t], os[t], 1);
            }
            /* large: the other schedules (one thread: no split; three threads) give the same bits */
            if (rows * cols >= ((size_t)1 << 18)) {
                for (int th = 1; th <= 3; th += 2) {
                    fp8_set_num_threads(th);
                    fill_out(q[0], rows * ldq, s[0], nb + 1);
                    st = fp8_quantize(o->fmt ? FP8_E5M2 : FP8_E4M3, FP8_DTYPE_BF16, d.xb, rows, cols, d.ldx, br, bc, &opt,
                                      q[0], ldq, s[0]);
                    CHECK(st == FP8_OK, "BF16, %d threads: status %d", th, st);
                    cmp_quant(th == 1 ? "BF16 source, 1 thread" : "BF16 source, 3 threads", srcv[1], d.ldx, rows, cols, ldq,
                              br, bc, q[0], s[0], oq[1], os[1], 1);
                }
                fp8_set_num_threads(2);
            }
        }
    }
    for (int i = 0; i < 3; i++) { free(oq[i]); free(os[i]); }
    for (int i = 0; i < 2; i++) { free(q[i]); free(s[i]); }
    data_free(&d);
}

/* ---- 1. granularities x options ---------------------------------------------------------------- */

static qopt g_full[32];
static int g_nfull;
static const qopt g_reduced[] = {
    {FP8_E4M3, FP8_SCALE_AMAX, 0.0f, 0, NULL},  {FP8_E4M3, FP8_SCALE_AMAX, 1e-4f, 1, NULL},
    {FP8_E4M3, FP8_SCALE_POW2, 1e-4f, 0, NULL}, {FP8_E4M3, FP8_SCALE_MX, 0.0f, 1, NULL},
    {FP8_E5M2, FP8_SCALE_AMAX, 1e-4f, 0, NULL}, {FP8_E5M2, FP8_SCALE_POW2, 0.0f, 1, NULL},
    {FP8_E5M2, FP8_SCALE_MX, 1e-4f, 0, NULL},
};
enum { NREDUCED = sizeof g_reduced / sizeof g_reduced[0] };

static void make_full(void) {
    for (int f = 0; f < 2; f++)
        for (int r = 0; r < 3; r++)
            for (int fl = 0; fl < 2; fl++)
                for (int td = 0; td < 2; td++) g_full[g_nfull++] = (qopt){f, r, fl ? 1e-4f : 0.0f, td, NULL};
    /* floors that mean the default (-0, a subnormal) and one that bites ordinary blocks */
    g_full[g_nfull++] = (qopt){FP8_E4M3, FP8_SCALE_MX, -0.0f, 0, NULL};
    g_full[g_nfull++] = (qopt){FP8_E5M2, FP8_SCALE_POW2, 1e-40f, 1, NULL};
    g_full[g_nfull++] = (qopt){FP8_E4M3, FP8_SCALE_AMAX, 2.5f, 0, NULL};
    g_full[g_nfull++] = (qopt){FP8_E5M2, FP8_SCALE_AMAX, 2.5f, 1, NULL};
}

static void test_granularities(void) {
    /* name, data, rows, cols, pad, br, bc, full option set */
    struct { const char *name; int mode; size_t rows, cols, pad, br, bc; int full; } c[] = {
        {"per-tensor", D_GAUSS_OUT, 37, 53, 3, 37, 53, 1},
        {"per-tensor zero", D_ZERO, 5, 7, 0, 5, 7, 1},
        {"per-tensor below 1e-4", D_TINY, 6, 9, 1, 6, 9, 1},
        {"per-row", D_MIXED, 19, 300, 5, 1, 300, 1},
        {"per-row wide", D_MIXED, 5, 4100, 0, 1, 4100, 1},
        {"1x128", D_MIXED, 33, 1000, 24, 1, 128, 1},
        {"1x32", D_MIXED, 17, 250, 0, 1, 32, 1},
        {"128x128", D_MIXED, 300, 260, 4, 128, 128, 1},
        {"3x5", D_MIXED, 20, 23, 2, 3, 5, 1},
        {"1x96", D_MIXED, 9, 1000, 0, 1, 96, 1},
        {"64x1", D_MIXED, 130, 3, 1, 64, 1, 1},
        {"1x64", D_MIXED, 40, 700, 0, 1, 64, 1},
        {"2x96", D_MIXED, 11, 500, 3, 2, 96, 1},
        {"edges per-row", D_EDGES, 31, 64, 0, 1, 64, 1},
        {"edges per-row unfused", D_EDGES, 31, 70, 2, 1, 70, 1},
        /* large: the threaded fused and split schedules */
        {"per-tensor large", D_GAUSS_OUT, 1024, 1024, 0, 1024, 1024, 0},
        {"per-tensor large padded", D_GAUSS_OUT, 520, 521, 9, 520, 521, 0},
        {"1x128 large", D_MIXED, 300, 4100, 0, 1, 128, 0},
        {"128x128 large", D_MIXED, 600, 650, 6, 128, 128, 0},
        {"1x32 large", D_MIXED, 257, 1030, 2, 1, 32, 0},
        {"per-row large (split)", D_MIXED, 1, 300000, 0, 1, 300000, 0},
        {"1x96 very wide rows", D_MIXED, 2, 140001, 5, 1, 96, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        run_case(c[i].name, c[i].mode, c[i].rows, c[i].cols, c[i].pad, c[i].br, c[i].bc, c[i].full ? g_full : g_reduced,
                 c[i].full ? g_nfull : NREDUCED);
}

/* ---- division vs reciprocal on bf16-valued data ----------------------------------------------- */

static void test_division_differs(void) {
    const size_t rows = 256, cols = 2048;
    const size_t shapes[2][2] = {{1, 128}, {128, 128}};
    data d;
    gen(&d, D_BF16_GAUSS, rows, cols, 0, 1, 128);
    uint8_t *oq0 = xmalloc(rows * cols), *oq1 = xmalloc(rows * cols), *q0 = xmalloc(rows * cols), *q1 = xmalloc(rows * cols);
    float *os = xmalloc(rows * cols * 4), *s = xmalloc(rows * cols * 4);
    for (int sh = 0; sh < 2; sh++) {
        size_t br = shapes[sh][0], bc = shapes[sh][1];
        qopt o0 = {FP8_E4M3, FP8_SCALE_AMAX, 1e-4f, 0, NULL}, o1 = o0;
        o1.td = 1;
        o_quant(&o0, d.wb, rows, cols, cols, br, bc, oq0, os);
        o_quant(&o1, d.wb, rows, cols, cols, br, bc, oq1, os);
        long od = 0;
        for (size_t i = 0; i < rows * cols; i++) od += oq0[i] != oq1[i];
        g_td_diff_oracle += od;
        snprintf(g_case, sizeof g_case, "division vs reciprocal, bf16 Gaussian %zux%zu blocks %zux%zu", rows, cols, br, bc);
        CHECK(od > 0, "the oracle's true_division 0 and 1 codes never differ: the test cannot tell them apart");
        for (int si = 0; si < NSETS; si++) {
            if (!g_have[si]) continue;
            use_set(si);
            fp8_quant_options p0 = {FP8_SCALE_AMAX, 1e-4f, 0, NULL}, p1 = p0;
            p1.true_division = 1;
            int st0 = fp8_quantize(FP8_E4M3, FP8_DTYPE_BF16, d.xb, rows, cols, cols, br, bc, &p0, q0, cols, s);
            int st1 = fp8_quantize(FP8_E4M3, FP8_DTYPE_BF16, d.xb, rows, cols, cols, br, bc, &p1, q1, cols, s);
            CHECK(st0 == FP8_OK && st1 == FP8_OK, "status %d %d", st0, st1);
            long ld = 0, m0 = 0, m1 = 0;
            for (size_t i = 0; i < rows * cols; i++) {
                ld += q0[i] != q1[i];
                m0 += q0[i] != oq0[i];
                m1 += q1[i] != oq1[i];
            }
            g_calls += 2;
            g_elems += 2 * (long)(rows * cols);
            g_td_diff_lib += ld;
            CHECK(ld == od && m0 == 0 && m1 == 0,
                  "codes differing between the modes: oracle %ld, library %ld; mismatches td=0 %ld, td=1 %ld", od, ld, m0, m1);
        }
    }
    free(oq0); free(oq1); free(q0); free(q1); free(os); free(s);
    data_free(&d);
}

/* ---- 2. static scales -------------------------------------------------------------------------- */

static void test_static(void) {
    struct { const char *name; size_t rows, cols, pad, br, bc; } c[] = {
        {"static 1x128", 40, 300, 3, 1, 128}, {"static 128x128", 300, 260, 0, 128, 128}, {"static 3x5", 20, 23, 2, 3, 5},
        {"static per-tensor", 64, 70, 0, 64, 70}, {"static 1x32", 9, 100, 0, 1, 32},
        {"static 1x128 large", 150, 4100, 0, 1, 128}, {"static per-tensor large", 1024, 1024, 0, 1024, 1024},
    };
    long sat_seen[2] = {0, 0};
    for (size_t ci = 0; ci < sizeof c / sizeof c[0]; ci++) {
        size_t rows = c[ci].rows, cols = c[ci].cols, br = c[ci].br, bc = c[ci].bc;
        data d;
        gen(&d, D_MIXED, rows, cols, c[ci].pad, br, bc);
        size_t ldq = d.ldx, nbc = (cols + bc - 1) / bc, nb = ((rows + br - 1) / br) * nbc;
        float *ss = xmalloc(nb * 4), *alias = xmalloc((nb + 1) * 4), *s = xmalloc((nb + 1) * 4), *os = xmalloc(nb * 4);
        uint8_t *oq[3], *q = xmalloc(rows * ldq), *q2 = xmalloc(rows * ldq);
        for (int i = 0; i < 3; i++) oq[i] = xmalloc(rows * cols);
        for (int fmt = 0; fmt < 2; fmt++) {
            /* scales: the block's own AMAX scale, random ones, tiny ones (overflow), the extremes */
            qopt amax = {fmt, FP8_SCALE_AMAX, 0.0f, 0, NULL};
            o_quant(&amax, d.x32, rows, cols, d.ldx, br, bc, oq[0], os);
            for (size_t b = 0; b < nb; b++) {
                switch (rnd() % 8) {
                case 0: case 1: ss[b] = os[b]; break;
                case 2: { double u = unif(); ss[b] = (float)ldexp(1.0 + u, (int)(rnd() % 40) - 20); break; }
                case 3: ss[b] = (float)ldexp(1.0, (int)(rnd() % 40) - 20); break;
                case 4: ss[b] = os[b] * 1e-3f > FLT_MIN ? os[b] * 1e-3f : FLT_MIN; break; /* overflow */
                case 5: ss[b] = FLT_MIN; break;
                case 6: ss[b] = (rnd() & 1) ? FLT_MAX : 1.0f; break;
                default: ss[b] = 1e-6f; break;
                }
            }
            if (nb == 1) ss[0] = os[0] * 0.01f > FLT_MIN ? os[0] * 0.01f : FLT_MIN; /* per-tensor: overflow */
            for (int td = 0; td < 2; td++) {
                /* rule and floor must be ignored */
                qopt o = {fmt, FP8_SCALE_MX, 1e-4f, td, ss};
                const float *srcv[3] = {d.x32, d.wb, d.wh};
                for (int i = 0; i < 3; i++) o_quant(&o, srcv[i], rows, cols, d.ldx, br, bc, oq[i], os);
                /* saturated codes: |y| beyond the max finite */
                for (size_t r = 0; r < rows; r++)
                    for (size_t cc = 0; cc < cols; cc++) {
                        double v = fabs((double)d.x32[r * d.ldx + cc]), sc = ss[(r / br) * nbc + cc / bc];
                        double y = td ? v / sc : v * (double)(float)(1.0 / sc);
                        if (y > g_maxf[fmt] * 1.2) sat_seen[fmt]++;
                    }
                fp8_quant_options opt = {FP8_SCALE_MX, 1e-4f, td, ss};
                g_cases++;
                for (int si = 0; si < NSETS; si++) {
                    if (!g_have[si]) continue;
                    use_set(si);
                    snprintf(g_case, sizeof g_case, "%s %zux%zu blocks %zux%zu %s td %d", c[ci].name, rows, cols, br, bc,
                             fmt ? "E5M2" : "E4M3", td);
                    for (int t = 0; t < 3; t++) {
                        fp8_dtype dt = t == 0 ? FP8_DTYPE_F32 : t == 1 ? FP8_DTYPE_BF16 : FP8_DTYPE_F16;
                        const void *x = t == 0 ? (const void *)d.x32 : t == 1 ? (const void *)d.xb : (const void *)d.xh;
                        char what[64];
                        /* a separate scales output: the copy */
                        fill_out(q, rows * ldq, s, nb + 1);
                        int st = fp8_quantize((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &opt, q, ldq, s);
                        CHECK(st == FP8_OK, "%s: status %d", src_name(dt), st);
                        snprintf(what, sizeof what, "%s source, static scales copied", src_name(dt));
                        cmp_quant(what, srcv[t], d.ldx, rows, cols, ldq, br, bc, q, s, oq[t], ss, 1);
                        /* scales NULL */
                        fill_out(q2, rows * ldq, NULL, 0);
                        st = fp8_quantize((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &opt, q2, ldq, NULL);
                        CHECK(st == FP8_OK, "%s, scales NULL: status %d", src_name(dt), st);
                        snprintf(what, sizeof what, "%s source, scales NULL", src_name(dt));
                        cmp_quant(what, srcv[t], d.ldx, rows, cols, ldq, br, bc, q2, NULL, oq[t], ss, 0);
                        /* scales == static_scales */
                        memcpy(alias, ss, nb * 4);
                        alias[nb] = f_of(SCANARY);
                        fp8_quant_options oa = opt;
                        oa.static_scales = alias;
                        fill_out(q2, rows * ldq, NULL, 0);
                        st = fp8_quantize((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &oa, q2, ldq, alias);
                        CHECK(st == FP8_OK, "%s, scales == static_scales: status %d", src_name(dt), st);
                        snprintf(what, sizeof what, "%s source, scales == static_scales", src_name(dt));
                        cmp_quant(what, srcv[t], d.ldx, rows, cols, ldq, br, bc, q2, alias, oq[t], ss, 1);
                    }
                }
            }
            /* bad static scales: nothing written, before any NaN in x is looked at (small shapes) */
            if (rows * cols > 100000) continue;
            const float bads[] = {0.0f, -0.0f, -1.0f, -FLT_MIN, 0x1p-127f, FLT_TRUE_MIN, FLT_MIN * 0.999f, NAN, -NAN,
                                  INFINITY, -INFINITY};
            for (size_t bi = 0; bi < sizeof bads / sizeof bads[0]; bi++) {
                size_t where = (bi & 1) ? nb - 1 : (bi * 7) % nb;
                float keep = ss[where];
                ss[where] = bads[bi];
                for (int si = 0; si < NSETS; si++) {
                    if (!g_have[si]) continue;
                    use_set(si);
                    snprintf(g_case, sizeof g_case, "%s %s bad static scale %a at block %zu", c[ci].name,
                             fmt ? "E5M2" : "E4M3", bads[bi], where);
                    for (int t = 0; t < 3; t++) {
                        fp8_dtype dt = t == 0 ? FP8_DTYPE_F32 : t == 1 ? FP8_DTYPE_BF16 : FP8_DTYPE_F16;
                        const void *x = t == 0 ? (const void *)d.x32 : t == 1 ? (const void *)d.xb : (const void *)d.xh;
                        for (int td = 0; td < 2; td++) {
                            fp8_quant_options opt = {FP8_SCALE_AMAX, 0.0f, td, ss};
                            fill_out(q, rows * ldq, s, nb + 1);
                            size_t brow = 7, bcol = 7;
                            int st = fp8_quantize_ex((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &opt, q, ldq, s,
                                                     &brow, &bcol);
                            int untouched = brow == 7 && bcol == 7;
                            for (size_t i = 0; i < rows * ldq; i++) untouched &= q[i] == CANARY;
                            for (size_t i = 0; i <= nb; i++) untouched &= u_of(s[i]) == SCANARY;
                            g_calls++;
                            CHECK(st == FP8_ERR_BAD_SCALE && untouched, "%s td %d: status %d (want %d), outputs %s",
                                  src_name(dt), td, st, FP8_ERR_BAD_SCALE, untouched ? "untouched" : "WRITTEN");
                            /* also with scales NULL, and with scales == static_scales (then ss must stay) */
                            fill_out(q, rows * ldq, NULL, 0);
                            st = fp8_quantize((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &opt, q, ldq, NULL);
                            untouched = 1;
                            for (size_t i = 0; i < rows * ldq; i++) untouched &= q[i] == CANARY;
                            CHECK(st == FP8_ERR_BAD_SCALE && untouched, "%s scales NULL: status %d, q %s", src_name(dt), st,
                                  untouched ? "untouched" : "WRITTEN");
                            memcpy(alias, ss, nb * 4);
                            opt.static_scales = alias;
                            st = fp8_quantize((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &opt, q, ldq, alias);
                            CHECK(st == FP8_ERR_BAD_SCALE && memcmp(alias, ss, nb * 4) == 0,
                                  "%s scales == static_scales: status %d, scales %s", src_name(dt), st,
                                  memcmp(alias, ss, nb * 4) ? "WRITTEN" : "untouched");
                        }
                    }
                }
                /* a bad scale wins over NaN in x (BAD_SCALE is checked first) */
                float keepx = d.x32[0];
                d.x32[0] = NAN;
                fp8_quant_options opt = {FP8_SCALE_AMAX, 0.0f, 0, ss};
                fill_out(q, rows * ldq, s, nb + 1);
                int st = fp8_quantize((fp8_format)fmt, FP8_DTYPE_F32, d.x32, rows, cols, d.ldx, br, bc, &opt, q, ldq, s);
                CHECK(st == FP8_ERR_BAD_SCALE && q[0] == CANARY && u_of(s[0]) == SCANARY, "bad scale and NaN x: status %d", st);
                d.x32[0] = keepx;
                ss[where] = keep;
            }
        }
        for (int i = 0; i < 3; i++) free(oq[i]);
        free(q); free(q2); free(ss); free(alias); free(s); free(os);
        data_free(&d);
    }
    snprintf(g_case, sizeof g_case, "static scales");
    CHECK(sat_seen[0] > 0 && sat_seen[1] > 0, "no overflowing element with static scales (E4M3 %ld, E5M2 %ld)",
          sat_seen[0], sat_seen[1]);
    g_sat = sat_seen[0] + sat_seen[1];
}

/* ---- 3. bad arguments and non-finite sources ---------------------------------------------------- */

static void test_errors(void) {
    enum { R = 6, C = 40, NB = 2 * R };
    uint16_t xb[R * C], xh[R * C];
    float x32[R * C], s[NB + 1], ss[NB];
    uint8_t q[R * C];
    for (int i = 0; i < R * C; i++) {
        x32[i] = (float)gauss();
        xb[i] = nar_bf16(x32[i]);
        xh[i] = nar_f16(x32[i]);
    }
    for (int i = 0; i < NB; i++) ss[i] = 0.01f;
    struct { const char *what; int fmt, src, rule; float floor; int td; int with_static; int null_scales; int want; } e[] = {
        {"src_type 3", 0, 3, 0, 0.0f, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"src_type -1", 0, -1, 0, 0.0f, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"src_type 3, static scales", 0, 3, 0, 0.0f, 0, 1, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor NaN", 0, FP8_DTYPE_BF16, 0, NAN, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor -NaN", 1, FP8_DTYPE_F16, 1, -NAN, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor -1e-4", 0, FP8_DTYPE_BF16, 0, -1e-4f, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor -subnormal", 0, FP8_DTYPE_F32, 2, -1e-40f, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor Inf", 1, FP8_DTYPE_F16, 2, INFINITY, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor -Inf", 0, FP8_DTYPE_BF16, 0, -INFINITY, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"amax_floor NaN, static scales", 0, FP8_DTYPE_BF16, 0, NAN, 0, 1, 0, FP8_ERR_BAD_ARGUMENT},
        {"true_division 2", 0, FP8_DTYPE_BF16, 0, 0.0f, 2, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"true_division -1", 1, FP8_DTYPE_F16, 1, 1e-4f, -1, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"true_division 2, static scales", 0, FP8_DTYPE_F32, 0, 0.0f, 2, 1, 0, FP8_ERR_BAD_ARGUMENT},
        {"rule 3", 0, FP8_DTYPE_BF16, 3, 0.0f, 0, 0, 0, FP8_ERR_BAD_ARGUMENT},
        {"format 2 before src_type", 2, 3, 0, 0.0f, 0, 0, 0, FP8_ERR_BAD_FORMAT},
        {"scales NULL without static scales", 0, FP8_DTYPE_BF16, 0, 0.0f, 0, 0, 1, FP8_ERR_NULL_POINTER},
        {"scales NULL without static scales (F16)", 1, FP8_DTYPE_F16, 0, 1e-4f, 1, 0, 1, FP8_ERR_NULL_POINTER},
        {"bad src_type before NULL scales", 0, 7, 0, 0.0f, 0, 0, 1, FP8_ERR_BAD_ARGUMENT},
    };
    for (int si = 0; si < NSETS; si++) {
        if (!g_have[si]) continue;
        use_set(si);
        for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) {
            snprintf(g_case, sizeof g_case, "error: %s", e[i].what);
            const void *x = e[i].src == FP8_DTYPE_F16 ? (const void *)xh : e[i].src == FP8_DTYPE_F32 ? (const void *)x32 : (const void *)xb;
            fp8_quant_options o = {(fp8_scale_rule)e[i].rule, e[i].floor, e[i].td, e[i].with_static ? ss : NULL};
            fill_out(q, sizeof q, s, NB + 1);
            size_t br_ = 7, bc_ = 7;
            int st = fp8_quantize_ex((fp8_format)e[i].fmt, (fp8_dtype)e[i].src, x, R, C, C, 1, 20, &o, q, C,
                                     e[i].null_scales ? NULL : s, &br_, &bc_);
            int untouched = br_ == 7 && bc_ == 7;
            for (size_t k = 0; k < sizeof q; k++) untouched &= q[k] == CANARY;
            for (int k = 0; k <= NB; k++) untouched &= u_of(s[k]) == SCANARY;
            g_calls++;
            CHECK(st == e[i].want && untouched, "status %d (want %d), outputs %s", st, e[i].want, untouched ? "untouched" : "WRITTEN");
            st = fp8_quantize((fp8_format)e[i].fmt, (fp8_dtype)e[i].src, x, R, C, C, 1, 20, &o, q, C, e[i].null_scales ? NULL : s);
            CHECK(st == e[i].want, "fp8_quantize: status %d (want %d)", st, e[i].want);
        }
    }

    /* NaN / Inf in the source: FP8_ERR_NON_FINITE, the first bad element row-major, NaN everywhere */
    struct { const char *name; size_t rows, cols, pad, br, bc; int nbad; size_t pos[4][2]; int stat; } n[] = {
        {"3x5", 20, 23, 2, 3, 5, 2, {{4, 20}, {9, 0}}, 0},
        {"3x5 first element", 20, 23, 0, 3, 5, 2, {{0, 0}, {19, 22}}, 0},
        {"1x128 last element", 300, 4100, 0, 1, 128, 1, {{299, 4099}}, 0},
        {"1x128 large", 300, 4100, 3, 1, 128, 3, {{150, 4000}, {151, 2}, {200, 0}}, 0},
        {"1x32", 17, 250, 0, 1, 32, 2, {{16, 249}, {16, 200}}, 0},
        {"per-tensor split", 1024, 1024, 0, 1024, 1024, 4, {{700, 3}, {900, 1}, {700, 500}, {1023, 1023}}, 0},
        {"per-tensor split, rows", 1024, 1024, 0, 1024, 1024, 2, {{500, 1000}, {501, 0}}, 0},
        {"128x128 threaded", 600, 650, 6, 128, 128, 2, {{599, 649}, {130, 640}}, 0},
        {"per-row", 19, 300, 5, 1, 300, 1, {{7, 299}}, 0},
        {"1x128 static", 300, 4100, 0, 1, 128, 2, {{10, 4097}, {11, 1}}, 1},
        {"per-tensor split static", 1024, 1024, 0, 1024, 1024, 1, {{333, 777}}, 1},
        {"3x5 static", 20, 23, 2, 3, 5, 1, {{19, 22}}, 1},
    };
    const float badv32[4] = {NAN, INFINITY, -INFINITY, -NAN};
    const uint16_t badb[4] = {0x7FC0, 0x7F80, 0xFF80, 0xFF81}, badh[4] = {0x7E00, 0x7C00, 0xFC00, 0xFC01};
    for (size_t ci = 0; ci < sizeof n / sizeof n[0]; ci++) {
        size_t rows = n[ci].rows, cols = n[ci].cols, br = n[ci].br, bc = n[ci].bc;
        data d;
        gen(&d, D_MIXED, rows, cols, n[ci].pad, br, bc);
        size_t ldq = d.ldx, nb = ((rows + br - 1) / br) * ((cols + bc - 1) / bc);
        uint8_t *qq = xmalloc(rows * ldq);
        float *sc = xmalloc((nb + 1) * 4), *st_sc = xmalloc(nb * 4);
        for (size_t b = 0; b < nb; b++) st_sc[b] = 0.25f;
        for (int k = 0; k < n[ci].nbad; k++) {
            size_t i = n[ci].pos[k][0] * d.ldx + n[ci].pos[k][1];
            d.x32[i] = badv32[(ci + k) & 3];
            d.xb[i] = badb[(ci + k + 1) & 3];
            d.xh[i] = badh[(ci + k + 2) & 3];
        }
        size_t wr = (size_t)-1, wc = 0; /* the first, row-major */
        for (int k = 0; k < n[ci].nbad; k++) {
            size_t r = n[ci].pos[k][0], c = n[ci].pos[k][1];
            if (r < wr || (r == wr && c < wc)) { wr = r; wc = c; }
        }
        for (int si = 0; si < NSETS; si++) {
            if (!g_have[si]) continue;
            use_set(si);
            for (int fmt = 0; fmt < 2; fmt++)
                for (int t = 0; t < 3; t++) {
                    fp8_dtype dt = t == 0 ? FP8_DTYPE_F32 : t == 1 ? FP8_DTYPE_BF16 : FP8_DTYPE_F16;
                    const void *x = t == 0 ? (const void *)d.x32 : t == 1 ? (const void *)d.xb : (const void *)d.xh;
                    int td = (int)((ci + (size_t)t) & 1);
                    fp8_quant_options o = {(fp8_scale_rule)((ci + (size_t)fmt) % 3), td ? 1e-4f : 0.0f, td,
                                           n[ci].stat ? st_sc : NULL};
                    snprintf(g_case, sizeof g_case, "non-finite %s %zux%zu blocks %zux%zu %s %s td %d", n[ci].name, rows,
                             cols, br, bc, fmt ? "E5M2" : "E4M3", src_name(dt), td);
                    fill_out(qq, rows * ldq, sc, nb + 1);
                    size_t brow = 12345, bcol = 12345;
                    int st = fp8_quantize_ex((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &o, qq, ldq, sc, &brow, &bcol);
                    g_calls++;
                    CHECK(st == FP8_ERR_NON_FINITE && brow == wr && bcol == wc,
                          "status %d (want %d), bad at (%zu, %zu), want (%zu, %zu)", st, FP8_ERR_NON_FINITE, brow, bcol, wr, wc);
                    uint8_t nan_code = fmt ? 0x7E : 0x7F;
                    long wrong = 0;
                    for (size_t r = 0; r < rows; r++)
                        for (size_t c = 0; c < ldq; c++) wrong += qq[r * ldq + c] != (c < cols ? nan_code : CANARY);
                    for (size_t b = 0; b < nb; b++) wrong += !isnan(sc[b]);
                    wrong += u_of(sc[nb]) != SCANARY;
                    g_elems += (long)(rows * ldq + nb);
                    CHECK(wrong == 0, "%ld codes/scales not NaN (or padding written)", wrong);
                    if (n[ci].stat) { /* static scales and no scales output */
                        fill_out(qq, rows * ldq, NULL, 0);
                        st = fp8_quantize_ex((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &o, qq, ldq, NULL, &brow, &bcol);
                        wrong = 0;
                        for (size_t r = 0; r < rows; r++)
                            for (size_t c = 0; c < ldq; c++) wrong += qq[r * ldq + c] != (c < cols ? nan_code : CANARY);
                        CHECK(st == FP8_ERR_NON_FINITE && brow == wr && bcol == wc && wrong == 0,
                              "scales NULL: status %d, bad at (%zu, %zu), %ld codes wrong", st, brow, bcol, wrong);
                    }
                    if (t == 1) { /* fp8_quantize, and NULL bad_row / bad_col */
                        st = fp8_quantize((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &o, qq, ldq, sc);
                        CHECK(st == FP8_ERR_NON_FINITE, "fp8_quantize: status %d", st);
                        st = fp8_quantize_ex((fp8_format)fmt, dt, x, rows, cols, d.ldx, br, bc, &o, qq, ldq, sc, NULL, &bcol);
                        CHECK(st == FP8_ERR_NON_FINITE && bcol == wc, "bad_row NULL: status %d col %zu", st, bcol);
                    }
                }
        }
        free(qq); free(sc); free(st_sc);
        data_free(&d);
    }
}

/* ---- 4. dequantize ------------------------------------------------------------------------------ */

static void test_dequantize(void) {
    struct { size_t rows, cols, pad, br, bc; } c[] = {
        {130, 257, 3, 128, 128}, {3, 300, 0, 1, 128}, {7, 100, 5, 1, 32}, {5, 5, 0, 3, 5}, {700, 701, 1, 128, 128},
        {2, 1100, 0, 1, 1100}, {300, 1030, 0, 1, 128},
    };
    long f16_inf = 0, nan_seen = 0;
    for (size_t ci = 0; ci < sizeof c / sizeof c[0]; ci++) {
        size_t rows = c[ci].rows, cols = c[ci].cols, br = c[ci].br, bc = c[ci].bc, ld = cols + c[ci].pad;
        size_t nbc = (cols + bc - 1) / bc, nb = ((rows + br - 1) / br) * nbc;
        uint8_t *q = xmalloc(rows * ld);
        float *sc = xmalloc(nb * 4), *o32 = xmalloc(rows * cols * 4), *y32 = xmalloc(rows * ld * 4), *z32 = xmalloc(rows * ld * 4);
        uint16_t *y16 = xmalloc(rows * ld * 2);
        for (size_t i = 0; i < rows * ld; i++) q[i] = (uint8_t)rnd();
        for (size_t b = 0; b < nb; b++) {
            switch (rnd() % 8) {
            case 0: { double u = unif(); sc[b] = (float)ldexp(1.0 + u, (int)(rnd() % 20) + 4); break; } /* F16 overflow */
            case 1: { double u = unif(); sc[b] = (float)ldexp(1.0 + u, -(int)(rnd() % 30) - 10); break; } /* F16 tiny */
            case 2: sc[b] = 1e30f; break;
            case 3: sc[b] = (float)ldexp(1.0, (int)(rnd() % 20) - 10); break;
            default: sc[b] = (float)(unif() * 4.0 + 1e-3); break;
            }
        }
        for (int fmt = 0; fmt < 2; fmt++) {
            fp8_matrix m = {(fp8_format)fmt, rows, cols, ld, q, sc, br, bc};
            for (size_t r = 0; r < rows; r++)
                for (size_t cc = 0; cc < cols; cc++) {
                    int nan;
                    double v = o_decode(fmt, q[r * ld + cc], &nan);
                    /* the product of an FP8 value and a float is exact in double: one rounding to float */
                    o32[r * cols + cc] = nan ? NAN : (float)(v * (double)sc[(r / br) * nbc + cc / bc]);
                }
            g_cases++;
            for (int si = 0; si < NSETS; si++) {
                if (!g_have[si]) continue;
                use_set(si);
                snprintf(g_case, sizeof g_case, "dequantize %zux%zu (ld %zu) blocks %zux%zu %s", rows, cols, ld, br, bc,
                         fmt ? "E5M2" : "E4M3");
                /* F32: equal to fp8_dequantize_f32 bitwise and to the oracle */
                for (size_t i = 0; i < rows * ld; i++) { y32[i] = f_of(SCANARY); z32[i] = f_of(SCANARY); }
                int st = fp8_dequantize(&m, FP8_DTYPE_F32, y32, ld);
                int st2 = fp8_dequantize_f32(&m, z32, ld);
                CHECK(st == FP8_OK && st2 == FP8_OK, "F32: status %d / %d", st, st2);
                CHECK(memcmp(y32, z32, rows * ld * 4) == 0, "F32 output differs from fp8_dequantize_f32");
                long bad = 0;
                for (size_t r = 0; r < rows; r++)
                    for (size_t cc = 0; cc < ld; cc++) {
                        float got = y32[r * ld + cc];
                        if (cc >= cols) { bad += u_of(got) != SCANARY; continue; }
                        float want = o32[r * cols + cc];
                        int ok = isnan(want) ? isnan(got) : u_of(got) == u_of(want);
                        if (!ok && !bad++)
                            FAILF("F32 (%zu, %zu) code 0x%02x scale %a: expected %a, got %a", r, cc, q[r * ld + cc],
                                  sc[(r / br) * nbc + cc / bc], want, got);
                    }
                g_calls += 2;
                g_elems += (long)(rows * cols);
                for (int t = 0; t < 2; t++) {
                    fp8_dtype dt = t ? FP8_DTYPE_F16 : FP8_DTYPE_BF16;
                    for (size_t i = 0; i < rows * ld; i++) y16[i] = 0xA5A5;
                    st = fp8_dequantize(&m, dt, y16, ld);
                    CHECK(st == FP8_OK, "%s: status %d", src_name(dt), st);
                    bad = 0;
                    for (size_t r = 0; r < rows; r++)
                        for (size_t cc = 0; cc < ld; cc++) {
                            uint16_t got = y16[r * ld + cc];
                            if (cc >= cols) {
                                if (got != 0xA5A5 && !bad++) FAILF("%s wrote x's padding at (%zu, %zu)", src_name(dt), r, cc);
                                continue;
                            }
                            float p = o32[r * cols + cc];
                            int ok;
                            uint16_t want = t ? nar_f16(p) : nar_bf16(p);
                            if (isnan(p)) {
                                ok = t ? f16_isnan(got) : bf16_isnan(got);
                                nan_seen++;
                            } else {
                                ok = got == want;
                                if (t && (want & 0x7FFF) == 0x7C00 && !isinf(p)) f16_inf++;
                            }
                            if (!ok && !bad++)
                                FAILF("%s (%zu, %zu) code 0x%02x scale %a, product %a: expected 0x%04x, got 0x%04x",
                                      src_name(dt), r, cc, q[r * ld + cc], sc[(r / br) * nbc + cc / bc], p, want, got);
                        }
                    if (bad > 1 && g_fail <= 40) printf("  ... %ld mismatches in all\n", bad);
                    g_calls++;
                    g_elems += (long)(rows * cols);
                }
                /* bad dst_type: nothing written */
                const int bad_types[] = {3, -1, 0x100};
                for (int k = 0; k < 3; k++) {
                    for (size_t i = 0; i < rows * ld; i++) y32[i] = f_of(SCANARY);
                    st = fp8_dequantize(&m, (fp8_dtype)bad_types[k], y32, ld);
                    int untouched = 1;
                    for (size_t i = 0; i < rows * ld; i++) untouched &= u_of(y32[i]) == SCANARY;
                    g_calls++;
                    CHECK(st == FP8_ERR_BAD_ARGUMENT && untouched, "dst_type %d: status %d, output %s", bad_types[k], st,
                          untouched ? "untouched" : "WRITTEN");
                }
            }
        }
        free(q); free(sc); free(o32); free(y32); free(z32); free(y16);
    }
    snprintf(g_case, sizeof g_case, "dequantize");
    CHECK(f16_inf > 0 && nan_seen > 0, "no F16 overflow (%ld) or no NaN code (%ld) seen", f16_inf, nan_seen);
}

/* ---- oracle self-checks ------------------------------------------------------------------------- */

/* The oracle's pieces on values whose answers are known, so that a broken oracle cannot agree with
 * a broken library. */
static void test_oracle(void) {
    snprintf(g_case, sizeof g_case, "oracle self-check");
    CHECK(o_encode(0, 448.0f) == 0x7E && o_encode(0, 1e9f) == 0x7E && o_encode(0, -464.0f) == 0xFE, "E4M3 saturation");
    CHECK(o_encode(0, 1.0625f) == 0x38 && o_encode(0, 1.1875f) == 0x3A && o_encode(0, 0x1p-10f) == 0x00 &&
          o_encode(0, 0x1.8p-10f) == 0x01 && o_encode(0, -0.0f) == 0x80, "E4M3 ties to even");
    CHECK(o_encode(1, 57344.0f) == 0x7B && o_encode(1, 1e9f) == 0x7B && o_encode(1, 1.125f) == 0x3C &&
          o_encode(1, 1.375f) == 0x3E, "E5M2");
    CHECK(o_scale(0, FP8_SCALE_AMAX, 0.0, 1e-4f) == (float)(1e-4f / 448.0f) && o_scale(0, FP8_SCALE_AMAX, 0.0, 0.0f) == 0x1p-126f &&
          o_scale(1, FP8_SCALE_AMAX, 0.0, 0.0f) == 0x1p-126f, "AMAX floors");
    CHECK(o_scale(0, FP8_SCALE_POW2, 448.0, 0.0f) == 1.0f && o_scale(0, FP8_SCALE_POW2, 449.0, 0.0f) == 2.0f &&
          o_scale(0, FP8_SCALE_MX, 448.0, 0.0f) == 1.0f && o_scale(0, FP8_SCALE_MX, 511.0, 0.0f) == 1.0f &&
          o_scale(0, FP8_SCALE_MX, 512.0, 0.0f) == 2.0f && o_scale(1, FP8_SCALE_MX, 65536.0, 0.0f) == 2.0f, "POW2 / MX");
    CHECK(nar_bf16(1.00390625f) == 0x3F80 && nar_bf16(1.01171875f) == 0x3F82 && nar_bf16(FLT_MAX) == 0x7F80 &&
          nar_bf16(0x1p-133f) == 0x0001, "bf16 narrowing");
    CHECK(nar_f16(65504.0f) == 0x7BFF && nar_f16(65520.0f) == 0x7C00 && nar_f16(0x1p-24f) == 0x0001 &&
          nar_f16(0x1p-25f) == 0x0000 && nar_f16(0x1.8p-25f) == 0x0001 && nar_f16(1.0f) == 0x3C00 && nar_f16(-2.0f) == 0xC000,
          "f16 narrowing");
    CHECK(wid_f16(0x3C00) == 1.0f && wid_f16(0x0001) == 0x1p-24f && wid_f16(0xFBFF) == -65504.0f && wid_bf16(0x3F80) == 1.0f,
          "widening");
}

int main(void) {
    init_fp8_tables();
    make_full();
    fp8_set_num_threads(2); /* the split schedule needs fewer tasks than threads */
    char ran[80] = "";
    for (int s = 0; s < NSETS; s++) {
        g_have[s] = fp8_kernels_supported(k_sets[s]);
        g_nsets += g_have[s];
        if (g_have[s]) { strcat(ran, " "); strcat(ran, k_sets[s]); }
        snprintf(g_case, sizeof g_case, "kernel sets");
        CHECK(g_have[s] || !machine_expects(k_sets[s]), "this machine has %s but the library does not offer it", k_sets[s]);
    }
    CHECK(g_have[0], "scalar set missing");
    test_oracle();
    test_granularities();
    test_division_differs();
    test_static();
    test_errors();
    test_dequantize();
    fp8_set_kernels(NULL);
    fp8_set_num_threads(0);
    printf("quant_dtype_check: kernel sets%s; %ld cases, %ld library calls checked, %ld elements compared; "
           "true_division changed %ld oracle / %ld library codes; %ld saturating static-scale elements; data blocks:",
           ran, g_cases, g_calls, g_elems, g_td_diff_oracle, g_td_diff_lib, g_sat);
    for (int k = 0; k < NKINDS; k++) printf(" %s %ld%s", k_kind_names[k], g_kind_count[k], k + 1 < NKINDS ? "," : "");
    printf(": %s (%ld failures)\n", g_fail ? "FAILED" : "ok", g_fail);
    return g_fail ? 1 : 0;
}
