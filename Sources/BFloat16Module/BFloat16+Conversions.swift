// SPDX-License-Identifier: Apache-2.0

// MARK: - Rounding an exact binary value once

extension BFloat16 {
    /// Rounds `±significand * 2^exponent` (`significand != 0`) once to the nearest bfloat16, ties to
    /// even, on integers only (no floating-point operation, so no dependence on the FP environment).
    ///
    /// Steps: (1) the binade `floor(log2 |x|)`, overflow above 2^127's binade; (2) the quantum: 2^(binade - 7)
    /// for normal values, 2^-133 for subnormals (`binade` clamped to -126); (3) round the significand to
    /// a multiple of the quantum, ties to even; (4) pack: `(binade + 126) << 7 + q`, where `q` carries
    /// the implicit bit, so a carry out of the significand moves into the next binade (and from 0x7F7F
    /// into infinity), and a subnormal that rounds up to 2^-126 becomes the least normal value.
    ///
    /// - Returns: the encoding, whether the value was exact, and whether it was exactly halfway
    ///   between two bfloat16 neighbours (then the even one was taken).
    @inlinable
    static func _round(negative: Bool, significand m: UInt64, exponent e: Int)
        -> (bits: UInt16, exact: Bool, tie: Bool)
    {
        let sign: UInt16 = negative ? _signMask : 0
        let top = e + (63 - m.leadingZeroBitCount)  // |x| is in [2^top, 2^(top + 1))
        if top > 127 { return (sign | _infinityBits, false, false) }
        let binade = Swift.max(top, -126)
        let shift = binade - 7 - e  // low bits of m below the quantum; >= -7 as top >= e
        var q: UInt64
        var exact = true, tie = false
        if shift <= 0 {
            q = m << UInt64(-shift)
        } else if shift > 64 {
            // |x| < 2^(e + 64) <= 2^-134: below half the least subnormal (subnormal range only).
            return (sign, false, false)
        } else {
            let rem: UInt64, half: UInt64 = 1 << UInt64(shift - 1)
            if shift == 64 {
                q = 0
                rem = m
            } else {
                q = m >> UInt64(shift)
                rem = m & ((1 << UInt64(shift)) - 1)
            }
            if rem != 0 {
                exact = false
                tie = rem == half
                if rem > half || (tie && q & 1 == 1) { q += 1 }
            }
        }
        let packed = UInt16(truncatingIfNeeded: (binade + 126) << 7) &+ UInt16(truncatingIfNeeded: q)
        return (sign | packed, exact, tie)
    }

    /// Rounds `±magnitude * 2^exponent` for a magnitude of any width: magnitudes wider than 64 bits
    /// are cut to their top 64 bits with the rest folded into the lowest bit (a sticky bit: round to
    /// odd), which cannot change a rounding to 8 bits since the cut lies 56 bits below it.
    @inlinable
    static func _round<M: BinaryInteger>(negative: Bool, magnitude: M, exponent: Int)
        -> (bits: UInt16, exact: Bool, tie: Bool)
    {
        if magnitude == 0 { return (negative ? _signMask : 0, true, false) }
        if let small = UInt64(exactly: magnitude) {
            return _round(negative: negative, significand: small, exponent: exponent)
        }
        // Width of the magnitude from its most significant non-zero word.
        var width = 0, index = 0
        for word in magnitude.words {
            if word != 0 { width = index * UInt.bitWidth + (UInt.bitWidth - word.leadingZeroBitCount) }
            index += 1
        }
        let cut = width - 64
        var top = UInt64(truncatingIfNeeded: magnitude >> cut)
        let dropped = magnitude.trailingZeroBitCount < cut  // non-zero bits below the top 64
        if dropped { top |= 1 }
        let r = _round(negative: negative, significand: top, exponent: exponent + cut)
        // With a dropped bit the value is neither exact nor a tie (the sticky bit breaks both).
        return (r.bits, r.exact && !dropped, r.tie && !dropped)
    }
}

// MARK: - From Double

extension BFloat16 {
    /// `value` rounded once (nil for NaN, which the caller maps to a quiet NaN).
    @inlinable
    static func _fromDouble(_ value: Double) -> (bits: UInt16, exact: Bool, tie: Bool)? {
        let bits = value.bitPattern
        let negative = bits >> 63 != 0
        let field = Int((bits >> 52) & 0x7FF)
        let fraction = bits & 0x000F_FFFF_FFFF_FFFF
        if field == 0x7FF {
            if fraction != 0 { return nil }
            return ((negative ? _signMask : 0) | _infinityBits, true, false)
        }
        if field == 0 {
            if fraction == 0 { return (negative ? _signMask : 0, true, false) }
            return _round(negative: negative, significand: fraction, exponent: -1074)
        }
        return _round(negative: negative, significand: fraction | (1 << 52), exponent: field - 1075)
    }

    /// The quiet NaN for a NaN `Double`: its sign, the quiet bit and the upper 6 payload bits (the
    /// same bits as `BFloat16(Float(value))`).
    @inlinable
    static func _nan(fromDouble value: Double) -> UInt16 {
        let bits = value.bitPattern
        let sign: UInt16 = bits >> 63 != 0 ? _signMask : 0
        return sign | 0x7FC0 | UInt16(truncatingIfNeeded: (bits >> 45) & 0x3F)
    }

    /// Rounds `value` once to the nearest bfloat16, ties to even, directly from the double's bits.
    ///
    /// Rounding through `Float` first would round twice and can be wrong: 1 + 2^-8 + 2^-40 rounds to
    /// `Float` 1 + 2^-8, an exact tie that then goes to 1, while the correct result is 1 + 2^-7.
    /// Overflow gives ±infinity; NaN keeps its sign and upper payload bits and becomes quiet.
    @inlinable
    public init(_ value: Double) {
        if let r = BFloat16._fromDouble(value) {
            _bits = r.bits
        } else {
            _bits = BFloat16._nan(fromDouble: value)
        }
    }

    /// `value` when it is exactly a bfloat16 value, otherwise `nil` (also for NaN).
    @inlinable
    public init?(exactly value: Double) {
        guard let r = BFloat16._fromDouble(value), r.exact else { return nil }
        _bits = r.bits
    }
}

// MARK: - From any BinaryFloatingPoint (Float16, Float80, ...)

extension BFloat16 {
    /// `value` rounded once (nil for NaN), read through `BinaryFloatingPoint`'s fields.
    @inlinable
    static func _fromBinaryFloatingPoint<Source: BinaryFloatingPoint>(_ value: Source)
        -> (bits: UInt16, exact: Bool, tie: Bool)?
    {
        let negative = value.sign == .minus
        let sign: UInt16 = negative ? _signMask : 0
        if value.isNaN { return nil }
        if value.isInfinite { return (sign | _infinityBits, true, false) }
        if value.isZero { return (sign, true, false) }
        // Far outside bfloat16's range: overflow, or below half the least subnormal.
        if value.exponent > 128 { return (sign | _infinityBits, false, false) }
        if value.exponent < -200 { return (sign, false, false) }
        // |value| = significand * 2^(exponent - significandBitCount), the significand an integer.
        let fractionBits = Source.significandBitCount
        let exponent: Int
        var significand = value.significandBitPattern
        if value.isNormal {
            significand |= 1 << fractionBits
            exponent = Int(value.exponent) - fractionBits
        } else {
            exponent = Int(Source.leastNormalMagnitude.exponent) - fractionBits
        }
        return _round(negative: negative, magnitude: significand, exponent: exponent)
    }

    /// Rounds `value` once to the nearest bfloat16, ties to even; overflow gives ±infinity, NaN gives a
    /// quiet NaN with its sign (its payload is kept for `Float` and `Double`).
    @inlinable
    public init<Source: BinaryFloatingPoint>(_ value: Source) {
        if let v = value as? Float {
            self.init(v)
        } else if let v = value as? Double {
            self.init(v)
        } else if let v = value as? BFloat16 {
            self = v
        } else if let r = BFloat16._fromBinaryFloatingPoint(value) {
            self.init(bitPattern: r.bits)
        } else {
            self.init(bitPattern: value.sign == .minus ? 0xFFC0 : 0x7FC0)
        }
    }

    /// `value` when it is exactly a bfloat16 value, otherwise `nil` (also for NaN).
    @inlinable
    public init?<Source: BinaryFloatingPoint>(exactly value: Source) {
        guard let r = BFloat16._fromBinaryFloatingPoint(value), r.exact else { return nil }
        _bits = r.bits
    }
}

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
@available(macOS 11.0, iOS 14.0, watchOS 7.0, tvOS 14.0, *)
extension BFloat16 {
    /// Rounds `value` once to the nearest bfloat16, ties to even (binary16 has 11 bits of precision,
    /// bfloat16 8; every binary16 value is within bfloat16's range). NaN stays a quiet NaN with its sign.
    @inlinable
    public init(_ value: Float16) { self.init(Float(value)) }
}

@available(macOS 11.0, iOS 14.0, watchOS 7.0, tvOS 14.0, *)
extension Float16 {
    /// Rounds `value` once to the nearest binary16, ties to even: overflow above 65520 gives ±infinity,
    /// magnitudes below 2^-24 become subnormal or zero. (`Float(value)` is exact, so the only rounding
    /// is `Float16(Float)`'s.)
    @inlinable
    public init(_ value: BFloat16) { self.init(Float(value)) }
}
#endif

#if !(os(Windows) || os(Android)) && (arch(i386) || arch(x86_64))
extension BFloat16 {
    /// Rounds `value` once to the nearest bfloat16, ties to even; NaN gives a quiet NaN with its sign.
    @inlinable
    public init(_ value: Float80) {
        if let r = BFloat16._fromBinaryFloatingPoint(value) {
            _bits = r.bits
        } else {
            _bits = value.sign == .minus ? 0xFFC0 : 0x7FC0
        }
    }
}
#endif

// MARK: - From integers

extension BFloat16 {
    /// Rounds `value` once to the nearest bfloat16, ties to even (integers above 256 are not all
    /// representable: 257 becomes 256, 259 becomes 260). Magnitudes at or above 2^128 - 2^119 give
    /// ±infinity, so an integer type wider than 128 bits can overflow.
    @inlinable
    public init<Source: BinaryInteger>(_ value: Source) {
        _bits = BFloat16._round(negative: value < 0, magnitude: value.magnitude, exponent: 0).bits
    }

    /// Rounds `value` once to the nearest bfloat16, ties to even.
    @inlinable
    public init(_ value: Int) {
        _bits = BFloat16._round(negative: value < 0, magnitude: value.magnitude, exponent: 0).bits
    }

    /// `value` when it is exactly a bfloat16 value, otherwise `nil`.
    @inlinable
    public init?<Source: BinaryInteger>(exactly value: Source) {
        let r = BFloat16._round(negative: value < 0, magnitude: value.magnitude, exponent: 0)
        guard r.exact else { return nil }
        _bits = r.bits
    }
}
