// SPDX-License-Identifier: Apache-2.0
import CkptTool
import Foundation
import XCTest

/// One malformed input (or output path) and the error the tool documents for it.
struct BadInput {
    /// What is wrong, for the failure messages.
    var label: String
    /// Creates the input under the test directory and returns its path.
    var input: (CkptToolTests) throws -> String
    /// The output path, relative to the test directory.
    var output = "out"
    /// Made before the run (an output that already exists).
    var outputExists = false
    /// `quantize` (with `selection`, `options` on the command line) instead of `dequantize`.
    var quantize = false
    var selection = QuantizeSelection()
    var options: [String] = []
    /// The end of the path of the file the error must name, the tensor it must name (nil: none), and a
    /// piece of its message.
    var file: String
    var tensor: String?
    var contains: String
}

extension CkptToolTests {
    static let shard1 = "model-00001-of-00002.safetensors", shard2 = "model-00002-of-00002.safetensors"

    /// A damaged checkpoint from the oracle's `make` (DeepSeek-style FP8, 2 shards).
    static func fp8(_ variant: String) -> (CkptToolTests) throws -> String { { try $0.make(variant) } }

    /// A damaged checkpoint from the oracle's `make_dense` (BF16/F16/F32, to quantize).
    static func dense(_ variant: String) -> (CkptToolTests) throws -> String {
        { t in
            let p = t.dir + "/in-dense-" + variant
            _ = try Oracle.run(["make_dense", p, variant])
            return p
        }
    }

    /// The catalogue: every case gives its documented error naming the file and tensor, from the library
    /// and from the executable (status 1, one `fp8-ckpt: error:` line), and leaves nothing behind.
    static let badInputs: [BadInput] = [
        // scale tensors that do not fit their weight
        BadInput(label: "block scale of the wrong shape", input: fp8("badshape"), file: shard1,
                 tensor: "model.layers.0.self_attn.q_proj.weight_scale_inv", contains: "expected [2, 3] for block size 128x128"),
        BadInput(label: "config.json block size disagrees with the scale shape", input: fp8("blockmismatch"), file: shard1,
                 tensor: "model.layers.0.self_attn.q_proj.weight_scale_inv", contains: "expected [4, 5] for block size 64x64"),
        BadInput(label: "per-channel scale of the wrong length", input: fp8("badchannel"), file: shard2,
                 tensor: "model.layers.0.mlp.up_proj.weight_scale", contains: "expected [], [1] or [64, 1]"),
        BadInput(label: "scaled FP8 tensor that is not 2-D", input: fp8("fp8_1d"), file: shard1,
                 tensor: "model.layers.0.self_attn.k_proj.weight_scale", contains: "expected a 2-D weight"),
        BadInput(label: "FP8 weight without a scale", input: fp8("noscale"), file: shard2,
                 tensor: "model.layers.0.mlp.down_proj.weight", contains: "has no scale tensor"),
        BadInput(label: "block scale without its weight", input: fp8("orphan"), file: shard1,
                 tensor: "model.layers.0.self_attn.q_proj.weight_scale_inv", contains: "scale tensor without an FP8 tensor"),
        BadInput(label: "block scale beside a BF16 weight", input: fp8("scale_on_bf16"), file: shard1,
                 tensor: "model.embed_tokens.weight_scale_inv", contains: "scale tensor without an FP8 tensor"),
        // scale values
        BadInput(label: "scale dtype F64", input: fp8("scaledtype"), file: shard1,
                 tensor: "model.layers.0.self_attn.q_proj.weight_scale_inv", contains: "scale dtype F64 is not F32, F16, BF16 or F8_E8M0"),
        BadInput(label: "E8M0 NaN scale", input: fp8("e8m0nan"), file: shard1,
                 tensor: "model.layers.0.self_attn.q_proj.weight_scale_inv", contains: "E8M0 scale 3 is NaN (0xFF)"),
        BadInput(label: "negative block scale", input: fp8("negscale"), file: shard2,
                 tensor: "model.layers.0.mlp.down_proj.weight_scale_inv", contains: "scale 2 is -0.5; scales must be finite and positive"),
        BadInput(label: "NaN channel scale", input: fp8("nanscale"), file: shard2,
                 tensor: "model.layers.0.mlp.up_proj.weight_scale", contains: "scale 5 is nan"),
        BadInput(label: "infinite channel scale", input: fp8("infscale"), file: shard2,
                 tensor: "model.layers.0.mlp.up_proj.weight_scale", contains: "scale 7 is inf"),
        BadInput(label: "zero tensor scale", input: fp8("zeroscale"), file: shard2,
                 tensor: "model.layers.0.mlp.gate_proj.weight_scale", contains: "scale 0 is 0.0"),
        // config.json and the index
        BadInput(label: "weight_block_size of one number", input: fp8("badconfig"), file: "config.json", tensor: nil,
                 contains: "weight_block_size is not two positive integers"),
        BadInput(label: "config.json not JSON", input: fp8("configjson"), file: "config.json", tensor: nil,
                 contains: "not a JSON object"),
        BadInput(label: "index not JSON", input: fp8("indexjson"), file: "model.safetensors.index.json", tensor: nil,
                 contains: "index: not valid JSON at byte"),
        BadInput(label: "index maps a tensor to the wrong shard", input: fp8("wrongindex"), file: shard1,
                 tensor: "lm_head.weight", contains: "no tensor 'lm_head.weight'"),
        BadInput(label: "index names a missing shard", input: fp8("missingshard"), file: "model-00003-of-00003.safetensors",
                 tensor: nil, contains: "open failed"),
        // damaged shards
        BadInput(label: "truncated shard", input: fp8("truncated"), file: shard2, tensor: "lm_head.weight",
                 contains: "data_offsets [22170, 34170] run past the 34070-byte data section"),
        BadInput(label: "shard shorter than the header length", input: fp8("tooshort"), file: shard2, tensor: nil,
                 contains: "5 bytes, shorter than the 8-byte header length"),
        BadInput(label: "header length beyond the file", input: fp8("lyingheader"), file: shard2, tensor: nil,
                 contains: "runs past the end of the"),
        BadInput(label: "header not JSON", input: fp8("headerjson"), file: shard2, tensor: nil,
                 contains: "header is not valid JSON"),
        BadInput(label: "overlapping offsets", input: fp8("overlap"), file: shard2,
                 tensor: "model.layers.0.mlp.down_proj.weight_scale_inv",
                 contains: "bytes overlap tensor 'model.layers.0.mlp.down_proj.weight'"),
        BadInput(label: "hole in the data section", input: fp8("hole"), file: shard2,
                 tensor: "model.layers.0.mlp.down_proj.weight_scale_inv", contains: "data bytes [16770, 16778) before it belong to no tensor"),
        BadInput(label: "byte count disagrees with dtype x shape", input: fp8("bytecount"), file: shard2,
                 tensor: "model.layers.0.mlp.down_proj.weight", contains: "16770 bytes, dtype x shape needs 16640"),
        BadInput(label: "unknown dtype", input: fp8("unknowndtype"), file: shard2, tensor: "lm_head.weight",
                 contains: "unknown dtype 'F7_E3M3'"),
        BadInput(label: "offsets past the data section", input: fp8("outofrange"), file: shard2, tensor: "lm_head.weight",
                 contains: "data_offsets [22170, 34174] run past the 34170-byte data section"),
        // paths
        BadInput(label: "missing input", input: { $0.dir + "/in-missing" }, file: "in-missing", tensor: nil,
                 contains: "no such file or directory"),
        BadInput(label: "output directory exists", input: fp8("good"), outputExists: true, file: "out", tensor: nil,
                 contains: "output already exists"),
        BadInput(label: "output file exists", input: { try $0.make("good") + "/" + shard2 }, output: "one.safetensors",
                 outputExists: true, file: "one.safetensors", tensor: nil, contains: "output already exists"),
        BadInput(label: "output inside the input", input: fp8("good"), output: "in-good/converted", file: "in-good/converted",
                 tensor: nil, contains: "the output is inside the input directory"),
        // quantize
        BadInput(label: "infinite value in a weight to quantize", input: dense("nan"), quantize: true, file: shard2,
                 tensor: "model.layers.0.mlp.up_proj.weight", contains: "element [3, 5] is NaN or infinite"),
        BadInput(label: "weight to quantize already has a block scale", input: dense("hasscale"), quantize: true, file: shard1,
                 tensor: "model.layers.0.self_attn.q_proj.weight_scale_inv", contains: "already exists"),
        BadInput(label: "invalid --include pattern", input: dense("good"), quantize: true,
                 selection: QuantizeSelection(include: ["(proj"]), options: ["--include", "(proj"],
                 file: "<command line>", tensor: nil, contains: "invalid regular expression '(proj'"),
    ]

    /// Every path below the test directory (hidden ones included) with its size: what a failed run must
    /// leave as it was.
    func snapshot() throws -> [String: Int] {
        var out: [String: Int] = [:]
        guard let e = FileManager.default.enumerator(atPath: dir) else { return out }
        while let p = e.nextObject() as? String {
            out[p] = (try FileManager.default.attributesOfItem(atPath: dir + "/" + p)[.size] as? Int) ?? -1
        }
        return out
    }

    func testEveryBadInputGivesItsDocumentedErrorAndNoOutput() throws {
        XCTAssertGreaterThanOrEqual(Self.badInputs.count, 20)
        let bin = Self.toolPath
        for c in Self.badInputs {
            let input = try c.input(self)
            let output = dir + "/" + c.output
            if c.outputExists {
                XCTAssertTrue(FileManager.default.createFile(atPath: output, contents: Data("keep".utf8)), c.label)
            }
            let before = try snapshot()
            XCTAssertThrowsError(try c.quantize ? quantize(input: input, output: output, selection: c.selection).copied
                                                : dequantize(input: input, output: output).copied, c.label) { e in
                guard let e = e as? CkptError else { return XCTFail("\(c.label): \(e)") }
                XCTAssertTrue(e.file.hasSuffix(c.file), "\(c.label): \(e)")
                XCTAssertEqual(e.tensor, c.tensor, "\(c.label): \(e)")
                XCTAssertTrue(e.description.contains(c.contains), "\(c.label): \(e)")
                XCTAssertTrue(e.description.contains(c.file), "\(c.label): \(e)")
                if let t = c.tensor { XCTAssertTrue(e.description.contains("'\(t)'"), "\(c.label): \(e)") }
                XCTAssertNil(e.signal)
            }
            XCTAssertEqual(try snapshot(), before, "\(c.label): left behind")
            if c.outputExists { XCTAssertEqual(FileManager.default.contents(atPath: output), Data("keep".utf8), c.label) }
            guard let bin else {
                if c.outputExists { try FileManager.default.removeItem(atPath: output) }
                continue
            }
            let (st, out, err) = try Oracle.spawn(bin, [c.quantize ? "quantize" : "dequantize", input, output] + c.options)
            XCTAssertEqual(st, 1, "\(c.label): \(err)")
            // dequantize prints nothing on stdout; quantize may have printed the SQNR of weights done before
            // the error, but no summary
            XCTAssertTrue(c.quantize ? !out.contains("quantized ") : out.isEmpty, "\(c.label): \(out)")
            XCTAssertTrue(err.hasPrefix("fp8-ckpt: error: ") && err.hasSuffix("\n") && err.filter { $0 == "\n" }.count == 1,
                          "\(c.label): \(err)")
            XCTAssertTrue(err.contains(c.file) && err.contains(c.contains), "\(c.label): \(err)")
            if let t = c.tensor { XCTAssertTrue(err.contains("tensor '\(t)'"), "\(c.label): \(err)") }
            XCTAssertEqual(try snapshot(), before, "\(c.label): the executable left something behind")
            if c.outputExists { try FileManager.default.removeItem(atPath: output) }
        }
        if bin == nil { throw XCTSkip("fp8-ckpt is not built: the library-level cases ran, the executable ones did not") }
    }
}
