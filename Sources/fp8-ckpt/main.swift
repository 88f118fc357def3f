// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import CkptTool
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

        Errors in the input name the file and the tensor, exit with status 1 and leave no output.
        """,
        subcommands: [Inspect.self, Dequantize.self]
    )
}

/// Runs `body`, turning a CkptError into one line on stderr and exit status 1.
func runReporting(_ body: () throws -> Void) throws {
    do { try body() } catch let e as CkptError {
        FileHandle.standardError.write("fp8-ckpt: error: \(e)\n".data(using: .utf8)!)
        throw ExitCode(1)
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

FP8Ckpt.main()
