// SPDX-License-Identifier: Apache-2.0
import CFP8
import Dispatch
import FP8
import FP8TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Memory bandwidth peers measured in the same run (GB/s, bytes read + written).
struct Bandwidth {
    var memcpy1 = 0.0, memcpyAll = 0.0, read1 = 0.0, readAll = 0.0
}

func measureBandwidth(bytes: Int, budget: Double, threads: Int) -> Bandwidth {
    progress("memcpy / read bandwidth on \(bytes >> 20) MiB")
    let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { src.deallocate(); dst.deallocate() }
    memset(src, 1, bytes)
    memset(dst, 2, bytes)
    var bw = Bandwidth()
    let t1 = bestTime(budget: budget) { memcpy(dst, src, bytes) }
    bw.memcpy1 = 2 * Double(bytes) / t1 / 1e9
    let part = bytes / threads
    let tN = bestTime(budget: budget) {
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            memcpy(dst + t * part, src + t * part, t == threads - 1 ? bytes - t * part : part)
        }
    }
    bw.memcpyAll = 2 * Double(bytes) / tN / 1e9
    func readSum(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        let w = p.assumingMemoryBound(to: UInt64.self)
        var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0
        var i = 0
        while i + 4 <= n / 8 { s0 &+= w[i]; s1 &+= w[i + 1]; s2 &+= w[i + 2]; s3 &+= w[i + 3]; i += 4 }
        return s0 &+ s1 &+ s2 &+ s3
    }
    let r1 = bestTime(budget: budget) { blackHole(readSum(src, bytes)) }
    bw.read1 = Double(bytes) / r1 / 1e9
    let rN = bestTime(budget: budget) {
        DispatchQueue.concurrentPerform(iterations: threads) { t in blackHole(readSum(src + t * part, part)) }
    }
    bw.readAll = Double(bytes) / rN / 1e9
    return bw
}

/// Codec throughput: per format and direction, in-cache and 256 MiB arrays, 1 and all threads,
/// scalar beside the best kernel set, with memcpy/read bandwidth of the same run.
func runCodecBench(_ o: Options, records: inout [Record]) {
    let allThreads = FP8Runtime.threadCount
    let best = FP8Runtime.supportedKernelSets.last!
    let bigBytes = o.quick ? 64 << 20 : 256 << 20
    let budget = o.quick ? 0.15 : 0.5
    let bw = measureBandwidth(bytes: bigBytes, budget: budget, threads: allThreads)
    var bwTable = Table("Memory bandwidth, same run (\(bigBytes >> 20) MiB)", ["peer", "1 thread GB/s", "\(allThreads) threads GB/s"])
    bwTable.add(["memcpy (read + write)", fmt(bw.memcpy1, 1), fmt(bw.memcpyAll, 1)])
    bwTable.add(["read (sum)", fmt(bw.read1, 1), fmt(bw.readAll, 1)])
    bwTable.print()
    for (name, v) in [("memcpy_1t", bw.memcpy1), ("memcpy_all", bw.memcpyAll), ("read_1t", bw.read1), ("read_all", bw.readAll)] {
        var r = Record()
        r.add("section", "bandwidth"); r.add("peer", name); r.add("bytes", bigBytes); r.add("gb_per_s", v)
        records.append(r)
    }

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

    var table = Table("Codec throughput (G elements/s; GB/s = bytes read + written; \(best) vs scalar kernels)",
                      ["format", "direction", "array", "threads", "scalar Gelem/s", "\(best) Gelem/s", "\(best) GB/s",
                       "x scalar", "% of memcpy"])
    for fmtv in [FP8Format.e4m3, .e5m2] {
        for dir in ["encode", "decode"] {
            for size in sizes {
                for threads in Set([1, allThreads]).sorted() {
                    progress("\(fmtv) \(dir) \(size.label) \(threads) thread(s)")
                    FP8Runtime.threadCount = threads
                    var rates: [String: Double] = [:]
                    for set in ["scalar", best] {
                        try! FP8Runtime.setKernelSet(set)
                        let n = size.n
                        let t = bestTime(budget: set == "scalar" && n > 1 << 20 ? budget / 2 : budget) {
                            if dir == "encode" { _ = fp8_encode_f32(fmtv.cValue, src, codes, n, 0) }
                            else { _ = fp8_decode_f32(fmtv.cValue, codes, back, n) }
                        }
                        rates[set] = Double(n) / t / 1e9
                    }
                    try! FP8Runtime.setKernelSet(nil)
                    let g = rates[best]!, gb = g * 5
                    let memcpyRef = threads == 1 ? bw.memcpy1 : bw.memcpyAll
                    let inCache = size.n < 1 << 20
                    table.add([fmtv.description, dir, size.label, "\(threads)", fmt(rates["scalar"]!, 3), fmt(g, 2), fmt(gb, 1),
                               fmt(g / rates["scalar"]!, 1) + "x", inCache ? "-" : fmt(100 * gb / memcpyRef, 0) + "%"])
                    var r = Record()
                    r.add("section", "codec"); r.add("format", fmtv.description); r.add("direction", dir)
                    r.add("elements", size.n); r.add("threads", threads); r.add("kernels", best)
                    r.add("gelem_per_s", g); r.add("gb_per_s", gb); r.add("scalar_gelem_per_s", rates["scalar"]!)
                    r.add("memcpy_gb_per_s", memcpyRef)
                    records.append(r)
                }
            }
        }
    }
    FP8Runtime.threadCount = 0
    table.print()
    print("\n% of memcpy compares with the same-thread-count memcpy above (bytes read + written).")
    print("ml_dtypes 0.6.0 astype on this machine kind: ~0.13 (encode) / ~0.15 (decode) G elements/s (KERNEL-NOTES.md).")
}
