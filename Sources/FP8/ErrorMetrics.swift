// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Error metrics for comparing a result with a reference, computed in `Double`.
///
/// Each takes two equally long arrays; NaNs propagate into the result. When `x` equals the
/// reference element for element (empty arrays and all-zero arrays included) every metric returns
/// its exact-agreement value: 0 for the relative, absolute and `calcDiff` errors, +infinity for SQNR.
/// - Throws: ``FP8Error/sizeMismatch(expected:actual:)`` (expected: the reference's count) when the
///   counts differ, like the rest of the API.
public enum ErrorMetrics {
    /// Normwise relative error `||x - ref||_2 / ||ref||_2` (0 for an exact result; +infinity when the
    /// reference is all zero and `x` is not), against a `Float` or `Double` reference.
    public static func normwiseRelativeError<R: BinaryFloatingPoint>(_ x: [Float], reference ref: [R]) throws -> Double {
        try checkCounts(x.count, ref.count)
        var num = 0.0, den = 0.0
        for i in x.indices {
            let r = Double(ref[i]), d = Double(x[i]) - r
            num += d * d
            den += r * r
        }
        return num == 0 ? 0 : (num / den).squareRoot()
    }

    /// Largest absolute elementwise difference (0 for empty arrays; NaN if any difference is NaN).
    public static func maxAbsError(_ x: [Float], reference ref: [Float]) throws -> Double {
        try checkCounts(x.count, ref.count)
        var m = 0.0
        for i in x.indices {
            let d = abs(Double(x[i]) - Double(ref[i]))
            if d.isNaN { return .nan }
            m = Swift.max(m, d)
        }
        return m
    }

    /// Signal-to-quantization-noise ratio in dB: `10 log10(sum ref^2 / sum (x - ref)^2)`; +infinity
    /// for an exact result (empty and all-zero arrays included), -infinity for an all-zero reference
    /// with a non-zero `x`.
    public static func sqnr(_ x: [Float], reference ref: [Float]) throws -> Double {
        try checkCounts(x.count, ref.count)
        var sig = 0.0, noise = 0.0
        for i in x.indices {
            let d = Double(x[i]) - Double(ref[i])
            sig += Double(ref[i]) * Double(ref[i])
            noise += d * d
        }
        if noise == 0 { return .infinity }
        return 10 * log10(sig / noise)
    }

    /// DeepGEMM's `calc_diff`: `1 - 2 sum(x y) / sum(x^2 + y^2)`; DeepGEMM requires < 1e-3 for FP8.
    /// 0 when both are all zero (or empty).
    public static func calcDiff(_ x: [Float], _ y: [Float]) throws -> Double {
        try checkCounts(x.count, y.count)
        var xy = 0.0, sq = 0.0
        for i in x.indices {
            let a = Double(x[i]), b = Double(y[i])
            xy += a * b
            sq += a * a + b * b
        }
        return sq == 0 ? 0 : 1 - 2 * xy / sq
    }

    private static func checkCounts(_ x: Int, _ ref: Int) throws {
        guard x == ref else { throw FP8Error.sizeMismatch(expected: ref, actual: x) }
    }
}
