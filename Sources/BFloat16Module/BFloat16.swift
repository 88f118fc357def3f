// SPDX-License-Identifier: Apache-2.0

/// A 16-bit floating-point value in the bfloat16 format ("brain floating point").
///
/// Layout: 1 sign bit, 8 exponent bits (bias 127), 7 stored significand bits; that is exactly the upper
/// half of an IEEE 754 binary32 (`Float`) encoding, so bfloat16 has `Float`'s exponent range (normal
/// values from 2^-126 to (2 - 2^-7) * 2^127 ≈ 3.39e38, subnormals down to 2^-133, ±infinity, NaNs)
/// with 8 bits of precision. bfloat16 is not one of IEEE 754's interchange formats; every rule here is
/// IEEE 754-2019 applied to a binary format with p = 8, emax = 127 (the bfloat16 definition of the
/// Google Brain / TPU, Intel BF16 and Arm BF16 specifications).
///
/// `BFloat16` behaves like the standard library's `Float16`:
/// - It conforms to `BinaryFloatingPoint`. Every arithmetic operation (`+`, `-`, `*`, `/`,
///   `squareRoot()`, `addingProduct(_:_:)`, `remainder(dividingBy:)`, `truncatingRemainder(dividingBy:)`,
///   `rounded(_:)`) returns the exact result rounded once to nearest, ties to even (IEEE 754
///   roundTiesToEven), with IEEE 754 results for zeros, infinities and NaNs.
/// - Every conversion into `BFloat16` (from `Float`, `Double`, `Float16`, `Float80`, any
///   `BinaryFloatingPoint`, any `BinaryInteger`, and text) rounds once to nearest even; overflow gives
///   ±infinity, NaN stays a quiet NaN with its sign. Conversions to `Float` and `Double` are exact.
/// - `==`, `<`, `hashValue` follow IEEE semantics: NaN is unordered and unequal to itself, -0 == +0 and
///   both hash alike.
/// - `description` is the shortest decimal that reads back to the same value.
///
/// Conversions work on the bits and do not depend on the floating-point environment (rounding mode,
/// flush-to-zero or denormals-are-zero). Arithmetic computes in `Float` or `Double`, as all Swift
/// floating-point arithmetic does, and so assumes the default environment.
///
/// The type lives in its own module, `BFloat16Module`, which has no dependency on the FP8 kernels; the
/// `FP8` module re-exports it.
@frozen
public struct BFloat16: Sendable {
    /// The raw encoding: the upper 16 bits of the binary32 encoding of the same value.
    @usableFromInline
    internal var _bits: UInt16

    /// Creates a value from its raw bfloat16 encoding (sign bit 15, exponent bits 14...7, significand
    /// bits 6...0). Any pattern is accepted, including signaling NaNs, which are kept as they are.
    @inlinable
    public init(bitPattern: UInt16) { _bits = bitPattern }

    /// The raw bfloat16 encoding: the upper 16 bits of `Float(self).bitPattern`.
    @inlinable
    public var bitPattern: UInt16 { _bits }

    /// Positive zero (the default value, as for `Float`).
    @inlinable
    public init() { _bits = 0 }
}

// MARK: - Format constants

extension BFloat16 {
    /// Mask of the sign bit (0x8000).
    @usableFromInline static var _signMask: UInt16 { 0x8000 }
    /// Encoding of +infinity (0x7F80): exponent field all ones, significand zero.
    @usableFromInline static var _infinityBits: UInt16 { 0x7F80 }
    /// The quiet bit, the most significant stored significand bit (0x0040).
    @usableFromInline static var _quietBit: UInt16 { 0x0040 }

    /// 8: the width of the exponent field.
    @inlinable public static var exponentBitCount: Int { 8 }
    /// 7: the number of stored significand bits (the precision is 8 bits with the implicit bit).
    @inlinable public static var significandBitCount: Int { 7 }
    /// 2.
    @inlinable public static var radix: Int { 2 }

    /// The canonical quiet NaN, 0x7FC0 (the upper half of `Float.nan`).
    @inlinable public static var nan: BFloat16 { BFloat16(bitPattern: 0x7FC0) }
    /// A signaling NaN, 0x7FA0 (the upper half of `Float.signalingNaN`).
    @inlinable public static var signalingNaN: BFloat16 { BFloat16(bitPattern: 0x7FA0) }
    /// Positive infinity, 0x7F80.
    @inlinable public static var infinity: BFloat16 { BFloat16(bitPattern: 0x7F80) }
    /// (2 - 2^-7) * 2^127 = 0x1.FEp127 ≈ 3.3895e38, encoding 0x7F7F.
    @inlinable public static var greatestFiniteMagnitude: BFloat16 { BFloat16(bitPattern: 0x7F7F) }
    /// 2^-126 ≈ 1.1755e-38, encoding 0x0080 (the same value as `Float.leastNormalMagnitude`).
    @inlinable public static var leastNormalMagnitude: BFloat16 { BFloat16(bitPattern: 0x0080) }
    /// 2^-133 ≈ 9.184e-41, encoding 0x0001: the least subnormal value.
    @inlinable public static var leastNonzeroMagnitude: BFloat16 { BFloat16(bitPattern: 0x0001) }
    /// 2^-7 = 0.0078125, the distance from 1 to the next greater value; encoding 0x3C00.
    @inlinable public static var ulpOfOne: BFloat16 { BFloat16(bitPattern: 0x3C00) }
    /// π rounded toward zero, as the standard library's types round it: 0x1.92p1 = 3.140625,
    /// encoding 0x4049 (π = 0x1.921FB5...p1).
    @inlinable public static var pi: BFloat16 { BFloat16(bitPattern: 0x4049) }
    /// Positive zero.
    @inlinable public static var zero: BFloat16 { BFloat16(bitPattern: 0) }
}

// MARK: - Float <-> BFloat16 (the core conversions, on the bits)

extension BFloat16 {
    /// Rounds `value` to the nearest bfloat16, ties to even (IEEE 754 roundTiesToEven).
    ///
    /// Works on the bits, so the result does not depend on the rounding mode, FTZ or DAZ:
    /// - finite values: the low 16 bits are rounded away with a carry into the upper half, which moves
    ///   naturally into the next binade, into ±infinity on overflow (at and above the midpoint
    ///   (2 - 2^-8) * 2^127 between the greatest finite value and 2^128), and keeps subnormals;
    /// - ±infinity stays ±infinity;
    /// - NaN keeps its sign and the upper 6 payload bits and gets the quiet bit set, so a NaN never
    ///   becomes an infinity (truncating a signaling NaN whose payload lies in the low 16 bits would).
    @inlinable
    public init(_ value: Float) {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 {
            _bits = UInt16(truncatingIfNeeded: bits >> 16) | BFloat16._quietBit
        } else {
            // Adding 0x7FFF rounds up when the low half exceeds 0x8000; the extra 1 from the kept LSB
            // turns an exact half into a round up only when the kept part is odd.
            let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
            _bits = UInt16(truncatingIfNeeded: rounded >> 16)
        }
    }

    /// `value` when it is a bfloat16 value (its low 16 bits are zero), otherwise `nil`; `nil` for NaN,
    /// as `Float(exactly:)` does.
    @inlinable
    public init?(exactly value: Float) {
        let bits = value.bitPattern
        guard !value.isNaN, bits & 0xFFFF == 0 else { return nil }
        _bits = UInt16(truncatingIfNeeded: bits >> 16)
    }
}

extension Float {
    /// The exact value of `value` (bfloat16 is the upper half of binary32, so this only widens the
    /// bits; NaN payloads, signaling NaNs included, are kept).
    @inlinable
    public init(_ value: BFloat16) { self.init(bitPattern: UInt32(value._bits) << 16) }

    /// The exact value of `value`; `nil` for NaN (like every `init(exactly:)` of the standard library).
    @inlinable
    public init?(exactly value: BFloat16) {
        guard !value.isNaN else { return nil }
        self.init(value)
    }
}

extension Double {
    /// The exact value of `value`.
    @inlinable
    public init(_ value: BFloat16) { self.init(Float(value)) }

    /// The exact value of `value`; `nil` for NaN.
    @inlinable
    public init?(exactly value: BFloat16) {
        guard !value.isNaN else { return nil }
        self.init(value)
    }
}

// MARK: - Classification

extension BFloat16 {
    /// The encoding without its sign bit.
    @inlinable
    internal var _magnitudeBits: UInt16 { _bits & 0x7FFF }

    /// True for NaNs (exponent field all ones, significand non-zero), quiet or signaling.
    @inlinable public var isNaN: Bool { _magnitudeBits > BFloat16._infinityBits }
    /// True for signaling NaNs: NaNs whose quiet bit (0x0040) is clear.
    @inlinable public var isSignalingNaN: Bool { isNaN && _bits & BFloat16._quietBit == 0 }
    /// True for ±infinity.
    @inlinable public var isInfinite: Bool { _magnitudeBits == BFloat16._infinityBits }
    /// True for zeros, subnormal and normal values.
    @inlinable public var isFinite: Bool { _magnitudeBits < BFloat16._infinityBits }
    /// True for ±0.
    @inlinable public var isZero: Bool { _magnitudeBits == 0 }
    /// True for non-zero values with a zero exponent field (magnitudes below 2^-126).
    @inlinable public var isSubnormal: Bool { _magnitudeBits != 0 && _magnitudeBits < 0x0080 }
    /// True for finite values with a non-zero exponent field.
    @inlinable public var isNormal: Bool { _magnitudeBits >= 0x0080 && _magnitudeBits < BFloat16._infinityBits }
    /// Always true: every bfloat16 encoding is canonical.
    @inlinable public var isCanonical: Bool { true }
    /// The sign bit as a `FloatingPointSign` (`.minus` for -0 and for NaNs with the sign bit set).
    @inlinable public var sign: FloatingPointSign { _bits & BFloat16._signMask != 0 ? .minus : .plus }
}
