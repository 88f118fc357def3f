// SPDX-License-Identifier: Apache-2.0

/// The directory part and the last component of a path, without Foundation's NSString path methods:
/// on Linux, `NSString.deletingLastPathComponent` traps on a one-component relative path such as
/// `"model.safetensors"` (swift-corelibs-foundation, Swift 6.3), and a file name must never crash the
/// reader or the writer. `directory` is `""` for a path without a slash and `"/"` for a file in the root.
func splitPath(_ path: String) -> (directory: String, last: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    let dir = slash == path.startIndex ? "/" : String(path[..<slash])
    return (dir, String(path[path.index(after: slash)...]))
}
