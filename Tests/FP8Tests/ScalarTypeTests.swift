// SPDX-License-Identifier: Apache-2.0
import FP8
import FP8TestSupport
import XCTest

/// The Swift scalar types: layout, conversions, classification, ordering, neighbours, printing.
final class ScalarTypeTests: XCTestCase {
    func check<T: FP8Scalar>(_: T.Type) {
        let oracle = FormatOracle(T.format)
        XCTAssertEqual(MemoryLayout<T>.size, 1)
        XCTAssertEqual(MemoryLayout<T>.stride, 1)
        for c in 0...255 {
            let x = T(bitPattern: UInt8(c)), v = oracle.decode(UInt8(c))
            XCTAssertEqual(x.bitPattern, UInt8(c))
            XCTAssertEqual(x.isNaN, v.isNaN, "\(T.self) 0x\(String(c, radix: 16))")
            XCTAssertEqual(x.isInfinite, v.isInfinite)
            XCTAssertEqual(x.isFinite, v.isFinite)
            XCTAssertEqual(x.isZero, v == 0)
            XCTAssertEqual(x.isSubnormal, v.isFinite && v != 0 && abs(v) < oracle.finiteValues[T.format == .e4m3 ? 8 : 4])
            XCTAssertEqual(x.isSignMinus, c >= 0x80)
            if !v.isNaN {
                XCTAssertEqual(Double(x.floatValue), v)
                XCTAssertEqual(x.description, Float(v).description)
                // Round trip through Float and Double.
                XCTAssertEqual(T(x.floatValue).bitPattern, x.bitPattern)
                XCTAssertEqual(T(Double(x.floatValue)).bitPattern, x.bitPattern)
            }
        }
        XCTAssertEqual(Double(T.greatestFiniteMagnitude.floatValue), oracle.maxFinite)
        XCTAssertEqual(Double(T.leastNormalMagnitude.floatValue), pow2(T.format == .e4m3 ? -6 : -14))
        XCTAssertEqual(Double(T.leastNonzeroMagnitude.floatValue), pow2(T.format == .e4m3 ? -9 : -16))
        XCTAssertTrue(T.nan.isNaN)

        // IEEE semantics: NaN unordered and unequal to itself; -0 == +0 and hash alike.
        let nan = T.nan, one: T = 1, two: T = 2, pz = T(bitPattern: 0), nz = T(bitPattern: 0x80)
        XCTAssertNotEqual(nan, nan)
        XCTAssertFalse(nan < one)
        XCTAssertFalse(one < nan)
        XCTAssertEqual(pz, nz)
        XCTAssertEqual(pz.hashValue, nz.hashValue)
        XCTAssertEqual(Set([pz, nz, one]).count, 2)
        XCTAssertTrue(one < two)
        XCTAssertTrue(-two < -one)
        XCTAssertEqual([two, -one, one, pz].sorted(), [-one, pz, one, two])

        // Neighbours walk the whole positive range code by code.
        var x = pz
        var steps = 0
        while x.isFinite {
            let next = x.nextUp
            XCTAssertTrue(next.isNaN || next > x)
            if next.isFinite { XCTAssertEqual(next.nextDown, x == nz ? pz : x) }
            x = next
            steps += 1
        }
        XCTAssertEqual(steps, T.format == .e4m3 ? 0x7F : 0x7C)
        XCTAssertEqual(T.leastNonzeroMagnitude.nextDown.bitPattern, 0x00)
        XCTAssertEqual((-T.leastNonzeroMagnitude).nextUp.bitPattern, 0x80)
        XCTAssertEqual(pz.nextDown, -T.leastNonzeroMagnitude)
        XCTAssertTrue(nan.nextUp.isNaN)

        // Literals round like the initialisers.
        let lit: T = 0.1
        XCTAssertEqual(lit.bitPattern, T(0.1 as Double).bitPattern)
        let big: T = 1_000_000
        XCTAssertEqual(big.isNaN || big.isInfinite, true, "literals are non-saturating")
        XCTAssertEqual(T(saturating: 1e6 as Float), T.greatestFiniteMagnitude)
    }

    func testFloat8E4M3() { check(Float8E4M3.self) }
    func testFloat8E5M2() {
        check(Float8E5M2.self)
        XCTAssertTrue(Float8E5M2.infinity.isInfinite)
        XCTAssertEqual(Float8E5M2.greatestFiniteMagnitude.nextUp, Float8E5M2.infinity)
        XCTAssertEqual(Float(Float8E5M2.infinity), .infinity)
    }

    func testE4M3HasNoInfinity() {
        XCTAssertTrue(Float8E4M3.greatestFiniteMagnitude.nextUp.isNaN)
        XCTAssertTrue((0...255).allSatisfy { !Float8E4M3(bitPattern: UInt8($0)).isInfinite })
    }

    func testBulkConversionsMatchScalar() {
        var rng = SplitMix64(seed: 3)
        let xs = (0..<1000).map { _ in Float(rng.gaussian() * 300) }
        let a = [Float8E4M3](xs), b = [Float8E5M2](xs)
        for i in xs.indices {
            XCTAssertEqual(a[i].bitPattern, Float8E4M3(xs[i]).bitPattern)
            XCTAssertEqual(b[i].bitPattern, Float8E5M2(xs[i]).bitPattern)
        }
        XCTAssertEqual([Float](b), b.map { Float($0) })
        let sat = Float8E4M3.encode(xs, saturating: true)
        XCTAssertTrue(sat.allSatisfy { !$0.isNaN })
        let ds = xs.map { Double($0) * 1.0000001 }
        XCTAssertEqual(Float8E5M2.encode(ds).map(\.bitPattern), ds.map { Float8E5M2($0).bitPattern })
    }
}
