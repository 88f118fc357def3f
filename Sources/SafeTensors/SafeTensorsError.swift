// SPDX-License-Identifier: Apache-2.0

/// Why a safetensors file, a sharded checkpoint or a write was rejected.
///
/// Every case names the file (`file`, the path as given) and, where one is involved, the tensor. The rules
/// come from the format's documentation (huggingface/safetensors README, "Format") and, where it is silent,
/// from the reference implementation (`safetensors/src/tensor.rs`, `SafeTensors::read_metadata` and
/// `Metadata::validate`); each case says which. Nothing in this library traps on bad input.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A system call failed (`open`, `fstat`, `mmap`, `write`, `fsync`, `rename`, ...); `message` is
    /// `strerror(errno)`.
    case io(file: String, operation: String, message: String)
    /// The file is shorter than the 8-byte header length (reference: `HeaderTooSmall`).
    case fileTooShort(file: String, size: Int)
    /// The header length exceeds ``SafeTensorsFile/maxHeaderLength`` (reference: `HeaderTooLarge`,
    /// limit 100,000,000 bytes).
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// `8 + header length` is beyond the end of the file (reference: `InvalidHeaderLength`).
    case headerBeyondFile(file: String, length: UInt64, fileSize: Int)
    /// The header bytes are not UTF-8 (spec: "a JSON UTF-8 string"; reference: `InvalidHeader`).
    case headerNotUTF8(file: String)
    /// The header is not JSON; `offset` is the byte offset inside the header (reference:
    /// `InvalidHeaderDeserialization`).
    case invalidJSON(file: String, offset: Int, reason: String)
    /// The header is JSON but not the expected shape: not an object, or does not start with `{` (spec: "MUST
    /// begin with a `{` character"). Also used for a malformed index file.
    case invalidHeader(file: String, reason: String)
    /// `__metadata__` is not an object of string values (spec: "free form string-to-string map").
    case invalidMetadata(file: String, reason: String)
    /// The same tensor name (or metadata key, or object field) appears twice (spec: "Duplicate keys are
    /// disallowed"). For a sharded checkpoint, a name found in two shards.
    case duplicateName(file: String, tensor: String)
    /// A tensor entry is not an object with `dtype`, `shape` and `data_offsets` (reference: serde rejects
    /// it; unknown extra fields are ignored, as serde does).
    case invalidTensorEntry(file: String, tensor: String, reason: String)
    /// The dtype is not one of ``SafeTensorsDType`` (reference: serde rejects unknown variants).
    case unknownDType(file: String, tensor: String, dtype: String)
    /// `shape` is not a list of non-negative integers (reference: `Vec<usize>`).
    case invalidShape(file: String, tensor: String, reason: String)
    /// `data_offsets` is not two non-negative integers with begin <= end (reference: `(usize, usize)`,
    /// `InvalidOffset`).
    case invalidOffsets(file: String, tensor: String, reason: String)
    /// `data_offsets` ends beyond the data section (reference: `MetadataIncompleteBuffer`).
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// Two tensors' byte ranges overlap (reference: `InvalidOffset`: each tensor must start where the
    /// previous one, by offset, ended).
    case overlap(file: String, tensor: String, other: String)
    /// Bytes of the data section `[begin, end)` belong to no tensor: before `tensor`, or at the end of the
    /// data section when `tensor` is nil (spec: "The byte buffer needs to be entirely indexed, and cannot
    /// contain holes").
    case hole(file: String, tensor: String?, begin: Int, end: Int)
    /// The byte range's length differs from `product(shape) * dtype size` (reference: `TensorInfo`/
    /// `InvalidTensorView`). On write, the bytes a source supplied.
    case byteCountMismatch(file: String, tensor: String, expected: Int, actual: Int)
    /// The element count or byte count of a tensor, or an offset sum, overflows (reference:
    /// `ValidationOverflow`), or an integer does not fit `Int`.
    case overflow(file: String, tensor: String, what: String)
    /// A sub-byte dtype whose tensor is not a whole number of bytes (reference: `MisalignedSlice`).
    case notByteAligned(file: String, tensor: String, dtype: SafeTensorsDType, elementCount: Int)
    /// No tensor of that name in the file or checkpoint.
    case tensorNotFound(file: String, tensor: String)
    /// A name that cannot be written: `__metadata__` is reserved by the format.
    case invalidName(file: String, tensor: String)
    /// A `model.safetensors.index.json` that is not JSON (the reason gives the byte offset), not an object
    /// with a `weight_map` object of tensor name -> shard file name (a plain file name in the index's
    /// directory), or a shard that disagrees with it.
    case invalidIndex(file: String, tensor: String?, reason: String)

    /// The file this error is about.
    public var file: String {
        switch self {
        case let .io(f, _, _), let .fileTooShort(f, _), let .headerTooLarge(f, _, _), let .headerBeyondFile(f, _, _),
             let .headerNotUTF8(f), let .invalidJSON(f, _, _), let .invalidHeader(f, _), let .invalidMetadata(f, _),
             let .duplicateName(f, _), let .invalidTensorEntry(f, _, _), let .unknownDType(f, _, _),
             let .invalidShape(f, _, _), let .invalidOffsets(f, _, _), let .offsetsOutOfRange(f, _, _, _, _),
             let .overlap(f, _, _), let .hole(f, _, _, _), let .byteCountMismatch(f, _, _, _), let .overflow(f, _, _),
             let .notByteAligned(f, _, _, _), let .tensorNotFound(f, _), let .invalidName(f, _),
             let .invalidIndex(f, _, _):
            return f
        }
    }

    /// The tensor this error is about, when there is one.
    public var tensor: String? {
        switch self {
        case .io, .fileTooShort, .headerTooLarge, .headerBeyondFile, .headerNotUTF8, .invalidJSON, .invalidHeader,
             .invalidMetadata:
            return nil
        case let .hole(_, t, _, _), let .invalidIndex(_, t, _): return t
        case let .duplicateName(_, t), let .invalidTensorEntry(_, t, _), let .unknownDType(_, t, _),
             let .invalidShape(_, t, _), let .invalidOffsets(_, t, _), let .offsetsOutOfRange(_, t, _, _, _),
             let .overlap(_, t, _), let .byteCountMismatch(_, t, _, _), let .overflow(_, t, _),
             let .notByteAligned(_, t, _, _), let .tensorNotFound(_, t), let .invalidName(_, t):
            return t
        }
    }

    /// One line: the file, the tensor when there is one, and what is wrong.
    public var description: String {
        func q(_ s: String) -> String { "'\(s)'" }
        switch self {
        case let .io(f, op, m): return "\(f): \(op) failed: \(m)"
        case let .fileTooShort(f, n): return "\(f): \(n) bytes, shorter than the 8-byte header length"
        case let .headerTooLarge(f, n, l): return "\(f): header length \(n) exceeds the limit of \(l) bytes"
        case let .headerBeyondFile(f, n, s): return "\(f): header length \(n) runs past the end of the \(s)-byte file"
        case let .headerNotUTF8(f): return "\(f): header is not valid UTF-8"
        case let .invalidJSON(f, o, r): return "\(f): header is not valid JSON at byte \(o) of the header: \(r)"
        case let .invalidHeader(f, r): return "\(f): invalid header: \(r)"
        case let .invalidMetadata(f, r): return "\(f): invalid __metadata__: \(r)"
        case let .duplicateName(f, t): return "\(f): tensor \(q(t)): name appears more than once"
        case let .invalidTensorEntry(f, t, r): return "\(f): tensor \(q(t)): \(r)"
        case let .unknownDType(f, t, d): return "\(f): tensor \(q(t)): unknown dtype \(q(d))"
        case let .invalidShape(f, t, r): return "\(f): tensor \(q(t)): invalid shape: \(r)"
        case let .invalidOffsets(f, t, r): return "\(f): tensor \(q(t)): invalid data_offsets: \(r)"
        case let .offsetsOutOfRange(f, t, b, e, n):
            return "\(f): tensor \(q(t)): data_offsets [\(b), \(e)] run past the \(n)-byte data section"
        case let .overlap(f, t, o): return "\(f): tensor \(q(t)): bytes overlap tensor \(q(o))"
        case let .hole(f, t?, b, e): return "\(f): tensor \(q(t)): data bytes [\(b), \(e)) before it belong to no tensor"
        case let .hole(f, nil, b, e): return "\(f): data bytes [\(b), \(e)) at the end belong to no tensor"
        case let .byteCountMismatch(f, t, x, a): return "\(f): tensor \(q(t)): \(a) bytes, dtype x shape needs \(x)"
        case let .overflow(f, t, w): return "\(f): tensor \(q(t)): integer overflow in \(w)"
        case let .notByteAligned(f, t, d, n):
            return "\(f): tensor \(q(t)): \(n) elements of \(d) are not a whole number of bytes"
        case let .tensorNotFound(f, t): return "\(f): no tensor \(q(t))"
        case let .invalidName(f, t): return "\(f): tensor \(q(t)): name is reserved by the format"
        case let .invalidIndex(f, t?, r): return "\(f): tensor \(q(t)): \(r)"
        case let .invalidIndex(f, nil, r): return "\(f): invalid index: \(r)"
        }
    }
}
