import Foundation
import Models
import Runtime
import Safety
import Testing

/// Paths the safety tests read.
enum Paths {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

  /// The shared data (`../shared/data` beside the repository); a test needing it fails without.
  static func data() throws -> SharedData {
    try #require(SharedData.locate(from: repository), "no ../shared/data beside \(repository)")
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
