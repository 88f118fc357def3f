// SPDX-License-Identifier: Apache-2.0
import XCTest

// Independent oracles: they work on VALUES in Double (scaling by powers of two and the FPU's
// round-to-integral), never on the production code's bit manipulations, and never call BFloat16's
// conversions or arithmetic.

/// 2^n as a Double (normal range only), built from its exponent field.
func pow2(_ n: Int) -> Double {
    precondition(n >= -1022 && n <= 1023)
    return Double(bitPattern: UInt64(1023 + n) << 52)
}

/// A binary format for the value oracle: precision p (implicit bit included), least normal exponent,
/// and the greatest finite value's exponent.
struct OracleFormat {
    var precision: Int
    var emin: Int
    var emax: Int
    static let bfloat16 = OracleFormat(precision: 8, emin: -126, emax: 127)
    static let binary16 = OracleFormat(precision: 11, emin: -14, emax: 15)
}

/// The exact real `hi + lo` (with `|lo| <= ulp(hi) / 2`, so `lo` only matters when `hi` is exactly
/// halfway) rounded to nearest, ties to even, in `format`, by value: scale |hi| so that the format's
/// quantum becomes 1, take the integer part and compare the fraction with 1/2.
/// Returns the rounded value as a Double (±infinity on overflow and for ±infinity, signed zero kept).
func oracleRound(_ hi: Double, _ lo: Double = 0, format: OracleFormat = .bfloat16) -> Double {
    precondition(!hi.isNaN && lo.isFinite)
    if hi == 0 || hi.isInfinite { return hi }
    let x = hi.magnitude, towardLarger = hi < 0 ? -lo : lo
    let binade = max(Int(x.exponent), format.emin)
    let quantum = binade - (format.precision - 1)
    let scaled = x * pow2(-quantum)  // exact: a power-of-two scaling inside Double's range
    // floor(scaled) for 0 <= scaled < 2^52, without a libm call: adding 2^52 leaves an integer.
    var floor = (scaled + 0x1p52) - 0x1p52
    if floor > scaled { floor -= 1 }
    let fraction = scaled - floor  // exact
    var n = floor
    if fraction > 0.5 || (fraction == 0.5 && towardLarger > 0) {
        n += 1
    } else if fraction == 0.5 && towardLarger == 0 && UInt64(floor) & 1 != 0 {
        n += 1
    }
    var v = n * pow2(quantum)
    if v >= pow2(format.emax + 1) { v = .infinity }
    return hi < 0 ? -v : v
}

/// The bfloat16 encoding of a value that IS a bfloat16 value (or ±0, ±infinity): the upper half of its
/// exact Float encoding (asserts that the low half is zero).
func bits(ofBFloat16Value v: Double, file: StaticString = #filePath, line: UInt = #line) -> UInt16 {
    let f = Float(v)
    XCTAssertEqual(Double(f), v, "not a float", file: file, line: line)
    XCTAssertEqual(f.bitPattern & 0xFFFF, 0, "not a bfloat16 value: \(v)", file: file, line: line)
    return UInt16(f.bitPattern >> 16)
}

/// The value of a bfloat16 encoding, decoded by the format's definition (not by shifting into a Float):
/// (-1)^s * 2^(E - 127) * (1 + f/128) for normal, 2^-126 * f/128 for subnormal.
func oracleValue(_ b: UInt16) -> Double {
    let s: Double = b & 0x8000 != 0 ? -1 : 1
    let e = Int((b >> 7) & 0xFF), f = Double(b & 0x7F)
    if e == 0xFF { return f == 0 ? s * .infinity : .nan }
    if e == 0 { return s * f / 128 * pow2(-126) }
    return s * (1 + f / 128) * pow2(e - 127)
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Special and boundary encodings of both signs: zeros, subnormals, the least normal and its
/// neighbours, one, the greatest finite value, infinity, quiet and signaling NaNs.
let specialBits: [UInt16] = {
    let positive: [UInt16] = [0x0000, 0x0001, 0x0002, 0x0003, 0x0040, 0x007F, 0x0080, 0x0081, 0x00FF, 0x0100,
                              0x3F80, 0x3F81, 0x3FFF, 0x4000, 0x7F00, 0x7F7E, 0x7F7F, 0x7F80, 0x7FC0,
                              0x7FA0, 0x7FFF, 0x7F81]
    return positive + positive.map { $0 | 0x8000 }
}()

/// Skips an exhaustive 2^32-input sweep in a debug build (unoptimised Swift makes it take many
/// minutes); `swift test -c release` (scripts/test.sh, CI) always runs it. Decided by the build
/// configuration, as Tests/FP8Tests does.
func skipExhaustiveSweepInDebugBuilds(file: StaticString = #filePath, line: UInt = #line) throws {
    #if DEBUG
    throw XCTSkip("exhaustive 2^32-input sweep: runs in release builds only (swift test -c release; "
                  + "an unoptimised debug build takes many minutes)", file: file, line: line)
    #endif
}
