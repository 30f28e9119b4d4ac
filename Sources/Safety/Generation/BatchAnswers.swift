import Data
import Foundation
import Models
import Runtime

/// Answers many prompts with one model: greedy decoding with the KV cache, `batch` prompts
/// per `TextGenerator` call (left-padded), up to `maxNewTokens` each. `scalpel generate --in`
/// and the experiment's generation step both call it.
public struct BatchAnswers {
  public var model: LoadedLanguageModel
  public var generator: TextGenerator
  /// How each prompt is wrapped before tokenizing (nil: the raw text).
  public var template: ChatTemplate?
  public var system: ChatTemplate.SystemPrompt
  public var maxNewTokens: Int
  public var batch: Int

  public init(
    model: LoadedLanguageModel, backend: any Backend, template: ChatTemplate?,
    system: ChatTemplate.SystemPrompt = .standard, maxNewTokens: Int = 128, batch: Int = 8
  ) {
    self.model = model
    self.generator = TextGenerator(model, backend: backend)
    self.template = template
    self.system = system
    self.maxNewTokens = maxNewTokens
    self.batch = batch
  }

  /// The answers, in the order of `prompts`; `progress(done, total)` after every batch.
  public func answers(_ prompts: [String], progress: (Int, Int) -> Void = { _, _ in }) throws
    -> [String]
  {
    guard maxNewTokens >= 1 else {
      throw SafetyError("the answers need at least 1 new token, got \(maxNewTokens)")
    }
    guard batch >= 1 else { throw SafetyError("the batch must hold at least 1 prompt") }
    var out: [String] = []
    out.reserveCapacity(prompts.count)
    progress(0, prompts.count)
    for start in stride(from: 0, to: prompts.count, by: batch) {
      let chunk = prompts[start..<min(start + batch, prompts.count)]
      let ids = chunk.map { model.tokenizer.encode(template?.prompt($0, system: system) ?? $0) }
      let options = GenerationOptions(
        maxNewTokens: maxNewTokens, stopTokenIds: model.stopTokenIds)
      for g in try generator.generate(ids, options: options) {
        out.append(try model.tokenizer.decode(g.tokens, skipSpecialTokens: true))
      }
      progress(out.count, prompts.count)
    }
    return out
  }

  /// The `prompt` of every line of a JSON Lines file; errors name the file and line.
  public static func readPrompts(_ path: String) throws(SafetyError) -> [String] {
    try loading { () throws(DataError) in
      try JSONFile.lines(path).map { (r: JSONRecord) throws(DataError) in try r.string("prompt") }
    }
  }

  /// Writes `{"prompt", "response"}` lines atomically.
  public static func write(prompts: [String], answers: [String], to path: String)
    throws(SafetyError)
  {
    guard prompts.count == answers.count else {
      throw SafetyError("\(prompts.count) prompts but \(answers.count) answers")
    }
    try JSONLines.write(
      zip(prompts, answers).map { ["prompt": $0, "response": $1] as [String: Any] }, to: path)
  }
}

/// JSON Lines output: one compact object per line, keys sorted, written atomically.
public enum JSONLines {
  /// Writes `objects` to `path` (directories created).
  public static func write(_ objects: [[String: Any]], to path: String) throws(SafetyError) {
    var text = ""
    for object in objects {
      guard
        let data = try? JSONSerialization.data(
          withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      else { throw SafetyError("cannot encode a JSON line for \(path)") }
      text += String(decoding: data, as: UTF8.self) + "\n"
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw SafetyError("cannot create \(directory): \(error)")
    }
    try AtomicFile.write(text: text, to: path)
  }
}
