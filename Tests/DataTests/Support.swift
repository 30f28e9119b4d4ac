import Data
import Foundation

/// The data directory, found as the command-line tools find it: `$SCALPEL_DATA`, else the
/// checkout's `data/`.
func testData() throws -> DataDirectory {
  try DataDirectory.resolve(option: nil, environment: ProcessInfo.processInfo.environment)
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "scalpel-data-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Writes `text` to a file called `name` in a fresh temporary directory.
func writeTemporary(_ text: String, name: String) throws -> String {
  let path = try temporaryDirectory() + "/" + name
  try Foundation.Data(text.utf8).write(to: URL(fileURLWithPath: path))
  return path
}
