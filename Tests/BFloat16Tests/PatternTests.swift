// SPDX-License-Identifier: Apache-2.0
import BFloat16Module
import Foundation
import XCTest

/// Every one of the 65536 encodings, checked against values computed in Double from the format's
/// definition (``oracleValue(_:)``).
final class PatternTests: XCTestCase {
    /// All distinct non-NaN values in increasing order (-0 and +0 merged), for nextUp / nextDown.
    static let sortedValues: [Double] = {
        let all = (0...UInt16.max).map(oracleValue).filter { !$0.isNaN }
        return Array(Set(all)).sorted()
    }()

    func testClassificationAndFields() {
        for b in 0...UInt16.max {
            let x = BFloat16(bitPattern: b), v = oracleValue(b)
            let negative = b & 0x8000 != 0
            XCTAssertEqual(x.bitPattern, b)
            XCTAssertEqual(x.isNaN, v.isNaN)
            XCTAssertEqual(x.isSignalingNaN, v.isNaN && b & 0x40 == 0)
            XCTAssertEqual(x.isInfinite, v.isInfinite)
            XCTAssertEqual(x.isFinite, v.isFinite)
            XCTAssertEqual(x.isZero, v == 0)
            XCTAssertEqual(x.isSubnormal, v != 0 && v.magnitude < 0x1p-126)
            XCTAssertEqual(x.isNormal, v.isFinite && v.magnitude >= 0x1p-126)
            XCTAssertEqual(x.sign, negative ? .minus : .plus)
            XCTAssertEqual(x.exponentBitPattern, UInt(b >> 7 & 0xFF))
            XCTAssertEqual(x.significandBitPattern, b & 0x7F)
            XCTAssertEqual(BFloat16(sign: x.sign, exponentBitPattern: x.exponentBitPattern,
                                    significandBitPattern: x.significandBitPattern).bitPattern, b)
            if v.isNaN {
                XCTAssertTrue(x.floatingPointClass == .quietNaN || x.floatingPointClass == .signalingNaN)
                continue
            }
            XCTAssertEqual(x.floatingPointClass, v.floatingPointClass == .negativeNormal && v.magnitude < 0x1p-126
                           ? .negativeSubnormal
                           : (v.floatingPointClass == .positiveNormal && v.magnitude < 0x1p-126 && v != 0
                              ? .positiveSubnormal : v.floatingPointClass))
            // Double's own definitions of these fields apply to the same value.
            XCTAssertEqual(x.exponent, v.exponent, "0x\(String(b, radix: 16))")
            XCTAssertEqual(Double(x.significand), v.significand, "0x\(String(b, radix: 16))")
            if v.isFinite {
                XCTAssertEqual(Double(x.binade), v.binade)
                XCTAssertEqual(Double(x.binade).sign, v.binade.sign)
            } else {
                XCTAssertTrue(x.binade.isNaN)
            }
            XCTAssertEqual(x.significandWidth, v.significandWidth, "0x\(String(b, radix: 16))")
            XCTAssertEqual(Double(x.magnitude), v.magnitude)
            XCTAssertEqual(Double(-x), -v)
            XCTAssertEqual((-x).sign, negative ? .plus : .minus)
            // ulp: 2^(max(exponent, -126) - 7), NaN for infinity.
            if v.isFinite {
                let e = v == 0 ? -126 : max(Int(v.exponent), -126)
                XCTAssertEqual(Double(x.ulp), pow2(e - 7), "0x\(String(b, radix: 16))")
                // Reassembling from sign, exponent and significand gives the value back.
                if v != 0 {
                    XCTAssertEqual(BFloat16(sign: x.sign, exponent: x.exponent, significand: x.significand).bitPattern, b)
                }
            } else {
                XCTAssertTrue(x.ulp.isNaN)
            }
        }
    }

    func testNextUpNextDown() {
        let sorted = Self.sortedValues
        XCTAssertEqual(sorted.count, 65536 - 2 * 127 - 1)  // minus NaNs, minus one zero
        for b in 0...UInt16.max {
            let x = BFloat16(bitPattern: b), v = oracleValue(b)
            if v.isNaN {
                XCTAssertTrue(x.nextUp.isNaN && !x.nextUp.isSignalingNaN && x.nextDown.isNaN)
                continue
            }
            // Binary search: the first value greater than v, and the one before the first not less.
            func firstIndex(where greater: (Double) -> Bool) -> Int {
                var lo = 0, hi = sorted.count
                while lo < hi { let mid = (lo + hi) / 2; if greater(sorted[mid]) { hi = mid } else { lo = mid + 1 } }
                return lo
            }
            let above = firstIndex { $0 > v }, notBelow = firstIndex { $0 >= v }
            let up = above < sorted.count ? sorted[above] : .infinity
            let down = notBelow > 0 ? sorted[notBelow - 1] : -.infinity
            XCTAssertEqual(Double(x.nextUp), up, "0x\(String(b, radix: 16))")
            XCTAssertEqual(Double(x.nextDown), down, "0x\(String(b, radix: 16))")
        }
        XCTAssertEqual((-BFloat16.leastNonzeroMagnitude).nextUp.bitPattern, 0x8000)  // -0, as Float
        XCTAssertEqual(BFloat16.leastNonzeroMagnitude.nextDown.bitPattern, 0x0000)
        XCTAssertEqual(BFloat16.infinity.nextUp.bitPattern, 0x7F80)
    }

    /// `description` reads back through `init(_:)` to the same bits, denotes (read as a Double and
    /// rounded by the oracle) the same value, and has the fewest significant digits that any decimal
    /// rounding to the value has (found by trying, with C's correctly rounded `%.*e`).
    func testDescriptionRoundTripsAndIsShortest() {
        for b in 0...UInt16.max {
            let x = BFloat16(bitPattern: b), v = oracleValue(b)
            let text = x.description
            if v.isNaN {
                XCTAssertEqual(text, "nan")
                XCTAssertTrue(BFloat16(text)!.isNaN)
                continue
            }
            XCTAssertEqual(BFloat16(text)?.bitPattern, b, "\(text) for 0x\(String(b, radix: 16))")
            XCTAssertEqual(x.debugDescription, text)
            guard let d = Double(text) else { XCTFail(text); continue }
            XCTAssertEqual(d.isInfinite ? d : oracleRound(d), v, text)
            XCTAssertEqual(d.sign, v.sign, text)
            guard v.isFinite && v != 0 else { continue }
            let (count, candidates) = Self.oracleShortestDigits(v)
            XCTAssertEqual(Self.significantDigits(text), count, "\(text) for \(v)")
            // Of the shortest candidates, the nearest (distances in Double: decimals of <= 4 digits and
            // bfloat16 values are far apart relative to Double's precision unless they tie).
            let nearest = candidates.map { ($0 - v.magnitude).magnitude }.min() ?? .infinity
            XCTAssertLessThanOrEqual((d.magnitude - v.magnitude).magnitude, nearest * (1 + 0x1p-40), "\(text)")
        }
    }

    /// The number of significant digits written in `text` (trailing zeros of the digits ignored).
    static func significantDigits(_ text: String) -> Int {
        let mantissa = text.split(separator: "e")[0].filter { $0.isNumber }
        return mantissa.drop { $0 == "0" }.reversed().drop { $0 == "0" }.count
    }

    /// The least L such that some decimal with L significant digits rounds to `|v|`, and those
    /// decimals (as Doubles): the L-digit decimals next to `|v|` are among n - 1, n, n + 1 units of
    /// the one nearest it, which C's `%.*e` gives correctly rounded.
    static func oracleShortestDigits(_ v: Double) -> (count: Int, candidates: [Double]) {
        for count in 1...9 {
            let nearest = String(format: "%.\(count - 1)e", v.magnitude)  // "d.ddde+XX"
            let parts = nearest.split(separator: "e")
            let n = Int(parts[0].filter { $0.isNumber })!, e10 = Int(parts[1])! - (count - 1)
            let valid = [n - 1, n, n + 1].filter { $0 > 0 }.map { Double("\($0)e\(e10)")! }
                .filter { oracleRound($0) == v.magnitude }
            if !valid.isEmpty { return (count, valid) }
        }
        return (.max, [])
    }

    func testDescriptionFormats() {
        let cases: [(UInt16, String)] = [
            (0x3F80, "1.0"), (0xBF80, "-1.0"), (0x0000, "0.0"), (0x8000, "-0.0"), (0x7F80, "inf"),
            (0xFF80, "-inf"), (0x7FC0, "nan"), (0xFFC0, "nan"), (0x3DCD, "0.1"), (0x4049, "3.14"),
            (0x7F7F, "3.39e+38"), (0x0001, "9e-41"), (0x0080, "1.18e-38"), (0x4380, "256.0"),
            (0x4381, "2.58e+02"), (0x3C00, "0.0078"), (0x38D1, "9.97e-05"), (0x38D0, "9.9e-05"),
            (0x42C8, "100.0"), (0x3F81, "1.01"), (0x38D2, "0.0001"), (0x3FC0, "1.5"), (0x4120, "10.0"),
        ]
        for (b, text) in cases {
            XCTAssertEqual(BFloat16(bitPattern: b).description, text, "0x\(String(b, radix: 16))")
        }
        XCTAssertEqual(BFloat16(bitPattern: 0xFFC0).debugDescription, "-nan")
        XCTAssertEqual(BFloat16.signalingNaN.debugDescription, "snan")
        XCTAssertEqual(BFloat16(bitPattern: 0x7FC1).debugDescription, "nan(0x1)")
        XCTAssertEqual(BFloat16(bitPattern: 0xFF81).debugDescription, "-snan(0x1)")
        var stream = ""
        BFloat16(bitPattern: 0x3FC0).write(to: &stream)
        print(BFloat16(bitPattern: 0x4000), to: &stream)
        XCTAssertEqual(stream, "1.52.0\n")
        XCTAssertEqual("\(BFloat16(bitPattern: 0xC020))", "-2.5")
    }
}
