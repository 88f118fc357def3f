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
.build/c/example
swift test -c release "$@"
