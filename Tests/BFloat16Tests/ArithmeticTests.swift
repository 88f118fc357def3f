// SPDX-License-Identifier: Apache-2.0
import BFloat16Module
import XCTest

/// Every operation against its exact result rounded once by ``oracleRound(_:_:format:)``. The exact
/// results are formed in Double with error-free transformations: a product of two bfloat16 values is
/// exact in Double (at most 16 bits, at least 2^-266); a sum is `s + err` by Knuth's TwoSum; a
/// quotient is `q + r / b` with the exact remainder `r = fma(-q, b, a)`; a square root `s + r` with
/// `r = fma(-s, s, a)`. Non-finite operands and results take IEEE 754's answer computed in Double.
final class ArithmeticTests: XCTestCase {
    static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b, ap = s - b, bp = s - ap
        return (s, (a - ap) + (b - bp))
    }

    static func expectedSum(_ a: Double, _ b: Double) -> Double {
        let (s, err) = twoSum(a, b)
        if !s.isFinite { return s }
        return oracleRound(s, err)
    }
    static func expectedProduct(_ a: Double, _ b: Double) -> Double {
        let p = a * b
        return p.isNaN ? p : oracleRound(p)
    }
    static func expectedQuotient(_ a: Double, _ b: Double) -> Double {
        let q = a / b
        if !q.isFinite || q == 0 || !b.isFinite { return q }
        let r = a.addingProduct(-q, b)  // a - q * b, exact
        return oracleRound(q, r / b)
    }
    static func expectedSquareRoot(_ a: Double) -> Double {
        let s = a.squareRoot()
        if !s.isFinite || s == 0 { return s }
        let r = a.addingProduct(-s, s)  // a - s*s, exact
        return oracleRound(s, r)
    }
    static func expectedFMA(_ a: Double, _ b: Double, _ c: Double) -> Double {
        let p = b * c  // exact
        let (s, err) = twoSum(a, p)
        if !s.isFinite { return s }
        return oracleRound(s, err)
    }

    /// Compares a result with an expected Double (NaN: any NaN; otherwise the same bits).
    static func same(_ got: BFloat16, _ want: Double) -> Bool {
        if want.isNaN { return got.isNaN }
        return got.bitPattern == UInt16(Float(want).bitPattern >> 16) && Double(Float(want)) == want
    }

    /// Runs all binary operations on one pair; returns the names of those that failed.
    static func checkPair(_ x: BFloat16, _ y: BFloat16) -> [String] {
        let a = oracleValue(x.bitPattern), b = oracleValue(y.bitPattern)
        var bad: [String] = []
        if !same(x + y, expectedSum(a, b)) { bad.append("+") }
        if !same(x - y, expectedSum(a, -b)) { bad.append("-") }
        if !same(x * y, expectedProduct(a, b)) { bad.append("*") }
        if !same(x / y, expectedQuotient(a, b)) { bad.append("/") }
        var z = x; z += y; if !same(z, expectedSum(a, b)) { bad.append("+=") }
        z = x; z -= y; if !same(z, expectedSum(a, -b)) { bad.append("-=") }
        z = x; z *= y; if !same(z, expectedProduct(a, b)) { bad.append("*=") }
        z = x; z /= y; if !same(z, expectedQuotient(a, b)) { bad.append("/=") }
        // remainder and truncatingRemainder are exact: Double's (exact too) results are bfloat16 values.
        if !same(x.remainder(dividingBy: y), a.remainder(dividingBy: b)) { bad.append("remainder") }
        if !same(x.truncatingRemainder(dividingBy: y), a.truncatingRemainder(dividingBy: b)) { bad.append("fmod") }
        return bad
    }

    func report(_ failures: [String: Int], _ examples: [String], _ count: Int, file: StaticString = #filePath,
                line: UInt = #line) {
        XCTAssertTrue(failures.isEmpty, "\(failures) over \(count) cases, e.g. \(examples.prefix(5))",
                      file: file, line: line)
    }

    /// All pairs of special and boundary values (zeros, subnormals, least normal, one, greatest finite,
    /// infinities, NaNs), and all triples for the fused multiply-add.
    func testSpecialsAllPairsAndTriples() {
        var failures: [String: Int] = [:], examples: [String] = []
        for xb in specialBits {
            for yb in specialBits {
                let x = BFloat16(bitPattern: xb), y = BFloat16(bitPattern: yb)
                for op in Self.checkPair(x, y) {
                    failures[op, default: 0] += 1
                    examples.append("\(x.debugDescription) \(op) \(y.debugDescription)")
                }
                for zb in specialBits {
                    let z = BFloat16(bitPattern: zb)
                    let want = Self.expectedFMA(oracleValue(xb), oracleValue(yb), oracleValue(zb))
                    if !Self.same(x.addingProduct(y, z), want) {
                        failures["fma", default: 0] += 1
                        examples.append("fma(\(x), \(y), \(z))")
                    }
                }
            }
        }
        report(failures, examples, specialBits.count * specialBits.count)
    }

    /// All pairs from a set of 2816 values (every encoding of both signs in 11 binades: the subnormals,
    /// the two least normal binades, around 1, and the three greatest binades), so sums, products and
    /// quotients hit every kind of midpoint, underflow and overflow case.
    func testAllPairsInSelectedBinades() {
        var set: [BFloat16] = []
        for field: UInt16 in [0, 1, 2, 120, 126, 127, 128, 134, 253, 254, 133] {
            for fraction: UInt16 in 0..<128 {
                set.append(BFloat16(bitPattern: field << 7 | fraction))
                set.append(BFloat16(bitPattern: 0x8000 | field << 7 | fraction))
            }
        }
        var failures: [String: Int] = [:], examples: [String] = []
        for x in set {
            for y in set {
                for op in Self.checkPair(x, y) {
                    failures[op, default: 0] += 1
                    if examples.count < 20 { examples.append("\(x) \(op) \(y)") }
                }
            }
        }
        report(failures, examples, set.count * set.count)
    }

    /// Random operands: uniform encodings, and pairs with close exponents (operands that overlap, and
    /// a small one in the sticky range of a large one), for every operation including the fused
    /// multiply-add (the addend also chosen near the product's binade).
    func testRandomOperands() {
        var rng = SplitMix64(seed: 5)
        func near(_ x: BFloat16, within spread: Int) -> BFloat16 {
            let field = Int(x.exponentBitPattern) + Int.random(in: -spread...spread, using: &rng)
            let f = UInt16(clamping: min(max(field, 0), 254))
            return BFloat16(bitPattern: UInt16.random(in: 0...1, using: &rng) << 15 | f << 7
                            | UInt16.random(in: 0..<128, using: &rng))
        }
        var failures: [String: Int] = [:], examples: [String] = []
        let count = 1_000_000
        for i in 0..<count {
            let x = BFloat16(bitPattern: UInt16.random(in: 0...UInt16.max, using: &rng))
            let y = i % 2 == 0 ? BFloat16(bitPattern: UInt16.random(in: 0...UInt16.max, using: &rng))
                               : near(x, within: 30)
            for op in Self.checkPair(x, y) {
                failures[op, default: 0] += 1
                if examples.count < 20 { examples.append("\(x.bitPattern) \(op) \(y.bitPattern)") }
            }
            // fma: the addend near the product's binade, or uniform.
            let p = Double(x) * Double(y)
            var a = BFloat16(bitPattern: UInt16.random(in: 0...UInt16.max, using: &rng))
            if i % 3 != 0 && p.isFinite && p != 0 && p.magnitude < 0x1p127 && p.magnitude > 0x1p-126 {
                a = near(BFloat16(bitPattern: UInt16(Float(p.binade).bitPattern >> 16)), within: 12)
            }
            let want = Self.expectedFMA(oracleValue(a.bitPattern), oracleValue(x.bitPattern), oracleValue(y.bitPattern))
            if !Self.same(a.addingProduct(x, y), want) {
                failures["fma", default: 0] += 1
                if examples.count < 20 { examples.append("fma \(a.bitPattern) + \(x.bitPattern) * \(y.bitPattern)") }
            }
            var m = a; m.addProduct(x, y)
            if !Self.same(m, want) { failures["addProduct", default: 0] += 1 }
        }
        report(failures, examples, count)
    }

    /// The fused multiply-add where rounding the product first would be wrong: products exactly halfway
    /// and addends far below them in the sticky range.
    func testFusedMultiplyAddRoundsOnce() {
        // 1.0078125 * 1.0078125 = 1.01568603515625 = 1 + 2^-6 + 2^-14: halfway-ish product cases.
        let x = BFloat16(bitPattern: 0x3F81)  // 1 + 2^-7
        let tiny = BFloat16(bitPattern: 0x0001)
        // (1 + 2^-7)^2 = 1 + 2^-6 + 2^-14 rounds to 1 + 2^-6 alone, but fma keeps the 2^-14 exactly.
        XCTAssertEqual((x * x).bitPattern, 0x3F82)
        XCTAssertEqual(BFloat16(bitPattern: 0xBF82).addingProduct(x, x).bitPattern,
                       UInt16(Float(0x1p-14).bitPattern >> 16))
        // 1 + 2^-8 (exact midpoint product) plus a tiny addend rounds up, minus it rounds down.
        let a = BFloat16(bitPattern: 0x3F80), b = BFloat16(bitPattern: 0x3F81), half = BFloat16(bitPattern: 0x3F00)
        XCTAssertEqual(tiny.addingProduct(b, half).bitPattern, 0x3F01)  // 0.5 * (1 + 2^-7) + 2^-133
        XCTAssertEqual(a.addingProduct(BFloat16(bitPattern: 0x3B80), BFloat16(bitPattern: 0x3F80)).bitPattern,
                       0x3F80)  // 1 + 2^-8 exactly: the tie goes to even 1.0
        XCTAssertEqual(a.addingProduct(BFloat16(bitPattern: 0x3B81), BFloat16(bitPattern: 0x3F80)).bitPattern,
                       0x3F81)  // 1 + 2^-8 + 2^-15: above the tie
    }

    /// squareRoot for all 65536 encodings.
    func testSquareRootAllPatterns() {
        var bad = 0
        for b in 0...UInt16.max {
            let x = BFloat16(bitPattern: b)
            let want = Self.expectedSquareRoot(oracleValue(b))
            if !Self.same(x.squareRoot(), want) { bad += 1; if bad < 5 { XCTFail("sqrt 0x\(String(b, radix: 16))") } }
            var y = x; y.formSquareRoot()
            if !Self.same(y, want) { bad += 1 }
        }
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(BFloat16(bitPattern: 0x8000).squareRoot().bitPattern, 0x8000)  // sqrt(-0) = -0
    }

    /// rounded(_:) for all encodings and all rules: Double's rounding of the same value is exact.
    func testRoundingToIntegralAllPatterns() {
        let rules: [FloatingPointRoundingRule] = [.toNearestOrEven, .toNearestOrAwayFromZero, .up, .down,
                                                   .towardZero, .awayFromZero]
        for b in 0...UInt16.max {
            let x = BFloat16(bitPattern: b), v = oracleValue(b)
            for rule in rules {
                XCTAssertTrue(Self.same(x.rounded(rule), v.rounded(rule)), "0x\(String(b, radix: 16)) \(rule)")
                var y = x; y.round(rule)
                XCTAssertEqual(y.bitPattern, x.rounded(rule).bitPattern)
            }
        }
    }

    /// Negation, magnitude, and the stdlib's generic algorithms built on the conformance.
    func testSignsAndGenericAlgorithms() {
        var x = BFloat16(bitPattern: 0x3FC0)  // 1.5
        x.negate()
        XCTAssertEqual(x.bitPattern, 0xBFC0)
        XCTAssertEqual((-BFloat16.nan).bitPattern, 0xFFC0)
        XCTAssertEqual(x.magnitude.bitPattern, 0x3FC0)
        XCTAssertEqual(BFloat16.minimum(BFloat16(1), .nan).bitPattern, 0x3F80)
        XCTAssertEqual(BFloat16.maximum(BFloat16(-0.0), BFloat16(0.0)).bitPattern, 0x0000)
        XCTAssertEqual(BFloat16.minimum(BFloat16(-0.0), BFloat16(0.0)).bitPattern, 0x8000)
        // stride: start + i * step with one rounding each (addingProduct), as for Float.
        let steps = Array(stride(from: BFloat16(0), to: BFloat16(1), by: BFloat16(0.25)))
        XCTAssertEqual(steps.map(Float.init), [0, 0.25, 0.5, 0.75])
        XCTAssertEqual(BFloat16(1).distance(to: BFloat16(3)).bitPattern, 0x4000)
        XCTAssertEqual(BFloat16(1).advanced(by: BFloat16(0.5)).bitPattern, 0x3FC0)
        var rng = SplitMix64(seed: 9)
        for _ in 0..<10_000 {
            let r = BFloat16.random(in: 1..<2, using: &rng)
            XCTAssertTrue(r >= 1 && r < 2)
        }
        let values: [BFloat16] = [3, 1, 2]
        XCTAssertEqual(values.reduce(0, +).bitPattern, 0x40C0)  // 6
        XCTAssertEqual(values.sorted().map(Float.init), [1, 2, 3])
    }
}
