// SPDX-License-Identifier: Apache-2.0
import FP8
import Foundation
import SafeTensors

/// Why the checkpoint tool refused an input: one message naming the file and, where one is involved, the
/// tensor. The tool prints ``description`` and exits with status 1 (128 + the signal number for an
/// interruption, see ``signal``); no output is left behind.
public struct CkptError: Error, CustomStringConvertible, Equatable {
    /// The file the problem is in (a shard, `config.json`, the index, or the output path).
    public var file: String
    /// The tensor involved, when there is one.
    public var tensor: String?
    /// What is wrong.
    public var message: String
    /// The signal (SIGINT, SIGTERM) that interrupted the work, when that is what stopped it (see
    /// ``Interruption``); nil for a problem with the input.
    public var signal: Int32?

    public init(file: String, tensor: String? = nil, _ message: String, signal: Int32? = nil) {
        self.file = file
        self.tensor = tensor
        self.message = message
        self.signal = signal
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

/// The scale tensor's values as `Float` (F32, F16, BF16 or F8_E8M0 = 2^(e-127)); its mapped pages are
/// released afterwards.
/// - Throws: ``CkptError`` for another dtype, or an E8M0 NaN code (0xFF).
func scaleValues(_ t: SafeTensor, file: String) throws -> [Float] {
    let n = t.elementCount
    defer { t.releasePages(0..<t.byteCount) }
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

/// Progress on stderr: tensor i of n, how far into it, GB/s, and its name. `\r`-updated when stderr is a
/// terminal, otherwise a line every 10 seconds; nothing for work shorter than a second. The conversions
/// update it after every piece of a tensor (a few MB), so it moves inside one huge tensor too.
public final class ProgressLine {
    private let start = Date()
    private var last = Date.distantPast
    private let tty: Bool
    private var shown = false
    private let label: String
    private let delay: TimeInterval
    private let interval: TimeInterval
    private let write: (String) -> Void
    public var enabled = true

    /// - Parameters:
    ///   - label: the first word of each line (the subcommand).
    ///   - delay: nothing is shown before this many seconds have passed (default 1).
    ///   - interval: the least time between two updates (default 0.1 s on a terminal, 10 s otherwise).
    ///   - write: where each update goes, as a whole line without its newline (default: stderr, `\r`-updated
    ///     on a terminal).
    public init(_ label: String, after delay: TimeInterval = 1, every interval: TimeInterval? = nil,
                write: ((String) -> Void)? = nil) {
        self.label = label
        self.delay = delay
        tty = write == nil && isatty(2) != 0
        self.interval = interval ?? (tty ? 0.1 : 10)
        self.write = write ?? { [tty] text in
            FileHandle.standardError.write((tty ? "\r\u{1B}[K" + text : text + "\n").data(using: .utf8)!)
        }
    }

    /// Reports tensor `i` of `n` (1-based), `fraction` of it done when given, after `bytes` bytes processed
    /// in total (GB/s is `bytes` over the time since this line was made).
    public func update(_ i: Int, of n: Int, bytes: Int, name: String, fraction: Double? = nil) {
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= delay, now.timeIntervalSince(last) >= interval else { return }
        last = now
        let gbs = elapsed > 0 ? Double(bytes) / elapsed / 1e9 : 0
        let part = fraction.map { String(format: " (%d%%)", Int(($0 * 100).rounded(.down))) } ?? ""
        write(String(format: "%@: tensor %d of %d%@, %.2f GB/s, %@", label, i, n, part, gbs, name))
        shown = true
    }

    /// Ends the `\r` line, if one was drawn.
    public func finish() {
        if shown && tty { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }
}

/// Writes a checkpoint directory atomically: everything goes into a hidden temporary sibling of the
/// output, `PARENT/.NAME.tmp-PID-RANDOM` for the output `PARENT/NAME` (``temporaryPrefix(of:)``), renamed to
/// the output path at the end; on error (an interruption included) the temporary directory is removed. The
/// output path must not exist (the tool never overwrites).
func withAtomicDirectory<R>(_ outputPath: String, _ body: (String) throws -> R) throws -> R {
    let fm = FileManager.default
    let output = withDirectory(outputPath)
    guard !fm.fileExists(atPath: output) else { throw CkptError(file: outputPath, "output already exists") }
    guard let (parent, prefix) = temporaryPrefix(of: output) else {
        throw CkptError(file: outputPath, "not a usable output path")
    }
    let tmp = (parent == "/" ? "" : parent) + "/" + prefix + "\(UInt32.random(in: 0...UInt32.max))"
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

/// Where the temporaries of `output` live: its parent directory, and the name prefix `.NAME.tmp-PID-`
/// (NAME the last component of `output`, PID this process's id) shared by the hidden temporary directory
/// of ``withAtomicDirectory(_:_:)`` and the temporary file `SafeTensorsWriter` writes for a single-file
/// output; a random number follows the prefix. Nil for a path without a last component.
func temporaryPrefix(of output: String) -> (parent: String, prefix: String)? {
    let p = withDirectory(output)
    guard let slash = p.lastIndex(of: "/"), p[p.index(after: slash)...] != "" else { return nil }
    let parent = slash == p.startIndex ? "/" : String(p[..<slash])
    return (parent, ".\(p[p.index(after: slash)...]).tmp-\(getpid())-")
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

// MARK: - Interruption

/// Cooperative interruption of a conversion. ``installInterruptHandlers(grace:)`` (the `fp8-ckpt`
/// executable calls it) turns SIGINT and SIGTERM into ``request(_:)``; `dequantize` and `quantize` check
/// before each tensor and after each piece of one (a few MB), and unwind through their error path, which
/// removes the temporary output: the error is a ``CkptError`` with ``CkptError/signal`` set, and the tool
/// exits with status 128 + the signal number (130 for SIGINT, 143 for SIGTERM). SIGKILL cannot be caught:
/// a killed run leaves nothing at the output path, only its hidden temporary (see
/// ``temporaryPrefix(of:)``: `PARENT/.NAME.tmp-PID-RANDOM`, a directory for a checkpoint directory, a file
/// for a single `.safetensors` output).
public enum Interruption {
    private static let lock = NSLock()
    private static var received: Int32 = 0
    private static var outputs: [String] = []
    private static var sources: [DispatchSourceSignal] = []

    /// The signal received, or 0 when none has been.
    public static var pendingSignal: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Records signal `sig` (the first one received is kept). Returns true the first time.
    @discardableResult
    public static func request(_ sig: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard received == 0 else { return false }
        received = sig
        return true
    }

    /// Forgets a received signal (for tests driving the library in-process).
    public static func reset() {
        lock.lock()
        received = 0
        lock.unlock()
    }

    /// Throws the interruption error when a signal has been received.
    static func check(file: String, tensor: String?) throws {
        let sig = pendingSignal
        guard sig != 0 else { return }
        throw CkptError(file: file, tensor: tensor, "interrupted by \(signalName(sig)); the temporary output was removed",
                        signal: sig)
    }

    /// Registers an output path whose temporaries ``forceExit(_:)`` removes (while it is being written).
    static func writing(_ output: String) {
        lock.lock()
        outputs.append(output)
        lock.unlock()
    }

    static func done(_ output: String) {
        lock.lock()
        if let i = outputs.lastIndex(of: output) { outputs.remove(at: i) }
        lock.unlock()
    }

    static func keep(_ source: DispatchSourceSignal) {
        lock.lock()
        sources.append(source)
        lock.unlock()
    }

    /// The last resort when the work does not unwind in time (or on a second signal): removes every
    /// temporary of the outputs being written (``temporaryPrefix(of:)``, this process's PID) and exits
    /// with status 128 + `sig` at once.
    static func forceExit(_ sig: Int32) -> Never {
        lock.lock()
        let paths = outputs
        lock.unlock()
        let fm = FileManager.default
        for output in paths {
            guard let (parent, prefix) = temporaryPrefix(of: output),
                  let entries = try? fm.contentsOfDirectory(atPath: parent) else { continue }
            for e in entries where e.hasPrefix(prefix) { try? fm.removeItem(atPath: parent + "/" + e) }
        }
        FileHandle.standardError.write("fp8-ckpt: \(signalName(sig)): stopped; temporary output removed\n".data(using: .utf8)!)
        _exit(128 + sig)
    }

    static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(sig)"
        }
    }
}

/// Makes SIGINT and SIGTERM interrupt a conversion cleanly (see ``Interruption``): the first signal asks
/// the work to stop at its next check; if it has not exited `grace` seconds later, or on a second signal,
/// the temporaries are removed and the process exits with 128 + the signal number.
public func installInterruptHandlers(grace: TimeInterval = 10) {
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN) // delivered to the dispatch source instead
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { // the source lives as long as the process (Interruption.keep)
            // `data` counts the signals since the last call: two quick ones arrive as one event.
            if Interruption.request(sig) && source.data < 2 {
                DispatchQueue.global().asyncAfter(deadline: .now() + grace) { Interruption.forceExit(sig) }
            } else {
                Interruption.forceExit(sig)
            }
        }
        source.resume()
        Interruption.keep(source)
    }
}

// MARK: - Streaming in pieces

/// Elements per piece of a conversion (4 Mi): what one step holds in memory besides the tensor's
/// mapped bytes, and how often progress is shown and an interruption noticed inside a large tensor.
let pieceElements = 1 << 22

/// Calls `body(firstRow, rowCount)` over the rows of a `[rows, cols]` tensor in pieces of about
/// ``pieceElements`` elements, each starting at a multiple of `align` rows (a scale block's height, so
/// that every piece holds whole blocks; `align >= rows` means one piece).
func forEachPiece(rows: Int, cols: Int, align: Int, _ body: (_ row: Int, _ count: Int) throws -> Void) rethrows {
    let a = max(1, min(align, rows))
    let per = max(a, pieceElements / max(cols, 1) / a * a)
    var r = 0
    while r < rows {
        let n = min(per, rows - r)
        try body(r, n)
        r += n
    }
}

/// Counts tensors and bytes for the progress line, and checks for an interruption at each step.
final class WorkProgress {
    private let line: ProgressLine?
    private let total: Int
    private var index = 0
    private var tensor = ""
    private var file = ""
    /// Bytes processed so far (the GB/s figure).
    private(set) var bytes = 0

    init(_ line: ProgressLine?, total: Int) {
        self.line = line
        self.total = total
    }

    /// Starts the next tensor.
    func begin(_ name: String, file: String) throws {
        index += 1
        tensor = name
        self.file = file
        try Interruption.check(file: file, tensor: name)
        line?.update(index, of: total, bytes: bytes, name: name, fraction: 0)
    }

    /// `n` more bytes of the current tensor are done, `fraction` of it in all.
    func advance(_ n: Int, _ fraction: Double) throws {
        bytes += n
        line?.update(index, of: total, bytes: bytes, name: tensor, fraction: fraction)
        try Interruption.check(file: file, tensor: tensor)
    }

    func finish() { line?.finish() }
}

/// Bytes per piece of a plain copy.
let copyPieceBytes = 16 << 20

/// Calls `body` with the bytes of `t` in pieces of `size` bytes, in order; after each piece, releases its
/// mapped pages and calls `advance(its byte count, the fraction of `t` done)`.
func forEachBytePiece(of t: SafeTensor, size: Int, advance: (Int, Double) throws -> Void,
                      _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    try t.withUnsafeBytes { raw in
        var at = 0
        while at < raw.count {
            let n = min(size, raw.count - at)
            try body(UnsafeRawBufferPointer(rebasing: raw[at..<(at + n)]))
            t.releasePages(at..<(at + n))
            at += n
            try advance(n, Double(at) / Double(raw.count))
        }
    }
}

/// A source that copies `t` (of the shard `file`) byte for byte, in pieces: progress and interruption
/// checks after each, and each piece's mapped pages released once written. `done` runs at the end.
func copySource(_ t: SafeTensor, file: String, progress: WorkProgress, done: @escaping () -> Void) -> SafeTensorsSource {
    SafeTensorsSource(name: t.name, dtype: t.dtype, shape: t.shape) { sink in
        try progress.begin(t.name, file: file)
        try forEachBytePiece(of: t, size: copyPieceBytes, advance: progress.advance) { try sink.write($0) }
        done()
    }
}

// MARK: - Output

/// One output shard: its file name, `__metadata__`, and its tensors.
struct OutputShard {
    var name: String
    var metadata: [String: String]?
    var sources: [SafeTensorsSource]
}

/// Refuses an output path that exists, or that lies inside the input directory (the output would be
/// read as part of the input, or copied into itself).
func checkOutput(_ output: String, input: OpenedInput) throws {
    let out = withDirectory(output)
    guard !FileManager.default.fileExists(atPath: out) else { throw CkptError(file: output, "output already exists") }
    guard !input.isFile, let (parent, _) = temporaryPrefix(of: out) else { return }
    // Resolve symbolic links (and `..`) of both: the output's parent exists or the write fails anyway.
    func real(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
    guard let inDir = real(input.directory), let outParent = real(parent) else { return }
    if outParent == inDir || outParent.hasPrefix(inDir == "/" ? "/" : inDir + "/") {
        throw CkptError(file: output, "the output is inside the input directory \(input.directory)")
    }
}

/// Writes the converted checkpoint: for a single-file input, `shards[0]` as the file `output`; for a
/// directory, atomically (``withAtomicDirectory(_:_:)``): each shard under its name, the index when the
/// input has one (`weight_map` listing every output tensor, `metadata.total_size` their bytes, other keys
/// kept), `config` as `config.json` when not nil, and the other files (``copyOtherFiles(from:to:)``).
/// `producingInGivenOrder` is passed to `SafeTensorsWriter.write`. A single-file output goes through the
/// writer's own temporary file (same name pattern, see ``temporaryPrefix(of:)``).
func writeOutput(_ input: OpenedInput, _ shards: [OutputShard], to output: String, config: [String: Any]?,
                 producingInGivenOrder: Bool = false) throws {
    try checkOutput(output, input: input)
    Interruption.writing(output)
    defer { Interruption.done(output) }
    func write(_ shard: OutputShard, to path: String) throws {
        do {
            try SafeTensorsWriter.write(shard.sources, metadata: shard.metadata, to: path,
                                        producingInGivenOrder: producingInGivenOrder)
        } catch { throw CkptError.wrap(error, file: path, tensor: nil) }
    }
    if input.isFile {
        try write(shards[0], to: withDirectory(output))
        return
    }
    try withAtomicDirectory(output) { tmp in
        for shard in shards { try write(shard, to: tmp + "/" + shard.name) }
        if let indexPath = input.checkpoint.indexPath {
            var obj = ((try? JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: indexPath) ?? Data()))
                as? [String: Any]) ?? [:]
            var map: [String: String] = [:], total = 0
            for shard in shards {
                for t in shard.sources {
                    map[t.name] = shard.name
                    total += t.dtype.byteCount(elementCount: t.shape.reduce(1, *)) ?? 0 // the writer checked it
                }
            }
            var meta = (obj["metadata"] as? [String: Any]) ?? [:]
            meta["total_size"] = total
            obj["metadata"] = meta
            obj["weight_map"] = map
            try writeJSON(obj, to: tmp + "/" + SafeTensorsCheckpoint.indexFileName)
        }
        if let config { try writeJSON(config, to: tmp + "/config.json") }
        try copyOtherFiles(from: input.directory, to: tmp)
    }
}

/// Checks that every scale is finite and positive (a zero, negative, infinite or NaN scale cannot have
/// come from quantization, and would turn every value of its block into 0, NaN or infinity).
func checkScales(_ scales: [Float], name: String, file: String) throws {
    if let i = scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
        throw CkptError(file: file, tensor: name, "scale \(i) is \(scales[i]); scales must be finite and positive")
    }
}
