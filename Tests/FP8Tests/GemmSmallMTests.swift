// SPDX-License-Identifier: Apache-2.0
import CFP8
import FP8
import FP8TestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The small-M path (M <= 16) decodes B inline, in ways that depend on M and on the inputs (for AVX2:
/// an integer decode with a prescaled A, with B's block scales either folded into a copy of A per
/// scale row (block rows >= 16) or applied to per-block partial sums, an F16C fallback, a table decode;
/// per-block fallbacks for unusable scale factors). Every case runs with 1-row and 16-row blocks. These tests aim inputs at each of them: every finite code including
/// subnormals, rows of subnormals only, tiny and large scales, block widths that are not multiples of
/// 32, activations near the float32 range limits, DAZ set by the caller, and NaN / Inf codes. Every
/// element is checked on its own against an FP64 reference of the dequantized operands.
final class GemmSmallMTests: XCTestCase {
    let ms = [1, 2, 3, 4, 5, 8, 9, 16]

    /// Random codes of `fmt` that decode to finite values (zeros, subnormals, both signs).
    func finiteCodes(_ n: Int, _ fmt: FP8Format, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<n).map { _ in
            while true {
                let c = UInt8(truncatingIfNeeded: rng.next())
                let mag = c & 0x7F
                if fmt == .e4m3 ? mag != 0x7F : mag < 0x7C { return c }
            }
        }
    }

    /// Random subnormal (or zero) codes.
    func subnormalCodes(_ n: Int, _ fmt: FP8Format, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<n).map { _ in
            let r = rng.next()
            return UInt8(truncatingIfNeeded: r & (fmt == .e4m3 ? 0x87 : 0x83))
        }
    }

    /// Every element: |c - ref| <= tol * sum_k |a b| (FP64), or both non-finite alike.
    func checkElementwise(_ c: [Float], _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, tol: Double,
                          _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        var bad = 0
        for i in 0..<m {
            for j in 0..<n {
                var ref = 0.0, mag = 0.0
                for p in 0..<k {
                    let x = Double(a[i * k + p]) * Double(b[j * k + p])
                    ref += x
                    mag += abs(x)
                }
                let got = Double(c[i * n + j])
                let ok: Bool
                if !ref.isFinite {
                    ok = ref.isNaN ? got.isNaN : got == ref
                } else {
                    ok = abs(got - ref) <= tol * mag
                }
                if !ok {
                    bad += 1
                    if bad <= 3 {
                        XCTFail("\(what): C[\(i)][\(j)] = \(got), want \(ref) (sum |ab| \(mag))", file: file, line: line)
                    }
                }
            }
        }
        XCTAssertEqual(bad, 0, "\(what): \(bad) bad elements", file: file, line: line)
    }

    /// B [n, k] with br x bc blocks: random finite codes and scales; row 2 holds subnormal codes only.
    /// Scale row `tiny` has scales of 2^-124 when `tinyRow` (unusable as a raw-sum factor: the
    /// per-block fallback), `big` scales of 2^20 when `bigRow`, `huge` scales of 2^121 when `hugeRow`
    /// (then 2^8 times the scale overflows: the F16C decode's raw-sum factor is unusable); these are
    /// rows 5, 6, 7 with 1-row blocks, else the last, first and first scale row (huge wins; the tiny
    /// scales stay away from the subnormal row, whose products would fall below float32's normal range). With
    /// `spread` (br > 1), scale row 1 alternates 2^-60 and 2^60 along K (a wide range in one folded row).
    func makeB(n: Int, k: Int, br: Int = 1, bc: Int, fmt: FP8Format, tinyRow: Bool, bigRow: Bool = true,
               hugeRow: Bool = false, spread: Bool = false, seed: UInt64) throws -> QuantizedMatrix {
        var rng = SplitMix64(seed: seed)
        var codes = finiteCodes(n * k, fmt, &rng)
        let sub = subnormalCodes(k, fmt, &rng)
        codes.replaceSubrange((2 * k)..<(3 * k), with: sub)
        let nbc = (k + bc - 1) / bc, nbr = (n + br - 1) / br
        var scales = (0..<(nbr * nbc)).map { _ in Float(Double(rng.next() % 1000 + 1) / 64.0) }
        let (tiny, big, huge) = br == 1 ? (5, 6, 7) : (nbr - 1, 0, 0)
        for kb in 0..<nbc {
            if tinyRow { scales[tiny * nbc + kb] = 0x1p-124 }
            if bigRow { scales[big * nbc + kb] = 0x1p20 }
            if hugeRow { scales[huge * nbc + kb] = 0x1p121 }
            if spread && br > 1 { scales[nbc + kb] = kb % 2 == 0 ? 0x1p-60 : 0x1p60 }
        }
        return try QuantizedMatrix(codes: codes, scales: scales, rows: n, cols: k, blockRows: br, blockCols: bc, format: fmt)
    }

    func testEveryDecodeAgainstFP64Elementwise() throws {
        let (n, k) = (37, 300)
        var cases = 0
        try forEachKernelSet { set in
            for fmt in [FP8Format.e4m3, .e5m2] {
                for m in ms {
                  for br in [1, 16] {
                    // 1. FP8 A (1x128 tiles), B in br x 128 blocks with a tiny-scale row.
                    let qa = try QuantizedMatrix(quantizing: gaussianFloats(m * k, seed: UInt64(m)), rows: m, cols: k, granularity: .tile(128))
                    let b = try makeB(n: n, k: k, br: br, bc: 128, fmt: fmt, tinyRow: true, spread: true, seed: UInt64(m + 10))
                    let bd = b.dequantized()
                    checkElementwise(try matmul(qa, b), qa.dequantized(), bd, m: m, n: n, k: k, tol: 1e-5,
                                     "\(set) \(fmt) M=\(m) FP8 A, blocks \(br)x128")
                    // 2. float32 A near the top and the bottom of the float32 range (the prescale
                    //    exponent of the integer decode hits its limits), and B in 1 x 48 blocks (not
                    //    32-aligned: the F16C fallback), with huge scales against tiny activations.
                    for (p, bc) in [(Float(0x1p100), 128), (Float(0x1p-100), 128), (Float(1), 48), (Float(0x1p-100), 48)] {
                        let x = gaussianFloats(m * k, seed: UInt64(m + 20)).map { $0 * p }
                        let b2 = try makeB(n: n, k: k, br: br, bc: bc, fmt: fmt, tinyRow: false, bigRow: p <= 1, hugeRow: p < 1,
                                           spread: p == 1, seed: UInt64(m + 30))
                        checkElementwise(try matmul(x, rows: m, b2), x, b2.dequantized(), m: m, n: n, k: k, tol: 1e-5,
                                         "\(set) \(fmt) M=\(m) float32 A x \(p), blocks \(br)x\(bc)")
                    }
                    cases += 5
                  }
                }
            }
        }
        XCTAssertGreaterThan(cases, 0)
    }

    #if canImport(Glibc) && arch(x86_64)
    /// A caller running with DAZ (denormals are zero) must still get exact subnormal codes.
    func testCallerDAZDoesNotFlushSubnormalCodes() throws {
        let (n, k) = (37, 300)
        var env = fenv_t()
        fegetenv(&env)
        let saved = env
        defer { var s = saved; fesetenv(&s) }
        try forEachKernelSet { set in
            for fmt in [FP8Format.e4m3, .e5m2] {
                for (m, br) in [(1, 1), (4, 1), (16, 1), (1, 16), (4, 16)] {
                    let qa = try QuantizedMatrix(quantizing: gaussianFloats(m * k, seed: 3), rows: m, cols: k, granularity: .tile(128))
                    let b = try makeB(n: n, k: k, br: br, bc: 128, fmt: fmt, tinyRow: false, seed: 4)
                    var daz = saved
                    daz.__mxcsr |= 0x40
                    fesetenv(&daz)
                    let c = try matmul(qa, b)
                    var s = saved
                    fesetenv(&s)
                    checkElementwise(c, qa.dequantized(), b.dequantized(), m: m, n: n, k: k, tol: 1e-5, "\(set) \(fmt) M=\(m) br=\(br) DAZ")
                }
            }
        }
    }
    #endif

    /// NaN codes give NaN; E5M2 infinities give what IEEE arithmetic gives (+-Inf, or NaN for
    /// Inf - Inf and 0 * Inf).
    func testNaNAndInfinityCodesFollowIEEE() throws {
        let (n, k) = (23, 300)
        try forEachKernelSet { set in
            for fmt in [FP8Format.e4m3, .e5m2] {
                for m in ms {
                  for br in [1, 16] {
                    var rng = SplitMix64(seed: UInt64(m * 7))
                    var codes = finiteCodes(n * k, fmt, &rng)
                    codes[3 * k + 40] = fmt == .e4m3 ? 0x7F : 0x7E    // NaN
                    codes[9 * k + 299] = fmt == .e4m3 ? 0xFF : 0xFE   // -NaN, in the K tail
                    if fmt == .e5m2 {
                        codes[4 * k + 100] = 0x7C                     // +Inf
                        codes[5 * k + 7] = 0xFC                       // -Inf
                        codes[6 * k + 1] = 0x7C                       // +Inf and -Inf: NaN
                        codes[6 * k + 250] = 0xFC
                        codes[7 * k + 128] = 0x7C                     // +Inf where A row 0 is 0
                    }
                    let nbr = (n + br - 1) / br
                    let scales = (0..<(nbr * 3)).map { _ in Float(Double(rng.next() % 100 + 1) / 16.0) }
                    let b = try QuantizedMatrix(codes: codes, scales: scales, rows: n, cols: k, blockRows: br, blockCols: 128, format: fmt)
                    var x = gaussianFloats(m * k, seed: UInt64(m))
                    x[128] = 0
                    checkElementwise(try matmul(x, rows: m, b), x, b.dequantized(), m: m, n: n, k: k, tol: 1e-5,
                                     "\(set) \(fmt) M=\(m) blocks \(br)x128 special codes")
                  }
                }
            }
        }
    }

    /// Inf and NaN activations (float32 A) give what IEEE arithmetic gives (also with a huge finite
    /// activation beside the Inf: a scale-folding path must not turn it into a second infinity).
    func testNonFiniteActivationsFollowIEEE() throws {
        let (n, k) = (37, 300)
        try forEachKernelSet { set in
            for fmt in [FP8Format.e4m3, .e5m2] {
                for m in ms {
                    for br in [1, 16] {
                        var x = gaussianFloats(m * k, seed: UInt64(m + 40))
                        x[(m - 1) * k + 5] = .infinity
                        x[(m - 1) * k + 6] = 0x1p90 // finite but huge beside the Inf
                        x[(m / 2) * k + 77] = m > 1 ? .nan : -.infinity
                        let b = try makeB(n: n, k: k, br: br, bc: 128, fmt: fmt, tinyRow: false, seed: UInt64(m + 50))
                        checkElementwise(try matmul(x, rows: m, b), x, b.dequantized(), m: m, n: n, k: k, tol: 1e-5,
                                         "\(set) \(fmt) M=\(m) blocks \(br)x128 non-finite A")
                    }
                }
            }
        }
    }

    /// An E5M2 infinity against an activation about 2^220 times smaller than the largest of its row (a
    /// float32 subnormal): the product is still +-Inf (a folded A that let the small activation
    /// underflow to 0 would give NaN).
    func testInfinityCodesAgainstTinyActivations() throws {
        let (n, k) = (37, 300)
        try forEachKernelSet { set in
            for m in ms {
                for br in [1, 16] {
                    var rng = SplitMix64(seed: UInt64(m + 60))
                    var codes = finiteCodes(n * k, .e5m2, &rng)
                    codes[3 * k + 41] = 0x7C // +Inf
                    codes[20 * k + 3] = 0xFC // -Inf
                    let nbr = (n + br - 1) / br
                    let scales = (0..<(nbr * 3)).map { _ in Float(Double(rng.next() % 100 + 1) / 16.0) }
                    let b = try QuantizedMatrix(codes: codes, scales: scales, rows: n, cols: k, blockRows: br, blockCols: 128, format: .e5m2)
                    let x = gaussianFloats(m * k, seed: UInt64(m + 70)).enumerated().map { $0.offset % 2 == 0 ? $0.element * 0x1p90 : $0.element * 0x1p-130 }
                    checkElementwise(try matmul(x, rows: m, b), x, b.dequantized(), m: m, n: n, k: k, tol: 1e-5,
                                     "\(set) M=\(m) blocks \(br)x128 Inf codes, tiny activations")
                }
            }
        }
    }

    /// Issue 9, fault 2: activations near the top of the float32 range (1e30 .. FLT_MAX) against block
    /// scales small enough that every dequantized product, and every sum of them, stays far below
    /// overflow (sum_k |A'B'| <= about 2^121). The promoted forms used to sum A times the raw code values
    /// (up to 448 or 57344) before applying the scale, and returned Inf or NaN. Every M of the small-M
    /// path, 1-row and 16-row blocks, 32-aligned and unaligned (48) block widths (the F16C fallback
    /// for M <= 4), and an Inf in the first row of A (which sends the other rows to the fallbacks too).
    func testLargeActivationsDoNotOverflowIssue9Fault2() throws {
        let (n, k) = (37, 300)
        var cases = 0
        try forEachKernelSet { set in
            for fmt in [FP8Format.e4m3, .e5m2] {
                let vmax = fmt == .e4m3 ? 448.0 : 57344.0
                for m in 1...16 {
                    for br in [1, 16] {
                        for bc in [128, 48] {
                            for (pi, p) in [1e30, 1e33, 1e36, 3e38, Double(Float.greatestFiniteMagnitude)].enumerated() {
                                for withInf in p == 1e36 ? [false, true] : [false] {
                                    var rng = SplitMix64(seed: UInt64(m * 1000 + br * 10 + pi))
                                    // |a| in [p/4, p): the raw sums a * 448 or a * 57344 overflow float32.
                                    var x = (0..<(m * k)).map { _ -> Float in
                                        let mag = p * (0.25 + 0.75 * rng.uniform()) * (1 - 0x1p-23)
                                        return Float(rng.next() & 1 == 0 ? mag : -mag)
                                    }
                                    if withInf { x[7] = .infinity }
                                    let codes = finiteCodes(n * k, fmt, &rng)
                                    let nbr = (n + br - 1) / br, nbc = (k + bc - 1) / bc
                                    // sum_k |a b| <= p * vmax * s * k <= 2^120 with s <= 2^120 / (p vmax k).
                                    let s0 = 0x1p120 / (p * vmax * Double(k))
                                    let scales = (0..<(nbr * nbc)).map { i in Float(s0 * pow2(-(i % 5)) * (1 + Double(i % 3) / 8)) }
                                    let b = try QuantizedMatrix(codes: codes, scales: scales, rows: n, cols: k, blockRows: br,
                                                                blockCols: bc, format: fmt)
                                    checkElementwise(try matmul(x, rows: m, b), x, b.dequantized(), m: m, n: n, k: k, tol: 1e-5,
                                                     "\(set) \(fmt) M=\(m) |A| ~ \(p)\(withInf ? " (Inf in row 0)" : ""), blocks \(br)x\(bc)")
                                    cases += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(cases, 0)
    }

    /// The reproduction in issue 9: every A element 1e36 against one E4M3 code 0x7E (448) with scale
    /// 2^-9: C = 1e36 * 0.875 exactly (rounded once to float32), for every M of the small-M path.
    func testIssue9OverflowReproduction() throws {
        let b = try QuantizedMatrix(codes: [0x7E], scales: [0x1p-9], rows: 1, cols: 1, blockRows: 1, blockCols: 1, format: .e4m3)
        let want = Float(Double(Float(1e36)) * 0.875)
        forEachKernelSet { set in
            for m in 1...16 {
                let c = try? matmul([Float](repeating: 1e36, count: m), rows: m, b)
                XCTAssertEqual(c, [Float](repeating: want, count: m), "\(set) M=\(m)")
            }
        }
    }

    /// Scales the Swift API refuses but C callers can pass (0, Inf, NaN) and scales whose dequantized
    /// values overflow float32: every path must give what the float32 dequantized B gives.
    func testUnusualScalesFromTheCAPI() {
        let (n, k) = (23, 300)
        forEachKernelSet { set in
            for fmt in [FP8Format.e4m3, .e5m2] {
                for m in ms {
                    // 1-row blocks: rows 3..7 get the unusual scales. 16-row blocks (rows 0..15 form
                    // scale row 0, the folded form's unit): scale row 0 gets one kind at a time.
                    // Kind 5: 2^127 again, against activations of about 1 (then the scale row could
                    // be folded into A without overflowing A, while deq(B) itself overflows).
                    for (br, kind) in [(1, -1), (16, 0), (16, 1), (16, 2), (16, 3), (16, 4), (16, 5)] {
                    var rng = SplitMix64(seed: UInt64(m * 11))
                    let codes = finiteCodes(n * k, fmt, &rng)
                    let nbr = (n + br - 1) / br
                    var scales = (0..<(nbr * 3)).map { _ in Float(Double(rng.next() % 100 + 1) / 16.0) }
                    let unusual: [Float] = [0, .infinity, .nan, 0x1p127]
                    for kb in 0..<3 {
                        if br == 1 {
                            for (r, v) in unusual.enumerated() { scales[(3 + r) * 3 + kb] = v }
                        } else if kind < 4 || kind == 5 {
                            scales[kb] = unusual[kind == 5 ? 3 : kind]
                        }
                    }
                    scales[(br == 1 ? 7 : 0) * 3 + 1] = br == 1 || kind == 4 ? .infinity : scales[1] // one block only
                    let x = gaussianFloats(m * k, seed: UInt64(m)).map { $0 * (kind == 5 ? 1 : 0x1p-110) }
                    var decoded = [Float](repeating: 0, count: n * k)
                    XCTAssertEqual(fp8_decode_f32(fmt.cValue, codes, &decoded, n * k), 0)
                    let deq = (0..<(n * k)).map { decoded[$0] * scales[($0 / k / br) * 3 + ($0 % k) / 128] }
                    var c = [Float](repeating: 0, count: m * n)
                    let st = codes.withUnsafeBufferPointer { q in
                        scales.withUnsafeBufferPointer { sc in
                            var bm = fp8_matrix(format: fmt.cValue, rows: n, cols: k, ld: k, data: q.baseAddress,
                                                scales: sc.baseAddress, block_rows: br, block_cols: 128)
                            return fp8_gemm_f32a(m, x, k, &bm, 1, 0, &c, n)
                        }
                    }
                    XCTAssertEqual(st, 0)
                    checkElementwise(c, x, deq, m: m, n: n, k: k, tol: 1e-5,
                                     "\(set) \(fmt) M=\(m) blocks \(br)x128 kind \(kind) C-API scales")
                    }
                }
            }
        }
    }
}
