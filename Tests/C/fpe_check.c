/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fpe_check.c - the floating-point exception contract of fp8.h (issue 9, fault 7): with the traps of
 * FE_INVALID, FE_DIVBYZERO and FE_OVERFLOW enabled (feenableexcept), no kernel set raises SIGFPE on a
 * call where the scalar set does not, and codec, quantization and dequantization results stay
 * bit-identical. Inputs include signalling and quiet NaNs, infinities, every code of both formats,
 * huge and infinite scales, and GEMMs of every path (M = 1..23, 1-row, 16-row and 128-row blocks,
 * block widths 128 and 48) against B rows that hold every code; and the F16/BF16 forms (fp8_quantize
 * with options from F16/BF16 sources, fp8_dequantize to F16/BF16 with huge and infinite scales,
 * fp8_gemm_weight_only with a BF16 A, a BF16 or F16 C and a bias). Each call runs in a forked child
 * (a trap kills it with SIGFPE) with one library thread; the parent compares the outcomes.
 *
 * Run by scripts/test.sh. Exits 0 with a note where traps cannot be enabled (non-glibc, or an FPU
 * without trapping, as most AArch64 cores).
 *   cc -std=c11 -O2 -D_GNU_SOURCE -ICSupport/include Tests/C/fpe_check.c -L.build/c -lfp8 -lm -o fpe_check
 */
#include <fp8.h>
#include <fenv.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__GLIBC__)
#define TRAPS (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW)

enum kind { ENCODE, ENCODE_STOCH, ENCODE_F64, DECODE, QUANTIZE, DEQUANTIZE, GEMM_F32A, GEMM_FP8,
            QUANTIZE_H, DEQUANTIZE_H, GEMM_WO_H };

typedef struct tcase {
    enum kind kind;
    fp8_format fmt;
    int sat, rule, variant;
    size_t n, rows, cols, br, bc, m;
    char name[96];
} tcase;

/* ---- inputs (made once in the parent; the children inherit them) ------------------------------ */

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint32_t rnd32(void) { g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17; return (uint32_t)(g_rng >> 16); }
static float unif(float lo, float hi) { return lo + (hi - lo) * ((float)(rnd32() >> 8) * 0x1p-24f); }
static float from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

#define NSMALL 4103             /* not a multiple of 8, 16 or 32: vector bodies and scalar tails */
#define NSTREAM ((1u << 22) + 5) /* the codecs' non-temporal (streaming) paths start at 2^22 */
#define GN 259                   /* B rows: one per code plus three; not a multiple of 8 or 16 */
#define GK 300
#define GMAX 23

static float *g_x;              /* NSTREAM floats: every class, signalling NaNs in every lane */
static double g_xd[NSMALL];
static uint8_t *g_codes;        /* NSTREAM codes: 0..255 repeating */
static float g_qx[256 * 256];   /* finite quantization input */
static uint8_t g_bq[2][GN * GK];/* GEMM B per format: row j < 256 holds code j once */
static float g_bs[GN * 7];      /* B scales, finite (7 per row: block width 48) */
static float g_a[3][GMAX * GK]; /* GEMM A: ordinary, huge (|a| ~ 1e36), one quiet NaN */

static void make_inputs(void) {
    static const uint32_t special[] = {
        0x7F800001u, 0x7FA00000u, 0x7FBFFFFFu, 0xFF800001u, 0xFFBFFFFFu, /* signalling NaNs */
        0x7FC00000u, 0xFFC00001u, 0x7F800000u, 0xFF800000u,              /* quiet NaNs, +-Inf */
        0x00000000u, 0x80000000u, 0x00000001u, 0x807FFFFFu, 0x7F7FFFFFu, 0xFF7FFFFFu,
        0x43E00000u, 0x43F00000u, 0x43E80000u, 0x47600000u, 0x47800000u, 0x47700000u,
        0x3B000000u, 0x3B100000u, 0x37800000u, 0x37000000u, 0x3C800000u, 0x38800000u};
    const size_t ns = sizeof special / sizeof special[0];
    g_x = malloc(sizeof(float) * NSTREAM);
    g_codes = malloc(NSTREAM);
    if (!g_x || !g_codes) exit(2);
    for (size_t i = 0; i < NSTREAM; i++) {
        /* specials at stride 5, so each one meets every lane position of a vector */
        g_x[i] = i % 5 == 0 ? from_bits(special[(i / 5) % ns]) : from_bits(rnd32());
        g_codes[i] = (uint8_t)(i * 7); /* all 256 codes, in every lane position */
    }
    for (size_t i = 0; i < NSMALL; i++) {
        double d;
        uint64_t u = i % 3 == 0 ? 0x7FF0000000000001ull + (i % 2) * 0x8000000000000000ull /* sNaN */
                                : ((uint64_t)rnd32() << 32) | rnd32();
        memcpy(&d, &u, 8);
        g_xd[i] = d;
    }
    for (size_t i = 0; i < 256 * 256; i++) g_qx[i] = unif(-1, 1) * ldexpf(1.0f, (int)(rnd32() % 40) - 20);
    for (int f = 0; f < 2; f++)
        for (size_t j = 0; j < GN; j++)
            for (size_t k = 0; k < GK; k++) {
                uint8_t c;
                do c = (uint8_t)rnd32(); while (f == 0 ? (c & 0x7F) == 0x7F : (c & 0x7F) >= 0x7C);
                g_bq[f][j * GK + k] = c;
                if (j < 256 && k == (j * 37) % GK) g_bq[f][j * GK + k] = (uint8_t)j; /* one special per row */
            }
    for (size_t i = 0; i < GN * 7; i++) g_bs[i] = unif(0.05f, 2.0f);
    for (size_t i = 0; i < GMAX * GK; i++) {
        float s = (rnd32() & 1) ? 1.0f : -1.0f;
        g_a[0][i] = s * unif(0.5f, 2.0f);  /* nonzero: the scalar set never computes 0 * Inf */
        g_a[1][i] = s * unif(1e35f, 1e36f);
        g_a[2][i] = g_a[0][i];
    }
    g_a[2][5] = from_bits(0x7FC00000u); /* a quiet NaN: nothing may raise FE_INVALID on it */
}

/* ---- one call, output bytes into out (returns their count) ------------------------------------ */

static size_t run_case(const tcase *t, unsigned char *out) {
    int st = 0;
    size_t n = t->n;
    switch (t->kind) {
    case ENCODE:
        st = fp8_encode_f32(t->fmt, g_x, out + 4, n, t->sat);
        memcpy(out, &st, 4);
        return 4 + n;
    case ENCODE_STOCH:
        st = fp8_encode_f32_stochastic(t->fmt, g_x, out + 4, n, t->sat, 42);
        memcpy(out, &st, 4);
        return 4 + n;
    case ENCODE_F64:
        st = fp8_encode_f64(t->fmt, g_xd, out + 4, n, t->sat);
        memcpy(out, &st, 4);
        return 4 + n;
    case DECODE:
        st = fp8_decode_f32(t->fmt, g_codes, (float *)(void *)(out + 64), n);
        memcpy(out, &st, 4);
        return 64 + 4 * n;
    case QUANTIZE: {
        const float *x = g_qx;
        float xb[256 * 4];
        if (t->variant) { /* a NaN (quiet or signalling) or Inf in the input: FP8_ERR_NON_FINITE */
            memcpy(xb, g_qx, sizeof xb);
            xb[t->cols + 77] = from_bits(t->variant == 1 ? 0x7FA00000u : t->variant == 2 ? 0xFFC00000u : 0x7F800000u);
            x = xb;
        }
        float *scales = (float *)(void *)(out + 64);
        size_t ns = ((t->rows + t->br - 1) / t->br) * ((t->cols + t->bc - 1) / t->bc);
        uint8_t *q = out + 64 + 4 * ns;
        st = fp8_quantize_f32(t->fmt, x, t->rows, t->cols, t->cols, t->br, t->bc, (fp8_scale_rule)t->rule, q,
                              t->cols, scales);
        memcpy(out, &st, 4);
        return 64 + 4 * ns + t->rows * t->cols;
    }
    case DEQUANTIZE: {
        /* variant 0: every code, scale 0.75; 1: every code but +-0, scale +Inf; 2: codes of magnitude
         * <= 1, scale FLT_MAX / 2 (256 * scale overflows, the products do not); 3: every code, NaN. */
        static const float sc[4] = {0.75f, INFINITY, 0x1.fffffep126f, NAN};
        uint8_t codes[512];
        size_t cnt = 0;
        for (int c = 0; c < 256; c++) {
            float v;
            uint8_t u = (uint8_t)c;
            fp8_decode_f32(t->fmt, &u, &v, 1);
            if (t->variant == 1 && v == 0.0f) continue;
            if (t->variant == 2 && !islessequal(fabsf(v), 1.0f)) continue; /* quiet compare: NaN */
            codes[cnt++] = u;
        }
        for (size_t i = 0; i < cnt; i++) codes[cnt + i] = codes[i]; /* twice: vector bodies */
        fp8_matrix m = {t->fmt, 1, 2 * cnt, 2 * cnt, codes, &sc[t->variant], 1, 2 * cnt};
        st = fp8_dequantize_f32(&m, (float *)(void *)(out + 64), 2 * cnt);
        memcpy(out, &st, 4);
        return 64 + 8 * cnt;
    }
    case QUANTIZE_H: {
        /* g_qx as F16 (t->sat == 1: values are small, so exact enough as truncated binary16 bits of a
         * scaled copy) or BF16 (the top halves), with a NaN (signalling or quiet) or Inf as in
         * QUANTIZE; options: floor 1e-4 and true division when t->m is 1. */
        static uint16_t h[256 * 4];
        fp8_dtype dt = t->sat == 1 ? FP8_DTYPE_F16 : FP8_DTYPE_BF16;
        for (size_t i = 0; i < t->rows * t->cols; i++) {
            uint32_t u;
            memcpy(&u, &g_qx[i], 4);
            h[i] = dt == FP8_DTYPE_BF16 ? (uint16_t)(u >> 16) : (uint16_t)((u >> 16 & 0x8000) | (i * 37 % 0x7C00));
        }
        if (t->variant) {
            static const uint16_t bad[2][3] = {{0x7D00, 0xFE00, 0x7C00}, {0x7FA0, 0xFFC0, 0x7F80}};
            h[t->cols + 77] = bad[dt == FP8_DTYPE_BF16][t->variant - 1];
        }
        float *scales = (float *)(void *)(out + 64);
        size_t ns = ((t->rows + t->br - 1) / t->br) * ((t->cols + t->bc - 1) / t->bc);
        uint8_t *q = out + 64 + 4 * ns;
        fp8_quant_options o = {(fp8_scale_rule)t->rule, t->m ? 1e-4f : 0.0f, (int)t->m, NULL};
        st = fp8_quantize(t->fmt, dt, h, t->rows, t->cols, t->cols, t->br, t->bc, &o, q, t->cols, scales);
        memcpy(out, &st, 4);
        return 64 + 4 * ns + t->rows * t->cols;
    }
    case DEQUANTIZE_H: {
        /* every code times 0.75, +Inf, FLT_MAX / 2 (the F16 results overflow) or NaN, into F16 / BF16 */
        static const float sc[4] = {0.75f, INFINITY, 0x1.fffffep126f, NAN};
        uint8_t codes[512];
        for (int c = 0; c < 512; c++) codes[c] = (uint8_t)c;
        fp8_matrix m = {t->fmt, 1, 512, 512, codes, &sc[t->variant], 1, 512};
        st = fp8_dequantize(&m, t->sat == 1 ? FP8_DTYPE_F16 : FP8_DTYPE_BF16, out + 64, 512);
        memcpy(out, &st, 4);
        return 64 + 2 * 512;
    }
    case GEMM_WO_H: {
        /* BF16 A (the top halves of g_a), BF16 (sat 2) or F16 (sat 1) C, a bias with a huge entry */
        static uint16_t a16[GMAX * GK];
        float bias[GN];
        for (size_t i = 0; i < GMAX * GK; i++) {
            uint32_t u;
            memcpy(&u, &g_a[t->variant][i], 4);
            a16[i] = (uint16_t)(u >> 16);
        }
        for (size_t j = 0; j < GN; j++) bias[j] = j == 5 ? 3e38f : (float)j * 0.25f;
        float bs[GN * 7];
        for (size_t i = 0; i < GN * 7; i++) bs[i] = t->variant == 1 ? g_bs[i] * 0x1p-110f : g_bs[i];
        fp8_matrix b = {t->fmt, GN, GK, GK, g_bq[t->fmt], bs, t->br, t->bc};
        st = fp8_gemm_weight_only(t->m, FP8_DTYPE_BF16, a16, GK, &b, bias, 1.0f, 0.0f,
                                  t->sat == 1 ? FP8_DTYPE_F16 : FP8_DTYPE_BF16, out + 64, GN);
        memcpy(out, &st, 4);
        return 64 + 2 * t->m * GN;
    }
    case GEMM_F32A:
    case GEMM_FP8: {
        float *c = (float *)(void *)(out + 64);
        float bs[GN * 7];
        const float *a = g_a[t->variant];
        /* huge A meets tiny scales: every dequantized product stays small */
        for (size_t i = 0; i < GN * 7; i++) bs[i] = t->variant == 1 ? g_bs[i] * 0x1p-110f : g_bs[i];
        fp8_matrix b = {t->fmt, GN, GK, GK, g_bq[t->fmt], bs, t->br, t->bc};
        if (t->kind == GEMM_F32A) {
            st = fp8_gemm_f32a(t->m, a, GK, &b, 1.0f, 0.0f, c, GN);
        } else {
            uint8_t qa[GMAX * GK];
            float sa[GMAX * 3];
            if (fp8_quantize_f32(FP8_E4M3, a, t->m, GK, GK, 1, 128, FP8_SCALE_AMAX, qa, GK, sa) != FP8_OK) return 0;
            fp8_matrix am = {FP8_E4M3, t->m, GK, GK, qa, sa, 1, 128};
            st = fp8_gemm(&am, &b, 1.0f, 0.0f, c, GN);
        }
        memcpy(out, &st, 4);
        return 64 + 4 * t->m * GN;
    }
    }
    return 0;
}

/* ---- the harness ------------------------------------------------------------------------------ */

static unsigned char *g_shm;
static size_t g_slot;

/* 0: finished, 1: SIGFPE, 2: anything else. The output lands in shared slot `slot`. */
static int run_in_child(const tcase *t, const char *set, int slot, size_t *len) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); exit(2); }
    if (pid == 0) {
        if (fp8_set_kernels(set) != FP8_OK) _exit(3);
        feclearexcept(FE_ALL_EXCEPT);
        if (feenableexcept(TRAPS) < 0) _exit(4);
        size_t l = run_case(t, g_shm + slot * g_slot + 16);
        memcpy(g_shm + slot * g_slot, &l, sizeof l);
        _exit(0);
    }
    int ws;
    if (waitpid(pid, &ws, 0) < 0) { perror("waitpid"); exit(2); }
    memcpy(len, g_shm + slot * g_slot, sizeof *len);
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGFPE) return 1;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) return 0;
    return 2;
}

/* Can this machine trap at all? (A child divides 0 by 0 with FE_INVALID unmasked.) */
static int traps_work(void) {
    pid_t pid = fork();
    if (pid == 0) {
        if (feenableexcept(FE_INVALID) < 0) _exit(4);
        volatile float z = 0.0f;
        z = z / z;
        _exit(0);
    }
    int ws;
    waitpid(pid, &ws, 0);
    return WIFSIGNALED(ws) && WTERMSIG(ws) == SIGFPE;
}

/* Every kernel set name the library knows (fp8_kernels_supported says which run here); scalar first. */
static const char *sets[] = {"scalar", "avx2", "avx512", "avx512vbmi", "neon"};
#define NSETS ((int)(sizeof sets / sizeof sets[0]))

static int bitexact(enum kind k) { return k != GEMM_F32A && k != GEMM_FP8 && k != GEMM_WO_H; }

static int g_fail, g_cases, g_clean;
static const char *g_filter; /* argv[1]: run only the cases whose name contains it */

static void check(tcase *t) {
    int res[NSETS] = {0};
    size_t len[NSETS] = {0};
    if (g_filter && !strstr(t->name, g_filter)) return;
    g_cases++;
    res[0] = run_in_child(t, "scalar", 0, &len[0]);
    if (res[0] == 2) { printf("FAIL %s: scalar did not finish\n", t->name); g_fail++; return; }
    if (res[0] == 0) g_clean++;
    for (int s = 1; s < NSETS; s++) {
        if (!fp8_kernels_supported(sets[s])) continue;
        res[s] = run_in_child(t, sets[s], s, &len[s]);
        if (res[s] == 2) { printf("FAIL %s: %s did not finish\n", t->name, sets[s]); g_fail++; continue; }
        if (res[s] == 1 && res[0] == 0) {
            if (g_fail++ < 200) printf("FAIL %s: SIGFPE on %s, not on scalar\n", t->name, sets[s]);
            continue;
        }
        if (g_filter) printf("%s: scalar %s, %s %s\n", t->name, res[0] ? "SIGFPE" : "no trap", sets[s], res[s] ? "SIGFPE" : "no trap");
        if (res[s] == 0 && res[0] == 0 && bitexact(t->kind) &&
            (len[s] != len[0] || memcmp(g_shm + g_slot * s + 16, g_shm + 16, len[0]) != 0)) {
            if (g_fail++ < 200) printf("FAIL %s: %s result differs from scalar\n", t->name, sets[s]);
        }
    }
}

int main(int argc, char **argv) {
    g_filter = argc > 1 ? argv[1] : NULL;
    if (!traps_work()) {
        printf("fpe_check: floating-point traps cannot be enabled here; skipped\n");
        return 0;
    }
    fp8_set_num_threads(1); /* the trap is then raised on the calling (child) thread */
    make_inputs();
    g_slot = 16 + 64 + 4 * (size_t)NSTREAM + 4096;
    g_shm = mmap(NULL, NSETS * g_slot, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_shm == MAP_FAILED) { perror("mmap"); return 2; }
    tcase t;
    for (int f = 0; f < 2; f++) {
        const char *fn = f ? "E5M2" : "E4M3";
        for (int sat = 0; sat < 2; sat++) {
            size_t ns[2] = {NSMALL, NSTREAM};
            for (int s = 0; s < 2; s++) {
                t = (tcase){.kind = ENCODE, .fmt = f, .sat = sat, .n = ns[s]};
                snprintf(t.name, sizeof t.name, "encode_f32 %s sat=%d n=%zu", fn, sat, ns[s]);
                check(&t);
            }
            t = (tcase){.kind = ENCODE_STOCH, .fmt = f, .sat = sat, .n = NSMALL};
            snprintf(t.name, sizeof t.name, "encode_f32_stochastic %s sat=%d", fn, sat);
            check(&t);
            t = (tcase){.kind = ENCODE_F64, .fmt = f, .sat = sat, .n = NSMALL};
            snprintf(t.name, sizeof t.name, "encode_f64 %s sat=%d", fn, sat);
            check(&t);
        }
        for (int s = 0; s < 2; s++) {
            t = (tcase){.kind = DECODE, .fmt = f, .n = s ? NSTREAM : NSMALL};
            snprintf(t.name, sizeof t.name, "decode_f32 %s n=%zu (every code)", fn, t.n);
            check(&t);
        }
        static const size_t qshape[][4] = {{4, 256, 1, 128}, {4, 256, 1, 32}, {4, 256, 1, 48},
                                           {256, 256, 128, 128}, {4, 256, 4, 256}, {3, 100, 1, 96}};
        for (size_t qs = 0; qs < sizeof qshape / sizeof qshape[0]; qs++)
            for (int rule = 0; rule < 3; rule++)
                for (int v = 0; v < 4; v++) {
                    if (v && qshape[qs][0] > 4) continue;
                    t = (tcase){.kind = QUANTIZE, .fmt = f, .rule = rule, .variant = v, .rows = qshape[qs][0],
                                .cols = qshape[qs][1], .br = qshape[qs][2], .bc = qshape[qs][3]};
                    snprintf(t.name, sizeof t.name, "quantize %s %zux%zu blocks %zux%zu rule %d input %d", fn,
                             t.rows, t.cols, t.br, t.bc, rule, v);
                    check(&t);
                }
        for (int v = 0; v < 4; v++) {
            t = (tcase){.kind = DEQUANTIZE, .fmt = f, .variant = v};
            snprintf(t.name, sizeof t.name, "dequantize %s variant %d", fn, v);
            check(&t);
        }
        for (int dt = 1; dt <= 2; dt++) {
            const char *dn = dt == 1 ? "F16" : "BF16";
            static const size_t hshape[][4] = {{4, 256, 1, 128}, {4, 256, 1, 32}, {4, 256, 4, 128}, {3, 100, 1, 96}};
            for (size_t qs = 0; qs < sizeof hshape / sizeof hshape[0]; qs++)
                for (int rule = 0; rule < 3; rule++)
                    for (int v = 0; v < 4; v++)
                        for (size_t opt = 0; opt < 2; opt++) {
                            t = (tcase){.kind = QUANTIZE_H, .fmt = f, .sat = dt, .rule = rule, .variant = v,
                                        .rows = hshape[qs][0], .cols = hshape[qs][1], .br = hshape[qs][2],
                                        .bc = hshape[qs][3], .m = opt};
                            snprintf(t.name, sizeof t.name, "quantize %s from %s %zux%zu blocks %zux%zu rule %d input %d opt %zu",
                                     fn, dn, t.rows, t.cols, t.br, t.bc, rule, v, opt);
                            check(&t);
                        }
            for (int v = 0; v < 4; v++) {
                t = (tcase){.kind = DEQUANTIZE_H, .fmt = f, .sat = dt, .variant = v};
                snprintf(t.name, sizeof t.name, "dequantize %s to %s variant %d", fn, dn, v);
                check(&t);
            }
            static const size_t hm[] = {1, 4, 16, 23};
            for (size_t mi = 0; mi < 4; mi++)
                for (int v = 0; v < 3; v++) {
                    t = (tcase){.kind = GEMM_WO_H, .fmt = f, .sat = dt, .variant = v, .m = hm[mi], .br = 128, .bc = 128};
                    snprintf(t.name, sizeof t.name, "gemm_weight_only BF16 A, %s C, bias, B %s M=%zu A variant %d", dn, fn,
                             t.m, v);
                    check(&t);
                }
        }
        static const size_t ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 20, 23};
        static const size_t blk[][2] = {{1, 128}, {16, 128}, {1, 48}, {128, 128}};
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
            for (size_t bi = 0; bi < 4; bi++)
                for (int v = 0; v < 3; v++)
                    for (int kind = GEMM_F32A; kind <= GEMM_FP8; kind++) {
                        if (kind == GEMM_FP8 && v != 0) continue;
                        t = (tcase){.kind = (enum kind)kind, .fmt = f, .variant = v, .m = ms[mi], .br = blk[bi][0],
                                    .bc = blk[bi][1]};
                        snprintf(t.name, sizeof t.name, "%s B %s M=%zu blocks %zux%zu A %s",
                                 kind == GEMM_F32A ? "gemm_f32a" : "gemm", fn, t.m, t.br, t.bc,
                                 v == 0 ? "ordinary" : v == 1 ? "~1e36" : "with a quiet NaN");
                        check(&t);
                    }
    }
    printf("fpe_check: %d calls per kernel set (%d without a trap on scalar), %d failures\n", g_cases, g_clean, g_fail);
    return g_fail != 0;
}
#else
int main(void) {
    printf("fpe_check: needs glibc's feenableexcept; skipped\n");
    return 0;
}
#endif
