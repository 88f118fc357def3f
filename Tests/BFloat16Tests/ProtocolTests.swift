// SPDX-License-Identifier: Apache-2.0
import BFloat16Module
import Foundation
import XCTest

final class ProtocolTests: XCTestCase {
    // MARK: Equatable, Comparable, Hashable

    /// ==, <, <=, >, >= against Double's IEEE comparisons of the same values, for every encoding
    /// against a sample that holds every special value.
    func testComparisonsMatchIEEE() {
        var rng = SplitMix64(seed: 6)
        let sample = specialBits + (0..<200).map { _ in UInt16.random(in: 0...UInt16.max, using: &rng) }
        for xb in 0...UInt16.max {
            let x = BFloat16(bitPattern: xb), a = oracleValue(xb)
            for yb in sample {
                let y = BFloat16(bitPattern: yb), b = oracleValue(yb)
                XCTAssertEqual(x == y, a == b)
                XCTAssertEqual(x != y, a != b)
                XCTAssertEqual(x < y, a < b)
                XCTAssertEqual(x <= y, a <= b)
                XCTAssertEqual(x > y, a > b)
                XCTAssertEqual(x >= y, a >= b)
                XCTAssertEqual(x.isTotallyOrdered(belowOrEqualTo: y),
                               Float(bitPattern: UInt32(xb) << 16).isTotallyOrdered(
                                   belowOrEqualTo: Float(bitPattern: UInt32(yb) << 16)))
                if a == b { XCTAssertEqual(x.hashValue, y.hashValue) }
            }
        }
    }

    func testHashingZerosAndNaN() {
        XCTAssertEqual(BFloat16(0.0), BFloat16(-0.0))
        XCTAssertEqual(BFloat16(0.0).hashValue, BFloat16(-0.0).hashValue)
        XCTAssertEqual(Set([BFloat16(0.0), BFloat16(-0.0), BFloat16(1), BFloat16(1.0)]).count, 2)
        XCTAssertNotEqual(BFloat16.nan, BFloat16.nan)
        XCTAssertFalse(BFloat16.nan < BFloat16.nan || BFloat16.nan <= BFloat16.nan || BFloat16.nan >= 1)
        XCTAssertEqual(Set([BFloat16.nan, BFloat16.nan]).count, 2)  // as for Float: NaN != NaN
        XCTAssertEqual([BFloat16(2), .nan, 1].max(), 2)
    }

    // MARK: Constants and fields

    func testConstants() {
        XCTAssertEqual(Double(BFloat16.greatestFiniteMagnitude), (2 - pow2(-7)) * pow2(127))
        XCTAssertEqual(Double(BFloat16.leastNormalMagnitude), pow2(-126))
        XCTAssertEqual(Double(BFloat16.leastNonzeroMagnitude), pow2(-133))
        XCTAssertEqual(Double(BFloat16.ulpOfOne), pow2(-7))
        XCTAssertEqual(BFloat16.ulpOfOne, BFloat16(1).ulp)
        XCTAssertEqual(Double(BFloat16.pi), (Double.pi * 64).rounded(.down) / 64)  // toward zero
        XCTAssertEqual(Double(BFloat16.infinity), .infinity)
        XCTAssertTrue(BFloat16.nan.isNaN && !BFloat16.nan.isSignalingNaN)
        XCTAssertTrue(BFloat16.signalingNaN.isSignalingNaN)
        XCTAssertEqual(BFloat16.zero.bitPattern, 0)
        XCTAssertEqual(BFloat16().bitPattern, 0)
        XCTAssertEqual(BFloat16.radix, 2)
        XCTAssertEqual(BFloat16.exponentBitCount, 8)
        XCTAssertEqual(BFloat16.significandBitCount, 7)
        XCTAssertEqual(MemoryLayout<BFloat16>.size, 2)
        XCTAssertEqual(MemoryLayout<BFloat16>.alignment, 2)
        #if compiler(>=6.0)
        func bitwiseCopyable<T: BitwiseCopyable>(_: T.Type) -> Bool { true }
        XCTAssertTrue(bitwiseCopyable(BFloat16.self))
        #endif
        func sendable<T: Sendable>(_: T.Type) -> Bool { true }
        XCTAssertTrue(sendable(BFloat16.self))
    }

    /// init(sign:exponent:significand:) rounds the exact `±significand * 2^exponent` once.
    func testInitSignExponentSignificand() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300_000 {
            let s = BFloat16(bitPattern: UInt16.random(in: 0...0x7F7F, using: &rng) | (rng.next() & 1 == 0 ? 0 : 0x8000))
            let e = Int.random(in: -300...300, using: &rng)
            let sign: FloatingPointSign = rng.next() & 1 == 0 ? .plus : .minus
            let exact = Double(sign: sign, exponent: e, significand: oracleValue(s.bitPattern))
            let got = BFloat16(sign: sign, exponent: e, significand: s)
            XCTAssertEqual(got.bitPattern, bits(ofBFloat16Value: oracleRound(exact)), "\(sign) \(e) \(s)")
        }
        XCTAssertEqual(BFloat16(sign: .plus, exponent: .max, significand: 1), .infinity)
        XCTAssertEqual(BFloat16(sign: .plus, exponent: .min, significand: 1).bitPattern, 0)
        XCTAssertEqual(BFloat16(sign: .minus, exponent: .min, significand: 1).bitPattern, 0x8000)
        XCTAssertEqual(BFloat16(sign: .minus, exponent: 0, significand: -2).bitPattern, 0x4000)
        XCTAssertTrue(BFloat16(sign: .minus, exponent: 3, significand: .nan).isNaN)
        XCTAssertEqual(BFloat16(sign: .minus, exponent: 3, significand: .infinity), -.infinity)
        // 2^-134 (half the least subnormal, a tie) goes to zero; just above it goes to 2^-133.
        XCTAssertEqual(BFloat16(sign: .plus, exponent: -134, significand: 1).bitPattern, 0)
        XCTAssertEqual(BFloat16(sign: .plus, exponent: -134, significand: BFloat16(bitPattern: 0x3F81)).bitPattern, 1)
    }

    // MARK: Literals

    func testLiterals() {
        let one: BFloat16 = 1, tenth: BFloat16 = 0.1, negZero: BFloat16 = -0.0
        XCTAssertEqual(one.bitPattern, 0x3F80)
        XCTAssertEqual(tenth.bitPattern, 0x3DCD)  // 0.1 = 0x1.99999Ap-4 -> 0x1.9Ap-4
        XCTAssertEqual(negZero.bitPattern, 0x8000)
        XCTAssertEqual((257 as BFloat16).bitPattern, 0x4380)  // 257 is a tie: to the even 256
        XCTAssertEqual((259 as BFloat16).bitPattern, 0x4382)  // 259 is a tie: to the even 260
        XCTAssertEqual((-3.5 as BFloat16).bitPattern, 0xC060)
        XCTAssertEqual((1e39 as BFloat16), .infinity)
        XCTAssertEqual((1e-50 as BFloat16).bitPattern, 0)
        XCTAssertEqual(Float(65504 as BFloat16), 65536)
    }

    // MARK: LosslessStringConvertible

    func testParsingPlainTexts() {
        let cases: [(String, UInt16)] = [("1.5", 0x3FC0), ("-0.0", 0x8000), ("0", 0), ("inf", 0x7F80),
                                         ("-infinity", 0xFF80), ("1e400", 0x7F80), ("-1e-400", 0x8000),
                                         ("0x1p-133", 0x0001), ("0x1p-134", 0x0000), ("0x1.000002p-134", 0x0001),
                                         ("3.39e38", 0x7F7F), ("3.3962e38", 0x7F80), ("+2", 0x4000),
                                         ("1.00390625", 0x3F80), ("1.01171875", 0x3F82), ("0.1", 0x3DCD)]
        for (text, b) in cases { XCTAssertEqual(BFloat16(text)?.bitPattern, b, text) }
        XCTAssertTrue(BFloat16("nan")!.isNaN)
        XCTAssertEqual(BFloat16("-nan")?.sign, .minus)
        for bad in ["", "abc", "1.2.3", "0x", "1e", "--1", " 1"] { XCTAssertNil(BFloat16(bad), bad) }
        XCTAssertEqual(BFloat16(Substring("2.5"))?.bitPattern, 0x4020)
    }

    /// Every midpoint between neighbouring positive bfloat16 values (the overflow threshold and 2^-134
    /// included), written exactly, a hair above and a hair below, in decimal and hexadecimal. A hair
    /// (about 10^-24 relative) is far below a Double ulp, so Double reads all three as the midpoint
    /// (checked), and only a parser that rounds once gets the neighbours right.
    func testParsingMidpointsRoundsOnce() {
        let values = [0.0] + (1...0x7F80).map { oracleValue(UInt16($0)) }
        var checked = 0
        for i in 0..<(values.count - 1) {
            let lo = values[i], hi = values[i + 1] == .infinity ? pow2(128) : values[i + 1]
            let mid = (lo + hi) / 2
            let below = oracleRound(mid, -mid.ulp / 4), above = oracleRound(mid, mid.ulp / 4)
            let even = oracleRound(mid)
            // Decimal: digits * 10^e10, exact (glibc prints binary fractions exactly).
            let printed = String(format: "%.160f", mid).split(separator: ".")
            let fraction = String(printed[1].reversed().drop { $0 == "0" }.reversed())
            let digits = String((printed[0] + fraction).drop { $0 == "0" }), e10 = -fraction.count
            let hair = String(repeating: "0", count: 23)
            let texts: [(String, Double)] = [
                ("\(digits)e\(e10)", even),
                ("\(digits)\(hair)1e\(e10 - 24)", above),
                ("\(Self.decrement(digits))\(String(repeating: "9", count: 24))e\(e10 - 24)", below),
            ]
            // Hexadecimal: n * 2^k with n an integer of 9 bits.
            let k = Int(mid.exponent) - 8, n = UInt64(mid / pow2(k))
            let hex: [(String, Double)] = [
                ("0x\(String(n, radix: 16))p\(k)", even),
                ("0x\(String(n, radix: 16)).00000000000001p\(k)", above),
                ("0x\(String(n - 1, radix: 16)).ffffffffffffffp\(k)", below),
            ]
            for (text, want) in texts + hex {
                XCTAssertEqual(Double(text), mid, "test text \(text) does not read as the midpoint")
                XCTAssertEqual(BFloat16(text)?.bitPattern, bits(ofBFloat16Value: want), text)
                XCTAssertEqual(BFloat16("-" + text)?.bitPattern, bits(ofBFloat16Value: -want), "-" + text)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 6 * 0x7F80)
    }

    /// A decimal digit string minus one unit in its last place (no leading zero kept).
    static func decrement(_ digits: String) -> String {
        var d = Array(digits.utf8).map { Int($0) - 48 }
        var i = d.count - 1
        while d[i] == 0 { d[i] = 9; i -= 1 }
        d[i] -= 1
        return String(d.map { Character(String($0)) }).drop { $0 == "0" }.description
    }

    /// Random decimal texts against the oracle applied to the Double they denote (texts whose Double
    /// is a bfloat16 midpoint are left to the midpoint test).
    func testParsingRandomDecimals() {
        var rng = SplitMix64(seed: 8)
        var checked = 0
        for _ in 0..<200_000 {
            let digits = String(UInt64.random(in: 1...999_999_999_999, using: &rng))
            let text = (rng.next() & 1 == 0 ? "" : "-") + digits.prefix(1) + "." + digits.dropFirst()
                + "e" + String(Int.random(in: -42...39, using: &rng))
            let d = Double(text)!
            guard d.isInfinite || oracleRound(d, d.ulp / 4) == oracleRound(d, -d.ulp / 4) else { continue }
            XCTAssertEqual(BFloat16(text)?.bitPattern, bits(ofBFloat16Value: oracleRound(d)), text)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 199_000)
    }

    // MARK: Codable

    func testCodableRoundTripsEveryValue() throws {
        let all = (0...UInt16.max).map(BFloat16.init(bitPattern:))
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                       nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                         nan: "nan")
        let back = try decoder.decode([BFloat16].self, from: encoder.encode(all))
        XCTAssertEqual(back.count, all.count)
        for (x, y) in zip(all, back) {
            if x.isNaN { XCTAssertTrue(y.isNaN) } else { XCTAssertEqual(x.bitPattern, y.bitPattern) }
        }
        // Encoded as a Float: the JSON number reads back as the Float of the same value, 0.10009765625.
        let json = String(decoding: try JSONEncoder().encode([BFloat16(bitPattern: 0x3DCD)]), as: UTF8.self)
        XCTAssertEqual(Float(json.dropFirst().dropLast()), Float(0.10009765625), json)
        XCTAssertThrowsError(try JSONEncoder().encode([BFloat16.nan]))  // default strategy, as for Float
    }

    func testDecodingRoundsAndRejectsOverflow() throws {
        let decoder = JSONDecoder()
        func decode(_ json: String) throws -> BFloat16 {
            try decoder.decode([BFloat16].self, from: Data(json.utf8))[0]
        }
        XCTAssertEqual(try decode("[0.1]").bitPattern, 0x3DCD)  // Float 0.1, rounded to nearest even
        XCTAssertEqual(try decode("[1.00390625]").bitPattern, 0x3F80)  // a tie: to even
        XCTAssertEqual(try decode("[-1.01171875]").bitPattern, 0xBF82)
        XCTAssertEqual(try decode("[3.39e38]").bitPattern, 0x7F7F)
        XCTAssertThrowsError(try decode("[3.3962e38]")) { error in
            guard case DecodingError.dataCorrupted = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try decode("[\"x\"]"))
    }
}
