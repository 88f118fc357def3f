// SPDX-License-Identifier: Apache-2.0
import Dispatch
import FP8

/// A float32 GEMM in the NT layout the model uses: `C[m, n] = sum_k A[m, k] * B[n, k]`, all row-major
/// and contiguous (`A` is `[m, k]`, `B` is `[n, k]`, `C` is `[m, n]`, overwritten).
///
/// The FP32 recipe calls it for every linear layer. The default is ``MiniLMModel/portableGEMM``; a
/// caller may pass a BLAS (the bench passes OpenBLAS `cblas_sgemm(RowMajor, NoTrans, Trans, ...)`).
public typealias DenseGEMM = @Sendable (_ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>,
                                        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) -> Void

extension MiniLMModel {
    /// A portable float32 GEMM in plain Swift (SIMD8 vectors, 4x4 register blocks, split over the
    /// library's thread count by column blocks). It keeps the FP32 recipe free of any BLAS dependency;
    /// it is not tuned, so compare FP8 recipes with a BLAS as well (the bench does).
    public static let portableGEMM: DenseGEMM = { m, n, k, a, b, c in
        let nb = 64
        let blocks = (n + nb - 1) / nb
        let work = { (blk: Int) in
            let n0 = blk * nb, n1 = Swift.min(n, n0 + nb)
            var i = 0
            while i < m {
                let mi = Swift.min(4, m - i)
                var j = n0
                while j < n1 {
                    let nj = Swift.min(4, n1 - j)
                    if mi == 4 && nj == 4 {
                        block4x4(k, a + i * k, b + j * k, c + i * n + j, n)
                    } else {
                        for r in 0..<mi { for s in 0..<nj { c[(i + r) * n + j + s] = dot(a + (i + r) * k, b + (j + s) * k, k) } }
                    }
                    j += nj
                }
                i += mi
            }
        }
        let threads = Swift.min(FP8Runtime.threadCount, blocks)
        if threads <= 1 || m * n * k < 1 << 16 {
            for blk in 0..<blocks { work(blk) }
        } else {
            DispatchQueue.concurrentPerform(iterations: blocks) { work($0) }
        }
    }

    @inline(__always)
    private static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// C[0..4, 0..4] (row stride ldc) = A[0..4, :] . B[0..4, :]^T, rows of length k.
    private static func block4x4(_ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c02 = SIMD8<Float>(), c03 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>(), c12 = SIMD8<Float>(), c13 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c22 = SIMD8<Float>(), c23 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>(), c32 = SIMD8<Float>(), c33 = SIMD8<Float>()
        var t = 0
        while t + 8 <= k {
            let b0 = load8(b + t), b1 = load8(b + k + t), b2 = load8(b + 2 * k + t), b3 = load8(b + 3 * k + t)
            let a0 = load8(a + t)
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3
            let a1 = load8(a + k + t)
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3
            let a2 = load8(a + 2 * k + t)
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3
            let a3 = load8(a + 3 * k + t)
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3
            t += 8
        }
        finish(c00, 0, 0, k, t, a, b, c, ldc); finish(c01, 0, 1, k, t, a, b, c, ldc)
        finish(c02, 0, 2, k, t, a, b, c, ldc); finish(c03, 0, 3, k, t, a, b, c, ldc)
        finish(c10, 1, 0, k, t, a, b, c, ldc); finish(c11, 1, 1, k, t, a, b, c, ldc)
        finish(c12, 1, 2, k, t, a, b, c, ldc); finish(c13, 1, 3, k, t, a, b, c, ldc)
        finish(c20, 2, 0, k, t, a, b, c, ldc); finish(c21, 2, 1, k, t, a, b, c, ldc)
        finish(c22, 2, 2, k, t, a, b, c, ldc); finish(c23, 2, 3, k, t, a, b, c, ldc)
        finish(c30, 3, 0, k, t, a, b, c, ldc); finish(c31, 3, 1, k, t, a, b, c, ldc)
        finish(c32, 3, 2, k, t, a, b, c, ldc); finish(c33, 3, 3, k, t, a, b, c, ldc)
    }

    @inline(__always)
    private static func finish(_ v: SIMD8<Float>, _ r: Int, _ s: Int, _ k: Int, _ t: Int, _ a: UnsafePointer<Float>,
                               _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        var x = v.sum()
        var u = t
        while u < k { x += a[r * k + u] * b[s * k + u]; u += 1 }
        c[r * ldc + s] = x
    }
}

/// One linear layer `y = x W^T + b` (`W` is `[outFeatures, inFeatures]`, PyTorch's `nn.Linear` layout),
/// held as the recipe needs it: float32 for ``MiniLMRecipe/fp32``, a ``QuantizedMatrix`` (E4M3,
/// 128x128 blocks) otherwise.
struct Linear: @unchecked Sendable { // immutable after init
    enum Weight {
        case dense([Float])
        case fp8(QuantizedMatrix)
    }
    let weight: Weight
    let bias: [Float]
    let outFeatures: Int
    let inFeatures: Int

    /// `x` is `[m, inFeatures]` row-major; returns `[m, outFeatures]`.
    func callAsFunction(_ x: [Float], rows m: Int, recipe: MiniLMRecipe, gemm: DenseGEMM) throws -> [Float] {
        precondition(x.count == m * inFeatures, "Linear: input shape") // internal: shapes come from the model
        switch weight {
        case .dense(let w):
            var y = [Float](unsafeUninitializedCapacity: m * outFeatures) { buf, n in
                x.withUnsafeBufferPointer { xp in
                    w.withUnsafeBufferPointer { wp in gemm(m, outFeatures, inFeatures, xp.baseAddress!, wp.baseAddress!, buf.baseAddress!) }
                }
                n = m * outFeatures
            }
            y.withUnsafeMutableBufferPointer { yp in
                for r in 0..<m { for j in 0..<outFeatures { yp[r * outFeatures + j] += bias[j] } }
            }
            return y
        case .fp8(let w):
            switch recipe {
            case .fp32, .weightOnlyF32:
                return try matmul(x, rows: m, w, bias: bias, as: Float.self)
            case .weightOnlyBF16:
                return try matmul([BFloat16](x), rows: m, w, bias: bias, as: Float.self)
            case .deepSeekW8A8:
                let a = try QuantizedMatrix(quantizing: x, rows: m, cols: inFeatures, format: .e4m3,
                                            granularity: .tile(128), options: .deepGEMM)
                return try matmul(a, w, bias: bias, as: Float.self)
            }
        }
    }
}
