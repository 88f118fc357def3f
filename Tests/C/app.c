/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app.c - the smallest C program against libfp8, built by scripts/test.sh with exactly the commands
 * the README and fp8.h give (the one-line cc build, and make install + pkg-config). It uses nothing
 * from libm itself, so a libfp8.so built without -lm fails to link here (issue 9, fault 6).
 */
#include <fp8.h>
#include <stdio.h>

int main(void) {
    const float x[4] = {1.0f, -431.99997f, 464.0f, 465.0f};
    uint8_t q[4];
    float back[4];
    if (fp8_encode_f32(FP8_E4M3, x, q, 4, 0) != FP8_OK || fp8_decode_f32(FP8_E4M3, q, back, 4) != FP8_OK) return 1;
    /* OCP E4M3 (bias 7): 1 = 0.0111.000 = 0x38; -431.99997 is below the midpoint 432 of 416 (0.1111.101)
     * and 448, so -416 = 0xFD; 464 ties to even 448 = 0x7E; 465 overflows to NaN 0x7F. */
    if (q[0] != 0x38 || q[1] != 0xFD || q[2] != 0x7E || q[3] != 0x7F || back[2] != 448.0f) return 2;
    /* C[1 x 2] = A[1 x 4] * deq(B)[2 x 4]^T with every code 0x38 (1.0) and scale 0.5: 2 = 4 * 0.5. */
    const float a[4] = {1, 1, 1, 1}, sb = 0.5f;
    const uint8_t b[8] = {0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38, 0x38};
    fp8_matrix mb = {FP8_E4M3, 2, 4, 4, b, &sb, 2, 4};
    float c[2];
    if (fp8_gemm_f32a(1, a, 4, &mb, 1.0f, 0.0f, c, 2) != FP8_OK || c[0] != 2.0f || c[1] != 2.0f) return 3;
    printf("libfp8 %s (%s kernels): ok\n", fp8_version(), fp8_kernels());
    return 0;
}
