// SPDX-License-Identifier: Apache-2.0
import BFloat16Module
import Dispatch
import Foundation
import XCTest

final class ConversionTests: XCTestCase {
    /// The expected encoding of `BFloat16(f)` for every Float: NaN by the documented rule (sign and
    /// upper payload kept, quiet bit set), everything else by the value oracle.
    static func expectedBits(_ f: Float) -> UInt16 {
        if f.isNaN { return UInt16(f.bitPattern >> 16) | 0x0040 }
        let v = oracleRound(Double(f))
        return UInt16(Float(v).bitPattern >> 16)  // v is a bfloat16 value: exact
    }

    /// A second value oracle, cheaper than ``oracleRound(_:_:format:)`` for the 2^32 sweep: adding
    /// c = 2^(q + 52) to |x| < 2^(q + 8) leaves a Double whose last place is 2^q, the bfloat16 quantum
    /// of x's binade, so the FPU's addition rounds |x| to a multiple of 2^q, ties to even (c is an even
    /// multiple), and subtracting c is exact. Then overflow (>= 2^128) becomes infinity.
    static func roundByAddition(_ x: Double) -> Double {
        let a = x.magnitude
        if !a.isFinite { return x }
        let binade = a < 0x1p-126 ? -126 : Int(a.exponent)
        let c = pow2(binade - 7 + 52)
        var r = (a + c) - c
        if r >= 0x1p128 { r = .infinity }
        return x.sign == .minus ? -r : r
    }

    /// All 2^32 float32 inputs against the value oracle (and `init(exactly:)` against its definition).
    func testExhaustiveAllFloat32() throws {
        try skipExhaustiveSweepInDebugBuilds()
        let chunks = 256
        let mismatches = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
        defer { mismatches.deallocate() }
        let firstBad = UnsafeMutablePointer<UInt32>.allocate(capacity: chunks)
        defer { firstBad.deallocate() }
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var bad = 0, first: UInt32 = 0
            let base = UInt32(c) << 24
            for low in 0..<UInt32(1 << 24) {
                let u = base | low
                let f = Float(bitPattern: u)
                let got = BFloat16(f)
                var ok: Bool
                if f.isNaN {
                    ok = got.bitPattern == UInt16(u >> 16) | 0x0040 && BFloat16(exactly: f) == nil
                } else {
                    let want = ConversionTests.roundByAddition(Double(f))
                    ok = got.bitPattern == UInt16(Float(want).bitPattern >> 16)
                    // exactly: non-nil iff the value is a bfloat16 value.
                    ok = ok && (BFloat16(exactly: f) != nil) == (want == Double(f))
                }
                if !ok { if bad == 0 { first = u }; bad += 1 }
            }
            mismatches[c] = bad
            firstBad[c] = first
        }
        let seconds = Date().timeIntervalSince(start)
        let total = (0..<chunks).reduce(0) { $0 + mismatches[$1] }
        let example = (0..<chunks).first { mismatches[$0] != 0 }.map { String(firstBad[$0], radix: 16) } ?? "-"
        XCTAssertEqual(total, 0, "mismatches, first at float bits 0x\(example)")
        print("BFloat16(Float) over all 2^32 inputs: \(total) mismatches, \(String(format: "%.1f", seconds)) s")
    }

    /// A deterministic sample of float32 inputs, so a debug build checks the conversion too.
    func testFloat32SampleAndBoundaries() {
        var rng = SplitMix64(seed: 1)
        var inputs: [UInt32] = [0x0000_7FFF, 0x0000_8000, 0x0000_8001, 0x0001_8000, 0x007F_FFFF, 0x7F7F_7FFF,
                                0x7F7F_8000, 0x7F7F_FFFF, 0x7F80_0000, 0x7F80_0001, 0x7F80_FFFF, 0x7FC0_0000,
                                0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F81_7FFF]
        for _ in 0..<1_000_000 { inputs.append(UInt32(truncatingIfNeeded: rng.next())) }
        // Ties and near-ties in every binade.
        for e: UInt32 in 0..<256 {
            for low: UInt32 in [0x7FFF, 0x8000, 0x8001] {
                inputs.append(e << 23 | 0x10000 | low)
                inputs.append(e << 23 | low)
            }
        }
        for u in inputs + inputs.map({ $0 ^ 0x8000_0000 }) {
            let f = Float(bitPattern: u)
            XCTAssertEqual(BFloat16(f).bitPattern, Self.expectedBits(f), "float bits 0x\(String(u, radix: 16))")
            if !f.isNaN {  // the sweep's oracle agrees with the general one
                XCTAssertEqual(Float(Self.roundByAddition(Double(f))).bitPattern, Float(oracleRound(Double(f))).bitPattern)
            }
        }
        // A signaling NaN whose payload is only in the low half must not become infinity.
        XCTAssertEqual(BFloat16(Float(bitPattern: 0x7F80_0001)).bitPattern, 0x7FC0)
        XCTAssertEqual(BFloat16(Float(bitPattern: 0xFF80_0001)).bitPattern, 0xFFC0)
    }

    /// ml_dtypes `bfloat16` vectors (Tests/C/half_vectors.h, generated with ml_dtypes 0.6.0): equal bits,
    /// NaNs by NaN-ness and sign (ml_dtypes picks its own payload).
    func testMLDtypesVectors() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("C/half_vectors.h")
        let text = try String(contentsOf: url, encoding: .utf8)
        var rows = 0
        for line in text.split(separator: "\n") where line.hasPrefix("    {") {
            for row in line.split(separator: "}") {
                let fields = row.split(whereSeparator: { "{, ".contains($0) }).filter { $0.hasPrefix("0x") }
                guard fields.count == 3 else { continue }
                let u = UInt32(fields[0].dropFirst(2), radix: 16)!, b = UInt16(fields[1].dropFirst(2), radix: 16)!
                let got = BFloat16(Float(bitPattern: u))
                if Float(bitPattern: u).isNaN {
                    XCTAssertTrue(got.isNaN && (got.bitPattern & 0x8000) == (b & 0x8000))
                } else {
                    XCTAssertEqual(got.bitPattern, b, "float bits \(fields[0])")
                }
                rows += 1
            }
        }
        XCTAssertEqual(rows, 4083)
    }

    /// All 65536 encodings widen exactly: to Float (the upper half), to Double, and through the
    /// standard library's generic conversions (which read the BinaryFloatingPoint fields).
    func testWideningAllPatternsIsExact() {
        func generic<T: BinaryFloatingPoint>(_ x: BFloat16, as _: T.Type) -> T { T(x) }
        for b in 0...UInt16.max {
            let x = BFloat16(bitPattern: b), v = oracleValue(b)
            if v.isNaN {
                XCTAssertTrue(Float(x).isNaN && Double(x).isNaN && generic(x, as: Double.self).isNaN)
                XCTAssertEqual(Float(x).bitPattern, UInt32(b) << 16, "NaN payload kept")
                XCTAssertNil(Float(exactly: x))
                continue
            }
            XCTAssertEqual(Double(Float(x)), v)
            XCTAssertEqual(Float(x).sign, v.sign)
            XCTAssertEqual(Double(x), v)
            XCTAssertEqual(Double(x).sign, v.sign)
            XCTAssertEqual(Float(exactly: x).map(Double.init), v)
            XCTAssertEqual(generic(x, as: Double.self), v)
            XCTAssertEqual(generic(x, as: Float.self).bitPattern, Float(v).bitPattern)
            if v.isFinite && v.magnitude < 0x1p62 {
                XCTAssertEqual(Int(x), Int(v.rounded(.towardZero)))
                XCTAssertEqual(Int(exactly: x), Int(exactly: v))
            }
        }
    }

    /// Double inputs: random bit patterns, and exact bfloat16 midpoints and their Double neighbours in
    /// every binade (where rounding through Float would round twice).
    func testFromDouble() {
        var rng = SplitMix64(seed: 2)
        var inputs: [Double] = [0x1.01p0 + 0x1p-40, 0x1.01p0, 0x1.01p0 - 0x1p-40, 0x1.FFp127, 0x1.FFp127.nextDown,
                                0x1p-134, 0x1p-134.nextUp, 0x1p-134.nextDown, 0x1p-135, 0x1p-1074, 1e300,
                                Double.greatestFiniteMagnitude, .infinity, 0, 1]
        for _ in 0..<500_000 { inputs.append(Double(bitPattern: rng.next())) }
        for _ in 0..<500_000 {  // within bfloat16's range
            let e = Int.random(in: -140...130, using: &rng)
            inputs.append(Double(sign: .plus, exponent: e, significand: Double.random(in: 1..<2, using: &rng)))
        }
        for e in -134...127 {
            for m in stride(from: 257, through: 511, by: 2) {  // odd 9-bit significands: midpoints
                let mid = Double(m) * pow2(e - 8)
                inputs += [mid, mid.nextUp, mid.nextDown, mid + mid.ulp * 0x1p20, mid - mid.ulp * 0x1p20]
            }
        }
        func generic<T: BinaryFloatingPoint>(_ x: T) -> BFloat16 { BFloat16(x) }
        for d in inputs + inputs.map({ -$0 }) {
            let got = BFloat16(d)
            if d.isNaN {
                XCTAssertTrue(got.isNaN && got.sign == d.sign && !got.isSignalingNaN)
                continue
            }
            let want = d.isInfinite ? d : oracleRound(d)
            XCTAssertEqual(got.bitPattern, bits(ofBFloat16Value: want), "\(d) = \(d.bitPattern)")
            XCTAssertEqual(BFloat16(exactly: d)?.bitPattern, want == d ? got.bitPattern : nil, "\(d)")
            XCTAssertEqual(generic(d).bitPattern, got.bitPattern)
        }
        XCTAssertTrue(BFloat16(Double.nan).isNaN)
        XCTAssertEqual(BFloat16(-Double.nan).sign, .minus)
        XCTAssertEqual(BFloat16(Double(bitPattern: 0x7FF0_0000_0000_0001)).bitPattern, 0x7FC0)  // sNaN: quiet
    }

    #if compiler(>=6.0)
    /// Integers of several widths, with values at and next to bfloat16 midpoints, by an exact integer
    /// decomposition: n = hi + lo with hi = Double(n) and lo = n - hi computed in Int128.
    func testFromIntegers() throws {
        guard #available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, *) else {
            throw XCTSkip("needs Int128 for the exact oracle")
        }
        func expected(_ n: Int128) -> UInt16 {
            let hi = Double(n)
            let lo = Double(n - Int128(hi))  // exact difference; only its sign matters at a tie
            return bits(ofBFloat16Value: oracleRound(hi, lo))
        }
        var rng = SplitMix64(seed: 3)
        var values: [Int128] = [0, 1, -1, 255, 256, 257, 258, 259, 511, 513, Int128(Int64.max), Int128(Int64.min),
                                Int128(UInt64.max)]
        for shift in 0..<110 {
            for m in [257, 259, 383, 511] as [Int128] {
                let mid = m << shift
                values += [mid, mid + 1, mid - 1, -mid, -(mid + 1)]
            }
            for m in [1, 129, 255] as [Int128] { values += [m << shift, -(m << shift)] }  // exact
        }
        for _ in 0..<200_000 {
            let width = Int.random(in: 1...126, using: &rng)
            let v = Int128(truncatingIfNeeded: rng.next()) << 64 | Int128(rng.next())
            values.append(v >> (127 - width))
        }
        for n in values {
            let want = expected(n)
            XCTAssertEqual(BFloat16(n).bitPattern, want, "\(n)")
            if let i = Int64(exactly: n) {
                XCTAssertEqual(BFloat16(i).bitPattern, want, "\(n)")
                XCTAssertEqual(BFloat16(Int(i)).bitPattern, want, "\(n)")
            }
            if let u = UInt64(exactly: n) { XCTAssertEqual(BFloat16(u).bitPattern, want, "\(n)") }
            let exact = oracleValue(want) == Double(n) && Int128(Double(n)) == n
            XCTAssertEqual(BFloat16(exactly: n) != nil, exact, "\(n)")
        }
        // Beyond 128 bits: overflow at the threshold 2^128 - 2^119 (a tie that goes to the even 2^128).
        XCTAssertEqual(BFloat16(UInt128.max).bitPattern, 0x7F80)
        let threshold = UInt128.max - (UInt128(1) << 119) + 1
        XCTAssertEqual(BFloat16(threshold).bitPattern, 0x7F80)
        XCTAssertEqual(BFloat16(threshold - 1).bitPattern, 0x7F7F)
        XCTAssertEqual(BFloat16(exactly: UInt128(255) << 120)?.bitPattern, 0x7F7F)  // wider than 64 bits, exact
        XCTAssertNil(BFloat16(exactly: UInt128(255) << 120 + 1))
        XCTAssertEqual(BFloat16(Int8.min).bitPattern, 0xC300)
        XCTAssertEqual(BFloat16(UInt8.max).bitPattern, 0x437F)
    }
    #endif

    /// Float16 <-> BFloat16 for all 65536 patterns of each, against the value oracle.
    func testFloat16BothWays() throws {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        guard #available(macOS 11.0, iOS 14.0, watchOS 7.0, tvOS 14.0, *) else { throw XCTSkip("no Float16") }
        func generic<T: BinaryFloatingPoint>(_ x: T) -> BFloat16 { BFloat16(x) }
        for b in 0...UInt16.max {
            let h = Float16(bitPattern: b)
            if h.isNaN {
                XCTAssertTrue(BFloat16(h).isNaN && BFloat16(h).sign == h.sign && generic(h).isNaN)
            } else {
                let want = bits(ofBFloat16Value: oracleRound(Double(h)))
                XCTAssertEqual(BFloat16(h).bitPattern, want, "half 0x\(String(b, radix: 16))")
                XCTAssertEqual(generic(h).bitPattern, want, "generic, half 0x\(String(b, radix: 16))")
                XCTAssertEqual(BFloat16(exactly: h) != nil, oracleValue(want) == Double(h))
            }
            let x = BFloat16(bitPattern: b), v = oracleValue(b)
            if v.isNaN {
                XCTAssertTrue(Float16(x).isNaN)
            } else {
                let want = v.isInfinite ? v : oracleRound(v, format: .binary16)
                XCTAssertEqual(Double(Float16(x)), want, "bf16 0x\(String(b, radix: 16))")
                XCTAssertEqual(Float16(x).sign, v.sign)
            }
        }
        #else
        throw XCTSkip("no Float16 on macOS x86_64")
        #endif
    }

    #if !(os(Windows) || os(Android)) && (arch(i386) || arch(x86_64))
    /// Float80 (64-bit significands) through the generic BinaryFloatingPoint path.
    func testFromFloat80() {
        var rng = SplitMix64(seed: 4)
        var inputs: [Float80] = [0x1.01p0 + 0x1p-60, 0x1.01p0 - 0x1p-60, 0x1.01p0, 0x1p-134, 0x1p-134 + 0x1p-200,
                                 0x1.FFp127, 0x1.FFp127 - 0x1p60, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
                                 0x1p-16400, 0, .infinity]
        for _ in 0..<200_000 {
            let e = Int.random(in: -140...130, using: &rng)
            let sig = Float80(sign: .plus, exponentBitPattern: 0x3FFF, significandBitPattern: rng.next() >> 1)
            inputs.append(Float80(sign: .plus, exponent: e, significand: sig))
        }
        for x in inputs + inputs.map({ -$0 }) {
            let hi = Double(x), lo = Double(x - Float80(hi))
            let want = x.isInfinite ? Double(x) : (hi.isInfinite ? hi : oracleRound(hi, lo))
            XCTAssertEqual(BFloat16(x).bitPattern, bits(ofBFloat16Value: want), "\(x)")
        }
        XCTAssertTrue(BFloat16(Float80.nan).isNaN && BFloat16(-Float80.nan).sign == .minus)
    }
    #endif
}
