// SPDX-License-Identifier: Apache-2.0
import CFP8

/// `C = round_C(alpha * deq(A) * deq(B)^T + bias)`, FP8 operands, FP32 accumulation, with the output
/// as `Float`, `Float16` or `BFloat16` (`fp8_gemm_ex`).
///
/// The float32 result is made exactly as the `[Float]` ``matmul(_:_:alpha:)`` makes it; `bias[j]` is
/// then added in float32 and the sum is rounded once to nearest even into `C` (overflow gives
/// ±infinity in `Float16`). The conversion happens block by block in the C core while the block is in
/// cache, not as a pass over the result.
/// - Parameters:
///   - a: activations `[M, K]` (K-contiguous, "NT").
///   - b: weights `[N, K]` (K-contiguous).
///   - bias: `nil` or `N` float32 values added to every row.
///   - alpha: multiplies the product before the bias is added.
///   - type: the output element type (for example `BFloat16.self`).
/// - Returns: `C`, row-major `[M, N]`.
/// - Throws: ``FP8Error/badShape(_:)`` if `a.cols != b.cols`; ``FP8Error/sizeMismatch(expected:actual:)``
///   if `bias` does not hold `N` values; ``FP8Error/sizeOverflow`` if `M * N` elements do not fit.
public func matmul<C: FP8DTypeElement>(_ a: QuantizedMatrix, _ b: QuantizedMatrix, bias: [Float]? = nil,
                                       alpha: Float = 1, as type: C.Type) throws -> [C] {
    guard a.cols == b.cols else { throw FP8Error.badShape("A is \(a.rows) x \(a.cols) but B is \(b.rows) x \(b.cols); K must match") }
    if let bias, bias.count != b.rows { throw FP8Error.sizeMismatch(expected: b.rows, actual: bias.count) }
    let count = try elementCount(a.rows, b.rows, C.self)
    var status: Int32 = 0
    let c = [C](unsafeUninitializedCapacity: count) { cp, n in
        status = a.withCMatrix { am in
            b.withCMatrix { bm in
                withOptionalBuffer(bias) { bp in
                    fp8_gemm_ex(am, bm, bp, alpha, 0, C.fp8DType.cValue, UnsafeMutableRawPointer(cp.baseAddress),
                                Swift.max(b.rows, 1))
                }
            }
        }
        n = status == 0 ? count : 0
    }
    try FP8Error.check(status, "matmul (\(C.fp8DType) output)")
    return c
}

/// Weight-only GEMM (W8A16 / W8A32): `C = round_C(alpha * A * deq(B)^T + bias)` with dense
/// activations `A` of `Float`, `Float16` or `BFloat16` (`[m, K]`, row-major) and FP8 weights `b`
/// (`[N, K]`), the output as `Float`, `Float16` or `BFloat16` (`fp8_gemm_weight_only`).
///
/// A 16-bit `A` is widened exactly inside the C core's packing (no conversion pass), so the result
/// is bit for bit that of the `Float` activations with the same values; the output rounds the float32
/// result (plus bias, added in float32) once.
/// - Parameters:
///   - a: activations, row-major `[m, K]`.
///   - m: the number of rows of `a`.
///   - b: weights `[N, K]`.
///   - bias: `nil` or `N` float32 values added to every row.
///   - alpha: multiplies the product before the bias is added.
///   - type: the output element type.
/// - Returns: `C`, row-major `[m, N]`.
/// - Throws: ``FP8Error/badShape(_:)`` if `m < 0`; ``FP8Error/sizeMismatch(expected:actual:)`` if
///   `a.count != m * b.cols` or `bias` does not hold `N` values; ``FP8Error/sizeOverflow`` if `m * K` or
///   `m * N` overflows.
public func matmul<A: FP8DTypeElement, C: FP8DTypeElement>(_ a: [A], rows m: Int, _ b: QuantizedMatrix,
                                                           bias: [Float]? = nil, alpha: Float = 1,
                                                           as type: C.Type) throws -> [C] {
    guard m >= 0 else { throw FP8Error.badShape("negative row count \(m)") }
    let (count, o) = m.multipliedReportingOverflow(by: b.cols)
    guard !o else { throw FP8Error.sizeOverflow }
    guard a.count == count else { throw FP8Error.sizeMismatch(expected: count, actual: a.count) }
    if let bias, bias.count != b.rows { throw FP8Error.sizeMismatch(expected: b.rows, actual: bias.count) }
    let cCount = try elementCount(m, b.rows, C.self)
    var status: Int32 = 0
    let c = a.withUnsafeBufferPointer { ap in
        [C](unsafeUninitializedCapacity: cCount) { cp, n in
            status = b.withCMatrix { bm in
                withOptionalBuffer(bias) { bp in
                    fp8_gemm_weight_only(m, A.fp8DType.cValue, UnsafeRawPointer(ap.baseAddress), Swift.max(b.cols, 1),
                                         bm, bp, alpha, 0, C.fp8DType.cValue,
                                         UnsafeMutableRawPointer(cp.baseAddress), Swift.max(b.rows, 1))
                }
            }
            n = status == 0 ? cCount : 0
        }
    }
    try FP8Error.check(status, "matmul (\(A.fp8DType) A, \(C.fp8DType) output)")
    return c
}

/// `m * n` if that many elements of `T` fit in the address space, else ``FP8Error/sizeOverflow``.
private func elementCount<T>(_ m: Int, _ n: Int, _: T.Type) throws -> Int {
    let (count, o) = m.multipliedReportingOverflow(by: n)
    guard !o, count <= Int.max / MemoryLayout<T>.stride else { throw FP8Error.sizeOverflow }
    return count
}

/// Calls `body` with a pointer to the elements of `values`, or NULL.
func withOptionalBuffer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
