// SPDX-License-Identifier: Apache-2.0

/// An OCP E4M3 ("e4m3fn") number: 1 sign, 4 exponent, 3 mantissa bits, bias 7.
///
/// Range ±448, smallest normal 2^-6, smallest subnormal 2^-9, NaN = 0x7F/0xFF, no infinity.
/// One byte, so `[Float8E4M3]` can be handed to C as `uint8_t *` without copying.
/// See ``FP8Scalar`` for the conversions, classification and comparison semantics.
@frozen
public struct Float8E4M3: FP8Scalar {
    /// The raw FP8 code.
    public var bitPattern: UInt8

    /// Creates a value from its raw FP8 code.
    @inlinable
    public init(bitPattern: UInt8) { self.bitPattern = bitPattern }

    /// ``FP8Format/e4m3``.
    @inlinable
    public static var format: FP8Format { .e4m3 }
}

/// The 256 codes in code order (``FP8Scalar/allCases``).
extension Float8E4M3: CaseIterable {}
