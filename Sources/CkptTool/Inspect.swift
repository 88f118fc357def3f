// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import SafeTensors

/// Statistics of one FP8 tensor's codes and its scale tensor.
public struct FP8Stats: Codable, Equatable {
    /// Codes that are NaN (E4M3: 0x7F, 0xFF; E5M2: exponent 31 with a non-zero mantissa).
    public var nanCodes: Int
    /// Codes that are infinite (E5M2 0x7C, 0xFC; E4M3 has none).
    public var infCodes: Int
    /// Codes at +max finite (E4M3 0x7E = 448, E5M2 0x7B = 57344) and at -max finite.
    public var posMaxCodes: Int
    public var negMaxCodes: Int
    /// Fraction of codes that are +0 or -0.
    public var zeroFraction: Double
    /// The scale tensor (`X_scale_inv` or `X_scale`), its shape and value range; nil when there is none.
    public var scaleName: String?
    public var scaleShape: [Int]?
    public var scaleMin: Float?
    public var scaleMax: Float?
    /// Whether the scale's shape fits: `[ceil(N/b0), ceil(K/b1)]` for `_scale_inv` with the block size from
    /// config.json; `[]`, `[1]` or `[N, 1]` for `_scale`. Nil without a scale.
    public var scaleShapeFits: Bool?
}

/// One tensor as `inspect` reports it.
public struct TensorInfo: Codable, Equatable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    public var bytes: Int
    /// The shard file name.
    public var file: String
    public var fp8: FP8Stats?
}

/// The `inspect` report.
public struct InspectReport: Codable, Equatable {
    public var blockSize: BlockSize
    public var tensors: [TensorInfo]

    /// One line per tensor: `name dtype [shape] bytes` and, for FP8, the statistics.
    public var text: String {
        var lines = ["# weight_block_size \(blockSize)"]
        for t in tensors {
            var l = "\(t.name)\t\(t.dtype)\t[\(t.shape.map(String.init).joined(separator: ", "))]\t\(t.bytes) B"
            if let s = t.fp8 {
                l += "\tnan=\(s.nanCodes) inf=\(s.infCodes) +max=\(s.posMaxCodes) -max=\(s.negMaxCodes)"
                l += String(format: " zero=%.4f", s.zeroFraction)
                if let n = s.scaleName, let lo = s.scaleMin, let hi = s.scaleMax {
                    l += " scale=\(n)[\((s.scaleShape ?? []).map(String.init).joined(separator: ", "))]"
                    l += " range=[\(lo), \(hi)] fits=\(s.scaleShapeFits == true ? "yes" : "NO")"
                } else {
                    l += " scale=none"
                }
            }
            lines.append(l)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var json: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }
}

/// Code statistics: counts per code over the tensor's bytes, in pieces (each piece's pages released after
/// it is counted, so memory stays about one piece) counted on all cores in fixed slices; `advance` is
/// called after each piece with its byte count and the fraction done.
func codeStats(_ t: SafeTensor, format: FP8Format, advance: (Int, Double) throws -> Void = { _, _ in })
    rethrows -> (nan: Int, inf: Int, posMax: Int, negMax: Int, zero: Double) {
    var hist = [Int](repeating: 0, count: 256)
    let slice = 1 << 20
    try forEachBytePiece(of: t, size: pieceElements, advance: advance) { piece in
        let slices = (piece.count + slice - 1) / slice
        var parts = [Int](repeating: 0, count: 256 * slices)
        parts.withUnsafeMutableBufferPointer { h in
            DispatchQueue.concurrentPerform(iterations: slices) { j in
                for b in piece[(j * slice)..<min(piece.count, (j + 1) * slice)] { h[256 * j + Int(b)] += 1 }
            }
        }
        for j in 0..<slices { for c in 0..<256 { hist[c] += parts[256 * j + c] } }
    }
    var nan = 0, inf = 0
    let posMax: Int, negMax: Int
    switch format {
    case .e4m3:
        nan = hist[0x7F] + hist[0xFF]
        posMax = hist[0x7E]; negMax = hist[0xFE]
    case .e5m2:
        for c in [0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF] { nan += hist[c] }
        inf = hist[0x7C] + hist[0xFC]
        posMax = hist[0x7B]; negMax = hist[0xFB]
    }
    let n = t.byteCount
    return (nan, inf, posMax, negMax, n == 0 ? 0 : Double(hist[0] + hist[0x80]) / Double(n))
}

/// Does `scaleShape` fit an FP8 weight of `shape` (see ``FP8Stats/scaleShapeFits``)?
func scaleKind(scaleName: String, scaleShape: [Int], weightShape: [Int], block: BlockSize) -> ScaleKind? {
    guard weightShape.count == 2 else { return nil }
    let (n, k) = (weightShape[0], weightShape[1])
    if scaleName.hasSuffix(scaleInvSuffix) {
        return scaleShape == block.scaleShape(n: n, k: k) ? .blockScaleInv : nil
    }
    if scaleShape == [] || scaleShape == [1] { return .perTensor }
    if scaleShape == [n, 1] { return .perChannel }
    return nil
}

/// `inspect PATH`: every tensor of a checkpoint directory, index or file, sorted by name. Only FP8
/// tensors' codes are read (in pieces, on all cores, memory about one piece); `progress` shows tensor i of
/// n and GB/s of codes read.
/// - Throws: ``CkptError`` naming the file and tensor for any unreadable or inconsistent input.
public func inspect(path: String, progress line: ProgressLine? = nil) throws -> InspectReport {
    let input = try OpenedInput(path)
    let block = input.config.blockSize
    let names = input.checkpoint.names
    var out: [TensorInfo] = []
    let progress = WorkProgress(line, total: names.count)
    for name in names {
        guard let (t, file) = try input.lookup(name) else { continue }
        try progress.begin(name, file: file)
        var info = TensorInfo(name: name, dtype: t.dtype.rawValue, shape: t.shape, bytes: t.byteCount,
                              file: (file as NSString).lastPathComponent, fp8: nil)
        if let format = fp8Format(t.dtype) {
            let c = try codeStats(t, format: format, advance: progress.advance)
            var s = FP8Stats(nanCodes: c.nan, infCodes: c.inf, posMaxCodes: c.posMax, negMaxCodes: c.negMax,
                             zeroFraction: c.zero)
            for suffix in [scaleInvSuffix, scaleSuffix] {
                guard let (st, sfile) = try input.lookup(name + suffix) else { continue }
                let v = try scaleValues(st, file: sfile)
                s.scaleName = name + suffix
                s.scaleShape = st.shape
                s.scaleMin = v.min()
                s.scaleMax = v.max()
                s.scaleShapeFits = scaleKind(scaleName: name + suffix, scaleShape: st.shape, weightShape: t.shape,
                                             block: block) != nil
                break
            }
            info.fp8 = s
        }
        out.append(info)
    }
    progress.finish()
    return InspectReport(blockSize: block, tensors: out)
}
