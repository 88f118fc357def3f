#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The bench: installs what it needs, then `swift run -c release bench` (pass --quick, --json FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
swift run -c release bench "$@"
