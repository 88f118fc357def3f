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
