// SPDX-License-Identifier: Apache-2.0
import Foundation
import SafeTensors
import XCTest

/// Both directions against the `safetensors` PyPI package: files we write load there with identical
/// bytes, shapes, dtypes and metadata (numpy API for the dtypes numpy has; the package's own raw
/// `deserialize` for every dtype, BF16 and the FP8 types included), and are byte-identical to what its
/// `serialize` writes for the same tensors; files it writes (numpy `save_file`, raw `serialize_file`, a
/// sharded checkpoint with an index) load here identically.
final class InteropTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = try makeTemporaryDirectory("interop") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Header dtype -> the numpy dtype name `safetensors.numpy` uses (only the dtypes numpy has).
    static let numpyName: [SafeTensorsDType: String] = [
        .f64: "float64", .f32: "float32", .f16: "float16", .i64: "int64", .i32: "int32", .i16: "int16", .i8: "int8",
        .u64: "uint64", .u32: "uint32", .u16: "uint16", .u8: "uint8", .bool: "bool", .c64: "complex64",
    ]

    /// A tensor of every dtype, with odd shapes, a scalar and empty tensors; BOOL bytes are 0/1.
    static func sampleTensors(seed: UInt64) -> [(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8])] {
        var rng = TestBytes(seed: seed)
        var out: [(String, SafeTensorsDType, [Int], [UInt8])] = []
        let shapes: [SafeTensorsDType: [Int]] = [
            .f64: [3, 2], .f32: [4], .f16: [2, 3], .bf16: [5], .f8E4M3: [4, 4], .f8E5M2: [3], .f8E8M0: [2],
            .f8E4M3FNUZ: [2], .f8E5M2FNUZ: [1, 1, 3], .i64: [2], .i32: [3], .i16: [2, 2], .i8: [7], .u64: [1],
            .u32: [2], .u16: [3], .u8: [5], .bool: [4], .c64: [2], .f4: [2, 4],
        ]
        for dtype in SafeTensorsDType.allCases {
            guard let shape = shapes[dtype] else { continue }
            let n = dtype.byteCount(elementCount: shape.reduce(1, *))!
            var b = rng.bytes(n)
            if dtype == .bool { b = b.map { $0 & 1 } }
            out.append(("layer.\(dtype.rawValue.lowercased()).weight", dtype, shape, b))
        }
        out.append(("scalar", .f32, [], rng.bytes(4)))
        out.append(("empty", .f32, [0, 3], []))
        out.append(("empty.bf16", .bf16, [2, 0], []))
        return out
    }

    static let readScript = #"""
import sys, json
from safetensors import deserialize, safe_open, serialize, TensorSpec
import numpy as np
import safetensors.numpy as stnp
path, want_identity = sys.argv[1], sys.argv[2] == "1"
data = open(path, "rb").read()
out = {"raw": {}, "numpy": {}}
for name, t in deserialize(data):
    out["raw"][name] = {"dtype": t["dtype"], "shape": list(t["shape"]), "hex": bytes(t["data"]).hex()}
with safe_open(path, framework="numpy") as f:
    out["metadata"] = f.metadata()
    for name in f.keys():
        if out["raw"][name]["dtype"] in stnp._TYPES:
            a = f.get_tensor(name)
            out["numpy"][name] = {"dtype": str(a.dtype), "shape": list(a.shape), "hex": a.tobytes().hex()}
if want_identity:
    spec_name = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
        "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64", "U32": "uint32", "U16": "uint16",
        "U8": "uint8", "BOOL": "bool", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2",
        "F8_E8M0": "float8_e8m0fnu", "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2FNUZ": "float8_e5m2fnuz",
        "C64": "complex64"}
    keep, specs = [], {}
    for name, t in out["raw"].items():
        a = np.frombuffer(bytes.fromhex(t["hex"]) or b"\0", dtype=np.uint8).copy()
        keep.append(a)
        specs[name] = TensorSpec(dtype=spec_name[t["dtype"]], shape=t["shape"], data_ptr=a.ctypes.data,
                                 data_len=len(t["hex"]) // 2)
    again = serialize(specs, metadata=out["metadata"])
    out["identical"] = bytes(again) == data
    if not out["identical"]:
        out["reference_header"] = bytes(again[8:8 + int.from_bytes(again[:8], "little")]).decode()
print(json.dumps(out))
"""#

    private func checkPythonReads(_ path: String, _ tensors: [(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8])],
                                  metadata: [String: String]?, identity: Bool) throws {
        let r = try PythonOracle.json(Self.readScript, [path, identity ? "1" : "0"])
        let raw = try XCTUnwrap(r["raw"] as? [String: [String: Any]])
        let numpy = try XCTUnwrap(r["numpy"] as? [String: [String: Any]])
        XCTAssertEqual(Set(raw.keys), Set(tensors.map(\.name)))
        for t in tensors {
            let e = try XCTUnwrap(raw[t.name], t.name)
            XCTAssertEqual(e["dtype"] as? String, t.dtype.rawValue, t.name)
            XCTAssertEqual(e["shape"] as? [Int], t.shape, t.name)
            XCTAssertEqual(e["hex"] as? String, t.bytes.hex, t.name)
            if let np = Self.numpyName[t.dtype] {
                let a = try XCTUnwrap(numpy[t.name], "numpy did not load \(t.name)")
                XCTAssertEqual(a["dtype"] as? String, np, t.name)
                XCTAssertEqual(a["shape"] as? [Int], t.shape, t.name)
                XCTAssertEqual(a["hex"] as? String, t.bytes.hex, t.name)
            }
        }
        XCTAssertEqual(numpy.count, tensors.filter { Self.numpyName[$0.dtype] != nil }.count)
        XCTAssertEqual(r["metadata"] as? [String: String], metadata)
        if identity {
            XCTAssertEqual(r["identical"] as? Bool, true,
                           "the reference serializer wrote a different file; its header: \(r["reference_header"] ?? "")")
        }
    }

    /// Every dtype the Python package can serialize (all but F4, whose Python shape convention differs),
    /// one metadata key: Python reads identical bytes, and its own serializer writes the identical file.
    func testFilesWeWriteLoadInPythonAndMatchItsSerializer() throws {
        let tensors = Self.sampleTensors(seed: 1).filter { $0.dtype != .f4 }
        let path = dir + "/ours.safetensors"
        let meta = ["format": "pt"]
        try SafeTensorsWriter.write(tensors.map { SafeTensorsSource(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: $0.bytes) },
                                    metadata: meta, to: path)
        try checkPythonReads(path, tensors, metadata: meta, identity: true)
    }

    /// F4 (packed, sub-byte), several metadata keys with escapes and non-ASCII, names with quotes,
    /// backslashes, control characters and non-ASCII; streamed sources: Python reads identical bytes.
    func testFilesWeWriteWithOddNamesAndMetadataLoadInPython() throws {
        var tensors = Self.sampleTensors(seed: 2)
        tensors.append(("quote\"back\\slash\ttab\u{1}ctl/ü日本", .u8, [3], [1, 2, 3]))
        let meta = ["format": "pt", "note": "line\nbreak \"quoted\" \\ ü", "empty": "", "\u{7f}del": "x"]
        let path = dir + "/odd.safetensors"
        try SafeTensorsWriter.write(tensors.map { t in
            SafeTensorsSource(name: t.name, dtype: t.dtype, shape: t.shape) { sink in
                for chunk in stride(from: 0, to: t.bytes.count, by: 3) { // odd chunk sizes through the sink
                    try sink.write(Array(t.bytes[chunk..<min(chunk + 3, t.bytes.count)]))
                }
            }
        }, metadata: meta, to: path)
        try checkPythonReads(path, tensors, metadata: meta, identity: false)
    }

    static let writeScript = #"""
import sys, json
import numpy as np
from safetensors import serialize_file, TensorSpec
from safetensors.numpy import save_file
d = sys.argv[1]
rng = np.random.default_rng(12345)
arrays = {
    "f64": rng.standard_normal((3, 5)), "f32": rng.standard_normal((2, 3, 4)).astype(np.float32),
    "f16": rng.standard_normal((7,)).astype(np.float16), "i64": rng.integers(-2**62, 2**62, (4,), dtype=np.int64),
    "i32": rng.integers(-2**31, 2**31, (3, 1), dtype=np.int32), "i16": rng.integers(-2**15, 2**15, (5,), dtype=np.int16),
    "i8": rng.integers(-128, 128, (9,), dtype=np.int8), "u64": rng.integers(0, 2**63, (2,), dtype=np.uint64),
    "u32": rng.integers(0, 2**32, (2, 2), dtype=np.uint32), "u16": rng.integers(0, 2**16, (3,), dtype=np.uint16),
    "u8": rng.integers(0, 256, (6,), dtype=np.uint8), "bool": rng.integers(0, 2, (5,)).astype(bool),
    "c64": (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64),
    "scalar": np.array(3.5, dtype=np.float32), "empty": np.zeros((0, 4), dtype=np.float32),
    "model.layers.0.mlp.down_proj.weight": rng.standard_normal((4, 3)).astype(np.float32),
}
meta = {"format": "np", "producer": "python oracle", "ünïcode": "välue"}
save_file(arrays, d + "/numpy.safetensors", metadata=meta)
header_name = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.int16): "I16", np.dtype(np.int8): "I8",
    np.dtype(np.uint64): "U64", np.dtype(np.uint32): "U32", np.dtype(np.uint16): "U16", np.dtype(np.uint8): "U8",
    np.dtype(bool): "BOOL", np.dtype(np.complex64): "C64"}
manifest = {"numpy.safetensors": {"metadata": meta, "tensors": {k: {"dtype": header_name[a.dtype],
    "shape": list(a.shape), "hex": a.tobytes().hex()} for k, a in arrays.items()}}}
raw = {  # dtypes numpy lacks, as raw bytes through the package's own serializer
    "w.bf16": ("bfloat16", "BF16", [3, 4], 2), "w.e4m3": ("float8_e4m3fn", "F8_E4M3", [8, 16], 1),
    "w.e5m2": ("float8_e5m2", "F8_E5M2", [5], 1), "w.scale_e8m0": ("float8_e8m0fnu", "F8_E8M0", [2, 3], 1),
    "w.e4m3fnuz": ("float8_e4m3fnuz", "F8_E4M3FNUZ", [4], 1), "w.e5m2fnuz": ("float8_e5m2fnuz", "F8_E5M2FNUZ", [2], 1),
    "w.scale_inv": ("float32", "F32", [1, 1], 4),
}
keep, specs, t = [], {}, {}
for name, (spec, hdr, shape, size) in raw.items():
    a = rng.integers(0, 256, int(np.prod(shape)) * size, dtype=np.uint8)
    keep.append(a)
    specs[name] = TensorSpec(dtype=spec, shape=shape, data_ptr=a.ctypes.data, data_len=a.nbytes)
    t[name] = {"dtype": hdr, "shape": shape, "hex": a.tobytes().hex()}
serialize_file(specs, d + "/raw.safetensors")
manifest["raw.safetensors"] = {"metadata": None, "tensors": t}
print(json.dumps(manifest))
"""#

    private func checkWeRead(_ file: SafeTensorsFile, _ expected: [String: Any]) throws {
        let tensors = try XCTUnwrap(expected["tensors"] as? [String: [String: Any]])
        XCTAssertEqual(Set(file.names), Set(tensors.keys), file.path)
        for (name, e) in tensors {
            let t = try file.tensor(named: name)
            XCTAssertEqual(t.dtype.rawValue, e["dtype"] as? String, name)
            XCTAssertEqual(t.shape, e["shape"] as? [Int], name)
            XCTAssertEqual(t.bytes.hex, e["hex"] as? String, name)
            XCTAssertEqual(t.byteCount * 2, (e["hex"] as? String)?.count, name)
        }
        XCTAssertEqual(file.metadata, expected["metadata"] as? [String: String], file.path)
    }

    /// Files Python writes (numpy `save_file` with metadata; raw `serialize_file` with BF16, every FP8
    /// type and E8M0) load here with identical names, dtypes, shapes, bytes and metadata.
    func testFilesPythonWritesLoadHere() throws {
        let manifest = try PythonOracle.json(Self.writeScript, [dir])
        XCTAssertEqual(manifest.count, 2)
        for (fileName, expected) in manifest {
            let file = try SafeTensorsFile(path: dir + "/" + fileName)
            try checkWeRead(file, try XCTUnwrap(expected as? [String: Any]))
            // The reference writer's header is padded with spaces to a multiple of 8.
            XCTAssertEqual(file.headerLength % 8, 0)
        }
    }

    static let shardScript = #"""
import sys, json
import numpy as np
from safetensors.numpy import save_file
d = sys.argv[1]
rng = np.random.default_rng(99)
names = [f"model.layers.{i}.{p}" for i in range(4) for p in ("self_attn.q_proj.weight", "input_layernorm.weight")]
names += ["model.embed_tokens.weight", "lm_head.weight"]
shards, weight_map, total, manifest = [{}, {}, {}], {}, 0, {}
for i, n in enumerate(names):
    a = rng.standard_normal((i % 3 + 1, 4)).astype(np.float16 if i % 2 else np.float32)
    s = i % 3
    shards[s][n] = a
    fname = f"model-{s + 1:05d}-of-00003.safetensors"
    weight_map[n] = fname
    total += a.nbytes
    manifest[n] = {"shard": fname, "dtype": "F16" if i % 2 else "F32", "shape": list(a.shape), "hex": a.tobytes().hex()}
for s, tensors in enumerate(shards):
    save_file(tensors, f"{d}/model-{s + 1:05d}-of-00003.safetensors", metadata={"format": "pt"})
json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, open(d + "/model.safetensors.index.json", "w"), indent=2)
print(json.dumps(manifest))
"""#

    /// A sharded checkpoint written by Python (three shards + `model.safetensors.index.json`, as
    /// transformers writes it): every tensor is found in its shard, from the directory and from the index.
    func testShardedCheckpointPythonWritesLoadsHere() throws {
        let manifest = try PythonOracle.json(Self.shardScript, [dir])
        for path in [dir, dir + "/model.safetensors.index.json"] {
            let ckpt = try SafeTensorsCheckpoint(path: path)
            XCTAssertEqual(ckpt.indexPath, dir + "/model.safetensors.index.json")
            XCTAssertEqual(Set(ckpt.names), Set(manifest.keys))
            XCTAssertEqual(ckpt.shardNames, (1...3).map { "model-0000\($0)-of-00003.safetensors" })
            for (name, any) in manifest {
                let e = try XCTUnwrap(any as? [String: Any])
                XCTAssertEqual(ckpt.weightMap[name], e["shard"] as? String)
                let t = try ckpt.tensor(named: name)
                XCTAssertEqual(t.dtype.rawValue, e["dtype"] as? String, name)
                XCTAssertEqual(t.shape, e["shape"] as? [Int], name)
                XCTAssertEqual(t.bytes.hex, e["hex"] as? String, name)
            }
            try ckpt.verify()
            XCTAssertThrowsError(try ckpt.tensor(named: "nope")) { error in
                XCTAssertEqual(error as? SafeTensorsError, .tensorNotFound(file: dir + "/model.safetensors.index.json", tensor: "nope"))
            }
        }
    }
}
