// SPDX-License-Identifier: Apache-2.0

/// The behaviour shared by ``Float8E4M3`` and ``Float8E5M2``: one byte holding an OCP FP8 code.
///
/// Neither type conforms to `BinaryFloatingPoint`. E4M3 has no infinity, so it cannot honour
/// `FloatingPoint.infinity`; and both formats are storage formats here: the library converts them to
/// and from `Float` exactly and computes in FP32, as the DeepSeek-V3 recipe does, rather than offer
/// arithmetic that would round to 3 or 2 mantissa bits after every operation. Convert with `Float(x)`
/// to compute. Comparisons and hashing follow IEEE semantics on the decoded value: NaN is unordered
/// and unequal to itself, and -0 == +0.
///
/// Every scalar operation (conversions, comparison, hashing, classification) is inlinable Swift bit
/// arithmetic on the code; none calls into the C core. The bulk conversions (``encode(_:saturating:)-([Float],Bool)``,
/// ``decode(_:)``) run the C kernels and give the same bits.
///
/// The 256 codes, NaNs and both zeros included, in code order: ``allCases`` (both types are
/// `CaseIterable`).
public protocol FP8Scalar: Hashable, Comparable, Sendable, CustomStringConvertible, LosslessStringConvertible,
    Codable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral
where FloatLiteralType == Double, IntegerLiteralType == Int {
    /// The encoding of this type.
    static var format: FP8Format { get }
    /// The raw FP8 code.
    var bitPattern: UInt8 { get }
    /// Creates a value from its raw FP8 code.
    init(bitPattern: UInt8)
}

// MARK: - Format traits (OCP OFP8 v1.0, table 1)

extension FP8Scalar {
    /// Mantissa bits: 3 (E4M3) or 2 (E5M2).
    @inlinable static var _mantissaBits: UInt32 { format == .e4m3 ? 3 : 2 }
    /// Exponent bias: 7 or 15.
    @inlinable static var _bias: UInt32 { format == .e4m3 ? 7 : 15 }
    /// Unbiased exponent of the greatest finite value: 8 (448 = 1.75 * 2^8) or 15 (57344 = 1.75 * 2^15).
    @inlinable static var _maxExponent: UInt32 { format == .e4m3 ? 8 : 15 }
    /// Greatest finite magnitude code: 0x7E (E4M3 S.1111.110) or 0x7B (E5M2 S.11110.11).
    @inlinable static var _maxCode: UInt8 { format == .e4m3 ? 0x7E : 0x7B }
    /// Magnitude code of a non-saturating overflow: NaN 0x7F (E4M3 has no infinity) or infinity 0x7C.
    @inlinable static var _overflowCode: UInt8 { format == .e4m3 ? 0x7F : 0x7C }
    /// Magnitude code of the canonical quiet NaN: 0x7F or 0x7E.
    @inlinable static var _nanCode: UInt8 { format == .e4m3 ? 0x7F : 0x7E }
    /// Magnitude code of the least normal value 2^(1 - bias): 0x08 or 0x04.
    @inlinable static var _minNormalCode: UInt8 { format == .e4m3 ? 0x08 : 0x04 }
}

extension FP8Scalar {
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
    public var isFinite: Bool { bitPattern & 0x7F < (Self.format == .e4m3 ? 0x7F : 0x7C) }
    /// True for ±0.
    @inlinable
    public var isZero: Bool { bitPattern & 0x7F == 0 }
    /// True for non-zero values with a zero exponent field.
    @inlinable
    public var isSubnormal: Bool {
        let mag = bitPattern & 0x7F
        return mag != 0 && mag < Self._minNormalCode
    }
    /// True for finite values with a non-zero exponent field (not zero, not subnormal).
    @inlinable
    public var isNormal: Bool { isFinite && bitPattern & 0x7F >= Self._minNormalCode }
    /// True when the sign bit is set (including -0 and negative NaNs).
    @inlinable
    public var isSignMinus: Bool { bitPattern & 0x80 != 0 }

    /// The sign bit as a `FloatingPointSign` (`.minus` for -0 and for NaNs with the sign bit set),
    /// as `Float.sign` reports it.
    @inlinable
    public var sign: FloatingPointSign { isSignMinus ? .minus : .plus }

    /// The exponent `e` of the value written `±m * 2^e` with `1 <= m < 2`, with `Float.exponent`'s
    /// conventions: subnormals give their true exponent (down to 2^-9 / 2^-16), zero gives `Int.min`,
    /// infinity and NaN give `Int.max`.
    @inlinable
    public var exponent: Int {
        let mag = UInt32(bitPattern & 0x7F)
        if !isFinite { return .max }
        if mag == 0 { return .min }
        let field = mag >> Self._mantissaBits
        if field == 0 {  // subnormal: m * 2^(1 - bias - mbits), m in 1 ..< 2^mbits
            let top = 31 - mag.leadingZeroBitCount
            return top + 1 - Int(Self._bias) - Int(Self._mantissaBits)
        }
        return Int(field) - Int(Self._bias)
    }

    // MARK: Limits

    /// 448 (E4M3) or 57344 (E5M2).
    @inlinable
    public static var greatestFiniteMagnitude: Self { Self(bitPattern: _maxCode) }
    /// 2^-6 (E4M3) or 2^-14 (E5M2).
    @inlinable
    public static var leastNormalMagnitude: Self { Self(bitPattern: _minNormalCode) }
    /// 2^-9 (E4M3) or 2^-16 (E5M2).
    @inlinable
    public static var leastNonzeroMagnitude: Self { Self(bitPattern: 0x01) }
    /// The canonical quiet NaN (E4M3 0x7F, E5M2 0x7E).
    @inlinable
    public static var nan: Self { Self(bitPattern: _nanCode) }
    /// Positive zero.
    @inlinable
    public static var zero: Self { Self(bitPattern: 0) }
    /// The gap between 1 and the next value: 2^-3 (E4M3) or 2^-2 (E5M2).
    @inlinable
    public static var ulpOfOne: Self { Self(bitPattern: format == .e4m3 ? 0x20 : 0x34) }

    // MARK: Neighbours

    /// The unit in the last place of `self`: the distance from `|self|` to the next larger magnitude
    /// with the same exponent, as `Float.ulp` defines it. Always positive: 2^(exponent - mbits) for
    /// normal values (so 32 for E4M3's 448, 8192 for E5M2's 57344, although nothing finite lies above
    /// them), ``leastNonzeroMagnitude`` for zeros and subnormals, NaN for NaN and infinity.
    @inlinable
    public var ulp: Self {
        let mag = UInt32(bitPattern & 0x7F)
        if !isFinite { return .nan }
        let field = mag >> Self._mantissaBits
        // 2^(field - bias - mbits) is field - mbits in exponent-field units; below 1 it is subnormal.
        if field <= Self._mantissaBits + 1 {
            // field - bias - mbits <= 1 - bias: a subnormal (or the least normal) power of two,
            // 2^(field - 1) quanta of 2^(1 - bias - mbits).
            return Self(bitPattern: UInt8(1 << (field == 0 ? 0 : field - 1)))
        }
        return Self(bitPattern: UInt8((field - Self._mantissaBits) << Self._mantissaBits))
    }

    /// The least value that compares greater than `self` (IEEE 754 nextUp).
    ///
    /// `nextUp` of ±0 is ``leastNonzeroMagnitude`` and of `-leastNonzeroMagnitude` is -0. NaN returns
    /// itself. E5M2: the greatest finite value steps to +infinity, -infinity to -57344, and +infinity
    /// returns itself. E4M3 has no infinity, so no value compares greater than 448: `nextUp` of
    /// +448 is NaN (the format's "no such value"; OCP E4M3 likewise turns overflow into NaN), and
    /// `nextDown` of -448 is NaN.
    @inlinable
    public var nextUp: Self {
        if isNaN { return self }
        let mag = bitPattern & 0x7F
        if mag == 0 { return Self.leastNonzeroMagnitude }
        if !isSignMinus {
            if isInfinite { return self }
            return Self(bitPattern: mag + 1)  // E4M3 0x7E + 1 = NaN; E5M2 0x7B + 1 = +inf
        }
        return Self(bitPattern: 0x80 | (mag - 1))  // towards zero; -least.nextUp == -0
    }

    /// The greatest value that compares less than `self` (the mirror image of ``nextUp``: ±0 give
    /// `-leastNonzeroMagnitude`, E4M3's -448 gives NaN, E5M2's -57344 gives -infinity).
    @inlinable
    public var nextDown: Self { -((-self).nextUp) }

    /// The value with the sign flipped (exact, also for zeros and NaNs).
    @inlinable
    public static prefix func - (x: Self) -> Self { Self(bitPattern: x.bitPattern ^ 0x80) }

    /// The magnitude (sign bit cleared).
    @inlinable
    public var magnitude: Self { Self(bitPattern: bitPattern & 0x7F) }

    // MARK: Equatable, Comparable, Hashable (IEEE semantics on the value)

    /// Sign-magnitude code as a signed integer: orders non-NaN values like their decoded values, with
    /// -0 and +0 both 0.
    @inlinable
    var _orderKey: Int16 {
        let mag = Int16(bitPattern & 0x7F)
        return isSignMinus ? -mag : mag
    }

    /// IEEE equality of the values: NaN is unequal to everything, -0 == +0.
    @inlinable
    public static func == (lhs: Self, rhs: Self) -> Bool {
        if lhs.isNaN || rhs.isNaN { return false }
        return lhs.bitPattern == rhs.bitPattern || (lhs.bitPattern | rhs.bitPattern) & 0x7F == 0
    }

    /// IEEE ordering of the values: false whenever either is NaN.
    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.isNaN || rhs.isNaN { return false }
        return lhs._orderKey < rhs._orderKey
    }

    /// IEEE `<=`: false whenever either is NaN (not `!(rhs < lhs)`).
    @inlinable
    public static func <= (lhs: Self, rhs: Self) -> Bool {
        if lhs.isNaN || rhs.isNaN { return false }
        return lhs._orderKey <= rhs._orderKey
    }

    /// IEEE `>`: false whenever either is NaN.
    @inlinable
    public static func > (lhs: Self, rhs: Self) -> Bool { rhs < lhs }

    /// IEEE `>=`: false whenever either is NaN.
    @inlinable
    public static func >= (lhs: Self, rhs: Self) -> Bool { rhs <= lhs }

    /// Hashes the value so that -0 and +0 hash alike, consistent with `==`.
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(isZero ? 0 : bitPattern) }

    /// The decoded value as `Float` prints it, e.g. "448.0", "-0.001953125", "nan", "inf".
    public var description: String { floatValue.description }
}
