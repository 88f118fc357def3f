// SPDX-License-Identifier: Apache-2.0
//
// fuzz_safetensors.swift - libFuzzer harness for the SafeTensors reader and writer (issue 12), over
// arbitrary bytes. Compiled together with Sources/SafeTensors into one module by scripts/fuzz.sh
// (swiftc -sanitize=fuzzer,address), so it needs no import.
//
// For any input:
//  - SafeTensorsFile(bytes:) either throws a SafeTensorsError or returns a file (no crash, no other
//    error type, no sanitizer report);
//  - an accepted file obeys the format's rules as the reader claims them: the tensors, in data order,
//    cover the data section exactly (no hole, no overlap), each byte count is dtype x shape, names
//    are unique, and the header fits in the input;
//  - the writer, given the accepted tensors and metadata, produces a file that reads back with the
//    same names, dtypes, shapes, bytes and metadata.

import Foundation

private func check(_ ok: Bool, _ what: @autoclosure () -> String) {
    if !ok { fatalError("FUZZ CHECK FAILED: \(what())") }
}

private let scratch = NSTemporaryDirectory() + "fuzz_safetensors-\(getpid()).safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let file: SafeTensorsFile
    do {
        file = try SafeTensorsFile(bytes: input, name: "fuzz")
    } catch is SafeTensorsError {
        return 0
    } catch {
        fatalError("FUZZ CHECK FAILED: error of another type: \(error)")
    }
    check(file.fileSize == input.count, "fileSize \(file.fileSize) != \(input.count)")
    check(file.dataOffset <= input.count, "header beyond the input")
    var end = 0
    var names = Set<String>()
    for t in file.tensors {
        check(t.dataOffsets.lowerBound == end, "hole or overlap before \(t.name)")
        end = t.dataOffsets.upperBound
        check(t.dtype.byteCount(elementCount: t.elementCount) == t.byteCount, "byte count of \(t.name)")
        check(names.insert(t.name).inserted, "duplicate name \(t.name)")
        check(t.bytes == Array(input[(file.dataOffset + t.dataOffsets.lowerBound)..<(file.dataOffset + t.dataOffsets.upperBound)]),
              "bytes of \(t.name)")
    }
    check(file.dataOffset + end == input.count, "data section not covered exactly")

    // Round trip through the writer.
    do {
        try SafeTensorsWriter.write(file.tensors.map { SafeTensorsSource($0) }, metadata: file.metadata, to: scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let back = try SafeTensorsFile(path: scratch)
        check(back.metadata == file.metadata, "metadata after the round trip")
        check(Set(back.names) == names, "names after the round trip")
        for t in file.tensors {
            guard let u = back[t.name] else { fatalError("FUZZ CHECK FAILED: \(t.name) lost") }
            check(u.dtype == t.dtype && u.shape == t.shape && u.bytes == t.bytes, "\(t.name) after the round trip")
        }
    } catch {
        // The writer may refuse what the reader accepts only for documented reasons it checks itself
        // (none are known); treat any refusal as a finding.
        fatalError("FUZZ CHECK FAILED: round trip threw \(error)")
    }
    return 0
}
