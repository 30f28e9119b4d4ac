import ArgumentParser
import Models

/// `scalpel tokenize`: the token ids of a text, as a JSON list.
struct TokenizeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tokenize",
    abstract: "Print the token ids of a text as a JSON list (loads only the tokenizer).")

  @Option(help: "A known model (smollm2, minilm), a .gguf file or a model directory.")
  var model: String = "smollm2"
  @Option(help: "The text to tokenize.") var text: String

  func run() throws {
    let tokenizer = try failing { () throws(ModelError) in
      try ModelOptions.store().loadTokenizer(ModelReference(model))
    }
    print("[" + tokenizer.encode(text).map(String.init).joined(separator: ", ") + "]")
  }
}
