// SPDX-License-Identifier: Apache-2.0

// MARK: - Exact digit strings of dyadic values

/// A non-negative number `0.d1 d2 d3 ... * base^point` as its digits (no leading or trailing zeros;
/// no digits for zero), in base 10 or 16. Used to print bfloat16 values and to compare text with a
/// bfloat16 midpoint exactly.
struct _BF16Digits {
    var digits: [UInt8]
    var point: Int

    init(digits: [UInt8], point: Int) {
        var d = digits[...], p = point
        while d.first == 0 { d = d.dropFirst(); p -= 1 }
        while d.last == 0 { d = d.dropLast() }
        self.digits = Array(d)
        self.point = d.isEmpty ? 0 : p
    }

    /// The exact decimal expansion of `m * 2^k` (`m < 2^32`), from base-10^9 limbs: `m * 2^k` for
    /// `k >= 0`, `m * 5^-k * 10^k` for `k < 0`.
    init(decimalOf m: UInt64, timesPowerOfTwo k: Int) {
        var limbs: [UInt64] = [m % 1_000_000_000, m / 1_000_000_000]  // little-endian, base 10^9
        func multiply(_ f: UInt64) {  // f < 2^31
            var carry: UInt64 = 0
            for i in limbs.indices {
                let t = limbs[i] * f + carry
                limbs[i] = t % 1_000_000_000
                carry = t / 1_000_000_000
            }
            while carry != 0 { limbs.append(carry % 1_000_000_000); carry /= 1_000_000_000 }
        }
        var n = abs(k)
        let (chunk, chunkFactor): (Int, UInt64) = k >= 0 ? (30, 1 << 30) : (13, 1_220_703_125)  // 2^30, 5^13
        while n >= chunk { multiply(chunkFactor); n -= chunk }
        var last: UInt64 = 1
        for _ in 0..<n { last *= k >= 0 ? 2 : 5 }
        multiply(last)
        var out: [UInt8] = []
        for limb in limbs.reversed() {
            var nine = [UInt8](repeating: 0, count: 9), v = limb
            for i in stride(from: 8, through: 0, by: -1) { nine[i] = UInt8(v % 10); v /= 10 }
            out += nine
        }
        self.init(digits: out, point: out.count + (k < 0 ? k : 0))
    }

    /// The exact hexadecimal expansion of `m * 2^k` (`m < 2^32`).
    init(hexOf m: UInt64, timesPowerOfTwo k: Int) {
        let r = ((k % 4) + 4) % 4, j = (k - r) / 4  // m * 2^k = (m << r) * 16^j
        var v = m << UInt64(r), out: [UInt8] = []
        while v != 0 { out.insert(UInt8(v & 15), at: 0); v >>= 4 }
        self.init(digits: out, point: out.count + j)
    }

    /// -1, 0 or +1 as `self` is less than, equal to or greater than `other` (same base).
    func compare(_ other: _BF16Digits) -> Int {
        if digits.isEmpty || other.digits.isEmpty {
            return digits.isEmpty ? (other.digits.isEmpty ? 0 : -1) : 1
        }
        if point != other.point { return point < other.point ? -1 : 1 }
        for i in 0..<Swift.max(digits.count, other.digits.count) {
            let a = i < digits.count ? digits[i] : 0, b = i < other.digits.count ? other.digits[i] : 0
            if a != b { return a < b ? -1 : 1 }
        }
        return 0
    }

    /// The first `count` digits (`count <= digits.count`), truncated.
    func truncated(to count: Int) -> _BF16Digits { _BF16Digits(digits: Array(digits[..<count]), point: point) }

    /// The first `count` digits plus one unit in the last of them (a carry can add a digit).
    func incremented(at count: Int) -> _BF16Digits {
        var d = Array(digits[..<count]), i = count - 1, p = point
        while i >= 0 && d[i] == 9 { d[i] = 0; i -= 1 }
        if i >= 0 { d[i] += 1 } else { d.insert(1, at: 0); p += 1 }
        return _BF16Digits(digits: d, point: p)
    }

    /// Parses the magnitude of a finite number in the forms `Double(String)` reads:
    /// `[+-]digits[.digits][(e|E)[+-]digits]` (base 10) or `[+-]0x hexdigits[.hexdigits][(p|P)[+-]digits]`
    /// (base 16, the exponent a power of two). `nil` for anything else.
    static func parse<S: StringProtocol>(_ text: S) -> (value: _BF16Digits, hex: Bool, binaryExponent: Int)? {
        var chars = Array(text.utf8)[...]
        if let c = chars.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { chars = chars.dropFirst() }
        var hex = false
        if chars.count > 2 && chars.first == UInt8(ascii: "0"),
           chars.dropFirst().first == UInt8(ascii: "x") || chars.dropFirst().first == UInt8(ascii: "X") {
            hex = true
            chars = chars.dropFirst(2)
        }
        func digitValue(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var mantissa: [UInt8] = [], fractionDigits = 0, sawPoint = false
        while let c = chars.first {
            if c == UInt8(ascii: ".") {
                if sawPoint { return nil }
                sawPoint = true
            } else if let v = digitValue(c) {
                mantissa.append(v)
                if sawPoint { fractionDigits += 1 }
            } else {
                break
            }
            chars = chars.dropFirst()
        }
        guard !mantissa.isEmpty else { return nil }
        var exponent = 0
        if let c = chars.first,
           hex ? (c == UInt8(ascii: "p") || c == UInt8(ascii: "P")) : (c == UInt8(ascii: "e") || c == UInt8(ascii: "E")) {
            chars = chars.dropFirst()
            var negative = false
            if let s = chars.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
                negative = s == UInt8(ascii: "-")
                chars = chars.dropFirst()
            }
            guard !chars.isEmpty, chars.count <= 9,
                  chars.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            for c in chars { exponent = exponent * 10 + Int(c - UInt8(ascii: "0")) }
            if negative { exponent = -exponent }
            chars = chars.dropFirst(chars.count)
        }
        guard chars.isEmpty else { return nil }
        if hex {
            // value = mantissa * 16^-fractionDigits * 2^exponent: digits in base 16 and a power of two.
            return (_BF16Digits(digits: mantissa, point: mantissa.count - fractionDigits), true, exponent)
        }
        return (_BF16Digits(digits: mantissa, point: mantissa.count - fractionDigits + exponent), false, 0)
    }
}

// MARK: - Text

extension BFloat16: LosslessStringConvertible, CustomStringConvertible, CustomDebugStringConvertible,
    TextOutputStreamable {
    /// Reads `text` as `Double(text)` does (decimal or hexadecimal notation, "nan", "inf",
    /// "infinity", "-0.0") and rounds the number it denotes ONCE to nearest even; `nil` if `text` is
    /// not a number.
    ///
    /// Reading a `Double` and rounding it again would round twice, and the result would be wrong
    /// exactly when the `Double` lands on a bfloat16 midpoint that the text is not on (a Double
    /// cannot land strictly across a midpoint, since midpoints are Doubles and the Double is the one
    /// nearest the text). So when the Double is a midpoint, the text is compared with it exactly
    /// (digit by digit), and the neighbour on the text's side is taken: `"1.00390625"` (exactly the
    /// midpoint 1 + 2^-8) gives 1.0, `"1.00390625000000000000001"` gives 1.0078125.
    public init?<S: StringProtocol>(_ text: S) {
        guard let d = Double(text) else { return nil }
        self.init(d)
        guard d.isFinite && d != 0 else { return }
        let below = BFloat16(d.nextDown), above = BFloat16(d.nextUp)
        guard below._bits != above._bits, let side = BFloat16._side(of: text, from: d) else { return }
        if side != 0 { self = side < 0 ? below : above }
    }

    /// For a `Double` midpoint `d` that `text` was read as: the sign of `text - d` (0 when equal),
    /// or `nil` if the text's form is not understood (then the rounding of `d` stands).
    static func _side<S: StringProtocol>(of text: S, from d: Double) -> Int? {
        guard let parsed = _BF16Digits.parse(text) else { return nil }
        // |d| = m * 2^k with a short odd m (a midpoint has at most 9 significant bits).
        var m = d.significandBitPattern | (1 << 52), k = Int(d.exponent) - 52
        let zeros = m.trailingZeroBitCount
        m >>= UInt64(zeros)
        k += zeros
        let c: Int
        if parsed.hex {
            // text = digits(base 16) * 2^e  versus  m * 2^k = (m * 2^(k - e)) in base 16.
            c = parsed.value.compare(_BF16Digits(hexOf: m, timesPowerOfTwo: k - parsed.binaryExponent))
        } else {
            c = parsed.value.compare(_BF16Digits(decimalOf: m, timesPowerOfTwo: k))
        }
        return d < 0 ? -c : c
    }

    /// The shortest decimal that reads back (through ``init(_:)``) as this value, in `Float`'s
    /// formats: "1.0", "0.1", "-0.0", "3.39e+38", "1e-05", "nan", "inf".
    ///
    /// The digits: the fewest significant digits whose number lies in the interval of reals that
    /// round to this value (its endpoints, the midpoints to the neighbours, are included when the
    /// value's significand is even, as ties go to even); of two such candidates the nearer one (an
    /// exact tie takes the even last digit). At most 4 digits are needed for 8 bits of precision.
    /// The layout follows `Float.description`: decimal notation from 10^-4 up to 2^(7+1) = 256 (the
    /// integers bfloat16 holds exactly, as `Float` switches at 2^24), exponential otherwise. NaNs print
    /// as "nan" (see ``debugDescription`` for sign and payload).
    public var description: String {
        if isNaN { return "nan" }
        return _finiteOrInfiniteDescription
    }

    /// As ``description``, but NaNs show their sign, whether they signal and their low payload bits,
    /// as `Float.debugDescription` does: "nan", "-nan", "snan", "nan(0x1)".
    public var debugDescription: String {
        guard isNaN else { return _finiteOrInfiniteDescription }
        let payload = _bits & 0x1F
        var s = (sign == .minus ? "-" : "") + (isSignalingNaN ? "snan" : "nan")
        if payload != 0 { s += "(0x" + String(payload, radix: 16) + ")" }
        return s
    }

    /// Writes ``description`` to `target`.
    public func write<Target: TextOutputStream>(to target: inout Target) { target.write(description) }

    var _finiteOrInfiniteDescription: String {
        let minus = sign == .minus ? "-" : ""
        if isInfinite { return minus + "inf" }
        if isZero { return minus + "0.0" }
        let d = _shortestDigits()
        if d.point < -3 || _magnitudeBits > 0x4380 {  // below 10^-4 or above 256
            var s = minus + String(d.digits[0])
            if d.digits.count > 1 { s += "." + d.digits.dropFirst().map { String($0) }.joined() }
            let e = d.point - 1
            return s + (e < 0 ? "e-" : "e+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        }
        let text = d.digits.map { String($0) }.joined()
        if d.point <= 0 { return minus + "0." + String(repeating: "0", count: -d.point) + text }
        if d.point < d.digits.count {
            return minus + text.prefix(d.point) + "." + text.dropFirst(d.point)
        }
        return minus + text + String(repeating: "0", count: d.point - d.digits.count) + ".0"
    }

    /// The shortest, then nearest, decimal digits that round to `|self|` (finite, non-zero).
    func _shortestDigits() -> _BF16Digits {
        let field = Int(exponentBitPattern), fraction = UInt64(significandBitPattern)
        // |self| = m * 2^k; the neighbours' midpoints are (2m +- 1) * 2^(k-1), except below a power of
        // two (not the least normal one), where the gap below is half as wide.
        let m = field == 0 ? fraction : fraction | 0x80, k = field == 0 ? -133 : field - 134
        let exact = _BF16Digits(decimalOf: m, timesPowerOfTwo: k)
        let upper = _BF16Digits(decimalOf: 2 * m + 1, timesPowerOfTwo: k - 1)
        let lower = fraction == 0 && field > 1
            ? _BF16Digits(decimalOf: 4 * m - 1, timesPowerOfTwo: k - 2)
            : _BF16Digits(decimalOf: 2 * m - 1, timesPowerOfTwo: k - 1)
        let inclusive = m & 1 == 0
        for count in 1..<exact.digits.count {
            let low = exact.truncated(to: count), high = exact.incremented(at: count)
            let cl = low.compare(lower), ch = high.compare(upper)
            let lowOK = cl > 0 || (inclusive && cl == 0), highOK = ch < 0 || (inclusive && ch == 0)
            if lowOK && highOK {
                // The nearer: compare the dropped digits with one half of the last kept digit.
                let rest = exact.digits[count...]
                if rest.first! != 5 || rest.count > 1 { return rest.first! >= 5 ? high : low }
                return exact.digits[count - 1] & 1 == 0 ? low : high
            }
            if lowOK { return low }
            if highOK { return high }
        }
        return exact
    }
}

// MARK: - Codable

extension BFloat16: Codable {
    /// Encodes the value as a single `Float` (exact), as `Float16` does; JSON shows `Float`'s
    /// shortest digits of the value (e.g. `0.10009766` for `BFloat16(0.1)`). NaN and infinity follow
    /// the encoder's non-conforming-float strategy (`JSONEncoder` throws by default, as for `Float`).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Float(self))
    }

    /// Decodes a `Float` and rounds it to nearest even exactly like ``init(_:)-(Float)`` (a value
    /// that was encoded from a `BFloat16` comes back with its bits, NaN payloads aside). A number in
    /// the data that is not a `Float` is rounded by the decoder to `Float` first, and then once more.
    /// - Throws: `DecodingError.dataCorrupted` if the decoded number is finite but rounds to
    ///   infinity (at or beyond (2 - 2^-8) * 2^127 ≈ 3.3962e38), as `Float16` does for its range; any error of the decoder.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Float.self)
        self.init(value)
        if value.isFinite && !isFinite {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(value) overflows BFloat16 (greatest finite \(BFloat16.greatestFiniteMagnitude))")
        }
    }
}
