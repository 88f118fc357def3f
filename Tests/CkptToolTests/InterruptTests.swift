// SPDX-License-Identifier: Apache-2.0
import CkptTool
import Foundation
import XCTest

/// The built executable stopped while it writes: SIGKILL leaves nothing at the output path (only the
/// hidden temporary `.NAME.tmp-PID-RANDOM` beside it); SIGINT and SIGTERM remove the temporary and exit
/// with 128 + the signal number.
extension CkptToolTests {
    /// A checkpoint whose dequantized F32 copy (192 MiB) takes a while to write: 3 F8 [4096, 4096] weights.
    func makeBig() throws -> String {
        let p = dir + "/in-big"
        _ = try Oracle.run(["make_big", p])
        return p
    }

    /// Starts `fp8-ckpt args` (stdout and stderr to files in `dir`); returns the process and the stderr path.
    func startTool(_ args: [String]) throws -> (Process, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try tool())
        p.arguments = args
        let errPath = dir + "/stderr-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertTrue(FileManager.default.createFile(atPath: errPath, contents: nil))
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        return (p, errPath)
    }

    struct EndedBeforeWriting: Error {}

    /// Starts `fp8-ckpt args` and polls until it writes `output`; returns the process, the temporary's
    /// name and the stderr path.
    func startWriting(_ args: [String], output: String) throws -> (Process, String, String) {
        let (p, errPath) = try startTool(args)
        guard let tmp = waitUntilWriting(p, output: output) else {
            p.waitUntilExit()
            XCTFail("fp8-ckpt ended (status \(p.terminationStatus)) before it was seen writing \(output)")
            throw EndedBeforeWriting()
        }
        return (p, tmp, errPath)
    }

    /// Polls (every 2 ms, up to 120 s) until the process has started writing tensor data: the temporary
    /// `.NAME.tmp-PID-*` of `output` exists in `dir` and it (a file) or a file in it (a directory) is not
    /// empty. Returns the temporary's name, or nil when the process ended first.
    func waitUntilWriting(_ p: Process, output: String) -> String? {
        let fm = FileManager.default
        let prefix = ".\(output).tmp-\(p.processIdentifier)-"
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline {
            if let tmp = (try? fm.contentsOfDirectory(atPath: dir))?.first(where: { $0.hasPrefix(prefix) }) {
                let path = dir + "/" + tmp
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: path, isDirectory: &isDir) {
                    let files = isDir.boolValue ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []).map { path + "/" + $0 } : [path]
                    if files.contains(where: { ((try? fm.attributesOfItem(atPath: $0)[.size]) as? Int ?? 0) > 0 }) { return tmp }
                }
            }
            usleep(2000)
        }
        return nil
    }

    func testKilledMidWriteLeavesNothingAtTheOutput() throws {
        let input = try makeBig()
        let (p, tmp, _) = try startWriting(["dequantize", input, dir + "/out", "--dtype", "f32"], output: "out")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(p.terminationStatus, SIGKILL)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"))
        // where the partial output is: the hidden temporary directory beside the output, a shard inside
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + tmp), tmp)
        XCTAssertTrue(tmp.hasPrefix(".out.tmp-\(p.processIdentifier)-"), tmp)
    }

    func testSigintAndSigtermRemoveTheTemporaryOutput() throws {
        let input = try makeBig()
        let before = try snapshot()
        // SIGINT while a directory is written, SIGTERM while a single file is, and SIGINT twice in a row
        // (the second one removes the temporaries and exits at once, whatever the work is doing).
        let dirArgs = ["dequantize", input, dir + "/out", "--dtype", "f32"]
        let fileArgs = ["dequantize", input + "/model-00001-of-00001.safetensors", dir + "/one.safetensors", "--dtype", "f32"]
        for (sig, twice, name, args) in [(SIGINT, false, "out", dirArgs), (SIGTERM, false, "one.safetensors", fileArgs),
                                         (SIGINT, true, "out", dirArgs), (SIGINT, true, "one.safetensors", fileArgs)] {
            let (p, _, errPath) = try startWriting(args, output: name)
            kill(p.processIdentifier, sig)
            if twice { kill(p.processIdentifier, sig) }
            p.waitUntilExit()
            let err = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
            try FileManager.default.removeItem(atPath: errPath)
            let label = "\(name), signal \(sig)\(twice ? " twice" : ""): \(err)"
            XCTAssertEqual(p.terminationReason, .exit, label)
            XCTAssertEqual(p.terminationStatus, 128 + sig, label)
            XCTAssertTrue(err.contains(twice ? (sig == SIGINT ? "SIGINT" : "SIGTERM")
                                             : "interrupted by \(sig == SIGINT ? "SIGINT" : "SIGTERM")"), label)
            XCTAssertEqual(try snapshot(), before, "\(label): output or temporary left behind")
        }
    }

    /// In-process: an interruption requested before the work starts stops it with the signal in the error,
    /// and nothing is written.
    func testInterruptionRequestUnwindsInProcess() throws {
        let input = try make()
        let before = try snapshot()
        Interruption.request(SIGTERM)
        defer { Interruption.reset() }
        XCTAssertThrowsError(try dequantize(input: input, output: dir + "/out")) { e in
            XCTAssertEqual((e as? CkptError)?.signal, SIGTERM, "\(e)")
            XCTAssertTrue("\(e)".contains("interrupted by SIGTERM"), "\(e)")
        }
        XCTAssertThrowsError(try quantize(input: input, output: dir + "/out2")) { e in
            XCTAssertEqual((e as? CkptError)?.signal, SIGTERM, "\(e)")
        }
        XCTAssertEqual(try snapshot(), before)
    }
}

/// The progress line moves inside one large tensor: every piece (4 Mi elements) updates it.
extension CkptToolTests {
    func testProgressAdvancesInsideOneTensor() throws {
        let input = dir + "/in-one"
        _ = try Oracle.run(["make_big", input, "1"]) // one F8 [4096, 4096] weight: 4 pieces of 1024 rows
        func lines(_ body: (ProgressLine) throws -> Void) rethrows -> [String] {
            var out: [String] = []
            try body(ProgressLine("p", after: 0, every: 0) { out.append($0) })
            return out
        }
        let name = "model.layers.0.mlp.up_proj.weight"
        func assertPieces(_ got: [String], _ label: String, of n: Int = 1) {
            let want = ["(0%)", "(25%)", "(50%)", "(75%)", "(100%)"].map { "p: tensor 1 of \(n) \($0)" }
            let mine = got.filter { $0.hasSuffix(name) }
            XCTAssertEqual(mine.map { String($0.prefix(while: { $0 != "," })) }, want, "\(label): \(got)")
            XCTAssertTrue(mine.allSatisfy { $0.contains(" GB/s, ") }, label)
        }
        assertPieces(try lines { _ = try dequantize(input: input, output: dir + "/d", progress: $0) }, "dequantize")
        assertPieces(try lines { _ = try quantize(input: dir + "/d", output: dir + "/q", progress: $0) }, "quantize")
        assertPieces(try lines { _ = try inspect(path: input, progress: $0) }, "inspect", of: 2) // + the scale tensor
    }
}
