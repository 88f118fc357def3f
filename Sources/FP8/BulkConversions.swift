// SPDX-License-Identifier: Apache-2.0
import CFP8

/// Bulk conversions between `Float`/`Double` arrays and FP8 arrays, vectorised and threaded by the C
/// core, bit-identical to the scalar conversions of ``FP8Scalar``.
extension FP8Scalar {
    /// Encodes `source` into FP8, rounding to nearest even once per element.
    ///
    /// An array literal (`Float8E5M2.encode([1, 2.5])`) selects the `[Double]` overload, which rounds
    /// each literal once from its `Double`; this one is for `[Float]` values.
    /// - Parameters:
    ///   - source: the values to encode, any count (large arrays are split across the thread pool).
    ///   - saturating: clamp overflow and infinities to ±greatest finite (default `false`: OCP
    ///     non-saturating, like ml_dtypes and PyTorch: overflow gives NaN in E4M3, ±infinity in E5M2).
    /// - Returns: one code per element of `source`, in order.
    @_disfavoredOverload
    public static func encode(_ source: [Float], saturating: Bool = false) -> [Self] {
        source.withUnsafeBufferPointer { src in
            [Self](unsafeUninitializedCapacity: src.count) { dst, count in
                try! encode(src, into: dst, saturating: saturating)  // sizes match by construction
                count = src.count
            }
        }
    }

    /// Encodes `source` into the caller-owned `destination`, which must have the same count.
    /// - Throws: ``FP8Error/sizeMismatch(expected:actual:)`` when the counts differ.
    public static func encode(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<Self>,
                              saturating: Bool = false) throws {
        guard source.count == destination.count else {
            throw FP8Error.sizeMismatch(expected: source.count, actual: destination.count)
        }
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        try d.withMemoryRebound(to: UInt8.self, capacity: destination.count) { d8 in
            try FP8Error.check(fp8_encode_f32(format.cValue, s, d8, source.count, saturating ? 1 : 0))
        }
    }

    /// Encodes doubles, rounding each once directly from the `Double` (never through `Float`).
    /// Array literals select this overload.
    public static func encode(_ source: [Double], saturating: Bool = false) -> [Self] {
        source.withUnsafeBufferPointer { src in
            [Self](unsafeUninitializedCapacity: src.count) { dst, count in
                if let s = src.baseAddress, let d = dst.baseAddress {
                    d.withMemoryRebound(to: UInt8.self, capacity: src.count) { d8 in
                        let status = fp8_encode_f64(format.cValue, s, d8, src.count, saturating ? 1 : 0)
                        precondition(status == 0, "fp8_encode_f64 failed on valid arguments: \(status)")
                    }
                }
                count = src.count
            }
        }
    }

    /// Encodes with stochastic rounding: each element rounds up to its upper FP8 neighbour with
    /// probability equal to its distance from the lower neighbour divided by the gap, so the result
    /// is unbiased in expectation. The draw for element `i` depends only on `(seed, i)`: identical
    /// seeds give identical output for any thread count or kernel set.
    public static func encodeStochastic(_ source: [Float], seed: UInt64, saturating: Bool = false) -> [Self] {
        source.withUnsafeBufferPointer { src in
            [Self](unsafeUninitializedCapacity: src.count) { dst, count in
                if let s = src.baseAddress, let d = dst.baseAddress {
                    d.withMemoryRebound(to: UInt8.self, capacity: src.count) { d8 in
                        let status = fp8_encode_f32_stochastic(format.cValue, s, d8, src.count, saturating ? 1 : 0, seed)
                        precondition(status == 0, "fp8_encode_f32_stochastic failed on valid arguments: \(status)")
                    }
                }
                count = src.count
            }
        }
    }

    /// Decodes FP8 values to `Float` exactly.
    public static func decode(_ source: [Self]) -> [Float] {
        source.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: src.count) { dst, count in
                try! decode(src, into: dst)  // sizes match by construction
                count = src.count
            }
        }
    }

    /// Decodes into the caller-owned `destination`, which must have the same count.
    /// - Throws: ``FP8Error/sizeMismatch(expected:actual:)`` when the counts differ.
    public static func decode(_ source: UnsafeBufferPointer<Self>, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard source.count == destination.count else {
            throw FP8Error.sizeMismatch(expected: source.count, actual: destination.count)
        }
        guard let s = source.baseAddress, let d = destination.baseAddress else { return }
        try s.withMemoryRebound(to: UInt8.self, capacity: source.count) { s8 in
            try FP8Error.check(fp8_decode_f32(format.cValue, s8, d, source.count))
        }
    }
}

extension Array where Element == Float {
    /// Decodes E4M3 values exactly.
    public init(_ source: [Float8E4M3]) { self = Float8E4M3.decode(source) }
    /// Decodes E5M2 values exactly.
    public init(_ source: [Float8E5M2]) { self = Float8E5M2.decode(source) }
}

extension Array where Element == Float8E4M3 {
    /// Encodes floats to E4M3, round to nearest even, non-saturating (see ``FP8Scalar/encode(_:saturating:)-([Float],Bool)``).
    public init(_ source: [Float]) { self = Float8E4M3.encode(source) }
}

extension Array where Element == Float8E5M2 {
    /// Encodes floats to E5M2, round to nearest even, non-saturating.
    public init(_ source: [Float]) { self = Float8E5M2.encode(source) }
}

// MARK: - Float16 and BFloat16

extension FP8Scalar {
    /// Encodes `Float16` or `BFloat16` values into FP8, rounding each once from its value (exact in
    /// float32); vectorised in the C core (`fp8_encode`), the same codes as encoding the `Float` widening.
    /// - Parameters:
    ///   - source: the values to encode, any count.
    ///   - saturating: as for `[Float]` (default `false`: OCP non-saturating).
    @_disfavoredOverload
    public static func encode<T: FP8DTypeElement>(_ source: [T], saturating: Bool = false) -> [Self] {
        source.withUnsafeBufferPointer { src in
            [Self](unsafeUninitializedCapacity: src.count) { dst, count in
                if let s = src.baseAddress, let d = dst.baseAddress {
                    let st = d.withMemoryRebound(to: UInt8.self, capacity: src.count) { d8 in
                        fp8_encode(format.cValue, T.fp8DType.cValue, UnsafeRawPointer(s), d8, src.count, saturating ? 1 : 0)
                    }
                    precondition(st == 0, "fp8_encode of a valid array failed: \(st)")
                }
                count = src.count
            }
        }
    }

    /// Decodes FP8 codes into `Float`, `Float16` or `BFloat16`: exact, since every E4M3 and E5M2 value
    /// is a binary16 and a bfloat16 value (NaN codes give NaN; E5M2 infinities give infinities).
    /// - Parameters:
    ///   - source: the codes.
    ///   - type: the element type of the result.
    public static func decode<T: FP8DTypeElement>(_ source: [Self], as type: T.Type) -> [T] {
        source.withUnsafeBufferPointer { src in
            [T](unsafeUninitializedCapacity: src.count) { dst, count in
                if let s = src.baseAddress, let d = dst.baseAddress {
                    let st = s.withMemoryRebound(to: UInt8.self, capacity: src.count) { s8 in
                        fp8_decode(format.cValue, s8, T.fp8DType.cValue, UnsafeMutableRawPointer(d), src.count)
                    }
                    precondition(st == 0, "fp8_decode of a valid array failed: \(st)")
                }
                count = src.count
            }
        }
    }
}

extension Array where Element == BFloat16 {
    /// The exact bfloat16 values of FP8 codes.
    public init(_ source: [Float8E4M3]) { self = Float8E4M3.decode(source, as: BFloat16.self) }
    /// The exact bfloat16 values of FP8 codes.
    public init(_ source: [Float8E5M2]) { self = Float8E5M2.decode(source, as: BFloat16.self) }

    /// `Float` values rounded once to nearest even (`fp8_bf16_from_f32`, vectorised): NaN stays a
    /// quiet NaN with its sign, overflow gives ±infinity.
    public init(_ source: [Float]) {
        self = source.withUnsafeBufferPointer { src in
            [BFloat16](unsafeUninitializedCapacity: src.count) { dst, count in
                if let s = src.baseAddress, let d = dst.baseAddress {
                    _ = d.withMemoryRebound(to: UInt16.self, capacity: src.count) { fp8_bf16_from_f32(s, $0, src.count) }
                }
                count = src.count
            }
        }
    }
}

extension Array where Element == Float {
    /// The exact `Float` values of bfloat16 values (`fp8_bf16_to_f32`, vectorised).
    public init(_ source: [BFloat16]) {
        self = source.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: src.count) { dst, count in
                if let s = src.baseAddress, let d = dst.baseAddress {
                    _ = s.withMemoryRebound(to: UInt16.self, capacity: src.count) { fp8_bf16_to_f32($0, d, src.count) }
                }
                count = src.count
            }
        }
    }
}
