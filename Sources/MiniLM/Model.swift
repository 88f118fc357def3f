// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FP8
import Foundation
import SafeTensors

/// all-MiniLM-L6-v2 (a 6-layer BERT, hidden 384, 12 heads, FFN 1536) as a sentence-embedding model:
/// the encoder's forward pass, mean pooling over the tokens and L2 normalisation, as
/// sentence-transformers' `Transformer -> Pooling(mean) -> Normalize` modules compute it.
///
/// The 36 linear layers run on the library's GEMMs as the ``MiniLMRecipe`` says; embeddings,
/// LayerNorm (`eps` from `config.json`), softmax attention, exact GELU (`0.5 x (1 + erf(x / sqrt 2))`) and
/// pooling are float32 in every recipe.
///
/// The checkpoint is a folder with `config.json`, `vocab.txt` and the weights in safetensors (one file
/// or shards with `model.safetensors.index.json`), either:
/// - the original float32 checkpoint (F32, F16 or BF16 tensors): FP8 recipes quantize each linear
///   weight when loading, E4M3 in 128x128 blocks with DeepGEMM's `per_block_cast_to_fp8` rule
///   (``QuantizationOptions/deepGEMM``), exactly as `fp8-ckpt quantize` does with its defaults; or
/// - an FP8 checkpoint as `fp8-ckpt quantize` writes it (DeepSeek-V3 layout: `weight` F8_E4M3 or
///   F8_E5M2 `[N, K]` with `weight_scale_inv` F32 `[ceil(N/bn), ceil(K/bk)]`, block size from
///   `quantization_config.weight_block_size`): FP8 recipes use the weights as stored, the FP32 recipe
///   dequantizes them.
///
/// Thread-safe: ``embed(tokenIDs:)`` may be called from several threads at once.
public final class MiniLMModel: @unchecked Sendable { // immutable after init
    /// The hyper-parameters from `config.json`.
    public let config: MiniLMConfig
    /// How the linear layers are computed.
    public let recipe: MiniLMRecipe
    /// Whether the checkpoint's linear weights were stored in FP8.
    public let checkpointIsFP8: Bool
    /// Sequences longer than this are truncated by ``embed(_:)`` (sentence-transformers'
    /// `max_seq_length` for this model: 256; never more than `max_position_embeddings`).
    public let maxSequenceLength: Int
    /// The tokenizer read from the checkpoint's `vocab.txt`.
    public let tokenizer: WordPieceTokenizer

    let gemm: DenseGEMM
    let wordEmbeddings: [Float]      // [vocab, H]
    let positionEmbeddings: [Float]  // [maxPositions, H]
    let tokenType0: [Float]          // [H]: token_type_ids are all 0 for one sentence
    let embeddingNorm: LayerNorm
    let blocks: [EncoderLayer]

    struct LayerNorm {
        let weight: [Float]
        let bias: [Float]
    }

    struct EncoderLayer {
        let qkv: Linear          // fused [3H, H]: query, key, value weights stacked
        let attentionOutput: Linear
        let attentionNorm: LayerNorm
        let intermediate: Linear // [I, H]
        let output: Linear       // [H, I]
        let outputNorm: LayerNorm
    }

    /// Loads the checkpoint in `directory` for `recipe`.
    /// - Parameters:
    ///   - directory: the folder with `config.json`, `vocab.txt` and the safetensors weights.
    ///   - recipe: how the linear layers are computed.
    ///   - maxSequenceLength: the truncation length for ``embed(_:)`` (default 256, the model's
    ///     `sentence_bert_config.json` value); must be at least 2 and at most `max_position_embeddings`.
    ///   - denseGEMM: the float32 GEMM of the FP32 recipe (default ``portableGEMM``); unused otherwise.
    /// - Throws: ``MiniLMError/badCheckpoint(_:)`` naming the file and tensor when a tensor is missing or
    ///   has the wrong dtype or shape, a scale tensor is missing or malformed, or `config.json` is bad;
    ///   ``MiniLMError/badVocabulary(_:)`` for `vocab.txt`; ``SafeTensorsError`` for a damaged file.
    public init(directory: URL, recipe: MiniLMRecipe, maxSequenceLength: Int = 256,
                denseGEMM: DenseGEMM? = nil) throws {
        let config = try MiniLMConfig(contentsOf: directory.appendingPathComponent("config.json"))
        guard maxSequenceLength >= 2, maxSequenceLength <= config.maxPositions else {
            throw MiniLMError.badCheckpoint("maxSequenceLength \(maxSequenceLength) must be in 2...\(config.maxPositions)")
        }
        self.config = config
        self.recipe = recipe
        self.maxSequenceLength = maxSequenceLength
        self.gemm = denseGEMM ?? Self.portableGEMM
        self.tokenizer = try WordPieceTokenizer(vocabulary: directory.appendingPathComponent("vocab.txt"))
        let loader = try WeightLoader(directory: directory, config: config, recipe: recipe)
        let h = config.hiddenSize, i = config.intermediateSize
        wordEmbeddings = try loader.floats("embeddings.word_embeddings.weight", [config.vocabularySize, h])
        positionEmbeddings = try loader.floats("embeddings.position_embeddings.weight", [config.maxPositions, h])
        let tokenTypes = try loader.floats("embeddings.token_type_embeddings.weight", nil)
        guard tokenTypes.count >= h, tokenTypes.count % h == 0 else {
            throw MiniLMError.badCheckpoint("embeddings.token_type_embeddings.weight: \(tokenTypes.count) values, not [types, \(h)]")
        }
        tokenType0 = Array(tokenTypes[0..<h])
        embeddingNorm = try loader.layerNorm("embeddings.LayerNorm", h)
        var blocks: [EncoderLayer] = []
        for l in 0..<config.layers {
            let p = "encoder.layer.\(l)."
            blocks.append(EncoderLayer(
                qkv: try loader.linear(stacking: [p + "attention.self.query", p + "attention.self.key", p + "attention.self.value"],
                                       out: h, in: h),
                attentionOutput: try loader.linear(stacking: [p + "attention.output.dense"], out: h, in: h),
                attentionNorm: try loader.layerNorm(p + "attention.output.LayerNorm", h),
                intermediate: try loader.linear(stacking: [p + "intermediate.dense"], out: i, in: h),
                output: try loader.linear(stacking: [p + "output.dense"], out: h, in: i),
                outputNorm: try loader.layerNorm(p + "output.LayerNorm", h)))
        }
        self.blocks = blocks
        self.checkpointIsFP8 = loader.sawFP8
    }

    /// Embeds `sentences`: tokenizes each (truncated to ``maxSequenceLength`` tokens including [CLS]
    /// and [SEP]) and calls ``embed(tokenIDs:)``.
    /// - Returns: one L2-normalised `hiddenSize` vector per sentence, in order.
    public func embed(_ sentences: [String]) throws -> [[Float]] {
        try embed(tokenIDs: sentences.map { tokenizer.encode($0, maxLength: maxSequenceLength) })
    }

    /// Embeds sentences given as token ids (each with its [CLS] and [SEP], as
    /// ``WordPieceTokenizer/encode(_:maxLength:)`` makes them). The sentences are run as one batch: every
    /// linear layer is one GEMM over all their tokens (M = total tokens); attention stays within a sentence.
    /// - Returns: one L2-normalised `hiddenSize` vector per sentence, in order.
    /// - Throws: ``MiniLMError/badInput(_:)`` for an empty sequence, one longer than
    ///   `max_position_embeddings`, or an id outside the vocabulary; errors of the library's GEMMs.
    public func embed(tokenIDs: [[Int32]]) throws -> [[Float]] {
        let h = config.hiddenSize
        var starts: [Int] = []
        var total = 0
        for (s, ids) in tokenIDs.enumerated() {
            guard !ids.isEmpty, ids.count <= config.maxPositions else {
                throw MiniLMError.badInput("sentence \(s) has \(ids.count) tokens; 1...\(config.maxPositions) allowed")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                throw MiniLMError.badInput("sentence \(s) has token id \(bad), outside 0..<\(config.vocabularySize)")
            }
            starts.append(total)
            total += ids.count
        }
        if total == 0 { return [] }
        // Embeddings: word + position + token type 0, then LayerNorm.
        var x = [Float](repeating: 0, count: total * h)
        for (s, ids) in tokenIDs.enumerated() {
            for (pos, id) in ids.enumerated() {
                let row = (starts[s] + pos) * h, w = Int(id) * h, p = pos * h
                for j in 0..<h { x[row + j] = wordEmbeddings[w + j] + positionEmbeddings[p + j] + tokenType0[j] }
            }
        }
        layerNorm(&x, rows: total, embeddingNorm)
        let lengths = tokenIDs.map(\.count)
        for layer in blocks {
            x = try encoderLayer(layer, x, rows: total, starts: starts, lengths: lengths)
        }
        // Mean pooling over each sentence's tokens, then x / max(||x||, 1e-12) (torch F.normalize).
        return (0..<tokenIDs.count).map { s in
            var v = [Float](repeating: 0, count: h)
            for t in 0..<lengths[s] { let row = (starts[s] + t) * h; for j in 0..<h { v[j] += x[row + j] } }
            let inv = 1 / Float(lengths[s])
            for j in 0..<h { v[j] *= inv }
            let norm = Swift.max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return v.map { $0 / norm }
        }
    }

    private func encoderLayer(_ layer: EncoderLayer, _ x: [Float], rows m: Int, starts: [Int], lengths: [Int]) throws -> [Float] {
        let qkv = try layer.qkv(x, rows: m, recipe: recipe, gemm: gemm)           // [m, 3H]
        let context = attention(qkv, rows: m, starts: starts, lengths: lengths)  // [m, H]
        var a = try layer.attentionOutput(context, rows: m, recipe: recipe, gemm: gemm)
        layerNorm(&a, adding: x, rows: m, layer.attentionNorm)
        var f = try layer.intermediate(a, rows: m, recipe: recipe, gemm: gemm)    // [m, I]
        gelu(&f)
        var o = try layer.output(f, rows: m, recipe: recipe, gemm: gemm)
        layerNorm(&o, adding: a, rows: m, layer.outputNorm)
        return o
    }

    /// Multi-head self-attention within each sentence: softmax(Q K^T / sqrt(d)) V per head, from the
    /// fused `[m, 3H]` projections; returns the heads' contexts concatenated, `[m, H]`.
    private func attention(_ qkv: [Float], rows m: Int, starts: [Int], lengths: [Int]) -> [Float] {
        let h = config.hiddenSize, heads = config.heads, d = h / heads, ld = 3 * h
        let scale = 1 / Float(d).squareRoot()
        var out = [Float](repeating: 0, count: m * h)
        let jobs = starts.count * heads
        out.withUnsafeMutableBufferPointer { op in
            let outp = op.baseAddress!
            qkv.withUnsafeBufferPointer { qp in
                let base = qp.baseAddress!
                let body = { (job: Int) in
                    let s = job / heads, head = job % heads
                    let n = lengths[s], r0 = starts[s]
                    var scores = [Float](repeating: 0, count: n)
                    for i in 0..<n {
                        let q = base + (r0 + i) * ld + head * d
                        var mx = -Float.infinity
                        for j in 0..<n {
                            let k = base + (r0 + j) * ld + h + head * d
                            scores[j] = Self.dot(q, k, d) * scale
                            mx = Swift.max(mx, scores[j])
                        }
                        var sum: Float = 0
                        for j in 0..<n { scores[j] = expf(scores[j] - mx); sum += scores[j] }
                        let inv = 1 / sum
                        let o = outp + (r0 + i) * h + head * d
                        for j in 0..<n {
                            let p = scores[j] * inv
                            let v = base + (r0 + j) * ld + 2 * h + head * d
                            Self.axpy(p, v, o, d)
                        }
                    }
                }
                if jobs > 1 && FP8Runtime.threadCount > 1 {
                    DispatchQueue.concurrentPerform(iterations: jobs, execute: body)
                } else {
                    for job in 0..<jobs { body(job) }
                }
            }
        }
        return out
    }

    /// Row-wise LayerNorm in place: (x - mean) / sqrt(var + eps) * weight + bias (biased variance), of
    /// `x + residual` when `residual` is given (BERT's `LayerNorm(dense(x) + input)`).
    private func layerNorm(_ x: inout [Float], adding residual: [Float]? = nil, rows m: Int, _ p: LayerNorm) {
        let h = config.hiddenSize, eps = config.layerNormEpsilon
        x.withUnsafeMutableBufferPointer { xp in
            let base = xp.baseAddress!
            Self.parallelChunks(m, minimum: 16) { rows in
                for r in rows {
                    let row = base + r * h
                    if let residual { for j in 0..<h { row[j] += residual[r * h + j] } }
                    var mean: Float = 0
                    for j in 0..<h { mean += row[j] }
                    mean /= Float(h)
                    var variance: Float = 0
                    for j in 0..<h { let c = row[j] - mean; variance += c * c }
                    variance /= Float(h)
                    let inv = 1 / (variance + eps).squareRoot()
                    for j in 0..<h { row[j] = (row[j] - mean) * inv * p.weight[j] + p.bias[j] }
                }
            }
        }
    }

    /// Exact GELU in place: 0.5 x (1 + erf(x / sqrt 2)) (BERT's "gelu").
    private func gelu(_ x: inout [Float]) {
        let r: Float = 1 / Float(2).squareRoot()
        x.withUnsafeMutableBufferPointer { xp in
            let base = xp.baseAddress!
            Self.parallelChunks(xp.count, minimum: 4096) { range in
                for k in range { let v = base[k]; base[k] = 0.5 * v * (1 + erff(v * r)) }
            }
        }
    }

    /// Runs `body` over `0..<n` split into one contiguous chunk per thread of the library's count
    /// (chunks of at least `minimum`), in parallel.
    static func parallelChunks(_ n: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
        let parts = Swift.min(FP8Runtime.threadCount, Swift.max(1, n / Swift.max(minimum, 1)))
        if parts <= 1 { body(0..<n); return }
        DispatchQueue.concurrentPerform(iterations: parts) { t in
            body((n * t / parts)..<(n * (t + 1) / parts))
        }
    }

    /// sum_t x[t] * y[t] (SIMD8 lanes, then the tail).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var t = 0
        while t + 8 <= n {
            acc += UnsafeRawPointer(x + t).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(y + t).loadUnaligned(as: SIMD8<Float>.self)
            t += 8
        }
        var s = acc.sum()
        while t < n { s += x[t] * y[t]; t += 1 }
        return s
    }

    /// y[t] += a * x[t].
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var t = 0
        while t + 8 <= n {
            let v = UnsafeRawPointer(y + t).loadUnaligned(as: SIMD8<Float>.self)
                + a * UnsafeRawPointer(x + t).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + t).storeBytes(of: v, as: SIMD8<Float>.self)
            t += 8
        }
        while t < n { y[t] += a * x[t]; t += 1 }
    }
}
