// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import SafeTensors

/// Reads the model's tensors from a checkpoint folder, checking dtype and shape, and builds the linear
/// layers in the form the recipe needs.
final class WeightLoader {
    let checkpoint: SafeTensorsCheckpoint
    let config: MiniLMConfig
    let recipe: MiniLMRecipe
    private(set) var sawFP8 = false

    init(directory: URL, config: MiniLMConfig, recipe: MiniLMRecipe) throws {
        self.checkpoint = try SafeTensorsCheckpoint(path: directory.path)
        self.config = config
        self.recipe = recipe
    }

    private func fail(_ tensor: String, _ s: String) -> MiniLMError {
        // The shard holding the tensor; for a missing one, the index, the only shard, or the folder.
        let dir = checkpoint.directory as NSString
        let file = checkpoint.weightMap[tensor].map { dir.appendingPathComponent($0) } ?? checkpoint.indexPath
            ?? (checkpoint.shardNames.count == 1 ? dir.appendingPathComponent(checkpoint.shardNames[0]) : checkpoint.directory)
        return .badCheckpoint("\(file): tensor \(tensor): \(s)")
    }

    private func tensor(_ name: String) throws -> SafeTensor {
        guard checkpoint.weightMap[name] != nil else { throw fail(name, "missing") }
        return try checkpoint.tensor(named: name)
    }

    /// A float tensor (F32, F16 or BF16) as float32; `shape` nil accepts any shape.
    func floats(_ name: String, _ shape: [Int]?) throws -> [Float] {
        let t = try tensor(name)
        if let shape, t.shape != shape { throw fail(name, "shape \(t.shape), expected \(shape)") }
        let n = t.elementCount
        switch t.dtype {
        case .f32:
            return [Float](unsafeUninitializedCapacity: n) { buf, c in
                t.withUnsafeBytes { UnsafeMutableRawBufferPointer(buf).copyMemory(from: $0) }
                c = n
            }
        case .bf16:
            let raw = [BFloat16](unsafeUninitializedCapacity: n) { buf, c in
                t.withUnsafeBytes { UnsafeMutableRawBufferPointer(buf).copyMemory(from: $0) }
                c = n
            }
            return [Float](raw)
        case .f16:
            #if arch(x86_64) || arch(arm64)
            let raw = [UInt16](unsafeUninitializedCapacity: n) { buf, c in
                t.withUnsafeBytes { UnsafeMutableRawBufferPointer(buf).copyMemory(from: $0) }
                c = n
            }
            return raw.map { Float(Float16(bitPattern: $0)) }
            #else
            throw fail(name, "F16 is not supported on this architecture")
            #endif
        default:
            throw fail(name, "dtype \(t.dtype.rawValue), expected F32, F16 or BF16")
        }
    }

    func layerNorm(_ prefix: String, _ h: Int) throws -> MiniLMModel.LayerNorm {
        MiniLMModel.LayerNorm(weight: try floats(prefix + ".weight", [h]), bias: try floats(prefix + ".bias", [h]))
    }

    /// The linear layers `prefixes` (each `[out, in]` weight + `[out]` bias) stacked along the output
    /// dimension into one layer (Q, K and V become one GEMM). FP8 weights are stacked by concatenating
    /// codes and block scales, which is exact when `out` is a multiple of the block's row count (it is for
    /// this model: 384 = 3 x 128); otherwise they are dequantized and re-quantized stacked.
    func linear(stacking prefixes: [String], out: Int, in k: Int) throws -> Linear {
        var bias: [Float] = []
        for p in prefixes { bias += try floats(p + ".bias", [out]) }
        let parts = try prefixes.map { try storedWeight($0, out: out, in: k) }
        let n = out * prefixes.count
        let weight: Linear.Weight
        switch recipe {
        case .fp32:
            weight = .dense(parts.flatMap(Self.floats))
        case .weightOnlyF32, .weightOnlyBF16, .deepSeekW8A8:
            let quantized: [QuantizedMatrix] = parts.compactMap { part in
                if case .fp8(let q) = part { return q } else { return nil }
            }
            if quantized.count == parts.count, let first = quantized.first, out % first.blockRows == 0,
               quantized.allSatisfy({ q in
                   q.format == first.format && q.blockRows == first.blockRows && q.blockCols == first.blockCols
               }) {
                var codes: [UInt8] = []
                var scales: [Float] = []
                for q in quantized { codes += q.codes; scales += q.scales }
                weight = .fp8(try QuantizedMatrix(codes: codes, scales: scales, rows: n, cols: k, blockRows: first.blockRows,
                                                  blockCols: first.blockCols, format: first.format))
            } else {
                let dense = parts.flatMap(Self.floats)
                // Stacked 128x128 blocks are those of each part when out % 128 == 0 (exact for this model).
                weight = .fp8(try QuantizedMatrix(quantizing: dense, rows: n, cols: k, format: .e4m3,
                                                  granularity: .block(128, 128), options: .deepGEMM))
            }
        }
        return Linear(weight: weight, bias: bias, outFeatures: n, inFeatures: k)
    }

    /// A stored weight as float32 (FP8 ones dequantized).
    private static func floats(_ w: Linear.Weight) -> [Float] {
        switch w {
        case .dense(let v): return v
        case .fp8(let q): return q.dequantized()
        }
    }

    /// One `[out, in]` weight as stored: float32 (from F32/F16/BF16), or FP8 codes with their
    /// `weight_scale_inv` (DeepSeek-V3 layout) or `weight_scale` (one per-tensor scalar or `[out, 1]`).
    private func storedWeight(_ prefix: String, out: Int, in k: Int) throws -> Linear.Weight {
        let name = prefix + ".weight"
        let t = try tensor(name)
        guard t.shape == [out, k] else { throw fail(name, "shape \(t.shape), expected \([out, k])") }
        let format: FP8Format
        switch t.dtype {
        case .f8E4M3: format = .e4m3
        case .f8E5M2: format = .e5m2
        default: return .dense(try floats(name, [out, k]))
        }
        sawFP8 = true
        let (br, bc): (Int, Int)
        let scales: [Float]
        if checkpoint.weightMap[name + "_scale_inv"] != nil {
            (br, bc) = config.weightBlockSize ?? (128, 128)
            let expected = [(out + br - 1) / br, (k + bc - 1) / bc]
            scales = try floats(name + "_scale_inv", nil)
            let shape = try tensor(name + "_scale_inv").shape
            guard shape == expected else {
                throw fail(name + "_scale_inv", "shape \(shape), expected \(expected) for \(br)x\(bc) blocks of \([out, k])")
            }
        } else if checkpoint.weightMap[name + "_scale"] != nil {
            let s = try floats(name + "_scale", nil)
            if s.count == 1 { (br, bc) = (out, k); scales = s } else if s.count == out { (br, bc) = (1, k); scales = s } else {
                throw fail(name + "_scale", "\(s.count) values; expected 1 (per tensor) or \(out) (per channel)")
            }
        } else {
            throw fail(name, "FP8 weight without \(name)_scale_inv or \(name)_scale")
        }
        do {
            return .fp8(try QuantizedMatrix(codes: t.bytes, scales: scales, rows: out, cols: k, blockRows: br,
                                            blockCols: bc, format: format))
        } catch {
            throw fail(name, "\(error)")
        }
    }
}
