#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer harnesses of Tests/Fuzz and the C bad-input catalogue (Tests/C/bad_inputs.c)
# under ASan + UBSan with clang (the Swift toolchain's clang has libFuzzer; the safetensors harness is
# Swift, built with swiftc -sanitize=fuzzer,address), runs the catalogue, then
# runs each fuzzer for a bounded time and prints how many inputs each one executed.
#
#   scripts/fuzz.sh [SECONDS]        SECONDS per fuzzer, default 60 (CI: scripts/test.sh with CI=true)
#   FUZZERS="codec gemm" scripts/fuzz.sh 20     only some of them
#
# Each fuzzer starts from its committed seed corpus (Tests/Fuzz/corpus/<name>, read only) and keeps
# what it finds in .build/fuzz/corpus/<name>; a failing input is saved as .build/fuzz/crash-<name>-*
# and can be replayed with: .build/fuzz/fuzz_<name> <that file>. Exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-60}
CC=${FUZZ_CC:-clang}
ALL="codec quantize dequantize e8m0 gemm gemm_f32a gemm_typed safetensors"
FUZZERS=${FUZZERS:-$ALL}
OUT=.build/fuzz
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -O1 -g -Wall -Wextra -Werror -ICSupport/include"
mkdir -p "$OUT/obj"
# Link with lld when the toolchain has it (the system gold linker prints hundreds of warnings).
LD=""
echo 'int main(void){return 0;}' >"$OUT/ld_probe.c"
$CC -fuse-ld=lld "$OUT/ld_probe.c" -o "$OUT/ld_probe" 2>/dev/null && LD="-fuse-ld=lld"

# The library, instrumented for coverage (fuzzer-no-link) and the sanitizers; two compiles at a time.
objs=()
for src in $(find CSupport/src -name '*.c' | sort); do
    o="$OUT/obj/$(echo "${src#CSupport/src/}" | tr / _ | sed 's/\.c$/.o/')"
    rm -f "$o"
    $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$o" &
    objs+=("$o")
    [ $(( ${#objs[@]} % 2 )) -eq 0 ] && wait
done
wait
for o in "${objs[@]}"; do [ -s "$o" ] || { echo "compiling $o failed" >&2; exit 1; }; done

# The bad-input catalogue under the sanitizers.
$CC $CFLAGS $SAN $LD Tests/C/bad_inputs.c "${objs[@]}" -lpthread -lm -o "$OUT/bad_inputs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$OUT/bad_inputs" || { echo "bad_inputs (ASan+UBSan) FAILED" >&2; status=1; }

for f in $FUZZERS; do
    if [ "$f" = safetensors ]; then
        # Swift: the harness is compiled into one module with the SafeTensors sources (ASan + libFuzzer).
        swiftc -parse-as-library -module-name SafeTensorsFuzz -sanitize=fuzzer,address -O ${LD:+-use-ld=lld} \
            Sources/SafeTensors/*.swift Tests/Fuzz/fuzz_safetensors.swift -o "$OUT/fuzz_$f"
        continue
    fi
    $CC $CFLAGS $SAN $LD -fsanitize=fuzzer "Tests/Fuzz/fuzz_$f.c" "${objs[@]}" -lpthread -lm -o "$OUT/fuzz_$f"
done

summary=()
for f in $FUZZERS; do
    mkdir -p "$OUT/corpus/$f"
    log="$OUT/fuzz_$f.log"
    echo "== fuzz_$f: ${SECONDS_PER} s"
    rc=0
    "$OUT/fuzz_$f" -max_total_time="$SECONDS_PER" -timeout=30 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$OUT/crash-$f-" "$OUT/corpus/$f" "Tests/Fuzz/corpus/$f" \
        >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -A 12 'FUZZ CHECK FAILED\|ERROR: AddressSanitizer\|runtime error\|ERROR: libFuzzer' "$log" | head -40 >&2 || true
        echo "fuzz_$f FAILED (exit $rc) after ${execs:-?} executions; log: $log" >&2
        summary+=("fuzz_$f: FAILED after ${execs:-?} executions")
    else
        summary+=("fuzz_$f: ${execs:-?} executions in ${SECONDS_PER} s")
    fi
done
echo "== fuzzing summary (ASan+UBSan, $(nproc) CPUs)"
for s in "${summary[@]}"; do echo "$s"; done
exit $status
