// SPDX-License-Identifier: Apache-2.0
import CBenchSupport
import CFP8
import COpenBLAS
import Dispatch
import FP8

#if canImport(Glibc)
import Glibc
#endif

/// What the bench knows about the machine and the peer before it measures anything: the CPU and the
/// ISA extensions that matter, the kernel set in use, OpenBLAS's build and the core it runs, and the
/// machine's own limits (FP32 FMA peak per core, streaming-read and memcpy bandwidth) measured in the
/// same run, so every figure can be read as a % of what this machine can do.
struct Machine {
    var cpuModel = "unknown CPU"
    var flags: Set<String> = []
    var openblasConfig = ""
    var openblasCore = ""
    var openblasNote = ""
    /// GFLOP/s of FP32 FMAs, one core and all threads; 0 where the width is not available.
    var peak256 = (one: 0.0, all: 0.0)
    var peak512 = (one: 0.0, all: 0.0)
    var bandwidth = Bandwidth()
    var bandwidthBytes = 0

    /// The ISA extensions the header lists (those the kernels or the peers could use).
    static let interesting = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512vbmi",
                              "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "asimd", "asimdhp", "bf16"]

    var threads = 1

    /// The FMA peak the GEMM rows are compared with: 512-bit where the CPU has AVX-512, else 256-bit;
    /// per core, and that times the thread count for all threads (the measured all-thread figure in
    /// the header is shown too, but a shared VM's other vCPU can be descheduled during that short
    /// run, so it is not the reference).
    var gemmPeak: (one: Double, all: Double) {
        let one = peak512.one > 0 ? peak512.one : peak256.one
        return (one, one * Double(threads))
    }
    var gemmPeakLabel: String { peak512.one > 0 ? "512-bit FMA peak" : "256-bit FMA peak" }
}

/// "model name" and "flags" of the first CPU in /proc/cpuinfo (Linux; empty elsewhere).
func readCPUInfo() -> (model: String, flags: Set<String>) {
    guard let f = fopen("/proc/cpuinfo", "r") else { return ("unknown CPU", []) }
    defer { fclose(f) }
    var model = "unknown CPU"
    var flags: Set<String> = []
    var line = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = String(cString: line)
        func value() -> String {
            guard let c = s.firstIndex(of: ":") else { return "" }
            return String(s[s.index(after: c)...]).trimmingCharacters(" \t\n")
        }
        if s.hasPrefix("model name"), model == "unknown CPU" { model = value() }
        if (s.hasPrefix("flags") || s.hasPrefix("Features")), flags.isEmpty {
            flags = Set(value().split(separator: " ").map(String.init))
        }
        if model != "unknown CPU" && !flags.isEmpty { break }
    }
    return (model, flags)
}

/// OpenBLAS core names by the widest vector ISA their sgemm kernels use: 3 = AVX-512, 2 = AVX2,
/// 1 = AVX, 0 = SSE or generic (OpenBLAS 0.3.21's DYNAMIC_ARCH x86-64 cores).
func openblasCoreLevel(_ name: String) -> Int {
    switch name.lowercased() {
    case "skylakex", "cooperlake", "sapphirerapids": return 3
    case "haswell", "zen": return 2
    case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": return 1
    default: return 0
    }
}

/// The level this CPU supports in the same terms, and the OpenBLAS core that matches it.
func cpuCoreLevel(_ flags: Set<String>) -> (level: Int, core: String) {
    if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return (3, "SkylakeX") }
    if flags.isSuperset(of: ["avx2", "fma"]) { return (2, "Haswell") }
    if flags.contains("avx") { return (1, "Sandybridge") }
    return (0, "")
}

/// Makes OpenBLAS run its best kernels for this CPU. Debian's OpenBLAS 0.3.21 does not know some
/// recent CPUs (an Emerald Rapids Xeon runs its SSE3 "Prescott" kernels at a fifth of the speed), and
/// OpenBLAS reads OPENBLAS_CORETYPE only while it is loaded, so when the core it picked is weaker than
/// the CPU supports the bench sets OPENBLAS_CORETYPE and re-executes itself (once). Returns a note for
/// the header ("" when nothing had to be done).
func ensureOpenBLASBestCore(flags: Set<String>) -> String {
    let core = String(cString: openblas_get_corename())
    let want = cpuCoreLevel(flags)
    if let done = getenv("FP8_BENCH_OPENBLAS_REEXEC") {
        let from = String(cString: done)
        unsetenv("FP8_BENCH_OPENBLAS_REEXEC")
        if openblasCoreLevel(core) >= want.level {
            return "OpenBLAS chose its \(from) core, weaker than this CPU supports; the bench re-executed itself with OPENBLAS_CORETYPE=\(want.core)"
        }
        return "WARNING: OpenBLAS picked \(from) and ignored OPENBLAS_CORETYPE=\(want.core): the peer runs weaker kernels than this CPU supports, ratios overstate FP8"
    }
    guard want.level > 0, openblasCoreLevel(core) < want.level else { return "" }
    setenv("OPENBLAS_CORETYPE", want.core, 1)
    setenv("FP8_BENCH_OPENBLAS_REEXEC", core, 1)
    fflush(stdout)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: carry on, and say so.
    unsetenv("FP8_BENCH_OPENBLAS_REEXEC")
    return "WARNING: OpenBLAS picked \(core), weaker than this CPU supports, and re-executing with OPENBLAS_CORETYPE=\(want.core) failed: ratios overstate FP8"
}

/// GFLOP/s of FP32 FMAs at `bits` on `threads` threads started together (POSIX threads, in C), best of 3.
func measureFMAPeak(bits: Int, threads: Int) -> Double {
    var best = 0.0
    for _ in 0..<5 { best = max(best, fp8b_fma_gflops_threads(Int32(bits), 20_000_000, Int32(threads))) }
    return best
}

/// Memory bandwidth peers measured in the same run (GB/s): memcpy counts bytes read + written, read
/// counts bytes read (a streaming 256-bit load loop).
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
    let part = (bytes / threads) & ~63
    let tN = bestTime(budget: budget) {
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            memcpy(dst + t * part, src + t * part, t == threads - 1 ? bytes - t * part : part)
        }
    }
    bw.memcpyAll = 2 * Double(bytes) / tN / 1e9
    let r1 = bestTime(budget: budget) { blackHole(fp8b_read_sum(src, bytes)) }
    bw.read1 = Double(bytes) / r1 / 1e9
    // All threads: POSIX threads released together (concurrentPerform need not run them at once).
    var readAll = 0.0
    let rStart = now()
    repeat { readAll = max(readAll, fp8b_read_gbs_threads(src, bytes, Int32(threads))) } while now() - rStart < budget
    bw.readAll = readAll
    return bw
}

/// Everything the header reports; measures the peaks and bandwidths (a few seconds).
func surveyMachine(_ o: Options, openblasNote: String) -> Machine {
    var m = Machine()
    (m.cpuModel, m.flags) = readCPUInfo()
    m.openblasConfig = String(cString: openblas_get_config())
    m.openblasCore = String(cString: openblas_get_corename())
    m.openblasNote = openblasNote
    let threads = FP8Runtime.threadCount
    m.threads = threads
    progress("FP32 FMA peak")
    m.peak256 = (measureFMAPeak(bits: 256, threads: 1), measureFMAPeak(bits: 256, threads: threads))
    if fp8_kernels_supported("avx512") == 1 {
        m.peak512 = (measureFMAPeak(bits: 512, threads: 1), measureFMAPeak(bits: 512, threads: threads))
    }
    m.bandwidthBytes = o.quick ? 64 << 20 : 256 << 20
    m.bandwidth = measureBandwidth(bytes: m.bandwidthBytes, budget: o.quick ? 0.15 : 0.5, threads: threads)
    return m
}

func printHeader(_ m: Machine, _ o: Options, records: inout [Record]) {
    let threads = FP8Runtime.threadCount
    print("# FP8 bench\(debugBuildWarning)")
    print("- CPU: \(m.cpuModel), \(threads) threads; ISA: "
          + Machine.interesting.filter { m.flags.contains($0) }.joined(separator: " "))
    print("- FP8 kernels: \(FP8Runtime.kernelSet) (supported: \(FP8Runtime.supportedKernelSets.joined(separator: ", ")))"
          + (FP8Runtime.environmentRequestHonoured ? "" : "; FP8_KERNELS asked for an unsupported set"))
    print("- peer: \(m.openblasConfig); core \(m.openblasCore)")
    if !m.openblasNote.isEmpty { print("- note: \(m.openblasNote)") }
    var peaks = "- FP32 FMA peak (12 independent chains): 256-bit \(fmt(m.peak256.one, 1)) GFLOP/s on 1 core, \(fmt(m.peak256.all, 1)) on \(threads)"
    if m.peak512.one > 0 { peaks += "; 512-bit \(fmt(m.peak512.one, 1)) on 1 core, \(fmt(m.peak512.all, 1)) on \(threads)" }
    print(peaks)
    let b = m.bandwidth
    print("- bandwidth (\(m.bandwidthBytes >> 20) MiB): streaming read \(fmt(b.read1, 1)) GB/s on 1 thread, \(fmt(b.readAll, 1)) on \(threads); "
          + "memcpy (read + write) \(fmt(b.memcpy1, 1)) / \(fmt(b.memcpyAll, 1))")
    if o.quick { print("- --quick: shorter runs and fewer shapes") }
    var r = Record()
    r.add("section", "machine"); r.add("cpu", m.cpuModel); r.add("threads", threads)
    r.add("isa", Machine.interesting.filter { m.flags.contains($0) }.joined(separator: " "))
    r.add("kernels", FP8Runtime.kernelSet); r.add("openblas_config", m.openblasConfig); r.add("openblas_core", m.openblasCore)
    r.add("openblas_note", m.openblasNote)
    r.add("fma256_gflops_1t", m.peak256.one); r.add("fma256_gflops_all", m.peak256.all)
    r.add("fma512_gflops_1t", m.peak512.one); r.add("fma512_gflops_all", m.peak512.all)
    r.add("read_gb_per_s_1t", b.read1); r.add("read_gb_per_s_all", b.readAll)
    r.add("memcpy_gb_per_s_1t", b.memcpy1); r.add("memcpy_gb_per_s_all", b.memcpyAll)
    records.append(r)
}

/// " (DEBUG BUILD: ...)" in a debug build, else "". Printed in the first line and in every table.
var debugBuildWarning: String {
    #if DEBUG
    return " (DEBUG BUILD: C kernels at -O0, not a measurement; use swift run -c release bench)"
    #else
    return ""
    #endif
}

extension String {
    func trimmingCharacters(_ set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
