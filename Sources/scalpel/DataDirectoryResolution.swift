import ArgumentParser
import Foundation
import Training

/// `--data DIR`, else `../shared/data` from the current directory, else beside the checkout.
func resolveDataDirectory(_ data: String?) throws -> DataDirectory {
  if let data {
    guard FileManager.default.fileExists(atPath: data) else {
      throw ValidationError("--data \(data) does not exist")
    }
    return DataDirectory(root: data)
  }
  let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  let candidates = [
    FileManager.default.currentDirectoryPath + "/../shared/data",
    repository.appendingPathComponent("../shared/data").standardizedFileURL.path,
  ]
  guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
    throw ValidationError(
      "no data directory at \(candidates.joined(separator: " or ")); pass --data DIR")
  }
  return DataDirectory(root: URL(fileURLWithPath: found).standardizedFileURL.path)
}
