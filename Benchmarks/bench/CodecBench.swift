// SPDX-License-Identifier: Apache-2.0
import CFP8
import Dispatch
import FP8
import FP8TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Codec throughput: per format and direction, in-cache and 256 MiB arrays, 1 and all threads,
/// scalar beside the best kernel set, with memcpy/read bandwidth of the same run.
func runCodecBench(_ o: Options, machine: Machine, records: inout [Record]) {
    let allThreads = FP8Runtime.threadCount
    let best = FP8Runtime.kernelSet
    let sets = FP8Runtime.supportedKernelSets
    let bigBytes = machine.bandwidthBytes
    let budget = o.quick ? 0.15 : 0.5
    let bw = machine.bandwidth

    let sizes = [(label: "256 KiB (in cache)", n: (256 << 10) / 4), (label: "\(bigBytes >> 20) MiB", n: bigBytes / 4)]
    let maxN = sizes.map(\.n).max()!
    var rng = SplitMix64(seed: 1)
    progress("preparing \(maxN) random inputs")
    let src = UnsafeMutablePointer<Float>.allocate(capacity: maxN)
    let codes = UnsafeMutablePointer<UInt8>.allocate(capacity: maxN)
    let back = UnsafeMutablePointer<Float>.allocate(capacity: maxN)
    defer { src.deallocate(); codes.deallocate(); back.deallocate() }
    for i in 0..<maxN { src[i] = Float(rng.gaussian() * 64) }
    memset(codes, 0, maxN)
    memset(back, 0, maxN * 4)

    let compareAVX = sets.contains("avx2") && sets.contains("avx512")
    var table = Table("Codec throughput (G elements/s; GB/s = bytes read + written; default set \(best))",
                      ["format", "direction", "array", "threads"] + sets.map { "\($0) Gelem/s" }
                      + [(compareAVX ? ["avx512 / avx2"] : []), ["\(best) GB/s", "x scalar", "% of memcpy"]].flatMap { $0 })
    for fmtv in [FP8Format.e4m3, .e5m2] {
        for dir in ["encode", "decode"] {
            for size in sizes {
                for threads in Set([1, allThreads]).sorted() {
                    progress("\(fmtv) \(dir) \(size.label) \(threads) thread(s)")
                    FP8Runtime.threadCount = threads
                    var rates: [String: Double] = [:]
                    for set in sets {
                        try! FP8Runtime.setKernelSet(set)
                        let n = size.n
                        let t = bestTime(budget: set == "scalar" && n > 1 << 20 ? budget / 2 : budget) {
                            if dir == "encode" { _ = fp8_encode_f32(fmtv.cValue, src, codes, n, 0) }
                            else { _ = fp8_decode_f32(fmtv.cValue, codes, back, n) }
                        }
                        rates[set] = Double(n) / t / 1e9
                    }
                    try! FP8Runtime.setKernelSet(best)
                    let g = rates[best]!, gb = g * 5
                    let memcpyRef = threads == 1 ? bw.memcpy1 : bw.memcpyAll
                    let inCache = size.n < 1 << 20
                    var row = [fmtv.description, dir, size.label, "\(threads)"] + sets.map { fmt(rates[$0]!, 2) }
                    if compareAVX { row.append(fmt(rates["avx512"]! / rates["avx2"]!, 2) + "x") }
                    row += [fmt(gb, 1), fmt(g / rates["scalar"]!, 1) + "x", inCache ? "-" : fmt(100 * gb / memcpyRef, 0) + "%"]
                    table.add(row)
                    var r = Record()
                    r.add("section", "codec"); r.add("format", fmtv.description); r.add("direction", dir)
                    r.add("elements", size.n); r.add("threads", threads); r.add("kernels", best)
                    r.add("gelem_per_s", g); r.add("gb_per_s", gb)
                    for set in sets { r.add("\(set)_gelem_per_s", rates[set]!) }
                    r.add("memcpy_gb_per_s", memcpyRef)
                    records.append(r)
                }
            }
        }
    }
    FP8Runtime.threadCount = 0
    table.print()
    print("\n% of memcpy compares with the same-thread-count memcpy above (bytes read + written).")
    print("For scale: ml_dtypes 0.6.0 astype ran at about 0.13 (encode) / 0.15 (decode) G elements/s on the AMD Zen 3 machine (measured outside the bench).")
}
