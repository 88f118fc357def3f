// SPDX-License-Identifier: Apache-2.0
import CFP8

/// The behaviour shared by ``Float8E4M3`` and ``Float8E5M2``: one byte holding an OCP FP8 code.
///
/// Neither type conforms to `BinaryFloatingPoint`. E4M3 has no infinity, so it cannot honour
/// `FloatingPoint.infinity`; and both formats are storage formats here: the library converts them to
/// and from `Float` exactly and computes in FP32, as the DeepSeek-V3 recipe does, rather than offer
/// arithmetic that would round to 3 or 2 mantissa bits after every operation. Convert with `Float(x)`
/// to compute. Comparisons and hashing follow IEEE semantics on the decoded value: NaN is unordered
/// and unequal to itself, and -0 == +0.
public protocol FP8Scalar: Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral
where FloatLiteralType == Double, IntegerLiteralType == Int {
    /// The encoding of this type.
    static var format: FP8Format { get }
    /// The raw FP8 code.
    var bitPattern: UInt8 { get }
    /// Creates a value from its raw FP8 code.
    init(bitPattern: UInt8)
}

extension FP8Scalar {
    // MARK: Conversions

    /// Rounds `x` to the nearest value, ties to even, non-saturating like the standard library's
    /// conversions: magnitudes that round above the greatest finite value become NaN (E4M3) or
    /// infinity (E5M2).
    @inlinable
    public init(_ x: Float) { self.init(x, saturating: false) }

    /// Rounds `x` to nearest even, clamping magnitudes beyond the greatest finite value (and
    /// infinities) to ±``greatestFiniteMagnitude``; NaN stays NaN.
    @inlinable
    public init(saturating x: Float) { self.init(x, saturating: true) }

    /// Rounds the double `x` once, directly (never through `Float`): `-431.99999999999994` becomes
    /// -416 in E4M3. Non-saturating.
    @inlinable
    public init(_ x: Double) { self.init(x, saturating: false) }

    /// Rounds the double `x` once, saturating as ``init(saturating:)-(Float)``.
    @inlinable
    public init(saturating x: Double) { self.init(x, saturating: true) }

    @usableFromInline
    init(_ x: Float, saturating: Bool) {
        var src = x
        var code: UInt8 = 0
        _ = fp8_encode_f32(Self.format.cValue, &src, &code, 1, saturating ? 1 : 0)
        self.init(bitPattern: code)
    }

    @usableFromInline
    init(_ x: Double, saturating: Bool) {
        var src = x
        var code: UInt8 = 0
        _ = fp8_encode_f64(Self.format.cValue, &src, &code, 1, saturating ? 1 : 0)
        self.init(bitPattern: code)
    }

    /// Creates a value from a float literal, rounding the literal's `Double` once (non-saturating).
    @inlinable
    public init(floatLiteral value: Double) { self.init(value) }

    /// Creates a value from an integer literal, rounded to nearest even (non-saturating).
    @inlinable
    public init(integerLiteral value: Int) { self.init(Double(value)) }

    /// The exact value as a `Float` (every FP8 value is a float32).
    @inlinable
    public var floatValue: Float {
        var code = bitPattern
        var out: Float = 0
        _ = fp8_decode_f32(Self.format.cValue, &code, &out, 1)
        return out
    }

    // MARK: Classification

    /// True for the NaN codes (E4M3: 0x7F/0xFF; E5M2: exponent all ones with a non-zero mantissa).
    @inlinable
    public var isNaN: Bool {
        Self.format == .e4m3 ? bitPattern & 0x7F == 0x7F : bitPattern & 0x7F > 0x7C
    }
    /// True for ±infinity (E5M2 0x7C/0xFC only; E4M3 has none).
    @inlinable
    public var isInfinite: Bool { Self.format == .e5m2 && bitPattern & 0x7F == 0x7C }
    /// True for zero, subnormal and normal values.
    @inlinable
    public var isFinite: Bool { !isNaN && !isInfinite }
    /// True for ±0.
    @inlinable
    public var isZero: Bool { bitPattern & 0x7F == 0 }
    /// True for non-zero values with a zero exponent field.
    @inlinable
    public var isSubnormal: Bool {
        let mag = bitPattern & 0x7F
        return mag != 0 && mag < (Self.format == .e4m3 ? 0x08 : 0x04)
    }
    /// True when the sign bit is set (including -0 and negative NaNs).
    @inlinable
    public var isSignMinus: Bool { bitPattern & 0x80 != 0 }

    // MARK: Limits

    /// 448 (E4M3) or 57344 (E5M2).
    @inlinable
    public static var greatestFiniteMagnitude: Self { Self(bitPattern: format == .e4m3 ? 0x7E : 0x7B) }
    /// 2^-6 (E4M3) or 2^-14 (E5M2).
    @inlinable
    public static var leastNormalMagnitude: Self { Self(bitPattern: format == .e4m3 ? 0x08 : 0x04) }
    /// 2^-9 (E4M3) or 2^-16 (E5M2).
    @inlinable
    public static var leastNonzeroMagnitude: Self { Self(bitPattern: 0x01) }
    /// The canonical quiet NaN (E4M3 0x7F, E5M2 0x7E).
    @inlinable
    public static var nan: Self { Self(bitPattern: format == .e4m3 ? 0x7F : 0x7E) }
    /// Positive zero.
    @inlinable
    public static var zero: Self { Self(bitPattern: 0) }

    // MARK: Neighbours

    /// The least value greater than `self`. For the greatest finite value this is +infinity in E5M2
    /// and NaN in E4M3 (which has no infinity); NaN and +infinity return themselves.
    public var nextUp: Self {
        if isNaN { return self }
        let mag = bitPattern & 0x7F
        if isZero { return Self.leastNonzeroMagnitude }
        if !isSignMinus {
            if isInfinite { return self }
            return Self(bitPattern: mag + 1)  // E4M3 0x7E + 1 = NaN; E5M2 0x7B + 1 = +inf
        }
        return Self(bitPattern: 0x80 | (mag - 1))  // towards zero; -least.nextUp == -0
    }

    /// The greatest value less than `self` (the mirror image of ``nextUp``).
    public var nextDown: Self { -((-self).nextUp) }

    /// The value with the sign flipped (exact, also for zeros and NaNs).
    @inlinable
    public static prefix func - (x: Self) -> Self { Self(bitPattern: x.bitPattern ^ 0x80) }

    /// The magnitude (sign bit cleared).
    @inlinable
    public var magnitude: Self { Self(bitPattern: bitPattern & 0x7F) }

    // MARK: Equatable, Comparable, Hashable (IEEE semantics on the value)

    /// IEEE equality of the values: NaN is unequal to everything, -0 == +0.
    @inlinable
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.floatValue == rhs.floatValue }

    /// IEEE ordering of the values: false whenever either is NaN.
    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.floatValue < rhs.floatValue }

    /// Hashes the value so that -0 and +0 hash alike, consistent with `==`.
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(floatValue) }

    /// The decoded value as `Float` prints it, e.g. "448.0", "-0.001953125", "nan", "inf".
    public var description: String { floatValue.description }
}

extension Float {
    /// The exact value of an E4M3 number (every FP8 value is a float32; NaN stays NaN).
    @inlinable
    public init(_ x: Float8E4M3) { self = x.floatValue }
    /// The exact value of an E5M2 number (every FP8 value is a float32; ±inf and NaN are kept).
    @inlinable
    public init(_ x: Float8E5M2) { self = x.floatValue }
}

extension Double {
    /// The exact value of an E4M3 number.
    @inlinable
    public init(_ x: Float8E4M3) { self = Double(x.floatValue) }
    /// The exact value of an E5M2 number.
    @inlinable
    public init(_ x: Float8E5M2) { self = Double(x.floatValue) }
}
