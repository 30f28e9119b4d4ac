import ArgumentParser
import Foundation
import Models
import Runtime

/// `scalpel logits`: the next-token logits at every position of a text, as `.npy`.
struct LogitsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logits",
    abstract: "Write the logits at every token of a text as f32 [tokens, vocabulary] .npy.")

  @OptionGroup var model: ModelOptions
  @Option(help: "The text.") var text: String
  @Flag(help: "Wrap the text in the model's chat template (ChatML).") var chat = false
  @Option(help: "The system prompt with --chat (default: the model's).") var system: String?
  @Option(help: "The .npy file to write.") var out: String

  func run() throws {
    let backend = try model.selectedBackend()
    let loaded = try model.loadLanguageModel()
    let ids = loaded.tokenizer.encode(
      try promptText(text, chat: chat, system: system, model: loaded))
    guard !ids.isEmpty else { throw CommandFailure("the text has no tokens") }
    let runner = LlamaRunner(loaded, backend: backend)
    let logits = try failing {
      let batch = try PaddedBatch(leftPadding: [ids])
      guard let t = try runner.forward(batch)["logits"], let values = t.array(of: Float.self) else {
        throw CommandFailure("the forward graph returned no f32 logits")
      }
      return try HostTensor(shape: [ids.count, loaded.config.vocabulary], values)
    }
    try failing { try Npy.write(logits, to: out) }
    print("wrote \(out) \(logits.type)")
  }
}
