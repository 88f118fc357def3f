// SPDX-License-Identifier: Apache-2.0
import CFP8

/// How ``QuantizedMatrix`` chooses scales and codes (the C API's `fp8_quant_options`).
///
/// The default (`QuantizationOptions()`) is the library's own rule: `s = amax / max_finite` with amax
/// raised to at least `max_finite * 2^-126`, codes `encode(x * fl(1/s))`. The presets reproduce the
/// published reference quantizers bit for bit (the formulas of FP8-REFERENCE.md; tested against a
/// numpy + ml_dtypes re-implementation in `Tests/C/quant_reference_check.c`):
/// - ``deepGEMM``: DeepGEMM's `per_token_cast_to_fp8` (with `.tile(128)`) and `per_block_cast_to_fp8`
///   (with `.block(128, 128)`): amax floor 1e-4, codes from `x * fl(1/s)`.
/// - ``deepGEMMUE8M0``: the same with UE8M0 (power-of-two, rounded up) scales.
/// - ``deepSeekActQuant``: DeepSeek-V3's `act_quant`: amax floor 1e-4, codes from `x / s` (a true
///   division; it disagrees with the reciprocal on about 5e-4 of the codes of BF16-valued data).
public struct QuantizationOptions: Sendable, Hashable {
    /// The scale rule; `nil` picks ``ScaleRule/mx`` for ``Granularity/mx`` and ``ScaleRule/amax``
    /// otherwise.
    public var rule: ScaleRule?
    /// Each block's amax is raised to at least this before the rule is applied (finite, >= 0); 0, or
    /// anything below the default floor `max_finite * 2^-126`, means the default. DeepSeek-V3 and
    /// DeepGEMM use 1e-4, so an all-zero tile gets `s = 1e-4 / 448`.
    public var amaxFloor: Float
    /// `false`: codes are `encode(x * fl(1/s))`; `true`: `encode(x / s)`, one IEEE float32 division
    /// (DeepSeek-V3 `act_quant`, ONNX QuantizeLinear).
    public var trueDivision: Bool
    /// Use these dequantization scales instead of computing them (static activation scales, the
    /// `input_scale` tensors of FP8 checkpoints): row-major `[ceil(rows/blockRows), ceil(cols/blockCols)]`,
    /// each finite, positive and at least 2^-126. Elements beyond the range saturate to ±max finite.
    public var staticScales: [Float]?

    /// Options with the given fields (the defaults are the library's own rule).
    public init(rule: ScaleRule? = nil, amaxFloor: Float = 0, trueDivision: Bool = false, staticScales: [Float]? = nil) {
        self.rule = rule
        self.amaxFloor = amaxFloor
        self.trueDivision = trueDivision
        self.staticScales = staticScales
    }

    /// DeepGEMM `per_token_cast_to_fp8` / `per_block_cast_to_fp8` (non-UE8M0).
    public static let deepGEMM = QuantizationOptions(rule: .amax, amaxFloor: 1e-4)
    /// DeepGEMM with `use_ue8m0`: power-of-two scales (`ceil_to_ue8m0`).
    public static let deepGEMMUE8M0 = QuantizationOptions(rule: .powerOfTwo, amaxFloor: 1e-4)
    /// DeepSeek-V3 `inference/kernel.py` `act_quant` (its default `scale_fmt`).
    public static let deepSeekActQuant = QuantizationOptions(rule: .amax, amaxFloor: 1e-4, trueDivision: true)
}
