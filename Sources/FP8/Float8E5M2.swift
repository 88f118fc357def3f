// SPDX-License-Identifier: Apache-2.0

/// An OCP E5M2 number: 1 sign, 5 exponent, 2 mantissa bits, bias 15 (the top byte of a binary16).
///
/// Range ±57344, smallest normal 2^-14, smallest subnormal 2^-16, ±infinity = 0x7C/0xFC,
/// NaN = 0x7D-0x7F/0xFD-0xFF. One byte, so `[Float8E5M2]` can be handed to C without copying.
/// See ``FP8Scalar`` for the conversions, classification and comparison semantics.
@frozen
public struct Float8E5M2: FP8Scalar {
    /// The raw FP8 code.
    public var bitPattern: UInt8

    /// Creates a value from its raw FP8 code.
    @inlinable
    public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    /// ``FP8Format/e5m2``.
    @inlinable
    public static var format: FP8Format { .e5m2 }

    /// Positive infinity (0x7C).
    @inlinable
    public static var infinity: Float8E5M2 { Float8E5M2(bitPattern: 0x7C) }
}

/// The 256 codes in code order (``FP8Scalar/allCases``).
extension Float8E5M2: CaseIterable {}
