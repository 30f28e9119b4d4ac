import ArgumentParser
import Foundation
import Runtime

/// `--max-memory`, shared by the commands that run graphs or load models: sets the process's
/// `MemoryLimit` before the command runs (the option, else `SCALPEL_MAX_MEMORY`, else physical
/// memory).
struct MemoryOptions: ParsableArguments {
  @Option(
    name: .customLong("max-memory"),
    help: ArgumentHelp(
      "The most memory one tensor, model weight or graph run may need: bytes or K, M, G, T.",
      discussion:
        "Such as 512M or 8G. Default: $SCALPEL_MAX_MEMORY if set, else the physical memory.",
      valueName: "size"))
  var maxMemory: String?

  mutating func validate() throws {
    MemoryLimit.processDefault = try Self.limit(
      option: maxMemory, environment: ProcessInfo.processInfo.environment)
  }

  /// The limit `--max-memory` or `SCALPEL_MAX_MEMORY` asks for, else physical memory.
  static func limit(option: String?, environment: [String: String]) throws -> MemoryLimit {
    let source = option == nil ? "SCALPEL_MAX_MEMORY" : "--max-memory"
    guard let text = option ?? environment["SCALPEL_MAX_MEMORY"] else { return .physicalMemory }
    guard let limit = MemoryLimit(parsing: text) else {
      let message =
        "\(source) '\(text)' is not a size; expected bytes or a number with K, M, G or T "
        + "(such as 512M or 8G)"
      // A bad option shows the usage; a bad environment variable only the one line.
      if option == nil { throw CommandFailure(message) }
      throw ValidationError(message)
    }
    return limit
  }
}
