// SPDX-License-Identifier: Apache-2.0
import Foundation
import XCTest

/// The independent oracle: the `safetensors` PyPI package (the reference implementation's Python binding)
/// with numpy. Installed with `python3 -m pip install safetensors numpy` when missing, as scripts/deps.sh
/// installs OpenBLAS; a machine where that fails fails the test with the reason (never a silent skip).
enum PythonOracle {
    /// The interpreter: `$PYTHON`, else `python3` on the PATH.
    static let python: String = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"

    private static let lock = NSLock()
    private static var ready: Result<Void, OracleError>?

    struct OracleError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `python -c script args...`; returns stdout, or throws with stderr when the exit status is not 0.
    static func run(_ script: String, _ args: [String] = []) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", script] + args
        // stdout through a pipe read to the end before waiting; stderr into a file (no second reader needed).
        let out = Pipe()
        let errPath = (NSTemporaryDirectory() as NSString).appendingPathComponent("st-oracle-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        guard let errHandle = FileHandle(forWritingAtPath: errPath) else { throw OracleError(description: "cannot create \(errPath)") }
        p.standardOutput = out
        p.standardError = errHandle
        do { try p.run() } catch { throw OracleError(description: "cannot start \(python): \(error)") }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? errHandle.close()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        guard p.terminationStatus == 0 else {
            throw OracleError(description: "\(python) exited with status \(p.terminationStatus):\n"
                + String(decoding: errData, as: UTF8.self))
        }
        return outData
    }

    /// Makes sure `import safetensors, numpy` works, installing both with pip once if it does not.
    static func ensure() throws {
        lock.lock()
        defer { lock.unlock() }
        if let ready { return try ready.get() }
        let check = "import safetensors, numpy; print(safetensors.__version__)"
        if (try? run(check)) != nil {
            ready = .success(())
            return
        }
        FileHandle.standardError.write("SafeTensorsTests: installing safetensors and numpy with pip\n".data(using: .utf8)!)
        do {
            _ = try run("import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install', '--quiet', 'safetensors', 'numpy']))")
            _ = try run(check)
            ready = .success(())
        } catch {
            ready = .failure(OracleError(description:
                "the safetensors oracle is missing and `\(python) -m pip install safetensors numpy` failed: \(error)"))
        }
        try ready!.get()
    }

    /// Runs `script` after ``ensure()`` and decodes its stdout as a JSON object.
    static func json(_ script: String, _ args: [String] = []) throws -> [String: Any] {
        try ensure()
        let data = try run(script, args)
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw OracleError(description: "oracle output is not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return obj
    }
}

/// Deterministic test bytes (SplitMix64).
struct TestBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// A fresh empty directory under the temporary directory, removed by `tearDown` of the caller.
func makeTemporaryDirectory(_ label: String) throws -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("safetensors-tests-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}
