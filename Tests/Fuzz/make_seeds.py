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
# ... then ldx, ldq (0: = cols), NULL selector, function (>= 48: fp8_quantize, odd: _ex), bad_row/col
# selector, finiteness (0xC8: finite), source type (10 F32, 100 F16, 200 BF16), options (0: NULL,
# 0xFF: given), amax floor (10: 0, 100: 1e-4), true division (0, 200), static scales (0xFF: none,
# 40: given, 70: given and aliased by scales). These use their own generator so that the seeds
# above and the other corpora stay as they were.
rng2 = random.Random(11)


def tail2(n=24):
    return [rng2.randrange(256) for _ in range(n)]


for g, src, flo, td, sv in ((2, 200, 100, 0, 0xFF), (2, 200, 100, 200, 0xFF), (3, 200, 100, 0, 0xFF),
                            (2, 100, 10, 0, 0xFF), (4, 100, 10, 0, 0xFF), (1, 200, 100, 200, 40),
                            (2, 10, 100, 200, 0xFF), (3, 100, 10, 0, 70), (0, 200, 10, 0, 40),
                            (8, 200, 100, 0, 0xFF)):
    quant.append([g & 1, g % 3, 170, 40, 0, 1, 0xC8, 0x00, g, 0, 0, 0, 0x81 - (g & 1), 0, 0xC8, src, 0xFF, flo, td, sv]
                 + tail2())
quant.append([0, 1, 170, 40, 0, 1, 0xC8, 0x00, 2, 0, 0, 0, 0x80, 0, 0xC8, 200, 0x00] + tail2())  # NULL options
quant.append([1, 0, 170, 40, 0, 1, 0xC8, 0x00, 2, 0, 0, 0, 0x81, 0, 0x20, 100, 0xFF, 100, 0, 0xFF] + tail2())  # Inf/NaN
# 512 x 512 (big selector 0xA7 after the options): the thread pool, 1 and 3 threads compared
quant.append([0, 0, 170, 40, 0, 1, 0xC8, 0x00, 0, 0, 0, 0, 0x81, 0, 0xC8, 100, 0xFF, 100, 200, 0xFF, 0xA7] + tail2())
quant.append([1, 1, 170, 40, 0, 1, 0xC8, 0x00, 2, 0, 0, 0, 0x80, 0, 0xC8, 200, 0xFF, 100, 0, 0xFF, 0xA7] + tail2())
quant.append([0, 0, 170, 40, 0, 1, 0xC8, 0x00, 3, 0, 0, 0, 0x81, 0, 0xC8, 200, 0xFF, 10, 0, 40, 0xA7] + tail2())
write("quantize", quant)

# dequantize: format, shape selector (rows), col selector, granularity g % 9, ...
deq = [[g & 1, 170, 30, 0, 1, 0x90, 0x00, g] + tail() for g in range(9)]
# ... then ld, ldx (0: = cols), NULL selector, scale specials (200: none), function (0xFF:
# fp8_dequantize), output type (100 F16, 200 BF16)
deq += [[g & 1, 170, 30, 0, 1, 0x90, 0x00, g, 0, 0, 0, 200 if g < 3 else 10, 0xFF, dt] + tail2()
        for g in range(5) for dt in (100, 200)]
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

# gemm_typed: function (0: weight-only, 200: fp8_gemm_ex), M selector (9: 1..16, 10: 17..40) and u16,
# N selector (20: 1..24) and u16, K selector (50: 1..64, 150: 1..320, 210: 256 or 512 +- 4) and u16
# (and a byte), a_type (weight-only), c_type (10 F32, 100 F16, 200 BF16), bias (200: yes), finite
# only (0x80), scale specials (0x80: no), alpha (0: 1), beta (0: 0, 150: 1), NULL selector (0x80:
# none), B's format, ld (0: K), blocks (3: 128 x 128, 2: 1 x 128, 0: per-tensor), ldc (0: N), then
# lda (weight-only) or the inner-dimension check, A's format, ld and blocks (fp8_gemm_ex).
typed = []
for i, (op, msel, ksel, at, ct, bias, beta, bfmt, blk) in enumerate((
        (0, 9, 50, 200, 200, 200, 0, 0, 3), (0, 9, 150, 200, 200, 0, 150, 0, 3), (0, 10, 150, 200, 200, 200, 0, 0, 3),
        (0, 10, 50, 100, 100, 200, 150, 1, 2), (0, 9, 210, 100, 10, 200, 0, 0, 3), (0, 10, 210, 200, 10, 0, 150, 0, 0),
        (0, 9, 50, 10, 200, 200, 150, 1, 2), (0, 10, 50, 10, 100, 0, 0, 0, 3),
        (200, 9, 50, 0, 200, 200, 0, 0, 3), (200, 10, 150, 0, 100, 200, 150, 0, 3), (200, 9, 210, 0, 10, 200, 0, 1, 2),
        (200, 10, 50, 0, 200, 0, 150, 0, 0))):
    ks = [ksel, 100 + i, 0] + ([i % 5] if ksel == 210 else [])
    head = [op, msel, 20 + i, 0, 20, 5 + i, 0] + ks + ([at] if op == 0 else []) + [ct, bias, 0x80, 0x80, 0, beta, 0x80,
                                                                                   bfmt, 0, blk, 0]
    head += [0] if op == 0 else [0, bfmt, 0, 2]
    typed.append(head + tail2())
write("gemm_typed", typed)

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
