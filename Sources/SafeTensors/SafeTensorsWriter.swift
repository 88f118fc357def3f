// SPDX-License-Identifier: Apache-2.0
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a tensor source writes its bytes. Counts them, and refuses more than the tensor's byte count.
public final class SafeTensorsSink {
    private let output: BufferedFile
    private let file: String
    private(set) var tensor: String = ""
    private(set) var expected = 0
    /// Bytes written so far for the current tensor.
    public private(set) var written = 0

    init(output: BufferedFile, file: String) {
        self.output = output
        self.file = file
    }

    func begin(tensor: String, expected: Int) {
        self.tensor = tensor
        self.expected = expected
        self.written = 0
    }

    /// Appends `bytes` to the current tensor.
    /// - Throws: `.byteCountMismatch` when the tensor would exceed its byte count (`actual` is the count it
    ///   would have reached), or `.io` when the file cannot be written.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count <= expected - written else {
            throw SafeTensorsError.byteCountMismatch(file: file, tensor: tensor, expected: expected, actual: written + bytes.count)
        }
        try output.append(bytes)
        written += bytes.count
    }

    /// Appends the bytes of `data` (`Data`, `[UInt8]`, ...) to the current tensor.
    public func write<C: ContiguousBytes>(_ data: C) throws {
        try data.withUnsafeBytes { try write($0) }
    }
}

/// One tensor to write: its name, dtype and shape, and where its bytes come from.
///
/// The bytes are `product(shape) * dtype.bitWidth / 8` bytes of little-endian, row-major elements; the
/// writer checks the count.
public struct SafeTensorsSource {
    /// The tensor's name (any string except `__metadata__`).
    public var name: String
    /// The element type.
    public var dtype: SafeTensorsDType
    /// The dimensions, outermost first (`[]` for a scalar).
    public var shape: [Int]
    /// The number of bytes this source supplies, when known up front (checked before the file is created).
    let knownByteCount: Int?
    let produce: (SafeTensorsSink) throws -> Void

    /// A tensor whose bytes are in memory (`Data`, `[UInt8]`, a ``SafeTensor``'s bytes, ...).
    public init<C: ContiguousBytes>(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: C) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.knownByteCount = bytes.withUnsafeBytes { $0.count }
        self.produce = { sink in try sink.write(bytes) }
    }

    /// A tensor whose bytes `stream` produces, in order, by calling `sink.write` any number of times
    /// (peak memory is whatever `stream` holds). The writer calls each `stream` once, on the calling thread,
    /// one tensor after another in storage order (see ``SafeTensorsWriter``). An error thrown by `stream`
    /// aborts the whole write.
    public init(name: String, dtype: SafeTensorsDType, shape: [Int], stream: @escaping (SafeTensorsSink) throws -> Void) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.knownByteCount = nil
        self.produce = stream
    }

    /// A copy of a tensor read from another file (its bytes stay in that file's mapping until written).
    public init(_ tensor: SafeTensor, name: String? = nil) {
        self.name = name ?? tensor.name
        self.dtype = tensor.dtype
        self.shape = tensor.shape
        self.knownByteCount = tensor.byteCount
        self.produce = { sink in try tensor.withUnsafeBytes { try sink.write($0) } }
    }
}

/// Writes safetensors files the way the reference writer does, atomically.
///
/// Layout (safetensors documentation, "Format"; reference `safetensors/src/tensor.rs`, `prepare`):
/// - tensors sorted by decreasing ``SafeTensorsDType/alignmentRank``, then by name (UTF-8 byte order),
///   stored back to back from offset 0;
/// - the header: compact JSON, `"__metadata__"` first when given (its keys sorted; the reference's order
///   is a hash map's), then each tensor as `{"dtype":..,"shape":[..],"data_offsets":[b,e]}` in storage
///   order, strings escaped as serde_json does; padded with spaces (0x20) to a multiple of 8 bytes;
/// - the 8-byte little-endian header length, the header, the data.
/// So for the same tensors and at most one metadata key, the file is byte-identical to the Python
/// package's `safetensors.serialize`.
///
/// Atomicity: the file is written to a new temporary file in the destination directory
/// (`.NAME.tmp-PID-RANDOM`), `fsync`ed, then `rename`d over `path`, and the directory is `fsync`ed. On any
/// error, a thrown error from a source included, the temporary file is removed and `path` is untouched
/// (an existing file there is kept as it was). A process killed mid-write leaves no file at `path` (only,
/// possibly, the hidden temporary file).
public enum SafeTensorsWriter {
    /// Writes `tensors` and `metadata` to `path`.
    ///
    /// - Parameter producingInGivenOrder: false (the default): each source's `stream` is called in storage
    ///   order, and the file is written front to back. True: the streams are called in the order of
    ///   `tensors`, each writing at its own offset in the file (the file's bytes are the same either way).
    ///   For sources that depend on each other, e.g. an FP8 weight whose scale tensor (stored before it,
    ///   F32 ranking above F8) comes out of the same quantization: give the weight first, then its scales.
    /// - Throws: ``SafeTensorsError``: `.duplicateName`, `.invalidName` (`__metadata__`), `.overflow`,
    ///   `.notByteAligned`, `.byteCountMismatch` (a source supplied the wrong number of bytes),
    ///   `.headerTooLarge`, `.io`; or whatever a source's `stream` throws. Nothing is left at `path` then.
    public static func write(_ tensors: [SafeTensorsSource], metadata: [String: String]? = nil, to path: String,
                             producingInGivenOrder: Bool = false) throws {
        let (header, ordered, sizes) = try prepare(tensors, metadata: metadata, file: path)
        // Each tensor's offset from the start of the file (no overflow: prepare checked the data section's
        // size), and the storage indices in the order the streams are called.
        var offsets: [Int] = [], end = 8 + header.count
        for size in sizes { offsets.append(end); end += size }
        var production = Array(ordered.indices)
        if producingInGivenOrder {
            let index = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.name, $0) })
            production = tensors.map { index[$0.name]! } // names are unique: prepare checked
        }

        let (dir, base) = splitPath(path)
        let tmp = (dir.isEmpty ? "" : dir == "/" ? "/" : dir + "/") + ".\(base).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SafeTensorsError.io(file: tmp, operation: "create", message: errnoMessage()) }
        var fdOpen = true
        do {
            let out = BufferedFile(fd: fd, file: tmp)
            var lengthLE = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &lengthLE) { try out.append($0) }
            try header.withUnsafeBytes { try out.append($0) }
            let sink = SafeTensorsSink(output: out, file: path)
            var position = 8 + header.count
            for i in production {
                let (t, size) = (ordered[i], sizes[i])
                if offsets[i] != position { try out.seek(to: offsets[i]) }
                position = offsets[i] + size
                sink.begin(tensor: t.name, expected: size)
                try t.produce(sink)
                guard sink.written == size else {
                    throw SafeTensorsError.byteCountMismatch(file: path, tensor: t.name, expected: size, actual: sink.written)
                }
            }
            try out.flush()
            guard fsync(fd) == 0 else { throw SafeTensorsError.io(file: tmp, operation: "fsync", message: errnoMessage()) }
            fdOpen = false
            guard close(fd) == 0 else { throw SafeTensorsError.io(file: tmp, operation: "close", message: errnoMessage()) }
            guard rename(tmp, path) == 0 else {
                throw SafeTensorsError.io(file: path, operation: "rename", message: errnoMessage())
            }
        } catch {
            if fdOpen { close(fd) }
            unlink(tmp)
            throw error
        }
        // Make the rename itself durable (best effort: some file systems refuse fsync on a directory).
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Checks the tensors and builds the padded header; returns it with the tensors in storage order and
    /// their byte counts.
    static func prepare(_ tensors: [SafeTensorsSource], metadata: [String: String]?, file: String) throws
        -> (header: [UInt8], ordered: [SafeTensorsSource], sizes: [Int]) {
        var seen = Set<String>()
        for t in tensors {
            guard t.name != "__metadata__" else { throw SafeTensorsError.invalidName(file: file, tensor: t.name) }
            guard seen.insert(t.name).inserted else { throw SafeTensorsError.duplicateName(file: file, tensor: t.name) }
        }
        let ordered = tensors.sorted {
            $0.dtype.alignmentRank != $1.dtype.alignmentRank
                ? $0.dtype.alignmentRank > $1.dtype.alignmentRank
                : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
        var header: [UInt8] = Array("{".utf8)
        if let metadata {
            JSONWriter.appendString("__metadata__", to: &header)
            header.append(contentsOf: Array(":{".utf8))
            for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                JSONWriter.appendString(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
        }
        var offset = 0
        var sizes: [Int] = []
        for t in ordered {
            var count = 1
            for d in t.shape {
                guard d >= 0 else {
                    throw SafeTensorsError.invalidShape(file: file, tensor: t.name, reason: "dimension \(d) is negative")
                }
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw SafeTensorsError.overflow(file: file, tensor: t.name, what: "the element count of shape \(t.shape)") }
                count = p
            }
            let (bits, o) = count.multipliedReportingOverflow(by: t.dtype.bitWidth)
            guard !o else { throw SafeTensorsError.overflow(file: file, tensor: t.name, what: "the byte count of \(count) x \(t.dtype)") }
            guard bits % 8 == 0 else {
                throw SafeTensorsError.notByteAligned(file: file, tensor: t.name, dtype: t.dtype, elementCount: count)
            }
            let size = bits / 8
            if let known = t.knownByteCount, known != size {
                throw SafeTensorsError.byteCountMismatch(file: file, tensor: t.name, expected: size, actual: known)
            }
            let (end, o2) = offset.addingReportingOverflow(size)
            guard !o2 else { throw SafeTensorsError.overflow(file: file, tensor: t.name, what: "the data section size") }
            if header.count > 1 { header.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(t.name, to: &header)
            header.append(contentsOf: Array(":{\"dtype\":".utf8))
            JSONWriter.appendString(t.dtype.rawValue, to: &header)
            header.append(contentsOf: Array(",\"shape\":[".utf8))
            for (i, d) in t.shape.enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                JSONWriter.appendInt(d, to: &header)
            }
            header.append(contentsOf: Array("],\"data_offsets\":[".utf8))
            JSONWriter.appendInt(offset, to: &header)
            header.append(UInt8(ascii: ","))
            JSONWriter.appendInt(end, to: &header)
            header.append(contentsOf: Array("]}".utf8))
            sizes.append(size)
            offset = end
        }
        header.append(UInt8(ascii: "}"))
        // Documentation: "The header data MAY be trailing padded with whitespace (0x20)"; the reference pads to
        // a multiple of 8 so that the data section starts 8-byte aligned in the file.
        while header.count % 8 != 0 { header.append(0x20) }
        guard header.count <= SafeTensorsFile.maxHeaderLength else {
            throw SafeTensorsError.headerTooLarge(file: file, length: UInt64(header.count), limit: SafeTensorsFile.maxHeaderLength)
        }
        return (header, ordered, sizes)
    }
}

/// A write(2) loop behind a 1 MiB buffer; large appends bypass the buffer.
final class BufferedFile {
    private let fd: Int32
    private let file: String
    private var buffer: UnsafeMutableRawPointer
    private let capacity = 1 << 20
    private var used = 0

    init(fd: Int32, file: String) {
        self.fd = fd
        self.file = file
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        if used + bytes.count <= capacity {
            (buffer + used).copyMemory(from: src, byteCount: bytes.count)
            used += bytes.count
            return
        }
        try flush()
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.copyMemory(from: src, byteCount: bytes.count)
            used = bytes.count
        }
    }

    func flush() throws {
        try writeAll(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    /// Flushes, then moves the file offset to `offset` (bytes from the start of the file).
    func seek(to offset: Int) throws {
        try flush()
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw SafeTensorsError.io(file: file, operation: "seek", message: errnoMessage())
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = sysWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError.io(file: file, operation: "write", message: errnoMessage())
            }
            done += n
        }
    }
}

@inline(__always) private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.write(fd, p, n)
    #elseif canImport(Musl)
    return Musl.write(fd, p, n)
    #else
    return Glibc.write(fd, p, n)
    #endif
}

func errnoMessage() -> String { String(cString: strerror(errno)) }
