import Data
import Foundation
import Models
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

  /// The cached MiniLM directory (scripts/fetch-models minilm).
  static var miniLM: String {
    ModelStore.standardCacheDirectory(environment: ProcessInfo.processInfo.environment)
      + "/models/minilm"
  }
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-safety-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
