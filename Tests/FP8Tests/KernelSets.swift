// SPDX-License-Identifier: Apache-2.0
import FP8
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The SIMD kernel sets this machine should offer, decided independently of the library's own CPU
/// detection (from /proc/cpuinfo on x86-64 Linux; NEON is baseline on arm64).
func machineSIMDSets() -> [String] {
    #if arch(arm64)
    return ["neon"]
    #elseif arch(x86_64) && os(Linux)
    guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = String(cString: line)
        if s.hasPrefix("flags") {
            let flags = Set(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
            var sets: [String] = []
            if flags.isSuperset(of: ["avx2", "fma", "f16c"]) {
                sets.append("avx2")
                if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
                    sets.append("avx512")
                    if flags.contains("avx512vbmi") { sets.append("avx512vbmi") }
                }
            }
            return sets
        }
    }
    return []
    #else
    return []
    #endif
}

/// Whether this machine has a SIMD kernel set the library should offer.
func machineHasSIMD() -> Bool { !machineSIMDSets().isEmpty }

/// Runs `body` once per kernel set this machine supports (scalar first), restoring the default after.
/// Fails the test if scalar is missing, or if a SIMD set this machine has (``machineSIMDSets()``) did
/// not run.
func forEachKernelSet(file: StaticString = #filePath, line: UInt = #line,
                      _ body: (String) throws -> Void) rethrows {
    let sets = FP8Runtime.supportedKernelSets
    XCTAssertEqual(sets.first, "scalar", file: file, line: line)
    var ran: Set<String> = []
    defer { try? FP8Runtime.setKernelSet(nil) }
    for s in sets {
        XCTAssertNoThrow(try FP8Runtime.setKernelSet(s), file: file, line: line)
        XCTAssertEqual(FP8Runtime.kernelSet, s, file: file, line: line)
        try body(s)
        ran.insert(s)
    }
    for s in machineSIMDSets() {
        XCTAssertTrue(ran.contains(s), "this machine has \(s) but the \(s) kernel set did not run", file: file, line: line)
    }
}

/// Runs `body` with the library using `n` threads, restoring the default after.
func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
    FP8Runtime.threadCount = n
    defer { FP8Runtime.threadCount = 0 }
    return try body()
}

extension Float {
    init(bits: UInt32) { self.init(bitPattern: bits) }
}
