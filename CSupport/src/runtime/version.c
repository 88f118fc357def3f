/* SPDX-License-Identifier: Apache-2.0 */
/* version.c - fp8_version: the FP8_VERSION_* macros of fp8.h as the library was built with them. */
#include "../internal/fp8_internal.h"

#define FP8_STR_(x) #x
#define FP8_STR(x) FP8_STR_(x)

const char *fp8_version(void) {
    return FP8_STR(FP8_VERSION_MAJOR) "." FP8_STR(FP8_VERSION_MINOR) "." FP8_STR(FP8_VERSION_PATCH);
}
