// SPDX-License-Identifier: Apache-2.0
import Foundation
import SafeTensors
import XCTest

/// The writer: layout (padding, order), validation, atomicity. The Python package is the oracle for
/// interoperability (InteropTests); here the oracle is the input bytes and the format's text.
final class WriterTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = try makeTemporaryDirectory("writer") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    struct SourceFailed: Error, Equatable {}

    private func directoryListing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    /// Header: 8-byte little-endian length, a multiple of 8, starting with `{`, padded with spaces only;
    /// tensors by decreasing dtype alignment then name; every dtype (sub-byte ones included) reads back
    /// with the same bytes.
    func testLayoutAndRoundTripOfEveryDType() throws {
        var rng = TestBytes(seed: 3)
        var inputs: [(String, SafeTensorsDType, [Int], [UInt8])] = []
        for (i, dtype) in SafeTensorsDType.allCases.enumerated() {
            let shape = dtype.bitWidth < 8 ? [4, 4] : [i % 3 + 1, 2]
            inputs.append(("t\(21 - i)", dtype, shape, rng.bytes(dtype.byteCount(elementCount: shape.reduce(1, *))!)))
        }
        inputs.append(("b", .f32, [1], rng.bytes(4)))
        inputs.append(("a", .f32, [1], rng.bytes(4)))
        let path = dir + "/all.safetensors"
        try SafeTensorsWriter.write(inputs.map { SafeTensorsSource(name: $0.0, dtype: $0.1, shape: $0.2, bytes: $0.3) }, to: path)

        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let n = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
        XCTAssertEqual(raw[8], UInt8(ascii: "{"))
        let header = raw[8..<(8 + n)]
        let lastBrace = header.lastIndex(of: UInt8(ascii: "}"))!
        XCTAssertTrue(header[(lastBrace + 1)...].allSatisfy { $0 == 0x20 })
        XCTAssertLessThan(header.count - (lastBrace + 1 - 8), 8)
        XCTAssertFalse(String(decoding: header, as: UTF8.self).contains("__metadata__"))

        let f = try SafeTensorsFile(path: path)
        let want = inputs.sorted {
            $0.1.alignmentRank != $1.1.alignmentRank ? $0.1.alignmentRank > $1.1.alignmentRank : $0.0 < $1.0
        }
        XCTAssertEqual(f.names, want.map(\.0))
        XCTAssertEqual(Array(f.names.prefix(3)), ["t0", "t1", "t2"]) // U64, I64, F64 ...
        XCTAssertEqual(Array(f.names.suffix(3)), ["t19", "t20", "t21"]) // ... F6_E2M3, F4, BOOL
        for (name, dtype, shape, bytes) in inputs {
            let t = try f.tensor(named: name)
            XCTAssertEqual(t.dtype, dtype)
            XCTAssertEqual(t.shape, shape)
            XCTAssertEqual(t.bytes, bytes, name)
        }
        XCTAssertEqual(f.fileSize, raw.count)
    }

    /// Tensors larger than the 1 MiB write buffer, streamed in uneven chunks, and a tensor copied from a
    /// mapped file, read back intact.
    func testLargeStreamedTensorsAndCopies() throws {
        var rng = TestBytes(seed: 4)
        let big = rng.bytes(3 << 20 + 12_346) // F16 elements: an even length above the 1 MiB buffer
        let path = dir + "/big.safetensors"
        try SafeTensorsWriter.write([
            SafeTensorsSource(name: "big", dtype: .f16, shape: [big.count / 2]) { sink in
                var i = 0, step = 1
                while i < big.count {
                    let n = min(step, big.count - i)
                    try big[i..<(i + n)].withUnsafeBytes { try sink.write($0) }
                    i += n
                    step = step * 7 % 2_500_000 + 1
                }
            },
            SafeTensorsSource(name: "small", dtype: .u8, shape: [3], bytes: [1, 2, 3] as [UInt8]),
        ], metadata: ["k": "v"], to: path)
        let f = try SafeTensorsFile(path: path)
        XCTAssertEqual(try f.tensor(named: "big").bytes, big)
        XCTAssertEqual(f.metadata, ["k": "v"])

        let copy = dir + "/copy.safetensors"
        try SafeTensorsWriter.write(f.tensors.map { SafeTensorsSource($0) }, metadata: f.metadata, to: copy)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// `producingInGivenOrder`: the streams are called in the order given (here the reverse of storage
    /// order, streamed in pieces larger and smaller than the write buffer), and the file is byte for byte
    /// the one the storage-order write gives.
    func testProducingInGivenOrderGivesTheSameFile() throws {
        var rng = TestBytes(seed: 5)
        let inputs: [(String, SafeTensorsDType, [Int], [UInt8])] = [
            ("w", .f8E4M3, [1536, 1024], rng.bytes(1536 * 1024)), ("w_scale_inv", .f32, [12, 8], rng.bytes(384)),
            ("a", .bf16, [3, 5], rng.bytes(30)), ("empty", .f32, [0], []), ("z", .i64, [2], rng.bytes(16)),
            ("big", .f32, [700_000], rng.bytes(2_800_000)),
        ]
        var calls: [String] = []
        func sources() -> [SafeTensorsSource] {
            inputs.map { (name, dtype, shape, bytes) in
                SafeTensorsSource(name: name, dtype: dtype, shape: shape) { sink in
                    calls.append(name)
                    var i = 0
                    while i < bytes.count {
                        let n = min(bytes.count - i, 1 << 19 + 3)
                        try bytes[i..<(i + n)].withUnsafeBytes { try sink.write($0) }
                        i += n
                    }
                }
            }
        }
        try SafeTensorsWriter.write(sources(), metadata: ["format": "pt"], to: dir + "/storage.safetensors")
        let storageOrder = calls
        XCTAssertEqual(storageOrder, ["z", "big", "empty", "w_scale_inv", "a", "w"])
        XCTAssertEqual(storageOrder, try SafeTensorsFile(path: dir + "/storage.safetensors").names)
        calls = []
        let reversed = Array(sources().reversed())
        try SafeTensorsWriter.write(reversed, metadata: ["format": "pt"], to: dir + "/given.safetensors", producingInGivenOrder: true)
        XCTAssertEqual(calls, inputs.map(\.0).reversed())
        XCTAssertNotEqual(calls, storageOrder)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/given.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/storage.safetensors")))
        let f = try SafeTensorsFile(path: dir + "/given.safetensors")
        for (name, _, _, bytes) in inputs { XCTAssertEqual(try f.tensor(named: name).bytes, bytes, name) }
        // a source that throws in the given order leaves nothing
        let failing = [SafeTensorsSource(name: "late", dtype: .u8, shape: [4], bytes: [1, 2, 3, 4] as [UInt8]),
                       SafeTensorsSource(name: "early", dtype: .f64, shape: [1]) { _ in throw SourceFailed() }]
        XCTAssertThrowsError(try SafeTensorsWriter.write(failing, to: dir + "/f.safetensors", producingInGivenOrder: true))
        XCTAssertEqual(try directoryListing(), ["given.safetensors", "storage.safetensors"])
    }

    /// `SafeTensor.releasePages`: the mapped pages leave the resident set (Linux: /proc/self/statm) and the
    /// bytes read back unchanged; on a file opened from in-memory bytes it changes nothing.
    func testReleasePagesKeepsTheBytes() throws {
        var rng = TestBytes(seed: 6)
        let pattern = rng.bytes(1 << 20), copies = 32
        let path = dir + "/big.safetensors"
        try SafeTensorsWriter.write([
            SafeTensorsSource(name: "x", dtype: .u8, shape: [copies << 20]) { sink in
                for _ in 0..<copies { try sink.write(pattern) }
            },
            SafeTensorsSource(name: "y", dtype: .u8, shape: [3], bytes: [7, 8, 9] as [UInt8]),
        ], to: path)
        func residentBytes() -> Int? {
            guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
            let f = s.split(separator: " ")
            return f.count > 1 ? Int(f[1]).map { $0 * Int(sysconf(Int32(_SC_PAGESIZE))) } : nil
        }
        func matches(_ t: SafeTensor) -> Bool {
            t.withUnsafeBytes { raw in
                pattern.withUnsafeBytes { p in
                    (0..<copies).allSatisfy { memcmp(raw.baseAddress! + ($0 << 20), p.baseAddress!, 1 << 20) == 0 }
                }
            }
        }
        let f = try SafeTensorsFile(path: path)
        let x = try f.tensor(named: "x")
        XCTAssertTrue(matches(x)) // every page touched
        let before = residentBytes()
        x.releasePages(0..<x.byteCount)
        let after = residentBytes()
        if let before, let after { XCTAssertGreaterThan(before - after, 24 << 20, "resident \(before) -> \(after)") }
        XCTAssertTrue(matches(x))
        x.releasePages(-5..<(x.byteCount + 100)) // clamped
        XCTAssertTrue(matches(x))
        XCTAssertEqual(try f.tensor(named: "y").bytes, [7, 8, 9])

        let inMemory = try SafeTensorsFile(bytes: try Data(contentsOf: URL(fileURLWithPath: path)), name: "mem")
        let xm = try inMemory.tensor(named: "x")
        xm.releasePages(0..<xm.byteCount)
        XCTAssertTrue(matches(xm))
    }

    /// A source that throws midway: the error comes out unchanged, nothing is at the path, no temporary
    /// file is left, and a file already at the path is untouched.
    func testInterruptedWriteLeavesNoFile() throws {
        let path = dir + "/out.safetensors"
        let failing = [
            SafeTensorsSource(name: "ok", dtype: .f32, shape: [1 << 19], bytes: [UInt8](repeating: 1, count: 1 << 21)),
            SafeTensorsSource(name: "fails", dtype: .u8, shape: [1000]) { sink in
                try sink.write([UInt8](repeating: 2, count: 400))
                throw SourceFailed()
            },
        ]
        XCTAssertThrowsError(try SafeTensorsWriter.write(failing, to: path)) { XCTAssertEqual($0 as? SourceFailed, SourceFailed()) }
        XCTAssertEqual(try directoryListing(), [])

        let previous = Data("previous contents".utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: previous))
        XCTAssertThrowsError(try SafeTensorsWriter.write(failing, to: path))
        XCTAssertEqual(FileManager.default.contents(atPath: path), previous)
        XCTAssertEqual(try directoryListing(), ["out.safetensors"])
    }

    /// Write-side validation: each bad request throws its case naming the file and tensor, and leaves
    /// nothing at the path.
    func testWriteValidation() throws {
        let path = dir + "/v.safetensors"
        func expect(_ sources: [SafeTensorsSource], metadata: [String: String]? = nil, _ want: SafeTensorsError, line: UInt = #line) {
            XCTAssertThrowsError(try SafeTensorsWriter.write(sources, metadata: metadata, to: path), line: line) {
                XCTAssertEqual($0 as? SafeTensorsError, want, line: line)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), line: line)
            XCTAssertEqual(try? directoryListing(), [], line: line)
        }
        expect([SafeTensorsSource(name: "w", dtype: .f32, shape: [2], bytes: [UInt8](repeating: 0, count: 4))],
               .byteCountMismatch(file: path, tensor: "w", expected: 8, actual: 4))
        expect([SafeTensorsSource(name: "w", dtype: .u8, shape: [2]) { try $0.write([1, 2, 3] as [UInt8]) }],
               .byteCountMismatch(file: path, tensor: "w", expected: 2, actual: 3))
        expect([SafeTensorsSource(name: "w", dtype: .u8, shape: [2]) { try $0.write([1] as [UInt8]) }],
               .byteCountMismatch(file: path, tensor: "w", expected: 2, actual: 1))
        expect([SafeTensorsSource(name: "w", dtype: .u8, shape: [1], bytes: [1] as [UInt8]),
                SafeTensorsSource(name: "w", dtype: .u8, shape: [1], bytes: [1] as [UInt8])],
               .duplicateName(file: path, tensor: "w"))
        expect([SafeTensorsSource(name: "__metadata__", dtype: .u8, shape: [0], bytes: [UInt8]())],
               .invalidName(file: path, tensor: "__metadata__"))
        expect([SafeTensorsSource(name: "w", dtype: .u8, shape: [-1], bytes: [UInt8]())],
               .invalidShape(file: path, tensor: "w", reason: "dimension -1 is negative"))
        expect([SafeTensorsSource(name: "w", dtype: .f4, shape: [3], bytes: [0, 0] as [UInt8])],
               .notByteAligned(file: path, tensor: "w", dtype: .f4, elementCount: 3))
        expect([SafeTensorsSource(name: "w", dtype: .f64, shape: [1 << 62], bytes: [UInt8]())],
               .overflow(file: path, tensor: "w", what: "the byte count of \(1 << 62) x F64"))
        expect([SafeTensorsSource(name: "w", dtype: .u8, shape: [1 << 32, 1 << 32], bytes: [UInt8]())],
               .overflow(file: path, tensor: "w", what: "the element count of shape [4294967296, 4294967296]"))
        XCTAssertThrowsError(try SafeTensorsWriter.write([], to: dir + "/no/such/dir/x.safetensors")) {
            guard case .io = $0 as? SafeTensorsError else { return XCTFail("\($0)") }
        }
    }

    /// An empty checkpoint (no tensors, no metadata) is the 8-byte header `{}` padded to 8.
    func testEmptyFile() throws {
        let path = dir + "/empty.safetensors"
        try SafeTensorsWriter.write([], to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data([8, 0, 0, 0, 0, 0, 0, 0]) + Data("{}      ".utf8))
        XCTAssertEqual(try SafeTensorsFile(path: path).tensors.count, 0)
    }

    /// A path of one component (relative to the working directory) is written and read like any
    /// other: Foundation's NSString path methods trap on it on Linux, so the library must not use them.
    func testOneComponentRelativePath() throws {
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        try SafeTensorsWriter.write([SafeTensorsSource(name: "t", dtype: .u8, shape: [3], bytes: [1, 2, 3] as [UInt8])],
                                    to: "one.safetensors")
        XCTAssertEqual(try SafeTensorsFile(path: "one.safetensors").tensor(named: "t").bytes, [1, 2, 3])
        XCTAssertEqual(try SafeTensorsCheckpoint(path: "one.safetensors").tensor(named: "t").bytes, [1, 2, 3])
        XCTAssertEqual(try directoryListing(), ["one.safetensors"])
    }
}
