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
/// weights can be wrapped with ``init(codes:scales:rows:cols:blockRows:blockCols:)-([Float8E4M3],[Float],Int,Int,Int,Int)`` as is.
///
/// Two matrices are equal (`==`) when format, shape, block shape, code bytes and scales are all
/// identical (codes compare as bytes, so equal NaN codes are equal). `print(matrix)` gives one line:
/// format, shape, block shape and scale range.
public struct QuantizedMatrix: Sendable, Equatable, CustomStringConvertible {
    /// The FP8 encoding of ``codes``.
    public let format: FP8Format
    /// Number of rows (M for activations, N for weights).
    public let rows: Int
    /// Number of columns (K, contiguous).
    public let cols: Int
    /// Rows per scale block, as requested, except that a request above `max(rows, 2^32)` is clipped to
    /// that (see ``clippedBlockSize(_:dimension:)``).
    public let blockRows: Int
    /// Columns per scale block, clipped like ``blockRows``.
    public let blockCols: Int

    /// The block size stored for a requested `size` along a `dimension`: `size` itself up to
    /// `max(dimension, 2^32)`, that bound above it. A block at least as long as the dimension gives
    /// one block along it whatever its size, so the scale grid and the computation (which compares
    /// block sizes only with small thresholds) are the same; clipping only keeps sizes such as
    /// `Int.max` from overflowing index arithmetic.
    public static func clippedBlockSize(_ size: Int, dimension: Int) -> Int {
        Swift.min(size, Swift.max(dimension, 1 << 32))
    }
    /// Row-major FP8 codes, `rows * cols` bytes.
    public let codes: [UInt8]
    /// Row-major dequantization scales, ``scaleRows`` x ``scaleCols``.
    public let scales: [Float]

    /// Rows of the scale grid: `ceil(rows / blockRows)`.
    public var scaleRows: Int { ceilDiv(rows, blockRows) }
    /// Columns of the scale grid: `ceil(cols / blockCols)`.
    public var scaleCols: Int { ceilDiv(cols, blockCols) }

    /// One line: `QuantizedMatrix(e4m3, 300 x 260, blocks 128 x 128, 9 scales in [0.0039, 0.0078])`.
    public var description: String {
        let range: String
        if let lo = scales.min(), let hi = scales.max() {
            range = "\(scales.count) scale\(scales.count == 1 ? "" : "s") in [\(lo), \(hi)]"
        } else {
            range = "no scales"
        }
        return "QuantizedMatrix(\(format), \(rows) x \(cols), blocks \(blockRows) x \(blockCols), \(range))"
    }

    /// Quantizes a row-major `rows x cols` matrix.
    ///
    /// Each block's scale follows `rule` (default: ``ScaleRule/mx`` for ``Granularity/mx``,
    /// ``ScaleRule/amax`` otherwise); elements are encoded saturating as `encode(x * (1 / scale))`.
    /// - Throws: ``FP8Error/nonFinite(row:column:)`` naming the first NaN or infinity,
    ///   ``FP8Error/sizeMismatch(expected:actual:)`` if `values.count != rows * cols`,
    ///   ``FP8Error/badShape(_:)`` for non-positive block sizes (`.tile(0)`, `.block(-1, 8)`) or negative
    ///   dimensions, ``FP8Error/sizeOverflow`` if `rows * cols` overflows. Any positive block size is
    ///   accepted (`.tile(Int.max)` means one block per row; see ``clippedBlockSize(_:dimension:)``).
    public init(quantizing values: [Float], rows: Int, cols: Int, format: FP8Format = .e4m3,
                granularity: Granularity, rule: ScaleRule? = nil) throws {
        try self.init(quantizing: values, rows: rows, cols: cols, format: format, granularity: granularity,
                      options: QuantizationOptions(rule: rule))
    }

    /// Quantizes a row-major `rows x cols` matrix read from `buffer` with leading dimension `ld`
    /// (elements between row starts, `ld >= cols`); the buffer must hold `(rows - 1) * ld + cols`.
    /// - Throws: the errors of the array form; ``FP8Error/badShape(_:)`` if `ld < cols`;
    ///   ``FP8Error/sizeOverflow`` if `(rows - 1) * ld + cols` overflows;
    ///   ``FP8Error/sizeMismatch(expected:actual:)`` if `buffer` is shorter.
    public init(quantizing buffer: UnsafeBufferPointer<Float>, rows: Int, cols: Int, ld: Int? = nil,
                format: FP8Format = .e4m3, granularity: Granularity, rule: ScaleRule? = nil) throws {
        try self.init(quantizing: buffer, rows: rows, cols: cols, ld: ld, format: format, granularity: granularity,
                      options: QuantizationOptions(rule: rule))
    }

    /// Quantizes a row-major `rows x cols` matrix of `Float`, `Float16` or `BFloat16` with `options`
    /// (see ``QuantizationOptions``; e.g. ``QuantizationOptions/deepGEMM`` with `.tile(128)` gives
    /// DeepGEMM's `per_token_cast_to_fp8` bit for bit). A `Float16` or `BFloat16` matrix gives exactly
    /// the codes and scales of its `Float` widening; the C core reads the 16-bit elements directly
    /// (half the memory traffic, no conversion pass).
    /// - Throws: as the `[Float]` initialiser, plus ``FP8Error/badArgument(_:)`` for an `amaxFloor`
    ///   that is negative or not finite, ``FP8Error/sizeMismatch(expected:actual:)`` if
    ///   `options.staticScales` does not hold one scale per block, and ``FP8Error/badScale(_:)`` if a
    ///   static scale is not finite, positive and normal.
    public init<T: FP8DTypeElement>(quantizing values: [T], rows: Int, cols: Int, format: FP8Format = .e4m3,
                                    granularity: Granularity, options: QuantizationOptions) throws {
        guard rows >= 0, cols >= 0 else { throw FP8Error.badShape("negative dimension \(rows) x \(cols)") }
        let (count, o) = rows.multipliedReportingOverflow(by: cols)
        guard !o else { throw FP8Error.sizeOverflow }
        guard values.count == count else { throw FP8Error.sizeMismatch(expected: count, actual: values.count) }
        let buf = values.withUnsafeBufferPointer { $0 }  // kept alive by keepAlive below
        try self.init(raw: UnsafeRawPointer(buf.baseAddress), count: buf.count, dtype: T.fp8DType, rows: rows,
                      cols: cols, ld: cols, format: format, granularity: granularity, options: options,
                      keepAlive: values)
    }

    /// Quantizes a row-major `rows x cols` matrix of `Float`, `Float16` or `BFloat16` read from
    /// `buffer` with leading dimension `ld` (default `cols`), with `options`.
    /// - Throws: as the array form; ``FP8Error/badShape(_:)`` if `ld < cols`;
    ///   ``FP8Error/sizeMismatch(expected:actual:)`` if `buffer` holds fewer than `(rows - 1) * ld + cols`.
    public init<T: FP8DTypeElement>(quantizing buffer: UnsafeBufferPointer<T>, rows: Int, cols: Int, ld: Int? = nil,
                                    format: FP8Format = .e4m3, granularity: Granularity,
                                    options: QuantizationOptions) throws {
        try self.init(raw: UnsafeRawPointer(buffer.baseAddress), count: buffer.count, dtype: T.fp8DType, rows: rows,
                      cols: cols, ld: ld ?? cols, format: format, granularity: granularity, options: options,
                      keepAlive: nil)
    }

    private init(raw: UnsafeRawPointer?, count: Int, dtype: FP8DType, rows: Int, cols: Int, ld: Int,
                 format: FP8Format, granularity: Granularity, options: QuantizationOptions, keepAlive: Any?) throws {
        defer { withExtendedLifetime(keepAlive) {} }
        guard rows >= 0, cols >= 0 else { throw FP8Error.badShape("negative dimension \(rows) x \(cols)") }
        guard ld >= cols else { throw FP8Error.badShape("leading dimension \(ld) < cols \(cols)") }
        let shape = granularity.blockShape(rows: rows, cols: cols)
        guard shape.rows > 0, shape.cols > 0 else {
            throw FP8Error.badShape("block shape \(shape.rows) x \(shape.cols) must be positive")
        }
        guard options.amaxFloor >= 0, options.amaxFloor.isFinite else {
            throw FP8Error.badArgument("amaxFloor \(options.amaxFloor) must be finite and >= 0")
        }
        let br = Self.clippedBlockSize(shape.rows, dimension: rows)
        let bc = Self.clippedBlockSize(shape.cols, dimension: cols)
        if rows > 0 && cols > 0 {
            let needed = (rows - 1).multipliedReportingOverflow(by: ld)
            guard !needed.overflow, needed.partialValue <= Int.max - cols else { throw FP8Error.sizeOverflow }
            guard count >= needed.partialValue + cols else {
                throw FP8Error.sizeMismatch(expected: needed.partialValue + cols, actual: count)
            }
        }
        let rule = options.rule ?? (granularity == .mx ? .mx : .amax)
        let sRows = ceilDiv(rows, br), sCols = ceilDiv(cols, bc)  // product <= rows * cols (checked) or 0
        if let st = options.staticScales, st.count != sRows * sCols {
            throw FP8Error.sizeMismatch(expected: sRows * sCols, actual: st.count)
        }
        var badRow = 0, badCol = 0
        var status: Int32 = 0
        var scales = [Float](repeating: 0, count: sRows * sCols)
        let codes = [UInt8](unsafeUninitializedCapacity: rows * cols) { q, qCount in
            status = scales.withUnsafeMutableBufferPointer { s in
                withStaticScales(options.staticScales) { st in
                    var opt = fp8_quant_options(rule: rule.cValue, amax_floor: options.amaxFloor,
                                                true_division: options.trueDivision ? 1 : 0, static_scales: st)
                    return fp8_quantize_ex(format.cValue, dtype.cValue, raw, rows, cols, ld, br, bc, &opt,
                                           q.baseAddress, Swift.max(cols, 1), s.baseAddress, &badRow, &badCol)
                }
            }
            qCount = status == 0 ? rows * cols : 0
        }
        if status == FP8_ERR_NON_FINITE.rawValue { throw FP8Error.nonFinite(row: badRow, column: badCol) }
        try FP8Error.check(status, "quantize \(rows) x \(cols) (\(dtype)) in \(br) x \(bc) blocks")
        self.format = format
        self.rows = rows
        self.cols = cols
        self.blockRows = br
        self.blockCols = bc
        self.codes = codes
        self.scales = scales
    }

    /// Wraps existing E4M3 codes and scales, e.g. DeepSeek-V3 FP8 weights (`weight` `[N, K]` and
    /// `weight_scale_inv` `[ceil(N/128), ceil(K/128)]` with `blockRows = blockCols = 128`). The format
    /// comes from the element type; the codes are copied.
    /// - Throws: ``FP8Error/badShape(_:)`` for negative dimensions or non-positive block sizes;
    ///   ``FP8Error/sizeOverflow`` if `rows * cols` overflows; ``FP8Error/sizeMismatch(expected:actual:)``
    ///   if `codes` is not `rows * cols` or `scales` is not `ceil(rows/blockRows) * ceil(cols/blockCols)`;
    ///   ``FP8Error/badScale(_:)`` if a scale is not finite and positive (NaN, ±0, negative, infinite).
    ///   Positive subnormal scales (such as E8M0's 2^-127) are accepted.
    public init(codes: [Float8E4M3], scales: [Float], rows: Int, cols: Int, blockRows: Int, blockCols: Int) throws {
        try self.init(codes: codes.map(\.bitPattern), scales: scales, rows: rows, cols: cols,
                      blockRows: blockRows, blockCols: blockCols, format: .e4m3)
    }

    /// Wraps existing E5M2 codes and scales (see the E4M3 form for the layout and errors).
    public init(codes: [Float8E5M2], scales: [Float], rows: Int, cols: Int, blockRows: Int, blockCols: Int) throws {
        try self.init(codes: codes.map(\.bitPattern), scales: scales, rows: rows, cols: cols,
                      blockRows: blockRows, blockCols: blockCols, format: .e5m2)
    }

    /// Wraps raw code bytes whose encoding is named by `format` (there is no default: E5M2 bytes read
    /// as E4M3 would decode to wrong values without any error). Layout and errors as for the typed forms.
    public init(codes: [UInt8], scales: [Float], rows: Int, cols: Int, blockRows: Int, blockCols: Int,
                format: FP8Format) throws {
        guard rows >= 0, cols >= 0 else { throw FP8Error.badShape("negative dimension \(rows) x \(cols)") }
        guard blockRows > 0, blockCols > 0 else {
            throw FP8Error.badShape("block shape \(blockRows) x \(blockCols) must be positive")
        }
        let (count, o) = rows.multipliedReportingOverflow(by: cols)
        guard !o else { throw FP8Error.sizeOverflow }
        guard codes.count == count else { throw FP8Error.sizeMismatch(expected: count, actual: codes.count) }
        // Cannot overflow: each factor is at most its dimension and rows * cols did not.
        let nScales = ceilDiv(rows, blockRows) * ceilDiv(cols, blockCols)
        guard scales.count == nScales else { throw FP8Error.sizeMismatch(expected: nScales, actual: scales.count) }
        if let i = scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw FP8Error.badScale("scale \(i) is \(scales[i]); scales must be finite and positive")
        }
        self.format = format
        self.rows = rows
        self.cols = cols
        self.blockRows = Self.clippedBlockSize(blockRows, dimension: rows)
        self.blockCols = Self.clippedBlockSize(blockCols, dimension: cols)
        self.codes = codes
        self.scales = scales
    }

    /// Wraps E4M3 codes with power-of-two scales given as E8M0 bytes (value `2^(byte - 127)`), as MX
    /// stores them.
    /// - Throws: ``FP8Error/badScale(_:)`` for the NaN byte 0xFF, and the errors of
    ///   ``init(codes:scales:rows:cols:blockRows:blockCols:)-([Float8E4M3],[Float],Int,Int,Int,Int)``.
    public init(codes: [Float8E4M3], e8m0Scales: [UInt8], rows: Int, cols: Int, blockRows: Int, blockCols: Int) throws {
        try self.init(codes: codes.map(\.bitPattern), e8m0Scales: e8m0Scales, rows: rows, cols: cols,
                      blockRows: blockRows, blockCols: blockCols, format: .e4m3)
    }

    /// Wraps E5M2 codes with E8M0 scales (see the E4M3 form).
    public init(codes: [Float8E5M2], e8m0Scales: [UInt8], rows: Int, cols: Int, blockRows: Int, blockCols: Int) throws {
        try self.init(codes: codes.map(\.bitPattern), e8m0Scales: e8m0Scales, rows: rows, cols: cols,
                      blockRows: blockRows, blockCols: blockCols, format: .e5m2)
    }

    /// Wraps raw code bytes of the named `format` with E8M0 scales (see the E4M3 form).
    public init(codes: [UInt8], e8m0Scales: [UInt8], rows: Int, cols: Int, blockRows: Int, blockCols: Int,
                format: FP8Format) throws {
        var scales = [Float](repeating: 0, count: e8m0Scales.count)
        try FP8Error.check(fp8_scales_from_e8m0(e8m0Scales, &scales, e8m0Scales.count), "E8M0 scales")
        try self.init(codes: codes, scales: scales, rows: rows, cols: cols, blockRows: blockRows,
                      blockCols: blockCols, format: format)
    }

    /// The codes as values of their format's type, e.g. `try q.codes(as: Float8E4M3.self)`.
    /// - Throws: ``FP8Error/badFormat`` if `T` is not the type of ``format`` (E5M2 codes read as E4M3
    ///   would decode to wrong values).
    public func codes<T: FP8Scalar>(as type: T.Type) throws -> [T] {
        guard T.format == format else { throw FP8Error.badFormat }
        return codes.map { T(bitPattern: $0) }
    }

    /// The scales as E8M0 bytes (`2^(byte - 127)`).
    /// - Throws: ``FP8Error/badScale(_:)`` unless every scale is an exact power of two in
    ///   [2^-127, 2^127] (true for ``ScaleRule/powerOfTwo`` and ``ScaleRule/mx``).
    public func e8m0Scales() throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: scales.count)
        try FP8Error.check(fp8_scales_to_e8m0(scales, &out, scales.count), "E8M0 export")
        return out
    }

    /// The dequantized matrix, row-major `rows x cols`: `decode(code) * scale` per element, one float32
    /// product rounded to nearest (a subnormal scale gives exact products rounded once). Cannot fail:
    /// every initialiser has validated the shape and the scales.
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * cols) { x, count in
            withCMatrix { m in
                let st = fp8_dequantize_f32(m, x.baseAddress, Swift.max(cols, 1))
                precondition(st == 0, "dequantize of a validated matrix failed: \(st)")
            }
            count = rows * cols
        }
    }

    /// The dequantized matrix as `Float`, `Float16` or `BFloat16`, row-major `rows x cols`: the
    /// float32 product `decode(code) * scale` rounded once to nearest even (for `BFloat16` this is
    /// DeepSeek-V3's `weight_dequant`, as `fp8_cast_bf16.py` uses it, bit for bit; overflow gives
    /// ±infinity in `Float16`). Cannot fail.
    public func dequantized<T: FP8DTypeElement>(as type: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: rows * cols) { x, count in
            withCMatrix { m in
                let st = fp8_dequantize(m, T.fp8DType.cValue, UnsafeMutableRawPointer(x.baseAddress), Swift.max(cols, 1))
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

/// `ceil(n / d)` for `n >= 0`, `d > 0`, without the overflow of `(n + d - 1) / d` (`.tile(Int.max)`).
@usableFromInline
func ceilDiv(_ n: Int, _ d: Int) -> Int { n == 0 ? 0 : (n - 1) / d + 1 }

/// Calls `body` with a pointer to `scales`' elements, or NULL.
private func withStaticScales<R>(_ scales: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let scales else { return body(nil) }
    return scales.withUnsafeBufferPointer { body($0.baseAddress) }
}
