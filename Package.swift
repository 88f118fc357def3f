// swift-tools-version: 5.9
// SPDX-License-Identifier: Apache-2.0
import PackageDescription

let package = Package(
    name: "FP8",
    products: [
        // MARK: - Public API
        .library(name: "FP8", targets: ["FP8"]),
        // The BFloat16 type on its own, without the FP8 kernels (FP8 re-exports it).
        .library(name: "BFloat16Module", targets: ["BFloat16Module"]),
        // safetensors files (read, memory-mapped and validated; sharded checkpoints; atomic writes), pure Swift.
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        // The checkpoint tool: `fp8-ckpt inspect|dequantize|quantize` (lower case: no clash with `FP8`).
        .executable(name: "fp8-ckpt", targets: ["fp8-ckpt"]),
        // The example: sentence embeddings with all-MiniLM-L6-v2 on FP32 or FP8 weights.
        .executable(name: "minilm-embed", targets: ["minilm-embed"]),
    ],
    dependencies: [
        // Documentation only: `swift package generate-documentation --target FP8` (scripts/docs.sh).
        // No target depends on it, so it adds nothing to a build of the library.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // Command-line parsing for the fp8-ckpt tool only (no library target depends on it).
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Library
        // The Swift API: Float8E4M3 / Float8E5M2, bulk conversions, QuantizedMatrix, matmul.
        .target(name: "FP8", dependencies: ["CFP8", "BFloat16Module"], path: "Sources/FP8"),
        // A correctly rounded Swift BFloat16 (BinaryFloatingPoint), pure Swift, no dependencies.
        .target(name: "BFloat16Module", path: "Sources/BFloat16Module"),
        // The safetensors format, pure Swift + Foundation, no dependency on the FP8 kernels.
        .target(name: "SafeTensors", path: "Sources/SafeTensors"),
        // The checkpoint tool's logic (inspect, dequantize, quantize) as testable functions.
        .target(name: "CkptTool", dependencies: ["SafeTensors", "FP8"], path: "Sources/CkptTool"),
        // The `fp8-ckpt` executable: argument parsing over CkptTool.
        .executableTarget(
            name: "fp8-ckpt",
            dependencies: ["CkptTool", "FP8", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/fp8-ckpt"
        ),
        // MARK: - Example: a real model on FP8 weights
        // all-MiniLM-L6-v2 (6-layer BERT): WordPiece tokenizer, forward pass on the library's GEMMs, recipes
        // FP32 / weight-only FP8 / DeepSeek W8A8. A library target so the tests and the bench can drive it.
        .target(name: "MiniLM", dependencies: ["FP8", "SafeTensors"], path: "Sources/MiniLM"),
        .executableTarget(
            name: "minilm-embed",
            dependencies: ["MiniLM", "FP8", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/minilm-embed"
        ),
        // The C core, usable from C on its own (one public header: CSupport/include/fp8.h).
        // SIMD is enabled per function and chosen at run time (no unsafe build flags), so the package can be
        // a dependency.
        .target(
            name: "CFP8",
            path: "CSupport",
            sources: ["src"],
            publicHeadersPath: "include",
            linkerSettings: [
                .linkedLibrary("pthread", .when(platforms: [.linux])),
                .linkedLibrary("m", .when(platforms: [.linux])), // ilogbf, fmin, fmax, ldexp, frexp
            ]
        ),

        // MARK: - Implementation details shared by tests and the bench (not products)
        // Independent Double-based oracles; never calls the library's converters.
        .target(name: "FP8TestSupport", dependencies: ["FP8"], path: "Sources/FP8TestSupport"),
        // OpenBLAS (Debian libopenblas-dev): the FP32 peer, for tests and the bench ONLY.
        .systemLibrary(
            name: "COpenBLAS",
            path: "Benchmarks/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),

        // MARK: - Bench: `swift run -c release bench`
        // Machine measurements in C for the bench only (FMA peak, streaming read), per-function targets.
        .target(name: "CBenchSupport", path: "Benchmarks/CBenchSupport"),
        .executableTarget(
            name: "bench",
            dependencies: ["FP8", "CFP8", "FP8TestSupport", "COpenBLAS", "CBenchSupport", "CkptTool", "MiniLM", "SafeTensors"],
            path: "Benchmarks/bench"
        ),

        // MARK: - Tests: `swift test -c release`
        .testTarget(
            name: "FP8Tests",
            dependencies: ["FP8", "CFP8", "FP8TestSupport", "COpenBLAS", "SafeTensors"],
            path: "Tests/FP8Tests"
        ),
        .testTarget(name: "BFloat16Tests", dependencies: ["BFloat16Module"], path: "Tests/BFloat16Tests"),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors"], path: "Tests/SafeTensorsTests"),
        .testTarget(name: "CkptToolTests", dependencies: ["CkptTool", "SafeTensors", "FP8", "MiniLM"], path: "Tests/CkptToolTests",
                    exclude: ["ckpt_oracle.py"]), // run by the tests from the source tree (#filePath)
        .testTarget(name: "MiniLMTests", dependencies: ["MiniLM", "FP8", "SafeTensors", "CkptTool"], path: "Tests/MiniLMTests",
                    exclude: ["Fixtures"]), // read from the source tree (#filePath)
    ]
)
