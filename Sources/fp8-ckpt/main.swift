// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import CkptTool
import FP8
import Foundation

/// `fp8-ckpt`: inspect, dequantize and quantize FP8 safetensors checkpoints on a CPU.
struct FP8Ckpt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fp8-ckpt",
        abstract: "Inspect and convert FP8 safetensors checkpoints (DeepSeek-V3/R1 block scales, Llama/Qwen FP8).",
        discussion: """
        Examples:
          fp8-ckpt inspect DeepSeek-V3/
          fp8-ckpt dequantize DeepSeek-V3/ DeepSeek-V3-bf16/ --dtype bf16
          fp8-ckpt quantize Llama-3.2-1B/ Llama-3.2-1B-FP8/ --block 128x128 --scale-rule amax

        Errors in the input name the file and the tensor, exit with status 1 and leave no output. \
        Output is written to a hidden temporary beside OUT (.OUT.tmp-PID-RANDOM in OUT's directory) and \
        renamed to OUT at the end; SIGINT or SIGTERM removes it and exits with status 130 or 143.
        """,
        subcommands: [Inspect.self, Dequantize.self, Quantize.self]
    )
}

/// Runs `body`, turning a CkptError into one line on stderr and exit status 1, or 128 + the signal number
/// when SIGINT or SIGTERM interrupted it (the temporary output is removed by then).
func runReporting(_ body: () throws -> Void) throws {
    installInterruptHandlers()
    do { try body() } catch let e as CkptError {
        FileHandle.standardError.write("fp8-ckpt: \(e.signal == nil ? "error: " : "")\(e)\n".data(using: .utf8)!)
        throw ExitCode(e.signal.map { 128 + $0 } ?? 1)
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every tensor: name, dtype, shape, bytes; FP8 code and scale statistics.",
        discussion: """
        For each FP8 tensor: NaN and Inf codes, codes at +-max finite, the zero fraction, the range of its \
        X_scale_inv / X_scale tensor, and whether that scale's shape fits the block size of config.json \
        quantization_config.weight_block_size (128x128 when absent).

        Examples:
          fp8-ckpt inspect DeepSeek-V3/
          fp8-ckpt inspect model.safetensors --json > report.json
        """)

    @Argument(help: "A checkpoint directory, its model.safetensors.index.json, or one .safetensors file.")
    var path: String

    @Flag(help: "Print JSON instead of one line per tensor.")
    var json = false

    func run() throws {
        try runReporting {
            let r = try CkptTool.inspect(path: path, progress: ProgressLine("inspect"))
            FileHandle.standardOutput.write((json ? r.json : r.text).data(using: .utf8)!)
        }
    }
}

extension OutputDType: ExpressibleByArgument {}

struct Dequantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an FP8 checkpoint to BF16, F16 or F32: dtype(f32(q) * s) per block.",
        discussion: """
        Every FP8 tensor X with X_scale_inv (DeepSeek: [ceil(N/b0), ceil(K/b1)] blocks, b0 x b1 from \
        config.json quantization_config.weight_block_size, default 128x128) or X_scale (per tensor [] / [1], \
        or per channel [N, 1]) is dequantized; with --dtype bf16 the result equals DeepSeek-V3's \
        fp8_cast_bf16.py bit for bit. Scale tensors are dropped, other tensors copied byte for byte, one \
        output shard per input shard, the index rewritten, config.json copied without quantization_config, \
        other files copied. OUT must not exist; it is written atomically.

        Examples:
          fp8-ckpt dequantize DeepSeek-V3/ DeepSeek-V3-bf16/
          fp8-ckpt dequantize Qwen3-8B-FP8/ Qwen3-8B-f32/ --dtype f32
          fp8-ckpt dequantize model.safetensors model-bf16.safetensors
        """)

    @Argument(help: "A checkpoint directory, its index file, or one .safetensors file.")
    var input: String

    @Argument(help: "The output directory (or file, for a file input); must not exist.")
    var output: String

    @Option(help: "The output element type: bf16, f16 or f32.")
    var dtype: OutputDType = .bf16

    func run() throws {
        try runReporting {
            let s = try CkptTool.dequantize(input: input, output: output, dtype: dtype, progress: ProgressLine("dequantize"))
            FileHandle.standardError.write(
                "dequantized \(s.dequantized), copied \(s.copied), dropped \(s.dropped) scale tensors; \(s.bytes) bytes\n"
                    .data(using: .utf8)!)
        }
    }
}

extension ScaleRuleOption: ExpressibleByArgument {}

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize 2-D linear weights to FP8 with DeepSeek-V3 block scales (weight_scale_inv).",
        discussion: """
        Every 2-D BF16/F16/F32 tensor whose name ends in .weight becomes FP8 [N, K] plus X_scale_inv F32 \
        [ceil(N/b0), ceil(K/b1)] (DeepGEMM per_block_cast_to_fp8: s = max(amax, 1e-4) / max_finite, \
        q = fp8(x * (1/s)); pow2 rounds s up to a power of two), except names matching an exclude pattern. \
        Default excludes (case-insensitive regular expressions): \(QuantizeSelection.defaultExcludes.joined(separator: " ")) \
        (embeddings, norms, router/gate, output head; biases are never .weight). config.json gains \
        quantization_config. Each tensor's SQNR (dB) is printed, then a summary.

        Examples:
          fp8-ckpt quantize Qwen3-8B/ Qwen3-8B-FP8/
          fp8-ckpt quantize model/ model-fp8/ --scale-rule pow2 --exclude 'layers\\.0\\.'
          fp8-ckpt quantize model/ model-fp8/ --include 'mlp' --no-default-excludes
        """)

    @Argument(help: "A checkpoint directory, its index file, or one .safetensors file.")
    var input: String

    @Argument(help: "The output directory (or file, for a file input); must not exist.")
    var output: String

    @Option(help: "The FP8 format: e4m3 or e5m2.")
    var format: String = "e4m3"

    @Option(help: "The scale block, ROWSxCOLS.")
    var block: String = "128x128"

    @Option(help: "amax (DeepSeek-V3) or pow2 (UE8M0 power-of-two scales, DeepSeek-V3.1).")
    var scaleRule: ScaleRuleOption = .amax

    @Option(help: "Quantize only weights whose name matches this regular expression (repeatable).")
    var include: [String] = []

    @Option(help: "Also keep weights whose name matches this regular expression (repeatable).")
    var exclude: [String] = []

    @Flag(help: "Do not apply the default exclude patterns.")
    var noDefaultExcludes = false

    func run() throws {
        guard let b = BlockSize(parsing: block) else { throw ValidationError("--block must look like 128x128") }
        let f: FP8Format
        switch format.lowercased() {
        case "e4m3": f = .e4m3
        case "e5m2": f = .e5m2
        default: throw ValidationError("--format must be e4m3 or e5m2")
        }
        try runReporting {
            let s = try CkptTool.quantize(
                input: input, output: output, format: f, block: b, rule: scaleRule,
                selection: QuantizeSelection(include: include, exclude: exclude, useDefaultExcludes: !noDefaultExcludes),
                progress: ProgressLine("quantize"),
                report: { r in print(String(format: "%@\t[%d, %d]\tSQNR %.2f dB", r.name, r.shape[0], r.shape[1], r.sqnr)) })
            let sq = s.quantized.map(\.sqnr)
            let mean = sq.isEmpty ? 0 : sq.reduce(0, +) / Double(sq.count)
            print(String(format: "quantized %d tensors (SQNR min %.2f dB, mean %.2f dB), copied %d; %d -> %d bytes",
                         sq.count, sq.min() ?? 0, mean, s.copied, s.bytesIn, s.bytesOut))
        }
    }
}

FP8Ckpt.main()
