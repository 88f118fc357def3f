#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the tests and the bench need on a fresh Debian/Ubuntu machine: OpenBLAS (the FP32
# peer, used only by tests and the bench) and pkg-config. Does nothing when they are present.
set -euo pipefail
if pkg-config --exists openblas 2>/dev/null && [ -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h -o -e /usr/include/aarch64-linux-gnu/cblas.h ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing libopenblas-dev and pkg-config with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenblas-dev pkg-config >/dev/null
