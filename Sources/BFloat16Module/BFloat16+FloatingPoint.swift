// SPDX-License-Identifier: Apache-2.0

// MARK: - Fields (BinaryFloatingPoint)

extension BFloat16 {
    /// The 8-bit biased exponent field (0 for zeros and subnormals, 255 for infinities and NaNs).
    @inlinable
    public var exponentBitPattern: UInt { UInt((_bits >> 7) & 0xFF) }

    /// The 7 stored significand bits (without the implicit bit).
    @inlinable
    public var significandBitPattern: UInt16 { _bits & 0x7F }

    /// Assembles a value from its fields; as for `Float`, the exponent is masked to 8 bits and the
    /// significand to 7 bits.
    @inlinable
    public init(sign: FloatingPointSign, exponentBitPattern: UInt, significandBitPattern: UInt16) {
        let s: UInt16 = sign == .minus ? BFloat16._signMask : 0
        let e = UInt16(truncatingIfNeeded: exponentBitPattern & 0xFF) << 7
        self.init(bitPattern: s | e | (significandBitPattern & 0x7F))
    }

    /// The exponent `e` of `|self| = m * 2^e` with `1 <= m < 2`, with `Float.exponent`'s conventions:
    /// subnormals give their true exponent (-127 ... -133), zero gives `Int.min`, infinity and NaN
    /// give `Int.max`.
    @inlinable
    public var exponent: Int {
        let field = Int(exponentBitPattern)
        if field == 0xFF { return .max }
        if field != 0 { return field - 127 }
        let fraction = significandBitPattern
        if fraction == 0 { return .min }
        return -133 + (15 - fraction.leadingZeroBitCount)  // the top set bit of a subnormal
    }

    /// The significand `m` of `|self| = m * 2^exponent`, in `[1, 2)` for finite non-zero values
    /// (subnormals are normalised), as `Float.significand` defines it: +0 for zeros, +infinity for
    /// infinities, and the NaN itself for a NaN.
    @inlinable
    public var significand: BFloat16 {
        if isNaN { return self }
        let field = exponentBitPattern, fraction = significandBitPattern
        if field == 0 && fraction != 0 {
            let shift = fraction.leadingZeroBitCount - 8  // brings the top bit to the implicit position
            return BFloat16(bitPattern: (127 << 7) | ((fraction << UInt16(shift)) & 0x7F))
        }
        if field == 0 || field == 0xFF { return BFloat16(bitPattern: UInt16(field) << 7) }
        return BFloat16(bitPattern: (127 << 7) | fraction)
    }

    /// The exact value `±significand * 2^exponent` rounded once to nearest even, the sign `.minus`
    /// flipping the sign of `significand` (as for `Float`, so `init(sign: .minus, exponent: 0,
    /// significand: -2)` is 2). Exponents far out of range give ±infinity or ±0; zero, infinite and
    /// NaN significands are returned with the sign applied.
    @inlinable
    public init(sign: FloatingPointSign, exponent: Int, significand: BFloat16) {
        var s = significand
        if sign == .minus { s.negate() }
        guard s.isFinite && !s.isZero else { self = s; return }
        // |significand| is in [2^-133, 2^128): a clamp to +-400 keeps the Double product exact and
        // normal and changes no result (2^-133 * 2^400 overflows, 2^128 * 2^-400 rounds to zero).
        let clamped = Swift.min(Swift.max(exponent, -400), 400)
        self.init(Double(sign: .plus, exponent: clamped, significand: Double(s)))
    }

    /// The unit in the last place: the distance from `|self|` to the next greater magnitude of the
    /// same binade, as `Float.ulp` defines it: 2^(exponent - 7) for normal values, 2^-133 for zeros and
    /// subnormals, NaN for infinities and NaNs.
    @inlinable
    public var ulp: BFloat16 {
        let field = exponentBitPattern
        if field == 0xFF { return .nan }
        if field > 7 { return BFloat16(bitPattern: UInt16(field - 7) << 7) }
        // 2^(field - 134) is subnormal (field 1 ... 7), or the least subnormal for zeros and subnormals.
        return BFloat16(bitPattern: field == 0 ? 1 : 1 << UInt16(field - 1))
    }

    /// The least value that compares greater than `self` (IEEE 754 nextUp): ±0 give
    /// ``leastNonzeroMagnitude``, ``greatestFiniteMagnitude`` gives +infinity, -infinity gives
    /// -``greatestFiniteMagnitude``, +infinity stays; a NaN is returned quieted (as `Float` does).
    @inlinable
    public var nextUp: BFloat16 {
        if isNaN { return BFloat16(bitPattern: _bits | BFloat16._quietBit) }
        if _bits == BFloat16._infinityBits { return self }
        if _bits & BFloat16._signMask == 0 { return BFloat16(bitPattern: _bits + 1) }
        if _bits == BFloat16._signMask { return .leastNonzeroMagnitude }
        return BFloat16(bitPattern: _bits - 1)  // a negative value steps toward zero
    }

    /// The greatest value that compares less than `self` (IEEE 754 nextDown): `-(-self).nextUp`.
    @inlinable
    public var nextDown: BFloat16 { -((-self).nextUp) }

    /// The greatest power of two not above `|self|`, with the sign of `self` (as `Float.binade`): ±0
    /// for zeros, NaN for infinities and NaNs.
    @inlinable
    public var binade: BFloat16 {
        if !isFinite { return .nan }
        if isSubnormal {
            let top = 15 - significandBitPattern.leadingZeroBitCount
            return BFloat16(bitPattern: (_bits & BFloat16._signMask) | (1 << UInt16(top)))
        }
        return BFloat16(bitPattern: _bits & 0xFF80)
    }

    /// The number of significant bits after the leading one (0 for powers of two), as
    /// `Float.significandWidth`: -1 for zeros, infinities and NaNs.
    @inlinable
    public var significandWidth: Int {
        let fraction = significandBitPattern
        if isNormal { return fraction == 0 ? 0 : 7 - fraction.trailingZeroBitCount }
        if isSubnormal {
            return 16 - (fraction.trailingZeroBitCount + fraction.leadingZeroBitCount + 1)
        }
        return -1
    }
}

// MARK: - IEEE comparisons (on the bits: independent of DAZ)

extension BFloat16 {
    /// The encoding mapped to an integer that orders non-NaN values by value, both zeros as 0.
    @inlinable
    internal var _orderKey: Int32 {
        let m = Int32(_magnitudeBits)
        return _bits & BFloat16._signMask != 0 ? -m : m
    }

    /// IEEE equality: false if either is NaN; -0 == +0.
    @inlinable
    public func isEqual(to other: BFloat16) -> Bool {
        if isNaN || other.isNaN { return false }
        return _bits == other._bits || (_bits | other._bits) & 0x7FFF == 0
    }
    /// IEEE less-than: false if either is NaN.
    @inlinable
    public func isLess(than other: BFloat16) -> Bool {
        if isNaN || other.isNaN { return false }
        return _orderKey < other._orderKey
    }
    /// IEEE less-than-or-equal: false if either is NaN.
    @inlinable
    public func isLessThanOrEqualTo(_ other: BFloat16) -> Bool {
        if isNaN || other.isNaN { return false }
        return _orderKey <= other._orderKey
    }

    /// IEEE equality (see ``isEqual(to:)``).
    @inlinable
    public static func == (lhs: BFloat16, rhs: BFloat16) -> Bool { lhs.isEqual(to: rhs) }
    /// IEEE `<` (see ``isLess(than:)``).
    @inlinable
    public static func < (lhs: BFloat16, rhs: BFloat16) -> Bool { lhs.isLess(than: rhs) }
    /// IEEE `<=`: false if either is NaN (not `!(rhs < lhs)`).
    @inlinable
    public static func <= (lhs: BFloat16, rhs: BFloat16) -> Bool { lhs.isLessThanOrEqualTo(rhs) }
    /// IEEE `>`: false if either is NaN.
    @inlinable
    public static func > (lhs: BFloat16, rhs: BFloat16) -> Bool { rhs.isLess(than: lhs) }
    /// IEEE `>=`: false if either is NaN.
    @inlinable
    public static func >= (lhs: BFloat16, rhs: BFloat16) -> Bool { rhs.isLessThanOrEqualTo(lhs) }

    /// Hashes the value consistently with `==`: -0 and +0 hash alike (NaNs hash by their bits).
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(isZero ? 0 : _bits) }
}

// MARK: - Strideable, literals

extension BFloat16 {
    /// `other - self`, rounded once.
    @inlinable
    public func distance(to other: BFloat16) -> BFloat16 { other - self }
    /// `self + amount`, rounded once.
    @inlinable
    public func advanced(by amount: BFloat16) -> BFloat16 { self + amount }

    /// The literal rounded once to nearest even from its `Int` value.
    @inlinable
    public init(integerLiteral value: Int) { self.init(value) }

    /// The literal rounded to nearest even from the `Double` the compiler makes of it. A decimal
    /// literal within half a `Double` ulp of a bfloat16 midpoint, but not on it, is thus rounded twice
    /// (`Float16` has the same limitation where its literals go through `Double`); write such a value
    /// as a string (``init(_:)-(String)``) or with its bit pattern.
    @inlinable
    public init(floatLiteral value: Double) { self.init(value) }
}

// MARK: - Conformances

extension BFloat16: BinaryFloatingPoint, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, Hashable {
    /// The type of ``exponent``: `Int`, as for `Float16`.
    public typealias Exponent = Int
    /// The type of ``exponentBitPattern``: `UInt`, as for `Float16`.
    public typealias RawExponent = UInt
    /// The type of ``significandBitPattern``: `UInt16`, as for `Float16`.
    public typealias RawSignificand = UInt16
    /// The type of ``magnitude``: `BFloat16` itself.
    public typealias Magnitude = BFloat16
    /// The type of strides and distances: `BFloat16` itself, as for `Float16`.
    public typealias Stride = BFloat16
    /// Integer literals are read as `Int` and rounded once.
    public typealias IntegerLiteralType = Int
    /// Float literals are read as `Double` (see ``init(floatLiteral:)``).
    public typealias FloatLiteralType = Double
}

#if compiler(>=6.0)
extension BFloat16: BitwiseCopyable {}
#endif
