/* SPDX-License-Identifier: Apache-2.0 */
/* quant_scalar.c - portable quantization building blocks (kernel set "scalar"). */
#include "../../internal/fp8_internal.h"

static uint32_t amax_bits_scalar(const float *x, size_t n) {
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = fp8_bits_from_f32(x[i]) & 0x7FFFFFFF;
        m = a > m ? a : m;
    }
    return m;
}

static void scale_encode_scalar(fp8_format fmt, const float *x, uint8_t *q, size_t n, float inv_scale) {
    for (size_t i = 0; i < n; i++) q[i] = fp8_encode1(fmt, x[i] * inv_scale, 1);
}

static void scale_encode_div_scalar(fp8_format fmt, const float *x, uint8_t *q, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) q[i] = fp8_encode1(fmt, x[i] / scale, 1);
}

static void scale_decode_scalar(fp8_format fmt, const uint8_t *q, float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = fp8_decode1(fmt, q[i]) * scale;
}

const fp8_quant_kernels fp8_quant_scalar = {amax_bits_scalar, scale_encode_scalar, scale_encode_div_scalar,
                                           scale_decode_scalar, NULL, NULL, NULL, NULL, NULL};
