#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the C library as a package (run by scripts/test.sh; argument: a libfp8.so built from
# CSupport/src with cc):
#  1. it exports exactly the functions fp8.h declares (linker-made symbols such as _end aside);
#  2. the build commands the README and fp8.h give, verbatim, build and link Tests/C/app.c (which
#     uses no libm itself, so a libfp8.so without -lm fails here);
#  3. `make -C CSupport install` into a temporary PREFIX (and a DESTDIR staging) installs fp8.h,
#     libfp8.so, libfp8.a and fp8.pc, and Tests/C/app.c and Tests/C/example.c build against it with
#     pkg-config and run; app.c also links statically against libfp8.a.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
lib=${1:-.build/c/libfp8.so}
fail() { echo "c-packaging: $*" >&2; exit 1; }

# 1. Exported symbols.
api=$(grep -vE '^ *(\*|/\*|//)' CSupport/include/fp8.h | grep -oE '\bfp8_[a-z0-9_]+\(' | tr -d '(' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -vxE '_edata|_end|__bss_start|_init|_fini' | sort -u)
extra=$(comm -13 <(echo "$api") <(echo "$exported"))
absent=$(comm -23 <(echo "$api") <(echo "$exported"))
[ -z "$extra" ] || fail "$lib exports symbols fp8.h does not declare:" $extra
[ -z "$absent" ] || fail "$lib does not export:" $absent
echo "c-packaging: $lib exports exactly the $(echo "$api" | wc -l) functions of fp8.h"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 2. The documented one-line build, verbatim from README.md and fp8.h, in a scratch directory.
doc_build='cc -O2 -shared -fPIC -ICSupport/include $(find CSupport/src -name '"'"'*.c'"'"') -lpthread -lm -o libfp8.so'
doc_link='cc -O2 -ICSupport/include app.c -L. -lfp8 -Wl,-rpath,. -o app'
for cmd in "$doc_build" "$doc_link"; do
    grep -qF -- "$cmd" README.md || fail "README.md no longer says: $cmd (update scripts/c-packaging.sh with it)"
    grep -qF -- "$cmd" CSupport/include/fp8.h || fail "fp8.h no longer says: $cmd"
done
mkdir "$tmp/doc" && ln -s "$root/CSupport" "$tmp/doc/CSupport" && cp Tests/C/app.c "$tmp/doc/app.c"
(cd "$tmp/doc" && eval "$doc_build" && eval "$doc_link" && ./app) || fail "the documented cc build failed"

# 3. make install into a temporary prefix, pkg-config, and a DESTDIR staging.
doc_make=('make -C CSupport' 'make -C CSupport install PREFIX=/usr/local' 'cc app.c $(pkg-config --cflags --libs fp8) -o app')
for cmd in "${doc_make[@]}"; do
    grep -qF -- "$cmd" README.md || fail "README.md no longer says: $cmd"
    grep -qF -- "$cmd" CSupport/include/fp8.h || fail "fp8.h no longer says: $cmd"
done
prefix="$tmp/prefix"
make -C CSupport >/dev/null
make -C CSupport install PREFIX="$prefix" >/dev/null
for f in include/fp8.h lib/libfp8.so lib/libfp8.a lib/pkgconfig/fp8.pc; do
    [ -e "$prefix/$f" ] || fail "make install did not install $f"
done
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib"
[ "$(pkg-config --modversion fp8)" = "$(sed -n 's/^#define FP8_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' CSupport/include/fp8.h | paste -sd.)" ] ||
    fail "fp8.pc's version is not fp8.h's"
cp Tests/C/app.c "$tmp/app.c"
(cd "$tmp" && cc app.c $(pkg-config --cflags --libs fp8) -o app && ./app) || fail "app.c against the installation"
cc Tests/C/example.c $(pkg-config --cflags --libs fp8) -lm -o "$tmp/example" && "$tmp/example" >/dev/null ||
    fail "example.c against the installation"
cc "$tmp/app.c" $(pkg-config --cflags fp8) "$prefix/lib/libfp8.a" $(pkg-config --libs-only-l --static fp8 | sed 's/-lfp8//') -o "$tmp/app-static" &&
    "$tmp/app-static" >/dev/null || fail "app.c against libfp8.a"
nm -D --defined-only "$prefix/lib/libfp8.so" | awk '{print $3}' | grep -q '^fp8_parallel_for$' &&
    fail "the installed libfp8.so exports internal symbols"
make -s -C CSupport install PREFIX=/usr DESTDIR="$tmp/stage" >/dev/null
[ -e "$tmp/stage/usr/lib/libfp8.so" ] && grep -qx 'prefix=/usr' "$tmp/stage/usr/lib/pkgconfig/fp8.pc" ||
    fail "make install DESTDIR=... PREFIX=/usr"
echo "c-packaging: documented cc build, make install (PREFIX, DESTDIR), pkg-config (shared and static): ok"
