// SPDX-License-Identifier: Apache-2.0
import CFP8
import FP8
import FP8TestSupport
import Foundation
import XCTest

/// The pure-Swift scalar conversions, comparisons and the rest of the scalar API, generic over both
/// types and held against the Double oracle (FormatOracle), never against the code under test.
final class ScalarAPITests: XCTestCase {
    func hex(_ c: UInt8) -> String { "0x" + String(c, radix: 16) }

    /// Float inputs where an encoder goes wrong: every value, every midpoint and the float32 numbers
    /// next to both, the overflow midpoint, float32 subnormals, extremes, NaNs with payloads, and a
    /// spread of random bit patterns over every exponent.
    func floatInputs(_ oracle: FormatOracle) -> [Float] {
        var values = oracle.finiteValues
        values.append(oracle.maxFinite + (oracle.format == .e4m3 ? 32 : 8192))
        var xs: [Float] = []
        for (i, v) in values.enumerated() {
            xs.append(Float(v))
            if i + 1 < values.count { xs.append(Float((v + values[i + 1]) / 2)) }
        }
        xs += [0, .infinity, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 1e6, 65536,
               Float(0x1p-17), Float(0x1p-10), Float(0x1p-30), .nan, Float(bitPattern: 0x7FA0_0001)]
        var out: [Float] = []
        for x in xs { for y in [x, x.nextUp, x.nextDown] { out += [y, -y] } }
        var rng = SplitMix64(seed: 11)
        for _ in 0..<200_000 { out.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        return out
    }

    /// Double inputs: the values, midpoints and their double neighbours (which a float32 detour would
    /// merge into the tie), plus random doubles over the whole exponent range and near the FP8 range.
    func doubleInputs(_ oracle: FormatOracle) -> [Double] {
        let vals = oracle.finiteValues
        var xs: [Double] = [0, .infinity, .nan, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                            Double(Float.greatestFiniteMagnitude), Double(Float.greatestFiniteMagnitude).nextUp, 1e300,
                            0x1p-30, 0x1p-149, 0x1p-150, -431.99999999999994, 464.00000000000006, 61439.999999999993]
        for i in 0..<(vals.count - 1) {
            let mid = (vals[i] + vals[i + 1]) / 2
            xs += [vals[i], vals[i].nextUp, vals[i].nextDown, mid, mid.nextUp, mid.nextDown,
                   mid + mid.ulp * 0x1p20, mid - mid.ulp * 0x1p20]
        }
        let overflowMid = oracle.maxFinite + (oracle.format == .e4m3 ? 16 : 4096)
        xs += [overflowMid, overflowMid.nextUp, overflowMid.nextDown]
        var rng = SplitMix64(seed: 12)
        for _ in 0..<100_000 { xs.append(Double(bitPattern: rng.next())) }
        for _ in 0..<100_000 {  // |x| in [2^-20, 2^20): the interesting range, with random low bits
            let e = Int(rng.next() % 40) - 20
            xs.append(Double(sign: .plus, exponent: e, significand: 1 + Double(rng.next() >> 12) * 0x1p-52))
        }
        return xs.flatMap { [$0, -$0] }
    }

    func checkEncodeAgainstOracle<T: FP8Scalar>(_: T.Type) {
        let oracle = FormatOracle(T.format)
        var bad = 0
        for x in floatInputs(oracle) {
            for sat in [false, true] {
                let got = (sat ? T(saturating: x) : T(x)).bitPattern, want = oracle.encode(Double(x), saturating: sat)
                if got != want {
                    bad += 1
                    if bad < 10 { XCTFail("\(T.self)(\(sat ? "saturating: " : "")\(x) as Float) = \(hex(got)), oracle \(hex(want))") }
                }
            }
        }
        for x in doubleInputs(oracle) {
            for sat in [false, true] {
                let got = (sat ? T(saturating: x) : T(x)).bitPattern, want = oracle.encode(x, saturating: sat)
                if got != want {
                    bad += 1
                    if bad < 20 { XCTFail("\(T.self)(\(sat ? "saturating: " : "")\(x) as Double) = \(hex(got)), oracle \(hex(want))") }
                }
            }
        }
        XCTAssertEqual(bad, 0, "\(T.self)")
    }

    func testScalarEncodeMatchesOracle() {
        checkEncodeAgainstOracle(Float8E4M3.self)
        checkEncodeAgainstOracle(Float8E5M2.self)
    }

    /// Scalar decode gives the bits the C bulk decoder gives (NaN sign and payload included).
    func testScalarDecodeMatchesBulkBits() {
        func check<T: FP8Scalar>(_: T.Type) {
            let codes = (0...255).map { UInt8($0) }
            var bulk = [Float](repeating: 0, count: 256)
            XCTAssertEqual(fp8_decode_f32(T.format.cValue, codes, &bulk, 256), 0)
            for c in codes {
                XCTAssertEqual(T(bitPattern: c).floatValue.bitPattern, bulk[Int(c)].bitPattern, "\(T.self) \(hex(c))")
            }
        }
        check(Float8E4M3.self)
        check(Float8E5M2.self)
    }

    /// All 2^32 float32 patterns, both formats and modes: the Swift scalar encoder equals the C scalar
    /// kernel (itself held against the oracle and ml_dtypes elsewhere). Release builds only.
    func testExhaustiveScalarEncodeMatchesCScalarKernel() throws {
        try skipExhaustiveSweepInDebugBuilds()
        try FP8Runtime.setKernelSet("scalar")
        defer { try? FP8Runtime.setKernelSet(nil) }
        let chunk = 1 << 22
        var input = [Float](repeating: 0, count: chunk), want = [UInt8](repeating: 0, count: chunk)
        var mismatches = 0, checked = 0
        for base in stride(from: 0, to: 1 << 32, by: chunk) {
            for i in 0..<chunk { input[i] = Float(bitPattern: UInt32(truncatingIfNeeded: base + i)) }
            func sweep<T: FP8Scalar>(_: T.Type, _ sat: Bool) {
                _ = fp8_encode_f32(T.format.cValue, input, &want, chunk, sat ? 1 : 0)
                for i in 0..<chunk {
                    let got = sat ? T(saturating: input[i]).bitPattern : T(input[i]).bitPattern
                    if got != want[i] {
                        mismatches += 1
                        if mismatches < 10 { XCTFail("\(T.self) sat=\(sat) \(hex32(input[i])): \(hex(got)) vs C \(hex(want[i]))") }
                    }
                }
                checked += chunk
            }
            for sat in [false, true] { sweep(Float8E4M3.self, sat); sweep(Float8E5M2.self, sat) }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(checked, 4 << 32)
    }

    func hex32(_ x: Float) -> String { "0x" + String(x.bitPattern, radix: 16) }

    func testEveryPairComparesLikeTheValues() {
        func check<T: FP8Scalar>(_: T.Type) {
            let oracle = FormatOracle(T.format)
            var bad = 0
            for a in 0...255 {
                let x = T(bitPattern: UInt8(a)), vx = oracle.decode(UInt8(a))
                for b in 0...255 {
                    let y = T(bitPattern: UInt8(b)), vy = oracle.decode(UInt8(b))
                    let got = [x == y, x != y, x < y, x <= y, x > y, x >= y]
                    let want = [vx == vy, vx != vy, vx < vy, vx <= vy, vx > vy, vx >= vy]
                    if got != want { bad += 1; if bad < 5 { XCTFail("\(T.self) \(hex(UInt8(a))) vs \(hex(UInt8(b))): \(got) want \(want)") } }
                    if x == y { XCTAssertEqual(x.hashValue, y.hashValue) }
                }
            }
            XCTAssertEqual(bad, 0)
            // NaN <= anything is false (the default `!(b < a)` would say true).
            XCTAssertFalse(T.nan <= T(1))
            XCTAssertFalse(T.nan >= T.nan)
            // Sorting non-NaN values agrees with sorting their decoded values.
            var rng = SplitMix64(seed: 5)
            let xs = (0..<5000).map { _ in T(bitPattern: UInt8(truncatingIfNeeded: rng.next())) }.filter { !$0.isNaN }
            XCTAssertEqual(xs.sorted().map { oracle.decode($0.bitPattern) }, xs.map { oracle.decode($0.bitPattern) }.sorted())
            XCTAssertEqual(Set(xs).count, Set(xs.map { oracle.decode($0.bitPattern) }).count, "-0 and +0 are one element")
        }
        check(Float8E4M3.self)
        check(Float8E5M2.self)
    }

    func testSignExponentUlpAndNeighboursMatchOracle() {
        func check<T: FP8Scalar>(_: T.Type) {
            let oracle = FormatOracle(T.format)
            let mbits = T.format == .e4m3 ? 3 : 2, minNormalExp = T.format == .e4m3 ? -6 : -14
            let all = (0...255).map { UInt8($0) }
            for c in all {
                let x = T(bitPattern: c), v = oracle.decode(c)
                XCTAssertEqual(x.sign, c >= 0x80 ? .minus : .plus)
                XCTAssertEqual(x.exponent, v.exponent, "\(T.self) \(hex(c)) exponent")
                XCTAssertEqual(x.isNormal, v.isNormal && v.isFinite && abs(v) >= pow2(minNormalExp))
                let ulp = oracle.decode(x.ulp.bitPattern)
                if v.isFinite {
                    let want = v == 0 || abs(v) < pow2(minNormalExp) ? pow2(minNormalExp - mbits) : pow2(Int(v.exponent) - mbits)
                    XCTAssertEqual(ulp, want, "\(T.self) \(hex(c)) ulp")
                } else {
                    XCTAssertTrue(ulp.isNaN)
                }
                // nextUp: the least value above v among all codes (NaN if none: E4M3 at +448).
                let above = all.map { oracle.decode($0) }.filter { $0 > v }.min()
                let up = oracle.decode(x.nextUp.bitPattern)
                if v.isNaN { XCTAssertTrue(up.isNaN) }
                else if v == .infinity { XCTAssertEqual(up, .infinity) }
                else if let a = above { XCTAssertEqual(up, a, "\(T.self) \(hex(c)) nextUp") }
                else { XCTAssertTrue(up.isNaN, "\(T.self) \(hex(c)): nothing above, NaN") }
                let below = all.map { oracle.decode($0) }.filter { $0 < v }.max()
                let down = oracle.decode(x.nextDown.bitPattern)
                if v.isNaN { XCTAssertTrue(down.isNaN) }
                else if v == -.infinity { XCTAssertEqual(down, -.infinity) }
                else if let b = below { XCTAssertEqual(down, b, "\(T.self) \(hex(c)) nextDown") }
                else { XCTAssertTrue(down.isNaN) }
            }
            XCTAssertEqual(oracle.decode(T.ulpOfOne.bitPattern), pow2(-mbits))
            XCTAssertEqual(T(bitPattern: 0x01).nextDown.bitPattern, 0x00, "towards zero ends at +0")
            XCTAssertEqual(T(bitPattern: 0x80).nextUp.bitPattern, 0x01, "nextUp(-0) is the least positive value")
        }
        check(Float8E4M3.self)
        check(Float8E5M2.self)
    }

    func testExactlyAndIntegerInitialisers() {
        func check<T: FP8Scalar>(_: T.Type) {
            let oracle = FormatOracle(T.format)
            for c in 0...255 {
                let v = oracle.decode(UInt8(c))
                if v.isNaN {
                    XCTAssertNil(T(exactly: Double.nan))
                    XCTAssertNil(T(exactly: Float.nan))
                    continue
                }
                XCTAssertEqual(T(exactly: v)?.bitPattern, UInt8(c), "\(T.self) exactly \(v)")
                XCTAssertEqual(T(exactly: Float(v))?.bitPattern, UInt8(c))
            }
            for (i, v) in oracle.finiteValues.dropLast().enumerated() where i > 0 {
                let mid = (v + oracle.finiteValues[i + 1]) / 2
                XCTAssertNil(T(exactly: mid), "\(T.self) \(mid) is between two values")
                XCTAssertNil(T(exactly: Float(mid)))
            }
            XCTAssertEqual(T(exactly: Double.infinity)?.isInfinite, T.format == .e5m2 ? true : nil)
            XCTAssertNil(T(exactly: 1e6))
            // Integers round like their Double (exact below 2^53, far past overflow above).
            for i in -70_000...70_000 {
                let want = oracle.encode(Double(i), saturating: false)
                if T(i).bitPattern != want { XCTFail("\(T.self)(\(i)) = \(hex(T(i).bitPattern)), oracle \(hex(want))"); return }
                let exact = oracle.decode(want) == Double(i)
                XCTAssertEqual(T(exactly: i)?.bitPattern, exact ? want : nil, "\(T.self)(exactly: \(i))")
            }
            XCTAssertEqual(T(Int8(-3)).bitPattern, oracle.encode(-3, saturating: false))
            XCTAssertEqual(T(UInt16(17)).bitPattern, oracle.encode(17, saturating: false))
            for big in [Int.max, Int.min, Int(1) << 53 + 1] {
                XCTAssertEqual(T(big).bitPattern, oracle.encode(Double(big), saturating: false), "\(big)")
                XCTAssertNil(T(exactly: big))
            }
            XCTAssertEqual(T(UInt64.max).bitPattern, oracle.encode(Double(UInt64.max), saturating: false))
            let lit: T = 3
            XCTAssertEqual(lit.bitPattern, oracle.encode(3, saturating: false))
        }
        check(Float8E4M3.self)
        check(Float8E5M2.self)
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    func testFloat16BothWays() {
        func check<T: FP8Scalar>(_: T.Type) {
            let oracle = FormatOracle(T.format)
            for c in 0...255 {
                let x = T(bitPattern: UInt8(c)), v = oracle.decode(UInt8(c))
                let h = x.float16Value
                if v.isNaN {
                    XCTAssertTrue(h.isNaN)
                    XCTAssertEqual(h.sign, c >= 0x80 ? .minus : .plus)
                } else {
                    XCTAssertEqual(h.bitPattern, Float16(v).bitPattern, "\(T.self) \(hex(UInt8(c))) as Float16")
                }
            }
            var bad = 0
            for bits in 0...0xFFFF {
                let h = Float16(bitPattern: UInt16(bits))
                for sat in [false, true] {
                    let got = (sat ? T(saturating: h) : T(h)).bitPattern
                    if got != oracle.encode(Double(h), saturating: sat) { bad += 1 }
                }
                let exact = h.isNaN ? nil : T(exactly: h)
                if let e = exact { XCTAssertEqual(oracle.decode(e.bitPattern), Double(h)) }
                else if !h.isNaN { XCTAssertNotEqual(oracle.decode(oracle.encode(Double(h), saturating: false)), Double(h)) }
            }
            XCTAssertEqual(bad, 0, "\(T.self) from every Float16")
        }
        check(Float8E4M3.self)
        check(Float8E5M2.self)
        // E5M2 is the top byte of a binary16, payloads and all.
        for c in 0...255 { XCTAssertEqual(Float16(Float8E5M2(bitPattern: UInt8(c))).bitPattern, UInt16(c) << 8) }
        XCTAssertEqual(Float(Float16(Float8E4M3(bitPattern: 0x7E))), 448)
    }
    #endif

    func testTextRoundTripAndExactTies() {
        func check<T: FP8Scalar>(_: T.Type) {
            for c in 0...255 {
                let x = T(bitPattern: UInt8(c))
                let back = T(x.description)
                if x.isNaN { XCTAssertTrue(back?.isNaN == true) } else { XCTAssertEqual(back?.bitPattern, x.bitPattern, x.description) }
            }
            for bad in ["", "abc", "1.2.3", "1e", "--1", " 1"] { XCTAssertNil(T(bad), "'\(bad)'") }
            XCTAssertEqual(T("0.1")?.bitPattern, T(0.1 as Double).bitPattern)
            XCTAssertEqual(T("-2.5e1")?.bitPattern, T(-25.0 as Double).bitPattern)
            XCTAssertEqual(T("0x1.8p1")?.bitPattern, T(3.0 as Double).bitPattern)
        }
        check(Float8E4M3.self)
        check(Float8E5M2.self)
        // A decimal just off a tie rounds to its own side even though its Double is the tie.
        XCTAssertEqual(Float8E4M3("464")?.bitPattern, 0x7E)
        XCTAssertTrue(Float8E4M3("464.00000000000000000001")?.isNaN == true)
        XCTAssertEqual(Float8E4M3("463.99999999999999999999")?.bitPattern, 0x7E)
        XCTAssertEqual(Float8E4M3("-464.00000000000000000001")?.bitPattern, 0xFF)
        XCTAssertEqual(Float8E4M3("0.0009765625")?.bitPattern, 0x00, "2^-10 ties to +0")
        XCTAssertEqual(Float8E4M3("0.00097656250000000000001")?.bitPattern, 0x01)
        XCTAssertEqual(Float8E4M3("-0.00097656250000000000001")?.bitPattern, 0x81)
        XCTAssertEqual(Float8E4M3("9.765625000000000000001e-4")?.bitPattern, 0x01)
        XCTAssertEqual(Float8E4M3("1.0625")?.bitPattern, 0x38, "tie 1 + 1/16 to even 1")
        XCTAssertEqual(Float8E4M3("1.06250000000000000000001")?.bitPattern, 0x39)
        XCTAssertEqual(Float8E5M2("61440")?.bitPattern, 0x7C, "tie to infinity")
        XCTAssertEqual(Float8E5M2("61439.9999999999999999")?.bitPattern, 0x7B)
        XCTAssertEqual(Float8E5M2("0.00000762939453125")?.bitPattern, 0x00, "2^-17 ties to +0")
        XCTAssertEqual(Float8E5M2("0.0000076293945312500000000001")?.bitPattern, 0x01)
    }

    func testCodable() throws {
        func check<T: FP8Scalar>(_: T.Type) throws {
            let values = T.allCases.filter { $0.isFinite }
            let data = try JSONEncoder().encode(values)
            let back = try JSONDecoder().decode([T].self, from: data)
            XCTAssertEqual(back.map(\.bitPattern), values.map(\.bitPattern))
            XCTAssertEqual(try JSONDecoder().decode(T.self, from: Data("0.1".utf8)).bitPattern, T(0.1 as Double).bitPattern)
            XCTAssertThrowsError(try JSONDecoder().decode(T.self, from: Data("1e6".utf8))) { e in
                guard case DecodingError.dataCorrupted = e else { return XCTFail("\(e)") }
            }
            XCTAssertThrowsError(try JSONEncoder().encode([T.nan])) { e in
                guard case EncodingError.invalidValue = e else { return XCTFail("\(e)") }
            }
        }
        try check(Float8E4M3.self)
        try check(Float8E5M2.self)
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(Float8E4M3(bitPattern: 0x01)), as: UTF8.self), "0.001953125")
    }

    func testAllCasesAndArrayLiterals() {
        XCTAssertEqual(Float8E4M3.allCases.count, 256)
        XCTAssertEqual(Float8E5M2.allCases.map(\.bitPattern), (0...255).map { UInt8($0) })
        XCTAssertEqual(Float8E4M3.allCases.filter(\.isNaN).count, 2)
        XCTAssertEqual(Float8E5M2.allCases.filter(\.isNaN).count, 6)
        XCTAssertEqual(Float8E5M2.allCases.filter(\.isInfinite).count, 2)
        // Fault: an array literal used to be ambiguous between [Float] and [Double].
        let e = Float8E5M2.encode([1, 2, 3, 4])
        XCTAssertEqual(e.map(\.bitPattern), [0x3C, 0x40, 0x42, 0x44])
        let d = Float8E4M3.encode([-431.99999999999994, 0.1], saturating: true)
        XCTAssertEqual(d.map(\.bitPattern), [Float8E4M3(-431.99999999999994).bitPattern, Float8E4M3(0.1 as Double).bitPattern],
                       "literals take the Double path and round once")
        let floats: [Float] = [1, 2]
        XCTAssertEqual(Float8E4M3.encode(floats).map(\.bitPattern), [0x38, 0x40])
    }
}
