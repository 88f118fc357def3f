// SPDX-License-Identifier: Apache-2.0
import FP8
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Whether this machine has a SIMD kernel set the library should offer, decided independently of the
/// library's own CPU detection (from /proc/cpuinfo on x86-64 Linux; NEON is baseline on arm64).
func machineHasSIMD() -> Bool {
    #if arch(arm64)
    return true
    #elseif arch(x86_64) && os(Linux)
    guard let f = fopen("/proc/cpuinfo", "r") else { return false }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 1 << 16)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = String(cString: line)
        if s.hasPrefix("flags") {
            let flags = Set(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }))
            return flags.contains("avx2") && flags.contains("fma") && flags.contains("f16c")
        }
    }
    return false
    #else
    return false
    #endif
}

/// Runs `body` once per kernel set this machine supports (scalar first), restoring the default after.
/// Fails the test if scalar is missing, or if the machine has SIMD but no SIMD set ran.
func forEachKernelSet(file: StaticString = #filePath, line: UInt = #line,
                      _ body: (String) throws -> Void) rethrows {
    let sets = FP8Runtime.supportedKernelSets
    XCTAssertEqual(sets.first, "scalar", file: file, line: line)
    var ranSIMD = false
    defer { try? FP8Runtime.setKernelSet(nil) }
    for s in sets {
        XCTAssertNoThrow(try FP8Runtime.setKernelSet(s), file: file, line: line)
        XCTAssertEqual(FP8Runtime.kernelSet, s, file: file, line: line)
        try body(s)
        if s != "scalar" { ranSIMD = true }
    }
    if machineHasSIMD() {
        XCTAssertTrue(ranSIMD, "this machine has SIMD but no SIMD kernel set ran", file: file, line: line)
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
