// SPDX-License-Identifier: Apache-2.0

// MARK: - The 256 codes as a collection

/// All 256 values of an FP8 type in code order (0x00 ... 0xFF): positive values rising from +0,
/// the positive infinity/NaN codes, then -0 and the negative values, NaNs and both zeros included.
/// `Float8E4M3.allCases` is one; it stores nothing.
@frozen
public struct FP8Codes<Element: FP8Scalar>: RandomAccessCollection, Sendable {
    @inlinable public init() {}
    /// 0.
    @inlinable public var startIndex: Int { 0 }
    /// 256.
    @inlinable public var endIndex: Int { 256 }
    /// The value whose code is `position`.
    /// - Precondition: `0 <= position < 256` (an index out of range traps, as for any collection).
    @inlinable public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < 256, "FP8Codes index out of range")
        return Element(bitPattern: UInt8(truncatingIfNeeded: position))
    }
}

extension FP8Scalar {
    /// Every code of the format, in code order (see ``FP8Codes``).
    @inlinable
    public static var allCases: FP8Codes<Self> { FP8Codes() }
}

// MARK: - LosslessStringConvertible

extension FP8Scalar {
    /// Parses `text` as `Double(text)` does (decimal or hexadecimal, "nan", "inf", "-0.0") and rounds
    /// that double once to nearest even, non-saturating, like ``init(_:)-(Double)``; `nil` if it is not a
    /// number. ``description`` round-trips: `Self(x.description)` has the bits of `x` for every
    /// non-NaN code (NaNs come back as the canonical NaN of their sign).
    ///
    /// A decimal that lies within half a `Double` ulp of a tie between two FP8 neighbours is read as
    /// the exact decimal, not as the tie its `Double` lands on (`"464.000000000000000001"` is NaN in
    /// E4M3, `"464"` is 448), so text, too, is rounded once.
    public init?(_ text: String) {
        guard let d = Double(text) else { return nil }
        self.init(d)
        if d.isFinite, let side = Self._tieSide(d, text: text) {
            // d is exactly halfway between two neighbours but the text is not: take the text's side.
            let lower = Self(d.nextDown), upper = Self(d.nextUp)
            self = side < 0 ? lower : upper
        }
    }

    /// When `d` is exactly halfway between two FP8 values (or at the overflow threshold) and the
    /// decimal `text` differs from it, the sign of `text - d` (-1 or +1); otherwise `nil`.
    static func _tieSide(_ d: Double, text: String) -> Int? {
        guard d != 0, Self(d.nextDown).bitPattern != Self(d.nextUp).bitPattern else { return nil }
        // A tie is odd * 2^k with a small odd; its exact decimal is digits * 10^-fractionDigits.
        guard let exact = _DecimalText(exactDyadic: d.magnitude),
              var given = _DecimalText(parsing: text) else { return nil }
        given.negative = false
        let c = given.compare(exact)
        return c == 0 ? nil : (d < 0 ? -c : c)
    }
}

/// A non-negative decimal `0.d1 d2 d3 ... * 10^pointPosition` as its digit string (no leading or
/// trailing zeros), for exact comparison of a decimal text with an FP8 tie.
struct _DecimalText {
    var digits: [UInt8] = []
    var pointPosition = 0
    var negative = false

    /// The exact decimal of a positive dyadic `x` with few significant bits (an FP8 tie), or nil if it
    /// needs more than 19 decimal digits.
    init?(exactDyadic x: Double) {
        // x = n * 2^-f with n an integer; x = n * 5^f * 10^-f.
        var n = x, f = 0
        while n != n.rounded(.towardZero) { n *= 2; f += 1; if f > 40 { return nil } }
        guard n < 0x1p53 else { return nil }
        var v = UInt64(n)
        for _ in 0..<f {
            let (p, o) = v.multipliedReportingOverflow(by: 5)
            if o { return nil }
            v = p
        }
        let s = String(v)
        self.init(integerDigits: Array(s.utf8).map { $0 - 48 }, exponent10: -f)
    }

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`; nil for anything else (hex, nan, inf).
    init?(parsing text: String) {
        var chars = Array(text.utf8)[...]
        var neg = false
        if let c = chars.first, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
            neg = c == UInt8(ascii: "-")
            chars = chars.dropFirst()
        }
        var mantissa: [UInt8] = [], exp10 = 0, sawDigit = false, sawPoint = false
        while let c = chars.first, (c >= 48 && c <= 57) || c == UInt8(ascii: ".") {
            chars = chars.dropFirst()
            if c == UInt8(ascii: ".") {
                if sawPoint { return nil }
                sawPoint = true
                continue
            }
            sawDigit = true
            mantissa.append(c - 48)
            if sawPoint { exp10 -= 1 }
        }
        guard sawDigit else { return nil }
        if let c = chars.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            chars = chars.dropFirst()
            var sign = 1
            if let s = chars.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") {
                sign = s == UInt8(ascii: "-") ? -1 : 1
                chars = chars.dropFirst()
            }
            guard !chars.isEmpty, chars.allSatisfy({ $0 >= 48 && $0 <= 57 }), chars.count < 10 else { return nil }
            exp10 += sign * Int(String(decoding: chars, as: UTF8.self))!
            chars = chars.dropFirst(chars.count)
        }
        guard chars.isEmpty else { return nil }
        self.init(integerDigits: mantissa, exponent10: exp10)
        negative = neg
    }

    /// The value `digits * 10^exponent10`, normalised.
    init(integerDigits: [UInt8], exponent10: Int) {
        var d = integerDigits[...]
        while d.first == 0 { d = d.dropFirst() }
        pointPosition = d.count + exponent10
        while d.last == 0 { d = d.dropLast() }
        digits = Array(d)
    }

    /// -1, 0 or +1 as `self` is less than, equal to or greater than `other` (both non-negative).
    func compare(_ other: _DecimalText) -> Int {
        if digits.isEmpty || other.digits.isEmpty {
            return digits.isEmpty ? (other.digits.isEmpty ? 0 : -1) : 1
        }
        if pointPosition != other.pointPosition { return pointPosition < other.pointPosition ? -1 : 1 }
        for i in 0..<Swift.max(digits.count, other.digits.count) {
            let a = i < digits.count ? digits[i] : 0, b = i < other.digits.count ? other.digits[i] : 0
            if a != b { return a < b ? -1 : 1 }
        }
        return 0
    }
}

// MARK: - Codable

extension FP8Scalar {
    /// Encodes the exact value as a single `Double` (JSON: a number such as `448` or `0.001953125`).
    /// NaN and infinity follow the encoder's non-conforming-float strategy (`JSONEncoder` throws by
    /// default, as for `Float`).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(Double(floatValue))
    }

    /// Decodes a `Double` and rounds it once, non-saturating (so every encoded value comes back with
    /// its bits, NaN payloads aside).
    /// - Throws: `DecodingError.dataCorrupted` when a finite number is beyond the format's range
    ///   (it would round to NaN in E4M3 or infinity in E5M2), as `Float16` does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let d = try c.decode(Double.self)
        self.init(d)
        if d.isFinite && !isFinite {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "\(d) is beyond the range of \(Self.self) (greatest finite \(Self.greatestFiniteMagnitude))")
        }
    }
}
