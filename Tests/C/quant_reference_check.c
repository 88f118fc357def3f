/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quant_reference_check.c - fp8_quantize against re-implementations of DeepGEMM's and DeepSeek-V3's
 * published FP8 quantizers, bit for bit (issue 11, "Reference modes").
 *
 * The expected codes and scales come from Tests/C/vectors/quant_reference.bin, written by
 * scripts/gen_quant_reference.py (numpy + ml_dtypes, two independent formulations that must agree).
 * Modes (E4M3, amax raised to at least 1e-4f, s = amax / 448 in float32, scale = dequantization scale):
 *   deepgemm_per_token[_ue8m0]  1x128,   FP8_SCALE_AMAX [POW2], codes = e4m3(x * fl(1/s))
 *   deepgemm_per_block[_ue8m0]  128x128, FP8_SCALE_AMAX [POW2], codes = e4m3(x * fl(1/s))
 *   deepseek_act_quant          1x128,   FP8_SCALE_AMAX, true_division = 1: codes = e4m3(x / s)
 *   deepseek_div_128x128        128x128, FP8_SCALE_AMAX, true_division = 1
 * Data: Gaussian float32, bf16- and binary16-valued Gaussians, outliers up to FLT_MAX, all-zero and
 * signed-zero tiles, tiles whose amax is below or at 1e-4, float32/bf16/f16 subnormal inputs, E4M3
 * ties, shapes that are not multiples of 128 (1x300, 7x129, 7x300, 129x130, 130x136, 130x160, 257x200).
 *
 * For every kernel set this machine supports, every data set and every mode, fp8_quantize is called
 * with options {rule, 1e-4f, true_division, NULL}:
 *   - from the stored dtype (F32, F16 or BF16), contiguous;
 *   - from the stored dtype with ldx = cols + 3 (the gap holds NaNs, which must not be read) and
 *     ldq = cols + 5 (the gap must not be written);
 *   - from the same values widened to float32 (this file's own exact widening), for F16/BF16 sets;
 * and each of them again with static_scales = the reference scales, which must give the same codes.
 * Codes and scales are compared bitwise; the mismatch counts are printed per mode and must all be 0.
 * On the sets flagged for it, the reference codes of the division and reciprocal variants must differ
 * somewhere (for 1x128 and 128x128), so that a library ignoring true_division cannot pass.
 * On x86-64 with AVX2 at least one SIMD kernel set must have run.
 *
 * Run by scripts/test.sh (from the package root; an optional argument names another fixture):
 *   cc -std=c11 -O2 -ICSupport/include Tests/C/quant_reference_check.c -L.build/c -lfp8 -lm -o quant_reference_check
 */
#include <fp8.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MODES 16
#define MAX_SETS 64
#define FLAG_DIVCHECK 1u

static const char *const g_kernel_sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
static const char *const g_dtype_names[] = {"f32", "f16", "bf16"};

typedef struct {
    char name[33];
    uint32_t br, bc, rule, div;
} ref_mode;

typedef struct {
    char name[33];
    uint32_t dtype, rows, cols, flags;
    void *x;                       /* rows*cols elements of dtype, contiguous */
    float *x32;                    /* the same values widened to float32 */
    uint8_t *codes[MAX_MODES];     /* expected codes, rows*cols */
    float *scales[MAX_MODES];      /* expected scales, nbr*nbc */
} ref_set;

static ref_mode g_modes[MAX_MODES];
static ref_set g_sets[MAX_SETS];
static uint32_t g_nmodes, g_nsets;
static float g_floor;

/* mismatch counters per mode: [mode][0 dynamic codes, 1 dynamic scales, 2 static codes, 3 static scales] */
static unsigned long long g_bad[MAX_MODES][4], g_total[MAX_MODES][4];
static int g_fail, g_reported;

/* ------------------------------------------------------------------------------------------------ */
/* Fixture reading (little-endian, bounds-checked)                                                   */

static const unsigned char *g_buf;
static size_t g_len, g_pos;

static int need(size_t n) {
    if (n > g_len - g_pos) {
        fprintf(stderr, "quant_reference_check: fixture truncated at byte %zu (need %zu more)\n", g_pos, n);
        return 0;
    }
    return 1;
}
static uint32_t u32_at(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static int rd_u32(uint32_t *v) {
    if (!need(4)) return 0;
    *v = u32_at(g_buf + g_pos);
    g_pos += 4;
    return 1;
}
static int rd_name(char out[33]) {
    if (!need(32)) return 0;
    memcpy(out, g_buf + g_pos, 32);
    out[32] = 0;
    g_pos += 32;
    return 1;
}
static float f32_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Exact binary16 -> float32, from the format's definition (independent of the library). */
static float f16_value(uint16_t h) {
    const int e = (h >> 10) & 31, m = h & 1023;
    float v;
    if (e == 0) v = ldexpf((float)m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexpf((float)(m | 1024), e - 25);
    return (h >> 15) ? -v : v;
}

static size_t nblocks(const ref_set *s, const ref_mode *m) {
    return (size_t)((s->rows + m->br - 1) / m->br) * ((s->cols + m->bc - 1) / m->bc);
}

static int load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "quant_reference_check: cannot open %s\n", path);
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = len > 0 ? malloc((size_t)len) : NULL;
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fprintf(stderr, "quant_reference_check: cannot read %s\n", path);
        fclose(f);
        free(buf);
        return 0;
    }
    fclose(f);
    g_buf = buf;
    g_len = (size_t)len;
    g_pos = 0;
    uint32_t floor_bits;
    if (!need(8) || memcmp(buf, "FP8QREF1", 8) != 0) {
        fprintf(stderr, "quant_reference_check: %s is not an FP8QREF1 fixture\n", path);
        return 0;
    }
    g_pos = 8;
    if (!rd_u32(&g_nmodes) || !rd_u32(&g_nsets) || !rd_u32(&floor_bits)) return 0;
    g_floor = f32_of(floor_bits);
    if (g_nmodes == 0 || g_nmodes > MAX_MODES || g_nsets == 0 || g_nsets > MAX_SETS) {
        fprintf(stderr, "quant_reference_check: bad counts (%u modes, %u sets)\n", g_nmodes, g_nsets);
        return 0;
    }
    for (uint32_t i = 0; i < g_nmodes; i++) {
        ref_mode *m = &g_modes[i];
        if (!rd_name(m->name) || !rd_u32(&m->br) || !rd_u32(&m->bc) || !rd_u32(&m->rule) || !rd_u32(&m->div)) return 0;
        if (m->br == 0 || m->bc == 0 || m->rule > 1 || m->div > 1) {
            fprintf(stderr, "quant_reference_check: bad mode %s\n", m->name);
            return 0;
        }
    }
    for (uint32_t i = 0; i < g_nsets; i++) {
        ref_set *s = &g_sets[i];
        if (!rd_name(s->name) || !rd_u32(&s->dtype) || !rd_u32(&s->rows) || !rd_u32(&s->cols) || !rd_u32(&s->flags))
            return 0;
        if (s->dtype > 2 || s->rows == 0 || s->cols == 0 || s->rows > 4096 || s->cols > 4096) {
            fprintf(stderr, "quant_reference_check: bad set %s\n", s->name);
            return 0;
        }
        const size_t n = (size_t)s->rows * s->cols, es = s->dtype == FP8_DTYPE_F32 ? 4 : 2;
        if (!need(n * es)) return 0;
        s->x = malloc(n * es);
        s->x32 = malloc(n * sizeof(float));
        if (!s->x || !s->x32) return 0;
        for (size_t k = 0; k < n; k++) {
            const unsigned char *p = g_buf + g_pos + k * es;
            if (es == 4) {
                const float v = f32_of(u32_at(p));
                ((float *)s->x)[k] = v;
                s->x32[k] = v;
            } else {
                const uint16_t h = (uint16_t)(p[0] | p[1] << 8);
                ((uint16_t *)s->x)[k] = h;
                s->x32[k] = s->dtype == FP8_DTYPE_BF16 ? f32_of((uint32_t)h << 16) : f16_value(h);
            }
        }
        g_pos += n * es;
        for (uint32_t m = 0; m < g_nmodes; m++) {
            const size_t nb = nblocks(s, &g_modes[m]);
            if (!need(n + nb * 4)) return 0;
            s->codes[m] = malloc(n);
            s->scales[m] = malloc(nb * sizeof(float));
            if (!s->codes[m] || !s->scales[m]) return 0;
            memcpy(s->codes[m], g_buf + g_pos, n);
            g_pos += n;
            for (size_t b = 0; b < nb; b++) s->scales[m][b] = f32_of(u32_at(g_buf + g_pos + 4 * b));
            g_pos += nb * 4;
        }
    }
    if (g_pos != g_len) {
        fprintf(stderr, "quant_reference_check: %zu trailing bytes in the fixture\n", g_len - g_pos);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------------ */

static void report(const char *set, const ref_set *s, const ref_mode *m, const char *variant, int st,
                   const char *what, size_t r, size_t c, uint32_t expect, uint32_t got) {
    if (g_reported++ >= 20) return;
    const size_t k = r * s->cols + c;
    const float x = s->x32[k];
    fprintf(stderr, "  MISMATCH [%s] %s %s (%s%s): %s at (%zu, %zu): expected 0x%X, got 0x%X; x = %a (%.9g), "
            "reference scale %a\n", set, s->name, m->name, variant, st ? ", static scales" : "", what, r, c, expect, got, (double)x, (double)x,
            (double)s->scales[m - g_modes][(r / m->br) * ((s->cols + m->bc - 1) / m->bc) + c / m->bc]);
}

/* One call of fp8_quantize and the comparison. src: rows x cols elements of dtype with leading
 * dimension ldx; q/scales: scratch of the right size. */
static void run_case(const char *set, const ref_set *s, uint32_t mi, fp8_dtype dtype, const void *src, size_t ldx,
                     size_t ldq, int use_static, const char *variant, uint8_t *q, float *sc) {
    const ref_mode *m = &g_modes[mi];
    const size_t rows = s->rows, cols = s->cols, nb = nblocks(s, m);
    fp8_quant_options opt;
    memset(&opt, 0, sizeof opt);
    opt.rule = m->rule ? FP8_SCALE_POW2 : FP8_SCALE_AMAX;
    opt.amax_floor = g_floor;
    opt.true_division = (int)m->div;
    opt.static_scales = use_static ? s->scales[mi] : NULL;
    memset(q, 0xA5, rows * ldq);
    for (size_t b = 0; b < nb; b++) sc[b] = f32_of(0x7FC0DEADu);
    const int rc = fp8_quantize(FP8_E4M3, dtype, src, rows, cols, ldx, m->br, m->bc, &opt, q, ldq, sc);
    unsigned long long *bad = g_bad[mi] + 2 * use_static, *tot = g_total[mi] + 2 * use_static;
    tot[0] += rows * cols;
    tot[1] += nb;
    if (rc != 0) {
        fprintf(stderr, "  FAIL [%s] %s %s (%s): fp8_quantize returned %d\n", set, s->name, m->name, variant, rc);
        bad[0] += rows * cols;
        bad[1] += nb;
        g_fail = 1;
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const uint8_t e = s->codes[mi][r * cols + c], g = q[r * ldq + c];
            if (e != g) {
                bad[0]++;
                report(set, s, m, variant, use_static, "code", r, c, e, g);
            }
        }
        for (size_t c = cols; c < ldq; c++)
            if (q[r * ldq + c] != 0xA5) {
                fprintf(stderr, "  FAIL [%s] %s %s (%s): wrote q[%zu][%zu] beyond cols\n", set, s->name, m->name,
                        variant, r, c);
                g_fail = 1;
            }
    }
    const size_t nbc = (cols + m->bc - 1) / m->bc;
    for (size_t b = 0; b < nb; b++) {
        const uint32_t e = bits_of(s->scales[mi][b]), g = bits_of(sc[b]);
        if (e != g) {
            bad[1]++;
            report(set, s, m, variant, use_static, "scale", (b / nbc) * m->br, (b % nbc) * m->bc, e, g);
        }
    }
}

/* The stored values copied with leading dimension ld = cols + 3, the gap filled with NaNs. */
static void *strided_copy(const ref_set *s, size_t ld) {
    const size_t es = s->dtype == FP8_DTYPE_F32 ? 4 : 2;
    unsigned char *p = malloc((size_t)s->rows * ld * es);
    if (!p) return NULL;
    const uint32_t nan32 = 0x7FC00000u;
    const uint16_t nan16 = s->dtype == FP8_DTYPE_BF16 ? 0x7FC0 : 0x7E00;
    for (size_t r = 0; r < s->rows; r++) {
        memcpy(p + r * ld * es, (const unsigned char *)s->x + r * s->cols * es, s->cols * es);
        for (size_t c = s->cols; c < ld; c++) memcpy(p + (r * ld + c) * es, es == 4 ? (const void *)&nan32 : (const void *)&nan16, es);
    }
    return p;
}

static int cpu_has_avx2(void) {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
#else
    return 0;
#endif
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "Tests/C/vectors/quant_reference.bin";
    if (!load(path)) return 1;
    size_t maxn = 0, maxnb = 0;
    for (uint32_t i = 0; i < g_nsets; i++) {
        const size_t n = (size_t)g_sets[i].rows * (g_sets[i].cols + 5);
        if (n > maxn) maxn = n;
        for (uint32_t m = 0; m < g_nmodes; m++)
            if (nblocks(&g_sets[i], &g_modes[m]) > maxnb) maxnb = nblocks(&g_sets[i], &g_modes[m]);
    }
    uint8_t *q = malloc(maxn);
    float *sc = malloc(maxnb * sizeof(float));
    if (!q || !sc) return 1;

    /* The division mode must really be exercised: on the flagged sets, the reference codes of the
     * division and the reciprocal variants of the same granularity and rule differ somewhere. */
    for (uint32_t i = 0; i < g_nsets; i++) {
        const ref_set *s = &g_sets[i];
        if (!(s->flags & FLAG_DIVCHECK)) continue;
        for (uint32_t a = 0; a < g_nmodes; a++) {
            for (uint32_t b = 0; b < g_nmodes; b++) {
                const ref_mode *ma = &g_modes[a], *mb = &g_modes[b];
                if (ma->div || !mb->div || ma->br != mb->br || ma->bc != mb->bc || ma->rule != mb->rule) continue;
                size_t d = 0;
                for (size_t k = 0; k < (size_t)s->rows * s->cols; k++) d += s->codes[a][k] != s->codes[b][k];
                printf("%s: %s vs %s: %zu of %zu reference codes differ (x / s vs x * fl(1/s))\n", s->name, mb->name,
                       ma->name, d, (size_t)s->rows * s->cols);
                if (d == 0) {
                    fprintf(stderr, "FAIL: %s: division and reciprocal agree everywhere for %s, so true_division "
                            "is not exercised\n", s->name, mb->name);
                    g_fail = 1;
                }
            }
        }
    }

    int ran = 0, ran_simd = 0;
    char ran_names[64] = "";
    for (size_t k = 0; k < sizeof g_kernel_sets / sizeof g_kernel_sets[0]; k++) {
        const char *set = g_kernel_sets[k];
        if (!fp8_kernels_supported(set)) continue;
        if (fp8_set_kernels(set) != 0 || strcmp(fp8_kernels(), set) != 0) {
            fprintf(stderr, "FAIL: fp8_set_kernels(\"%s\") did not select it\n", set);
            g_fail = 1;
            continue;
        }
        ran++;
        snprintf(ran_names + strlen(ran_names), sizeof ran_names - strlen(ran_names), "%s%s", ran > 1 ? " " : "", set);
        ran_simd += strcmp(set, "scalar") != 0;
        for (uint32_t i = 0; i < g_nsets; i++) {
            const ref_set *s = &g_sets[i];
            const size_t ldx = s->cols + 3, ldq = s->cols + 5;
            void *xs = strided_copy(s, ldx);
            if (!xs) return 1;
            for (uint32_t m = 0; m < g_nmodes; m++) {
                for (int st = 0; st <= 1; st++) {
                    run_case(set, s, m, (fp8_dtype)s->dtype, s->x, s->cols, s->cols, st, g_dtype_names[s->dtype], q, sc);
                    run_case(set, s, m, (fp8_dtype)s->dtype, xs, ldx, ldq, st, "strided", q, sc);
                    if (s->dtype != FP8_DTYPE_F32)
                        run_case(set, s, m, FP8_DTYPE_F32, s->x32, s->cols, s->cols, st, "widened to f32", q, sc);
                }
            }
            free(xs);
        }
    }
    fp8_set_kernels(NULL);

    printf("fp8_quantize vs the reference quantizers (%u data sets; kernel sets: %s), mismatches / compared:\n",
           g_nsets, ran_names);
    for (uint32_t m = 0; m < g_nmodes; m++) {
        const ref_mode *md = &g_modes[m];
        printf("  %-26s %3ux%-3u %s %-10s codes %llu/%llu, scales %llu/%llu; static scales: codes %llu/%llu, "
               "scales %llu/%llu\n", md->name, md->br, md->bc, md->rule ? "POW2" : "AMAX",
               md->div ? "x / s" : "x * fl(1/s)", g_bad[m][0], g_total[m][0], g_bad[m][1], g_total[m][1],
               g_bad[m][2], g_total[m][2], g_bad[m][3], g_total[m][3]);
        for (int j = 0; j < 4; j++) g_fail |= g_bad[m][j] != 0;
    }
    if (ran == 0) {
        fprintf(stderr, "FAIL: no kernel set ran\n");
        g_fail = 1;
    }
    if (cpu_has_avx2() && ran_simd == 0) {
        fprintf(stderr, "FAIL: this CPU has AVX2 but no SIMD kernel set ran\n");
        g_fail = 1;
    }
    printf("quant_reference_check: %s\n", g_fail ? "FAILED" : "all equal");
    free(q);
    free(sc);
    for (uint32_t i = 0; i < g_nsets; i++) {
        free(g_sets[i].x);
        free(g_sets[i].x32);
        for (uint32_t m = 0; m < g_nmodes; m++) {
            free(g_sets[i].codes[m]);
            free(g_sets[i].scales[m]);
        }
    }
    free((void *)g_buf);
    return g_fail;
}
