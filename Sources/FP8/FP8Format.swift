// SPDX-License-Identifier: Apache-2.0
import CFP8

/// The FP8 encodings of the OCP OFP8 v1.0 specification.
///
/// | format | bits S.E.M | bias | max finite | min normal | min subnormal | infinity | NaN codes |
/// |---|---|---|---|---|---|---|---|
/// | ``e4m3`` | 1.4.3 | 7 | 448 | 2^-6 | 2^-9 | none | 0x7F, 0xFF |
/// | ``e5m2`` | 1.5.2 | 15 | 57344 | 2^-14 | 2^-16 | 0x7C, 0xFC | 0x7D-0x7F, 0xFD-0xFF |
public enum FP8Format: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// E4M3 ("e4m3fn" in ml_dtypes): more precision, no infinity, max 448.
    case e4m3
    /// E5M2: more range, IEEE-like infinities, max 57344; the top byte of an IEEE binary16.
    case e5m2

    /// The C enumerator.
    @inlinable
    public var cValue: fp8_format { self == .e4m3 ? FP8_E4M3 : FP8_E5M2 }

    /// The largest finite value: 448 (E4M3) or 57344 (E5M2).
    public var greatestFiniteMagnitude: Float { self == .e4m3 ? 448 : 57344 }

    /// The format's name as ml_dtypes spells it.
    public var description: String { self == .e4m3 ? "e4m3" : "e5m2" }
}
