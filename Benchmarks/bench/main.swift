// SPDX-License-Identifier: Apache-2.0
import FP8
#if canImport(Glibc)
import Glibc
#endif

// `swift run -c release bench [--quick] [--json FILE] [--only codec,quant,gemm]`
let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
var records: [Record] = []

print("# FP8 bench: kernels \(FP8Runtime.kernelSet) (supported: \(FP8Runtime.supportedKernelSets.joined(separator: ", "))), \(FP8Runtime.threadCount) threads\(options.quick ? ", --quick" : "")")
if !FP8Runtime.environmentRequestHonoured { print("note: FP8_KERNELS asked for an unsupported set; using \(FP8Runtime.kernelSet)") }

let started = now()
if options.sections.contains("codec") { runCodecBench(options, records: &records) }
if options.sections.contains("quant") { runQuantBench(options, records: &records) }
if options.sections.contains("gemm") { runGemmBench(options, records: &records) }
if benchSink == 42 { print("(sink)") }  // keeps measured reductions alive
print("\n(total bench time \(fmt(now() - started, 1)) s)")

if let path = options.jsonPath {
    let text = "[\n" + records.map { "  " + $0.json }.joined(separator: ",\n") + "\n]\n"
    guard let f = fopen(path, "w") else { fail("cannot write \(path)") }
    fputs(text, f)
    fclose(f)
    print("wrote \(records.count) records to \(path)")
}
