// SPDX-License-Identifier: Apache-2.0
import XCTest

/// Skips a sweep over all 2^32 inputs in a debug build. SwiftPM compiles the C core at -O0 in debug,
/// where such a sweep takes many minutes; the release build (`swift test -c release`, which
/// scripts/test.sh and CI run) always runs it. Decided by the build configuration, not by an
/// environment variable, so a plain `swift test` stays quick without anyone having to know a switch.
func skipExhaustiveSweepInDebugBuilds(file: StaticString = #filePath, line: UInt = #line) throws {
    #if DEBUG
    throw XCTSkip("exhaustive 2^32-input sweep: runs in release builds only (swift test -c release; "
                  + "the C core is unoptimised in a debug build)", file: file, line: line)
    #endif
}
