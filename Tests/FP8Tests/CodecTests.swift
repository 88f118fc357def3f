// SPDX-License-Identifier: Apache-2.0
import CFP8
import FP8
import FP8TestSupport
import XCTest

/// Encode/decode against the independent Double oracle, on every kernel set.
final class CodecTests: XCTestCase {
    let formats: [FP8Format] = [.e4m3, .e5m2]

    /// Library encode of float32 bit patterns through the bulk C API.
    func encode(_ fmt: FP8Format, _ bits: [UInt32], saturate: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: bits.count)
        bits.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: Float.self) { f in
                XCTAssertEqual(fp8_encode_f32(fmt.cValue, f.baseAddress, &out, f.count, saturate ? 1 : 0), 0)
            }
        }
        return out
    }

    func testDecodeAllCodesMatchesOracle() {
        let codes = (0...255).map { UInt8($0) }
        forEachKernelSet { set in
            for fmt in formats {
                let oracle = FormatOracle(fmt)
                var out = [Float](repeating: 0, count: 256)
                XCTAssertEqual(fp8_decode_f32(fmt.cValue, codes, &out, 256), 0)
                for c in 0..<256 {
                    let want = oracle.decode(UInt8(c)), got = out[c]
                    if want.isNaN {
                        XCTAssertTrue(got.isNaN, "\(set) \(fmt) 0x\(String(c, radix: 16))")
                        XCTAssertEqual(got.sign, c >= 0x80 ? .minus : .plus, "NaN keeps the code's sign")
                    } else {
                        XCTAssertEqual(Double(got), want, "\(set) \(fmt) code 0x\(String(c, radix: 16))")
                        XCTAssertEqual(got.sign, want.sign, "\(set) \(fmt) sign of 0x\(String(c, radix: 16))")
                    }
                }
            }
        }
    }

    /// Inputs where encoders go wrong: every FP8 value, every midpoint between neighbours (including
    /// the one towards the overflow value), their float32 neighbours, boundaries, subnormal ties, zeros,
    /// infinities, NaNs with payloads, float32 subnormals and extremes.
    func edgeInputs(_ fmt: FP8Format) -> [UInt32] {
        let oracle = FormatOracle(fmt)
        var values = oracle.finiteValues
        values.append(oracle.maxFinite + (fmt == .e4m3 ? 32 : 8192))  // the virtual overflow value
        var xs: [Float] = []
        for (i, v) in values.enumerated() {
            xs.append(Float(v))
            if i + 1 < values.count { xs.append(Float((v + values[i + 1]) / 2)) }  // exact midpoints
        }
        xs += [448, 464, 465, 479.99997, 480, 57344, 61439, 61440, 61441, 65536, 1e6, 3.4e38,
               Float(0x1p-10), 3 * Float(0x1p-10), 5 * Float(0x1p-10), 7.5 * Float(0x1p-9),
               Float(0x1p-17), 3 * Float(0x1p-17), 5 * Float(0x1p-17), 3.5 * Float(0x1p-16),
               .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 0, .infinity]
        var bits: [UInt32] = []
        for x in xs {
            for y in [x, x.nextUp, x.nextDown] where y >= 0 {
                bits.append(y.bitPattern)
                bits.append(y.bitPattern | 0x8000_0000)
            }
        }
        bits += [0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7FA0_0000,
                 0x0000_0001, 0x8000_0001, 0x007F_FFFF]
        return bits
    }

    func testEncodeEdgeCasesMatchOracleBothModes() {
        forEachKernelSet { set in
            for fmt in formats {
                let oracle = FormatOracle(fmt)
                let bits = edgeInputs(fmt)
                for sat in [false, true] {
                    let got = encode(fmt, bits, saturate: sat)
                    var bad = 0
                    for (i, b) in bits.enumerated() {
                        let want = oracle.encode(Double(Float(bits: b)), saturating: sat)
                        if got[i] != want {
                            bad += 1
                            if bad < 10 {
                                XCTFail("\(set) \(fmt) sat=\(sat) x=\(Float(bits: b)) (0x\(String(b, radix: 16))): got 0x\(String(got[i], radix: 16)) want 0x\(String(want, radix: 16))")
                            }
                        }
                    }
                    XCTAssertEqual(bad, 0)
                    XCTAssertGreaterThan(bits.count, 1000)
                }
            }
        }
    }

    func testNamedBoundaries() {
        // Spec examples (FP8-REFERENCE.md), checked through the Swift scalar API.
        XCTAssertEqual(Float8E4M3(Float(464)).bitPattern, 0x7E, "464 is a tie and rounds to 448")
        XCTAssertTrue(Float8E4M3(Float(465)).isNaN, "465 overflows to NaN (non-saturating)")
        XCTAssertEqual(Float8E4M3(saturating: Float(465)).bitPattern, 0x7E)
        XCTAssertEqual(Float8E4M3(saturating: -Float.infinity).bitPattern, 0xFE)
        XCTAssertTrue(Float8E4M3(Float.infinity).isNaN)
        XCTAssertEqual(Float8E5M2(Float(61439)).bitPattern, 0x7B)
        XCTAssertEqual(Float8E5M2(Float(61440)).bitPattern, 0x7C, "61440 is a tie and overflows to inf")
        XCTAssertEqual(Float8E5M2(saturating: Float(61440)).bitPattern, 0x7B)
        XCTAssertEqual(Float8E5M2(-Float.infinity).bitPattern, 0xFC)
        XCTAssertEqual(Float8E4M3(Float(0x1p-10)).bitPattern, 0x00)
        XCTAssertEqual(Float8E4M3(3 * Float(0x1p-10)).bitPattern, 0x02)
        XCTAssertEqual(Float8E4M3(5 * Float(0x1p-10)).bitPattern, 0x02)
        XCTAssertEqual(Float8E4M3(7.5 * Float(0x1p-9)).bitPattern, 0x08)
        XCTAssertEqual(Float8E4M3(Float(-0.0)).bitPattern, 0x80)
        XCTAssertEqual(Float8E5M2(Float(-0.0)).bitPattern, 0x80)
        XCTAssertEqual(Float8E4M3(-Float.nan).bitPattern, 0xFF)
        XCTAssertEqual(Float8E5M2(Float.nan).bitPattern, 0x7E)
        XCTAssertEqual(Float8E5M2(saturating: -Float.nan).bitPattern, 0xFE)
    }

    func testFloat64RoundsOnce() {
        XCTAssertEqual(Float(Float8E4M3(-431.99999999999994)), -416)
        // Through float32 it would be -432, a tie that rounds to -448: the double path must differ.
        XCTAssertEqual(Float(Float8E4M3(Float(-431.99999999999994))), -448)
        for fmt in formats {
            let oracle = FormatOracle(fmt)
            var xs: [Double] = []
            let vals = oracle.finiteValues
            for i in 0..<(vals.count - 1) {
                let mid = (vals[i] + vals[i + 1]) / 2
                xs += [mid, mid.nextUp, mid.nextDown, -mid.nextUp, -mid.nextDown, vals[i].nextUp]
            }
            xs += [464.00000000000006, 463.99999999999994, 61439.999999999993, 61440.000000000007, 1e300, -1e-300,
                   .infinity, -.infinity, .nan, 0, -0.0]
            for sat in [false, true] {
                var out = [UInt8](repeating: 0, count: xs.count)
                XCTAssertEqual(fp8_encode_f64(fmt.cValue, xs, &out, xs.count, sat ? 1 : 0), 0)
                for (i, x) in xs.enumerated() {
                    XCTAssertEqual(out[i], oracle.encode(x, saturating: sat), "\(fmt) sat=\(sat) x=\(x)")
                }
            }
        }
    }

    /// Every SIMD set equals scalar bit for bit, at sizes straddling vector widths and thread split
    /// points, and at unaligned offsets.
    func testKernelSetsAgreeOnRandomBitsAllSizesAndOffsets() throws {
        let sizes = [0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, (1 << 20) + 3]
        var rng = SplitMix64(seed: 42)
        let maxN = sizes.max()! + 4
        let bits = (0..<maxN).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
        let codes = (0..<maxN).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        func run(_ set: String) throws -> [[UInt8]] {
            try FP8Runtime.setKernelSet(set)
            var results: [[UInt8]] = []
            for fmt in formats {
                for n in sizes {
                    for offset in [0, 1, 3] {
                        let slice = Array(bits[offset..<(offset + n)])
                        results.append(encode(fmt, slice, saturate: false))
                        results.append(encode(fmt, slice, saturate: true))
                        var f = [Float](repeating: 0, count: n)
                        codes.withUnsafeBufferPointer { c in
                            _ = fp8_decode_f32(fmt.cValue, c.baseAddress! + offset, &f, n)
                        }
                        results.append(f.withUnsafeBytes { Array($0) })
                    }
                }
            }
            return results
        }
        let reference = try run("scalar")
        var compared = 0
        try forEachKernelSet { set in
            guard set != "scalar" else { return }
            let got = try run(set)
            for (i, r) in reference.enumerated() where got[i] != r {
                XCTFail("\(set) differs from scalar in case \(i)")
            }
            compared += 1
        }
        if machineHasSIMD() { XCTAssertGreaterThan(compared, 0) }
    }

    /// All 2^32 float32 bit patterns, both formats, both modes: each SIMD set equals scalar.
    /// Release builds only (see ``skipExhaustiveSweepInDebugBuilds()``).
    func testExhaustiveAllFloat32SIMDEqualsScalar() throws {
        try skipExhaustiveSweepInDebugBuilds()
        let simd = FP8Runtime.supportedKernelSets.filter { $0 != "scalar" }
        if machineHasSIMD() { XCTAssertFalse(simd.isEmpty) }
        guard !simd.isEmpty else { return }
        defer { try? FP8Runtime.setKernelSet(nil) }
        let chunk = 1 << 24
        var input = [UInt32](repeating: 0, count: chunk)
        var want = [UInt8](repeating: 0, count: chunk), got = want
        var mismatches = 0, checked = 0
        for base in stride(from: 0, to: 1 << 32, by: chunk) {
            for i in 0..<chunk { input[i] = UInt32(truncatingIfNeeded: base + i) }
            for fmt in formats {
                for sat: Int32 in [0, 1] {
                    input.withUnsafeBufferPointer { b in
                        b.withMemoryRebound(to: Float.self) { f in
                            _ = fp8_set_kernels("scalar")
                            _ = fp8_encode_f32(fmt.cValue, f.baseAddress, &want, chunk, sat)
                            for set in simd {
                                _ = fp8_set_kernels(set)
                                _ = fp8_encode_f32(fmt.cValue, f.baseAddress, &got, chunk, sat)
                                if got != want {
                                    for i in 0..<chunk where got[i] != want[i] {
                                        mismatches += 1
                                        if mismatches < 10 {
                                            XCTFail("\(set) \(fmt) sat=\(sat) 0x\(String(input[i], radix: 16)): \(got[i]) vs scalar \(want[i])")
                                        }
                                    }
                                }
                            }
                        }
                    }
                    checked += chunk
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(checked, 4 << 32, "every pattern, 2 formats x 2 modes")
    }

    func testStochasticRounding() throws {
        for fmt in formats {
            let oracle = FormatOracle(fmt)
            var rng = SplitMix64(seed: 7)
            let xs = (0..<(1 << 16)).map { _ in Float(rng.gaussian() * 100) }
            var out = [UInt8](repeating: 0, count: xs.count)
            XCTAssertEqual(fp8_encode_f32_stochastic(fmt.cValue, xs, &out, xs.count, 1, 99), 0)
            // Always one of the two neighbours.
            for (i, x) in xs.enumerated() {
                let v = oracle.decode(out[i]), d = Double(x)
                let vals = oracle.finiteValues
                let a = abs(d)
                let lo = vals.last(where: { $0 <= a })!, hi = vals.first(where: { $0 >= a }) ?? oracle.maxFinite
                XCTAssertTrue(abs(v) == lo || abs(v) == hi, "\(fmt) \(x) -> \(v)")
                if v != 0 { XCTAssertEqual(v.sign, d.sign) }
            }
            // Deterministic for a seed, different for another, independent of thread count.
            var again = [UInt8](repeating: 0, count: xs.count), other = again
            _ = fp8_encode_f32_stochastic(fmt.cValue, xs, &again, xs.count, 1, 99)
            _ = fp8_encode_f32_stochastic(fmt.cValue, xs, &other, xs.count, 1, 100)
            XCTAssertEqual(out, again)
            XCTAssertNotEqual(out, other)
            let big = (0..<(1 << 19) + 5).map { _ in Float(rng.gaussian()) }
            var b1 = [UInt8](repeating: 0, count: big.count), b2 = b1, b3 = b1
            withThreads(1) { _ = fp8_encode_f32_stochastic(fmt.cValue, big, &b1, big.count, 0, 5) }
            withThreads(2) { _ = fp8_encode_f32_stochastic(fmt.cValue, big, &b2, big.count, 0, 5) }
            withThreads(3) { _ = fp8_encode_f32_stochastic(fmt.cValue, big, &b3, big.count, 0, 5) }
            XCTAssertEqual(b1, b2)
            XCTAssertEqual(b1, b3)
            // Unbiased: many draws of one value average to it (a value 30% of the way up a gap).
            let vals = oracle.finiteValues
            let lo = vals[20], hi = vals[21]
            let x = Float(lo + 0.3 * (hi - lo))
            let n = 200_000
            var codes = [UInt8](repeating: 0, count: n)
            _ = fp8_encode_f32_stochastic(fmt.cValue, [Float](repeating: x, count: n), &codes, n, 0, 1234)
            let mean = codes.reduce(0.0) { $0 + oracle.decode($1) } / Double(n)
            let sigma = (hi - lo) * (0.3 * 0.7 / Double(n)).squareRoot()
            XCTAssertEqual(mean, Double(x), accuracy: 5 * sigma, "\(fmt) mean of stochastic rounding")
            // Exactly representable values never move.
            _ = fp8_encode_f32_stochastic(fmt.cValue, [Float](repeating: Float(lo), count: 1000), &codes, 1000, 0, 1)
            XCTAssertTrue(codes.prefix(1000).allSatisfy { oracle.decode($0) == lo })
        }
    }

    func testBadArgumentsFromC() {
        var f: Float = 1
        var q: UInt8 = 0
        var d: Double = 1
        XCTAssertEqual(fp8_encode_f32(fp8_format(rawValue: 7), &f, &q, 1, 0), FP8_ERR_BAD_FORMAT.rawValue)
        XCTAssertEqual(fp8_encode_f32(FP8_E4M3, nil, &q, 1, 0), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_encode_f32(FP8_E4M3, &f, nil, 1, 0), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_encode_f32(FP8_E4M3, nil, nil, 0, 0), 0, "NULL with n = 0 is fine")
        XCTAssertEqual(fp8_encode_f32(FP8_E4M3, &f, &q, 1, 2), FP8_ERR_BAD_ARGUMENT.rawValue)
        XCTAssertEqual(fp8_decode_f32(fp8_format(rawValue: 2), &q, &f, 1), FP8_ERR_BAD_FORMAT.rawValue)
        XCTAssertEqual(fp8_decode_f32(FP8_E5M2, nil, &f, 1), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_encode_f64(FP8_E5M2, &d, nil, 1, 0), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_encode_f64(FP8_E5M2, &d, &q, 1, -1), FP8_ERR_BAD_ARGUMENT.rawValue)
        XCTAssertEqual(fp8_encode_f32_stochastic(fp8_format(rawValue: UInt32.max), &f, &q, 1, 0, 0), FP8_ERR_BAD_FORMAT.rawValue)
        XCTAssertEqual(String(cString: fp8_status_string(FP8_ERR_BAD_FORMAT.rawValue)), "unknown FP8 format")
        XCTAssertEqual(String(cString: fp8_status_string(-1000)), "unknown status")
        // Nothing written on error.
        XCTAssertEqual(q, 0)
        try? FP8Runtime.setKernelSet(nil)
        let best = FP8Runtime.kernelSet
        XCTAssertEqual(fp8_set_kernels("no-such-set"), FP8_ERR_UNSUPPORTED.rawValue)
        XCTAssertEqual(FP8Runtime.kernelSet, best, "falls back to the best set")
        XCTAssertThrowsError(try FP8Runtime.setKernelSet("no-such-set"))
        try? FP8Runtime.setKernelSet(nil)
        XCTAssertEqual(fp8_set_num_threads(-1), FP8_ERR_BAD_ARGUMENT.rawValue)
        XCTAssertEqual(fp8_set_num_threads(100000), FP8_ERR_BAD_ARGUMENT.rawValue)
    }

    func testSwiftBufferSizeMismatchThrows() throws {
        let src: [Float] = [1, 2, 3]
        var dst = [Float8E4M3](repeating: 0, count: 2)
        try src.withUnsafeBufferPointer { s in
            try dst.withUnsafeMutableBufferPointer { d in
                XCTAssertThrowsError(try Float8E4M3.encode(s, into: d)) { e in
                    XCTAssertEqual(e as? FP8Error, .sizeMismatch(expected: 3, actual: 2))
                }
            }
        }
        var out = [Float](repeating: 0, count: 4)
        try dst.withUnsafeBufferPointer { s in
            try out.withUnsafeMutableBufferPointer { d in
                XCTAssertThrowsError(try Float8E4M3.decode(s, into: d))
            }
        }
    }
}
