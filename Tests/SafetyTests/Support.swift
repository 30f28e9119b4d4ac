import Data
import Foundation
import Models
import Runtime
import Safety
import Testing

/// Paths the safety tests read.
enum Paths {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  /// The data directory, found as the command-line tools find it: `$SCALPEL_DATA`, else the
  /// checkout's `data/`.
  static func data() throws -> DataDirectory {
    try DataDirectory.resolve(option: nil, environment: ProcessInfo.processInfo.environment)
  }

  /// MiniLM's directory in the tools' cache (`CacheLocation`), fetched with this checkout's
  /// script if missing (a failed fetch fails the test).
  static func miniLM() throws -> String {
    let store = ModelStore(
      cacheDirectory: CacheLocation.root(), fetchScript: repository + "/scripts/fetch-models")
    return try store.locate(.known(.miniLM)).path
  }
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-safety-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
