#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: installs what it needs, builds the C target on its own with cc, checks its
# packaging (exported symbols, the documented builds, make install + pkg-config), runs the C example
# and the C tests against it (under sanitizers too when CI=true; among them the bit-exact check against
# DeepGEMM's and DeepSeek-V3's reference quantizers), then runs every Swift test in release mode (the
# exhaustive 2^32 codec check needs optimised C; it takes about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# Every source file carries the licence's SPDX line (LICENSE: Apache-2.0).
missing=$(git ls-files 2>/dev/null | grep -E '\.(c|h|swift|py|sh|modulemap)$|^\.ci/run$' | while read -r f; do
    head -3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' || echo "$f"; done)
[ -z "$missing" ] || { echo "files without an SPDX-License-Identifier line:" >&2; echo "$missing" >&2; exit 1; }
mkdir -p .build/c
cc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -ICSupport/include $(find CSupport/src -name '*.c') -lpthread -lm -o .build/c/libfp8.so
scripts/c-packaging.sh .build/c/libfp8.so
cc -std=c11 -O2 -Wall -ICSupport/include Tests/C/example.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/example
# An unknown FP8_KERNELS value falls back to the best set and says so.
FP8_KERNELS=bogus .build/c/example | grep -q "FP8_KERNELS not honoured" || { echo "FP8_KERNELS fallback not reported" >&2; exit 1; }
FP8_KERNELS=scalar FP8_NUM_THREADS=3 .build/c/example | grep -q "kernels scalar, 3 threads" || { echo "FP8_KERNELS/FP8_NUM_THREADS not applied" >&2; exit 1; }
.build/c/example
# The C tests: bad inputs, concurrent callers while the thread count changes, fork; every kernel set
# this machine supports (the example says when FP8_KERNELS names one it does not).
for t in bad_input_test threads_test fork_test; do
    cc -std=c11 -O2 -Wall -Wextra -Werror -ICSupport/include Tests/C/$t.c -L.build/c -lfp8 -lpthread -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/$t
done
for k in $(grep -oE '^ *\{"[a-z0-9]+"' CSupport/src/runtime/dispatch.c | tr -dc 'a-z0-9\n'); do # each set of the table this machine supports
    o=$(FP8_KERNELS=$k .build/c/example) # also fails the script if the example fails
    case $o in *"not honoured"*) continue ;; esac
    for t in bad_input_test threads_test fork_test; do FP8_KERNELS=$k .build/c/$t; done
done
# CI also runs the C tests under ThreadSanitizer, ASan+UBSan and valgrind.
if [ "${CI:-}" = true ]; then scripts/sanitize.sh; fi
# FP-exception contract, allocation-free small-M GEMM, small-M GEMM regressions from the fuzzers, the
# typed GEMM (F16/BF16 A and C, bias: identities, FP64 oracle, NaN, K = 0, errors; 1 and 2 threads)
# (each runs every supported kernel set).
for t in fpe_check gemm_alloc_check gemm_small_m_check gemm_typed_check; do cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -ICSupport/include Tests/C/$t.c -L.build/c -lfp8 -lm -ldl -Wl,-rpath,"$PWD/.build/c" -o .build/c/$t; .build/c/$t; done
# The C bad-input catalogue (exact statuses, nothing written by a failed call); in CI also the fuzzers.
cc -std=c11 -O2 -Wall -Wextra -Werror -ICSupport/include Tests/C/bad_inputs.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/bad_inputs
.build/c/bad_inputs
[ "${CI:-}" != true ] || scripts/fuzz.sh 60
# bfloat16 / binary16: all 2^32 float32 inputs and all 65536 patterns against value oracles, FP8 <->
# bf16/f16, every environment (rounding modes, FTZ/DAZ, traps), ml_dtypes/numpy vectors; every set.
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -ICSupport/include Tests/C/half_test.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/half_test
.build/c/half_test
# Reference quantizers: fp8_quantize with amax_floor = 1e-4 (and true_division, UE8M0 scales) equals,
# bit for bit, DeepGEMM's per_token/per_block_cast_to_fp8 and DeepSeek-V3's act_quant as re-implemented
# by scripts/gen_quant_reference.py (fixture Tests/C/vectors/quant_reference.bin); every kernel set.
cc -std=c11 -O2 -Wall -Wextra -Werror -ICSupport/include Tests/C/quant_reference_check.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/quant_reference_check
.build/c/quant_reference_check
# Quantize from bf16/f16 sources with fp8_quant_options (amax floor, true division, static scales) and
# dequantize to bf16/f16, against value oracles, every granularity and rule; every set.
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -ICSupport/include Tests/C/quant_dtype_check.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/quant_dtype_check
.build/c/quant_dtype_check
# The bench tells the truth about its peer: started with OpenBLAS forced onto its SSE3 core, it must
# re-execute itself onto the core this CPU supports and say so in its header.
swift build -c release --product bench >/dev/null
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
    OPENBLAS_CORETYPE=Prescott .build/release/bench --only header --quick 2>/dev/null | grep -q "re-executed itself with OPENBLAS_CORETYPE=" \
        || { echo "bench did not move OpenBLAS off its Prescott core" >&2; exit 1; }
fi
# CI also builds the DocC documentation and fails on any warning (scripts/docs.sh).
[ "${CI:-}" != true ] || scripts/docs.sh
# Swift tests in release mode (the exhaustive 2^32-input sweeps need optimised code; a debug build skips
# them), XCTest only (the package has no Swift Testing suites, whose "0 tests passed" line would come
# last), ending with one summary line counted from XCTest's per-test results.
# The checkpoint tool's end-to-end test runs the built executable beside the test bundle.
swift build -c release --product fp8-ckpt >/dev/null
swift_log=$(mktemp)
set +e
swift test -c release --disable-swift-testing "$@" 2>&1 | tee "$swift_log"
swift_status=${PIPESTATUS[0]}
set -e
passed=$(grep -cE "^Test Case '.*' passed" "$swift_log" || true)
failed=$(grep -cE "^Test Case '.*' failed" "$swift_log" || true)
skipped=$(grep -cE "^Test Case '.*' skipped" "$swift_log" || true)
rm -f "$swift_log"
if [ "$swift_status" -ne 0 ] && [ "$((passed + failed + skipped))" -eq 0 ]; then
    echo "swift tests: did not run (swift test exited with status $swift_status)"
else
    echo "swift tests: $passed passed, $failed failed, $skipped skipped"
fi
exit "$swift_status"
