// SPDX-License-Identifier: Apache-2.0
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes that stay valid as long as the object lives: a whole file mapped with `mmap(2)`
/// (`PROT_READ`, `MAP_PRIVATE`), or a private heap copy for in-memory input.
final class ByteStorage: @unchecked Sendable { // immutable after init
    let base: UnsafeRawPointer?
    let count: Int
    private let mapped: Bool

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Maps the whole file. We call `mmap` directly rather than `Data(contentsOf:options: .alwaysMapped)`:
    /// Foundation treats `.alwaysMapped` as a hint and may read the file into memory instead (and on Linux
    /// has done so for small files), and we want one documented behaviour: pages are read on first touch.
    /// As with any mapping (and the reference's memmap2), a file truncated by another process while it is
    /// mapped makes a later access raise SIGBUS; files are assumed not to change while open.
    init(mapping path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.io(file: path, operation: "open", message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SafeTensorsError.io(file: path, operation: "fstat", message: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.io(file: path, operation: "open", message: "not a regular file")
        }
        guard st.st_size >= 8 else { throw SafeTensorsError.fileTooShort(file: path, size: Int(st.st_size)) }
        guard let size = Int(exactly: st.st_size) else {
            throw SafeTensorsError.io(file: path, operation: "mmap", message: "file too large for this address space")
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw SafeTensorsError.io(file: path, operation: "mmap", message: String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(p)
        count = size
        mapped = true
    }

    /// Copies `bytes` to private memory (used for in-memory input such as a fuzzer's).
    init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        let n = bytes.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 16)
        _ = UnsafeMutableRawBufferPointer(start: p, count: n).initializeMemory(as: UInt8.self, from: bytes)
        base = UnsafeRawPointer(p)
        count = n
        mapped = false
    }

    /// Drops the whole pages inside `range` (byte offsets into the storage) from the process's resident set
    /// when the storage is a file mapping: `madvise(MADV_DONTNEED)`, which for this read-only private
    /// mapping discards nothing but the page-table entries; the file's pages stay in the page cache and a
    /// later access reads them back unchanged. Does nothing for a heap copy (there it would zero memory).
    func releasePages(_ range: Range<Int>) {
        guard mapped, let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + range.lowerBound + page - 1) / page * page
        let end = (Int(bitPattern: base) + range.upperBound) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED)
    }

    deinit {
        guard let base else { return }
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { base.deallocate() }
    }
}

/// One tensor of a safetensors file: a zero-copy view of its bytes in the mapped file.
///
/// The bytes are `dtype` elements, little-endian, row-major (C order) over `shape`; `byteCount ==
/// product(shape) * dtype.bitWidth / 8` has been checked. The view keeps the mapping alive, so it stays
/// valid after the ``SafeTensorsFile`` it came from is released. The bytes are NOT necessarily aligned
/// for their element type (the format aligns nothing: data starts at `8 + header length`, and a header
/// written by another tool need not be padded); read elements with `loadUnaligned` or copy them.
public struct SafeTensor: @unchecked Sendable { // immutable; storage is immutable
    /// The tensor's name (its key in the header).
    public let name: String
    /// The element type.
    public let dtype: SafeTensorsDType
    /// The dimensions, outermost first; `[]` is a scalar (one element), any 0 makes the tensor empty.
    public let shape: [Int]
    /// The header's `data_offsets`: the byte range relative to the start of the data section.
    public let dataOffsets: Range<Int>
    /// The byte range in the file: `dataOffsets` shifted by `8 + header length`.
    public let fileOffsets: Range<Int>
    let storage: ByteStorage

    /// The number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) } // checked not to overflow when the file was opened
    /// The number of bytes, `dataOffsets.count`.
    public var byteCount: Int { dataOffsets.count }

    /// Calls `body` with the tensor's bytes in the mapping (no copy). The pointer must not escape `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage.buffer[fileOffsets]))
    }

    /// A copy of the tensor's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Tells the system that the tensor's bytes in `range` (offsets into the tensor's bytes, clamped to
    /// them) are not needed for now, so that streaming a large file keeps about one piece of it resident:
    /// the whole pages inside the range leave the process's resident set (`madvise(MADV_DONTNEED)` on the
    /// read-only mapping; the page cache keeps them). The bytes stay valid and unchanged: reading them
    /// again just faults the pages back in. Nothing happens for a file opened from in-memory bytes.
    public func releasePages(_ range: Range<Int>) {
        let r = range.clamped(to: 0..<byteCount)
        storage.releasePages((fileOffsets.lowerBound + r.lowerBound)..<(fileOffsets.lowerBound + r.upperBound))
    }
}

/// A safetensors file, memory-mapped and validated when opened.
///
/// Layout (safetensors documentation, "Format"): 8 bytes `N`, a little-endian UInt64; `N` bytes of UTF-8
/// JSON, an object beginning with `{` and possibly padded with trailing spaces, mapping each tensor name to
/// `{"dtype": ..., "shape": [...], "data_offsets": [BEGIN, END]}` plus an optional `"__metadata__"`
/// string-to-string object; then the data section, in which the tensors' byte ranges `[BEGIN, END)` must
/// not overlap and must cover every byte (no holes).
///
/// Opening checks everything and throws a ``SafeTensorsError`` naming the file and the tensor for the first
/// problem found; once open, every ``SafeTensor`` is consistent and in bounds. Instances are immutable and
/// may be shared between threads.
public final class SafeTensorsFile: @unchecked Sendable { // immutable after init
    /// The largest header accepted, in bytes: the reference implementation's `MAX_HEADER_SIZE`
    /// (100,000,000; the documentation says "Might evolve in the future").
    public static let maxHeaderLength = 100_000_000

    /// The path the file was opened with (or the name given for in-memory bytes).
    public let path: String
    /// The file's size in bytes.
    public let fileSize: Int
    /// `N`, the JSON header's length in bytes, padding included.
    public let headerLength: Int
    /// Where the data section starts in the file: `8 + headerLength`.
    public var dataOffset: Int { 8 + headerLength }
    /// The `__metadata__` object, or nil when the header has none (or has `null`).
    public let metadata: [String: String]?
    /// Every tensor, in data-section order (increasing `dataOffsets`).
    public let tensors: [SafeTensor]
    private let index: [String: Int]
    private let storage: ByteStorage

    /// Maps and validates the file at `path`.
    /// - Throws: ``SafeTensorsError`` (`.io` when it cannot be opened or mapped, otherwise the first rule
    ///   the file breaks).
    public convenience init(path: String) throws {
        try self.init(storage: ByteStorage(mapping: path), name: path)
    }

    /// Maps and validates the file at `url` (a file URL).
    public convenience init(url: URL) throws { try self.init(path: url.path) }

    /// Validates in-memory bytes (copied), named `name` in errors. Same rules as a file.
    public convenience init<C: Collection>(bytes: C, name: String = "<memory>") throws where C.Element == UInt8 {
        guard bytes.count >= 8 else { throw SafeTensorsError.fileTooShort(file: name, size: bytes.count) }
        try self.init(storage: ByteStorage(copying: bytes), name: name)
    }

    private init(storage: ByteStorage, name: String) throws {
        let parsed = try HeaderParser.parse(storage.buffer, file: name)
        self.storage = storage
        self.path = name
        self.fileSize = storage.count
        self.headerLength = parsed.headerLength
        self.metadata = parsed.metadata
        let dataStart = 8 + parsed.headerLength
        self.tensors = parsed.entries.map {
            SafeTensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, dataOffsets: $0.begin..<$0.end,
                       fileOffsets: (dataStart + $0.begin)..<(dataStart + $0.end), storage: storage)
        }
        var index: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { index[t.name] = i }
        self.index = index
    }

    /// The tensor names in data-section order.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> SafeTensor? { index[name].map { tensors[$0] } }

    /// The tensor called `name`.
    /// - Throws: ``SafeTensorsError/tensorNotFound(file:tensor:)``.
    public func tensor(named name: String) throws -> SafeTensor {
        guard let t = self[name] else { throw SafeTensorsError.tensorNotFound(file: path, tensor: name) }
        return t
    }
}

/// The header rules, in the order they are checked. Where the documentation is silent the reference
/// implementation (`safetensors/src/tensor.rs`) decides; each such rule says so.
enum HeaderParser {
    struct Entry {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    struct Parsed {
        var headerLength: Int
        var metadata: [String: String]?
        var entries: [Entry] // sorted by (begin, end)
    }

    static func parse(_ buf: UnsafeRawBufferPointer, file: String) throws -> Parsed {
        // 1. The 8-byte little-endian header length (reference: HeaderTooSmall, HeaderTooLarge, InvalidHeaderLength).
        guard buf.count >= 8 else { throw SafeTensorsError.fileTooShort(file: file, size: buf.count) }
        let n = UInt64(littleEndian: buf.loadUnaligned(as: UInt64.self))
        guard n <= UInt64(SafeTensorsFile.maxHeaderLength) else {
            throw SafeTensorsError.headerTooLarge(file: file, length: n, limit: SafeTensorsFile.maxHeaderLength)
        }
        let headerLength = Int(n)
        guard headerLength <= buf.count - 8 else {
            throw SafeTensorsError.headerBeyondFile(file: file, length: n, fileSize: buf.count)
        }
        let header = UnsafeRawBufferPointer(rebasing: buf[8..<(8 + headerLength)])
        let dataSize = buf.count - 8 - headerLength

        // 2. UTF-8, then JSON, then an object that begins with '{' (documentation: "MUST begin with a `{`").
        //    The reference lets serde_json skip leading whitespace; we follow the documentation.
        guard isValidUTF8(header) else { throw SafeTensorsError.headerNotUTF8(file: file) }
        let json: JSONValue
        do {
            json = try StrictJSONParser.parse(header)
        } catch let e as JSONSyntaxError {
            throw SafeTensorsError.invalidJSON(file: file, offset: e.offset, reason: e.reason)
        }
        guard case let .object(members) = json else {
            throw SafeTensorsError.invalidHeader(file: file, reason: "the header is \(json.typeName), not a JSON object")
        }
        guard header.first == UInt8(ascii: "{") else {
            throw SafeTensorsError.invalidHeader(file: file, reason: "the header must begin with '{'")
        }

        // 3. Names are unique (documentation: "Duplicate keys are disallowed"); __metadata__ is a string map.
        var seen = Set<String>()
        var metadata: [String: String]?
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw SafeTensorsError.duplicateName(file: file, tensor: name) }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, file: file)
            } else {
                entries.append(try parseEntry(name: name, value, file: file, dataSize: dataSize))
            }
        }

        // 4. The byte ranges tile the data section exactly (documentation: no holes; reference: sorted by
        //    offsets, each tensor must begin where the previous one ended, and the last must end at the end
        //    of the file).
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        var previous: String?
        for e in entries {
            if e.begin < cursor {
                throw SafeTensorsError.overlap(file: file, tensor: e.name, other: previous ?? "")
            }
            if e.begin > cursor {
                throw SafeTensorsError.hole(file: file, tensor: e.name, begin: cursor, end: e.begin)
            }
            cursor = e.end
            previous = e.name
        }
        if cursor != dataSize { throw SafeTensorsError.hole(file: file, tensor: nil, begin: cursor, end: dataSize) }
        return Parsed(headerLength: headerLength, metadata: metadata, entries: entries)
    }

    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String]? {
        switch value {
        case .null:
            return nil // reference: Option<HashMap<..>> accepts null as "no metadata"
        case let .object(members):
            var out: [String: String] = [:]
            for (k, v) in members {
                guard case let .string(s) = v else {
                    throw SafeTensorsError.invalidMetadata(file: file, reason: "value of '\(k)' is \(v.typeName), not a string")
                }
                guard out.updateValue(s, forKey: k) == nil else {
                    throw SafeTensorsError.invalidMetadata(file: file, reason: "key '\(k)' appears more than once")
                }
            }
            return out
        default:
            throw SafeTensorsError.invalidMetadata(file: file, reason: "it is \(value.typeName), not an object")
        }
    }

    /// A non-negative JSON integer that fits `Int` (reference: serde into `usize`, which rejects
    /// fractions, exponents and negative numbers).
    enum IntegerProblem { case notInteger, negative, tooLarge }
    static func integer(_ value: JSONValue) -> Result<Int, IntegerProblemBox> {
        guard case let .number(text) = value else { return .failure(IntegerProblemBox(.notInteger, value.typeName)) }
        if text.hasPrefix("-") { return .failure(IntegerProblemBox(.negative, text)) }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .failure(IntegerProblemBox(.notInteger, text))
        }
        guard let v = Int(text) else { return .failure(IntegerProblemBox(.tooLarge, text)) }
        return .success(v)
    }
    struct IntegerProblemBox: Error {
        var problem: IntegerProblem
        var text: String
        init(_ p: IntegerProblem, _ t: String) { problem = p; text = t }
        var reason: String {
            switch problem {
            case .notInteger: return "\(text) is not an integer"
            case .negative: return "\(text) is negative"
            case .tooLarge: return "\(text) does not fit a 64-bit signed integer"
            }
        }
    }

    private static func parseEntry(name: String, _ value: JSONValue, file: String, dataSize: Int) throws -> Entry {
        guard case let .object(fields) = value else {
            throw SafeTensorsError.invalidTensorEntry(file: file, tensor: name, reason: "entry is \(value.typeName), not an object")
        }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (k, v) in fields {
            func set(_ slot: inout JSONValue?) throws {
                guard slot == nil else {
                    throw SafeTensorsError.invalidTensorEntry(file: file, tensor: name, reason: "field '\(k)' appears more than once")
                }
                slot = v
            }
            switch k {
            case "dtype": try set(&dtypeValue)
            case "shape": try set(&shapeValue)
            case "data_offsets": try set(&offsetsValue)
            default: break // reference (serde without deny_unknown_fields): extra fields are ignored
            }
        }
        guard let dtypeValue, let shapeValue, let offsetsValue else {
            let missing = [("dtype", dtypeValue), ("shape", shapeValue), ("data_offsets", offsetsValue)].first { $0.1 == nil }!.0
            throw SafeTensorsError.invalidTensorEntry(file: file, tensor: name, reason: "missing field '\(missing)'")
        }

        guard case let .string(dtypeName) = dtypeValue else {
            throw SafeTensorsError.invalidTensorEntry(file: file, tensor: name, reason: "dtype is \(dtypeValue.typeName), not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }

        guard case let .array(dims) = shapeValue else {
            throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "it is \(shapeValue.typeName), not a list")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for d in dims {
            switch integer(d) {
            case let .success(v): shape.append(v)
            case let .failure(p) where p.problem == .tooLarge:
                throw SafeTensorsError.overflow(file: file, tensor: name, what: "shape (\(p.text))")
            case let .failure(p):
                throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: p.reason)
            }
        }

        guard case let .array(offs) = offsetsValue, offs.count == 2 else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "not a list of two integers")
        }
        var bounds: [Int] = []
        for o in offs {
            switch integer(o) {
            case let .success(v): bounds.append(v)
            case let .failure(p) where p.problem == .tooLarge:
                throw SafeTensorsError.overflow(file: file, tensor: name, what: "data_offsets (\(p.text))")
            case let .failure(p):
                throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: p.reason)
            }
        }
        let (begin, end) = (bounds[0], bounds[1])
        guard begin <= end else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "begin \(begin) > end \(end)")
        }
        guard end <= dataSize else {
            throw SafeTensorsError.offsetsOutOfRange(file: file, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }

        // Byte count = product(shape) x bits / 8, overflow-checked (reference: ValidationOverflow,
        // MisalignedSlice, TensorInvalidInfo).
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw SafeTensorsError.overflow(file: file, tensor: name, what: "the element count of shape \(shape)") }
            count = p
        }
        let (bits, o) = count.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !o else { throw SafeTensorsError.overflow(file: file, tensor: name, what: "the byte count of \(count) x \(dtype)") }
        guard bits % 8 == 0 else {
            throw SafeTensorsError.notByteAligned(file: file, tensor: name, dtype: dtype, elementCount: count)
        }
        guard end - begin == bits / 8 else {
            throw SafeTensorsError.byteCountMismatch(file: file, tensor: name, expected: bits / 8, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }
}
