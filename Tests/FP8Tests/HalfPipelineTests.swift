// SPDX-License-Identifier: Apache-2.0
import FP8
import FP8TestSupport
import SafeTensors
import XCTest

/// BF16 / F16 through the Swift API (issue 11): quantizing, dequantizing, matmul and bulk conversions
/// with 16-bit elements, checked against the float32 paths and independent roundings.
final class HalfPipelineTests: XCTestCase {
    /// bfloat16 of a finite float by value: the nearer of the two neighbours, ties to the even one,
    /// computed in Double (independent of the bit tricks the library and BFloat16Module use).
    func bf16Oracle(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let u = x.bitPattern
        let lo = UInt16(truncatingIfNeeded: u >> 16)  // truncation toward zero
        let loV = Double(Float(bitPattern: UInt32(lo) << 16)), hiV = Double(Float(bitPattern: (UInt32(lo) + 1) << 16))
        let d = Double(x)
        let dl = abs(d - loV), dh = abs(hiV - d)
        if dl < dh { return lo }
        if dh < dl { return lo &+ 1 }
        return lo & 1 == 0 ? lo : lo &+ 1
    }

    func gaussianBF16(_ n: Int, seed: UInt64, scale: Double = 1) -> [BFloat16] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in BFloat16(bitPattern: bf16Oracle(Float(rng.gaussian() * scale))) }
    }

    func testQuantizeFromBF16AndF16EqualsFloat32Widening() throws {
        let rows = 67, cols = 300
        let b = gaussianBF16(rows * cols, seed: 1, scale: 3)
        let h = b.map { Float16(Float($0)) }  // 3-sigma Gaussians are exact enough; Float16 rounds them once
        let options: [QuantizationOptions] = [.init(), .deepGEMM, .deepGEMMUE8M0, .deepSeekActQuant,
                                              .init(rule: .mx, amaxFloor: 0.5)]
        try forEachKernelSet { set in
            for g in [Granularity.tile(128), .block(128, 128), .row, .tensor, .mx, .block(3, 5)] {
                for o in options {
                    let qb = try QuantizedMatrix(quantizing: b, rows: rows, cols: cols, granularity: g, options: o)
                    let qf = try QuantizedMatrix(quantizing: b.map { Float($0) }, rows: rows, cols: cols, granularity: g, options: o)
                    XCTAssertEqual(qb, qf, "\(set) \(g) \(o) bf16")
                    let qh = try QuantizedMatrix(quantizing: h, rows: rows, cols: cols, granularity: g, options: o)
                    let qhf = try QuantizedMatrix(quantizing: h.map { Float($0) }, rows: rows, cols: cols, granularity: g, options: o)
                    XCTAssertEqual(qh, qhf, "\(set) \(g) \(o) f16")
                }
            }
        }
    }

    func testPresetsAndOptions() throws {
        // An all-zero 1 x 128 tile: DeepGEMM's floor gives s = fl(1e-4) / 448, the default a tiny scale.
        let zeros = [BFloat16](repeating: 0, count: 128)
        let q = try QuantizedMatrix(quantizing: zeros, rows: 1, cols: 128, granularity: .tile(128), options: .deepGEMM)
        XCTAssertEqual(q.scales, [Float(1e-4) / 448])
        let q2 = try QuantizedMatrix(quantizing: zeros, rows: 1, cols: 128, granularity: .tile(128), options: .deepGEMMUE8M0)
        XCTAssertEqual(q2.scales, [Float(0x1p-22)])  // 2.23e-7 rounded up to a power of two
        // True division differs from the reciprocal on some BF16-valued data: 87.5 / 7 style ties.
        let x = gaussianBF16(64 * 128, seed: 9, scale: 2)
        let qd = try QuantizedMatrix(quantizing: x, rows: 64, cols: 128, granularity: .tile(128), options: .deepSeekActQuant)
        let qm = try QuantizedMatrix(quantizing: x, rows: 64, cols: 128, granularity: .tile(128), options: .deepGEMM)
        XCTAssertEqual(qd.scales, qm.scales)
        // each code of the division mode is the nearest E4M3 to x / s (checked in Double)
        var differ = 0
        for i in 0..<x.count {
            let s = qd.scales[i / 128]
            let want = Float8E4M3(saturating: Float(x[i]) / s)
            XCTAssertEqual(qd.codes[i], want.bitPattern, "element \(i)")
            if qd.codes[i] != qm.codes[i] { differ += 1 }
        }
        XCTAssertLessThan(differ, x.count / 100)
        // Static scales: used as given, copied out; bad ones are rejected.
        let st = [Float](repeating: 0.01, count: 64)
        let qs = try QuantizedMatrix(quantizing: x, rows: 64, cols: 128, granularity: .tile(128), options: .init(staticScales: st))
        XCTAssertEqual(qs.scales, st)
        for i in 0..<x.count { XCTAssertEqual(qs.codes[i], Float8E4M3(saturating: Float(x[i]) * (1 / Float(0.01))).bitPattern) }
        XCTAssertThrowsError(try QuantizedMatrix(quantizing: x, rows: 64, cols: 128, granularity: .tile(128),
                                                 options: .init(staticScales: [1, 2]))) {
            XCTAssertEqual($0 as? FP8Error, .sizeMismatch(expected: 64, actual: 2))
        }
        var bad = st
        bad[5] = 0
        XCTAssertThrowsError(try QuantizedMatrix(quantizing: x, rows: 64, cols: 128, granularity: .tile(128),
                                                 options: .init(staticScales: bad))) {
            guard case .badScale = $0 as? FP8Error else { return XCTFail("\($0)") }
        }
        for f in [-1, Float.nan, .infinity] {
            XCTAssertThrowsError(try QuantizedMatrix(quantizing: x, rows: 64, cols: 128, granularity: .tile(128),
                                                     options: .init(amaxFloor: f))) {
                guard case .badArgument = $0 as? FP8Error else { return XCTFail("\($0)") }
            }
        }
        var nanX = x
        nanX[300] = .nan
        XCTAssertThrowsError(try QuantizedMatrix(quantizing: nanX, rows: 64, cols: 128, granularity: .tile(128), options: .deepGEMM)) {
            XCTAssertEqual($0 as? FP8Error, .nonFinite(row: 2, column: 44))
        }
    }

    func testDequantizeToBF16AndF16RoundsTheFloat32ProductOnce() throws {
        var rng = SplitMix64(seed: 4)
        let rows = 130, cols = 257  // partial 128 x 128 blocks at both edges
        let w = (0..<(rows * cols)).map { _ in Float(rng.gaussian() * 1e3) }
        try forEachKernelSet { set in
            for g in [Granularity.block(128, 128), .tile(128)] {
                let q = try QuantizedMatrix(quantizing: w, rows: rows, cols: cols, granularity: g)
                let f = q.dequantized()
                XCTAssertEqual(q.dequantized(as: Float.self), f)
                let b = q.dequantized(as: BFloat16.self)
                let h = q.dequantized(as: Float16.self)
                for i in 0..<f.count {
                    XCTAssertEqual(b[i].bitPattern, bf16Oracle(f[i]), "\(set) \(g) element \(i)")
                    XCTAssertEqual(h[i], Float16(f[i]), "\(set) \(g) element \(i)")  // the stdlib's rounding
                }
            }
        }
    }

    func testMatmulWithBF16ActivationsOutputAndBias() throws {
        var rng = SplitMix64(seed: 8)
        let n = 300, k = 520
        let w = (0..<(n * k)).map { _ in Float(rng.gaussian()) }
        let qw = try QuantizedMatrix(quantizing: w, rows: n, cols: k, granularity: .block(128, 128))
        let bias = (0..<n).map { _ in Float(rng.gaussian()) }
        try forEachKernelSet { set in
            for m in [1, 5, 16, 40] {
                let a = gaussianBF16(m * k, seed: UInt64(m))
                let a32 = a.map { Float($0) }
                let ref = try matmul(a32, rows: m, qw)  // float32 activations and output, no bias
                let c16: [BFloat16] = try matmul(a, rows: m, qw, bias: bias, as: BFloat16.self)
                let c32: [Float] = try matmul(a, rows: m, qw, bias: bias, as: Float.self)
                let ch: [Float16] = try matmul(a, rows: m, qw, as: Float16.self)
                for i in 0..<(m * n) {
                    let t = ref[i] + bias[i % n]
                    XCTAssertEqual(c32[i].bitPattern, t.bitPattern, "\(set) M=\(m) element \(i)")
                    XCTAssertEqual(c16[i].bitPattern, bf16Oracle(t), "\(set) M=\(m) element \(i)")
                    XCTAssertEqual(ch[i], Float16(ref[i]), "\(set) M=\(m) element \(i)")
                }
                // FP8 x FP8 with a typed output
                let qa = try QuantizedMatrix(quantizing: a, rows: m, cols: k, granularity: .tile(128), options: .deepGEMM)
                let r8 = try matmul(qa, qw)
                let c8 = try matmul(qa, qw, bias: bias, as: BFloat16.self)
                for i in 0..<(m * n) { XCTAssertEqual(c8[i].bitPattern, bf16Oracle(r8[i] + bias[i % n])) }
            }
        }
        XCTAssertThrowsError(try matmul([BFloat16](repeating: 0, count: k), rows: 1, qw, bias: [1, 2], as: Float.self)) {
            XCTAssertEqual($0 as? FP8Error, .sizeMismatch(expected: n, actual: 2))
        }
    }

    func testBulkConversions() throws {
        forEachKernelSet { set in
            // every code decodes exactly to BF16 and F16
            let e4 = (0...255).map { Float8E4M3(bitPattern: UInt8($0)) }
            let e5 = (0...255).map { Float8E5M2(bitPattern: UInt8($0)) }
            for (i, v) in Float8E4M3.decode(e4, as: BFloat16.self).enumerated() {
                let f = Float(e4[i])
                XCTAssert(f.isNaN ? v.isNaN : Float(v) == f && v.sign == f.sign, "\(set) e4m3 \(i)")
            }
            for (i, v) in Float8E5M2.decode(e5, as: Float16.self).enumerated() {
                let f = Float(e5[i])
                XCTAssert(f.isNaN ? v.isNaN : Float(v) == f && v.sign == f.sign, "\(set) e5m2 \(i)")
            }
            XCTAssertEqual([BFloat16](e4).map(\.bitPattern), Float8E4M3.decode(e4, as: BFloat16.self).map(\.bitPattern))
            // every BF16 and F16 pattern encodes as its Float widening does
            let allB = (0...0xFFFF).map { BFloat16(bitPattern: UInt16($0)) }
            let allH = (0...0xFFFF).map { Float16(bitPattern: UInt16($0)) }
            for sat in [false, true] {
                // compared as bits (NaN codes are unequal as values), without printing 65536 elements
                XCTAssert(Float8E4M3.encode(allB, saturating: sat).map(\.bitPattern)
                          == Float8E4M3.encode(allB.map { Float($0) }, saturating: sat).map(\.bitPattern), "\(set) bf16 sat \(sat)")
                XCTAssert(Float8E5M2.encode(allH, saturating: sat).map(\.bitPattern)
                          == Float8E5M2.encode(allH.map { Float($0) }, saturating: sat).map(\.bitPattern), "\(set) f16 sat \(sat)")
            }
            let fl: [Float] = [1, 1.00390625, -3.3e38, .infinity, .nan, 0x1p-133]
            XCTAssertEqual([BFloat16](fl).map(\.bitPattern), fl.map { bf16Oracle($0) == 0x7FC0 ? 0x7FC0 : bf16Oracle($0) })
            XCTAssertEqual([Float]([BFloat16](fl)).map(\.bitPattern), [BFloat16](fl).map { UInt32($0.bitPattern) << 16 })
        }
    }

    /// The README's BF16 example, verbatim (it must compile and run).
    func testReadmeExample() throws {
        let x: [BFloat16] = (0 ..< 4 * 512).map { BFloat16(Float($0 % 37) / 8 - 2) }
        let weights: [Float] = (0 ..< 256 * 512).map { Float($0 % 11) / 32 - 0.15 }
        let w8 = try QuantizedMatrix(quantizing: weights, rows: 256, cols: 512, granularity: .block(128, 128))
        let y = try matmul(x, rows: 4, w8, as: BFloat16.self)  // W8A16: [BFloat16], 4 x 256
        let back = w8.dequantized(as: BFloat16.self)        // bit for bit DeepSeek-V3's weight_dequant
        // DeepGEMM's per_token_cast_to_fp8, bit for bit (amax floor 1e-4, codes x * fl(1/s)):
        let a8 = try QuantizedMatrix(quantizing: x, rows: 4, cols: 512, granularity: .tile(128), options: .deepGEMM)
        XCTAssertEqual(y.count, 4 * 256)
        XCTAssertEqual(back.count, 256 * 512)
        XCTAssertEqual(a8.scales.count, 4 * 4)
        let ref = try matmul(x.map { Float($0) }, rows: 4, w8)
        for i in 0..<y.count { XCTAssertEqual(y[i].bitPattern, bf16Oracle(ref[i])) }
    }
}

/// The README's safetensors example, verbatim, on a DeepSeek-style file written here.
final class ReadmeSafeTensorsTests: XCTestCase {
    func testReadmeSafeTensorsExample() throws {
        var rng = SplitMix64(seed: 12)
        let n = 300, k = 200
        let ref = try QuantizedMatrix(quantizing: (0..<(n * k)).map { _ in Float(rng.gaussian()) }, rows: n, cols: k,
                                      granularity: .block(128, 128))
        let path = NSTemporaryDirectory() + "readme-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensorsWriter.write([
            SafeTensorsSource(name: "model.layers.0.mlp.down_proj.weight", dtype: .f8E4M3, shape: [n, k], bytes: ref.codes),
            SafeTensorsSource(name: "model.layers.0.mlp.down_proj.weight_scale_inv", dtype: .f32, shape: [3, 2],
                              bytes: ref.scales.withUnsafeBytes { Array($0) }),
        ], to: path)

        let file = try SafeTensorsFile(path: path)
        let w = try file.tensor(named: "model.layers.0.mlp.down_proj.weight")            // F8_E4M3 [N, K]
        let s = try file.tensor(named: "model.layers.0.mlp.down_proj.weight_scale_inv")  // F32 [N/128, K/128]
        let codes = w.withUnsafeBytes { [UInt8]($0) }
        let scales = s.withUnsafeBytes { raw in   // little-endian, not necessarily aligned
            (0 ..< raw.count / 4).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        }
        let layer = try QuantizedMatrix(codes: codes, scales: scales, rows: w.shape[0], cols: w.shape[1],
                                        blockRows: 128, blockCols: 128, format: .e4m3)
        let bf16 = layer.dequantized(as: BFloat16.self)   // what fp8_cast_bf16.py writes, bit for bit

        XCTAssertEqual(layer, ref)
        let f = ref.dequantized()
        for i in 0..<f.count { XCTAssertEqual(bf16[i], BFloat16(f[i])) }
    }
}
