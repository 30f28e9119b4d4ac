import Foundation
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

  /// The cached MiniLM directory (scripts/fetch-models minilm).
  static var miniLM: String {
    (ProcessInfo.processInfo.environment["SCALPEL_CACHE"] ?? NSHomeDirectory() + "/.cache/scalpel")
      + "/models/minilm"
  }
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-safety-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
