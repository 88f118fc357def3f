// SPDX-License-Identifier: Apache-2.0
import CkptTool
import Dispatch
import FP8
import Foundation
// SafeTensors is a dependency of CkptTool; the bench uses its writer to build the synthetic checkpoint.
import SafeTensors

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checkpoint tool on a synthetic DeepSeek-V3-style FP8 checkpoint (issue 12, "Bench"): `dequantize`
/// (in process, the same function `fp8-ckpt dequantize` runs, progress off) to BF16 with the default
/// thread count and with 1 thread, and to F32, beside `/bin/cp -r` of the same directory in the same run.
///
/// The checkpoint (at least 1 GB of shards; about 256 MB with --quick) is written to a fresh directory
/// under `TMPDIR`, flushed, and read once so that it is page-cached; the operations then run in
/// alternating rounds (the order reversed every round), each output removed (and `sync`ed away) before
/// the next operation. The directory is removed at the end, on error, and on SIGINT/SIGTERM/SIGHUP.
///
/// The tool's writer `fsync`s every shard before renaming it into place (atomic, durable output), while
/// `cp` leaves its output in the page cache; so the table also gives `cp` followed by an `fsync` of each
/// copied file (and the directory), timed in the same repetition.
func runCkptBench(_ o: Options, records: inout [Record]) {
    let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array((trimmingTrailingSlashes(base) + "/fp8-bench-ckpt-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        print("\n## Checkpoint tool: skipped (cannot create a temporary directory under \(base): \(String(cString: strerror(errno))))")
        return
    }
    let root = String(cString: made)
    let cleanup = TemporaryDirectoryGuard(root)
    defer { cleanup.remove() }
    do {
        try ckptBench(o, root: root, records: &records)
    } catch {
        print("\n## Checkpoint tool: FAILED: \(error)")
        fputs("bench: ckpt section failed: \(error)\n", stderr)
    }
}

/// Removes a directory tree when asked, and also when the process gets SIGINT, SIGTERM or SIGHUP while
/// the guard is alive (the handler runs on a dispatch queue, not in signal context; a signal that was
/// ignored before stays ignored). The handlers are restored when the directory is removed.
private final class TemporaryDirectoryGuard {
    let path: String
    private var sources: [DispatchSourceSignal] = []
    private var previous: [(Int32, sighandler_t?)] = []
    private var removed = false
    private let lock = NSLock()

    init(_ path: String) {
        self.path = path
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // Ignored, so that only the dispatch source sees it; left alone when it was ignored already (nohup).
            let old = signal(sig, SIG_IGN)
            previous.append((sig, old))
            if unsafeBitCast(old, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in
                self?.remove()
                fputs("bench: interrupted; removed \(path)\n", stderr)
                exit(128 + sig)
            }
            s.resume()
            sources.append(s)
        }
    }

    func remove() {
        lock.lock()
        defer { lock.unlock() }
        guard !removed else { return }
        removed = true
        try? FileManager.default.removeItem(atPath: path)
        for s in sources { s.cancel() }
        for (sig, handler) in previous { signal(sig, handler) } // as they were before the section
    }
}

private struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// `path` without trailing `/`.
private func trimmingTrailingSlashes(_ path: String) -> String {
    var p = path
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    return p
}

// MARK: - The synthetic checkpoint

/// One tensor of the synthetic checkpoint.
private struct SyntheticTensor {
    var name: String
    var dtype: SafeTensorsDType
    var shape: [Int]
    var elements: Int { shape.reduce(1, *) }
    var bytes: Int { elements * dtype.bitWidth / 8 }
}

/// DeepSeek-V3's tensor names and shapes (hidden size 7168, MLA attention, MoE layers with 2048-wide
/// experts, a BF16 router), with fewer layers and experts and a smaller vocabulary. Each FP8 weight
/// `[N, K]` gets its F32 `weight_scale_inv` `[ceil(N/128), ceil(K/128)]`; norms, router, embeddings and
/// the head are BF16 (the router's bias F32), as in the real checkpoint.
private func deepSeekLikeTensors(layers: Int, experts: Int, vocab: Int) -> [SyntheticTensor] {
    let h = 7168
    var out: [SyntheticTensor] = [SyntheticTensor(name: "model.embed_tokens.weight", dtype: .bf16, shape: [vocab, h])]
    func fp8(_ name: String, _ n: Int, _ k: Int) {
        out.append(SyntheticTensor(name: name, dtype: .f8E4M3, shape: [n, k]))
        out.append(SyntheticTensor(name: name + "_scale_inv", dtype: .f32, shape: [(n + 127) / 128, (k + 127) / 128]))
    }
    for l in 0..<layers {
        let p = "model.layers.\(l)."
        out.append(SyntheticTensor(name: p + "input_layernorm.weight", dtype: .bf16, shape: [h]))
        out.append(SyntheticTensor(name: p + "post_attention_layernorm.weight", dtype: .bf16, shape: [h]))
        fp8(p + "self_attn.q_a_proj.weight", 1536, h)
        out.append(SyntheticTensor(name: p + "self_attn.q_a_layernorm.weight", dtype: .bf16, shape: [1536]))
        fp8(p + "self_attn.q_b_proj.weight", 24576, 1536)
        fp8(p + "self_attn.kv_a_proj_with_mqa.weight", 576, h) // 576 = 4.5 blocks: a partial block row
        out.append(SyntheticTensor(name: p + "self_attn.kv_a_layernorm.weight", dtype: .bf16, shape: [512]))
        fp8(p + "self_attn.kv_b_proj.weight", 32768, 512)
        fp8(p + "self_attn.o_proj.weight", h, 16384)
        out.append(SyntheticTensor(name: p + "mlp.gate.weight", dtype: .bf16, shape: [256, h]))
        out.append(SyntheticTensor(name: p + "mlp.gate.e_score_correction_bias", dtype: .f32, shape: [256]))
        for e in (0..<experts).map({ "mlp.experts.\($0)." }) + ["mlp.shared_experts."] {
            fp8(p + e + "gate_proj.weight", 2048, h)
            fp8(p + e + "up_proj.weight", 2048, h)
            fp8(p + e + "down_proj.weight", h, 2048)
        }
    }
    out.append(SyntheticTensor(name: "model.norm.weight", dtype: .bf16, shape: [h]))
    out.append(SyntheticTensor(name: "lm_head.weight", dtype: .bf16, shape: [vocab, h]))
    return out
}

/// SplitMix64 words, whose bytes become E4M3 codes: every byte whose low 7 bits are all ones (the NaN
/// codes 0x7F and 0xFF) loses its lowest bit (becoming +-448, 0x7E/0xFE), branch-free on 8 bytes at once.
private func fillRandomBytes(_ buffer: UnsafeMutableRawBufferPointer, state: inout UInt64, finiteE4M3: Bool) {
    let words = buffer.count / 8
    let p = buffer.baseAddress!
    for i in 0..<words {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        if finiteE4M3 {
            let t = (z & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x0101_0101_0101_0101 // bit 7 set exactly where low 7 bits = 0x7F
            z ^= (t & 0x8080_8080_8080_8080) >> 7
        }
        p.storeBytes(of: z, toByteOffset: 8 * i, as: UInt64.self)
    }
    for i in (8 * words)..<buffer.count { buffer[i] = finiteE4M3 ? 0x38 : 0 } // (tensor sizes are multiples of 8)
}

/// The bytes of one synthetic tensor, streamed in 4 MiB pieces: random finite E4M3 codes; block scales
/// 2^-12..2^-8 (positive, as amax/448 of weights of a few hundredths would be); BF16 norms near 1 and
/// BF16 embeddings/router uniform in +-1/32; the F32 bias near 0.
private func tensorSource(_ t: SyntheticTensor, seed: UInt64) -> SafeTensorsSource {
    SafeTensorsSource(name: t.name, dtype: t.dtype, shape: t.shape, stream: { sink in
        var state = seed
        let chunk = 4 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buf.deallocate() }
        var left = t.bytes
        while left > 0 {
            let n = min(chunk, left)
            let piece = UnsafeMutableRawBufferPointer(rebasing: buf[0..<n])
            switch t.dtype {
            case .f8E4M3:
                fillRandomBytes(piece, state: &state, finiteE4M3: true)
            case .f32:
                fillRandomBytes(piece, state: &state, finiteE4M3: false)
                let isScale = t.name.hasSuffix("_scale_inv")
                for i in 0..<(n / 4) {
                    let r = piece.load(fromByteOffset: 4 * i, as: UInt32.self)
                    let u = Float(r >> 8) * 0x1p-24 // [0, 1)
                    let v: Float = isScale ? Float(sign: .plus, exponent: -12 + Int(r & 3), significand: 1 + u) : (u - 0.5) * 1e-3
                    piece.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            default: // BF16
                fillRandomBytes(piece, state: &state, finiteE4M3: false)
                let isNorm = t.shape.count == 1
                for i in 0..<(n / 2) {
                    let r = piece.load(fromByteOffset: 2 * i, as: UInt16.self)
                    let u = Float(r) * 0x1p-16 // [0, 1)
                    let v: Float = isNorm ? 0.9 + 0.2 * u : (u - 0.5) * 0x1p-4
                    piece.storeBytes(of: UInt16(truncatingIfNeeded: v.bitPattern >> 16).littleEndian, toByteOffset: 2 * i,
                                     as: UInt16.self)
                }
            }
            try sink.write(UnsafeRawBufferPointer(piece))
            left -= n
        }
    })
}

/// What `buildCheckpoint` made.
private struct SyntheticCheckpoint {
    var path: String
    var shards: Int
    var tensors: [SyntheticTensor]
    var fp8Count: Int { tensors.filter { $0.dtype == .f8E4M3 }.count }
    var scaleCount: Int { tensors.filter { $0.name.hasSuffix("_scale_inv") }.count }
    var otherCount: Int { tensors.count - fp8Count - scaleCount }
    var fp8Bytes: Int { tensors.filter { $0.dtype == .f8E4M3 }.reduce(0) { $0 + $1.bytes } }
    /// Bytes of tensor data the BF16 / F32 output holds (FP8 at 2 / 4 bytes, scales dropped, the rest copied).
    func outputTensorBytes(bytesPerElement: Int) -> Int {
        tensors.reduce(0) { sum, t in
            t.dtype == .f8E4M3 ? sum + t.elements * bytesPerElement : t.name.hasSuffix("_scale_inv") ? sum : sum + t.bytes
        }
    }
}

/// Writes the checkpoint directory: shards of about `shardBytes` named like DeepSeek's
/// (`model-0000i-of-0000n.safetensors`), `model.safetensors.index.json`, and a `config.json` with
/// DeepSeek-V3's `quantization_config` (block size 128x128).
private func buildCheckpoint(at dir: String, layers: Int, experts: Int, vocab: Int, shardBytes: Int) throws -> SyntheticCheckpoint {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    let tensors = deepSeekLikeTensors(layers: layers, experts: experts, vocab: vocab)
    // Shards: tensors in order, a new shard once the current one holds shardBytes (a weight and its scale
    // stay together).
    var groups: [[SyntheticTensor]] = [[]]
    var size = 0
    for t in tensors {
        if size >= shardBytes && !t.name.hasSuffix("_scale_inv") { groups.append([]); size = 0 }
        groups[groups.count - 1].append(t)
        size += t.bytes
    }
    var weightMap: [String: String] = [:]
    var seed: UInt64 = 0x5EED_C4B7
    for (i, g) in groups.enumerated() {
        let name = "model-\(String(i + 1).leftPadded(5).replacingOccurrences(of: " ", with: "0"))-of-"
            + "\(String(groups.count).leftPadded(5).replacingOccurrences(of: " ", with: "0")).safetensors"
        progress("writing \(name) (\(g.count) tensors, \(fmt(Double(g.reduce(0) { $0 + $1.bytes }) / 1e9, 2)) GB)")
        var sources: [SafeTensorsSource] = []
        for t in g {
            seed &+= 0x1234_5678_9ABC_DEF1
            sources.append(tensorSource(t, seed: seed))
            weightMap[t.name] = name
        }
        try SafeTensorsWriter.write(sources, metadata: ["format": "pt"], to: dir + "/" + name)
    }
    let index: [String: Any] = ["metadata": ["total_size": tensors.reduce(0) { $0 + $1.bytes }], "weight_map": weightMap]
    let config: [String: Any] = [
        "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "hidden_size": 7168,
        "intermediate_size": 18432, "moe_intermediate_size": 2048, "num_hidden_layers": layers,
        "n_routed_experts": experts, "n_shared_experts": 1, "q_lora_rank": 1536, "kv_lora_rank": 512,
        "vocab_size": vocab, "torch_dtype": "bfloat16",
        "quantization_config": ["activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                                "weight_block_size": [128, 128]] as [String: Any],
    ]
    for (file, obj) in [(SafeTensorsCheckpoint.indexFileName, index as Any), ("config.json", config as Any)] {
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        guard FileManager.default.createFile(atPath: dir + "/" + file, contents: data) else {
            throw BenchError("cannot write \(dir)/\(file)")
        }
    }
    // A side file the tool copies as is (as it copies a tokenizer).
    guard FileManager.default.createFile(atPath: dir + "/generation_config.json",
                                         contents: Data("{\"bos_token_id\": 0, \"eos_token_id\": 1}\n".utf8)) else {
        throw BenchError("cannot write \(dir)/generation_config.json")
    }
    return SyntheticCheckpoint(path: dir, shards: groups.count, tensors: tensors)
}

// MARK: - File helpers

/// The regular files under `dir`, recursively (paths).
private func filesUnder(_ dir: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let rel = e.nextObject() as? String {
        let p = dir + "/" + rel
        var st = stat()
        if stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { out.append(p) }
    }
    return out.sorted()
}

/// The total size of the regular files under `dir`, in bytes.
private func bytesUnder(_ dir: String) -> Int {
    filesUnder(dir).reduce(0) { sum, p in
        var st = stat()
        return stat(p, &st) == 0 ? sum + Int(st.st_size) : sum
    }
}

/// Reads every file under `dir` once (so that it is in the page cache).
private func readAll(_ dir: String) throws {
    let buf = UnsafeMutableRawPointer.allocate(byteCount: 8 << 20, alignment: 64)
    defer { buf.deallocate() }
    for p in filesUnder(dir) {
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError("cannot open \(p): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while true {
            let n = read(fd, buf, 8 << 20)
            if n < 0 { throw BenchError("cannot read \(p): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            blackHole(UInt64(buf.load(as: UInt8.self)))
        }
    }
}

/// `fsync`s every file under `dir`, and `dir` itself (what the tool's writer does for its output).
private func fsyncAll(_ dir: String) throws {
    for p in filesUnder(dir) + [dir] {
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError("cannot open \(p): \(String(cString: strerror(errno)))") }
        let r = fsync(fd)
        close(fd)
        guard r == 0 || p == dir else { throw BenchError("fsync \(p): \(String(cString: strerror(errno)))") }
    }
}

/// Removes `path` (if present) and lets the file system settle, so that the next timed operation starts
/// from the same state: no output on disk, no dirty pages of an earlier one. The page cache keeps the input.
private func removeOutput(_ path: String) throws {
    if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    sync()
}

/// The file system type of the mount holding `path` (Linux: from /proc/mounts), or "unknown".
private func fileSystemType(of path: String) -> String {
    guard let text = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "unknown" }
    var best = (len: -1, type: "unknown")
    for line in text.split(separator: "\n") {
        let f = line.split(separator: " ")
        guard f.count >= 3 else { continue }
        let mp = String(f[1])
        if (path == mp || path.hasPrefix(mp.hasSuffix("/") ? mp : mp + "/")) && mp.count > best.len {
            best = (mp.count, String(f[2]) + " (" + String(f[0]) + " on " + mp + ")")
        }
    }
    return best.type
}

// MARK: - The section

private func ckptBench(_ o: Options, root: String, records: inout [Record]) throws {
    let input = root + "/in"
    // Full: 3 MoE layers with 2 routed experts + 1 shared, 4096-token vocabulary -> about 1.1 GB.
    // Quick: 1 layer, shared expert only, 1024 tokens -> about 0.26 GB.
    let (layers, experts, vocab, shardBytes) = o.quick ? (1, 0, 1024, 80_000_000) : (3, 2, 4096, 300_000_000)
    let genStart = now()
    let ckpt = try buildCheckpoint(at: input, layers: layers, experts: experts, vocab: vocab, shardBytes: shardBytes)
    sync() // the input's own writeback must not overlap the timed runs
    try readAll(input)
    progress("checkpoint written, flushed and read once in \(fmt(now() - genStart, 1)) s")
    let inBytes = bytesUnder(input)

    let allThreads = FP8Runtime.threadCount
    defer { FP8Runtime.threadCount = 0 }
    var st = statvfs()
    let free = statvfs(root, &st) == 0 ? Double(st.f_bavail) * Double(st.f_frsize) / 1e9 : .nan
    print("\n## Checkpoint tool: dequantize a synthetic DeepSeek-V3-style FP8 checkpoint beside cp of the same files\(debugBuildWarning)\n")
    print("- input: \(fmt(Double(inBytes) / 1e9, 2)) GB in \(ckpt.shards) shards + index + config.json"
          + (o.quick ? " (--quick: smaller than the full run's 1.1 GB, which is the figure to quote)" : ""))
    print("- tensors: \(ckpt.fp8Count) F8_E4M3 weights (\(fmt(Double(ckpt.fp8Bytes) / 1e9, 2)) GB; DeepSeek-V3 shapes, e.g. 2048x7168, "
          + "7168x2048, 7168x16384, 576x7168) with F32 weight_scale_inv [ceil(N/128), ceil(K/128)], "
          + "\(ckpt.otherCount) BF16/F32 tensors copied as is (embeddings, head, norms, router); "
          + "\(layers) layer(s), \(experts) routed + 1 shared expert each")
    print("- directory: \(root) on \(fileSystemType(of: root)), \(fmt(free, 1)) GB free; the input is page-cached "
          + "(read once after writing), each output removed and sync'ed away before the next operation")
    print("- dequantize: CkptTool.dequantize in process (what `fp8-ckpt dequantize IN OUT` runs), progress off; "
          + "its writer fsyncs every shard (atomic output), so its time includes the device writes; "
          + "`cp -r` does not, hence the cp + fsync row (the same copy, then fsync of each file)")

    // The operations, each writing `root/out`.
    let output = root + "/out"
    struct Op { var label: String; var threads: Int; var dtype: OutputDType?; var times: [Double] = []; var syncTimes: [Double] = [] }
    var ops: [Op] = [Op(label: "cp -r", threads: 1, dtype: nil)]
    ops.append(Op(label: "dequantize -> BF16", threads: allThreads, dtype: .bf16))
    if allThreads != 1 { ops.append(Op(label: "dequantize -> BF16", threads: 1, dtype: .bf16)) }
    ops.append(Op(label: "dequantize -> F32", threads: allThreads, dtype: .f32))
    var outBytes = [Int](repeating: 0, count: ops.count)

    let rounds = o.quick ? 1 : 3
    try removeOutput(output)
    for round in 0..<rounds {
        for i in (round % 2 == 0 ? Array(ops.indices) : ops.indices.reversed()) {
            progress("round \(round + 1) of \(rounds): \(ops[i].label), \(ops[i].threads) thread(s)")
            if let dtype = ops[i].dtype {
                FP8Runtime.threadCount = ops[i].threads
                let t0 = now()
                let summary = try CkptTool.dequantize(input: input, output: output, dtype: dtype, progress: nil)
                ops[i].times.append(now() - t0)
                let bpe = dtype == .f32 ? 4 : 2
                guard summary.dequantized == ckpt.fp8Count, summary.dropped == ckpt.scaleCount,
                      summary.copied == ckpt.otherCount, summary.bytes == ckpt.outputTensorBytes(bytesPerElement: bpe)
                else { throw BenchError("dequantize did not do what was expected: \(summary)") }
            } else {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/cp")
                p.arguments = ["-r", input, output]
                let t0 = now()
                try p.run()
                p.waitUntilExit()
                let t1 = now()
                guard p.terminationStatus == 0 else { throw BenchError("/bin/cp -r exited with status \(p.terminationStatus)") }
                try fsyncAll(output)
                ops[i].times.append(t1 - t0)
                ops[i].syncTimes.append(now() - t0)
            }
            outBytes[i] = bytesUnder(output)
            try removeOutput(output)
        }
    }
    FP8Runtime.threadCount = 0

    func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    let cpBest = ops[0].times.min() ?? .nan, cpSyncBest = ops[0].syncTimes.min() ?? .nan
    var table = Table("Checkpoint: \(fmt(Double(inBytes) / 1e9, 2)) GB page-cached input, best of \(rounds) alternating "
                      + "round(s) (seconds; GB/s = input bytes read or output bytes written per second)",
                      ["operation", "threads", "in GB", "out GB", "best s", "median s", "read GB/s", "written GB/s",
                       "time / cp", "time / (cp + fsync)"])
    func addRow(_ label: String, threads: Int, out: Int, times: [Double], record: String, dtype: String) {
        let best = times.min() ?? .nan
        table.add([label, "\(threads)", fmt(Double(inBytes) / 1e9, 2), fmt(Double(out) / 1e9, 2), fmt(best, 2),
                   fmt(median(times), 2), fmt(Double(inBytes) / best / 1e9, 2), fmt(Double(out) / best / 1e9, 2),
                   fmt(best / cpBest, 2), fmt(best / cpSyncBest, 2)])
        var r = Record()
        r.add("section", "ckpt"); r.add("operation", record); r.add("dtype", dtype); r.add("threads", threads)
        r.add("input_bytes", inBytes); r.add("output_bytes", out); r.add("rounds", rounds); r.add("quick", o.quick ? 1 : 0)
        r.add("best_s", best); r.add("median_s", median(times))
        r.add("read_gb_per_s", Double(inBytes) / best / 1e9); r.add("written_gb_per_s", Double(out) / best / 1e9)
        r.add("ratio_to_cp", best / cpBest); r.add("ratio_to_cp_fsync", best / cpSyncBest)
        records.append(r)
    }
    addRow("cp -r", threads: 1, out: outBytes[0], times: ops[0].times, record: "cp", dtype: "")
    addRow("cp -r + fsync", threads: 1, out: outBytes[0], times: ops[0].syncTimes, record: "cp_fsync", dtype: "")
    for (i, op) in ops.enumerated().dropFirst() {
        addRow(op.label, threads: op.threads, out: outBytes[i], times: op.times, record: "dequantize",
               dtype: op.dtype!.rawValue)
    }
    table.print()
}
