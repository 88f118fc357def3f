// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import SafeTensors

/// Why the checkpoint tool refused an input: one message naming the file and, where one is involved, the
/// tensor. The tool prints ``description`` and exits with status 1; no output is left behind.
public struct CkptError: Error, CustomStringConvertible, Equatable {
    /// The file the problem is in (a shard, `config.json`, the index, or the output path).
    public var file: String
    /// The tensor involved, when there is one.
    public var tensor: String?
    /// What is wrong.
    public var message: String

    public init(file: String, tensor: String? = nil, _ message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    public var description: String {
        if message.hasPrefix(file) { return message } // a wrapped SafeTensorsError names both already
        if let tensor { return "\(file): tensor '\(tensor)': \(message)" }
        return "\(file): \(message)"
    }

    /// Wraps any error as a ``CkptError`` (a ``SafeTensorsError`` keeps its own file and tensor).
    static func wrap(_ error: Error, file: String, tensor: String?) -> CkptError {
        if let e = error as? CkptError { return e }
        if let e = error as? SafeTensorsError { return CkptError(file: e.file, tensor: e.tensor, "\(e)") }
        return CkptError(file: file, tensor: tensor, "\(error)")
    }
}

/// The block size of DeepSeek-style block scales: `config.json` `quantization_config.weight_block_size`
/// (`[rows, cols]`), 128 x 128 when absent.
public struct BlockSize: Equatable, Codable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int
    public init(rows: Int, cols: Int) { self.rows = rows; self.cols = cols }
    public static let deepSeek = BlockSize(rows: 128, cols: 128)
    public var description: String { "\(rows)x\(cols)" }

    /// Parses `"128x128"` (or a single `"128"` for a square block).
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let r = Int(parts[0]), let c = Int(parts.last!), r > 0, c > 0
        else { return nil }
        self.init(rows: r, cols: c)
    }

    /// The scale grid for an `[n, k]` weight: `[ceil(n / rows), ceil(k / cols)]` (DeepSeek-V3
    /// `weight_dequant`).
    public func scaleShape(n: Int, k: Int) -> [Int] { [(n + rows - 1) / rows, (k + cols - 1) / cols] }
}

/// The parts of a checkpoint directory the tool reads besides the tensors.
struct CheckpointConfig {
    /// `config.json` as parsed, or nil when there is none.
    var json: [String: Any]?
    var path: String?
    var blockSize: BlockSize = .deepSeek

    /// Reads `config.json` in `directory`, if present.
    /// - Throws: ``CkptError`` for malformed JSON or a `weight_block_size` that is not two positive integers.
    init(directory: String) throws {
        let p = (directory as NSString).appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: p) else { return }
        path = p
        guard let data = FileManager.default.contents(atPath: p) else { throw CkptError(file: p, "cannot read") }
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CkptError(file: p, "not a JSON object")
        }
        json = obj
        if let q = obj["quantization_config"] as? [String: Any], let bs = q["weight_block_size"] {
            guard let a = bs as? [Any], a.count == 2, let r = a[0] as? Int, let c = a[1] as? Int, r > 0, c > 0 else {
                throw CkptError(file: p, "quantization_config.weight_block_size is not two positive integers: \(bs)")
            }
            blockSize = BlockSize(rows: r, cols: c)
        }
    }
}

/// How a scale tensor applies to its FP8 weight.
enum ScaleKind: String, Codable {
    /// `X_scale_inv`: DeepSeek block scales `[ceil(N/b0), ceil(K/b1)]`.
    case blockScaleInv = "block"
    /// `X_scale` of shape `[]` or `[1]`.
    case perTensor = "tensor"
    /// `X_scale` of shape `[N, 1]`.
    case perChannel = "channel"
}

/// Scale suffixes, in lookup order: DeepSeek's `_scale_inv`, then the Llama/Qwen `_scale`.
let scaleInvSuffix = "_scale_inv"
let scaleSuffix = "_scale"

/// Is `dtype` an FP8 weight dtype?
func fp8Format(_ dtype: SafeTensorsDType) -> FP8Format? {
    switch dtype {
    case .f8E4M3: return .e4m3
    case .f8E5M2: return .e5m2
    default: return nil
    }
}

/// The scale tensor's values as `Float` (F32, F16, BF16 or F8_E8M0 = 2^(e-127)).
/// - Throws: ``CkptError`` for another dtype, or an E8M0 NaN code (0xFF).
func scaleValues(_ t: SafeTensor, file: String) throws -> [Float] {
    let n = t.elementCount
    return try t.withUnsafeBytes { raw -> [Float] in
        switch t.dtype {
        case .f32:
            return (0..<n).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
        case .bf16:
            return (0..<n).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian) << 16) }
        case .f16:
            return (0..<n).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self).littleEndian)) }
        case .f8E8M0:
            return try (0..<n).map { i -> Float in
                let e = raw[i]
                guard e != 0xFF else { throw CkptError(file: file, tensor: t.name, "E8M0 scale \(i) is NaN (0xFF)") }
                return e == 0 ? Float(bitPattern: 0x0040_0000) : Float(bitPattern: UInt32(e) << 23)
            }
        default:
            throw CkptError(file: file, tensor: t.name, "scale dtype \(t.dtype) is not F32, F16, BF16 or F8_E8M0")
        }
    }
}

/// Progress on stderr: `\r`-updated when stderr is a terminal, otherwise a line every 10 seconds; nothing
/// for work shorter than a second.
public final class ProgressLine {
    private let start = Date()
    private var last = Date.distantPast
    private let tty = isatty(2) != 0
    private var shown = false
    private let label: String
    public var enabled = true

    public init(_ label: String) { self.label = label }

    /// Reports tensor `i` of `n` after `bytes` bytes processed in total.
    public func update(_ i: Int, of n: Int, bytes: Int, name: String) {
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= 1, now.timeIntervalSince(last) >= (tty ? 0.1 : 10) else { return }
        last = now
        let gbs = Double(bytes) / elapsed / 1e9
        let text = String(format: "%@: tensor %d of %d, %.2f GB/s, %@", label, i, n, gbs, name)
        if tty {
            FileHandle.standardError.write(("\r\u{1B}[K" + text).data(using: .utf8)!)
        } else {
            FileHandle.standardError.write((text + "\n").data(using: .utf8)!)
        }
        shown = true
    }

    /// Ends the `\r` line, if one was drawn.
    public func finish() {
        if shown && tty { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }
}

/// Writes a checkpoint directory atomically: everything goes into a hidden temporary sibling of the
/// output, renamed to the output path at the end; on error the temporary directory is removed. The output
/// path must not exist (the tool never overwrites).
func withAtomicDirectory<R>(_ outputPath: String, _ body: (String) throws -> R) throws -> R {
    let fm = FileManager.default
    let output = withDirectory(outputPath)
    guard !fm.fileExists(atPath: output) else { throw CkptError(file: outputPath, "output already exists") }
    guard let slash = output.lastIndex(of: "/"), output[output.index(after: slash)...] != "" else {
        throw CkptError(file: outputPath, "not a usable output path")
    }
    let parent = String(output[..<slash]), base = String(output[output.index(after: slash)...])
    let tmp = parent + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do { try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false) } catch {
        throw CkptError(file: tmp, "cannot create the temporary output directory: \(error.localizedDescription)")
    }
    do {
        let r = try body(tmp)
        guard rename(tmp, output) == 0 else {
            throw CkptError(file: output, "cannot rename \(tmp) to it: \(String(cString: strerror(errno)))")
        }
        return r
    } catch {
        try? fm.removeItem(atPath: tmp)
        throw error
    }
}

/// `path` with a directory part (`x` -> `./x`) and no trailing `/` (Foundation on Linux traps in
/// `deletingLastPathComponent` for a path of one component).
func withDirectory(_ path: String) -> String {
    var p = path
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    return p.contains("/") ? p : "./" + p
}

/// Writes `obj` as pretty-printed JSON with sorted keys.
func writeJSON(_ obj: Any, to path: String) throws {
    let data: Data
    do { data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]) } catch {
        throw CkptError(file: path, "cannot encode JSON: \(error)")
    }
    guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
        throw CkptError(file: path, "cannot write")
    }
}

/// Copies the files of `input` that are not safetensors shards, the index or `config.json` (tokenizer
/// files and so on) into `output`; subdirectories are copied whole, hidden files are skipped.
func copyOtherFiles(from input: String, to output: String) throws {
    let fm = FileManager.default
    let entries: [String]
    do { entries = try fm.contentsOfDirectory(atPath: input) } catch {
        throw CkptError(file: input, "cannot list: \(error.localizedDescription)")
    }
    for e in entries.sorted() where !e.hasPrefix(".") && !e.hasSuffix(".safetensors")
        && e != SafeTensorsCheckpoint.indexFileName && e != "config.json" {
        let src = (input as NSString).appendingPathComponent(e)
        do { try fm.copyItem(atPath: src, toPath: (output as NSString).appendingPathComponent(e)) } catch {
            throw CkptError(file: src, "cannot copy: \(error.localizedDescription)")
        }
    }
}

/// The input as a checkpoint plus the directory its side files live in.
struct OpenedInput {
    var checkpoint: SafeTensorsCheckpoint
    /// The directory with `config.json` and the other files (the file's own directory for a single file).
    var directory: String
    /// True when the input is one `.safetensors` file (the output is then one file too).
    var isFile: Bool
    var config: CheckpointConfig

    init(_ givenPath: String) throws {
        let path = withDirectory(givenPath)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CkptError(file: path, "no such file or directory")
        }
        // Every shard's header is read and checked against the index up front (no tensor data is read).
        do {
            checkpoint = try SafeTensorsCheckpoint(path: path)
            try checkpoint.verify()
        } catch { throw CkptError.wrap(error, file: path, tensor: nil) }
        isFile = !isDir.boolValue && !path.hasSuffix(".json")
        directory = checkpoint.directory
        config = try CheckpointConfig(directory: directory)
    }

    func shardPath(_ shard: String) -> String { (directory as NSString).appendingPathComponent(shard) }

    /// Opens a shard, errors naming it.
    func shard(_ name: String) throws -> SafeTensorsFile {
        do { return try checkpoint.shard(name) } catch { throw CkptError.wrap(error, file: shardPath(name), tensor: nil) }
    }

    /// Looks a tensor up anywhere in the checkpoint, or nil when there is none.
    func lookup(_ name: String) throws -> (tensor: SafeTensor, file: String)? {
        guard let shard = checkpoint.weightMap[name] else { return nil }
        let f = try self.shard(shard)
        guard let t = f[name] else {
            throw CkptError(file: f.path, tensor: name, "listed in the index but not in this shard")
        }
        return (t, f.path)
    }
}
