// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: a small, fast, seeded generator so tests and the bench are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    /// Creates a generator from `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A uniform Double in (0, 1).
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }
    /// A standard normal deviate (Box-Muller).
    public mutating func gaussian() -> Double {
        let u1 = uniform(), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
    /// A Student-t deviate with `nu` degrees of freedom (heavy-tailed for small nu).
    public mutating func studentT(_ nu: Int) -> Double {
        var chi2 = 0.0
        for _ in 0..<nu { let g = gaussian(); chi2 += g * g }
        return gaussian() / (chi2 / Double(nu)).squareRoot()
    }
}

/// `count` Gaussian floats from `seed`.
public func gaussianFloats(_ count: Int, seed: UInt64) -> [Float] {
    var g = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(g.gaussian()) }
}

/// e^x, for data generators.
public func expDouble(_ x: Double) -> Double { exp(x) }
