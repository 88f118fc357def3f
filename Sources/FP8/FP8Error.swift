// SPDX-License-Identifier: Apache-2.0
import CFP8

/// An error reported by the FP8 library: a C status turned into a Swift error, or a size check made
/// on the Swift side before any C code ran.
///
/// Every public function of the Swift API reports bad input by throwing one of these (arithmetic on
/// sizes is checked, so it never traps); the only preconditions are an index into ``FP8Codes`` outside
/// 0 ..< 256, as for any collection, and a failure of the C core on arguments the Swift side has
/// already validated (a library bug). A call that throws writes nothing to its outputs.
public enum FP8Error: Error, Equatable, CustomStringConvertible, Sendable {
    /// A required pointer was missing (C status `FP8_ERR_NULL_POINTER`).
    case nullPointer
    /// An unknown format value (C status `FP8_ERR_BAD_FORMAT`).
    case badFormat
    /// An argument out of its range (C status `FP8_ERR_BAD_ARGUMENT`), with what was wrong.
    case badArgument(String)
    /// An invalid shape: zero block size, leading dimension smaller than the columns, mismatched inner
    /// dimensions (C status `FP8_ERR_BAD_SHAPE`), with what was wrong.
    case badShape(String)
    /// A size computation overflowed (C status `FP8_ERR_SIZE_OVERFLOW`).
    case sizeOverflow
    /// Input to quantization holds NaN or an infinity; `row` and `column` locate the first one in
    /// row-major order (C status `FP8_ERR_NON_FINITE`).
    case nonFinite(row: Int, column: Int)
    /// A scale is not finite and positive, or not representable (C status `FP8_ERR_BAD_SCALE`).
    case badScale(String)
    /// A temporary buffer could not be allocated (C status `FP8_ERR_NO_MEMORY`).
    case outOfMemory
    /// The requested kernel set is unknown or unsupported on this CPU (C status `FP8_ERR_UNSUPPORTED`).
    case unsupportedKernelSet(String)
    /// An element count is not the one the call needs: a destination buffer shorter or longer than its
    /// source, an array that does not hold `rows * cols` values (or the scale grid's count), or two
    /// arrays of different lengths given to ``ErrorMetrics``. Checked in Swift before any C code runs.
    case sizeMismatch(expected: Int, actual: Int)

    /// A readable description of the error.
    public var description: String {
        switch self {
        case .nullPointer: return "FP8: a required buffer is missing"
        case .badFormat: return "FP8: unknown format"
        case .badArgument(let s): return "FP8: bad argument: \(s)"
        case .badShape(let s): return "FP8: bad shape: \(s)"
        case .sizeOverflow: return "FP8: size computation overflows"
        case .nonFinite(let r, let c): return "FP8: input holds NaN or infinity at row \(r), column \(c)"
        case .badScale(let s): return "FP8: bad scale: \(s)"
        case .outOfMemory: return "FP8: out of memory"
        case .unsupportedKernelSet(let s): return "FP8: kernel set '\(s)' is unknown or unsupported here"
        case .sizeMismatch(let e, let a): return "FP8: size mismatch: expected \(e) elements, got \(a)"
        }
    }

    /// Throws the error matching a C status; returns for `FP8_OK`. `context` says what was checked.
    @usableFromInline
    static func check(_ status: Int32, _ context: @autoclosure () -> String = "") throws {
        if status == 0 { return }
        let text = String(cString: fp8_status_string(status))
        let detail = context().isEmpty ? text : "\(context()): \(text)"
        switch status {
        case FP8_ERR_NULL_POINTER.rawValue: throw FP8Error.nullPointer
        case FP8_ERR_BAD_FORMAT.rawValue: throw FP8Error.badFormat
        case FP8_ERR_BAD_ARGUMENT.rawValue: throw FP8Error.badArgument(detail)
        case FP8_ERR_BAD_SHAPE.rawValue: throw FP8Error.badShape(detail)
        case FP8_ERR_SIZE_OVERFLOW.rawValue: throw FP8Error.sizeOverflow
        case FP8_ERR_NON_FINITE.rawValue: throw FP8Error.nonFinite(row: -1, column: -1)
        case FP8_ERR_BAD_SCALE.rawValue: throw FP8Error.badScale(detail)
        case FP8_ERR_NO_MEMORY.rawValue: throw FP8Error.outOfMemory
        case FP8_ERR_UNSUPPORTED.rawValue: throw FP8Error.unsupportedKernelSet(detail)
        default: throw FP8Error.badArgument("unknown status \(status)")
        }
    }
}
