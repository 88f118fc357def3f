// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import SafeTensors

/// The scale rule of `quantize`.
public enum ScaleRuleOption: String, CaseIterable {
    /// `s = max(amax, 1e-4) / max_finite` per block (DeepGEMM `per_block_cast_to_fp8`).
    case amax
    /// The same rounded up to a power of two (DeepGEMM `use_ue8m0`; config `"scale_fmt": "ue8m0"`).
    case pow2

    var options: QuantizationOptions { self == .amax ? .deepGEMM : .deepGEMMUE8M0 }
}

/// What `quantize` quantizes: names ending in `.weight` of 2-D BF16/F16/F32 tensors that match `include`
/// (when given) and match no exclude pattern.
public struct QuantizeSelection {
    /// Kept as they are by default (regular expressions searched anywhere in the name, case-insensitive):
    /// embeddings (`embed`, `wte`, `wpe`), norms (`norm`, which covers LayerNorm/RMSNorm), the MoE
    /// router (`\.gate\.weight$`, DeepSeek's `mlp.gate.weight`; `router`), and the output heads
    /// (`lm_head`, `output\.weight$`, and BERT's `pooler`). Biases are never quantized (not `.weight`).
    public static let defaultExcludes = ["embed", "wte", "wpe", "norm", "lm_head", "^output\\.weight$",
                                         "\\.gate\\.weight$", "router", "pooler"]
    public var include: [String] = []
    public var exclude: [String] = []
    public var useDefaultExcludes = true
    public init(include: [String] = [], exclude: [String] = [], useDefaultExcludes: Bool = true) {
        self.include = include
        self.exclude = exclude
        self.useDefaultExcludes = useDefaultExcludes
    }

    func compiled() throws -> (inc: [NSRegularExpression], exc: [NSRegularExpression]) {
        func re(_ p: String) throws -> NSRegularExpression {
            do { return try NSRegularExpression(pattern: p, options: [.caseInsensitive]) } catch {
                throw CkptError(file: "<command line>", "invalid regular expression '\(p)'")
            }
        }
        return (try include.map(re), try ((useDefaultExcludes ? Self.defaultExcludes : []) + exclude).map(re))
    }
}

/// One quantized tensor's report line.
public struct QuantizedTensorReport: Equatable {
    public var name: String
    public var shape: [Int]
    /// SQNR of the FP8 weight dequantized to F32 against the input converted to F32, in dB.
    public var sqnr: Double
}

/// What `quantize` did.
public struct QuantizeSummary: Equatable {
    public var quantized: [QuantizedTensorReport] = []
    public var copied = 0
    public var bytesIn = 0
    public var bytesOut = 0
}

private func matches(_ res: [NSRegularExpression], _ s: String) -> Bool {
    res.contains { $0.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil }
}

/// Quantizes the BF16/F16/F32 tensor `t` `[n, k]` with `block` scales, once, in pieces of whole block rows:
/// each piece's codes go to `sink` as they come, its scales are appended to the returned array (the
/// scale tensor is written after the weight, see `producingInGivenOrder`), and its pages are released.
/// The SQNR is that of these codes and scales against the input widened to F32.
private func quantizeTensor(_ t: SafeTensor, format: FP8Format, block: BlockSize, rule: ScaleRuleOption, file: String,
                            sink: SafeTensorsSink, progress: WorkProgress) throws -> (scales: [Float], sqnr: Double) {
    let (n, k) = (t.shape[0], t.shape[1])
    var scales: [Float] = []
    scales.reserveCapacity(block.scaleShape(n: n, k: k).reduce(1, *))
    var signal = 0.0, noise = 0.0
    let esize = t.dtype == .f32 ? 4 : 2
    func piece<T: FP8DTypeElement>(_: T.Type, _ bytes: UnsafeRawBufferPointer, rows: Int) throws -> QuantizedMatrix {
        let opts = rule.options, g = Granularity.block(block.rows, block.cols)
        if Int(bitPattern: bytes.baseAddress) % MemoryLayout<T>.alignment == 0 {
            return try QuantizedMatrix(quantizing: UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: T.self),
                                                                       count: rows * k),
                                       rows: rows, cols: k, format: format, granularity: g, options: opts)
        }
        // The format aligns nothing: a file written by another tool may leave the data misaligned.
        let copy = [T](unsafeUninitializedCapacity: rows * k) { b, c in
            UnsafeMutableRawBufferPointer(b).copyMemory(from: bytes)
            c = rows * k
        }
        return try QuantizedMatrix(quantizing: copy, rows: rows, cols: k, format: format, granularity: g, options: opts)
    }
    try t.withUnsafeBytes { raw in
        try forEachPiece(rows: n, cols: k, align: block.rows) { r0, rows in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[(r0 * k * esize)..<((r0 + rows) * k * esize)])
            let m: QuantizedMatrix
            do {
                switch t.dtype {
                case .bf16: m = try piece(BFloat16.self, bytes, rows: rows)
                case .f16: m = try piece(Float16.self, bytes, rows: rows)
                default: m = try piece(Float.self, bytes, rows: rows)
                }
            } catch FP8Error.nonFinite(let row, let col) {
                throw CkptError(file: file, tensor: t.name,
                                "element [\(r0 + row), \(col)] is NaN or infinite: cannot quantize (exclude it with --exclude)")
            } catch { throw CkptError(file: file, tensor: t.name, "cannot quantize: \(error)") }
            try m.codes.withUnsafeBytes { try sink.write($0) }
            scales += m.scales
            let (s, e) = squaredSums(m.dequantized(), reference: bytes, dtype: t.dtype)
            signal += s
            noise += e
            t.releasePages((r0 * k * esize)..<((r0 + rows) * k * esize))
            try progress.advance(rows * k * esize, Double(r0 + rows) / Double(n))
        }
    }
    return (scales, noise == 0 ? .infinity : 10 * log10(signal / noise))
}

/// `(sum ref^2, sum (x - ref)^2)` in Double, `ref` the F32/F16/BF16 elements of `reference` widened to F32,
/// over all cores in fixed slices (the same sums whatever the core count).
private func squaredSums(_ x: [Float], reference: UnsafeRawBufferPointer, dtype: SafeTensorsDType) -> (Double, Double) {
    let slice = 1 << 16, count = x.count
    let slices = (count + slice - 1) / slice
    var parts = [(Double, Double)](repeating: (0, 0), count: slices)
    x.withUnsafeBufferPointer { xs in
        parts.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: slices) { j in
                var s = 0.0, e = 0.0
                for i in (j * slice)..<min(count, (j + 1) * slice) {
                    let r: Float
                    switch dtype {
                    case .bf16: r = Float(bitPattern: UInt32(reference.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
                    case .f16: r = Float(Float16(bitPattern: reference.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
                    default: r = Float(bitPattern: reference.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)
                    }
                    let d = Double(xs[i]) - Double(r)
                    s += Double(r) * Double(r)
                    e += d * d
                }
                out[j] = (s, e)
            }
        }
    }
    return parts.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
}

/// `quantize IN OUT`: writes a copy of the checkpoint in the DeepSeek-V3 FP8 layout. Every selected
/// weight `X` (see ``QuantizeSelection``) becomes `X` F8_E4M3 (or F8_E5M2) `[N, K]` plus `X_scale_inv` F32
/// `[ceil(N/b0), ceil(K/b1)]`, quantized per `b0 x b1` block as DeepGEMM's `per_block_cast_to_fp8` does:
/// `amax = max(max|x|, 1e-4)`, `s = fl32(amax / max_finite)` (rounded up to a power of two for `pow2`),
/// `q = fp8(fl32(x * fl32(1/s)))` (round to nearest even, saturating). Other tensors are copied byte for
/// byte; `config.json` gains `quantization_config` = `{"quant_method": "fp8", "fmt": "e4m3"|"e5m2",
/// "activation_scheme": "dynamic", "weight_block_size": [b0, b1]}` (+ `"scale_fmt": "ue8m0"` for `pow2`);
/// the index lists the new scale tensors beside their weights. Atomic and interruptible like
/// ``dequantize(input:output:dtype:progress:)``.
/// Each weight is quantized once, in pieces of whole block rows on all cores (the library's thread pool):
/// its codes are written as they come and its scales kept (the writer produces the weight before its
/// scale tensor, although the scales are stored first), so peak memory is about one piece (MB) plus the
/// tensor's scales. `progress` shows tensor i of n and GB/s of input; `report` gets each weight's SQNR.
/// - Throws: ``CkptError``: a non-finite value in a selected weight (found while writing; nothing is
///   left), a selected weight whose `X_scale_inv` already exists, an invalid pattern, damaged input, an
///   output that exists or lies inside the input directory, an I/O failure, or an interruption.
@discardableResult
public func quantize(input inputPath: String, output: String, format: FP8Format = .e4m3, block: BlockSize = .deepSeek,
                     rule: ScaleRuleOption = .amax, selection: QuantizeSelection = QuantizeSelection(),
                     progress line: ProgressLine? = nil, report: ((QuantizedTensorReport) -> Void)? = nil) throws -> QuantizeSummary {
    let input = try OpenedInput(inputPath)
    let (inc, exc) = try selection.compiled()
    let map = input.checkpoint.weightMap
    let fp8: SafeTensorsDType = format == .e4m3 ? .f8E4M3 : .f8E5M2
    var summary = QuantizeSummary()
    var plan: [(shard: String, metadata: [String: String]?, tensors: [(SafeTensor, Bool)])] = []
    for shardName in input.checkpoint.shardNames {
        let f = try input.shard(shardName)
        var ts: [(SafeTensor, Bool)] = []
        for t in f.tensors where map[t.name] == shardName {
            let q = t.name.hasSuffix(".weight") && t.shape.count == 2 && t.elementCount > 0
                && [.bf16, .f16, .f32].contains(t.dtype)
                && (inc.isEmpty || matches(inc, t.name)) && !matches(exc, t.name)
            if q && map[t.name + scaleInvSuffix] != nil {
                throw CkptError(file: f.path, tensor: t.name + scaleInvSuffix, "already exists")
            }
            ts.append((t, q))
        }
        plan.append((shardName, f.metadata, ts))
    }

    let progress = WorkProgress(line, total: plan.reduce(0) { $0 + $1.tensors.count })
    let shards = plan.map { entry -> OutputShard in
        let file = input.shardPath(entry.shard)
        var sources: [SafeTensorsSource] = []
        for (t, q) in entry.tensors {
            guard q else {
                sources.append(copySource(t, file: file, progress: progress) {
                    summary.copied += 1
                    summary.bytesIn += t.byteCount
                    summary.bytesOut += t.byteCount
                })
                continue
            }
            var scales: [Float]? // from the weight's stream, which the writer calls first
            sources.append(SafeTensorsSource(name: t.name, dtype: fp8, shape: t.shape) { sink in
                try progress.begin(t.name, file: file)
                let (s, sqnr) = try quantizeTensor(t, format: format, block: block, rule: rule, file: file, sink: sink,
                                                   progress: progress)
                scales = s
                let r = QuantizedTensorReport(name: t.name, shape: t.shape, sqnr: sqnr)
                summary.quantized.append(r)
                report?(r)
                summary.bytesIn += t.byteCount
                summary.bytesOut += t.elementCount + s.count * 4
            })
            sources.append(SafeTensorsSource(name: t.name + scaleInvSuffix, dtype: .f32,
                                             shape: block.scaleShape(n: t.shape[0], k: t.shape[1])) { sink in
                guard let s = scales else {
                    throw CkptError(file: file, tensor: t.name + scaleInvSuffix, "internal error: scales written before their weight")
                }
                try s.withUnsafeBytes { try sink.write($0) }
                scales = nil
            })
        }
        return OutputShard(name: entry.shard, metadata: entry.metadata, sources: sources)
    }
    var qc: [String: Any] = ["quant_method": "fp8", "fmt": format == .e4m3 ? "e4m3" : "e5m2",
                             "activation_scheme": "dynamic", "weight_block_size": [block.rows, block.cols]]
    if rule == .pow2 { qc["scale_fmt"] = "ue8m0" }
    var config = input.config.json ?? [:]
    config["quantization_config"] = qc
    try writeOutput(input, shards, to: output, config: config, producingInGivenOrder: true)
    progress.finish()
    return summary
}
