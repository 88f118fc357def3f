// SPDX-License-Identifier: Apache-2.0

// MARK: - Arithmetic, correctly rounded
//
// Why computing in Float and rounding once to bfloat16 is correct for +, -, *, / and squareRoot:
// rounding the exact result x first to a q-bit format, then to a p-bit format, gives the same result
// as rounding x once to p bits whenever q >= 2p + 2 (S. A. Figueroa, "When is double rounding
// innocuous?", ACM SIGNUM Newsletter 30(3), 1995; P. Roux, "Innocuous double rounding of basic
// arithmetic operations", Journal of Formalized Reasoning 7(1), 2014, with exponent ranges). Here
// p = 8 and q = 24 >= 18. The exponent ranges do not spoil it: Float and bfloat16 share emin = -126
// and emax = 127, so in every binade, the subnormal range included, Float's grid refines
// bfloat16's by exactly 16 bits (2^-149 against 2^-133 below 2^-126): the argument, which only
// compares the two grids near a bfloat16 midpoint, holds unchanged. A bfloat16 midpoint, the
// overflow threshold (2 - 2^-8) * 2^127 included, is a Float; an exact result that is not a midpoint
// is never rounded onto one. Float overflows only above 2^128 - 2^104 > bfloat16's threshold.
//
// The fused multiply-add cannot use Float (b * c + a needs up to ~270 bits); it is computed in
// Double, where b * c is exact, and the sum is rounded to odd (S. Boldo and G. Melquiond, "Emulation
// of FMA and correctly rounded sums: proved algorithms using rounding to odd", IEEE Trans. Computers
// 57(4), 2008): round-to-odd to 53 >= 8 + 2 bits followed by one rounding to nearest even is the
// correctly rounded result.

extension BFloat16 {
    /// The sum, rounded once to nearest even (computed in `Float`; see the note above).
    @inlinable
    public static func + (lhs: BFloat16, rhs: BFloat16) -> BFloat16 { BFloat16(Float(lhs) + Float(rhs)) }
    /// The difference, rounded once to nearest even.
    @inlinable
    public static func - (lhs: BFloat16, rhs: BFloat16) -> BFloat16 { BFloat16(Float(lhs) - Float(rhs)) }
    /// The product, rounded once to nearest even (the product of two bfloat16 values has at most 16
    /// significant bits, so the `Float` product is exact unless it is below 2^-133 or overflows).
    @inlinable
    public static func * (lhs: BFloat16, rhs: BFloat16) -> BFloat16 { BFloat16(Float(lhs) * Float(rhs)) }
    /// The quotient, rounded once to nearest even.
    @inlinable
    public static func / (lhs: BFloat16, rhs: BFloat16) -> BFloat16 { BFloat16(Float(lhs) / Float(rhs)) }

    /// Adds and stores, rounding once.
    @inlinable
    public static func += (lhs: inout BFloat16, rhs: BFloat16) { lhs = lhs + rhs }
    /// Subtracts and stores, rounding once.
    @inlinable
    public static func -= (lhs: inout BFloat16, rhs: BFloat16) { lhs = lhs - rhs }
    /// Multiplies and stores, rounding once.
    @inlinable
    public static func *= (lhs: inout BFloat16, rhs: BFloat16) { lhs = lhs * rhs }
    /// Divides and stores, rounding once.
    @inlinable
    public static func /= (lhs: inout BFloat16, rhs: BFloat16) { lhs = lhs / rhs }

    /// The value with its sign bit flipped (exact, also for zeros and NaNs).
    @inlinable
    public static prefix func - (operand: BFloat16) -> BFloat16 {
        BFloat16(bitPattern: operand._bits ^ _signMask)
    }
    /// Flips the sign bit.
    @inlinable
    public mutating func negate() { _bits ^= BFloat16._signMask }

    /// The absolute value: the sign bit cleared (exact, also for NaNs).
    @inlinable
    public var magnitude: BFloat16 { BFloat16(bitPattern: _magnitudeBits) }

    /// The square root, rounded once to nearest even; NaN for negative non-zero values, -0 for -0.
    @inlinable
    public func squareRoot() -> BFloat16 { BFloat16(Float(self).squareRoot()) }
    /// Replaces the value by its square root, rounded once.
    @inlinable
    public mutating func formSquareRoot() { self = squareRoot() }

    /// `self + lhs * rhs` computed exactly and rounded once to nearest even (a fused multiply-add):
    /// the product is exact in `Double`, the sum is rounded to odd in `Double`, then to bfloat16
    /// (see the note above). Infinities, NaNs and signed zeros follow IEEE 754 (`0 * inf` is NaN).
    @inlinable
    public func addingProduct(_ lhs: BFloat16, _ rhs: BFloat16) -> BFloat16 {
        let a = Double(self), p = Double(lhs) * Double(rhs)  // exact: at most 16 bits, >= 2^-266
        var s = a + p
        guard s.isFinite else { return BFloat16(s) }  // an infinity or NaN operand
        // Knuth's TwoSum: err is the exact rounding error of a + p (exact without overflow).
        let ap = s - p, pp = s - ap
        let err = (a - ap) + (p - pp)
        if err != 0 && s.bitPattern & 1 == 0 {
            s = err > 0 ? s.nextUp : s.nextDown  // the odd neighbour of the exact sum
        }
        return BFloat16(s)
    }
    /// Replaces the value by `self + lhs * rhs`, rounded once.
    @inlinable
    public mutating func addProduct(_ lhs: BFloat16, _ rhs: BFloat16) { self = addingProduct(lhs, rhs) }

    /// The IEEE 754 remainder `self - n * other`, `n` the integer nearest `self / other` (ties to
    /// even). Always exact: the remainder of two values of a binary format is a value of that format,
    /// so the `Float` result is a bfloat16.
    @inlinable
    public func remainder(dividingBy other: BFloat16) -> BFloat16 {
        BFloat16(Float(self).remainder(dividingBy: Float(other)))
    }
    /// Replaces the value by ``remainder(dividingBy:)``.
    @inlinable
    public mutating func formRemainder(dividingBy other: BFloat16) { self = remainder(dividingBy: other) }

    /// `self - n * other` with `n` the quotient truncated toward zero (C `fmod`); always exact.
    @inlinable
    public func truncatingRemainder(dividingBy other: BFloat16) -> BFloat16 {
        BFloat16(Float(self).truncatingRemainder(dividingBy: Float(other)))
    }
    /// Replaces the value by ``truncatingRemainder(dividingBy:)``.
    @inlinable
    public mutating func formTruncatingRemainder(dividingBy other: BFloat16) {
        self = truncatingRemainder(dividingBy: other)
    }

    /// The value rounded to an integral value with `rule`. Always exact: an integer obtained by
    /// rounding a bfloat16 value is a bfloat16 value (values from 2^7 up are already integers).
    @inlinable
    public func rounded(_ rule: FloatingPointRoundingRule) -> BFloat16 { BFloat16(Float(self).rounded(rule)) }
    /// Rounds to an integral value with `rule`.
    @inlinable
    public mutating func round(_ rule: FloatingPointRoundingRule) { self = rounded(rule) }
}
