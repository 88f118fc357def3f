// SPDX-License-Identifier: Apache-2.0
import CFP8
import FP8
import FP8TestSupport
import XCTest

/// Block quantization against an independent model of the scale rules and the Double format oracle.
final class QuantizationTests: XCTestCase {
    let shapes = [(1, 1), (1, 127), (3, 129), (130, 257)]
    let granularities: [Granularity] = [.tensor, .row, .tile(128), .block(128, 128), .mx, .tile(32), .block(2, 3)]
    let rules: [ScaleRule] = [.amax, .powerOfTwo, .mx]

    /// The expected scale of a block with absolute maximum `amax` (the rules of fp8.h, in Double).
    func expectedScale(amax: Float, format: FP8Format, rule: ScaleRule) -> Float {
        let maxf = format.greatestFiniteMagnitude
        let amaxEff = max(amax, Float(Double(maxf) * pow2(-126)))
        switch rule {
        case .amax: return amaxEff / maxf
        case .powerOfTwo:
            let s = Double(amaxEff / maxf)
            let e = s.exponent  // s = m * 2^e, m in [1, 2)
            return Float(s == pow2(Int(e)) ? s : pow2(Int(e) + 1))
        case .mx:
            return Float(pow2(Int(Double(amaxEff).exponent) - (format == .e4m3 ? 8 : 15)))
        }
    }

    func data(rows: Int, cols: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<(rows * cols)).map { _ in Float(g.gaussian() * expDouble(4 * g.uniform() - 2)) }
    }

    /// Checks scales and codes of `q` element by element against the model.
    func verify(_ q: QuantizedMatrix, _ x: [Float], rule: ScaleRule, _ ctx: String) {
        let oracle = FormatOracle(q.format)
        let vals = oracle.finiteValues  // once: building it per element made this test slow in debug builds
        let (rows, cols, br, bc) = (q.rows, q.cols, q.blockRows, q.blockCols)
        XCTAssertEqual(q.scales.count, q.scaleRows * q.scaleCols, ctx)
        for bi in 0..<q.scaleRows {
            for bj in 0..<q.scaleCols {
                var amax: Float = 0
                for r in (bi * br)..<min(rows, (bi + 1) * br) {
                    for c in (bj * bc)..<min(cols, (bj + 1) * bc) { amax = max(amax, abs(x[r * cols + c])) }
                }
                let s = q.scales[bi * q.scaleCols + bj]
                let want = expectedScale(amax: amax, format: q.format, rule: rule)
                XCTAssertEqual(s, want, "\(ctx) block (\(bi), \(bj)) amax \(amax)")
                if rule != .amax { XCTAssertEqual(s, Float(pow2(Int(Double(s).exponent))), "\(ctx) power of two") }
                let inv = 1 / s
                for r in (bi * br)..<min(rows, (bi + 1) * br) {
                    for c in (bj * bc)..<min(cols, (bj + 1) * bc) {
                        let i = r * cols + c
                        let wantCode = oracle.encode(Double(x[i] * inv), saturating: true)
                        if q.codes[i] != wantCode {
                            XCTFail("\(ctx) (\(r), \(c)) x=\(x[i]) code \(q.codes[i]) want \(wantCode)")
                            return
                        }
                        // Within half a grid step of the clamped scaled input, up to the reciprocal's rounding.
                        let y = min(Double(abs(x[i])) / Double(s), oracle.maxFinite)
                        let v = abs(oracle.decode(q.codes[i]))
                        let lo = vals.last(where: { $0 <= y }) ?? 0, hi = vals.first(where: { $0 >= y }) ?? oracle.maxFinite
                        XCTAssertLessThanOrEqual(abs(v - y), min(y - lo, hi - y) + y * 0x1p-22, "\(ctx) (\(r), \(c))")
                    }
                }
            }
        }
    }

    func testScaleRulesAndCodesOnAwkwardShapes() throws {
        try forEachKernelSet { set in
            for (rows, cols) in shapes {
                let x = data(rows: rows, cols: cols, seed: UInt64(rows * 1000 + cols))
                for f in FP8Format.allCases {
                    for g in granularities {
                        for rule in rules {
                            let q = try QuantizedMatrix(quantizing: x, rows: rows, cols: cols, format: f, granularity: g, rule: rule)
                            verify(q, x, rule: rule, "\(set) \(rows)x\(cols) \(f) \(g) \(rule)")
                        }
                    }
                }
            }
        }
    }

    func testAllZeroOutlierAndSubnormalBlocks() throws {
        let rows = 3, cols = 300
        var x = [Float](repeating: 0, count: rows * cols)
        for c in 128..<256 { x[c] = Float(c) * 1e-3 }
        x[cols + 5] = 1e30  // a single huge outlier in row 1, tile 0
        for c in 0..<cols where c != 5 { x[cols + c] = 1 }
        for c in 0..<cols { x[2 * cols + c] = Float(bitPattern: UInt32(c + 1)) }  // float32 subnormals
        for f in FP8Format.allCases {
            for rule in rules {
                let q = try QuantizedMatrix(quantizing: x, rows: rows, cols: cols, format: f, granularity: .tile(128), rule: rule)
                verify(q, x, rule: rule, "special \(f) \(rule)")
                XCTAssertTrue(q.scales.allSatisfy { $0.isFinite && $0 > 0 && $0.isNormal }, "finite positive normal scales")
                XCTAssertEqual(q.codes[0], 0, "all-zero tile stays zero")
                // The outlier only costs precision inside its own tile: row 1, tiles 1 and 2 are exact.
                let d = q.dequantized()
                for c in 128..<cols { XCTAssertEqual(d[cols + c], 1, "\(f) \(rule) col \(c)") }
                XCTAssertEqual(d[cols + 5] / 1e30, 1, accuracy: f == .e4m3 ? 0.0625 : 0.125)
            }
        }
    }

    func testNonFiniteInputRejectedWithLocationAndPoisonedOutputs() {
        for f in FP8Format.allCases {
            for (r, c, v) in [(0, 0, Float.nan), (2, 130, Float.infinity), (129, 256, -Float.infinity)] {
                let rows = 130, cols = 257
                var x = data(rows: rows, cols: cols, seed: 9)
                x[r * cols + c] = v
                if r == 129 { x[129 * cols + 257 - 1] = .nan; x[129 * cols + 256] = v }
                if r == 2 { x[100 * cols + 3] = .nan }  // a later one: the first in row-major order wins
                XCTAssertThrowsError(try QuantizedMatrix(quantizing: x, rows: rows, cols: cols, format: f, granularity: .tile(128))) { e in
                    XCTAssertEqual(e as? FP8Error, .nonFinite(row: r, column: c), "\(f) \(v) at (\(r), \(c))")
                }
                var q = [UInt8](repeating: 0, count: rows * cols), s = [Float](repeating: 1, count: rows * 3)
                var br = 0, bc = 0
                let st = fp8_quantize_f32_ex(f.cValue, x, rows, cols, cols, 1, 128, FP8_SCALE_AMAX, &q, cols, &s, &br, &bc)
                XCTAssertEqual(st, FP8_ERR_NON_FINITE.rawValue)
                XCTAssertEqual([br, bc], [r, c])
                XCTAssertTrue(s.allSatisfy(\.isNaN), "scales poisoned")
                let nanCode: UInt8 = f == .e4m3 ? 0x7F : 0x7E
                XCTAssertTrue(q.allSatisfy { $0 & 0x7F == nanCode }, "codes poisoned")
            }
        }
    }

    func testBadShapesAndArgumentsFromC() {
        var x = [Float](repeating: 1, count: 64), s = [Float](repeating: 0, count: 64)
        var q = [UInt8](repeating: 0, count: 64)
        func quant(_ f: fp8_format = FP8_E4M3, rows: Int = 4, cols: Int = 8, ldx: Int = 8, br: Int = 1, bc: Int = 4,
                   rule: fp8_scale_rule = FP8_SCALE_AMAX, ldq: Int = 8) -> Int32 {
            fp8_quantize_f32(f, x, rows, cols, ldx, br, bc, rule, &q, ldq, &s)
        }
        XCTAssertEqual(quant(), 0)
        XCTAssertEqual(quant(fp8_format(rawValue: 5)), FP8_ERR_BAD_FORMAT.rawValue)
        XCTAssertEqual(quant(br: 0), FP8_ERR_BAD_SHAPE.rawValue)
        XCTAssertEqual(quant(bc: 0), FP8_ERR_BAD_SHAPE.rawValue)
        XCTAssertEqual(quant(ldx: 7), FP8_ERR_BAD_SHAPE.rawValue)
        XCTAssertEqual(quant(ldq: 7), FP8_ERR_BAD_SHAPE.rawValue)
        XCTAssertEqual(quant(rule: fp8_scale_rule(rawValue: 9)), FP8_ERR_BAD_ARGUMENT.rawValue)
        XCTAssertEqual(quant(rows: Int.max / 2, ldx: 8), FP8_ERR_SIZE_OVERFLOW.rawValue)
        XCTAssertEqual(fp8_quantize_f32(FP8_E4M3, nil, 4, 8, 8, 1, 4, FP8_SCALE_AMAX, &q, 8, &s), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_quantize_f32(FP8_E4M3, x, 4, 8, 8, 1, 4, FP8_SCALE_AMAX, nil, 8, &s), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_quantize_f32(FP8_E4M3, x, 4, 8, 8, 1, 4, FP8_SCALE_AMAX, &q, 8, nil), FP8_ERR_NULL_POINTER.rawValue)
        XCTAssertEqual(fp8_quantize_f32(FP8_E4M3, nil, 0, 8, 8, 1, 4, FP8_SCALE_AMAX, nil, 8, nil), 0, "empty is fine")
        q.withUnsafeBufferPointer { qp in
            s.withUnsafeBufferPointer { sp in
                var m = fp8_matrix(format: FP8_E4M3, rows: 4, cols: 8, ld: 8, data: qp.baseAddress, scales: sp.baseAddress,
                                   block_rows: 1, block_cols: 4)
                XCTAssertEqual(fp8_dequantize_f32(&m, &x, 8), 0)
                XCTAssertEqual(fp8_dequantize_f32(&m, &x, 7), FP8_ERR_BAD_SHAPE.rawValue)
                XCTAssertEqual(fp8_dequantize_f32(nil, &x, 8), FP8_ERR_NULL_POINTER.rawValue)
                m.block_cols = 0
                XCTAssertEqual(fp8_dequantize_f32(&m, &x, 8), FP8_ERR_BAD_SHAPE.rawValue)
                m.block_cols = 4
                m.ld = 3
                XCTAssertEqual(fp8_dequantize_f32(&m, &x, 8), FP8_ERR_BAD_SHAPE.rawValue)
            }
        }
        // Swift-side errors.
        XCTAssertThrowsError(try QuantizedMatrix(quantizing: [1, 2, 3], rows: 2, cols: 2, granularity: .row))
        XCTAssertThrowsError(try QuantizedMatrix(quantizing: [1, 2], rows: 1, cols: 2, granularity: .tile(0)))
        XCTAssertThrowsError(try QuantizedMatrix(codes: [0, 0] as [Float8E4M3], scales: [1], rows: 1, cols: 2, blockRows: 1, blockCols: 1))
        XCTAssertThrowsError(try QuantizedMatrix(codes: [0, 0] as [Float8E5M2], scales: [-1], rows: 1, cols: 2, blockRows: 1, blockCols: 2))
    }

    func testDeepSeekLayoutImportAndE8M0RoundTrip() throws {
        let n = 300, k = 260
        let w = data(rows: n, cols: k, seed: 77)
        let q = try QuantizedMatrix(quantizing: w, rows: n, cols: k, granularity: .block(128, 128), rule: .powerOfTwo)
        XCTAssertEqual(q.scaleRows, 3)
        XCTAssertEqual(q.scaleCols, 3)
        // Import the same codes and weight_scale_inv as a checkpoint would ship them.
        let imported = try QuantizedMatrix(codes: q.codes, scales: q.scales, rows: n, cols: k, blockRows: 128, blockCols: 128, format: .e4m3)
        let oracle = FormatOracle(.e4m3)
        let d = imported.dequantized()
        for r in 0..<n {
            for c in 0..<k {
                let want = Float(oracle.decode(q.codes[r * k + c])) * q.scales[(r / 128) * 3 + c / 128]
                XCTAssertEqual(d[r * k + c], want)
            }
        }
        // E8M0: power-of-two scales survive the byte round trip.
        let bytes = try q.e8m0Scales()
        for (i, b) in bytes.enumerated() { XCTAssertEqual(Double(q.scales[i]), pow2(Int(b) - 127)) }
        let back = try QuantizedMatrix(codes: q.codes, e8m0Scales: bytes, rows: n, cols: k, blockRows: 128, blockCols: 128, format: .e4m3)
        XCTAssertEqual(back.scales, q.scales)
        // Non-power-of-two scales cannot be exported; the NaN byte cannot be imported.
        let amaxQ = try QuantizedMatrix(quantizing: w, rows: n, cols: k, granularity: .block(128, 128), rule: .amax)
        XCTAssertThrowsError(try amaxQ.e8m0Scales())
        XCTAssertThrowsError(try QuantizedMatrix(codes: q.codes, e8m0Scales: [0xFF] + bytes.dropFirst(), rows: n, cols: k,
                                                 blockRows: 128, blockCols: 128, format: .e4m3))
        var f = [Float](repeating: 0, count: 3)
        XCTAssertEqual(fp8_scales_from_e8m0([0, 127, 254], &f, 3), 0)
        XCTAssertEqual(f, [Float(pow2(-127)), 1, Float(pow2(127))])
        var e = [UInt8](repeating: 0, count: 1)
        XCTAssertEqual(fp8_scales_to_e8m0([Float(pow2(-127))], &e, 1), 0)
        XCTAssertEqual(e, [0])
        XCTAssertEqual(fp8_scales_to_e8m0([3], &e, 1), FP8_ERR_BAD_SCALE.rawValue)
        XCTAssertEqual(fp8_scales_to_e8m0([.infinity], &e, 1), FP8_ERR_BAD_SCALE.rawValue)
    }

    func testKernelSetsAndThreadCountsAgreeBitForBit() throws {
        let rows = 1031, cols = 1153  // > one thread task, ragged edges
        var x = data(rows: rows, cols: cols, seed: 5)
        x[7] = Float.leastNonzeroMagnitude * 700  // a float32 subnormal
        var results: [[UInt8]] = [], scales: [[Float]] = []
        try forEachKernelSet { _ in
            for threads in [1, 2, 3] {
                try withThreads(threads) {
                    for (g, rule) in [(Granularity.tile(128), ScaleRule.amax), (.block(128, 128), .powerOfTwo), (.mx, .mx), (.tensor, .amax)] {
                        let q = try QuantizedMatrix(quantizing: x, rows: rows, cols: cols, granularity: g, rule: rule)
                        results.append(q.codes)
                        scales.append(q.scales)
                        results.append(q.dequantized().withUnsafeBytes { Array($0) })
                    }
                }
            }
        }
        let per = results.count / (scales.count / 4)
        XCTAssertGreaterThan(results.count, per)
        for i in per..<results.count { XCTAssertEqual(results[i], results[i % per], "run \(i / per) case \(i % per)") }
        for i in 4..<scales.count { XCTAssertEqual(scales[i], scales[i % 4]) }
    }

    func testStridedInputBuffer() throws {
        let rows = 5, cols = 130, ld = 141
        var x = [Float](repeating: .nan, count: (rows - 1) * ld + cols)  // padding holds NaN: must be ignored
        let dense = data(rows: rows, cols: cols, seed: 3)
        for r in 0..<rows { for c in 0..<cols { x[r * ld + c] = dense[r * cols + c] } }
        let a = try x.withUnsafeBufferPointer { try QuantizedMatrix(quantizing: $0, rows: rows, cols: cols, ld: ld, granularity: .tile(128)) }
        let b = try QuantizedMatrix(quantizing: dense, rows: rows, cols: cols, granularity: .tile(128))
        XCTAssertEqual(a.codes, b.codes)
        XCTAssertEqual(a.scales, b.scales)
    }

    func testErrorMetrics() {
        XCTAssertEqual(try ErrorMetrics.normwiseRelativeError([3, 4], reference: [3, 4] as [Float]), 0)
        XCTAssertEqual(try ErrorMetrics.normwiseRelativeError([3, 5], reference: [3, 4] as [Float]), 0.2, accuracy: 1e-15)
        XCTAssertEqual(try ErrorMetrics.normwiseRelativeError([3, 5], reference: [3, 4] as [Double]), 0.2, accuracy: 1e-15)
        XCTAssertEqual(try ErrorMetrics.maxAbsError([1, 5], reference: [1.5, 4]), 1)
        XCTAssertEqual(try ErrorMetrics.sqnr([3, 5], reference: [3, 4]), 10 * log10(25.0), accuracy: 1e-12)
        XCTAssertEqual(try ErrorMetrics.calcDiff([1, 2], [1, 2]), 0, accuracy: 1e-15)
        XCTAssertEqual(try ErrorMetrics.calcDiff([1, 0], [0, 1]), 1, accuracy: 1e-15)
    }
}
