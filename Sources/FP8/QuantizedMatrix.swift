// SPDX-License-Identifier: Apache-2.0
import CFP8

/// How finely a matrix is split into blocks that each get one scale.
public enum Granularity: Sendable, Hashable {
    /// One scale for the whole matrix (Transformer Engine's per-tensor scaling).
    case tensor
    /// One scale per row ("per-token" for activations, "per-channel" for weights).
    case row
    /// One scale per `1 x width` run of a row: `.tile(128)` is DeepSeek-V3's activation scaling.
    case tile(Int)
    /// One scale per `rows x cols` block: `.block(128, 128)` is DeepSeek-V3's weight scaling.
    case block(Int, Int)
    /// OCP MX: one power-of-two scale per 1 x 32 block (use with ``ScaleRule/mx``).
    case mx

    /// The block shape (rows, cols) this granularity gives a `rows x cols` matrix.
    public func blockShape(rows: Int, cols: Int) -> (rows: Int, cols: Int) {
        switch self {
        case .tensor: return (Swift.max(rows, 1), Swift.max(cols, 1))
        case .row: return (1, Swift.max(cols, 1))
        case .tile(let w): return (1, w)
        case .block(let r, let c): return (r, c)
        case .mx: return (1, 32)
        }
    }
}

/// How a block's scale is derived from its absolute maximum (see `fp8_scale_rule` in fp8.h).
public enum ScaleRule: Sendable, Hashable {
    /// `amax / greatestFiniteMagnitude` (DeepSeek-V3, DeepGEMM, PyTorch `_scaled_mm`).
    case amax
    /// `amax / greatestFiniteMagnitude` rounded up to a power of two (DeepGEMM's UE8M0 scales):
    /// scaling is then exact.
    case powerOfTwo
    /// OCP MX: `2^(floor(log2(amax)) - emax)`, emax = 8 (E4M3) or 15 (E5M2); elements saturate.
    case mx

    var cValue: fp8_scale_rule {
        switch self {
        case .amax: return FP8_SCALE_AMAX
        case .powerOfTwo: return FP8_SCALE_POW2
        case .mx: return FP8_SCALE_MX
        }
    }
}

/// A row-major FP8 matrix with one float32 dequantization scale per block: `x ≈ decode(code) * scale`.
///
/// Codes are `[rows, cols]` (K = cols contiguous); scales are row-major
/// `[ceil(rows / blockRows), ceil(cols / blockCols)]`, exactly the layout of DeepSeek-V3's FP8
/// checkpoints (`weight` E4M3 `[N, K]` + `weight_scale_inv` `[ceil(N/128), ceil(K/128)]`), so such
/// weights can be wrapped with ``init(codes:scales:rows:cols:blockRows:blockCols:format:)`` as is.
public struct QuantizedMatrix: Sendable {
    /// The FP8 encoding of ``codes``.
    public let format: FP8Format
    /// Number of rows (M for activations, N for weights).
    public let rows: Int
    /// Number of columns (K, contiguous).
    public let cols: Int
    /// Rows per scale block.
    public let blockRows: Int
    /// Columns per scale block.
    public let blockCols: Int
    /// Row-major FP8 codes, `rows * cols` bytes.
    public let codes: [UInt8]
    /// Row-major dequantization scales, ``scaleRows`` x ``scaleCols``.
    public let scales: [Float]

    /// Rows of the scale grid: `ceil(rows / blockRows)`.
    public var scaleRows: Int { (rows + blockRows - 1) / blockRows }
    /// Columns of the scale grid: `ceil(cols / blockCols)`.
    public var scaleCols: Int { (cols + blockCols - 1) / blockCols }

    /// Quantizes a row-major `rows x cols` matrix.
    ///
    /// Each block's scale follows `rule` (default: ``ScaleRule/mx`` for ``Granularity/mx``,
    /// ``ScaleRule/amax`` otherwise); elements are encoded saturating as `encode(x * (1 / scale))`.
    /// - Throws: ``FP8Error/nonFinite(row:column:)`` naming the first NaN or infinity,
    ///   ``FP8Error/sizeMismatch(expected:actual:)`` if `values.count != rows * cols`,
    ///   ``FP8Error/badShape(_:)`` for non-positive block sizes or negative dimensions.
    public init(quantizing values: [Float], rows: Int, cols: Int, format: FP8Format = .e4m3,
                granularity: Granularity, rule: ScaleRule? = nil) throws {
        guard rows >= 0, cols >= 0 else { throw FP8Error.badShape("negative dimension \(rows) x \(cols)") }
        let (count, o) = rows.multipliedReportingOverflow(by: cols)
        guard !o else { throw FP8Error.sizeOverflow }
        guard values.count == count else { throw FP8Error.sizeMismatch(expected: count, actual: values.count) }
        try self.init(quantizing: values.withUnsafeBufferPointer { $0 }, rows: rows, cols: cols, ld: cols,
                      format: format, granularity: granularity, rule: rule, copy: values)
    }

    /// Quantizes a row-major `rows x cols` matrix read from `buffer` with leading dimension `ld`
    /// (elements between row starts, `ld >= cols`); the buffer must hold `(rows - 1) * ld + cols`.
    public init(quantizing buffer: UnsafeBufferPointer<Float>, rows: Int, cols: Int, ld: Int? = nil,
                format: FP8Format = .e4m3, granularity: Granularity, rule: ScaleRule? = nil) throws {
        try self.init(quantizing: buffer, rows: rows, cols: cols, ld: ld ?? cols, format: format,
                      granularity: granularity, rule: rule, copy: nil)
    }

    private init(quantizing buffer: UnsafeBufferPointer<Float>, rows: Int, cols: Int, ld: Int,
                 format: FP8Format, granularity: Granularity, rule: ScaleRule?, copy keepAlive: [Float]?) throws {
        guard rows >= 0, cols >= 0 else { throw FP8Error.badShape("negative dimension \(rows) x \(cols)") }
        guard ld >= cols else { throw FP8Error.badShape("leading dimension \(ld) < cols \(cols)") }
        let (br, bc) = granularity.blockShape(rows: rows, cols: cols)
        guard br > 0, bc > 0 else { throw FP8Error.badShape("block shape \(br) x \(bc) must be positive") }
        if rows > 0 && cols > 0 {
            let needed = (rows - 1).multipliedReportingOverflow(by: ld)
            guard !needed.overflow, needed.partialValue <= Int.max - cols else { throw FP8Error.sizeOverflow }
            guard buffer.count >= needed.partialValue + cols else {
                throw FP8Error.sizeMismatch(expected: needed.partialValue + cols, actual: buffer.count)
            }
        }
        let rule = rule ?? (granularity == .mx ? .mx : .amax)
        let sRows = (rows + br - 1) / br, sCols = (cols + bc - 1) / bc
        var badRow = 0, badCol = 0
        var status: Int32 = 0
        var scales = [Float](repeating: 0, count: sRows * sCols)
        let codes = [UInt8](unsafeUninitializedCapacity: rows * cols) { q, qCount in
            status = scales.withUnsafeMutableBufferPointer { s in
                fp8_quantize_f32_ex(format.cValue, buffer.baseAddress, rows, cols, ld, br, bc,
                                    rule.cValue, q.baseAddress, Swift.max(cols, 1), s.baseAddress, &badRow, &badCol)
            }
            qCount = status == 0 ? rows * cols : 0
        }
        withExtendedLifetime(keepAlive) {}
        if status == FP8_ERR_NON_FINITE.rawValue { throw FP8Error.nonFinite(row: badRow, column: badCol) }
        try FP8Error.check(status, "quantize \(rows) x \(cols) in \(br) x \(bc) blocks")
        self.format = format
        self.rows = rows
        self.cols = cols
        self.blockRows = br
        self.blockCols = bc
        self.codes = codes
        self.scales = scales
    }

    /// Wraps existing codes and scales, e.g. DeepSeek-V3 FP8 weights (`weight` `[N, K]` and
    /// `weight_scale_inv` `[ceil(N/128), ceil(K/128)]` with `blockRows = blockCols = 128`).
    /// - Throws: ``FP8Error/sizeMismatch(expected:actual:)`` if `codes` is not `rows * cols` or
    ///   `scales` is not `ceil(rows/blockRows) * ceil(cols/blockCols)`; ``FP8Error/badShape(_:)``
    ///   for non-positive block sizes; ``FP8Error/badScale(_:)`` if a scale is not finite and positive.
    public init(codes: [UInt8], scales: [Float], rows: Int, cols: Int, blockRows: Int, blockCols: Int,
                format: FP8Format = .e4m3) throws {
        guard rows >= 0, cols >= 0 else { throw FP8Error.badShape("negative dimension \(rows) x \(cols)") }
        guard blockRows > 0, blockCols > 0 else {
            throw FP8Error.badShape("block shape \(blockRows) x \(blockCols) must be positive")
        }
        let (count, o) = rows.multipliedReportingOverflow(by: cols)
        guard !o else { throw FP8Error.sizeOverflow }
        guard codes.count == count else { throw FP8Error.sizeMismatch(expected: count, actual: codes.count) }
        let nScales = ((rows + blockRows - 1) / blockRows) * ((cols + blockCols - 1) / blockCols)
        guard scales.count == nScales else { throw FP8Error.sizeMismatch(expected: nScales, actual: scales.count) }
        if let i = scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw FP8Error.badScale("scale \(i) is \(scales[i]); scales must be finite and positive")
        }
        self.format = format
        self.rows = rows
        self.cols = cols
        self.blockRows = blockRows
        self.blockCols = blockCols
        self.codes = codes
        self.scales = scales
    }

    /// Wraps codes with power-of-two scales given as E8M0 bytes (value `2^(byte - 127)`), as MX stores them.
    /// - Throws: ``FP8Error/badScale(_:)`` for the NaN byte 0xFF, and the errors of
    ///   ``init(codes:scales:rows:cols:blockRows:blockCols:format:)``.
    public init(codes: [UInt8], e8m0Scales: [UInt8], rows: Int, cols: Int, blockRows: Int, blockCols: Int,
                format: FP8Format = .e4m3) throws {
        var scales = [Float](repeating: 0, count: e8m0Scales.count)
        try FP8Error.check(fp8_scales_from_e8m0(e8m0Scales, &scales, e8m0Scales.count), "E8M0 scales")
        try self.init(codes: codes, scales: scales, rows: rows, cols: cols, blockRows: blockRows,
                      blockCols: blockCols, format: format)
    }

    /// The scales as E8M0 bytes (`2^(byte - 127)`).
    /// - Throws: ``FP8Error/badScale(_:)`` unless every scale is an exact power of two in
    ///   [2^-127, 2^127] (true for ``ScaleRule/powerOfTwo`` and ``ScaleRule/mx``).
    public func e8m0Scales() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: scales.count)
        try FP8Error.check(fp8_scales_to_e8m0(scales, &out, scales.count), "E8M0 export")
        return out
    }

    /// The dequantized matrix, row-major `rows x cols`: `decode(code) * scale` per element.
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * cols) { x, count in
            withCMatrix { m in
                let st = fp8_dequantize_f32(m, x.baseAddress, Swift.max(cols, 1))
                precondition(st == 0, "dequantize of a validated matrix failed: \(st)")
            }
            count = rows * cols
        }
    }

    /// Calls `body` with a C view of this matrix (valid only during the call).
    public func withCMatrix<R>(_ body: (UnsafePointer<fp8_matrix>) throws -> R) rethrows -> R {
        try codes.withUnsafeBufferPointer { q in
            try scales.withUnsafeBufferPointer { s in
                var m = fp8_matrix(format: format.cValue, rows: rows, cols: cols, ld: Swift.max(cols, 1),
                                   data: q.baseAddress, scales: s.baseAddress,
                                   block_rows: blockRows, block_cols: blockCols)
                return try body(&m)
            }
        }
    }
}
