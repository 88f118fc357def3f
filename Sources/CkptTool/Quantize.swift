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
    /// router (`\.gate\.weight$`, DeepSeek's `mlp.gate.weight`; `router`), and the output head
    /// (`lm_head`, `output\.weight$`). Biases are never quantized (not `.weight`).
    public static let defaultExcludes = ["embed", "wte", "wpe", "norm", "lm_head", "^output\\.weight$",
                                         "\\.gate\\.weight$", "router"]
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

/// Quantizes a BF16/F16/F32 tensor of shape `[n, k]` with `block` scales.
private func quantizeTensor(_ t: SafeTensor, format: FP8Format, block: BlockSize, rule: ScaleRuleOption,
                            file: String) throws -> (QuantizedMatrix, [Float]) {
    let (n, k) = (t.shape[0], t.shape[1])
    let bytes = t.bytes
    func run<T: FP8DTypeElement>(_: T.Type) throws -> (QuantizedMatrix, [Float]) {
        let values = [T](unsafeUninitializedCapacity: n * k) { b, c in
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(b).copyMemory(from: $0) }
            c = n * k
        }
        let m = try QuantizedMatrix(quantizing: values, rows: n, cols: k, format: format,
                                    granularity: .block(block.rows, block.cols), options: rule.options)
        return (m, values.map { Float($0) })
    }
    do {
        switch t.dtype {
        case .bf16: return try run(BFloat16.self)
        case .f16: return try run(Float16.self)
        default: return try run(Float.self)
        }
    } catch let e as CkptError { throw e } catch { throw CkptError(file: file, tensor: t.name, "cannot quantize: \(error)") }
}

/// `quantize IN OUT`: writes a copy of the checkpoint in the DeepSeek-V3 FP8 layout. Every selected
/// weight `X` (see ``QuantizeSelection``) becomes `X` F8_E4M3 (or F8_E5M2) `[N, K]` plus `X_scale_inv` F32
/// `[ceil(N/b0), ceil(K/b1)]`, quantized per `b0 x b1` block as DeepGEMM's `per_block_cast_to_fp8` does:
/// `amax = max(max|x|, 1e-4)`, `s = fl32(amax / max_finite)` (rounded up to a power of two for `pow2`),
/// `q = fp8(fl32(x * fl32(1/s)))` (round to nearest even, saturating). Other tensors are copied byte for
/// byte; `config.json` gains `quantization_config` = `{"quant_method": "fp8", "fmt": "e4m3"|"e5m2",
/// "activation_scheme": "dynamic", "weight_block_size": [b0, b1]}` (+ `"scale_fmt": "ue8m0"` for `pow2`);
/// the index lists the new scale tensors beside their weights. Atomic like ``dequantize(input:output:dtype:progress:)``.
/// Each quantized tensor is handled twice (its scales are written before its codes, in the format's
/// storage order), so peak memory stays about one tensor.
/// - Throws: ``CkptError``: a non-finite value in a selected weight, an invalid pattern, damaged input.
@discardableResult
public func quantize(input inputPath: String, output: String, format: FP8Format = .e4m3, block: BlockSize = .deepSeek,
                     rule: ScaleRuleOption = .amax, selection: QuantizeSelection = QuantizeSelection(),
                     progress: ProgressLine? = nil, report: ((QuantizedTensorReport) -> Void)? = nil) throws -> QuantizeSummary {
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
    let total = plan.reduce(0) { $0 + $1.tensors.count }
    var index = 0
    var newMap: [String: String] = [:]

    func writeShard(_ entry: (shard: String, metadata: [String: String]?, tensors: [(SafeTensor, Bool)]), to path: String) throws {
        let file = input.shardPath(entry.shard)
        var sources: [SafeTensorsSource] = []
        for (t, q) in entry.tensors {
            newMap[t.name] = entry.shard
            guard q else {
                sources.append(SafeTensorsSource(name: t.name, dtype: t.dtype, shape: t.shape, stream: { sink in
                    try t.withUnsafeBytes { try sink.write($0) }
                    summary.copied += 1
                    summary.bytesIn += t.byteCount
                    summary.bytesOut += t.byteCount
                    index += 1
                    progress?.update(index, of: total, bytes: summary.bytesIn, name: t.name)
                }))
                continue
            }
            let scaleShape = block.scaleShape(n: t.shape[0], k: t.shape[1])
            newMap[t.name + scaleInvSuffix] = entry.shard
            var scales: [Float]? // from whichever of the two sources the writer calls first
            sources.append(SafeTensorsSource(name: t.name + scaleInvSuffix, dtype: .f32, shape: scaleShape, stream: { sink in
                let (m, _) = try quantizeTensor(t, format: format, block: block, rule: rule, file: file)
                if let s = scales { guard s == m.scales else { throw CkptError(file: file, tensor: t.name, "scales not reproducible") } }
                scales = m.scales
                try m.scales.withUnsafeBytes { try sink.write($0) }
                summary.bytesOut += m.scales.count * 4
            }))
            sources.append(SafeTensorsSource(name: t.name, dtype: fp8, shape: t.shape, stream: { sink in
                let (m, ref) = try quantizeTensor(t, format: format, block: block, rule: rule, file: file)
                if let s = scales { guard s == m.scales else { throw CkptError(file: file, tensor: t.name, "scales not reproducible") } }
                scales = m.scales
                try m.codes.withUnsafeBytes { try sink.write($0) }
                let sqnr = (try? ErrorMetrics.sqnr(m.dequantized(), reference: ref)) ?? .nan
                let r = QuantizedTensorReport(name: t.name, shape: t.shape, sqnr: sqnr)
                summary.quantized.append(r)
                report?(r)
                summary.bytesIn += t.byteCount
                summary.bytesOut += m.codes.count
                index += 1
                progress?.update(index, of: total, bytes: summary.bytesIn, name: t.name)
            }))
        }
        do { try SafeTensorsWriter.write(sources, metadata: entry.metadata, to: path) } catch {
            throw CkptError.wrap(error, file: path, tensor: nil)
        }
    }

    var qc: [String: Any] = ["quant_method": "fp8", "fmt": format == .e4m3 ? "e4m3" : "e5m2",
                             "activation_scheme": "dynamic", "weight_block_size": [block.rows, block.cols]]
    if rule == .pow2 { qc["scale_fmt"] = "ue8m0" }
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
                meta["total_size"] = summary.bytesOut
                obj["metadata"] = meta
                obj["weight_map"] = newMap
                try writeJSON(obj, to: (tmp as NSString).appendingPathComponent(SafeTensorsCheckpoint.indexFileName))
            }
            var cfg = input.config.json ?? [:]
            cfg["quantization_config"] = qc
            try writeJSON(cfg, to: (tmp as NSString).appendingPathComponent("config.json"))
            try copyOtherFiles(from: input.directory, to: tmp)
        }
    }
    progress?.finish()
    return summary
}
