// SPDX-License-Identifier: Apache-2.0
import CFP8
import FP8
import FP8TestSupport
import XCTest

/// Bad input through the Swift API: each case asserts the exact error, and that nothing was written.
/// Regression tests for issue 9 fault 4 (traps instead of errors) are named after the input.
final class SwiftBadInputTests: XCTestCase {
    /// Asserts that `body` throws exactly `expected`.
    func assertThrows<R>(_ expected: FP8Error, file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> R) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            XCTAssertEqual(e as? FP8Error, expected, file: file, line: line)
        }
    }

    /// The error the Swift API throws for C status `status` after `context` (C's own status text).
    func cError(_ context: String, _ status: fp8_status) -> String {
        "\(context): " + String(cString: fp8_status_string(status.rawValue))
    }

    let x6: [Float] = [1, -2, 3, 0.5, 7, -8]  // 2 x 3

    // MARK: Fault 4: block sizes and shapes that used to trap

    func testTileIntMaxIsOneBlockPerRowNotATrap() throws {
        let q = try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .tile(Int.max))
        let row = try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .row)
        XCTAssertEqual(q.codes, row.codes)
        XCTAssertEqual(q.scales, row.scales)
        XCTAssertEqual([q.blockRows, q.blockCols, q.scaleRows, q.scaleCols], [1, 1 << 32, 2, 1])
        XCTAssertEqual(try matmul(q, q), try matmul(row, row))
    }

    func testBlockIntMaxIsOneBlockNotATrap() throws {
        let q = try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .block(Int.max, Int.max))
        let tensor = try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .tensor)
        XCTAssertEqual(q.codes, tensor.codes)
        XCTAssertEqual(q.scales, tensor.scales)
        XCTAssertEqual([q.blockRows, q.blockCols], [1 << 32, 1 << 32])
        XCTAssertEqual(q.scales.count, 1)
        XCTAssertEqual(QuantizedMatrix.clippedBlockSize(Int.max, dimension: 1 << 40), 1 << 40)
        XCTAssertEqual(QuantizedMatrix.clippedBlockSize(128, dimension: 10), 128, "ordinary sizes are kept")
        XCTAssertEqual(q.dequantized().count, 6)
    }

    func testWrappedCodesWithBlockRowsIntMaxNotATrap() throws {
        let codes = Float8E4M3.encode(x6)
        let q = try QuantizedMatrix(codes: codes, scales: [1, 1], rows: 2, cols: 3, blockRows: Int.max, blockCols: 2)
        XCTAssertEqual([q.blockRows, q.blockCols, q.scaleRows, q.scaleCols], [1 << 32, 2, 1, 2])
        XCTAssertEqual(q.dequantized(), Float8E4M3.encode(x6).map(Float.init))
        assertThrows(.sizeMismatch(expected: 2, actual: 1)) {
            try QuantizedMatrix(codes: codes, scales: [1], rows: 2, cols: 3, blockRows: Int.max, blockCols: 2)
        }
        // Int.max columns per block, 0 rows: still no trap.
        let empty = try QuantizedMatrix(codes: [Float8E5M2](), scales: [], rows: 0, cols: 5, blockRows: 1, blockCols: Int.max)
        XCTAssertEqual(empty.scales.count, 0)
    }

    func testNonPositiveBlockShapesThrow() {
        assertThrows(.badShape("block shape 1 x 0 must be positive")) {
            try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .tile(0))
        }
        assertThrows(.badShape("block shape 1 x -1 must be positive")) {
            try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .tile(-1))
        }
        assertThrows(.badShape("block shape \(Int.min) x 1 must be positive")) {
            try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .block(Int.min, 1))
        }
        assertThrows(.badShape("block shape 0 x 3 must be positive")) {
            try QuantizedMatrix(codes: Float8E4M3.encode(x6), scales: [1], rows: 2, cols: 3, blockRows: 0, blockCols: 3)
        }
        assertThrows(.badShape("block shape 2 x -3 must be positive")) {
            try QuantizedMatrix(codes: Float8E5M2.encode(x6), scales: [1], rows: 2, cols: 3, blockRows: 2, blockCols: -3)
        }
    }

    func testDimensionsAndCounts() {
        assertThrows(.badShape("negative dimension -1 x 3")) {
            try QuantizedMatrix(quantizing: x6, rows: -1, cols: 3, granularity: .row)
        }
        assertThrows(.sizeOverflow) { try QuantizedMatrix(quantizing: x6, rows: Int.max, cols: 2, granularity: .row) }
        assertThrows(.sizeMismatch(expected: 4, actual: 6)) {
            try QuantizedMatrix(quantizing: x6, rows: 2, cols: 2, granularity: .row)
        }
        assertThrows(.badShape("negative dimension 2 x -3")) {
            try QuantizedMatrix(codes: [UInt8](), scales: [], rows: 2, cols: -3, blockRows: 1, blockCols: 1, format: .e4m3)
        }
        assertThrows(.sizeOverflow) {
            try QuantizedMatrix(codes: [Float8E4M3](), scales: [], rows: 1 << 40, cols: 1 << 40, blockRows: 1, blockCols: 1)
        }
        assertThrows(.sizeMismatch(expected: 6, actual: 5)) {
            try QuantizedMatrix(codes: [UInt8](repeating: 0, count: 5), scales: [1], rows: 2, cols: 3, blockRows: 2,
                                blockCols: 3, format: .e5m2)
        }
    }

    func testStridedBufferChecks() {
        x6.withUnsafeBufferPointer { b in
            assertThrows(.badShape("leading dimension 2 < cols 3")) {
                try QuantizedMatrix(quantizing: b, rows: 2, cols: 3, ld: 2, granularity: .row)
            }
            assertThrows(.sizeMismatch(expected: 7, actual: 6)) {
                try QuantizedMatrix(quantizing: b, rows: 2, cols: 3, ld: 4, granularity: .row)
            }
            assertThrows(.sizeOverflow) {
                try QuantizedMatrix(quantizing: b, rows: 3, cols: 3, ld: Int.max / 2 + 1, granularity: .row)
            }
            assertThrows(.nonFinite(row: 1, column: 0)) {
                var y = x6
                y[3] = .nan
                return try QuantizedMatrix(quantizing: y, rows: 2, cols: 3, granularity: .row)
            }
        }
    }

    // MARK: Scales given to dequantize and to E8M0 export

    func testBadScalesAreRejectedOnWrap() {
        let codes = Float8E4M3.encode(x6)
        for (i, s) in [Float.nan, 0, -0.0, -1, -Float.leastNonzeroMagnitude, .infinity, -.infinity].enumerated() {
            var scales: [Float] = [1, 1]
            scales[i % 2] = s
            assertThrows(.badScale("scale \(i % 2) is \(s); scales must be finite and positive")) {
                try QuantizedMatrix(codes: codes, scales: scales, rows: 2, cols: 3, blockRows: 1, blockCols: 3)
            }
        }
    }

    /// Positive subnormal scales are valid (E8M0's 2^-127 is one); dequantize rounds the exact product once.
    func testSubnormalScalesDequantizeExactly() throws {
        let oracle = FormatOracle(.e4m3)
        let codes = (0..<6).map { Float8E4M3(bitPattern: UInt8([0x01, 0x7E, 0x38, 0xB9, 0x08, 0x00][$0])) }
        for s in [Float(1e-40), Float.leastNonzeroMagnitude, Float(bitPattern: 0x0040_0000), Float.leastNormalMagnitude.nextDown] {
            let q = try QuantizedMatrix(codes: codes, scales: [s], rows: 2, cols: 3, blockRows: 2, blockCols: 3)
            let d = q.dequantized()
            for i in 0..<6 {
                XCTAssertEqual(d[i], Float(oracle.decode(codes[i].bitPattern) * Double(s)), "scale \(s) code \(codes[i].bitPattern)")
            }
        }
    }

    func testE8M0ExportRejectsScalesItCannotHold() throws {
        let codes = [Float8E4M3](repeating: 1, count: 2)
        func export(_ s: Float) throws -> [UInt8] {
            try QuantizedMatrix(codes: codes, scales: [s], rows: 1, cols: 2, blockRows: 1, blockCols: 2).e8m0Scales()
        }
        XCTAssertEqual(try export(Float(pow2(-127))), [0], "2^-127 (subnormal) is byte 0")
        XCTAssertEqual(try export(Float(pow2(127))), [254])
        XCTAssertEqual(try export(1), [127])
        for bad in [Float(3), Float(1e-40), Float(pow2(-128)), Float(pow2(-149)), Float(1).nextUp, Float.greatestFiniteMagnitude] {
            assertThrows(.badScale(cError("E8M0 export", FP8_ERR_BAD_SCALE))) { try export(bad) }
        }
        // Import: the NaN byte, and a count that does not match the grid.
        assertThrows(.badScale(cError("E8M0 scales", FP8_ERR_BAD_SCALE))) {
            try QuantizedMatrix(codes: codes, e8m0Scales: [0xFF], rows: 1, cols: 2, blockRows: 1, blockCols: 2)
        }
        assertThrows(.sizeMismatch(expected: 1, actual: 2)) {
            try QuantizedMatrix(codes: codes, e8m0Scales: [127, 127], rows: 1, cols: 2, blockRows: 1, blockCols: 2)
        }
        let q = try QuantizedMatrix(codes: codes, e8m0Scales: [0], rows: 1, cols: 2, blockRows: 1, blockCols: 2)
        XCTAssertEqual(q.scales, [Float(pow2(-127))])
    }

    // MARK: Typed codes (fault: E5M2 bytes silently decoded as E4M3)

    func testTypedCodesCarryTheirFormat() throws {
        let e5 = Float8E5M2.encode([1, 2, -3, 0.25] as [Float])
        let q = try QuantizedMatrix(codes: e5, scales: [2], rows: 2, cols: 2, blockRows: 2, blockCols: 2)
        XCTAssertEqual(q.format, .e5m2)
        XCTAssertEqual(q.dequantized(), [2, 4, -6, 0.5])
        let raw = try QuantizedMatrix(codes: e5.map(\.bitPattern), scales: [2], rows: 2, cols: 2, blockRows: 2, blockCols: 2,
                                      format: .e5m2)
        XCTAssertEqual(raw, q)
        let wrong = try QuantizedMatrix(codes: e5.map(\.bitPattern), scales: [2], rows: 2, cols: 2, blockRows: 2, blockCols: 2,
                                        format: .e4m3)
        XCTAssertNotEqual(wrong, q, "the format is part of equality")
        XCTAssertEqual(try q.codes(as: Float8E5M2.self).map(\.bitPattern), e5.map(\.bitPattern))
        assertThrows(.badFormat) { try q.codes(as: Float8E4M3.self) }
        assertThrows(.badFormat) { try wrong.codes(as: Float8E5M2.self) }
    }

    func testDescriptionIsOneLineAndEquatable() throws {
        let q = try QuantizedMatrix(quantizing: (0..<(300 * 260)).map { Float($0 % 17) - 8 }, rows: 300, cols: 260,
                                    granularity: .block(128, 128), rule: .powerOfTwo)
        XCTAssertEqual(q.description, "QuantizedMatrix(e4m3, 300 x 260, blocks 128 x 128, 9 scales in [0.03125, 0.03125])")
        XCTAssertFalse(q.description.contains("\n"))
        XCTAssertEqual("\(try QuantizedMatrix(codes: [Float8E5M2](), scales: [], rows: 0, cols: 0, blockRows: 4, blockCols: 4))",
                       "QuantizedMatrix(e5m2, 0 x 0, blocks 4 x 4, no scales)")
        XCTAssertEqual(q, try QuantizedMatrix(codes: q.codes, scales: q.scales, rows: 300, cols: 260, blockRows: 128,
                                              blockCols: 128, format: .e4m3))
        var s = q.scales
        s[8] *= 2
        XCTAssertNotEqual(q, try QuantizedMatrix(codes: q.codes, scales: s, rows: 300, cols: 260, blockRows: 128,
                                                 blockCols: 128, format: .e4m3))
    }

    // MARK: matmul

    func testMatmulShapesAndOverflows() throws {
        let a = try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .row)
        let b = try QuantizedMatrix(quantizing: [1, 2, 3, 4], rows: 2, cols: 2, granularity: .row)
        assertThrows(.badShape("A is 2 x 3 but B is 2 x 2; K must match")) { try matmul(a, b) }
        // Fault: two empty operands with 2^40 rows (M * N overflows).
        let huge = try QuantizedMatrix(codes: [Float8E4M3](), scales: [], rows: 1 << 40, cols: 0, blockRows: 1, blockCols: 1)
        assertThrows(.sizeOverflow) { try matmul(huge, huge) }
        // M * N fits in Int but not as bytes.
        let big = try QuantizedMatrix(codes: [Float8E4M3](), scales: [], rows: 1 << 31, cols: 0, blockRows: 1, blockCols: 1)
        assertThrows(.sizeOverflow) { try matmul(big, big) }
        // Weight-only: negative m, m * K overflow, wrong count, and (fault) m * N overflow with K = 0.
        assertThrows(.badShape("negative row count -1")) { try matmul([], rows: -1, b) }
        assertThrows(.sizeOverflow) { try matmul([], rows: Int.max, b) }
        assertThrows(.sizeMismatch(expected: 4, actual: 3)) { try matmul([1, 2, 3], rows: 2, b) }
        assertThrows(.sizeOverflow) { try matmul([], rows: 1 << 40, huge) }
        XCTAssertEqual(try matmul([], rows: 3, try QuantizedMatrix(codes: [Float8E4M3](), scales: [], rows: 2, cols: 0,
                                                                   blockRows: 1, blockCols: 1)), [0, 0, 0, 0, 0, 0])
    }

    func testMatmulIntoLeavesCUntouchedOnError() throws {
        let a = try QuantizedMatrix(quantizing: x6, rows: 2, cols: 3, granularity: .row)
        let b = try QuantizedMatrix(quantizing: x6 + x6, rows: 4, cols: 3, granularity: .row)
        let k2 = try QuantizedMatrix(quantizing: [1, 2, 3, 4], rows: 2, cols: 2, granularity: .row)
        var c = [Float](repeating: 42, count: 8)
        c.withUnsafeMutableBufferPointer { cp in
            assertThrows(.badShape("ldc 3 < N 4")) { try matmul(a, b, into: cp, ldc: 3) }
            assertThrows(.sizeMismatch(expected: 9, actual: 8)) { try matmul(a, b, into: cp, ldc: 5) }
            assertThrows(.sizeOverflow) { try matmul(a, b, into: cp, ldc: Int.max) }
            assertThrows(.badShape("A is 2 x 3 but B is 2 x 2; K must match")) { try matmul(a, k2, into: cp) }
            assertThrows(.sizeMismatch(expected: 8, actual: 7)) {
                try matmul(a, b, into: UnsafeMutableBufferPointer(rebasing: cp[0..<7]))
            }
        }
        XCTAssertEqual(c, [Float](repeating: 42, count: 8), "C untouched after every failed call")
        try c.withUnsafeMutableBufferPointer { try matmul(a, b, into: $0) }
        XCTAssertNotEqual(c, [Float](repeating: 42, count: 8))
    }

    // MARK: Codecs into caller buffers

    func testCodecBufferMismatchLeavesDestinationUntouched() {
        let src: [Float] = [1, 2, 3]
        var dst = [Float8E5M2](repeating: Float8E5M2(bitPattern: 0x55), count: 4)
        var out = [Float](repeating: 42, count: 2)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                assertThrows(.sizeMismatch(expected: 3, actual: 4)) { try Float8E5M2.encode(s, into: d) }
            }
        }
        dst.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                assertThrows(.sizeMismatch(expected: 4, actual: 2)) { try Float8E5M2.decode(s, into: d) }
            }
        }
        XCTAssertEqual(dst.map(\.bitPattern), [0x55, 0x55, 0x55, 0x55])
        XCTAssertEqual(out, [42, 42])
    }

    // MARK: Error metrics (fault: precondition failures, and 0 vs NaN for empty input)

    func testErrorMetricsThrowOnMismatchAndAgreeOnExactInput() {
        assertThrows(.sizeMismatch(expected: 2, actual: 1)) { try ErrorMetrics.normwiseRelativeError([1], reference: [1, 2] as [Float]) }
        assertThrows(.sizeMismatch(expected: 1, actual: 2)) { try ErrorMetrics.normwiseRelativeError([1, 2], reference: [1] as [Double]) }
        assertThrows(.sizeMismatch(expected: 0, actual: 1)) { try ErrorMetrics.maxAbsError([1], reference: []) }
        assertThrows(.sizeMismatch(expected: 3, actual: 2)) { try ErrorMetrics.sqnr([1, 2], reference: [1, 2, 3]) }
        assertThrows(.sizeMismatch(expected: 1, actual: 2)) { try ErrorMetrics.calcDiff([1, 2], [1]) }
        for x: [Float] in [[], [0, 0], [1, -2, 3]] {
            XCTAssertEqual(try ErrorMetrics.normwiseRelativeError(x, reference: x), 0)
            XCTAssertEqual(try ErrorMetrics.maxAbsError(x, reference: x), 0)
            XCTAssertEqual(try ErrorMetrics.sqnr(x, reference: x), .infinity, "exact: +inf, also for \(x)")
            XCTAssertEqual(try ErrorMetrics.calcDiff(x, x), 0)
        }
        XCTAssertEqual(try ErrorMetrics.normwiseRelativeError([1], reference: [0] as [Float]), .infinity)
        XCTAssertEqual(try ErrorMetrics.sqnr([1], reference: [0]), -.infinity)
        XCTAssertTrue(try ErrorMetrics.maxAbsError([.nan], reference: [1]).isNaN)
    }

    // MARK: Runtime

    func testUnknownKernelSetThrowsAndFallsBack() {
        defer { try? FP8Runtime.setKernelSet(nil) }
        try? FP8Runtime.setKernelSet(nil)
        let best = FP8Runtime.kernelSet
        try? FP8Runtime.setKernelSet("scalar")
        assertThrows(.unsupportedKernelSet("bogus")) { try FP8Runtime.setKernelSet("bogus") }
        XCTAssertEqual(FP8Runtime.kernelSet, best, "the best set is in use after a failed request")
        assertThrows(.unsupportedKernelSet("avx512-not-yet")) { try FP8Runtime.setKernelSet("avx512-not-yet") }
        // Thread counts outside 0...256 are clamped (documented), never an error or a trap.
        FP8Runtime.threadCount = -5
        XCTAssertGreaterThan(FP8Runtime.threadCount, 0)
        FP8Runtime.threadCount = Int.max
        XCTAssertEqual(FP8Runtime.threadCount, 256)
        FP8Runtime.threadCount = 0
    }
}
