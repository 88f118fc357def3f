// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import SafeTensors

/// The element type `dequantize` writes.
public enum OutputDType: String, CaseIterable {
    case bf16, f16, f32

    var safeTensors: SafeTensorsDType {
        switch self {
        case .bf16: return .bf16
        case .f16: return .f16
        case .f32: return .f32
        }
    }
}

/// What `dequantize` did.
public struct DequantizeSummary: Equatable {
    /// FP8 tensors dequantized, tensors copied as they were, scale tensors dropped.
    public var dequantized = 0
    public var copied = 0
    public var dropped = 0
    /// Bytes written to tensor data.
    public var bytes = 0
}

/// One output tensor of a shard.
private enum Job {
    case copy(SafeTensor)
    /// FP8 weight, its format, its scale tensor (checked; its values are read again when the weight is
    /// written, so that the plan holds no scale values) and the file it is in, and how it applies.
    case dequantize(SafeTensor, FP8Format, scale: SafeTensor, scaleFile: String, kind: ScaleKind)
}

/// `dequantize IN OUT`: writes a copy of the checkpoint with every FP8 tensor `X` that has a scale
/// tensor converted to `dtype`, value by value `dtype(f32(q) * s)` with `s` the scale of `q`'s block:
///
/// - `X_scale_inv` (DeepSeek-V3/R1): `s` from the block grid `[ceil(N/b0), ceil(K/b1)]`, `b0 x b1` the
///   `config.json` `quantization_config.weight_block_size` (128 x 128 without one). This is DeepSeek-V3
///   `inference/kernel.py` `weight_dequant` as used by `fp8_cast_bf16.py`, bit for bit for `bf16`.
/// - `X_scale` (Llama/Qwen FP8): per tensor (shape `[]` or `[1]`) or per output channel (`[N, 1]`).
///
/// Scale tensors (and `P.input_scale` beside a dequantized `P.weight`) are dropped; every other tensor is
/// copied byte for byte. For a directory: one output shard per input shard with the same name, the index's
/// `weight_map` rewritten (and `metadata.total_size`), `config.json` copied without
/// `quantization_config`, other files copied. For a single `.safetensors` file, `output` is one file.
///
/// Everything is checked before anything is written; the output is created atomically (a hidden temporary
/// sibling `.NAME.tmp-PID-RANDOM` renamed at the end, removed on error or interruption, see
/// ``Interruption``), and must not exist. Tensors are converted in pieces of a few MB on all cores (the
/// library's thread pool), each piece's input pages released once written, so peak memory is about one
/// piece (MB), not one tensor or the checkpoint. `progress` shows tensor i of n and GB/s of output.
/// - Throws: ``CkptError`` naming file and tensor: an FP8 tensor without a scale, a scale whose shape does
///   not fit (`_scale_inv` must be `[ceil(N/b0), ceil(K/b1)]`, `_scale` `[]`, `[1]` or `[N, 1]`), a
///   scale that is not finite and positive, a `_scale_inv` without its FP8 weight, a scale dtype other than
///   F32/F16/BF16/F8_E8M0 (or an E8M0 NaN), a malformed `config.json` or index, any damaged shard, an
///   output that exists or lies inside the input directory, an I/O failure, or an interruption.
@discardableResult
public func dequantize(input inputPath: String, output: String, dtype: OutputDType = .bf16,
                       progress line: ProgressLine? = nil) throws -> DequantizeSummary {
    let input = try OpenedInput(inputPath)
    let block = input.config.blockSize
    let map = input.checkpoint.weightMap
    var summary = DequantizeSummary()

    // Pass 1: plan and check everything (headers and scale tensors only; weights are not read).
    var plan: [(shard: String, metadata: [String: String]?, jobs: [Job])] = []
    for shardName in input.checkpoint.shardNames {
        let f = try input.shard(shardName)
        var jobs: [Job] = []
        for t in f.tensors where map[t.name] == shardName {
            let name = t.name
            if name.hasSuffix(scaleInvSuffix) {
                let base = String(name.dropLast(scaleInvSuffix.count))
                guard let (w, _) = try input.lookup(base), fp8Format(w.dtype) != nil else {
                    throw CkptError(file: f.path, tensor: name, "scale tensor without an FP8 tensor '\(base)'")
                }
                summary.dropped += 1
                continue
            }
            if name.hasSuffix(scaleSuffix) || name.hasSuffix(".input_scale") {
                let base = name.hasSuffix(".input_scale") ? String(name.dropLast("input_scale".count)) + "weight"
                                                          : String(name.dropLast(scaleSuffix.count))
                if let (w, _) = try input.lookup(base), fp8Format(w.dtype) != nil {
                    summary.dropped += 1
                    continue
                }
            }
            guard let format = fp8Format(t.dtype) else {
                jobs.append(.copy(t))
                continue
            }
            var found: (SafeTensor, String, ScaleKind)?
            for suffix in [scaleInvSuffix, scaleSuffix] {
                guard let (s, sfile) = try input.lookup(name + suffix) else { continue }
                guard let kind = scaleKind(scaleName: s.name, scaleShape: s.shape, weightShape: t.shape, block: block)
                else {
                    let want = suffix == scaleInvSuffix
                        ? (t.shape.count == 2 ? "\(block.scaleShape(n: t.shape[0], k: t.shape[1])) for block size \(block)"
                                              : "a 2-D weight")
                        : (t.shape.count == 2 ? "[], [1] or [\(t.shape[0]), 1]" : "a 2-D weight")
                    throw CkptError(file: sfile, tensor: s.name,
                                    "scale shape \(s.shape) does not fit weight '\(name)' of shape \(t.shape): expected \(want)")
                }
                try checkScales(try scaleValues(s, file: sfile), name: s.name, file: sfile) // before any output
                found = (s, sfile, kind)
                break
            }
            guard let (scale, scaleFile, kind) = found else {
                throw CkptError(file: f.path, tensor: name,
                                "FP8 tensor (\(t.dtype)) has no scale tensor '\(name)\(scaleInvSuffix)' or '\(name)\(scaleSuffix)'")
            }
            jobs.append(.dequantize(t, format, scale: scale, scaleFile: scaleFile, kind: kind))
        }
        plan.append((shardName, f.metadata, jobs))
    }

    // Pass 2: write, shard by shard, tensor by tensor, piece by piece.
    let progress = WorkProgress(line, total: plan.reduce(0) { $0 + $1.jobs.count })
    let shards = plan.map { entry -> OutputShard in
        let file = input.shardPath(entry.shard)
        return OutputShard(name: entry.shard, metadata: entry.metadata, sources: entry.jobs.map { job in
            switch job {
            case .copy(let t):
                return copySource(t, file: file, progress: progress) { summary.copied += 1 }
            case let .dequantize(t, format, scale, scaleFile, kind):
                return SafeTensorsSource(name: t.name, dtype: dtype.safeTensors, shape: t.shape) { sink in
                    try progress.begin(t.name, file: file)
                    let scales = try scaleValues(scale, file: scaleFile)
                    try dequantizeTensor(t, format: format, scales: scales, kind: kind, block: block, dtype: dtype,
                                         file: file, sink: sink, progress: progress)
                    summary.dequantized += 1
                }
            }
        })
    }
    var config = input.config.json
    config?.removeValue(forKey: "quantization_config")
    try writeOutput(input, shards, to: output, config: config)
    summary.bytes = progress.bytes
    progress.finish()
    return summary
}

/// Dequantizes the FP8 tensor `t` `[n, k]` into `sink`, in pieces of whole block rows.
private func dequantizeTensor(_ t: SafeTensor, format: FP8Format, scales: [Float], kind: ScaleKind, block: BlockSize,
                              dtype: OutputDType, file: String, sink: SafeTensorsSink, progress: WorkProgress) throws {
    let (n, k) = (t.shape[0], t.shape[1])
    if n == 0 || k == 0 { return }
    // The scale block (br, bc): a per-tensor scale is one block of the whole tensor.
    let (br, bc): (Int, Int)
    switch kind {
    case .blockScaleInv: (br, bc) = (block.rows, block.cols)
    case .perChannel: (br, bc) = (1, k)
    case .perTensor: (br, bc) = (n, k)
    }
    let nbc = (k + bc - 1) / bc
    let outBytes = dtype == .f32 ? 4 : 2
    try t.withUnsafeBytes { raw in
        // Pieces start on a block row (any row for one per-tensor scale).
        try forEachPiece(rows: n, cols: k, align: kind == .perTensor ? 1 : br) { r0, rows in
            let codes = [UInt8](UnsafeRawBufferPointer(rebasing: raw[(r0 * k)..<((r0 + rows) * k)]))
            let s = Array(scales[(r0 / br * nbc)..<((r0 + rows + br - 1) / br * nbc)])
            let m: QuantizedMatrix
            do {
                m = try QuantizedMatrix(codes: codes, scales: s, rows: rows, cols: k, blockRows: br, blockCols: bc,
                                        format: format)
            } catch { throw CkptError(file: file, tensor: t.name, "\(error)") }
            switch dtype {
            case .bf16: try m.dequantized(as: BFloat16.self).withUnsafeBytes { try sink.write($0) }
            case .f16: try m.dequantized(as: Float16.self).withUnsafeBytes { try sink.write($0) }
            case .f32: try m.dequantized().withUnsafeBytes { try sink.write($0) }
            }
            t.releasePages((r0 * k)..<((r0 + rows) * k))
            try progress.advance(rows * k * outBytes, Double(r0 + rows) / Double(n))
        }
    }
}
