# SPDX-License-Identifier: Apache-2.0
"""Independent oracle for the fp8-ckpt tests (numpy + ml_dtypes; safetensors parsed/written by hand here,
since the safetensors package's numpy API has no FP8 dtypes).

  ckpt_oracle.py make DIR [variant]     writes a small DeepSeek-style sharded checkpoint (variants: damaged ones)
  ckpt_oracle.py make_dense DIR [variant]  a small unquantized checkpoint
  ckpt_oracle.py check IN OUT DTYPE     dequantizes IN with numpy and compares OUT bit for bit; prints JSON
  ckpt_oracle.py check_quant IN OUT RULE B0 B1 [FMT]   quantizes IN with numpy and compares OUT bit for bit
  ckpt_oracle.py check_roundtrip IN OUT FMT RULE B0 B1 DTYPE   quantizes then dequantizes IN with numpy and
                                        compares OUT (the tool's dequantize of its quantize) bit for bit
  ckpt_oracle.py st_load DIR            opens every shard of DIR with the safetensors package (numpy)
  ckpt_oracle.py stats IN               FP8 code statistics (what inspect reports)

The rules are written here from the tool's documentation (README, the docstrings' prose), not from its code:
dequantize: every FP8 tensor X with X_scale_inv (block grid from config.json weight_block_size, default
128x128) or X_scale (per tensor [] / [1], or per channel [N, 1]) becomes dtype(f32(q) * s); X_scale_inv /
X_scale beside an FP8 X and P.input_scale beside an FP8 P.weight are dropped; everything else is copied.
quantize: every tensor whose name ends in ".weight", 2-D, BF16/F16/F32, not empty, and matching none of the
default exclude patterns (case-insensitive search) becomes FP8 + X_scale_inv, DeepGEMM per_block_cast_to_fp8.
"""
import json, os, re, struct, sys
import numpy as np
import ml_dtypes

DT = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16,
      "F8_E4M3": ml_dtypes.float8_e4m3fn, "F8_E5M2": ml_dtypes.float8_e5m2, "I64": np.int64}
NAME = {np.dtype(v): k for k, v in DT.items()}
DT["F8_E8M0"] = np.uint8  # read as raw bytes; written as ("F8_E8M0", uint8 array)
FP8 = (np.dtype(ml_dtypes.float8_e4m3fn), np.dtype(ml_dtypes.float8_e5m2))


def write_st(path, tensors, metadata=None):
    """Tensors: name -> array, or name -> (dtype name, array) for a dtype numpy lacks (F8_E8M0)."""
    header, off, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        dname, a = a if isinstance(a, tuple) else (NAME[a.dtype], a)
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dname, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
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
    if variant == "scaledtype":  # F64 is not a scale dtype
        s1["model.layers.0.self_attn.q_proj.weight_scale_inv"] = rng.uniform(1e-4, 1e-1, (2, 3))
    if variant == "e8m0nan":  # E8M0 scales are fine, but 0xFF is NaN
        e = np.full((2, 3), 120, np.uint8)
        e[1, 0] = 0xFF
        s1["model.layers.0.self_attn.q_proj.weight_scale_inv"] = ("F8_E8M0", e)
    if variant == "negscale":
        s2["model.layers.0.mlp.down_proj.weight_scale_inv"][1, 0] = -0.5
    if variant == "nanscale":
        s2["model.layers.0.mlp.up_proj.weight_scale"][5, 0] = np.nan
    if variant == "infscale":
        s2["model.layers.0.mlp.up_proj.weight_scale"][7, 0] = np.inf
    if variant == "zeroscale":
        s2["model.layers.0.mlp.gate_proj.weight_scale"] = np.array(0.0, dtype=np.float32)
    if variant == "fp8_1d":  # an FP8 tensor with a scale must be a 2-D weight
        s1["model.layers.0.self_attn.k_proj.weight"] = fp8_codes(rng, (300,), ml_dtypes.float8_e4m3fn)
        s1["model.layers.0.self_attn.k_proj.weight_scale"] = np.array(0.5, dtype=np.float32)
    if variant == "scale_on_bf16":  # a block scale beside a weight that is not FP8
        s1["model.embed_tokens.weight_scale_inv"] = np.ones((1, 3), np.float32)
    shards = {"model-00001-of-00002.safetensors": s1, "model-00002-of-00002.safetensors": s2}
    wm = {}
    for fn, ts in shards.items():
        write_st(os.path.join(d, fn), ts, {"format": "pt"})
        wm.update({k: fn for k in ts})
    if variant == "wrongindex":
        wm["lm_head.weight"] = "model-00001-of-00002.safetensors"
    if variant == "missingshard":  # the index names a shard that is not there
        wm["model.layers.1.mlp.down_proj.weight"] = "model-00003-of-00003.safetensors"
    json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, open(os.path.join(d, "model.safetensors.index.json"), "w"))
    block = {"badconfig": [bs], "blockmismatch": [64, 64]}.get(variant, [bs, bs])
    json.dump({"model_type": "deepseek_v3", "hidden_size": 300,
               "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                       "weight_block_size": block}},
              open(os.path.join(d, "config.json"), "w"))
    open(os.path.join(d, "tokenizer.json"), "w").write('{"version": "1.0", "model": {"type": "BPE"}}\n')
    damage(d, variant)


def rewrite_shard(path, edit):
    """Re-serializes a shard after edit(header, data) -> (header, data) (header a dict, data the data section)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, data = edit(json.loads(raw[8:8 + n]), raw[8 + n:])
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)


def damage(d, variant):
    """File-level damage of a made checkpoint (shard 2 holds, in data order: down_proj.weight [130, 129] F8,
    its _scale_inv, up_proj.weight, its _scale, gate_proj.weight, its _scale, gate_proj.input_scale, lm_head)."""
    p = os.path.join(d, "model-00002-of-00002.safetensors")
    down = "model.layers.0.mlp.down_proj.weight"

    def overlap(h, data):  # the scale starts 8 bytes inside the weight
        b, e = h[down + "_scale_inv"]["data_offsets"]
        h[down + "_scale_inv"]["data_offsets"] = [b - 8, e - 8]
        return h, data

    def hole(h, data):  # 8 unused bytes before the scale
        cut = h[down]["data_offsets"][1]
        for k, v in h.items():
            if k != "__metadata__" and v["data_offsets"][0] >= cut:
                v["data_offsets"] = [v["data_offsets"][0] + 8, v["data_offsets"][1] + 8]
        return h, data[:cut] + bytes(8) + data[cut:]

    def bytecount(h, data):  # the shape says 130 x 128 codes, the offsets hold 130 x 129
        h[down]["shape"] = [130, 128]
        return h, data

    def unknowndtype(h, data):
        h["lm_head.weight"]["dtype"] = "F7_E3M3"
        return h, data

    def outofrange(h, data):  # the last tensor runs 4 bytes past the data section
        b, e = h["lm_head.weight"]["data_offsets"]
        h["lm_head.weight"]["data_offsets"] = [b, e + 4]
        h["lm_head.weight"]["shape"] = [10, 301]
        return h, data

    edits = {"overlap": overlap, "hole": hole, "bytecount": bytecount, "unknowndtype": unknowndtype,
             "outofrange": outofrange}
    if variant in edits:
        rewrite_shard(p, edits[variant])
    raw = open(p, "rb").read()
    if variant == "truncated":  # the data section ends 100 bytes early
        open(p, "wb").write(raw[:-100])
    if variant == "tooshort":  # not even the 8-byte header length
        open(p, "wb").write(raw[:5])
    if variant == "lyingheader":  # a header length past the end of the file
        open(p, "wb").write(struct.pack("<Q", len(raw) + 1000) + raw[8:])
    if variant == "headerjson":  # the header is not JSON
        h = b'{"lm_head.weight": {"dtype": "F32", '
        h += b" " * ((8 - len(h) % 8) % 8)
        open(p, "wb").write(struct.pack("<Q", len(h)) + h)
    if variant == "configjson":
        open(os.path.join(d, "config.json"), "w").write('{"model_type": "deepseek_v3", ')
    if variant == "indexjson":
        open(os.path.join(d, "model.safetensors.index.json"), "w").write('{"weight_map": {"lm_head.weight": ')


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
    if variant == "hasscale":  # a weight to quantize already has a block scale
        s1["model.layers.0.self_attn.q_proj.weight_scale_inv"] = np.ones((2, 3), np.float32)
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


def make_big(d, tensors=3):
    """A checkpoint large enough that writing its dequantized copy takes a while (interruption tests): one shard
    of `tensors` F8_E4M3 [4096, 4096] weights (16 MiB each) with 128 x 128 block scales."""
    rng = np.random.default_rng(5)
    os.makedirs(d, exist_ok=True)
    ts = {}
    for i in range(tensors):
        ts[f"model.layers.{i}.mlp.up_proj.weight"] = fp8_codes(rng, (4096, 4096), ml_dtypes.float8_e4m3fn)
        ts[f"model.layers.{i}.mlp.up_proj.weight_scale_inv"] = rng.uniform(1e-4, 1e-1, (32, 32)).astype(np.float32)
    fn = "model-00001-of-00001.safetensors"
    write_st(os.path.join(d, fn), ts, {"format": "pt"})
    json.dump({"metadata": {"total_size": 0}, "weight_map": {k: fn for k in ts}},
              open(os.path.join(d, "model.safetensors.index.json"), "w"))
    json.dump({"model_type": "llama"}, open(os.path.join(d, "config.json"), "w"))


def ceil_to_ue8m0(s):
    b = s.view(np.uint32)
    e = (b >> 23) & 0xFF
    e = e + ((b & 0x7FFFFF) != 0)
    return (e.astype(np.uint32) << 23).view(np.float32)


# --- a checkpoint as files ---------------------------------------------------------------------------------

def shard_names(d):
    """The shards: the index's weight_map values, else every visible *.safetensors file of the directory."""
    ip = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(ip):
        return sorted(set(json.load(open(ip))["weight_map"].values()))
    return sorted(f for f in os.listdir(d) if f.endswith(".safetensors") and not f.startswith("."))


def side_files(d):
    """Every visible file below d that is not a shard, the index or config.json: relative path -> bytes."""
    out = {}
    for root, dirs, files in os.walk(d):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), d)
            if f.startswith(".") or (root == d and (f.endswith(".safetensors") or f in
                                                     ("model.safetensors.index.json", "config.json"))):
                continue
            out[rel] = open(os.path.join(root, f), "rb").read()
    return out


def compare(src, out, want, want_config, problems):
    """want: shard -> {name: array or (dtype name, array)}. Compares every output tensor bit for bit (dtype,
    shape, bytes), the set of names, the metadata, the index (when src has one), config.json and the other
    files. Returns the number of tensors compared."""
    n = 0
    idx_path = os.path.join(src, "model.safetensors.index.json")
    exp_map, total = {}, 0
    for fn, ts in want.items():
        got, meta = read_st(os.path.join(out, fn))
        _, src_meta = read_st(os.path.join(src, fn))
        if meta != src_meta:
            problems.append(f"{fn}: metadata {meta} != {src_meta}")
        for name, e in ts.items():
            g = got.get(name)
            if g is None or g.dtype != e.dtype or g.shape != e.shape or g.tobytes() != e.tobytes():
                bad = None if g is None or g.shape != e.shape else int((g.view(np.uint8) != e.view(np.uint8)).sum())
                problems.append(f"{fn}: {name}: differs ({None if g is None else (g.dtype, g.shape)} vs "
                                f"{(e.dtype, e.shape)}; {bad} bytes)")
            exp_map[name] = fn
            total += e.nbytes
            n += 1
        problems += [f"{fn}: {name}: unexpected" for name in got if name not in ts]
    if os.path.exists(idx_path):
        oidx = json.load(open(os.path.join(out, "model.safetensors.index.json")))
        if oidx["weight_map"] != exp_map:
            problems.append(f"index weight_map differs: {oidx['weight_map']}")
        if oidx["metadata"]["total_size"] != total:
            problems.append(f"index total_size {oidx['metadata']['total_size']} != {total}")
    elif os.path.exists(os.path.join(out, "model.safetensors.index.json")):
        problems.append("an index appeared")
    if want_config is None:
        if os.path.exists(os.path.join(out, "config.json")):
            problems.append("a config.json appeared")
    elif json.load(open(os.path.join(out, "config.json"))) != want_config:
        problems.append(f"config differs: {json.load(open(os.path.join(out, 'config.json')))} vs {want_config}")
    if side_files(out) != side_files(src):
        problems.append(f"other files differ: {sorted(side_files(out))} vs {sorted(side_files(src))}")
    return n


def load_config(d):
    p = os.path.join(d, "config.json")
    return json.load(open(p)) if os.path.exists(p) else None


# --- quantize, from the description ------------------------------------------------------------------------

DEFAULT_EXCLUDES = ["embed", "wte", "wpe", "norm", "lm_head", r"^output\.weight$", r"\.gate\.weight$", "router", "pooler"]
FMT = {"e4m3": (ml_dtypes.float8_e4m3fn, 448.0), "e5m2": (ml_dtypes.float8_e5m2, 57344.0)}


def selected(name, a):
    return (name.endswith(".weight") and a.ndim == 2 and a.size > 0
            and a.dtype in (np.dtype(np.float32), np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))
            and not any(re.search(p, name, re.IGNORECASE) for p in DEFAULT_EXCLUDES))


def quantize_block(a, fmt, rule, b0, b1):
    """DeepGEMM per_block_cast_to_fp8 in numpy: amax = max(|x|, 1e-4) per block, s = fl32(amax / max_finite)
    (pow2: rounded up to a power of two), q = fp8(fl32(x * fl32(1 / s))), saturating. Returns (q, s)."""
    dt, mx = FMT[fmt]
    x = a.astype(np.float32)
    n, k = x.shape
    nb0, nb1 = -(-n // b0), -(-k // b1)
    pad = np.zeros((nb0 * b0, nb1 * b1), np.float32)
    pad[:n, :k] = x
    v = pad.reshape(nb0, b0, nb1, b1)
    amax = np.maximum(np.abs(v).max(axis=(1, 3)), np.float32(1e-4))
    s = (amax / np.float32(mx)).astype(np.float32)
    if rule == "pow2":
        s = ceil_to_ue8m0(s)
    r = (np.float32(1) / s).astype(np.float32)
    y = (v * r[:, None, :, None]).astype(np.float32)
    y = np.clip(y, -mx, mx).reshape(nb0 * b0, nb1 * b1)[:n, :k]
    return y.astype(dt), s


def quantized(src, fmt, rule, b0, b1):
    """shard -> expected output tensors of quantize."""
    want = {}
    for fn in shard_names(src):
        ins, _ = read_st(os.path.join(src, fn))
        w = {}
        for name, a in ins.items():
            if selected(name, a):
                w[name], w[name + "_scale_inv"] = quantize_block(a, fmt, rule, b0, b1)
            else:
                w[name] = a
        want[fn] = w
    return want


def quant_config(src, fmt, rule, b0, b1):
    cfg = load_config(src) or {}
    cfg["quantization_config"] = {"quant_method": "fp8", "fmt": fmt, "activation_scheme": "dynamic",
                                  "weight_block_size": [b0, b1]}
    if rule == "pow2":
        cfg["quantization_config"]["scale_fmt"] = "ue8m0"
    return cfg


def check_quant(src, out, rule, b0, b1, fmt="e4m3"):
    problems = []
    want = quantized(src, fmt, rule, b0, b1)
    n = compare(src, out, want, quant_config(src, fmt, rule, b0, b1), problems)
    n_q = sum(1 for ts in want.values() for name in ts if name.endswith("_scale_inv"))
    print(json.dumps({"problems": problems, "quantized": n_q, "tensors": n}))


# --- dequantize, from the description ----------------------------------------------------------------------

def dequantized(tensors, b0, b1, odt):
    """DeepSeek-V3 weight_dequant in numpy: (f32(q) * s per block).to(dtype); tensors: name -> array of every
    shard (scales may live in another shard). Returns name -> expected output for the FP8 tensors, and the
    set of dropped names."""
    out, dropped = {}, set()
    for name, a in tensors.items():
        if a.dtype not in FP8:
            continue
        q = a.astype(np.float32)
        n, k = q.shape
        if name + "_scale_inv" in tensors:
            s = tensors[name + "_scale_inv"]
            sf = np.repeat(np.repeat(s, b0, axis=0), b1, axis=1)[:n, :k]
            dropped.add(name + "_scale_inv")
        else:
            s = tensors[name + "_scale"]
            sf = np.broadcast_to(s.reshape(-1, 1) if s.size > 1 else s.reshape(1, 1), (n, k))
            dropped.add(name + "_scale")
        out[name] = (q * sf.astype(np.float32)).astype(odt)
        if name.endswith(".weight"):
            dropped.add(name[:-len("weight")] + "input_scale")
    return out, dropped


def dequant_want(shards, b0, b1, dtype):
    """shards: shard -> {name: array}. Returns shard -> expected output tensors of dequantize."""
    odt = {"bf16": ml_dtypes.bfloat16, "f16": np.float16, "f32": np.float32}[dtype]
    every = {k: v for ts in shards.values() for k, v in ts.items()}
    conv, dropped = dequantized(every, b0, b1, odt)
    return {fn: {k: conv.get(k, v) for k, v in ts.items() if k not in dropped} for fn, ts in shards.items()}


def block_size(cfg):
    return tuple(((cfg or {}).get("quantization_config") or {}).get("weight_block_size", [128, 128]))


def dequant_config(cfg):
    if cfg is not None:
        cfg = dict(cfg)
        cfg.pop("quantization_config", None)
    return cfg


def check(src, out, dtype):
    problems = []
    cfg = load_config(src)
    b0, b1 = block_size(cfg)
    shards = {fn: read_st(os.path.join(src, fn))[0] for fn in shard_names(src)}
    n = compare(src, out, dequant_want(shards, b0, b1, dtype), dequant_config(cfg), problems)
    print(json.dumps({"problems": problems, "tensors": n}))


def check_roundtrip(src, out, fmt, rule, b0, b1, dtype):
    """The tool's dequantize of its quantize of src, against this file's rules applied to src."""
    problems = []
    q = quantized(src, fmt, rule, b0, b1)
    want = dequant_want(q, b0, b1, dtype)
    n = compare(src, out, want, dequant_config(quant_config(src, fmt, rule, b0, b1)), problems)
    print(json.dumps({"problems": problems, "tensors": n}))


def st_load(d):
    """Every shard of d through the safetensors package's numpy API: its key list must be the header's, and
    each tensor numpy has a dtype for must load with the bytes of the file (F8 tensors: numpy has no FP8
    dtype, so the package refuses them; their bytes are compared raw by check_quant)."""
    from safetensors import safe_open
    problems, keys, loaded, refused = [], 0, 0, []
    for fn in shard_names(d):
        raw, meta = read_st(os.path.join(d, fn))
        with safe_open(os.path.join(d, fn), framework="numpy") as f:
            if sorted(f.keys()) != sorted(raw):
                problems.append(f"{fn}: keys {sorted(f.keys())} != {sorted(raw)}")
            if f.metadata() != meta:
                problems.append(f"{fn}: metadata {f.metadata()} != {meta}")
            for k in f.keys():
                keys += 1
                try:
                    a = f.get_tensor(k)
                except Exception as e:  # numpy has no FP8 dtype: "module 'numpy' has no attribute 'float8_e4m3fn'"
                    if raw[k].dtype not in FP8:
                        problems.append(f"{fn}: {k}: safetensors refuses it: {e}")
                    refused.append(f"{raw[k].dtype}")
                    continue
                if list(a.shape) != list(raw[k].shape) or a.tobytes() != raw[k].tobytes():
                    problems.append(f"{fn}: {k}: safetensors gives {a.dtype}{a.shape}")
                loaded += 1
    print(json.dumps({"problems": problems, "keys": keys, "loaded": loaded, "refused": sorted(set(refused)),
                      "refused_count": len(refused)}))


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
    elif sys.argv[1] == "make_big":
        make_big(sys.argv[2], *map(int, sys.argv[3:4]))
    elif sys.argv[1] == "make_dense":
        make_dense(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "good")
    elif sys.argv[1] == "check_quant":
        check_quant(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), *sys.argv[7:8])
    elif sys.argv[1] == "check_roundtrip":
        check_roundtrip(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7]),
                        sys.argv[8])
    elif sys.argv[1] == "st_load":
        st_load(sys.argv[2])
    elif sys.argv[1] == "stats":
        stats(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
