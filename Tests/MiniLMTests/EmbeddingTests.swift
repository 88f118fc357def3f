// SPDX-License-Identifier: Apache-2.0
import CkptTool
import FP8
import Foundation
import MiniLM
import XCTest

/// The reference: sentence-transformers' own embeddings of the fixture's sentences
/// (scripts/gen_minilm_reference.py -> Fixtures/minilm_reference.json, generated once and committed).
struct Reference: Decodable {
    struct Item: Decodable {
        let text: String
        let input_ids: [Int32]
        let embedding: [Float]
    }
    struct Retrieval: Decodable {
        let queries: [Item]
        let documents: [Item]
        let top1: [Int]
    }
    let max_seq_length: Int
    let sentences: [Item]
    let retrieval: Retrieval

    static let shared: Reference = fixture("minilm_reference.json")

    var all: [Item] { sentences + retrieval.queries + retrieval.documents }
}

/// Decodes `Fixtures/<name>` (beside this file); a missing or malformed fixture stops the tests.
func fixture<T: Decodable>(_ name: String) -> T {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name)
    do { return try JSONDecoder().decode(T.self, from: Data(contentsOf: url)) } catch {
        fatalError("cannot read \(url.path): \(error)")
    }
}

/// cosine in Double.
func cosine(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    var ab = 0.0, aa = 0.0, bb = 0.0
    for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
    return ab / (aa.squareRoot() * bb.squareRoot())
}

final class EmbeddingTests: XCTestCase {
    static let lock = NSLock()
    static var models: [MiniLMRecipe: MiniLMModel] = [:]

    func model(_ r: MiniLMRecipe) throws -> MiniLMModel {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if let m = Self.models[r] { return m }
        let m = try MiniLMModel(directory: try MiniLMFiles.locate(install: true), recipe: r)
        Self.models[r] = m
        return m
    }

    /// The FP32 path against sentence-transformers: cosine >= 0.99999 for every sentence, both from the
    /// reference's token ids and from the text through our tokenizer.
    func testFP32MatchesSentenceTransformers() throws {
        let ref = Reference.shared
        let m = try model(.fp32)
        XCTAssertEqual(m.maxSequenceLength, ref.max_seq_length)
        let fromIDs = try m.embed(tokenIDs: ref.all.map(\.input_ids))
        let fromText = try m.embed(ref.all.map(\.text))
        var worst = 1.0
        for (i, item) in ref.all.enumerated() {
            let c1 = cosine(fromIDs[i], item.embedding), c2 = cosine(fromText[i], item.embedding)
            worst = min(worst, c1, c2)
            XCTAssertGreaterThanOrEqual(c1, 0.99999, "from ids: \(item.text.debugDescription)")
            XCTAssertGreaterThanOrEqual(c2, 0.99999, "from text: \(item.text.debugDescription)")
        }
        print("MiniLM fp32 vs sentence-transformers: \(ref.all.count) sentences, min cosine \(worst)")
    }

    /// Each FP8 recipe against the FP32 path, with issue 12's targets: DeepSeek W8A8 mean >= 0.997
    /// (asserted), min >= 0.99 and weight-only mean >= 0.998 (printed, not asserted: on this fixture they
    /// come out at 0.98893 and 0.99797, and sentence-transformers with the same weights quantized in
    /// numpy + ml_dtypes gives the same figures; see SimulationTests, which asserts that agreement, and
    /// Benchmarks/PERFORMANCE.md). Every recipe must stay far from a broken one: min >= 0.98.
    func testFP8RecipesAgainstFP32() throws {
        let texts = Reference.shared.all.map(\.text)
        let base = try model(.fp32).embed(texts)
        for r in MiniLMRecipe.allCases where r != .fp32 {
            let cos = zip(try model(r).embed(texts), base).map { cosine($0, $1) }
            let mean = cos.reduce(0, +) / Double(cos.count), worst = cos.min()!
            print(String(format: "MiniLM %@ vs fp32: %d sentences, mean cosine %.6f, min %.6f", r.name, cos.count, mean, worst))
            if r == .deepSeekW8A8 { XCTAssertGreaterThanOrEqual(mean, 0.997, r.name) }
            XCTAssertGreaterThanOrEqual(worst, 0.98, r.name)
        }
    }

    /// Top-1 retrieval over the fixed query/document set is the reference's for every recipe.
    func testRetrievalTop1Unchanged() throws {
        let ret = Reference.shared.retrieval
        for r in MiniLMRecipe.allCases {
            let m = try model(r)
            let q = try m.embed(ret.queries.map(\.text)), d = try m.embed(ret.documents.map(\.text))
            let top1 = q.map { qv in d.indices.max { cosine(qv, d[$0]) < cosine(qv, d[$1]) }! }
            XCTAssertEqual(top1, ret.top1, r.name)
        }
    }

    /// The FP8 checkpoint `fp8-ckpt quantize` writes (defaults: E4M3, 128x128, amax) gives the FP8
    /// recipes exactly the embeddings of quantizing the float32 checkpoint while loading.
    func testQuantizedCheckpointEqualsOnTheFlyQuantization() throws {
        let dir = NSTemporaryDirectory() + "minilm-fp8-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CkptTool.quantize(input: try MiniLMFiles.locate(install: true).path, output: dir)
        let texts = Reference.shared.sentences.map(\.text)
        for r in MiniLMRecipe.allCases where r != .fp32 {
            let stored = try MiniLMModel(directory: URL(fileURLWithPath: dir), recipe: r)
            XCTAssertTrue(stored.checkpointIsFP8)
            XCTAssertEqual(try stored.embed(texts), try model(r).embed(texts), r.name)
        }
        // The FP32 recipe on FP8 weights (dequantized when loading) stays close to weight-only W8A32.
        let deq = try MiniLMModel(directory: URL(fileURLWithPath: dir), recipe: .fp32).embed(texts)
        for (a, b) in zip(deq, try model(.weightOnlyF32).embed(texts)) { XCTAssertGreaterThan(cosine(a, b), 0.99999) }
    }
}
