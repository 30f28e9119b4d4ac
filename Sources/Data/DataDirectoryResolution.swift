import Foundation

extension DataDirectory {
  /// The environment variable naming the data directory.
  public static let environmentVariable = "SCALPEL_DATA"

  /// The `data/` of the checkout this module was built from (the repository root is three
  /// levels above this source file, `Sources/Data/DataDirectoryResolution.swift`).
  public static let checkoutRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("data").path

  /// The data directory: `option` (`--data DIR`), else `environment["SCALPEL_DATA"]`, else
  /// `checkout`. The first one given is used and must be a directory; empty values count as
  /// not given. The caller passes the environment (the library never reads it).
  public static func resolve(
    option: String?, environment: [String: String], checkout: String = checkoutRoot
  ) throws(DataError) -> DataDirectory {
    let candidates = [
      (option ?? "", "--data"), (environment[environmentVariable] ?? "", "$" + environmentVariable),
      (checkout, "the checkout's data directory"),
    ]
    let (path, source) = candidates.first { !$0.0.isEmpty } ?? candidates[2]
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else {
      let hint = source.hasPrefix("the") ? "; pass --data DIR or set \(environmentVariable)" : ""
      throw DataError("no such directory (from \(source))\(hint)", path: path)
    }
    return DataDirectory(root: URL(fileURLWithPath: path).standardizedFileURL.path)
  }
}
