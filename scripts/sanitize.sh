#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the C library with the C tests under clang's sanitizers and runs them (scripts/test.sh calls
# this when CI=true; about a minute):
#  - ThreadSanitizer: threads_test (concurrent callers while the thread count changes and the pool is
#    released) and fork_test (fork while another thread is inside the pool);
#  - AddressSanitizer + UndefinedBehaviorSanitizer (aborting on the first report): bad_input_test,
#    threads_test, fork_test and example, with every kernel set this machine supports, half_test
#    (bf16/f16 conversions, all sets, without its 2^32 sweep) and quant_reference_check (all sets);
#  - valgrind, when installed: threads_test must end with no leak of any kind, in particular no
#    "possibly lost" pool thread (it calls fp8_release_threads at the end).
# clang: $CLANG, else the one next to `swift` (the toolchain's has every sanitizer runtime), else
# `clang` on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CLANG:-}" ]; then
    swift_bin=$(command -v swift 2>/dev/null || true)
    if [ -n "$swift_bin" ] && [ -x "$(dirname "$(readlink -f "$swift_bin")")/clang" ]; then
        CLANG="$(dirname "$(readlink -f "$swift_bin")")/clang"
    else
        CLANG=clang
    fi
fi
out=.build/sanitize
mkdir -p "$out"
src=$(find CSupport/src -name '*.c')
tests="bad_input_test threads_test fork_test example"
flags="-std=c11 -O1 -g -fno-omit-frame-pointer -ICSupport/include"

# The toolchain's static TSan runtime also intercepts libdispatch; link it when the runtime needs it.
tsan_libs=""
echo 'int main(void){return 0;}' > "$out/empty.c"
if ! "$CLANG" -fsanitize=thread "$out/empty.c" -o "$out/empty" 2>/dev/null; then
    rt=$(dirname "$(dirname "$(readlink -f "$CLANG")")")/lib/swift/linux
    tsan_libs="-L$rt -ldispatch -lBlocksRuntime -Wl,-rpath,$rt"
fi

# lib NAME FLAGS...: the library's objects built once with FLAGS, as $out/NAME/libfp8.a.
lib() {
    local name=$1; shift
    rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
    for f in $src; do
        o="$out/$name/$(echo "${f#CSupport/src/}" | tr / _).o"
        "$CLANG" $flags "$@" -c "$f" -o "$o" &
    done
    wait
    ar rcs "$out/$name/libfp8.a" "$out/$name"/*.o
}

echo "sanitize: ThreadSanitizer ($CLANG)"
lib tsan -fsanitize=thread
for t in threads_test fork_test; do
    # shellcheck disable=SC2086
    "$CLANG" $flags -fsanitize=thread Tests/C/$t.c "$out/tsan/libfp8.a" -lpthread -lm $tsan_libs -o "$out/tsan_$t"
done
export TSAN_OPTIONS="halt_on_error=1 die_after_fork=0 exitcode=66"
"$out/tsan_threads_test" 10
"$out/tsan_fork_test"

echo "sanitize: AddressSanitizer + UndefinedBehaviorSanitizer"
asan="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# shellcheck disable=SC2086
lib asan $asan
for t in $tests; do
    # shellcheck disable=SC2086
    "$CLANG" $flags $asan Tests/C/$t.c "$out/asan/libfp8.a" -lpthread -lm -o "$out/asan_$t" \
        2> >(grep -v 'Cannot export local symbol' >&2)
done
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for k in $(grep -oE '^ *\{"[a-z0-9]+"' CSupport/src/runtime/dispatch.c | tr -dc 'a-z0-9\n'); do # each set of the table this machine supports
    o=$(FP8_KERNELS=$k "$out/asan_example") # also fails the script if the example fails
    case $o in *"not honoured"*) continue ;; esac
    for t in bad_input_test threads_test fork_test; do FP8_KERNELS=$k "$out/asan_$t"; done
done
# bf16 / f16 conversions (half_test switches through every supported set itself; quick: no 2^32 sweep).
# shellcheck disable=SC2086
"$CLANG" $flags -D_GNU_SOURCE $asan Tests/C/half_test.c "$out/asan/libfp8.a" -lpthread -lm -o "$out/asan_half_test" \
    2> >(grep -v 'Cannot export local symbol' >&2)
"$out/asan_half_test" quick
# fp8_quantize from f32/f16/bf16 with strided rows and every option against the reference quantizers
# (switches through every supported set itself).
# shellcheck disable=SC2086
"$CLANG" $flags $asan Tests/C/quant_reference_check.c "$out/asan/libfp8.a" -lpthread -lm -o "$out/asan_quant_reference_check" \
    2> >(grep -v 'Cannot export local symbol' >&2)
"$out/asan_quant_reference_check"

if command -v valgrind >/dev/null; then
    echo "sanitize: valgrind (no leaks, no possibly lost thread)"
    # shellcheck disable=SC2086
    cc -std=c11 -O2 -g -ICSupport/include $src Tests/C/threads_test.c -lpthread -lm -o "$out/plain_threads_test"
    valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=9 \
        "$out/plain_threads_test" 1
fi
echo "sanitize: all clean"
