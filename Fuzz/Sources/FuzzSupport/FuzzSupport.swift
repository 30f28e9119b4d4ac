import CFuzzer
import Foundation
import Runtime

/// What every harness shares: the input as bytes, written to a file when the reader under test
/// takes a path, and a small memory limit (so a reader's size check, not the fuzzer's RSS
/// limit, is what a large claimed size meets).
public enum FuzzInput {
  /// Sets the memory limit the readers check against (once per process).
  public static let setUp: Void = {
    MemoryLimit.processDefault = MemoryLimit(bytes: 256 << 20)
  }()

  /// A harness's callback: one input's bytes; returns 0.
  public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

  /// Runs libFuzzer's loop on `callback` with the process's arguments (a harness's `main`).
  public static func run(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: Callback
  ) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
  }

  /// The input as an array.
  public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    _ = setUp
    return Array(UnsafeBufferPointer(start: data, count: size))
  }

  /// Writes the input to a per-process file with `suffix` (in `/dev/shm` when it exists) and
  /// runs `body` on its path.
  public static func withFile(
    _ data: UnsafePointer<UInt8>?, _ size: Int, suffix: String, _ body: (String) -> Void
  ) {
    _ = setUp
    let shm = FileManager.default.fileExists(atPath: "/dev/shm")
    let path = "\(shm ? "/dev/shm" : NSTemporaryDirectory())/scalpel-fuzz-\(getpid())\(suffix)"
    let contents = Data(bytes(data, size))
    guard FileManager.default.createFile(atPath: path, contents: contents) else { return }
    defer { try? FileManager.default.removeItem(atPath: path) }
    body(path)
  }
}
