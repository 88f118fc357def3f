// SPDX-License-Identifier: Apache-2.0
import CFP8
import COpenBLAS
import FP8
import FP8TestSupport

struct GemmShape {
    let m, n, k: Int
    let label: String
}

/// FP8 GEMM (E4M3, A 1x128 tiles, B 128x128 blocks) beside OpenBLAS on the dequantized FP32 operands,
/// in the same run, 1 thread and all threads; plus the dequantize-then-sgemm pipeline and accuracy.
func runGemmBench(_ o: Options, machine: Machine, records: inout [Record]) {
    let allThreads = FP8Runtime.threadCount
    var shapes: [GemmShape] = []
    if o.quick {
        shapes = [GemmShape(m: 2048, n: 2048, k: 2048, label: "square"),
                  GemmShape(m: 1, n: 8192, k: 8192, label: "memory-bound"),
                  GemmShape(m: 16, n: 8192, k: 8192, label: "memory-bound"),
                  GemmShape(m: 128, n: 2112, k: 7168, label: "DeepSeek-V3")]
    } else {
        shapes = [GemmShape(m: 2048, n: 2048, k: 2048, label: "square"),
                  GemmShape(m: 4096, n: 4096, k: 4096, label: "square"),
                  GemmShape(m: 1, n: 8192, k: 8192, label: "memory-bound"),
                  GemmShape(m: 16, n: 8192, k: 8192, label: "memory-bound")]
        for m in [1, 16, 128, 2048] {
            for (n, k) in [(2112, 7168), (7168, 2048), (4096, 7168)] {
                shapes.append(GemmShape(m: m, n: n, k: k, label: "DeepSeek-V3"))
            }
        }
    }
    var table = Table("FP8 GEMM (E4M3, A 1x128 / B 128x128 scales) vs OpenBLAS on the dequantized FP32 operands",
                      ["shape", "M", "N", "K", "thr", "FP8 GFLOP/s", "% peak", "FP8 GB/s", "% read bw", "OpenBLAS GFLOP/s",
                       "peer", "ratio", "deq+sgemm GFLOP/s", "rel err vs FP64", "calc_diff vs FP32"])
    for s in shapes {
        progress("GEMM \(s.m)x\(s.n)x\(s.k): preparing operands")
        var rng = SplitMix64(seed: UInt64(s.m * 31 + s.n * 7 + s.k))
        let a = (0..<(s.m * s.k)).map { _ in Float(rng.gaussian()) }
        let b = (0..<(s.n * s.k)).map { _ in Float(rng.gaussian()) }
        let qa = try! QuantizedMatrix(quantizing: a, rows: s.m, cols: s.k, granularity: .tile(128))
        let qb = try! QuantizedMatrix(quantizing: b, rows: s.n, cols: s.k, granularity: .block(128, 128))
        let ad = qa.dequantized(), bd = qb.dequantized()
        var c = [Float](repeating: 0, count: s.m * s.n)
        var cRef = [Float](repeating: 0, count: s.m * s.n)
        var scratchA = [Float](repeating: 0, count: s.m * s.k), scratchB = [Float](repeating: 0, count: s.n * s.k)
        let flops = 2.0 * Double(s.m) * Double(s.n) * Double(s.k)
        let big = flops > 5e10
        let budget = o.quick ? 0.1 : (big ? 0.0 : 0.4)
        let reps = big ? 2 : 3
        let peer = s.m == 1 ? "sgemv" : "sgemm"

        func openblas(_ A: UnsafePointer<Float>, _ B: UnsafePointer<Float>, _ C: UnsafeMutablePointer<Float>) {
            if s.m == 1 {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(s.n), Int32(s.k), 1, B, Int32(s.k), A, 1, 0, C, 1)
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(s.m), Int32(s.n), Int32(s.k), 1,
                            A, Int32(s.k), B, Int32(s.k), 0, C, Int32(s.n))
            }
        }

        // Accuracy (once, all threads): FP64 reference of the dequantized operands on sampled rows,
        // and calc_diff against the FP32 product of the UNquantized inputs.
        let st = qa.withCMatrix { am in qb.withCMatrix { bm in fp8_gemm(am, bm, 1, 0, &c, s.n) } }
        precondition(st == 0, "fp8_gemm failed: \(st)")
        let sampleRows = Array(Set((0..<min(8, s.m)).map { i in i * max(1, s.m / 8) })).sorted()
        var got: [Float] = [], want: [Double] = []
        for i in sampleRows {
            let rowRef = Reference.gemmNT(Array(ad[(i * s.k)..<((i + 1) * s.k)]), bd, m: 1, n: s.n, k: s.k)
            want += rowRef
            got += c[(i * s.n)..<((i + 1) * s.n)]
        }
        let relErr = try! ErrorMetrics.normwiseRelativeError(got, reference: want)
        openblas_set_num_threads(Int32(allThreads))
        openblas(a, b, &cRef)
        let cdiff = try! ErrorMetrics.calcDiff(c, cRef)

        for threads in Set([1, allThreads]).sorted() {
            progress("GEMM \(s.m)x\(s.n)x\(s.k) on \(threads) thread(s)")
            FP8Runtime.threadCount = threads
            openblas_set_num_threads(Int32(threads))
            // Large products get no time budget but a third round: best of 6 runs a side.
            let t = bestTimesInterleaved(budget: budget, minRounds: big ? 3 : 2, burst: reps, [
                { _ = qa.withCMatrix { am in qb.withCMatrix { bm in fp8_gemm(am, bm, 1, 0, &c, s.n) } } },
                { openblas(ad, bd, &cRef) },
            ])
            let (tOurs, tPeer) = (t[0], t[1])
            let tPipe = bestTime(budget: budget, minReps: reps) {
                _ = qa.withCMatrix { am in fp8_dequantize_f32(am, &scratchA, s.k) }
                _ = qb.withCMatrix { bm in fp8_dequantize_f32(bm, &scratchB, s.k) }
                openblas(scratchA, scratchB, &cRef)
            }
            let g = flops / tOurs / 1e9, gp = flops / tPeer / 1e9, gpipe = flops / tPipe / 1e9
            // The machine's limits from the header: FMA peak for every row, and for the memory-bound rows
            // (M <= 16) the bytes the product must move (codes, scales, A and C) against streaming read.
            let peak = threads == 1 ? machine.gemmPeak.one : machine.gemmPeak.all
            let readBW = threads == 1 ? machine.bandwidth.read1 : machine.bandwidth.readAll
            let bytes = Double(s.n * s.k) + Double(((s.n + 127) / 128) * ((s.k + 127) / 128) * 4)
                + Double(s.m * s.k * 5 + s.m * s.n * 4)
            let gbs = bytes / tOurs / 1e9
            let memBound = s.m <= 16
            table.add(["\(s.label)", "\(s.m)", "\(s.n)", "\(s.k)", "\(threads)", fmt(g, 1), fmt(100 * g / peak, 0) + "%",
                       memBound ? fmt(gbs, 1) : "-", memBound ? fmt(100 * gbs / readBW, 0) + "%" : "-", fmt(gp, 1), peer,
                       fmt(g / gp, 2) + "x", fmt(gpipe, 1), sci(relErr), sci(cdiff)])
            var r = Record()
            r.add("section", "gemm"); r.add("m", s.m); r.add("n", s.n); r.add("k", s.k); r.add("threads", threads)
            r.add("fp8_gflops", g); r.add("openblas_gflops", gp); r.add("openblas_peer", peer)
            r.add("ratio", g / gp); r.add("pct_fma_peak", 100 * g / peak); r.add("kernels", FP8Runtime.kernelSet)
            if memBound { r.add("fp8_gb_per_s", gbs); r.add("pct_read_bw", 100 * gbs / readBW) }
            r.add("fp8_ms", tOurs * 1e3); r.add("openblas_ms", tPeer * 1e3)
            r.add("dequant_then_sgemm_gflops", gpipe); r.add("rel_err_vs_fp64", relErr); r.add("calc_diff_vs_fp32", cdiff)
            records.append(r)
        }
    }
    FP8Runtime.threadCount = 0
    openblas_set_num_threads(Int32(allThreads))
    table.print()
    print("\n% peak = FP8 GFLOP/s / (the \(machine.gemmPeakLabel) of one core in the header x threads); % read bw = bytes moved / streaming read (same thread count).")
    print("ratio = FP8 GFLOP/s / OpenBLAS GFLOP/s in the same run (M = 1 against sgemv, else sgemm, row-major A[M,K] x B[N,K]^T).")
    print("rel err: normwise, against an FP64 product of the dequantized operands on up to 8 sampled rows.")
    print("calc_diff: DeepGEMM's 1 - 2 sum(xy) / sum(x^2 + y^2) against OpenBLAS on the UNquantized inputs.")
}
