// SPDX-License-Identifier: Apache-2.0
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Command-line options of the bench.
struct Options {
    var quick = false
    var allowDebug = false
    var jsonPath: String?
    var sections: Set<String> = ["codec", "quant", "gemm", "half", "embed", "ckpt"]

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--quick": o.quick = true
            case "--allow-debug": o.allowDebug = true
            case "--json":
                i += 1
                guard i < args.count else { fail("--json needs a file name") }
                o.jsonPath = args[i]
            case "--only":
                i += 1
                guard i < args.count else { fail("--only needs header, codec, quant, gemm, half, embed or ckpt (comma-separated)") }
                o.sections = Set(args[i].split(separator: ",").map(String.init))
                let unknown = o.sections.subtracting(["header", "codec", "quant", "gemm", "half", "embed", "ckpt"])
                guard unknown.isEmpty else { fail("--only: unknown section \(unknown.sorted().joined(separator: ", "))") }
            case "-h", "--help":
                print("""
                usage: bench [--quick] [--json FILE] [--only header,codec,quant,gemm,half,embed,ckpt] [--allow-debug]
                  Measures FP8 codec, quantization and GEMM throughput and accuracy against OpenBLAS,
                  and (half) BF16/F16 conversions, quantizing from BF16 and W8A16 GEMM,
                  memcpy and FP32/FP64 references in the same run; (embed) the MiniLM example's
                  sentences per second for each recipe beside FP32 (Swift GEMM and OpenBLAS sgemm);
                  (ckpt) the checkpoint tool's dequantize on a synthetic 1.1 GB DeepSeek-style FP8
                  checkpoint (0.26 GB with --quick) in TMPDIR beside cp -r of the same files; all
                  after a header with the machine's FMA peak and bandwidth. --quick takes about 75 s;
                  --only header prints just the header. FP8_KERNELS=avx2|avx512|... picks the kernel set; OPENBLAS_CORETYPE is set
                  (by re-executing) when OpenBLAS picked a core weaker than the CPU supports.
                  Refuses a debug build unless --allow-debug.
                """)
                exit(0)
            default: fail("unknown argument \(args[i]) (try --help)")
            }
            i += 1
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    fputs("bench: \(message)\n", stderr)
    exit(2)
}

/// Progress on stderr, so stdout stays the report.
func progress(_ message: String) {
    fputs("  .. \(message)\n", stderr)
}

/// Seconds on a monotonic clock.
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Best (minimum) time of `body` over repetitions lasting about `budget` seconds in total
/// (at least `minReps` and one warm-up call).
func bestTime(budget: Double, minReps: Int = 3, _ body: () -> Void) -> Double {
    body()  // warm-up: page faults, pool start, caches
    var best = Double.infinity
    let start = now()
    var reps = 0
    while reps < minReps || now() - start < budget {
        let t0 = now()
        body()
        best = min(best, now() - t0)
        reps += 1
        if reps > 10_000 { break }
    }
    return best
}

/// Best times of several bodies measured in alternating bursts (a a a, b b b, a a a, ...), so that a
/// noisy neighbour on a shared machine slows both sides of a ratio alike. Bursts rather than single
/// runs: a pool that spins after a call would otherwise steal the cores from the next body. OpenBLAS's
/// workers keep spinning after each call for its THREAD_TIMEOUT (2^28 TSC ticks by default, of the
/// order of 0.1 s), so a burst lasts at least `minBurstSeconds` (and `burst` runs): its later runs
/// are clear of the spinning.
func bestTimesInterleaved(budget: Double, minRounds: Int = 2, burst: Int = 3, minBurstSeconds: Double = 0.25,
                          _ bodies: [() -> Void]) -> [Double] {
    for b in bodies { b() }  // warm-up
    var best = [Double](repeating: .infinity, count: bodies.count)
    let start = now()
    var rounds = 0
    while rounds < minRounds || now() - start < budget {
        // Alternate the order every round, so that no body always runs right after the same other
        // one (a peer that leaves its threads spinning, or evicts the caches, would handicap it).
        for i in (rounds % 2 == 0 ? Array(bodies.indices) : bodies.indices.reversed()) {
            let b = bodies[i]
            let b0 = now()
            var n = 0
            while n < burst || now() - b0 < minBurstSeconds {
                let t0 = now()
                b()
                best[i] = min(best[i], now() - t0)
                n += 1
                if n > 10_000 { break }
            }
        }
        rounds += 1
        if rounds > 1_000 { break }
    }
    return best
}

/// Keeps the optimiser from deleting work whose result is otherwise unused: the result is folded
/// into a global that is printed at exit, a side effect no optimiser may remove.
nonisolated(unsafe) var benchSink: UInt64 = 0
@inline(never)
func blackHole(_ x: UInt64) { benchSink &+= x }

/// One JSON record (serialised with Foundation's JSONSerialization; non-finite numbers become null).
struct Record {
    var fields: [String: Any] = [:]
    mutating func add(_ k: String, _ v: String) { fields[k] = v }
    mutating func add(_ k: String, _ v: Double) { fields[k] = v.isFinite ? v : NSNull() }
    mutating func add(_ k: String, _ v: Int) { fields[k] = v }
}

/// Writes the records as a JSON array (keys sorted) to `path`.
func writeJSON(_ records: [Record], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: records.map(\.fields), options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: path))
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

/// Fixed-point formatting without Foundation.
func fmt(_ x: Double, _ digits: Int = 2) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (abs(x) * p).rounded()
    let ip = Int(r / p), fp = Int(r - Double(ip) * p)
    var fs = String(fp)
    while fs.count < digits { fs = "0" + fs }
    return (x < 0 && r != 0 ? "-" : "") + String(ip) + (digits > 0 ? "." + fs : "")
}

/// Scientific formatting with 2 significant decimals, e.g. 3.1e-07.
func sci(_ x: Double) -> String {
    guard x.isFinite, x != 0 else { return x == 0 ? "0" : fmt(x) }
    var e = 0
    var m = abs(x)
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    return (x < 0 ? "-" : "") + fmt(m, 1) + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
}

/// A text table printed with aligned columns.
struct Table {
    let title: String
    let header: [String]
    var rows: [[String]] = []
    init(_ title: String, _ header: [String]) { self.title = title; self.header = header }
    mutating func add(_ row: [String]) { rows.append(row) }
    func print() {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        Swift.print("\n## \(title)\(debugBuildWarning)\n")
        Swift.print("| " + header.enumerated().map { $1.padded(widths[$0]) }.joined(separator: " | ") + " |")
        Swift.print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
        for r in rows {
            Swift.print("| " + r.enumerated().map { $1.leftPadded(widths[$0]) }.joined(separator: " | ") + " |")
        }
    }
}
