#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: installs what it needs, builds the C target on its own with cc (and runs the C
# example against it), then runs every Swift test in release mode (the exhaustive 2^32 codec check
# needs optimised C; it takes about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# Every source file carries the licence's SPDX line (LICENSE: Apache-2.0).
missing=$(git ls-files 2>/dev/null | grep -E '\.(c|h|swift|py|sh|modulemap)$|^\.ci/run$' | while read -r f; do
    head -3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' || echo "$f"; done)
[ -z "$missing" ] || { echo "files without an SPDX-License-Identifier line:" >&2; echo "$missing" >&2; exit 1; }
mkdir -p .build/c
cc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -ICSupport/include $(find CSupport/src -name '*.c') -lpthread -o .build/c/libfp8.so
cc -std=c11 -O2 -Wall -ICSupport/include Tests/C/example.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/example
# An unknown FP8_KERNELS value falls back to the best set and says so.
FP8_KERNELS=bogus .build/c/example | grep -q "FP8_KERNELS not honoured" || { echo "FP8_KERNELS fallback not reported" >&2; exit 1; }
FP8_KERNELS=scalar FP8_NUM_THREADS=3 .build/c/example | grep -q "kernels scalar, 3 threads" || { echo "FP8_KERNELS/FP8_NUM_THREADS not applied" >&2; exit 1; }
.build/c/example
for t in fpe_check gemm_alloc_check; do cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -ICSupport/include Tests/C/$t.c -L.build/c -lfp8 -lm -ldl -Wl,-rpath,"$PWD/.build/c" -o .build/c/$t; .build/c/$t; done
# The C bad-input catalogue (exact statuses, nothing written by a failed call); in CI also the fuzzers.
cc -std=c11 -O2 -Wall -Wextra -Werror -ICSupport/include Tests/C/bad_inputs.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/bad_inputs
.build/c/bad_inputs
[ "${CI:-}" != true ] || scripts/fuzz.sh 60
swift test -c release "$@"
