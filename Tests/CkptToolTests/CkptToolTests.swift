// SPDX-License-Identifier: Apache-2.0
import CkptTool
import Foundation
import SafeTensors
import XCTest

/// The oracle: Tests/CkptToolTests/ckpt_oracle.py (numpy + ml_dtypes, and the safetensors package for
/// loading; installed with pip when missing) writes the synthetic checkpoints and applies the documented
/// rules on its own.
enum Oracle {
    static let python = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ckpt_oracle.py").path
    private static let lock = NSLock()
    private static var ready = false

    /// Runs `executable args`; returns (status, stdout, stderr).
    static func spawn(_ executable: String, _ args: [String], in cwd: String? = nil) throws -> (Int32, String, String) {
        let p = Process()
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let errPath = NSTemporaryDirectory() + "ckpt-oracle-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        guard FileManager.default.createFile(atPath: errPath, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        let err = FileHandle(forWritingAtPath: errPath)!
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? err.close()
        let e = FileManager.default.contents(atPath: errPath) ?? Data()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func run(_ args: [String]) throws -> String {
        try ensure()
        let (st, o, e) = try spawn("/usr/bin/env", [python, script] + args)
        guard st == 0 else { throw NSError(domain: "oracle", code: Int(st), userInfo: [NSLocalizedDescriptionKey: e]) }
        return o
    }

    static func json(_ args: [String]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try run(args).utf8)) as! [String: Any]
    }

    /// `import numpy, ml_dtypes, safetensors`, installing them with pip once when missing.
    static func ensure() throws {
        lock.lock()
        defer { lock.unlock() }
        if ready { return }
        if try spawn("/usr/bin/env", [python, "-c", "import numpy, ml_dtypes, safetensors"]).0 != 0 {
            let (st, _, e) = try spawn("/usr/bin/env", [python, "-m", "pip", "install", "--quiet", "numpy", "ml_dtypes", "safetensors"])
            guard st == 0 else {
                throw NSError(domain: "oracle", code: 1, userInfo: [NSLocalizedDescriptionKey: "pip install numpy ml_dtypes safetensors failed: \(e)"])
            }
        }
        ready = true
    }
}

final class CkptToolTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "ckpt-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func make(_ variant: String = "good") throws -> String {
        let p = dir + "/in-" + variant
        _ = try Oracle.run(["make", p, variant])
        return p
    }

    func testDequantizeMatchesNumpyForEachDType() throws {
        let input = try make()
        for dtype in OutputDType.allCases {
            let out = dir + "/out-" + dtype.rawValue
            let s = try dequantize(input: input, output: out, dtype: dtype)
            XCTAssertEqual(s.dequantized, 4) // 2 block-scaled, 1 per-channel, 1 per-tensor (E5M2)
            XCTAssertEqual(s.copied, 3)
            XCTAssertEqual(s.dropped, 5) // 2 _scale_inv, 2 _scale, 1 input_scale
            let r = try Oracle.json(["check", input, out, dtype.rawValue])
            XCTAssertEqual(r["problems"] as? [String], [], dtype.rawValue)
            XCTAssertEqual(r["tensors"] as? Int, 7)
            XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)),
                           ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                            "model.safetensors.index.json", "config.json", "tokenizer.json"])
            // the rewritten checkpoint opens with the library, every index entry in its shard
            try SafeTensorsCheckpoint(path: out).verify()
        }
    }

    /// A single .safetensors file in, a single file out; equal to the shard of the oracle-checked directory run.
    func testSingleFile() throws {
        let input = try make()
        let shard = "model-00002-of-00002.safetensors"
        try dequantize(input: input, output: dir + "/out-dir")
        XCTAssertEqual(try Oracle.json(["check", input, dir + "/out-dir", "bf16"])["problems"] as? [String], [])
        let s = try dequantize(input: input + "/" + shard, output: dir + "/one.safetensors")
        XCTAssertEqual(s.dequantized, 3)
        let a = try SafeTensorsFile(path: dir + "/one.safetensors"), b = try SafeTensorsFile(path: dir + "/out-dir/" + shard)
        XCTAssertEqual(a.names.sorted(), b.names.sorted())
        for t in a.tensors { XCTAssertEqual(t.bytes, b[t.name]?.bytes, t.name) }
        XCTAssertEqual(a.metadata, ["format": "pt"])
        XCTAssertThrowsError(try dequantize(input: input + "/" + shard, output: dir + "/one.safetensors"))
    }

    func testInspectStatisticsMatchNumpy() throws {
        let input = try make("nan")
        let report = try inspect(path: input)
        XCTAssertEqual(report.blockSize, BlockSize(rows: 128, cols: 128))
        XCTAssertEqual(report.tensors.count, 12)
        let want = try Oracle.json(["stats", input])
        let fp8 = report.tensors.filter { $0.fp8 != nil }
        XCTAssertEqual(Set(fp8.map(\.name)), Set(want.keys))
        for t in fp8 {
            let w = want[t.name] as! [String: Any], s = t.fp8!
            XCTAssertEqual(s.nanCodes, w["nan"] as? Int, t.name)
            XCTAssertEqual(s.infCodes, w["inf"] as? Int, t.name)
            XCTAssertEqual(s.posMaxCodes, w["posMax"] as? Int, t.name)
            XCTAssertEqual(s.negMaxCodes, w["negMax"] as? Int, t.name)
            XCTAssertEqual(s.zeroFraction, w["zero"] as! Double, accuracy: 1e-12, t.name)
            XCTAssertEqual(s.scaleMin, (w["scaleMin"] as? Double).map(Float.init), t.name)
            XCTAssertEqual(s.scaleMax, (w["scaleMax"] as? Double).map(Float.init), t.name)
            XCTAssertEqual(s.scaleShapeFits, true, t.name)
        }
        let q = report.tensors.first { $0.name == "model.layers.0.self_attn.q_proj.weight" }!
        XCTAssertEqual(q.fp8?.nanCodes, 8)
        XCTAssertEqual(q.dtype, "F8_E4M3")
        XCTAssertEqual(q.shape, [200, 300])
        XCTAssertEqual(q.bytes, 60000)
        XCTAssertEqual(report.tensors.first { $0.name == "model.layers.0.mlp.gate_proj.weight" }?.fp8?.infCodes, 4)
        // JSON round trip
        XCTAssertEqual(try JSONDecoder().decode(InspectReport.self, from: Data(report.json.utf8)), report)
        XCTAssertTrue(report.text.contains("model.layers.0.input_layernorm.weight\tBF16\t[300]\t600 B"))

        // a block scale of the wrong shape is reported as not fitting
        let bad = try inspect(path: try make("badshape"))
        XCTAssertEqual(bad.tensors.first { $0.name == "model.layers.0.self_attn.q_proj.weight" }?.fp8?.scaleShapeFits, false)
    }

    func testExistingOutputIsNotOverwritten() throws {
        let input = try make()
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        XCTAssertThrowsError(try dequantize(input: input, output: out)) { e in
            XCTAssertTrue("\(e)".contains("already exists"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testQuantizeMatchesNumpyAndRoundTrips() throws {
        let input = dir + "/in-dense"
        _ = try Oracle.run(["make_dense", input])
        for (rule, block) in [(ScaleRuleOption.amax, BlockSize.deepSeek), (.pow2, BlockSize(rows: 64, cols: 32))] {
            let q = dir + "/q-\(rule.rawValue)", d = dir + "/d-\(rule.rawValue)"
            let s = try quantize(input: input, output: q, block: block, rule: rule)
            // embedding, norm, router (mlp.gate), lm_head and the bias stay as they are
            XCTAssertEqual(Set(s.quantized.map(\.name)), ["model.layers.0.self_attn.q_proj.weight",
                                                          "model.layers.0.self_attn.o_proj.weight",
                                                          "model.layers.0.mlp.up_proj.weight"])
            XCTAssertEqual(s.copied, 5)
            for r in s.quantized { XCTAssertTrue(r.sqnr > 28 && r.sqnr < 36, "\(r)") } // E4M3 on Gaussian data: ~31.5 dB
            let r = try Oracle.json(["check_quant", input, q, rule.rawValue, "\(block.rows)", "\(block.cols)"])
            XCTAssertEqual(r["problems"] as? [String], [], rule.rawValue)
            XCTAssertEqual(r["quantized"] as? Int, 3)
            try dequantize(input: q, output: d)
            XCTAssertEqual(try Oracle.json(["check", q, d, "bf16"])["problems"] as? [String], [], rule.rawValue)
        }
        // --include / --exclude
        let sel = try quantize(input: input, output: dir + "/q-sel",
                               selection: QuantizeSelection(include: ["proj"], exclude: ["o_proj"]))
        XCTAssertEqual(sel.quantized.map(\.name).sorted(), ["model.layers.0.mlp.up_proj.weight", "model.layers.0.self_attn.q_proj.weight"])
        let all = try quantize(input: input, output: dir + "/q-all", selection: QuantizeSelection(useDefaultExcludes: false))
        XCTAssertEqual(all.quantized.count, 6) // + embed_tokens, mlp.gate, lm_head
    }

    /// The built `fp8-ckpt` beside the test bundle, or nil. Needs `swift build` to have built the product
    /// (scripts/test.sh builds it before the Swift tests).
    static let toolPath: String? = {
        let here = Bundle(for: CkptToolTests.self).bundleURL
        return [here, here.deletingLastPathComponent(), URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            .map { $0.appendingPathComponent("fp8-ckpt").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// ``toolPath``, or a skip saying how to build it.
    func tool() throws -> String {
        guard let bin = Self.toolPath else { throw XCTSkip("fp8-ckpt is not built beside the tests; run `swift build` first") }
        return bin
    }

    /// The built executable, end to end: exit status, stderr message, output.
    func testExecutableEndToEnd() throws {
        let bin = try tool()
        let input = try make()
        let (st, _, err) = try Oracle.spawn(bin, ["dequantize", input, dir + "/out", "--dtype", "bf16"])
        XCTAssertEqual(st, 0, err)
        XCTAssertEqual(try Oracle.json(["check", input, dir + "/out", "bf16"])["problems"] as? [String], [])
        let (st2, out2, _) = try Oracle.spawn(bin, ["inspect", input, "--json"])
        XCTAssertEqual(st2, 0)
        XCTAssertEqual(try JSONDecoder().decode(InspectReport.self, from: Data(out2.utf8)).tensors.count, 12)
        let bad = try make("badshape")
        let (st3, _, err3) = try Oracle.spawn(bin, ["dequantize", bad, dir + "/out2"])
        XCTAssertEqual(st3, 1)
        XCTAssertTrue(err3.contains("model-00001-of-00002.safetensors: tensor 'model.layers.0.self_attn.q_proj.weight_scale_inv'"), err3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out2"))
        // relative one-component paths (Foundation on Linux traps on some of these if not handled)
        let (st5, _, err5) = try Oracle.spawn(bin, ["dequantize", "in-good", "rel"], in: dir)
        XCTAssertEqual(st5, 0, err5)
        XCTAssertEqual(try Oracle.json(["check", input, dir + "/rel", "bf16"])["problems"] as? [String], [])
        try FileManager.default.copyItem(atPath: input + "/model-00002-of-00002.safetensors", toPath: dir + "/in-one.safetensors")
        let (st6, _, err6) = try Oracle.spawn(bin, ["dequantize", "in-one.safetensors", "one.safetensors"], in: dir)
        XCTAssertEqual(st6, 0, err6)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/one.safetensors"))
        let (st7, out7, err7) = try Oracle.spawn(bin, ["inspect", "one.safetensors"], in: dir)
        XCTAssertEqual(st7, 0, err7)
        XCTAssertTrue(out7.contains("model.layers.0.mlp.up_proj.weight\tBF16\t[64, 40]\t5120 B"), out7)
        let (st4, help, _) = try Oracle.spawn(bin, ["dequantize", "--help"])
        XCTAssertEqual(st4, 0)
        XCTAssertTrue(help.contains("fp8-ckpt dequantize DeepSeek-V3/ DeepSeek-V3-bf16/"), help)
    }
}
