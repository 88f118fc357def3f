/* SPDX-License-Identifier: Apache-2.0 */
/* C smoke test and README example: the C target used on its own, built with plain cc.
 *   cc -O2 -shared -fPIC -ICSupport/include $(find CSupport/src -name '*.c') -lpthread -lm -o libfp8.so
 *   cc -O2 -ICSupport/include Tests/C/example.c -L. -lfp8 -lm -Wl,-rpath,. -o example && ./example
 * or against an installation: cc Tests/C/example.c $(pkg-config --cflags --libs fp8) -lm -o example */
#include <fp8.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    if (fp8_kernels_env_status() != FP8_OK) printf("note: FP8_KERNELS not honoured; using %s\n", fp8_kernels());
    /* Round-trip a few values through E4M3: 464 is a tie that rounds to 448, 465 overflows. */
    const float x[4] = {0.1f, -431.99997f, 464.0f, 465.0f};
    uint8_t q[4];
    float back[4];
    if (fp8_encode_f32(FP8_E4M3, x, q, 4, /*saturate=*/0) != FP8_OK) return 1;
    fp8_decode_f32(FP8_E4M3, q, back, 4);
    for (int i = 0; i < 4; i++) printf("%g -> 0x%02X -> %g\n", x[i], q[i], back[i]);
    if (q[2] != 0x7E || q[3] != 0x7F) return 2;

    /* DeepSeek-V3 style GEMM: A [M,K] in 1x128 tiles, B [N,K] in 128x128 blocks, C = A B^T. */
    enum { M = 20, N = 130, K = 256 }; /* M > 16: the packed (micro-kernel) path */
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * N * K), *c = malloc(sizeof(float) * M * N);
    uint8_t *qa = malloc(M * K), *qb = malloc(N * K);
    float sa[M * 2], sb[2 * 2];
    for (int i = 0; i < M * K; i++) a[i] = sinf((float)i);
    for (int i = 0; i < N * K; i++) b[i] = cosf((float)i * 0.7f);
    if (fp8_quantize_f32(FP8_E4M3, a, M, K, K, 1, 128, FP8_SCALE_AMAX, qa, K, sa) ||
        fp8_quantize_f32(FP8_E4M3, b, N, K, K, 128, 128, FP8_SCALE_AMAX, qb, K, sb)) return 3;
    fp8_matrix ma = {FP8_E4M3, M, K, K, qa, sa, 1, 128}, mb = {FP8_E4M3, N, K, K, qb, sb, 128, 128};
    int st = fp8_gemm(&ma, &mb, 1.0f, 0.0f, c, N);
    if (st != FP8_OK) { printf("fp8_gemm: %s\n", fp8_status_string(st)); return 4; }
    /* Check every element against a double product of the DEQUANTIZED operands (what the GEMM computes). */
    float *da = malloc(sizeof(float) * M * K), *db = malloc(sizeof(float) * N * K);
    if (fp8_dequantize_f32(&ma, da, K) || fp8_dequantize_f32(&mb, db, K)) return 5;
    double worst = 0, unq = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double ref = 0, scale = 0;
            for (int k = 0; k < K; k++) { ref += (double)da[i * K + k] * db[j * K + k]; scale += fabs((double)da[i * K + k] * db[j * K + k]); }
            double err = fabs(c[i * N + j] - ref) / scale;
            if (!(err <= worst)) worst = err != err ? 1e300 : err; /* a NaN counts as the worst */
        }
    for (int k = 0; k < K; k++) unq += (double)a[k] * b[k];
    printf("C[0][0] = %g (unquantized inputs give %g); max error %.1e of sum|a*b|; kernels %s, %d threads\n",
           c[0], unq, worst, fp8_kernels(), fp8_num_threads());
    if (!(worst < 1e-5)) return 6;
    free(da); free(db);
    /* Bad arguments get a status, never a crash. */
    if (fp8_encode_f32((fp8_format)9, x, q, 4, 0) != FP8_ERR_BAD_FORMAT) return 7;
    free(a); free(b); free(c); free(qa); free(qb);
    return 0;
}
