// SPDX-License-Identifier: Apache-2.0
import CFP8

/// The dense element types the library reads and writes besides FP8 codes: IEEE binary32 (`Float`),
/// IEEE binary16 (`Float16`) and bfloat16 (`BFloat16`), the C API's `fp8_dtype`.
///
/// FP8 checkpoints travel in bfloat16 (DeepSeek-V3, Qwen3-FP8, Llama FP8): activations, norms and the
/// non-FP8 tensors are BF16, and CPU engines run "W8A16", BF16 activations times FP8 weights. Every
/// E4M3 and E5M2 value is exactly a binary16 and a bfloat16 value, and every binary16 and bfloat16
/// value is exactly a float32, so widening is exact and narrowing rounds once (nearest even).
public enum FP8DType: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// IEEE 754 binary32 (`Float`).
    case float32
    /// IEEE 754 binary16 (`Float16`): 1.5.10, max 65504.
    case float16
    /// bfloat16 (`BFloat16`): the upper half of a binary32, 1.8.7.
    case bfloat16

    /// `fp8_dtype` of the C API.
    public var cValue: fp8_dtype {
        switch self {
        case .float32: return FP8_DTYPE_F32
        case .float16: return FP8_DTYPE_F16
        case .bfloat16: return FP8_DTYPE_BF16
        }
    }

    /// Bytes per element.
    public var byteCount: Int { self == .float32 ? 4 : 2 }

    /// "f32", "f16" or "bf16".
    public var description: String {
        switch self {
        case .float32: return "f32"
        case .float16: return "f16"
        case .bfloat16: return "bf16"
        }
    }
}

/// A Swift type stored as one of the ``FP8DType`` element types: `Float`, `Float16` or `BFloat16`.
/// Used by the generic quantization, dequantization, conversion and `matmul` functions, which hand
/// the elements to the C core as they are (no conversion pass in Swift).
public protocol FP8DTypeElement: BinaryFloatingPoint, Sendable {
    /// The element type as the C core names it.
    static var fp8DType: FP8DType { get }
}

extension Float: FP8DTypeElement {
    /// ``FP8DType/float32``.
    public static var fp8DType: FP8DType { .float32 }
}

extension Float16: FP8DTypeElement {
    /// ``FP8DType/float16``.
    public static var fp8DType: FP8DType { .float16 }
}

extension BFloat16: FP8DTypeElement {
    /// ``FP8DType/bfloat16``.
    public static var fp8DType: FP8DType { .bfloat16 }
}
