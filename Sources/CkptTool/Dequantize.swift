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
    /// FP8 weight, its scale tensor (name and file) and how the scale applies.
    case dequantize(SafeTensor, FP8Format, scale: String, kind: ScaleKind)
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
/// sibling renamed at the end, removed on error), and must not exist. Peak memory is about one tensor.
/// - Throws: ``CkptError`` naming file and tensor: an FP8 tensor without a scale, a scale whose shape does
///   not fit (`_scale_inv` must be `[ceil(N/b0), ceil(K/b1)]`), a `_scale_inv` without its FP8 weight, a
///   scale dtype other than F32/F16/BF16/F8_E8M0, any damaged shard, or an I/O failure.
@discardableResult
public func dequantize(input inputPath: String, output: String, dtype: OutputDType = .bf16,
                       progress: ProgressLine? = nil) throws -> DequantizeSummary {
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
            var found: (String, ScaleKind)?
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
                _ = try scaleValues(s, file: sfile) // dtype and E8M0 NaN checks, before any output
                found = (s.name, kind)
                break
            }
            guard let (scale, kind) = found else {
                throw CkptError(file: f.path, tensor: name,
                                "FP8 tensor (\(t.dtype)) has no scale tensor '\(name)\(scaleInvSuffix)' or '\(name)\(scaleSuffix)'")
            }
            jobs.append(.dequantize(t, format, scale: scale, kind: kind))
        }
        plan.append((shardName, f.metadata, jobs))
    }

    // Pass 2: write, shard by shard, tensor by tensor.
    let total = plan.reduce(0) { $0 + $1.jobs.count }
    var index = 0
    var newMap: [String: String] = [:]
    func writeShard(_ entry: (shard: String, metadata: [String: String]?, jobs: [Job]), to path: String) throws {
        var sources: [SafeTensorsSource] = []
        for job in entry.jobs {
            switch job {
            case .copy(let t):
                sources.append(SafeTensorsSource(name: t.name, dtype: t.dtype, shape: t.shape, stream: { sink in
                    try t.withUnsafeBytes { try sink.write($0) }
                    summary.copied += 1
                    summary.bytes += t.byteCount
                    index += 1
                    progress?.update(index, of: total, bytes: summary.bytes, name: t.name)
                }))
                newMap[t.name] = entry.shard
            case let .dequantize(t, format, scaleName, kind):
                sources.append(SafeTensorsSource(name: t.name, dtype: dtype.safeTensors, shape: t.shape, stream: { sink in
                    let n = try dequantizeTensor(t, format: format, scaleName: scaleName, kind: kind, block: block,
                                                 input: input, dtype: dtype, sink: sink)
                    summary.dequantized += 1
                    summary.bytes += n
                    index += 1
                    progress?.update(index, of: total, bytes: summary.bytes, name: t.name)
                }))
                newMap[t.name] = entry.shard
            }
        }
        do { try SafeTensorsWriter.write(sources, metadata: entry.metadata, to: path) } catch {
            throw CkptError.wrap(error, file: path, tensor: nil)
        }
    }

    if input.isFile {
        guard !FileManager.default.fileExists(atPath: output) else { throw CkptError(file: output, "output already exists") }
        try writeShard(plan[0], to: withDirectory(output))
    } else {
        try withAtomicDirectory(output) { tmp in
            for entry in plan { try writeShard(entry, to: (tmp as NSString).appendingPathComponent(entry.shard)) }
            if let indexPath = input.checkpoint.indexPath {
                var obj = ((try? JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: indexPath) ?? Data()))
                    as? [String: Any]) ?? [:]
                var meta = (obj["metadata"] as? [String: Any]) ?? [:]
                meta["total_size"] = summary.bytes
                obj["metadata"] = meta
                obj["weight_map"] = newMap
                try writeJSON(obj, to: (tmp as NSString).appendingPathComponent(SafeTensorsCheckpoint.indexFileName))
            }
            if var cfg = input.config.json {
                cfg.removeValue(forKey: "quantization_config")
                try writeJSON(cfg, to: (tmp as NSString).appendingPathComponent("config.json"))
            }
            try copyOtherFiles(from: input.directory, to: tmp)
        }
    }
    progress?.finish()
    return summary
}

/// Dequantizes one FP8 tensor into `sink`; returns the bytes written.
private func dequantizeTensor(_ t: SafeTensor, format: FP8Format, scaleName: String, kind: ScaleKind, block: BlockSize,
                              input: OpenedInput, dtype: OutputDType, sink: SafeTensorsSink) throws -> Int {
    let file = input.shardPath(input.checkpoint.weightMap[t.name] ?? "")
    guard let (s, sfile) = try input.lookup(scaleName) else { throw CkptError(file: file, tensor: scaleName, "scale vanished") }
    let scales = try scaleValues(s, file: sfile)
    let count = t.elementCount
    if count == 0 { return 0 }
    let rows: Int, cols: Int, br: Int, bc: Int
    switch kind {
    case .blockScaleInv: (rows, cols, br, bc) = (t.shape[0], t.shape[1], block.rows, block.cols)
    case .perChannel: (rows, cols, br, bc) = (t.shape[0], t.shape[1], 1, t.shape[1])
    case .perTensor: (rows, cols, br, bc) = (1, count, 1, count)
    }
    let m: QuantizedMatrix
    do {
        m = try QuantizedMatrix(codes: t.bytes, scales: scales, rows: rows, cols: cols, blockRows: br, blockCols: bc,
                                format: format)
    } catch { throw CkptError(file: file, tensor: t.name, "\(error)") }
    switch dtype {
    case .bf16:
        let v = m.dequantized(as: BFloat16.self)
        try v.withUnsafeBytes { try sink.write($0) }
        return v.count * 2
    case .f16:
        let v = m.dequantized(as: Float16.self)
        try v.withUnsafeBytes { try sink.write($0) }
        return v.count * 2
    case .f32:
        let v = m.dequantized(as: Float.self)
        try v.withUnsafeBytes { try sink.write($0) }
        return v.count * 4
    }
}
