// SPDX-License-Identifier: Apache-2.0
import Foundation

/// A checkpoint made of one or more safetensors files, looked up by tensor name.
///
/// Opened from:
/// - a directory holding `model.safetensors.index.json` (the Hugging Face sharded layout: a JSON object
///   whose `"weight_map"` maps each tensor name to the shard file holding it; other keys, such as
///   `"metadata": {"total_size": ...}`, are ignored);
/// - such an index file itself;
/// - a directory without an index: every `*.safetensors` file in it except hidden ones (such as macOS's
///   `._*` files or a writer's temporary file); all are opened at once to learn their names, and a name
///   in two files is an error;
/// - a single `.safetensors` file.
///
/// With an index, shards are mapped lazily, on the first lookup of one of their tensors, and stay mapped
/// while the checkpoint lives. Shard names must be plain file names in the index's directory (no `/`, no
/// `..`), so an index cannot point outside its directory. Thread-safe.
public final class SafeTensorsCheckpoint: @unchecked Sendable { // the shard cache is guarded by `lock`
    /// The file name of a sharded checkpoint's index.
    public static let indexFileName = "model.safetensors.index.json"

    /// The directory the shards live in.
    public let directory: String
    /// The index file, or nil when the checkpoint has none.
    public let indexPath: String?
    /// Tensor name -> shard file name (relative to ``directory``).
    public let weightMap: [String: String]
    /// The shard file names, sorted.
    public let shardNames: [String]

    private let lock = NSLock()
    private var open: [String: SafeTensorsFile] = [:]

    /// Opens a checkpoint directory, an index file or a single file (see the type's description).
    /// - Throws: ``SafeTensorsError``: `.invalidIndex`, `.io`, `.duplicateName`, or any error of a shard
    ///   that had to be opened.
    public init(path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw SafeTensorsError.io(file: path, operation: "open", message: "no such file or directory")
        }
        if isDir.boolValue {
            let index = (path as NSString).appendingPathComponent(Self.indexFileName)
            if FileManager.default.fileExists(atPath: index) {
                directory = path
                indexPath = index
                weightMap = try Self.readIndex(index)
            } else {
                directory = path
                indexPath = nil
                let entries: [String]
                do { entries = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                    throw SafeTensorsError.io(file: path, operation: "list directory", message: "\(error)")
                }
                var map: [String: String] = [:]
                for shard in entries.filter({ $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }).sorted() {
                    let f = try SafeTensorsFile(path: (path as NSString).appendingPathComponent(shard))
                    for name in f.names {
                        guard map.updateValue(shard, forKey: name) == nil else {
                            throw SafeTensorsError.duplicateName(file: f.path, tensor: name)
                        }
                    }
                    open[shard] = f
                }
                weightMap = map
            }
        } else if path.hasSuffix(".json") {
            let dir = splitPath(path).directory
            directory = dir.isEmpty ? "." : dir
            indexPath = path
            weightMap = try Self.readIndex(path)
        } else {
            let f = try SafeTensorsFile(path: path)
            let (dir, shard) = splitPath(path)
            directory = dir.isEmpty ? "." : dir
            indexPath = nil
            weightMap = Dictionary(uniqueKeysWithValues: f.names.map { ($0, shard) })
            open[shard] = f
        }
        shardNames = Array(Set(weightMap.values)).sorted()
    }

    /// All tensor names, sorted.
    public var names: [String] { weightMap.keys.sorted() }

    /// The shard `fileName` (a value of ``weightMap``), mapped on first use.
    /// - Throws: ``SafeTensorsError`` of that file.
    public func shard(_ fileName: String) throws -> SafeTensorsFile {
        lock.lock()
        defer { lock.unlock() }
        if let f = open[fileName] { return f }
        let f = try SafeTensorsFile(path: (directory as NSString).appendingPathComponent(fileName))
        open[fileName] = f
        return f
    }

    /// The tensor `name`, from the shard the index names.
    /// - Throws: `.tensorNotFound` (naming the index, or the shard when the shard lacks it), or an error
    ///   of the shard.
    public func tensor(named name: String) throws -> SafeTensor {
        guard let shardName = weightMap[name] else {
            throw SafeTensorsError.tensorNotFound(file: indexPath ?? directory, tensor: name)
        }
        return try shard(shardName).tensor(named: name)
    }

    /// Opens every shard and checks that each holds exactly the tensors the index maps to it.
    /// - Throws: the first shard's error, or `.invalidIndex` naming a tensor the index and a shard
    ///   disagree about.
    public func verify() throws {
        var expected: [String: Set<String>] = [:]
        for (name, shard) in weightMap { expected[shard, default: []].insert(name) }
        for shardName in shardNames {
            let f = try shard(shardName)
            let want = expected[shardName] ?? []
            for name in f.names where !want.contains(name) {
                throw SafeTensorsError.invalidIndex(file: f.path, tensor: name,
                                                    reason: "in this shard but the index maps it elsewhere or not at all")
            }
            for name in want.sorted() where f[name] == nil {
                throw SafeTensorsError.tensorNotFound(file: f.path, tensor: name)
            }
        }
    }

    /// Parses an index: an object with a `weight_map` object of string values, no duplicate names, shard
    /// names that are plain file names. Same size limit as a safetensors header.
    static func readIndex(_ path: String) throws -> [String: String] {
        let storage: ByteStorage
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard data.count <= SafeTensorsFile.maxHeaderLength else {
                throw SafeTensorsError.headerTooLarge(file: path, length: UInt64(data.count), limit: SafeTensorsFile.maxHeaderLength)
            }
            storage = ByteStorage(copying: data)
        } catch let e as SafeTensorsError {
            throw e
        } catch {
            throw SafeTensorsError.io(file: path, operation: "read", message: "\(error)")
        }
        guard HeaderParser.isValidUTF8(storage.buffer) else { throw SafeTensorsError.headerNotUTF8(file: path) }
        let json: JSONValue
        do { json = try StrictJSONParser.parse(storage.buffer) } catch let e as JSONSyntaxError {
            throw SafeTensorsError.invalidIndex(file: path, tensor: nil, reason: "not valid JSON at byte \(e.offset): \(e.reason)")
        }
        guard case let .object(top) = json else {
            throw SafeTensorsError.invalidIndex(file: path, tensor: nil, reason: "not a JSON object")
        }
        let maps = top.filter { $0.key == "weight_map" }
        guard maps.count <= 1 else { throw SafeTensorsError.invalidIndex(file: path, tensor: nil, reason: "two \"weight_map\" keys") }
        guard let wm = maps.first?.value, case let .object(members) = wm else {
            throw SafeTensorsError.invalidIndex(file: path, tensor: nil, reason: "no \"weight_map\" object")
        }
        var map: [String: String] = [:]
        for (name, value) in members {
            guard case let .string(shard) = value else {
                throw SafeTensorsError.invalidIndex(file: path, tensor: name, reason: "shard is \(value.typeName), not a string")
            }
            guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\0") else {
                throw SafeTensorsError.invalidIndex(file: path, tensor: name,
                                                    reason: "shard '\(shard)' is not a file name in the index's directory")
            }
            guard map.updateValue(shard, forKey: name) == nil else {
                throw SafeTensorsError.duplicateName(file: path, tensor: name)
            }
        }
        return map
    }
}
