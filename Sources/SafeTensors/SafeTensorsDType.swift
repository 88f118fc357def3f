// SPDX-License-Identifier: Apache-2.0

/// The element type of a tensor, exactly as spelled in a safetensors header's `"dtype"` field.
///
/// The list and the element widths are those of the reference implementation (huggingface/safetensors,
/// `safetensors/src/tensor.rs`, `enum Dtype`), which is where the format's documentation points for
/// the set of dtypes. Elements are stored little-endian, row-major ("C" order); the format checks no
/// values (NaN and infinities may be present).
///
/// The cases are declared in the reference's order, which is increasing alignment: the reference
/// writer (and so ``SafeTensorsWriter``) stores tensors by *decreasing* ``alignmentRank``, then by name.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// Boolean, one byte per element (0 or 1; the format does not check).
    case bool = "BOOL"
    /// OCP MX FP4 (E2M1), 4 bits per element, two elements per byte.
    case f4 = "F4"
    /// OCP MX FP6 (E2M3), 6 bits per element, packed.
    case f6E2M3 = "F6_E2M3"
    /// OCP MX FP6 (E3M2), 6 bits per element, packed.
    case f6E3M2 = "F6_E3M2"
    /// Unsigned 8-bit integer.
    case u8 = "U8"
    /// Signed 8-bit integer.
    case i8 = "I8"
    /// FP8 E5M2 (OCP; has infinities), one byte per element.
    case f8E5M2 = "F8_E5M2"
    /// FP8 E4M3 "fn" (OCP; no infinities, NaN = S.1111.111), one byte per element.
    case f8E4M3 = "F8_E4M3"
    /// OCP MX E8M0 scale (unsigned power of two, 0xFF = NaN), one byte per element.
    case f8E8M0 = "F8_E8M0"
    /// FP8 E4M3 "fnuz" (no negative zero, NaN = 0x80), one byte per element.
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    /// FP8 E5M2 "fnuz" (no negative zero, NaN = 0x80), one byte per element.
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    /// Signed 16-bit integer.
    case i16 = "I16"
    /// Unsigned 16-bit integer.
    case u16 = "U16"
    /// IEEE 754 binary16.
    case f16 = "F16"
    /// bfloat16 (the upper half of a binary32).
    case bf16 = "BF16"
    /// Signed 32-bit integer.
    case i32 = "I32"
    /// Unsigned 32-bit integer.
    case u32 = "U32"
    /// IEEE 754 binary32.
    case f32 = "F32"
    /// Complex number of two binary32 parts (real, imaginary), 8 bytes per element.
    case c64 = "C64"
    /// IEEE 754 binary64.
    case f64 = "F64"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Unsigned 64-bit integer.
    case u64 = "U64"

    /// The width of one element in bits (4 for ``f4``, 6 for the FP6 types, otherwise 8 x bytes).
    ///
    /// A tensor's byte count is `product(shape) * bitWidth / 8`, and the reference rejects a tensor whose
    /// bit count is not a multiple of 8 (`MisalignedSlice`).
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// The position of this dtype in the reference's alignment order (0 = ``bool`` ... 21 = ``u64``).
    /// The reference writer orders tensors by decreasing rank, then by name.
    public var alignmentRank: Int { Self.allCases.firstIndex(of: self)! }

    /// The header spelling, e.g. `"F8_E4M3"`.
    public var description: String { rawValue }

    /// The number of bytes `elementCount` elements occupy, or nil when that overflows `Int` or is not a
    /// whole number of bytes (a sub-byte dtype with an odd bit count).
    public func byteCount(elementCount: Int) -> Int? {
        guard elementCount >= 0 else { return nil }
        let (bits, overflow) = elementCount.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}
