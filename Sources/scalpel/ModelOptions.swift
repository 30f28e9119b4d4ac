import ArgumentParser
import Foundation
import Models
import Runtime

/// `--model` and `--backend`, shared by the model commands.
struct ModelOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "A known model (smollm2, minilm), a .gguf file or a model directory.",
      discussion: "Known models are fetched into ${SCALPEL_CACHE:-~/.cache/scalpel}/models/."))
  var model: String = "smollm2"

  @Option(help: "Where graphs run: jit or interpreter.") var backend: String = "jit"
  @Option(help: "Threads for the JIT (default: all cores).") var threads: Int?
  @OptionGroup var memory: MemoryOptions

  /// The store over `${SCALPEL_CACHE:-~/.cache/scalpel}`, with the checkout's fetch script if
  /// this binary sits in one (or the current directory is one).
  static func store() -> ModelStore {
    let cache = CacheLocation.root()
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let script = ModelStore.findFetchScript(
      near: [executable.deletingLastPathComponent().path, FileManager.default.currentDirectoryPath])
    return ModelStore(cacheDirectory: cache, fetchScript: script)
  }

  var reference: ModelReference { ModelReference(model) }

  func loadLanguageModel() throws -> LoadedLanguageModel {
    try failing { () throws(ModelError) in try Self.store().loadLanguageModel(reference) }
  }

  func selectedBackend() throws -> any Backend {
    try Self.backend(named: backend, threads: threads)
  }

  static func backend(named name: String, threads: Int? = nil) throws -> any Backend {
    guard let choice = BackendChoice(rawValue: name) else {
      throw ValidationError("unknown backend '\(name)'; available: interpreter, jit")
    }
    return try choice.make(threads: threads)
  }
}

/// A command failure shown as one line on standard error (ArgumentParser adds `Error: `).
struct CommandFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Runs `body`, turning model, generation and runtime errors into one-line failures.
func failing<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as ModelError {
    var text = error.file.map { "\($0): " } ?? ""
    if let tensor = error.tensor { text += "tensor '\(tensor)': " }
    if let key = error.key { text += "key '\(key)': " }
    throw CommandFailure(text + error.message)
  } catch let error as GenerationError {
    throw CommandFailure(error.message)
  } catch let error as RuntimeError {
    throw CommandFailure(error.description)
  }
}

/// The prompt text: the message alone, or in the model's chat template with `--chat`.
func promptText(_ text: String, chat: Bool, system: String?, model: LoadedLanguageModel) throws
  -> String
{
  if !chat {
    guard system == nil else { throw ValidationError("--system needs --chat") }
    return text
  }
  guard let template = model.chatTemplate else {
    throw CommandFailure(
      "\(model.location.path): this model has no chat template (no ChatML tokens)")
  }
  return template.prompt(text, system: system.map { .custom($0) } ?? .standard)
}

/// Peak resident set size of this process, in MiB.
func peakResidentMiB() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
}

/// Writes `text` to standard output immediately (no buffering).
func emit(_ text: String) {
  FileHandle.standardOutput.write(Data(text.utf8))
}

/// A JSON line of `object` with sorted keys.
func jsonText(_ object: Any) throws -> String {
  let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  return String(decoding: data, as: UTF8.self)
}

/// Seconds elapsed in a `ContinuousClock` duration.
func seconds(_ d: Duration) -> Double { d.inSeconds }
