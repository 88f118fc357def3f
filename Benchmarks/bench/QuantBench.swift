// SPDX-License-Identifier: Apache-2.0
import CFP8
import FP8
import FP8TestSupport

/// The four data sets of the quantization accuracy table (rows x cols, row-major).
func quantDataSets(rows: Int, cols: Int) -> [(name: String, data: [Float])] {
    var rng = SplitMix64(seed: 2024)
    let n = rows * cols
    let gaussian = (0..<n).map { _ in Float(rng.gaussian()) }
    let heavy = (0..<n).map { _ in Float(rng.studentT(3)) }
    // LLM-like activations: 8 of the columns (channels) carry outliers 100x larger.
    var outlierCols = Set<Int>()
    while outlierCols.count < 8 { outlierCols.insert(Int(rng.next() % UInt64(cols))) }
    var act = (0..<n).map { _ in Float(rng.gaussian()) }
    for r in 0..<rows { for c in outlierCols { act[r * cols + c] *= 100 } }
    // Wide range: each 1x128 tile is Gaussian times e^u, u uniform in [-12, 12].
    var wide = [Float](repeating: 0, count: n)
    for r in 0..<rows {
        for t in stride(from: 0, to: cols, by: 128) {
            let s = expDouble(-12 + 24 * rng.uniform())
            for c in t..<min(cols, t + 128) { wide[r * cols + c] = Float(rng.gaussian() * s) }
        }
    }
    return [("(a) Gaussian", gaussian), ("(b) Student-t(3)", heavy), ("(c) 8 outlier channels x100", act),
            ("(d) tiles x e^U[-12,12]", wide)]
}

func runQuantBench(_ o: Options, records: inout [Record]) {
    let rows = 256, cols = 4096
    progress("quantization accuracy on \(rows)x\(cols) matrices")
    let sets = quantDataSets(rows: rows, cols: cols)
    let grans: [(String, Granularity)] = [("per-tensor", .tensor), ("per-row", .row), ("1x128", .tile(128)),
                                          ("128x128", .block(128, 128)), ("MX 1x32", .mx)]
    var table = Table("Quantize -> dequantize accuracy (\(rows)x\(cols), scale rule amax; MX uses the MX rule)",
                      ["data", "format", "granularity", "norm rel err", "SQNR dB", "median rel err", "% nonzero -> 0"])
    for (dname, data) in sets {
        for f in [FP8Format.e4m3, .e5m2] {
            for (gname, g) in grans {
                let q = try! QuantizedMatrix(quantizing: data, rows: rows, cols: cols, format: f, granularity: g)
                let d = q.dequantized()
                let nre = try! ErrorMetrics.normwiseRelativeError(d, reference: data)
                let sq = try! ErrorMetrics.sqnr(d, reference: data)
                let med = Reference.medianRelativeError(d, reference: data)
                var lost = 0, nonzero = 0
                for i in data.indices where data[i] != 0 { nonzero += 1; if d[i] == 0 { lost += 1 } }
                let lostPct = 100 * Double(lost) / Double(max(nonzero, 1))
                table.add([dname, f.description, gname, sci(nre), fmt(sq, 1), sci(med), fmt(lostPct, 1)])
                var r = Record()
                r.add("section", "quant_accuracy"); r.add("data", dname); r.add("format", f.description)
                r.add("granularity", gname); r.add("normwise_rel_err", nre); r.add("sqnr_db", sq)
                r.add("median_rel_err", med); r.add("pct_nonzero_flushed", lostPct)
                records.append(r)
            }
        }
    }
    table.print()

    // Throughput: quantize beside plain saturating encode of the same data.
    let n = o.quick ? 2048 : 4096
    progress("quantize throughput on \(n)x\(n)")
    var rng = SplitMix64(seed: 5)
    let x = (0..<(n * n)).map { _ in Float(rng.gaussian()) }
    var q = [UInt8](repeating: 0, count: n * n)
    var scales = [Float](repeating: 0, count: n * n / 32 + n)
    let budget = o.quick ? 0.2 : 0.6
    var tput = Table("Quantize throughput (\(n)x\(n) float32 -> E4M3, G elements/s)",
                     ["threads", "plain encode (sat)", "per-tensor", "per-row", "1x128", "128x128", "MX 1x32", "1x128 / encode"])
    for threads in Set([1, FP8Runtime.threadCount]).sorted() {
        FP8Runtime.threadCount = threads
        let tEnc = bestTime(budget: budget) { _ = fp8_encode_f32(FP8_E4M3, x, &q, n * n, 1) }
        var row = ["\(threads)", fmt(Double(n * n) / tEnc / 1e9, 2)]
        var tile = 0.0
        for (gname, g, rule) in [("per-tensor", Granularity.tensor, FP8_SCALE_AMAX), ("per-row", .row, FP8_SCALE_AMAX),
                                 ("1x128", .tile(128), FP8_SCALE_AMAX), ("128x128", .block(128, 128), FP8_SCALE_AMAX),
                                 ("MX", .mx, FP8_SCALE_MX)] {
            let (br, bc) = g.blockShape(rows: n, cols: n)
            let t = bestTime(budget: budget) {
                let st = fp8_quantize_f32(FP8_E4M3, x, n, n, n, br, bc, rule, &q, n, &scales)
                precondition(st == 0)
            }
            row.append(fmt(Double(n * n) / t / 1e9, 2))
            if gname == "1x128" { tile = tEnc / t }
            var r = Record()
            r.add("section", "quant_throughput"); r.add("granularity", gname); r.add("threads", threads)
            r.add("elements", n * n); r.add("gelem_per_s", Double(n * n) / t / 1e9)
            r.add("encode_gelem_per_s", Double(n * n) / tEnc / 1e9)
            records.append(r)
        }
        row.append(fmt(100 * tile, 0) + "%")
        tput.add(row)
    }
    FP8Runtime.threadCount = 0
    tput.print()
}
