/* SPDX-License-Identifier: Apache-2.0 */
/* status.c - names of the library's status codes. */
#include "../internal/fp8_internal.h"

const char *fp8_status_string(int status) {
    switch (status) {
    case FP8_OK: return "ok";
    case FP8_ERR_NULL_POINTER: return "a required pointer is NULL";
    case FP8_ERR_BAD_FORMAT: return "unknown FP8 format";
    case FP8_ERR_BAD_ARGUMENT: return "argument out of range";
    case FP8_ERR_BAD_SHAPE: return "invalid shape (zero block size, leading dimension < columns, or mismatched dimensions)";
    case FP8_ERR_SIZE_OVERFLOW: return "size computation overflows size_t";
    case FP8_ERR_NON_FINITE: return "input contains NaN or infinity";
    case FP8_ERR_BAD_SCALE: return "scale is not finite, positive and representable";
    case FP8_ERR_NO_MEMORY: return "out of memory";
    case FP8_ERR_UNSUPPORTED: return "kernel set unknown or not supported on this CPU";
    default: return "unknown status";
    }
}

float fp8_max_finite(fp8_format fmt) {
    return fmt == FP8_E4M3 ? FP8_E4M3_MAX : fmt == FP8_E5M2 ? FP8_E5M2_MAX : 0.0f;
}
