#!/usr/bin/env bash
# The test command: installs what it needs, builds the C target on its own with cc (and runs the C
# example against it), then runs every Swift test in release mode (the exhaustive 2^32 codec check
# needs optimised C; it takes about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
mkdir -p .build/c
cc -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -ICSupport/include $(find CSupport/src -name '*.c') -lpthread -o .build/c/libfp8.so
cc -std=c11 -O2 -Wall -ICSupport/include Tests/C/example.c -L.build/c -lfp8 -lm -Wl,-rpath,"$PWD/.build/c" -o .build/c/example
# An unknown FP8_KERNELS value falls back to the best set and says so.
FP8_KERNELS=bogus .build/c/example | grep -q "FP8_KERNELS not honoured" || { echo "FP8_KERNELS fallback not reported" >&2; exit 1; }
FP8_KERNELS=scalar FP8_NUM_THREADS=3 .build/c/example | grep -q "kernels scalar, 3 threads" || { echo "FP8_KERNELS/FP8_NUM_THREADS not applied" >&2; exit 1; }
.build/c/example
swift test -c release "$@"
