// SPDX-License-Identifier: Apache-2.0
import FP8

/// How the model's linear layers (Q/K/V, attention output, FFN up and down: 36 GEMMs of the 6 layers)
/// are computed. Everything else (embeddings, LayerNorm, softmax, GELU, pooling) is float32 in every
/// recipe, as in the reference.
public enum MiniLMRecipe: Sendable, Hashable, CustomStringConvertible, CaseIterable {
    /// Float32 weights and activations, float32 GEMM (the reference's arithmetic). An FP8 checkpoint's
    /// weights are dequantized to float32 when loaded.
    case fp32
    /// Weight-only FP8 (W8A32): E4M3 weights in 128x128 blocks, float32 activations, FP32 accumulation
    /// (`fp8_gemm_weight_only`).
    case weightOnlyF32
    /// Weight-only FP8 (W8A16): as ``weightOnlyF32`` with the activations rounded to BFloat16 before
    /// each GEMM (the C core widens them while packing), float32 output.
    case weightOnlyBF16
    /// DeepSeek-V3's W8A8 recipe: E4M3 weights in 128x128 blocks, activations quantized to E4M3 per
    /// call in 1x128 tiles with DeepGEMM's `per_token_cast_to_fp8` rule (``QuantizationOptions/deepGEMM``),
    /// FP32 accumulation with per-tile scales (`fp8_gemm_ex`). DeepSeek-V3 technical report, section 3.3.
    case deepSeekW8A8

    public static var allCases: [MiniLMRecipe] { [.fp32, .weightOnlyF32, .weightOnlyBF16, .deepSeekW8A8] }

    /// The recipe's command-line name: `fp32`, `w8a32`, `w8a16`, `w8a8`.
    public var name: String {
        switch self {
        case .fp32: return "fp32"
        case .weightOnlyF32: return "w8a32"
        case .weightOnlyBF16: return "w8a16"
        case .deepSeekW8A8: return "w8a8"
        }
    }

    /// The recipe called `name` (see ``name``), or nil.
    public init?(name: String) {
        guard let r = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = r
    }

    public var description: String {
        switch self {
        case .fp32: return "FP32 (float32 weights and activations)"
        case .weightOnlyF32: return "weight-only FP8 W8A32 (E4M3 128x128 weights, float32 activations)"
        case .weightOnlyBF16: return "weight-only FP8 W8A16 (E4M3 128x128 weights, BF16 activations)"
        case .deepSeekW8A8: return "DeepSeek W8A8 (E4M3 128x128 weights, E4M3 1x128 activations per call)"
        }
    }

    /// Whether the weights are held in FP8.
    public var usesFP8Weights: Bool { self != .fp32 }
}
