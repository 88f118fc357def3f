# SPDX-License-Identifier: Apache-2.0
"""Independent oracle for the fp8-ckpt tests (numpy + ml_dtypes; safetensors parsed/written by hand here,
since the safetensors package's numpy API has no FP8 dtypes).

  ckpt_oracle.py make DIR [variant]   writes a small DeepSeek-style sharded checkpoint
  ckpt_oracle.py check IN OUT DTYPE   dequantizes IN with numpy and compares OUT bit for bit; prints JSON
"""
import json, os, struct, sys
import numpy as np
import ml_dtypes

DT = {"F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16,
      "F8_E4M3": ml_dtypes.float8_e4m3fn, "F8_E5M2": ml_dtypes.float8_e5m2, "I64": np.int64}
NAME = {np.dtype(v): k for k, v in DT.items()}


def write_st(path, tensors, metadata=None):
    header, off, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": NAME[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_st(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + end], dtype=DT[e["dtype"]]).reshape(e["shape"])
    return out, meta


def fp8_codes(rng, shape, dtype):
    codes = rng.integers(0, 256, size=shape, dtype=np.uint8)
    a = codes.view(dtype)
    codes[np.isnan(a.astype(np.float32)) | np.isinf(a.astype(np.float32))] = 0x20
    return codes.view(dtype)


def make(d, variant="good"):
    rng = np.random.default_rng(12)
    os.makedirs(d, exist_ok=True)
    bs = 128
    s1 = {
        "model.layers.0.self_attn.q_proj.weight": fp8_codes(rng, (200, 300), ml_dtypes.float8_e4m3fn),
        "model.layers.0.self_attn.q_proj.weight_scale_inv": rng.uniform(1e-4, 1e-1, (2, 3)).astype(np.float32),
        "model.layers.0.input_layernorm.weight": rng.standard_normal(300).astype(ml_dtypes.bfloat16),
        "model.embed_tokens.weight": rng.standard_normal((10, 300)).astype(ml_dtypes.bfloat16),
    }
    s2 = {
        "model.layers.0.mlp.down_proj.weight": fp8_codes(rng, (130, 129), ml_dtypes.float8_e4m3fn),
        "model.layers.0.mlp.down_proj.weight_scale_inv": rng.uniform(1e-4, 1e-1, (2, 2)).astype(np.float32),
        # Llama/Qwen style: per-channel and per-tensor X_scale (+ a static input_scale, dropped)
        "model.layers.0.mlp.up_proj.weight": fp8_codes(rng, (64, 40), ml_dtypes.float8_e4m3fn),
        "model.layers.0.mlp.up_proj.weight_scale": rng.uniform(1e-3, 1.0, (64, 1)).astype(np.float32),
        "model.layers.0.mlp.gate_proj.weight": fp8_codes(rng, (40, 64), ml_dtypes.float8_e5m2),
        "model.layers.0.mlp.gate_proj.weight_scale": np.array(0.0371, dtype=np.float32),
        "model.layers.0.mlp.gate_proj.input_scale": np.array(0.5, dtype=np.float32),
        "lm_head.weight": rng.standard_normal((10, 300)).astype(np.float32),
    }
    if variant == "nan":  # for inspect only: NaN and Inf codes
        q = s1["model.layers.0.self_attn.q_proj.weight"].view(np.uint8).copy()
        q[0, :5] = 0x7F
        q[1, :3] = 0xFF
        s1["model.layers.0.self_attn.q_proj.weight"] = q.view(ml_dtypes.float8_e4m3fn)
        g = s2["model.layers.0.mlp.gate_proj.weight"].view(np.uint8).copy()
        g[0, :4] = 0x7C
        g[1, :2] = 0xFE
        g[2, :1] = 0x7D
        s2["model.layers.0.mlp.gate_proj.weight"] = g.view(ml_dtypes.float8_e5m2)
    if variant == "badshape":
        s1["model.layers.0.self_attn.q_proj.weight_scale_inv"] = np.ones((2, 2), np.float32)
    if variant == "badchannel":
        s2["model.layers.0.mlp.up_proj.weight_scale"] = np.ones((40, 1), np.float32)
    if variant == "orphan":
        del s1["model.layers.0.self_attn.q_proj.weight"]
    if variant == "noscale":
        del s2["model.layers.0.mlp.down_proj.weight_scale_inv"]
    shards = {"model-00001-of-00002.safetensors": s1, "model-00002-of-00002.safetensors": s2}
    wm = {}
    for fn, ts in shards.items():
        write_st(os.path.join(d, fn), ts, {"format": "pt"})
        wm.update({k: fn for k in ts})
    if variant == "wrongindex":
        wm["lm_head.weight"] = "model-00001-of-00002.safetensors"
    json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, open(os.path.join(d, "model.safetensors.index.json"), "w"))
    json.dump({"model_type": "deepseek_v3", "hidden_size": 300,
               "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                       "weight_block_size": [bs] if variant == "badconfig" else [bs, bs]}},
              open(os.path.join(d, "config.json"), "w"))
    open(os.path.join(d, "tokenizer.json"), "w").write('{"version": "1.0", "model": {"type": "BPE"}}\n')
    if variant == "truncated":
        p = os.path.join(d, "model-00002-of-00002.safetensors")
        data = open(p, "rb").read()
        open(p, "wb").write(data[:-100])


def make_dense(d, variant="good"):
    """A small unquantized checkpoint (BF16, F32, F16 linears; embedding, norm, router, head), 2 shards."""
    rng = np.random.default_rng(7)
    os.makedirs(d, exist_ok=True)
    s1 = {
        "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((200, 300)).astype(ml_dtypes.bfloat16),
        "model.layers.0.self_attn.o_proj.weight": (rng.standard_normal((130, 129)) * 1e-3).astype(np.float32),
        "model.layers.0.input_layernorm.weight": rng.standard_normal(300).astype(ml_dtypes.bfloat16),
        "model.embed_tokens.weight": rng.standard_normal((10, 300)).astype(ml_dtypes.bfloat16),
    }
    up = rng.standard_normal((64, 40)).astype(np.float16)
    up[:, :8] = 0  # a block column of zeros: amax floor
    if variant == "nan":
        up[3, 5] = np.inf
    s2 = {
        "model.layers.0.mlp.up_proj.weight": up,
        "model.layers.0.mlp.gate.weight": rng.standard_normal((8, 300)).astype(ml_dtypes.bfloat16),
        "model.layers.0.mlp.up_proj.bias": rng.standard_normal(64).astype(np.float32),
        "lm_head.weight": rng.standard_normal((10, 300)).astype(ml_dtypes.bfloat16),
    }
    wm = {}
    for fn, ts in {"model-00001-of-00002.safetensors": s1, "model-00002-of-00002.safetensors": s2}.items():
        write_st(os.path.join(d, fn), ts, {"format": "pt"})
        wm.update({k: fn for k in ts})
    json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, open(os.path.join(d, "model.safetensors.index.json"), "w"))
    json.dump({"model_type": "llama"}, open(os.path.join(d, "config.json"), "w"))
    open(os.path.join(d, "tokenizer.json"), "w").write("{}\n")


def ceil_to_ue8m0(s):
    b = s.view(np.uint32)
    e = (b >> 23) & 0xFF
    e = e + ((b & 0x7FFFFF) != 0)
    return (e.astype(np.uint32) << 23).view(np.float32)


def check_quant(src, out, rule, b0, b1):
    """DeepGEMM per_block_cast_to_fp8 in numpy: amax = max(|x|, 1e-4) per block, s = fl32(amax / 448)
    (pow2: rounded up to a power of two), q = e4m3(fl32(x * fl32(1 / s)))."""
    quantized = {"model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                 "model.layers.0.mlp.up_proj.weight"}
    idx = json.load(open(os.path.join(src, "model.safetensors.index.json")))["weight_map"]
    problems, n_q = [], 0
    for fn in sorted(set(idx.values())):
        ins, _ = read_st(os.path.join(src, fn))
        got, _ = read_st(os.path.join(out, fn))
        want = {}
        for name, a in ins.items():
            if name not in quantized:
                want[name] = a
                continue
            x = a.astype(np.float32)
            n, k = x.shape
            nb0, nb1 = -(-n // b0), -(-k // b1)
            pad = np.zeros((nb0 * b0, nb1 * b1), np.float32)
            pad[:n, :k] = x
            v = pad.reshape(nb0, b0, nb1, b1)
            amax = np.maximum(np.abs(v).max(axis=(1, 3)), np.float32(1e-4))
            s = (amax / np.float32(448)).astype(np.float32)
            if rule == "pow2":
                s = ceil_to_ue8m0(s)
            r = (np.float32(1) / s).astype(np.float32)
            y = (v * r[:, None, :, None]).astype(np.float32)
            y = np.clip(y, -448, 448).reshape(nb0 * b0, nb1 * b1)[:n, :k]
            want[name] = y.astype(ml_dtypes.float8_e4m3fn)
            want[name + "_scale_inv"] = s
            n_q += 1
        for name, e in want.items():
            g = got.get(name)
            if g is None or g.dtype != e.dtype or g.shape != e.shape or g.tobytes() != e.tobytes():
                bad = None if g is None or g.shape != e.shape else int((g.view(np.uint8) != e.view(np.uint8)).sum())
                problems.append(f"{name}: differs ({None if g is None else (g.dtype, g.shape)} vs {(e.dtype, e.shape)}; {bad} bytes)")
        problems += [f"{name}: unexpected" for name in got if name not in want]
    cfg = json.load(open(os.path.join(out, "config.json")))
    qc = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [b0, b1]}
    if rule == "pow2":
        qc["scale_fmt"] = "ue8m0"
    if cfg.get("quantization_config") != qc or cfg.get("model_type") != "llama":
        problems.append(f"config: {cfg}")
    print(json.dumps({"problems": problems, "quantized": n_q}))


def check(src, out, dtype):
    """numpy reference of DeepSeek-V3 weight_dequant: (f32(q) * s per block).to(dtype)."""
    odt = {"bf16": ml_dtypes.bfloat16, "f16": np.float16, "f32": np.float32}[dtype]
    idx = json.load(open(os.path.join(src, "model.safetensors.index.json")))["weight_map"]
    cfg = json.load(open(os.path.join(src, "config.json")))
    b0, b1 = cfg["quantization_config"]["weight_block_size"]
    ins = {}
    for fn in sorted(set(idx.values())):
        ins[fn], _ = read_st(os.path.join(src, fn))
    problems, exp_map, nt = [], {}, 0
    for fn, ts in ins.items():
        got, meta = read_st(os.path.join(out, fn))
        if meta != {"format": "pt"}:
            problems.append(f"{fn}: metadata {meta}")
        expect = {}
        for name, a in ts.items():
            if name.endswith("_scale_inv") or name.endswith("_scale"):
                continue
            if a.dtype in (np.dtype(ml_dtypes.float8_e4m3fn), np.dtype(ml_dtypes.float8_e5m2)):
                q = a.astype(np.float32)
                n, k = q.shape
                if name + "_scale_inv" in ts:
                    s = ts[name + "_scale_inv"]
                    sf = np.repeat(np.repeat(s, b0, axis=0), b1, axis=1)[:n, :k]
                else:
                    s = ts[name + "_scale"]
                    sf = np.broadcast_to(s.reshape(-1, 1) if s.size > 1 else s.reshape(1, 1), (n, k))
                expect[name] = (q * sf.astype(np.float32)).astype(odt)
            else:
                expect[name] = a
        for name, e in expect.items():
            g = got.get(name)
            if g is None:
                problems.append(f"{name}: missing")
            elif g.dtype != e.dtype or g.shape != e.shape or g.tobytes() != e.tobytes():
                problems.append(f"{name}: differs ({g.dtype}{g.shape} vs {e.dtype}{e.shape})")
            exp_map[name] = fn
            nt += 1
        for name in got:
            if name not in expect:
                problems.append(f"{name}: unexpected in output")
    oidx = json.load(open(os.path.join(out, "model.safetensors.index.json")))
    if oidx["weight_map"] != exp_map:
        problems.append(f"index weight_map differs: {oidx['weight_map']}")
    ocfg = json.load(open(os.path.join(out, "config.json")))
    cfg.pop("quantization_config")
    if ocfg != cfg:
        problems.append(f"config differs: {ocfg}")
    if open(os.path.join(out, "tokenizer.json")).read() != open(os.path.join(src, "tokenizer.json")).read():
        problems.append("tokenizer.json differs")
    print(json.dumps({"problems": problems, "tensors": nt}))


def stats(src):
    """Per FP8 tensor: NaN/Inf/+-max code counts, zero fraction, scale range (what inspect reports)."""
    idx = json.load(open(os.path.join(src, "model.safetensors.index.json")))["weight_map"]
    ts = {}
    for fn in sorted(set(idx.values())):
        ts.update(read_st(os.path.join(src, fn))[0])
    out = {}
    for name, a in ts.items():
        if a.dtype not in (np.dtype(ml_dtypes.float8_e4m3fn), np.dtype(ml_dtypes.float8_e5m2)):
            continue
        f = a.astype(np.float32)
        mx = float(ml_dtypes.finfo(a.dtype).max)
        s = ts.get(name + "_scale_inv", ts.get(name + "_scale"))
        out[name] = {"nan": int(np.isnan(f).sum()), "inf": int(np.isinf(f).sum()),
                     "posMax": int((f == mx).sum()), "negMax": int((f == -mx).sum()),
                     "zero": float((f == 0).sum()) / f.size,
                     "scaleMin": float(s.min()), "scaleMax": float(s.max())}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "good")
    elif sys.argv[1] == "make_dense":
        make_dense(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "good")
    elif sys.argv[1] == "check_quant":
        check_quant(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif sys.argv[1] == "stats":
        stats(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
