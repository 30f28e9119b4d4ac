import ArgumentParser
import Data
import Foundation

/// `--data DIR`, the same on every command that reads the data directory.
struct DataOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The data directory.",
      discussion:
        "Default: $SCALPEL_DATA, else the data/ of the checkout scalpel was built from.",
      valueName: "dir"),
    completion: .directory)
  var data: String?

  /// `--data`, else `$SCALPEL_DATA`, else the checkout's `data/` (`DataDirectory.resolve`).
  func directory() throws -> DataDirectory {
    do {
      return try DataDirectory.resolve(
        option: data, environment: ProcessInfo.processInfo.environment)
    } catch {
      throw CommandFailure(error.description)
    }
  }
}

/// `--harmful FILE` and `--safe FILE`: files of (prompt, answer) pairs instead of the data
/// directory's BeaverTails unsafe pairs and refusal pairs.
struct PairFileOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Harmful pairs (default: the data directory's BeaverTails unsafe pairs).",
      discussion: """
        JSON lines (or a .json array) of {"prompt", "response"} objects ("answer" is accepted \
        for "response") or of instruction/input/output objects. A BeaverTails "is_safe" field, \
        where present, drops the rows of the other side.
        """, valueName: "file"))
  var harmful: String?
  @Option(
    help: ArgumentHelp(
      "Safe pairs, in the same format (default: the data directory's refusal pairs).",
      valueName: "file"))
  var safe: String?

  /// The harmful pairs: `--harmful`, else `data`'s.
  func harmfulPairs(_ data: () throws -> DataDirectory) throws -> [InstructionPair] {
    if let harmful { return try Datasets.pairs(harmful, side: .harmful) }
    return try data().harmful()
  }

  /// The safe pairs: `--safe`, else `data`'s refusal pairs.
  func safePairs(_ data: () throws -> DataDirectory) throws -> [InstructionPair] {
    if let safe { return try Datasets.pairs(safe, side: .safe) }
    return try data().refusals()
  }
}
