// SPDX-License-Identifier: Apache-2.0
import FP8

/// An independent, Double-based model of the FP8 formats, written from the OCP specification's
/// definitions (value formula, round to nearest even on the set of representable values, overflow
/// decided after rounding). It never calls the library's converters, so tests can hold the library
/// against it.
public struct FormatOracle: Sendable {
    /// The format modelled.
    public let format: FP8Format
    let mbits: Int, bias: Int
    /// Non-negative finite values in increasing order, paired with their codes, followed by the
    /// "virtual" next value above the greatest finite one (what an unbounded exponent would give).
    let grid: [(value: Double, code: UInt8)]

    /// Creates the model of `format`.
    public init(_ format: FP8Format) {
        self.format = format
        mbits = format == .e4m3 ? 3 : 2
        bias = format == .e4m3 ? 7 : 15
        var g: [(Double, UInt8)] = []
        for code in 0..<0x80 {
            let v = FormatOracle.value(code: UInt8(code), mbits: mbits, bias: bias, format: format)
            if v.isFinite { g.append((v, UInt8(code))) }
        }
        let maxCode = g.last!.1
        let ulp = pow2(Int(maxCode) >> mbits - bias - mbits)
        g.append((g.last!.0 + ulp, maxCode + 1))
        grid = g
    }

    static func value(code: UInt8, mbits: Int, bias: Int, format: FP8Format) -> Double {
        let sign: Double = code & 0x80 != 0 ? -1 : 1
        let e = Int(code & 0x7F) >> mbits, m = Int(code) & ((1 << mbits) - 1)
        let eMax = format == .e4m3 ? 15 : 31
        if format == .e4m3 && e == eMax && m == (1 << mbits) - 1 { return .nan }
        if format == .e5m2 && e == eMax { return m == 0 ? sign * .infinity : .nan }
        if e == 0 { return sign * Double(m) * pow2(1 - bias - mbits) }
        return sign * (1 + Double(m) / Double(1 << mbits)) * pow2(e - bias)
    }

    /// The exact value of `code` (NaN for NaN codes, ±infinity for E5M2's infinities).
    public func decode(_ code: UInt8) -> Double {
        FormatOracle.value(code: code, mbits: mbits, bias: bias, format: format)
    }

    /// Greatest finite value.
    public var maxFinite: Double { grid[grid.count - 2].value }

    /// The code of `x` rounded to nearest, ties to even code, overflow decided after rounding.
    public func encode(_ x: Double, saturating: Bool) -> UInt8 {
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        let maxCode = grid[grid.count - 2].code
        let overflow: UInt8 = saturating ? maxCode : (format == .e4m3 ? 0x7F : 0x7C)
        if x.isNaN { return sign | (format == .e4m3 ? 0x7F : 0x7E) }
        let a = x.magnitude
        if a.isInfinite { return sign | overflow }
        if a >= grid.last!.value { return sign | overflow }
        // Binary search for the last grid value <= a.
        var lo = 0, hi = grid.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if grid[mid].value <= a { lo = mid } else { hi = mid }
        }
        let below = grid[lo], above = grid[hi]
        let dBelow = a - below.value, dAbove = above.value - a  // exact: all values are dyadic
        let pick: UInt8
        if dBelow < dAbove { pick = below.code }
        else if dAbove < dBelow { pick = above.code }
        else { pick = below.code & 1 == 0 ? below.code : above.code }
        return sign | (pick > maxCode ? overflow : pick)
    }

    /// All finite non-negative values in increasing order.
    public var finiteValues: [Double] { grid.dropLast().map { $0.value } }
}

/// 2^e as a Double, exactly.
public func pow2(_ e: Int) -> Double {
    Double(sign: .plus, exponent: e, significand: 1)
}
