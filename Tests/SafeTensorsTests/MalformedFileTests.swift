// SPDX-License-Identifier: Apache-2.0
import Foundation
import SafeTensors
import XCTest

/// The bad-input catalogue: each malformed file gives its documented ``SafeTensorsError`` case (naming the
/// file, and the tensor when one is involved), never a crash. The same files go to the Python package,
/// which must reject every one except four where we are stricter than the reference: three where we follow the
/// documentation (leading whitespace before `{`, duplicate tensor names, duplicate metadata keys) and a
/// dimension above `Int.max` (the reference's `usize`) in an empty tensor.
final class MalformedFileTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = try makeTemporaryDirectory("malformed") }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// 8-byte little-endian length (the header's own unless `length` is given), header, data.
    static func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        file(Array(header.utf8), data: data, length: length)
    }

    static func file(_ header: [UInt8], data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian) { Array($0) } + header + data
    }

    static func entry(_ name: String, _ dtype: String = "U8", _ shape: String, _ offsets: String) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    struct Case {
        var name: String
        var bytes: [UInt8]
        var tensor: String?
        var pythonAccepts = false
        var matches: (SafeTensorsError) -> Bool
    }

    /// The well-formed file the truncation cases cut.
    static var good: [UInt8] {
        file("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "U8", "[3]", "[8,11]") + "}", data: Array(0..<11))
    }

    static var cases: [Case] {
        let e = entry
        let good = Self.good
        let deep = "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        return [
            Case(name: "empty file", bytes: [], tensor: nil) { if case .fileTooShort(_, 0) = $0 { return true }; return false },
            Case(name: "seven bytes", bytes: [8, 0, 0, 0, 0, 0, 0], tensor: nil) { if case .fileTooShort(_, 7) = $0 { return true }; return false },
            Case(name: "header length above 100 MB", bytes: file("{}", length: 100_000_001), tensor: nil) {
                if case .headerTooLarge(_, 100_000_001, 100_000_000) = $0 { return true }; return false },
            Case(name: "header length 2^64-1", bytes: file("{}", length: .max), tensor: nil) {
                if case .headerTooLarge = $0 { return true }; return false },
            Case(name: "lying header length", bytes: file("{}", length: 1000), tensor: nil) {
                if case .headerBeyondFile(_, 1000, 10) = $0 { return true }; return false },
            Case(name: "truncated inside the header", bytes: Array(good.prefix(30)), tensor: nil) {
                if case .headerBeyondFile = $0 { return true }; return false },
            Case(name: "truncated data", bytes: Array(good.dropLast(2)), tensor: "b") {
                if case .offsetsOutOfRange(_, "b", 8, 11, 9) = $0 { return true }; return false },
            Case(name: "header not UTF-8", bytes: file([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), tensor: nil) {
                if case .headerNotUTF8 = $0 { return true }; return false },
            Case(name: "bad JSON", bytes: file("{\"a\":"), tensor: nil) { if case .invalidJSON = $0 { return true }; return false },
            Case(name: "trailing garbage after JSON", bytes: file("{} x"), tensor: nil) {
                if case .invalidJSON(_, 3, _) = $0 { return true }; return false },
            Case(name: "header is a list", bytes: file("[1]"), tensor: nil) { if case .invalidHeader = $0 { return true }; return false },
            Case(name: "leading whitespace", bytes: file(" {}"), tensor: nil, pythonAccepts: true) {
                if case .invalidHeader = $0 { return true }; return false },
            Case(name: "nesting bomb", bytes: file(deep), tensor: nil) { if case .invalidJSON = $0 { return true }; return false },
            Case(name: "lone surrogate", bytes: file("{\"\\ud800\":{}}"), tensor: nil) { if case .invalidJSON = $0 { return true }; return false },
            Case(name: "unknown dtype", bytes: file("{" + e("w", "F7", "[1]", "[0,1]") + "}", data: [0]), tensor: "w") {
                if case .unknownDType(_, "w", "F7") = $0 { return true }; return false },
            Case(name: "dtype not a string", bytes: file("{\"w\":{\"dtype\":8,\"shape\":[1],\"data_offsets\":[0,1]}}", data: [0]), tensor: "w") {
                if case .invalidTensorEntry(_, "w", _) = $0 { return true }; return false },
            Case(name: "missing data_offsets", bytes: file("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", data: [0]), tensor: "w") {
                if case .invalidTensorEntry(_, "w", _) = $0 { return true }; return false },
            Case(name: "duplicate field", bytes: file("{\"w\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", data: [0]), tensor: "w") {
                if case .invalidTensorEntry(_, "w", _) = $0 { return true }; return false },
            Case(name: "entry not an object", bytes: file("{\"w\":[1]}"), tensor: "w") {
                if case .invalidTensorEntry(_, "w", _) = $0 { return true }; return false },
            Case(name: "negative dimension", bytes: file("{" + e("w", "U8", "[-1]", "[0,0]") + "}"), tensor: "w") {
                if case .invalidShape(_, "w", _) = $0 { return true }; return false },
            Case(name: "shape not a list", bytes: file("{" + e("w", "U8", "3", "[0,3]") + "}", data: [0, 0, 0]), tensor: "w") {
                if case .invalidShape(_, "w", _) = $0 { return true }; return false },
            Case(name: "fractional dimension", bytes: file("{" + e("w", "U8", "[2.0]", "[0,2]") + "}", data: [0, 0]), tensor: "w") {
                if case .invalidShape(_, "w", _) = $0 { return true }; return false },
            Case(name: "negative offset", bytes: file("{" + e("w", "U8", "[1]", "[-1,0]") + "}", data: [0]), tensor: "w") {
                if case .invalidOffsets(_, "w", _) = $0 { return true }; return false },
            Case(name: "three offsets", bytes: file("{" + e("w", "U8", "[1]", "[0,1,1]") + "}", data: [0]), tensor: "w") {
                if case .invalidOffsets(_, "w", _) = $0 { return true }; return false },
            Case(name: "begin after end", bytes: file("{" + e("w", "U8", "[1]", "[2,1]") + "}", data: [0, 0]), tensor: "w") {
                if case .invalidOffsets(_, "w", _) = $0 { return true }; return false },
            Case(name: "offsets out of range", bytes: file("{" + e("w", "U8", "[4]", "[0,4]") + "}", data: [0, 0]), tensor: "w") {
                if case .offsetsOutOfRange(_, "w", 0, 4, 2) = $0 { return true }; return false },
            Case(name: "offset beyond 2^64", bytes: file("{" + e("w", "U8", "[1]", "[0,18446744073709551617]") + "}", data: [0]), tensor: "w") {
                if case .overflow(_, "w", _) = $0 { return true }; return false },
            Case(name: "overlapping tensors", bytes: file("{" + e("a", "U8", "[4]", "[0,4]") + "," + e("b", "U8", "[4]", "[2,6]") + "}", data: Array(repeating: 0, count: 6)), tensor: "b") {
                if case .overlap(_, "b", "a") = $0 { return true }; return false },
            Case(name: "empty tensor inside another", bytes: file("{" + e("a", "U8", "[4]", "[0,4]") + "," + e("z", "U8", "[0]", "[2,2]") + "}", data: [0, 0, 0, 0]), tensor: "z") {
                if case .overlap(_, "z", "a") = $0 { return true }; return false },
            Case(name: "same range twice", bytes: file("{" + e("a", "U8", "[4]", "[0,4]") + "," + e("b", "U8", "[4]", "[0,4]") + "}", data: [0, 0, 0, 0]), tensor: nil) {
                if case .overlap = $0 { return true }; return false },
            Case(name: "hole between tensors", bytes: file("{" + e("a", "U8", "[2]", "[0,2]") + "," + e("b", "U8", "[2]", "[3,5]") + "}", data: Array(repeating: 0, count: 5)), tensor: "b") {
                if case .hole(_, "b", 2, 3) = $0 { return true }; return false },
            Case(name: "hole at the start", bytes: file("{" + e("a", "U8", "[2]", "[1,3]") + "}", data: [0, 0, 0]), tensor: "a") {
                if case .hole(_, "a", 0, 1) = $0 { return true }; return false },
            Case(name: "trailing bytes", bytes: file("{" + e("a", "U8", "[2]", "[0,2]") + "}", data: [0, 0, 9, 9]), tensor: nil) {
                if case .hole(_, nil, 2, 4) = $0 { return true }; return false },
            Case(name: "data but no tensors", bytes: file("{}", data: [1]), tensor: nil) {
                if case .hole(_, nil, 0, 1) = $0 { return true }; return false },
            Case(name: "byte count disagrees with dtype x shape", bytes: file("{" + e("w", "F32", "[2]", "[0,4]") + "}", data: [0, 0, 0, 0]), tensor: "w") {
                if case .byteCountMismatch(_, "w", 8, 4) = $0 { return true }; return false },
            Case(name: "element count overflow", bytes: file("{" + e("w", "U8", "[4294967296,4294967296]", "[0,0]") + "}"), tensor: "w") {
                if case .overflow(_, "w", _) = $0 { return true }; return false },
            Case(name: "dimension beyond 2^64", bytes: file("{" + e("w", "U8", "[18446744073709551616]", "[0,0]") + "}"), tensor: "w") {
                if case .overflow(_, "w", _) = $0 { return true }; return false },
            Case(name: "byte count overflow", bytes: file("{" + e("w", "F64", "[2305843009213693952]", "[0,0]") + "}"), tensor: "w") {
                if case .overflow(_, "w", _) = $0 { return true }; return false },
            // The reference reads dimensions as usize (this one fits, and the product is 0); we keep shapes as Int.
            Case(name: "dimension beyond Int.max beside a zero", bytes: file("{" + e("w", "U8", "[0,18446744073709551615]", "[0,0]") + "}"), tensor: "w", pythonAccepts: true) {
                if case .overflow(_, "w", _) = $0 { return true }; return false },
            Case(name: "sub-byte tensor not whole bytes", bytes: file("{" + e("w", "F4", "[3]", "[0,2]") + "}", data: [0, 0]), tensor: "w") {
                if case .notByteAligned(_, "w", .f4, 3) = $0 { return true }; return false },
            Case(name: "duplicate tensor name", bytes: file("{" + e("w", "U8", "[1]", "[0,1]") + "," + e("w", "U8", "[1]", "[0,1]") + "}", data: [0]), tensor: "w", pythonAccepts: true) {
                if case .duplicateName(_, "w") = $0 { return true }; return false },
            Case(name: "metadata value not a string", bytes: file("{\"__metadata__\":{\"k\":1}}"), tensor: nil) {
                if case .invalidMetadata = $0 { return true }; return false },
            Case(name: "metadata not an object", bytes: file("{\"__metadata__\":\"x\"}"), tensor: nil) {
                if case .invalidMetadata = $0 { return true }; return false },
            Case(name: "duplicate metadata key", bytes: file("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"), tensor: nil, pythonAccepts: true) {
                if case .invalidMetadata = $0 { return true }; return false },
        ]
    }

    /// Every case from a file on disk (mapped) and from memory: the documented case, the file's path in
    /// the error and its message, and the tensor's name.
    func testEachMalformedFileGivesItsDocumentedError() throws {
        let cases = Self.cases
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for (i, c) in cases.enumerated() {
            let path = dir + "/case\(i).safetensors"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(c.bytes)))
            for open in [{ try SafeTensorsFile(path: path) }, { try SafeTensorsFile(bytes: c.bytes, name: path) }] {
                XCTAssertThrowsError(try open(), c.name) { error in
                    guard let e = error as? SafeTensorsError else { return XCTFail("\(c.name): \(error)") }
                    XCTAssertTrue(c.matches(e), "\(c.name): got \(e)")
                    XCTAssertEqual(e.file, path, c.name)
                    XCTAssertTrue(e.description.hasPrefix(path + ": "), "\(c.name): \(e)")
                    if let t = c.tensor {
                        XCTAssertEqual(e.tensor, t, c.name)
                        XCTAssertTrue(e.description.contains("'\(t)'"), "\(c.name): \(e)")
                    }
                }
            }
        }
    }

    /// The oracle agrees: the Python package rejects every malformed file except the four documented
    /// ones, and accepts the well-formed file the catalogue's truncations start from.
    func testPythonRejectsTheSameFiles() throws {
        let cases = Self.cases
        var paths: [String] = []
        for (i, c) in cases.enumerated() {
            let path = dir + "/case\(i).safetensors"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(c.bytes)))
            paths.append(path)
        }
        let script = """
        import sys, json
        from safetensors import safe_open
        accepted = []
        for p in sys.argv[1:]:
            try:
                with safe_open(p, framework="numpy") as f:
                    for k in f.keys(): f.get_slice(k)
                accepted.append(p)
            except Exception:
                pass
        print(json.dumps({"accepted": accepted}))
        """
        let goodPath = dir + "/good.safetensors"
        XCTAssertTrue(FileManager.default.createFile(atPath: goodPath, contents: Data(Self.good)))
        XCTAssertEqual(try SafeTensorsFile(path: goodPath).names, ["a", "b"])
        let r = try PythonOracle.json(script, paths + [goodPath])
        let accepted = Set(try XCTUnwrap(r["accepted"] as? [String]))
        XCTAssertTrue(accepted.contains(goodPath), "python rejects the well-formed file")
        for (c, p) in zip(cases, paths) {
            XCTAssertEqual(accepted.contains(p), c.pythonAccepts, "\(c.name): python \(accepted.contains(p) ? "accepts" : "rejects") it")
        }
    }

    /// Valid edge cases are accepted: an empty header `{}`, metadata only, a scalar, empty tensors at the
    /// same offset as a following tensor, unknown extra fields, `__metadata__: null`, and a header padded
    /// with spaces.
    func testValidEdgeCasesAreAccepted() throws {
        let e = Self.entry
        let f1 = try SafeTensorsFile(bytes: Self.file("{}"))
        XCTAssertEqual(f1.tensors.count, 0)
        XCTAssertNil(f1.metadata)
        let f2 = try SafeTensorsFile(bytes: Self.file("{\"__metadata__\":{\"a\":\"b\"}}   "))
        XCTAssertEqual(f2.metadata, ["a": "b"])
        XCTAssertEqual(f2.headerLength, 29)
        let f3 = try SafeTensorsFile(bytes: Self.file(
            "{" + e("s", "F32", "[]", "[0,4]") + "," + e("z", "U8", "[0,5]", "[4,4]") + ","
                + "\"x\":{\"shape\":[2],\"extra\":[1,{}],\"data_offsets\":[4,6],\"dtype\":\"I8\"},\"__metadata__\":null}",
            data: [0, 0, 0x80, 0x3F, 7, 9]))
        XCTAssertNil(f3.metadata)
        XCTAssertEqual(f3.names, ["s", "z", "x"])
        XCTAssertEqual(f3["s"]?.shape, [])
        XCTAssertEqual(f3["s"]?.elementCount, 1)
        XCTAssertEqual(f3["s"]?.withUnsafeBytes { $0.loadUnaligned(as: Float.self) }, 1.0)
        XCTAssertEqual(f3["z"]?.byteCount, 0)
        XCTAssertEqual(f3["z"]?.elementCount, 0)
        XCTAssertEqual(f3["x"]?.bytes, [7, 9])
        XCTAssertEqual(f3["x"]?.fileOffsets, (8 + f3.headerLength + 4)..<(8 + f3.headerLength + 6))
        XCTAssertNil(f3["nope"])
        XCTAssertThrowsError(try f3.tensor(named: "nope")) {
            XCTAssertEqual($0 as? SafeTensorsError, .tensorNotFound(file: "<memory>", tensor: "nope"))
        }
    }

    /// A sharded checkpoint whose index is damaged or disagrees with its shards.
    func testBadIndexes() throws {
        let shard = Self.file("{" + Self.entry("a", "U8", "[1]", "[0,1]") + "}", data: [5])
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/s1.safetensors", contents: Data(shard)))
        let index = dir + "/" + SafeTensorsCheckpoint.indexFileName
        func withIndex(_ text: String, _ check: (SafeTensorsError) -> Bool, line: UInt = #line) {
            XCTAssertTrue(FileManager.default.createFile(atPath: index, contents: Data(text.utf8)))
            do {
                let c = try SafeTensorsCheckpoint(path: dir)
                try c.verify()
                XCTFail("accepted \(text)", line: line)
            } catch let e as SafeTensorsError {
                XCTAssertTrue(check(e), "\(e)", line: line)
                XCTAssertTrue(e.description.hasPrefix(e.file + ": "), line: line)
            } catch { XCTFail("\(error)", line: line) }
        }
        withIndex("{\"weight_map\":{\"a\":\"s1.safetensors\"", {
            if case .invalidIndex(_, nil, let r) = $0 { return r.hasPrefix("not valid JSON at byte 35") }; return false
        })
        withIndex("{\"metadata\":{}}", { if case .invalidIndex(_, nil, _) = $0 { return true }; return false })
        withIndex("{\"weight_map\":{\"a\":\"../s1.safetensors\"}}", { if case .invalidIndex(_, "a", _) = $0 { return true }; return false })
        withIndex("{\"weight_map\":{\"a\":1}}", { if case .invalidIndex(_, "a", _) = $0 { return true }; return false })
        withIndex("{\"weight_map\":{\"a\":\"s1.safetensors\",\"a\":\"s1.safetensors\"}}", { if case .duplicateName(_, "a") = $0 { return true }; return false })
        withIndex("{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s1.safetensors\"}}", {
            if case .tensorNotFound(let f, "b") = $0 { return f.hasSuffix("s1.safetensors") }; return false })
        withIndex("{\"weight_map\":{\"a\":\"missing.safetensors\"}}", { if case .io = $0 { return true }; return false })
        // A shard holding a tensor the index does not map to it.
        let two = Self.file("{" + Self.entry("a", "U8", "[1]", "[0,1]") + "," + Self.entry("c", "U8", "[1]", "[1,2]") + "}", data: [5, 6])
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/s2.safetensors", contents: Data(two)))
        withIndex("{\"weight_map\":{\"a\":\"s2.safetensors\"}}", { if case .invalidIndex(_, "c", _) = $0 { return true }; return false })
        // Without an index, a name in two files is a duplicate; hidden files (macOS `._*`) are not shards.
        try FileManager.default.removeItem(atPath: index)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/._s1.safetensors", contents: Data([0, 5])))
        XCTAssertThrowsError(try SafeTensorsCheckpoint(path: dir)) {
            XCTAssertEqual($0 as? SafeTensorsError, .duplicateName(file: dir + "/s2.safetensors", tensor: "a"))
        }
    }
}
