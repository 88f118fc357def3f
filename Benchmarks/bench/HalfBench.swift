// SPDX-License-Identifier: Apache-2.0
import CFP8
import COpenBLAS
import Dispatch
import FP8
import FP8TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// bfloat16 bits of a float32 value (nearest even; the bench's data is finite).
private func bf16Bits(_ x: Float) -> UInt16 {
    let u = x.bitPattern
    return UInt16(truncatingIfNeeded: (u &+ 0x7FFF &+ ((u >> 16) & 1)) >> 16)
}

/// BF16/F16 in the pipeline (issue 11): conversion throughput beside memcpy, quantizing from BF16
/// beside quantizing the same values from float32, and W8A16 GEMM (BF16 activations x E4M3 128x128
/// weights -> BF16) beside the float32-activation variant and OpenBLAS sgemm on float32 copies.
func runHalfBench(_ o: Options, machine: Machine, records: inout [Record]) {
    let allThreads = FP8Runtime.threadCount
    let threadCounts = Set([1, allThreads]).sorted()
    let budget = o.quick ? 0.15 : 0.5

    // ---- conversions ----
    let sizes = [(label: "256 KiB", n: (256 << 10) / 4), (label: "\(machine.bandwidthBytes >> 20) MiB", n: machine.bandwidthBytes / 4)]
    let maxN = sizes.map(\.n).max()!
    var rng = SplitMix64(seed: 11)
    progress("preparing \(maxN) inputs for the BF16/F16 conversions")
    let f32 = UnsafeMutablePointer<Float>.allocate(capacity: maxN)
    let f32b = UnsafeMutablePointer<Float>.allocate(capacity: maxN)
    let h16 = UnsafeMutablePointer<UInt16>.allocate(capacity: maxN)
    let codes = UnsafeMutablePointer<UInt8>.allocate(capacity: maxN)
    defer { f32.deallocate(); f32b.deallocate(); h16.deallocate(); codes.deallocate() }
    for i in 0..<maxN { f32[i] = Float(rng.gaussian() * 8) }
    _ = fp8_bf16_from_f32(f32, h16, maxN)
    _ = fp8_encode_f32(FP8_E4M3, f32, codes, maxN, 1)
    memset(f32b, 0, maxN * 4)

    // (name, bytes per element read + written, body)
    let ops: [(String, Int, (Int) -> Void)] = [
        ("f32 -> bf16", 6, { n in _ = fp8_bf16_from_f32(f32, h16, n) }),
        ("bf16 -> f32", 6, { n in _ = fp8_bf16_to_f32(h16, f32b, n) }),
        ("f32 -> f16", 6, { n in _ = fp8_f16_from_f32(f32, h16, n) }),
        ("f16 -> f32", 6, { n in _ = fp8_f16_to_f32(h16, f32b, n) }),
        ("bf16 -> e4m3", 3, { n in _ = fp8_encode(FP8_E4M3, FP8_DTYPE_BF16, h16, codes, n, 1) }),
        ("e4m3 -> bf16", 3, { n in _ = fp8_decode(FP8_E4M3, codes, FP8_DTYPE_BF16, h16, n) }),
    ]
    var conv = Table("BF16/F16 conversions (default set \(FP8Runtime.kernelSet)); memcpy of the same bytes in the same run",
                     ["conversion", "array", "threads", "G elem/s", "GB/s", "memcpy GB/s", "% memcpy"])
    for size in sizes {
        for threads in threadCounts {
            FP8Runtime.threadCount = threads
            // memcpy of the same bytes (one buffer read, another written), same thread count: the
            // library's pool is not used by memcpy, so large arrays are split over threads by hand.
            for (name, bpe, body) in ops {
                progress("\(name) \(size.label) \(threads) thread(s)")
                // The reference copy moves as many bytes as the conversion reads plus writes.
                let copyBytes = size.n * bpe / 2
                let tc = bestTime(budget: budget) { parallelCopy(UnsafeMutableRawPointer(f32b), UnsafeRawPointer(f32), copyBytes, threads) }
                let t = bestTime(budget: budget) { body(size.n) }
                let gb = Double(size.n * bpe) / t / 1e9, mc = Double(copyBytes * 2) / tc / 1e9
                conv.add([name, size.label, "\(threads)", fmt(Double(size.n) / t / 1e9, 2), fmt(gb, 1), fmt(mc, 1),
                          fmt(100 * gb / mc, 0) + "%"])
                var r = Record()
                r.add("section", "half_convert"); r.add("conversion", name); r.add("elements", size.n)
                r.add("threads", threads); r.add("gelem_per_s", Double(size.n) / t / 1e9); r.add("gb_per_s", gb)
                r.add("memcpy_gb_per_s", mc)
                records.append(r)
            }
        }
    }
    FP8Runtime.threadCount = 0
    conv.print()
    print("\nGB/s = bytes read + written; memcpy copies the same number of bytes (read + written) on the same threads.")

    // ---- quantize from BF16 vs from float32 ----
    let qn = o.quick ? 2048 : 4096
    progress("quantize from BF16 on \(qn)x\(qn)")
    let xs = (0..<(qn * qn)).map { _ in bf16Bits(Float(rng.gaussian())).asBF16Float }
    let xb = xs.map { bf16Bits($0) }
    var q = [UInt8](repeating: 0, count: qn * qn)
    var scales = [Float](repeating: 0, count: qn * qn / 32 + qn)
    var qt = Table("Quantize from BF16 vs from float32 (\(qn)x\(qn) BF16-valued Gaussian -> E4M3, G elements/s, same run)",
                   ["granularity", "threads", "from f32", "from bf16", "bf16 / f32"])
    for (gname, br, bc) in [("1x128", 1, 128), ("128x128", 128, 128), ("per-row", 1, qn), ("per-tensor", qn, qn)] {
        for threads in threadCounts {
            FP8Runtime.threadCount = threads
            var opt = fp8_quant_options(rule: FP8_SCALE_AMAX, amax_floor: 0, true_division: 0, static_scales: nil)
            let t = bestTimesInterleaved(budget: budget, [
                { precondition(fp8_quantize(FP8_E4M3, FP8_DTYPE_F32, xs, qn, qn, qn, br, bc, &opt, &q, qn, &scales) == 0) },
                { precondition(fp8_quantize(FP8_E4M3, FP8_DTYPE_BF16, xb, qn, qn, qn, br, bc, &opt, &q, qn, &scales) == 0) },
            ])
            let g32 = Double(qn * qn) / t[0] / 1e9, g16 = Double(qn * qn) / t[1] / 1e9
            qt.add([gname, "\(threads)", fmt(g32, 2), fmt(g16, 2), fmt(g16 / g32, 2) + "x"])
            var r = Record()
            r.add("section", "quant_bf16"); r.add("granularity", gname); r.add("threads", threads)
            r.add("f32_gelem_per_s", g32); r.add("bf16_gelem_per_s", g16); r.add("ratio", g16 / g32)
            records.append(r)
        }
    }
    FP8Runtime.threadCount = 0
    qt.print()

    // ---- W8A16 GEMM ----
    var shapes: [(Int, Int, Int)] = []
    for m in (o.quick ? [1, 16, 128] : [1, 16, 128, 2048]) {
        for (n, k) in (o.quick ? [(2112, 7168)] : [(2112, 7168), (7168, 2048), (4096, 7168)]) { shapes.append((m, n, k)) }
    }
    var gt = Table("W8A16: BF16 activations x E4M3 128x128 weights -> BF16, beside W8A32 (float32 in and out) and OpenBLAS on float32 copies",
                   ["M", "N", "K", "thr", "W8A16 GFLOP/s", "W8A32 GFLOP/s", "W8A16 / W8A32", "OpenBLAS GFLOP/s", "peer",
                    "W8A16 / OpenBLAS", "max |err| vs W8A32 (ulp bf16)"])
    for (m, n, k) in shapes {
        progress("W8A16 \(m)x\(n)x\(k): preparing operands")
        var r2 = SplitMix64(seed: UInt64(m * 131 + n * 17 + k))
        let w = (0..<(n * k)).map { _ in Float(r2.gaussian()) }
        let qb = try! QuantizedMatrix(quantizing: w, rows: n, cols: k, granularity: .block(128, 128))
        let bd = qb.dequantized()
        let a16 = (0..<(m * k)).map { _ in bf16Bits(Float(r2.gaussian())) }
        let a32 = a16.map { $0.asBF16Float }
        var c16 = [UInt16](repeating: 0, count: m * n)
        var c32 = [Float](repeating: 0, count: m * n)
        var cRef = [Float](repeating: 0, count: m * n)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let big = flops > 5e10
        let peer = m == 1 ? "sgemv" : "sgemm"
        func openblas() {
            if m == 1 {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, bd, Int32(k), a32, 1, 0, &cRef, 1)
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                            a32, Int32(k), bd, Int32(k), 0, &cRef, Int32(n))
            }
        }
        // The BF16 output must be the float32 result rounded once (bitwise the same float32 C here).
        _ = qb.withCMatrix { bm in fp8_gemm_weight_only(m, FP8_DTYPE_BF16, a16, k, bm, nil, 1, 0, FP8_DTYPE_BF16, &c16, n) }
        _ = qb.withCMatrix { bm in fp8_gemm_weight_only(m, FP8_DTYPE_F32, a32, k, bm, nil, 1, 0, FP8_DTYPE_F32, &c32, n) }
        var maxUlp = 0
        for i in 0..<(m * n) { maxUlp = max(maxUlp, abs(Int(c16[i]) - Int(bf16Bits(c32[i])))) }
        for threads in threadCounts {
            progress("W8A16 \(m)x\(n)x\(k) on \(threads) thread(s)")
            FP8Runtime.threadCount = threads
            openblas_set_num_threads(Int32(threads))
            let t = bestTimesInterleaved(budget: o.quick ? 0.1 : (big ? 0 : (m <= 16 ? 1.2 : 0.4)), minRounds: big ? 3 : 2, burst: big ? 2 : 3, [
                { _ = qb.withCMatrix { bm in fp8_gemm_weight_only(m, FP8_DTYPE_BF16, a16, k, bm, nil, 1, 0, FP8_DTYPE_BF16, &c16, n) } },
                { _ = qb.withCMatrix { bm in fp8_gemm_weight_only(m, FP8_DTYPE_F32, a32, k, bm, nil, 1, 0, FP8_DTYPE_F32, &c32, n) } },
                { openblas() },
            ])
            let g16 = flops / t[0] / 1e9, g32 = flops / t[1] / 1e9, gp = flops / t[2] / 1e9
            gt.add(["\(m)", "\(n)", "\(k)", "\(threads)", fmt(g16, 1), fmt(g32, 1), fmt(g16 / g32, 2) + "x", fmt(gp, 1), peer,
                    fmt(g16 / gp, 2) + "x", "\(maxUlp)"])
            var r = Record()
            r.add("section", "w8a16"); r.add("m", m); r.add("n", n); r.add("k", k); r.add("threads", threads)
            r.add("w8a16_gflops", g16); r.add("w8a32_gflops", g32); r.add("openblas_gflops", gp); r.add("openblas_peer", peer)
            r.add("w8a16_over_w8a32", g16 / g32); r.add("w8a16_over_openblas", g16 / gp); r.add("max_ulp_vs_w8a32", maxUlp)
            records.append(r)
        }
    }
    FP8Runtime.threadCount = 0
    openblas_set_num_threads(Int32(allThreads))
    gt.print()
    print("\nW8A16 = fp8_gemm_weight_only(BF16 A, BF16 C); W8A32 = the same with float32 A and C; OpenBLAS multiplies float32")
    print("copies of A and of the dequantized weights (M = 1: sgemv). max |err| compares the BF16 output with the W8A32 output")
    print("rounded to BF16 (0 = the BF16 path rounds the same float32 result once).")
}

private extension UInt16 {
    /// The float32 value of bfloat16 bits.
    var asBF16Float: Float { Float(bitPattern: UInt32(self) << 16) }
}

/// memcpy of `bytes` split over `threads` POSIX threads (the same-thread-count reference copy).
private func parallelCopy(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ bytes: Int, _ threads: Int) {
    if threads <= 1 || bytes < 1 << 20 { memcpy(dst, src, bytes); return }
    let part = (bytes / threads) & ~63
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        memcpy(dst + t * part, src + t * part, t == threads - 1 ? bytes - t * part : part)
    }
}
