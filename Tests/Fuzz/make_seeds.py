#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the committed seed corpus Tests/Fuzz/corpus/<fuzzer>/ (run from the repository root).

Each harness reads its parameters from the first bytes of the input (see the LLVMFuzzerTestOneInput
of each) and continues with a PRNG seeded from the whole input once the bytes run out, so a seed is
a short prefix that picks an operation, format, rule or shape, followed by a few fixed bytes."""
import os
import random

rng = random.Random(9)
OUT = "Tests/Fuzz/corpus"


def write(name, seeds):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    for i, s in enumerate(seeds):
        with open(os.path.join(d, "seed-%02d" % i), "wb") as fh:
            fh.write(bytes(s))


def tail(n=24):
    return [rng.randrange(256) for _ in range(n)]


# codec: op (encode f32, decode, encode f64, stochastic), format, saturate, FTZ/DAZ, count selector
codec = []
for op in range(4):
    for fmt in range(2):
        codec.append([op, fmt, op & 1, 0x20 if fmt else 0x90, 16 + 20 + op, 0] + tail())
codec.append([0, 0, 0, 0x90, 200, 0x40, 0x02, 0] + tail())  # a long run (n from a u16)
codec.append([3, 1, 1, 0x10, 200, 0x90, 0x01, 0] + tail())
write("codec", codec)

# quantize: format, rule, shape selector (rows), col selector, granularity g % 10
quant = []
for g in range(10):
    quant.append([g & 1, g % 3, 170, 40, 0, 1, 0xC8, 0x00, g] + tail())
quant.append([0, 2, 20, 3, 0, 0, 0x40, 0x00, 4] + tail())   # MX 1 x 32
quant.append([1, 0, 20, 2, 0, 0, 0x2C, 0x01, 3] + tail())   # 128 x 128
write("quantize", quant)

# dequantize: format, shape selector (rows), col selector, granularity g % 9, ...
deq = [[g & 1, 170, 30, 0, 1, 0x90, 0x00, g] + tail() for g in range(9)]
write("dequantize", deq)

# e8m0: export / import, count selector, NULL selector, badness
e8 = [[1, 60, 0, 200] + tail(), [1, 60, 0, 10] + tail(), [0, 60, 0, 200] + tail(), [0, 60, 0, 10] + tail(),
      [1, 0, 0, 0] + tail(), [0, 130, 0x20, 0x01, 0, 5] + tail()]
write("e8m0", e8)

# gemm / gemm_f32a: M selector (odd: 1..16, even: 17..40), N selector, K selector, ...
gemm = []
for msel in (9, 11, 13, 10, 12):
    for ksel in (50, 150, 210):
        gemm.append([msel, 20, 5, 0, ksel, 100, 0, 0x80, 0x20] + tail())
write("gemm", gemm)
write("gemm_f32a", [list(s) for s in gemm])

# safetensors (Swift harness): whole small files, valid per the format (8-byte little-endian header
# length, compact JSON padded with spaces to a multiple of 8, tensors covering the data exactly).
import json
import struct


def safetensors_file(tensors, meta=None):
    hdr = {"__metadata__": meta} if meta else {}
    off, data = 0, b""
    for name, dtype, shape, raw in tensors:
        hdr[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        data += raw
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


write("safetensors", [
    safetensors_file([]),
    safetensors_file([("a", "F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4))]),
    safetensors_file([("w", "F8_E4M3", [2, 3], bytes(range(6))),
                      ("w_scale_inv", "F32", [1, 1], struct.pack("<f", 0.5))], {"format": "pt"}),
    safetensors_file([("b", "BF16", [3], b"\x80\x3f" * 3), ("e", "F8_E8M0", [2], b"\x7f\x80"),
                      ("z", "I64", [0], b""), ("m", "BOOL", [1], b"\x01")]),
])
