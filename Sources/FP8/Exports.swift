// SPDX-License-Identifier: Apache-2.0

// `import FP8` brings the BFloat16 type with it; `import BFloat16Module` alone gives BFloat16 without
// the FP8 kernels.
@_exported import BFloat16Module
