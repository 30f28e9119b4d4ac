import Foundation

/// Resolves model references to files: known names in a cache directory (fetched with
/// `scripts/fetch-models` when missing), or paths to `.gguf` files and model directories.
///
/// Configuration only: the caller chooses the cache directory (the command line passes
/// `CacheLocation.root()`: `${SCALPEL_CACHE:-~/.cache/scalpel}`) and the fetch script, if one is
/// available.
public struct ModelStore: Sendable {
  /// The cache root; known models live in `cacheDirectory/models/NAME/`.
  public var cacheDirectory: String
  /// `scripts/fetch-models` of a Scalpel checkout, run for a missing known model; nil to only
  /// say which command to run.
  public var fetchScript: String?

  public init(cacheDirectory: String, fetchScript: String? = nil) {
    self.cacheDirectory = cacheDirectory
    self.fetchScript = fetchScript
  }

  /// The directory a known model is fetched into.
  public func directory(of model: KnownModel) -> String {
    cacheDirectory + "/models/" + model.name
  }

  /// The command that fetches `model` into this cache.
  public func fetchCommand(for model: KnownModel) -> String {
    "SCALPEL_CACHE=\(cacheDirectory) \(fetchScript ?? "scripts/fetch-models") \(model.name)"
  }

  /// Where `reference` is on disk, fetching a known model first if it is missing.
  ///
  /// Fetching runs `fetchScript` with `SCALPEL_CACHE` set to `cacheDirectory`; its output goes to
  /// standard error. Without a script, a missing model is an error naming the command to run.
  public func locate(_ reference: ModelReference) throws(ModelError) -> ModelLocation {
    switch reference {
    case .path(let path):
      if !FileManager.default.fileExists(atPath: path), !path.contains("/"),
        !path.contains(".")
      {
        throw ModelError(
          "unknown model '\(path)': known names are "
            + KnownModel.all.map(\.name).joined(separator: ", ")
            + "; otherwise give a path to a .gguf file or a model directory")
      }
      return try ModelLocation.detect(path)
    case .known(let model):
      let directory = directory(of: model)
      let primary = directory + "/" + model.primaryFile
      if !FileManager.default.fileExists(atPath: primary) { try fetch(model) }
      return ModelLocation(
        format: model.isDirectory ? .directory : .gguf,
        path: model.isDirectory ? directory : primary)
    }
  }

  /// Runs the fetch script for `model`; throws if there is none, it fails, or the file is
  /// still missing afterwards.
  public func fetch(_ model: KnownModel) throws(ModelError) {
    let primary = directory(of: model) + "/" + model.primaryFile
    guard let script = fetchScript, FileManager.default.isExecutableFile(atPath: script) else {
      throw ModelError(
        "model '\(model.name)' is not in the cache (\(primary) is missing); fetch it with: "
          + fetchCommand(for: model))
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: script)
    process.arguments = [model.name]
    var environment = ProcessInfo.processInfo.environment
    environment["SCALPEL_CACHE"] = cacheDirectory
    process.environment = environment
    process.standardOutput = FileHandle.standardError
    do {
      try process.run()
    } catch {
      throw ModelError("cannot run \(script): \(error)")
    }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ModelError(
        "\(fetchCommand(for: model)) failed with status \(process.terminationStatus)")
    }
    guard FileManager.default.fileExists(atPath: primary) else {
      throw ModelError("\(fetchCommand(for: model)) succeeded but \(primary) is still missing")
    }
  }

  /// Loads a Llama-family language model (configuration, weights, tokenizer, chat template).
  public func loadLanguageModel(
    _ reference: ModelReference, ropeLayout: RotaryLayout = .rotateHalf
  ) throws(ModelError) -> LoadedLanguageModel {
    try LoadedLanguageModel(try locate(reference), ropeLayout: ropeLayout)
  }

  /// Loads only the tokenizer of a model (no weights).
  public func loadTokenizer(_ reference: ModelReference) throws(ModelError) -> TextTokenizer {
    try TextTokenizer(try locate(reference))
  }

  /// The first `scripts/fetch-models` found in `directories` or any of their ancestors.
  public static func findFetchScript(near directories: [String]) -> String? {
    for start in directories {
      var url = URL(fileURLWithPath: start).standardizedFileURL
      while true {
        let candidate = url.appendingPathComponent("scripts/fetch-models").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        let parent = url.deletingLastPathComponent()
        if parent.path == url.path { break }
        url = parent
      }
    }
    return nil
  }
}
