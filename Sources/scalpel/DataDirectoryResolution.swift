import ArgumentParser
import Foundation
import Training

/// `--data DIR`, else the checkout's `data/`, else `../shared/data` from the current directory,
/// else beside the checkout.
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
    repository.appendingPathComponent("data/SHA256SUMS").path,
    FileManager.default.currentDirectoryPath + "/../shared/data",
    repository.appendingPathComponent("../shared/data").standardizedFileURL.path,
  ]
  guard
    let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) })
      .map({ $0.hasSuffix("/SHA256SUMS") ? String($0.dropLast("/SHA256SUMS".count)) : $0 })
  else {
    throw ValidationError(
      "no data directory at \(candidates.joined(separator: " or ")); pass --data DIR")
  }
  return DataDirectory(root: URL(fileURLWithPath: found).standardizedFileURL.path)
}
