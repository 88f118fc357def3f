// SPDX-License-Identifier: Apache-2.0
import Foundation
import MiniLM
import SafeTensors
import XCTest

final class ModelFilesTests: XCTestCase {
    /// The package installs (or is found) and its checkpoint has the BERT tensors the model reads.
    func testLocateInstallsAndFindsTheCheckpoint() throws {
        let dir = try MiniLMFiles.locate(install: true)
        let file = try SafeTensorsFile(url: dir.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(file.tensors.count, 104) // 105 header keys, one of them __metadata__
        XCTAssertEqual(file["encoder.layer.5.intermediate.dense.weight"]?.shape, [1536, 384])
    }
}
