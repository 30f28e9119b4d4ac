import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes files atomically: a temporary file in the destination directory, then `rename(2)`,
/// so a reader never sees a half-written report, plot or cache file.
public enum AtomicFile {
  /// Writes `bytes` to `path` (creating the parent directory), replacing any existing file.
  public static func write(_ bytes: [UInt8], to path: String) throws(SafetyError) {
    try write(Data(bytes), to: path)
  }

  /// Writes UTF-8 `text` to `path` atomically.
  public static func write(text: String, to path: String) throws(SafetyError) {
    try write(Data(text.utf8), to: path)
  }

  /// Writes `data` to `path` atomically.
  public static func write(_ data: Data, to path: String) throws(SafetyError) {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw SafetyError("cannot create the directory \(directory): \(error)", file: path)
    }
    let temporary = directory + "/.\(url.lastPathComponent).\(UUID().uuidString).tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: data) else {
      throw SafetyError("cannot write a temporary file in \(directory)", file: path)
    }
    if rename(temporary, path) != 0 {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw SafetyError("cannot move the written file into place: \(reason)", file: path)
    }
  }
}
