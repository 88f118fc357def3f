// SPDX-License-Identifier: Apache-2.0

// Scalar conversions in inlinable Swift bit arithmetic (no call into C), exactly the rules of fp8.h:
// round to nearest, ties to even, once, from the source's own bits (never through another format),
// independent of the FPU's rounding and flush-to-zero modes; overflow is decided after rounding.

extension FP8Scalar {
    // MARK: Encoding steps

    /// Rounds the integer `sig` right by `s` bits (1 <= s < width), to nearest, ties to even.
    @inlinable @inline(__always)
    static func _shiftRNE<U: FixedWidthInteger & UnsignedInteger>(_ sig: U, _ s: U) -> U {
        (sig &+ ((1 &<< (s &- 1)) &- 1) &+ ((sig &>> s) & 1)) &>> s
    }

    /// All ones if `x < 0` as a signed number, else zero (`x` is a difference of values below 2^31
    /// or 2^63, so its sign is the comparison's result).
    @inlinable @inline(__always)
    static func _negativeMask<U: FixedWidthInteger & UnsignedInteger>(_ x: U) -> U { 0 &- (x &>> (U.bitWidth - 1)) }

    /// Step 3 on a code that is at most `maxCode + 1` (the clamp guarantees it). In both formats the
    /// non-saturating overflow code is `maxCode + 1` (E4M3 0x7F = NaN, E5M2 0x7C = infinity), so only
    /// saturation changes anything: `maxCode + 1` steps back to `maxCode`, without a branch.
    @inlinable @inline(__always)
    static func _resolveOverflow<U: FixedWidthInteger & UnsignedInteger>(_ code: U, saturating: Bool) -> U {
        // (code + 0x80 - (maxCode + 1)) >> 7 is 1 exactly when code == maxCode + 1 (code < 0x80).
        saturating ? code &- ((code &+ U(0x7F &- _maxCode)) &>> 7) : code
    }

    /// Encodes the float32 with bit pattern `u`. Both ranges are computed and one is selected with
    /// masks, so there is no data-dependent branch (random inputs would mispredict).
    ///
    /// 1. FP8 normal range, |x| >= 2^(1 - bias): |x| is clamped to the first float32 whose code is
    ///    just above the greatest finite one (infinity included), the exponent field is rebased by
    ///    127 - bias, and the low 23 - mbits bits are rounded away; a carry out of the mantissa bumps
    ///    the exponent.
    /// 2. Below: the significand (implicit bit made explicit) counted in quanta of the least
    ///    subnormal 2^(1 - bias - mbits), rounded; 2^mbits quanta is the least normal code.
    /// 3. Overflow is decided after rounding: a code above the greatest finite one becomes
    ///    ±greatest finite (saturating) or the overflow code (NaN in E4M3, infinity in E5M2).
    /// 4. NaN keeps its sign and becomes the canonical NaN.
    @inlinable @inline(__always)
    static func _encode(floatBits u: UInt32, saturating: Bool) -> UInt8 {
        let m = _mantissaBits, bias = _bias
        let a = u & 0x7FFF_FFFF
        // Fast path, the common case: FP8's normal range below the clamp (step 1 without the clamp),
        // tested with one unsigned compare (a - minNormal < pastMax - minNormal). A value that rounds
        // up to the overflow code is resolved by step 3 as below.
        let minNormalBits = (128 &- bias) << 23
        let pastMaxBits = ((UInt32(_maxCode) &+ 1) << (23 &- m)) &+ ((127 &- bias) << 23)
        if a &- minNormalBits < pastMaxBits &- minNormalBits {
            let code = _resolveOverflow(_shiftRNE(a &- ((127 &- bias) << 23), 23 &- m), saturating: saturating)
            return UInt8(truncatingIfNeeded: code | ((u >> 24) & 0x80))
        }
        return _encodeOutsideNormal(floatBits: u, saturating: saturating)
    }

    /// `_encode(floatBits:)` for every input (the branch-free general case), used outside the normal
    /// range: subnormal codes, zero, overflow, infinity and NaN.
    @inlinable @inline(never)
    static func _encodeOutsideNormal(floatBits u: UInt32, saturating: Bool) -> UInt8 {
        let m = _mantissaBits, bias = _bias
        let a = u & 0x7FFF_FFFF
        let rebase = (127 &- bias) << 23
        let pastMax = ((UInt32(_maxCode) &+ 1) << (23 &- m)) &+ rebase
        let dMax = a &- pastMax
        let clamped = pastMax &+ (dMax & _negativeMask(dMax))                      // min(a, pastMax)
        let normal = _shiftRNE(clamped &- rebase, 23 &- m)
        let e = a >> 23
        let nonzeroE = (0 &- e) >> 31                                             // e != 0 (e < 2^8)
        let sig = (a & 0x7F_FFFF) | (nonzeroE << 23)
        // value = sig * 2^(max(e, 1) - 150) = sig / 2^s quanta; s >= 21 here, and s >= 31 gives 0.
        let sRaw = 151 &- bias &- m &- (e | (nonzeroE ^ 1))
        let dS = sRaw &- 31
        let s = 31 &+ (dS & _negativeMask(dS))                                     // min(s, 31), signed
        let sub = _shiftRNE(sig, s)
        let isNormal = ~_negativeMask(a &- ((128 &- bias) << 23))
        var code = (normal & isNormal) | (sub & ~isNormal)                     // <= maxCode + 1
        code = _resolveOverflow(code, saturating: saturating)
        let isNaN = _negativeMask(0x7F80_0000 &- a)
        code = (code & ~isNaN) | (UInt32(_nanCode) & isNaN)
        return UInt8(truncatingIfNeeded: code | ((u >> 24) & 0x80))
    }

    /// Encodes the double with bit pattern `u`, rounding once from the double: the steps of
    /// `_encode(floatBits:)` on the 64-bit pattern (52 mantissa bits, bias 1023), so there is no
    /// narrowing to float32 and no floating-point operation at all.
    @inlinable @inline(__always)
    static func _encode(doubleBits u: UInt64, saturating: Bool) -> UInt8 {
        let m = UInt64(_mantissaBits), bias = UInt64(_bias)
        let a = u & 0x7FFF_FFFF_FFFF_FFFF
        // Fast path, as in `_encode(floatBits:)`: FP8's normal range below the clamp.
        let minNormalBits = (1024 &- bias) << 52
        let pastMaxBits = ((UInt64(_maxCode) &+ 1) << (52 &- m)) &+ ((1023 &- bias) << 52)
        if a &- minNormalBits < pastMaxBits &- minNormalBits {
            let code = _resolveOverflow(_shiftRNE(a &- ((1023 &- bias) << 52), 52 &- m), saturating: saturating)
            return UInt8(truncatingIfNeeded: code | ((u >> 56) & 0x80))
        }
        return _encodeOutsideNormal(doubleBits: u, saturating: saturating)
    }

    /// `_encode(doubleBits:)` for every input (branch-free), used outside the normal range.
    @inlinable @inline(never)
    static func _encodeOutsideNormal(doubleBits u: UInt64, saturating: Bool) -> UInt8 {
        let m = UInt64(_mantissaBits), bias = UInt64(_bias)
        let a = u & 0x7FFF_FFFF_FFFF_FFFF
        let rebase = (1023 &- bias) << 52
        let pastMax = ((UInt64(_maxCode) &+ 1) << (52 &- m)) &+ rebase
        let dMax = a &- pastMax
        let clamped = pastMax &+ (dMax & _negativeMask(dMax))                      // min(a, pastMax)
        let normal = _shiftRNE(clamped &- rebase, 52 &- m)
        let e = a >> 52
        let nonzeroE = (0 &- e) >> 63                                             // e != 0 (e < 2^11)
        let sig = (a & 0xF_FFFF_FFFF_FFFF) | (nonzeroE << 52)
        // value = sig * 2^(max(e, 1) - 1075) = sig / 2^s quanta; s >= 63 gives 0 (sig < 2^53).
        let sRaw = 1076 &- bias &- m &- (e | (nonzeroE ^ 1))
        let dS = sRaw &- 63
        let s = 63 &+ (dS & _negativeMask(dS))                                     // min(s, 63), signed
        let sub = _shiftRNE(sig, s)
        let isNormal = ~_negativeMask(a &- ((1024 &- bias) << 52))
        var code = (normal & isNormal) | (sub & ~isNormal)                     // <= maxCode + 1
        code = _resolveOverflow(code, saturating: saturating)
        let isNaN = _negativeMask(0x7FF0_0000_0000_0000 &- a)
        code = (code & ~isNaN) | (UInt64(_nanCode) & isNaN)
        return UInt8(truncatingIfNeeded: code | ((u >> 56) & 0x80))
    }

    /// Encodes the double `x`, rounding once from the double (see `_encode(doubleBits:saturating:)`).
    @inlinable @inline(__always)
    static func _encode(double x: Double, saturating: Bool) -> UInt8 {
        _encode(doubleBits: x.bitPattern, saturating: saturating)
    }

    /// The float32 bit pattern of the code's exact value. NaNs keep their sign (E4M3 NaN decodes to
    /// the quiet NaN 0x7FC00000; E5M2 NaNs keep their 2-bit payload under the quiet bit), as the C
    /// decoders do.
    @inlinable @inline(__always)
    static func _decodeBits(_ c: UInt8) -> UInt32 {
        let sign = UInt32(c & 0x80) << 24
        let mag = UInt32(c & 0x7F)
        let m = _mantissaBits
        if format == .e4m3 {
            if mag == 0x7F { return sign | 0x7FC0_0000 }
        } else if mag >= 0x7C {
            let payload = mag & 3
            return sign | 0x7F80_0000 | (payload == 0 ? 0 : 0x40_0000 | payload << 21)
        }
        if mag >= UInt32(_minNormalCode) {  // move the fields into place, rebias by 127 - bias
            return sign | ((mag << (23 - m)) &+ ((127 &- _bias) << 23))
        }
        if mag == 0 { return sign }
        // Subnormal mag * 2^(1 - bias - mbits): normalise around its top bit p.
        let p = UInt32(31 - mag.leadingZeroBitCount)
        return sign | ((p &+ 128 &- _bias &- m) << 23) | ((mag << (23 - p)) & 0x7F_FFFF)
    }

    // MARK: From Float and Double

    /// Rounds `x` to the nearest value, ties to even, non-saturating like the standard library's
    /// conversions: magnitudes that round above the greatest finite value become NaN (E4M3) or
    /// infinity (E5M2); NaN keeps its sign.
    @inlinable @inline(__always)
    public init(_ x: Float) { self.init(bitPattern: Self._encode(floatBits: x.bitPattern, saturating: false)) }

    /// Rounds `x` to nearest even, clamping magnitudes beyond the greatest finite value (and
    /// infinities) to ±``greatestFiniteMagnitude``; NaN stays NaN.
    @inlinable @inline(__always)
    public init(saturating x: Float) { self.init(bitPattern: Self._encode(floatBits: x.bitPattern, saturating: true)) }

    /// Rounds the double `x` once, directly (never through `Float`): `-431.99999999999994` becomes
    /// -416 in E4M3. Non-saturating.
    @inlinable @inline(__always)
    public init(_ x: Double) { self.init(bitPattern: Self._encode(double: x, saturating: false)) }

    /// Rounds the double `x` once, saturating as ``init(saturating:)-(Float)``.
    @inlinable @inline(__always)
    public init(saturating x: Double) { self.init(bitPattern: Self._encode(double: x, saturating: true)) }

    /// `x` if it is exactly representable, otherwise `nil`. NaN gives `nil` (as `Float(exactly:)`
    /// does); ±0 keep their sign; infinity is exact in E5M2 and `nil` in E4M3.
    @inlinable
    public init?(exactly x: Float) {
        let r = Self(x)
        guard !x.isNaN, r.floatValue == x else { return nil }
        self = r
    }

    /// `x` if it is exactly representable, otherwise `nil` (see ``init(exactly:)-(Float)``).
    @inlinable
    public init?(exactly x: Double) {
        let r = Self(x)
        guard !x.isNaN, Double(r.floatValue) == x else { return nil }
        self = r
    }

    /// Creates a value from a float literal, rounding the literal's `Double` once (non-saturating).
    @inlinable
    public init(floatLiteral value: Double) { self.init(value) }

    // MARK: From integers

    /// Rounds `value` to nearest even, non-saturating: magnitudes above 464 (E4M3) become NaN, from
    /// 61440 (E5M2) infinity.
    @inlinable
    public init(integerLiteral value: Int) { self.init(value) }

    /// Rounds `value` to nearest even, non-saturating (see ``init(integerLiteral:)``).
    @inlinable
    public init(_ value: Int) { self.init(Double(value)) }

    /// Rounds `value` to nearest even, non-saturating. Exact single rounding: an integer is either
    /// exact in `Double` (|value| <= 2^53) or far beyond the format's overflow threshold.
    @inlinable
    public init<I: BinaryInteger>(_ value: I) { self.init(Double(value)) }

    /// `value` if it is exactly representable (|value| <= 16 in E4M3 and 8 in E5M2 for every
    /// integer; larger ones only when their low bits are zero), otherwise `nil`.
    @inlinable
    public init?<I: BinaryInteger>(exactly value: I) {
        let r = Self(value)
        guard r.isFinite, I(exactly: r.floatValue) == value else { return nil }
        self = r
    }

    // MARK: To Float

    /// The exact value as a `Float` (every FP8 value is a float32).
    @inlinable @inline(__always)
    public var floatValue: Float { Float(bitPattern: Self._decodeBits(bitPattern)) }
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

// MARK: - Float16

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
extension FP8Scalar {
    /// Rounds `x` to nearest even once (a `Float16` is exact in `Float`), non-saturating.
    @inlinable
    public init(_ x: Float16) { self.init(Float(x)) }

    /// Rounds `x` to nearest even once, saturating as ``init(saturating:)-(Float)``.
    @inlinable
    public init(saturating x: Float16) { self.init(saturating: Float(x)) }

    /// `x` if it is exactly representable, otherwise `nil` (see ``init(exactly:)-(Float)``).
    @inlinable
    public init?(exactly x: Float16) { self.init(exactly: Float(x)) }

    /// The exact value as a `Float16`: every E4M3 and E5M2 value is a binary16 (E5M2 is its top
    /// byte, NaN payloads included; E4M3's 448 and 2^-9 are well inside binary16's range).
    @inlinable
    public var float16Value: Float16 {
        if Self.format == .e5m2 { return Float16(bitPattern: UInt16(bitPattern) << 8) }
        return Float16(floatValue)
    }
}

extension Float16 {
    /// The exact value of an E4M3 number (NaN stays NaN).
    @inlinable
    public init(_ x: Float8E4M3) { self = x.float16Value }
    /// The exact value of an E5M2 number (the E5M2 code is the top byte of the binary16).
    @inlinable
    public init(_ x: Float8E5M2) { self = x.float16Value }
}
#endif
