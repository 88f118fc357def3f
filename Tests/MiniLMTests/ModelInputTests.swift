// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import MiniLM
import SafeTensors
import XCTest

/// The portable FP32 GEMM against a Double reference, and the model's errors for bad input.
final class ModelInputTests: XCTestCase {
    /// Shapes with tails in every dimension (m, n not multiples of 4 or the 64-column block; k not of 8).
    func testPortableGEMMAgainstDoubleReference() {
        var rng = SystemRandomNumberGenerator()
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (4, 4, 8), (9, 70, 13), (17, 129, 384), (64, 64, 1), (5, 3, 1536)] {
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            var c = [Float](repeating: .nan, count: m * n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { MiniLMModel.portableGEMM(m, n, k, ap.baseAddress!, bp.baseAddress!, $0.baseAddress!) }
                }
            }
            for i in 0..<m {
                for j in 0..<n {
                    var ref = 0.0, mag = 0.0
                    for t in 0..<k { ref += Double(a[i * k + t]) * Double(b[j * k + t]); mag += abs(Double(a[i * k + t]) * Double(b[j * k + t])) }
                    // float32 summation of k products: error <= k * eps * sum|a b| (Higham); far looser than seen.
                    XCTAssertLessThanOrEqual(abs(Double(c[i * n + j]) - ref), Double(k) * 0x1p-24 * mag + 1e-30,
                                             "m \(m) n \(n) k \(k) at (\(i), \(j))")
                }
            }
        }
    }

    func testRecipeNamesRoundTrip() {
        for r in MiniLMRecipe.allCases { XCTAssertEqual(MiniLMRecipe(name: r.name), r) }
        XCTAssertNil(MiniLMRecipe(name: "fp16"))
    }

    func testBadTokenInputThrows() throws {
        let m = try MiniLMModel(directory: try MiniLMFiles.locate(install: true), recipe: .deepSeekW8A8)
        XCTAssertEqual(try m.embed(tokenIDs: []), [])
        for bad: [[Int32]] in [[[]], [[101, 30522, 102]], [[101, -1, 102]], [[Int32](repeating: 100, count: 513)]] {
            XCTAssertThrowsError(try m.embed(tokenIDs: bad)) { e in
                guard case MiniLMError.badInput = e else { return XCTFail("\(e)") }
            }
        }
        XCTAssertThrowsError(try MiniLMModel(directory: try MiniLMFiles.locate(install: true), recipe: .fp32, maxSequenceLength: 513))
        XCTAssertThrowsError(try MiniLMModel(directory: try MiniLMFiles.locate(install: true), recipe: .fp32, maxSequenceLength: 1))
    }

    /// A checkpoint folder with one tensor changed (or removed) gives an error naming the tensor.
    func testDamagedCheckpointsNameTheTensor() throws {
        let src = try MiniLMFiles.locate(install: true)
        let file = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors"))
        let dir = NSTemporaryDirectory() + "minilm-bad-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: URL(fileURLWithPath: dir + "/" + f))
        }
        let victim = "encoder.layer.3.intermediate.dense.weight"
        let cases: [(String, (SafeTensor) -> SafeTensorsSource?)] = [
            ("missing", { $0.name == victim ? nil : SafeTensorsSource($0) }),
            ("shape", { t in
                t.name == victim ? SafeTensorsSource(name: t.name, dtype: .f32, shape: [384, 1536], bytes: t.bytes) : SafeTensorsSource(t)
            }),
            ("dtype", { t in
                t.name == victim ? SafeTensorsSource(name: t.name, dtype: .i32, shape: t.shape, bytes: t.bytes) : SafeTensorsSource(t)
            }),
            ("fp8 without scale", { t in
                t.name == victim ? SafeTensorsSource(name: t.name, dtype: .f8E4M3, shape: t.shape, bytes: [UInt8](repeating: 0x38, count: t.elementCount))
                    : SafeTensorsSource(t)
            }),
        ]
        for (what, edit) in cases {
            try SafeTensorsWriter.write(file.tensors.compactMap(edit), to: dir + "/model.safetensors")
            for recipe in MiniLMRecipe.allCases {
                XCTAssertThrowsError(try MiniLMModel(directory: URL(fileURLWithPath: dir), recipe: recipe), what) { e in
                    guard case MiniLMError.badCheckpoint(let s) = e else { return XCTFail("\(what): \(e)") }
                    XCTAssertTrue(s.contains(victim) && s.contains("model.safetensors"), "\(what): \(s)")
                }
            }
        }
        // A config.json that is not BERT.
        try SafeTensorsWriter.write(file.tensors.map { SafeTensorsSource($0) }, to: dir + "/model.safetensors")
        XCTAssertNoThrow(try MiniLMModel(directory: URL(fileURLWithPath: dir), recipe: .fp32))
        try Data(#"{"model_type": "gpt2", "hidden_size": 384}"#.utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        XCTAssertThrowsError(try MiniLMModel(directory: URL(fileURLWithPath: dir), recipe: .fp32)) { e in
            guard case MiniLMError.badCheckpoint(let s) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(s.contains("config.json") && s.contains("gpt2"), s)
        }
    }
}
