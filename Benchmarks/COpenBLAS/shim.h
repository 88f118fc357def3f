/* SPDX-License-Identifier: Apache-2.0 */
/* OpenBLAS's CBLAS interface (pkg-config openblas), the FP32 peer used by tests and the bench. */
#include <cblas.h>
