// SPDX-License-Identifier: Apache-2.0
import CFP8

/// Run-time configuration of the C core: which kernel set runs and how many threads large
/// operations use. Both are process-wide.
public enum FP8Runtime {
    /// The kernel set in use: "scalar", "avx2", "avx512", "avx512vbmi" or "neon".
    public static var kernelSet: String { String(cString: fp8_kernels()) }

    /// The kernel sets this build has and this CPU supports, scalar first.
    public static var supportedKernelSets: [String] {
        ["scalar", "avx2", "avx512", "avx512vbmi", "neon"].filter { fp8_kernels_supported($0) == 1 }
    }

    /// Switches kernel set (`nil` = the best available). Not safe while other threads use the library.
    /// - Throws: ``FP8Error/unsupportedKernelSet(_:)`` if `name` is unknown or unsupported; the best
    ///   available set is then in use.
    public static func setKernelSet(_ name: String?) throws {
        let status = fp8_set_kernels(name)
        if status != 0 { throw FP8Error.unsupportedKernelSet(name ?? "") }
    }

    /// False when the `FP8_KERNELS` environment variable named a set that is unknown or unsupported
    /// (the best available set is used instead).
    public static var environmentRequestHonoured: Bool { fp8_kernels_env_status() == 0 }

    /// Threads used by large operations (default: online CPUs, or `FP8_NUM_THREADS`). Setting 0
    /// restores the default; values outside 0...256 are clamped into it.
    public static var threadCount: Int {
        get { Int(fp8_num_threads()) }
        set { _ = fp8_set_num_threads(Int32(Swift.max(0, Swift.min(256, newValue)))) }
    }
}
