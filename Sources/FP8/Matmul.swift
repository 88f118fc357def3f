// SPDX-License-Identifier: Apache-2.0
import CFP8

/// `C = alpha * deq(A) * deq(B)^T`, FP8 operands with block scales, FP32 accumulation.
///
/// `a` is `[M, K]` (activations), `b` is `[N, K]` (weights `[out_features, in_features]`), both
/// K-contiguous (DeepGEMM's "NT"); any formats and block shapes. The scales are folded into the
/// operands while they are packed (exact for power-of-two scales), or applied once per partial sum
/// of a scale block (M <= 16 on the avx2 set); the error per element is at most
/// `(K + 3) * 2^-24 * sum_k |A'_ik B'_jk|` for the dequantized operands A', B' (plus the rounding
/// of `alpha`, barring float32 underflow; the full contract is `fp8_gemm`'s in fp8.h). Results are
/// bitwise identical for every thread count.
/// - Returns: `C`, row-major `[M, N]`.
/// - Throws: ``FP8Error/badShape(_:)`` if `a.cols != b.cols`; ``FP8Error/sizeOverflow`` if `M * N`
///   floats do not fit in the address space (e.g. two empty `2^40 x 0` operands).
public func matmul(_ a: QuantizedMatrix, _ b: QuantizedMatrix, alpha: Float = 1) throws -> [Float] {
    guard a.cols == b.cols else { throw FP8Error.badShape("A is \(a.rows) x \(a.cols) but B is \(b.rows) x \(b.cols); K must match") }
    var c = [Float](repeating: 0, count: try floatCount(a.rows, b.rows))
    try c.withUnsafeMutableBufferPointer { try matmul(a, b, into: $0, alpha: alpha, beta: 0) }
    return c
}

/// `C = alpha * deq(A) * deq(B)^T + beta * C` into a caller-owned row-major buffer with leading
/// dimension `ldc` (default N). With `beta == 0`, `C` is never read (it may hold NaN).
/// - Throws: ``FP8Error/badShape(_:)`` for mismatched K or `ldc < N`; ``FP8Error/sizeOverflow`` if
///   `(M - 1) * ldc + N` overflows; ``FP8Error/sizeMismatch(expected:actual:)`` if `c` is smaller than
///   `(M - 1) * ldc + N`. `c` is untouched when it throws.
public func matmul(_ a: QuantizedMatrix, _ b: QuantizedMatrix, into c: UnsafeMutableBufferPointer<Float>,
                   ldc: Int? = nil, alpha: Float = 1, beta: Float = 0) throws {
    let m = a.rows, n = b.rows, ldc = ldc ?? n
    guard a.cols == b.cols else { throw FP8Error.badShape("A is \(a.rows) x \(a.cols) but B is \(b.rows) x \(b.cols); K must match") }
    guard ldc >= n else { throw FP8Error.badShape("ldc \(ldc) < N \(n)") }
    try checkOutput(c, m: m, n: n, ldc: ldc)
    try a.withCMatrix { am in
        try b.withCMatrix { bm in
            try FP8Error.check(fp8_gemm(am, bm, alpha, beta, c.baseAddress, Swift.max(ldc, 1)), "matmul")
        }
    }
}

/// Weight-only variant for inference: `C = alpha * A * deq(B)^T` with plain float32 activations
/// `a` (`[m, K]`, row-major) and FP8 weights `b` (`[N, K]`).
/// - Returns: `C`, row-major `[m, N]`.
/// - Throws: ``FP8Error/badShape(_:)`` if `m < 0`; ``FP8Error/sizeOverflow`` if `m * K` or `m * N`
///   overflows (or `m * N` floats do not fit in the address space);
///   ``FP8Error/sizeMismatch(expected:actual:)`` if `a.count != m * b.cols`.
public func matmul(_ a: [Float], rows m: Int, _ b: QuantizedMatrix, alpha: Float = 1) throws -> [Float] {
    guard m >= 0 else { throw FP8Error.badShape("negative row count \(m)") }
    let (count, o) = m.multipliedReportingOverflow(by: b.cols)
    guard !o else { throw FP8Error.sizeOverflow }
    guard a.count == count else { throw FP8Error.sizeMismatch(expected: count, actual: a.count) }
    var c = [Float](repeating: 0, count: try floatCount(m, b.rows))
    try a.withUnsafeBufferPointer { ap in
        try c.withUnsafeMutableBufferPointer { cp in
            try b.withCMatrix { bm in
                try FP8Error.check(fp8_gemm_f32a(m, ap.baseAddress, Swift.max(b.cols, 1), bm, alpha, 0,
                                                 cp.baseAddress, Swift.max(b.rows, 1)), "matmul (float32 A)")
            }
        }
    }
    return c
}

/// `m * n` if that many floats fit in the address space, else ``FP8Error/sizeOverflow``.
private func floatCount(_ m: Int, _ n: Int) throws -> Int {
    let (count, o) = m.multipliedReportingOverflow(by: n)
    guard !o, count <= Int.max / MemoryLayout<Float>.stride else { throw FP8Error.sizeOverflow }
    return count
}

private func checkOutput(_ c: UnsafeMutableBufferPointer<Float>, m: Int, n: Int, ldc: Int) throws {
    guard m > 0, n > 0 else { return }
    let (t, o) = (m - 1).multipliedReportingOverflow(by: ldc)
    guard !o, t <= Int.max - n else { throw FP8Error.sizeOverflow }
    guard c.count >= t + n else { throw FP8Error.sizeMismatch(expected: t + n, actual: c.count) }
}
