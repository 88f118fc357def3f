// SPDX-License-Identifier: Apache-2.0
import Foundation
import MiniLM
import XCTest

/// The oracle for the FP8 recipes: sentence-transformers' own forward pass with each recipe simulated in
/// PyTorch + numpy + ml_dtypes (scripts/gen_minilm_fp8_reference.py -> Fixtures/minilm_fp8_reference.json,
/// generated once and committed). The 36 encoder linear layers get weights quantized and dequantized with
/// DeepGEMM's per_block_cast_to_fp8 rule (E4M3, 128x128 blocks) and, per recipe, inputs rounded to BF16 (w8a16)
/// or quantized and dequantized in 1x128 tiles with per_token_cast_to_fp8 (w8a8). Texts: `Reference.all`, in order.
///
/// `sensitivity` holds the simulation run again with every linear input moved by a few float32 ulps at random
/// before the recipe's rounding (several seeds, up to 1 and up to 4 ulps): how far another correct
/// implementation, whose float32 sums come out in another order, lands from this one. For w8a16 and w8a8 that is
/// far more than float32 noise: a value at a rounding boundary (BF16, or between two E4M3 codes) rounds the
/// other way, the next layers see a whole step where there was an ulp and round more values differently.
struct FP8Simulation: Decodable {
    struct Recipe: Decodable {
        /// Per text: cosine of the simulated embedding against the unmodified model's.
        let cosine: [Double]
        let mean_cosine: Double
        let min_cosine: Double
        let embeddings: [[Float]]
    }
    struct Run: Decodable {
        let seed: Int
        /// The inputs moved by d float32 ulps, d uniform in [-ulps, ulps].
        let ulps: Int
        /// Against the recipe's own simulated embeddings (fp32: the unmodified model's).
        let vs_recipe_mean_cosine: Double
        let vs_recipe_min_cosine: Double
        /// Radians.
        let vs_recipe_max_angle: Double
        /// Against the unmodified model, as `Recipe.mean_cosine` / `Recipe.min_cosine`.
        let mean_cosine: Double
        let min_cosine: Double
        /// sum_i <run_i - w8a32_i, recipe_i - w8a32_i> / sum_i |recipe_i - w8a32_i|^2 (absent for fp32).
        let share_of_recipe_effect: Double?
    }
    struct Sensitivity: Decodable {
        let fp32: [Run]
        let w8a16: [Run]
        let w8a8: [Run]
    }
    struct Unmodified: Decodable {
        /// The simulation's unmodified model against minilm_reference.json's embeddings (same model, same texts).
        let min_cosine: Double
    }
    let count: Int
    let unmodified_vs_reference: Unmodified
    let recipes: [String: Recipe]
    let sensitivity: Sensitivity

    static let shared: FP8Simulation = fixture("minilm_fp8_reference.json")

    func recipe(_ r: MiniLMRecipe) throws -> Recipe { try XCTUnwrap(recipes[r.name], "no simulation for \(r.name)") }

    func runs(_ r: MiniLMRecipe) -> [Run] {
        switch r {
        case .fp32, .weightOnlyF32: return sensitivity.fp32 // w8a32 rounds nothing in the activations
        case .weightOnlyBF16: return sensitivity.w8a16
        case .deepSeekW8A8: return sensitivity.w8a8
        }
    }
}

/// The angle between `a` and `b` in radians, accurate near 0 (`2 asin(|a/|a| - b/|b|| / 2)` in Double; the
/// arccosine of a cosine near 1 is not).
func angle(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count)
    let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    let nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    var d2 = 0.0
    for (x, y) in zip(a, b) { let d = Double(x) / na - Double(y) / nb; d2 += d * d }
    return 2 * asin(min(1, d2.squareRoot() / 2))
}

final class SimulationTests: XCTestCase {
    static let lock = NSLock()
    static var embeddings: [MiniLMRecipe: [[Float]]] = [:]

    /// The Swift model's embeddings of the fixture's texts for `r` (computed once per recipe).
    func embed(_ r: MiniLMRecipe) throws -> [[Float]] {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if let e = Self.embeddings[r] { return e }
        let m = try MiniLMModel(directory: try MiniLMFiles.locate(install: true), recipe: r)
        let e = try m.embed(Reference.shared.all.map(\.text))
        Self.embeddings[r] = e
        return e
    }

    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    /// The largest angle between the simulation's FP32 model and another float32 evaluation of it (the one-ulp
    /// and four-ulp runs): float32 noise, about 1.7e-6 rad.
    static var float32Noise: Double { FP8Simulation.shared.sensitivity.fp32.map(\.vs_recipe_max_angle).max()! }

    /// Per text: angle and cosine between the Swift recipe and its simulation, and the share of the
    /// simulation's departure from w8a32 the Swift recipe reproduces (as `Run.share_of_recipe_effect`).
    func agreement(_ r: MiniLMRecipe) throws -> (angles: [Double], cosines: [Double], share: Double) {
        let sim = FP8Simulation.shared
        let e = try embed(r), s = try sim.recipe(r).embeddings, w32 = try sim.recipe(.weightOnlyF32).embeddings
        XCTAssertEqual(e.count, s.count)
        var num = 0.0, den = 0.0
        for i in e.indices {
            for j in e[i].indices {
                let ds = Double(e[i][j]) - Double(w32[i][j]), dr = Double(s[i][j]) - Double(w32[i][j])
                num += ds * dr
                den += dr * dr
            }
        }
        let share = num / den, angles = zip(e, s).map { angle($0, $1) }, cosines = zip(e, s).map { cosine($0, $1) }
        let worst = angles.indices.max { angles[$0] < angles[$1] }!
        print(String(format: "MiniLM %@ vs simulation: max angle %.4e rad (cosine %.12f, text %d), mean 1 - cosine %.4e, share %.4f",
                     r.name, angles[worst], cosines[worst], worst, 1 - Self.mean(cosines), share))
        return (angles, cosines, share)
    }

    func testFixtureIsConsistent() throws {
        let sim = FP8Simulation.shared
        XCTAssertEqual(sim.count, Reference.shared.all.count)
        for r in MiniLMRecipe.allCases where r != .fp32 {
            let s = try sim.recipe(r)
            XCTAssertEqual(s.embeddings.count, sim.count, r.name)
            XCTAssertEqual(s.cosine.count, sim.count, r.name)
            XCTAssertTrue(s.embeddings.allSatisfy { $0.count == 384 }, r.name)
            XCTAssertEqual(Self.mean(s.cosine), s.mean_cosine, accuracy: 1e-12, r.name)
            XCTAssertEqual(s.cosine.min(), s.min_cosine, r.name)
            XCTAssertGreaterThanOrEqual(sim.runs(r).count, 3, r.name)
        }
    }

    /// The premise of the bounds below: the Swift FP32 path differs from sentence-transformers by float32
    /// noise of the size the simulation's perturbed runs show (measured on x86-64: 1.42e-6 rad debug,
    /// 1.44e-6 release, against 1.24e-6 to 1.69e-6), not by more. Bound: 4x the largest run's angle.
    func testFP32PathDiffersByFloat32Noise() throws {
        let a = zip(try embed(.fp32), Reference.shared.all.map(\.embedding)).map { angle($0, $1) }
        print(String(format: "MiniLM fp32 vs reference: max angle %.4e rad (simulation's float32 noise %.4e)", a.max()!, Self.float32Noise))
        XCTAssertLessThanOrEqual(a.max()!, 4 * Self.float32Noise)
    }

    /// W8A32 rounds nothing between the GEMMs, so it is as smooth as the FP32 path: the Swift model and the
    /// simulation differ only by float32 summation order. Per text the angle stays within 4x the float32
    /// noise (~6.8e-6 rad, cosine >= 1 - 2.3e-11, far inside the 0.99999). Measured: 1.70e-6 rad
    /// (debug), 1.60e-6 (release).
    func testWeightOnlyF32MatchesSimulation() throws {
        let (angles, cosines, share) = try agreement(.weightOnlyF32)
        XCTAssertTrue(share.isNaN) // w8a32 is the reference point of the share
        for (i, a) in angles.enumerated() {
            XCTAssertLessThanOrEqual(a, 4 * Self.float32Noise, "text \(i)")
            XCTAssertGreaterThanOrEqual(cosines[i], 0.99999, "text \(i)")
        }
    }

    /// W8A16 and W8A8 round the activations, so float32 noise turns into whole steps where a value sits at a
    /// rounding boundary (see `FP8Simulation`): an exact per-text bound would need the Swift and Python inputs
    /// of every GEMM to agree to the last bit, which they do not. The bounds come from the simulation's
    /// perturbed runs instead, treating the Swift model as one more such run:
    /// - per text, the angle to the simulation <= 2x the largest angle of any run (the Swift model and a run
    ///   are each one draw away from the simulation);
    /// - mean over texts of 1 - cosine <= 2x the largest run's mean;
    /// - the share of the simulation's departure from w8a32 that the Swift model reproduces >= half the
    ///   smallest run's share (the runs: 0.59 to 0.79). A model that skipped the recipe's rounding reproduces
    ///   none of it: with `Linear` mutated so (w8a16 without BF16, w8a8 without activation quantization) the
    ///   shares came out at 0.0000 and failed, while for w8a16 the angles, the mean and the statistics below
    ///   still passed (BF16 rounding moves the embeddings less than the noise of its own boundary cases).
    func checkRoundingRecipe(_ r: MiniLMRecipe) throws {
        let runs = FP8Simulation.shared.runs(r)
        let (angles, cosines, share) = try agreement(r)
        let maxAngle = runs.map(\.vs_recipe_max_angle).max()!
        let maxMean = runs.map { 1 - $0.vs_recipe_mean_cosine }.max()!
        let minShare = runs.compactMap(\.share_of_recipe_effect).min()!
        print(String(format: "  bounds: angle %.4e, mean 1 - cosine %.4e, share %.4f", 2 * maxAngle, 2 * maxMean, minShare / 2))
        for (i, a) in angles.enumerated() { XCTAssertLessThanOrEqual(a, 2 * maxAngle, "\(r.name) text \(i)") }
        XCTAssertLessThanOrEqual(1 - Self.mean(cosines), 2 * maxMean, r.name)
        XCTAssertGreaterThanOrEqual(share, minShare / 2, r.name)
    }

    /// Measured on x86-64, debug / release: max angle 6.48e-3 / 8.37e-3 rad (cosine 0.999979 / 0.999965, on
    /// "I love this!"; below the 0.99999 first asked for, as are the perturbed runs on the same text: 6.7e-3),
    /// mean 1 - cosine 4.2e-6 / 4.3e-6, share 0.589 / 0.582.
    func testWeightOnlyBF16MatchesSimulation() throws { try checkRoundingRecipe(.weightOnlyBF16) }

    /// Measured on x86-64, debug / release: max angle 7.38e-2 / 7.26e-2 rad (cosine 0.99728 / 0.99736), mean
    /// 1 - cosine 6.6e-4 / 6.4e-4, share 0.592 / 0.603; the runs: up to 7.44e-2 rad, means up to 6.9e-4.
    func testDeepSeekW8A8MatchesSimulation() throws { try checkRoundingRecipe(.deepSeekW8A8) }

    /// Each FP8 recipe's mean and min cosine against the Swift FP32 path equal the simulation's (against the
    /// unmodified model) within:
    /// - w8a32: what the asserted angles imply. Per text, by the triangle inequality on the sphere,
    ///   |angle(a, p) - angle(b, q)| <= angle(a, b) + angle(p, ref) + angle(ref, q) (a, b: Swift and simulated
    ///   recipe; p, q: Swift and simulated FP32; ref: minilm_reference.json), and |cos x - cos y| <=
    ///   sin(max(x, y)) |x - y|; with the bounds above that is <= sin(acos(0.985)) x (8 x float32 noise +
    ///   angle(ref, q)), ~2.4e-6. Measured: < 1e-9 (mean), 3e-8 (min).
    /// - w8a16, w8a8: 2x the largest deviation of a perturbed run's statistic from the simulation's
    ///   (w8a16 ~7e-6 mean, ~7e-5 min; w8a8 ~1e-4 mean, ~5e-4 min). Measured (debug / release): w8a16
    ///   2e-8 / 5e-7 mean, 2.7e-5 / 2.2e-5 min; w8a8 2.2e-5 / 9e-7 mean, 1.6e-4 / 1.6e-4 min. W8A8 without
    ///   activation quantization (+8e-4 mean; the mutation above failed here) or with power-of-two scales
    ///   (-8e-4 in the simulation) would fail it.
    func testStatisticsAgainstFP32MatchSimulation() throws {
        let sim = FP8Simulation.shared
        let fp32 = try embed(.fp32)
        let refAngle = 2 * asin(((1 - sim.unmodified_vs_reference.min_cosine) / 2).squareRoot())
        for r in MiniLMRecipe.allCases where r != .fp32 {
            let s = try sim.recipe(r)
            let c = zip(try embed(r), fp32).map { cosine($0, $1) }
            let mean = Self.mean(c), worst = c.min()!
            let (meanBound, minBound): (Double, Double)
            if r == .weightOnlyF32 {
                let b = sin(acos(0.985)) * (8 * Self.float32Noise + refAngle)
                (meanBound, minBound) = (b, b)
            } else {
                let runs = sim.runs(r)
                meanBound = 2 * runs.map { abs($0.mean_cosine - s.mean_cosine) }.max()!
                minBound = 2 * runs.map { abs($0.min_cosine - s.min_cosine) }.max()!
            }
            print(String(format: "MiniLM %@ vs fp32: mean cosine %.7f (simulation %.7f, bound %.1e), min %.7f (simulation %.7f, bound %.1e)",
                         r.name, mean, s.mean_cosine, meanBound, worst, s.min_cosine, minBound))
            XCTAssertGreaterThanOrEqual(min(worst, s.min_cosine), 0.985, r.name) // where sin(acos(0.985)) holds
            XCTAssertEqual(mean, s.mean_cosine, accuracy: meanBound, r.name)
            XCTAssertEqual(worst, s.min_cosine, accuracy: minBound, r.name)
        }
    }
}
