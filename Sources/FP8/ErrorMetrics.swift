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
/// All take two equally long sequences of values; NaNs propagate into the result.
public enum ErrorMetrics {
    /// Normwise relative error `||x - ref||_2 / ||ref||_2` (0 when both are zero), against a
    /// `Float` or `Double` reference.
    public static func normwiseRelativeError<R: BinaryFloatingPoint>(_ x: [Float], reference ref: [R]) -> Double {
        precondition(x.count == ref.count, "sizes differ")
        var num = 0.0, den = 0.0
        for i in x.indices {
            let r = Double(ref[i]), d = Double(x[i]) - r
            num += d * d
            den += r * r
        }
        return num == 0 ? 0 : (num / den).squareRoot()
    }

    /// Largest absolute elementwise difference.
    public static func maxAbsError(_ x: [Float], reference ref: [Float]) -> Double {
        precondition(x.count == ref.count, "sizes differ")
        var m = 0.0
        for i in x.indices {
            let d = abs(Double(x[i]) - Double(ref[i]))
            if d.isNaN { return .nan }
            m = Swift.max(m, d)
        }
        return m
    }

    /// Signal-to-quantization-noise ratio in dB: `10 log10(sum ref^2 / sum (x - ref)^2)`
    /// (+infinity for an exact result).
    public static func sqnr(_ x: [Float], reference ref: [Float]) -> Double {
        precondition(x.count == ref.count, "sizes differ")
        var sig = 0.0, noise = 0.0
        for i in x.indices {
            let d = Double(x[i]) - Double(ref[i])
            sig += Double(ref[i]) * Double(ref[i])
            noise += d * d
        }
        return 10 * log10(sig / noise)
    }

    /// DeepGEMM's `calc_diff`: `1 - 2 sum(x y) / sum(x^2 + y^2)`; DeepGEMM requires < 1e-3 for FP8.
    public static func calcDiff(_ x: [Float], _ y: [Float]) -> Double {
        precondition(x.count == y.count, "sizes differ")
        var xy = 0.0, sq = 0.0
        for i in x.indices {
            let a = Double(x[i]), b = Double(y[i])
            xy += a * b
            sq += a * a + b * b
        }
        return sq == 0 ? 0 : 1 - 2 * xy / sq
    }
}

