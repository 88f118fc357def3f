// SPDX-License-Identifier: Apache-2.0
import FP8
#if canImport(Glibc)
import Glibc
#endif

// `swift run -c release bench [--quick] [--json FILE] [--only header,codec,quant,gemm,half,embed,ckpt]`
let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
#if DEBUG
if !options.allowDebug {
    fail("refusing to time a debug build: SwiftPM compiles the C kernels at -O0 there. Run `swift run -c release bench` (or pass --allow-debug to see the tables anyway)")
}
#endif
// Before anything else: make the peer run its best kernels (may re-execute the bench).
let openblasNote = ensureOpenBLASBestCore(flags: readCPUInfo().flags)
var records: [Record] = []
let machine = surveyMachine(options, openblasNote: openblasNote)
printHeader(machine, options, records: &records)

let started = now()
if options.sections.contains("codec") { runCodecBench(options, machine: machine, records: &records) }
if options.sections.contains("quant") { runQuantBench(options, records: &records) }
if options.sections.contains("gemm") { runGemmBench(options, machine: machine, records: &records) }
if options.sections.contains("half") { runHalfBench(options, machine: machine, records: &records) }
if options.sections.contains("embed") { runEmbedBench(options, records: &records) }
if options.sections.contains("ckpt") { runCkptBench(options, records: &records) }
if benchSink == 42 { print("(sink)") }  // keeps measured reductions alive
print("\n(total bench time \(fmt(now() - started, 1)) s)")

if let path = options.jsonPath {
    do { try writeJSON(records, to: path) } catch { fail("cannot write \(path): \(error)") }
    print("wrote \(records.count) records to \(path)")
}
