#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-checks the NEON kernel set on this x86-64 machine: builds the C target for AArch64 and runs,
# under qemu-aarch64, (1) Tests/C/neon_check.c (NEON vs scalar codec/quant kernels, bit for bit, under
# every FPCR rounding/flush mode; `exhaustive` as first argument covers all 2^32 inputs, ~6 min),
# (2) Tests/C/example.c with the NEON set (GEMM smoke test) and (3) the F16/BF16 checks on the scalar
# and NEON sets: quant_reference_check (DeepGEMM / DeepSeek-V3 reference quantizers, bit for bit),
# quant_dtype_check and gemm_typed_check (about 5 minutes under qemu). Installs the cross tools when
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
    echo "installing qemu-user and the aarch64 cross compiler with apt-get" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
fi
out=.build/neon
mkdir -p "$out"
src=$(find CSupport/src -name '*.c')
aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Werror -static -ICSupport/include $src Tests/C/neon_check.c -lpthread -o "$out/neon_check"
aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -static -ICSupport/include $src Tests/C/example.c -lpthread -lm -o "$out/example"
qemu-aarch64 "$out/neon_check" "$@"
FP8_KERNELS=neon qemu-aarch64 "$out/example"
for t in quant_reference_check quant_dtype_check gemm_typed_check; do
    aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Werror -static -D_GNU_SOURCE -ICSupport/include $src Tests/C/$t.c -lpthread -lm -o "$out/$t"
    qemu-aarch64 "$out/$t" | tail -1
done
