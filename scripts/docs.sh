#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the DocC documentation of the FP8 module (Sources/FP8/FP8.docc and the docstrings of
# Sources/FP8) with swiftlang/swift-docc-plugin, and fails on any warning: a symbol link that does
# not resolve, a parameter left undocumented, a broken article reference, or a compiler warning.
# scripts/test.sh runs it when CI=true. The archive lands in
# .build/plugins/Swift-DocC/outputs/FP8.doccarchive; pass --output-path DIR (and other docc options)
# as arguments. The plugin resolves like the package's other dependencies (no network beyond that).
set -euo pipefail
cd "$(dirname "$0")/.."
# The C article quotes the build commands that scripts/c-packaging.sh runs verbatim from README.md and
# fp8.h; it must quote them exactly too.
article=Sources/FP8/FP8.docc/UsingTheCAPI.md
for cmd in 'make -C CSupport' 'make -C CSupport install PREFIX=/usr/local' \
    'cc app.c $(pkg-config --cflags --libs fp8) -o app' \
    'cc -O2 -shared -fPIC -ICSupport/include $(find CSupport/src -name '"'"'*.c'"'"') -lpthread -lm -o libfp8.so' \
    'cc -O2 -ICSupport/include app.c -L. -lfp8 -Wl,-rpath,. -o app'; do
    grep -qxF -- "$cmd" "$article" || { echo "docs: $article no longer quotes: $cmd" >&2; exit 1; }
    grep -qF -- "$cmd" README.md || { echo "docs: README.md no longer quotes: $cmd" >&2; exit 1; }
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift package generate-documentation --target FP8 "$@" >"$log" 2>&1 || status=$?
warnings=$(grep -cE '(^|[^a-z])(warning|error):' "$log" || true)
if [ "$status" -ne 0 ] || [ "$warnings" -ne 0 ]; then
    cat "$log" >&2
    echo "docs: FAILED (exit $status, $warnings warning or error lines above)" >&2
    exit 1
fi
grep -E '^(Generated documentation archive at:|  /)' "$log" | tail -2
echo "docs: FP8 documentation built without warnings"
