// SPDX-License-Identifier: Apache-2.0
import Foundation

/// The BERT hyper-parameters the forward pass needs, read from the checkpoint's `config.json`
/// (Hugging Face `BertConfig` keys).
public struct MiniLMConfig: Sendable, Equatable {
    /// `hidden_size` (384 for all-MiniLM-L6-v2).
    public var hiddenSize: Int
    /// `intermediate_size` (1536).
    public var intermediateSize: Int
    /// `num_attention_heads` (12; head size 32).
    public var heads: Int
    /// `num_hidden_layers` (6).
    public var layers: Int
    /// `max_position_embeddings` (512).
    public var maxPositions: Int
    /// `vocab_size` (30522).
    public var vocabularySize: Int
    /// `layer_norm_eps` (1e-12).
    public var layerNormEpsilon: Float
    /// `quantization_config.weight_block_size` when the checkpoint is FP8 (`fp8-ckpt quantize` writes
    /// it, as DeepSeek-V3's config does), else nil.
    public var weightBlockSize: (rows: Int, cols: Int)?

    public static func == (l: Self, r: Self) -> Bool {
        l.hiddenSize == r.hiddenSize && l.intermediateSize == r.intermediateSize && l.heads == r.heads
            && l.layers == r.layers && l.maxPositions == r.maxPositions && l.vocabularySize == r.vocabularySize
            && l.layerNormEpsilon == r.layerNormEpsilon && l.weightBlockSize?.rows == r.weightBlockSize?.rows
            && l.weightBlockSize?.cols == r.weightBlockSize?.cols
    }

    /// Parses `config.json`.
    /// - Throws: ``MiniLMError/badCheckpoint(_:)`` naming the file and key when the file is unreadable,
    ///   not a JSON object, not a BERT config (`model_type` other than `bert`, absolute position
    ///   embeddings, GELU), or a size is missing, not a positive integer, or inconsistent
    ///   (`hidden_size` not a multiple of `num_attention_heads`).
    public init(contentsOf url: URL) throws {
        let file = url.path
        func fail(_ s: String) -> MiniLMError { .badCheckpoint("\(file): \(s)") }
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot be read") }
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        func int(_ key: String) throws -> Int {
            guard let n = obj[key] as? NSNumber, let v = Int(exactly: n.doubleValue), v > 0, v < 1 << 31 else {
                throw fail("\"\(key)\" is missing or not a positive integer")
            }
            return v
        }
        if let t = obj["model_type"] as? String, t != "bert" { throw fail("model_type \"\(t)\" is not \"bert\"") }
        if let p = obj["position_embedding_type"] as? String, p != "absolute" {
            throw fail("position_embedding_type \"\(p)\" is not supported (only \"absolute\")")
        }
        if let act = obj["hidden_act"] as? String, act != "gelu" { throw fail("hidden_act \"\(act)\" is not \"gelu\"") }
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        heads = try int("num_attention_heads")
        layers = try int("num_hidden_layers")
        maxPositions = try int("max_position_embeddings")
        vocabularySize = try int("vocab_size")
        guard hiddenSize % heads == 0 else { throw fail("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)") }
        if let eps = obj["layer_norm_eps"] {
            guard let e = eps as? NSNumber, e.doubleValue > 0, e.doubleValue.isFinite else { throw fail("\"layer_norm_eps\" is not a positive number") }
            layerNormEpsilon = e.floatValue
        } else {
            layerNormEpsilon = 1e-12
        }
        weightBlockSize = nil
        if let q = obj["quantization_config"] {
            guard let q = q as? [String: Any] else { throw fail("\"quantization_config\" is not an object") }
            if let b = q["weight_block_size"] {
                guard let b = b as? [NSNumber], b.count == 2, let r = Int(exactly: b[0].doubleValue),
                      let c = Int(exactly: b[1].doubleValue), r > 0, c > 0 else {
                    throw fail("quantization_config.weight_block_size is not two positive integers")
                }
                weightBlockSize = (r, c)
            } else {
                weightBlockSize = (128, 128)
            }
        }
    }
}
