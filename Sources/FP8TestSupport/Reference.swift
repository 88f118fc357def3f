// SPDX-License-Identifier: Apache-2.0
/// Double-precision references for the GEMM and metrics used by tests and the bench.
public enum Reference {
    /// `C = A * B^T` in Double for row-major `A [m, k]` and `B [n, k]`.
    public static func gemmNT(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k { s += Double(a[i * k + p]) * Double(b[j * k + p]) }
                        c[i * n + j] = s
                    }
                }
            }
        }
        return c
    }

    /// The median of `x` (NaNs sort last).
    public static func median(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return .nan }
        let s = x.sorted { a, b in a.isNaN ? false : (b.isNaN ? true : a < b) }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median of the per-element relative errors `|x - ref| / |ref|` over non-zero references.
    public static func medianRelativeError(_ x: [Float], reference ref: [Float]) -> Double {
        var r: [Double] = []
        r.reserveCapacity(x.count)
        for i in x.indices where ref[i] != 0 {
            r.append(abs(Double(x[i]) - Double(ref[i])) / abs(Double(ref[i])))
        }
        return median(r)
    }
}
