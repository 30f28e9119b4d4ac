import ArgumentParser
import Models
import Runtime
import Safety

/// The judge's encoder: which model turns answers into the heads' features.
struct JudgeEncoderOptions: ParsableArguments {
  @Option(
    help: """
      The judge's encoder: minilm (all-MiniLM-L6-v2 sentence embeddings) or smollm2 \
      (SmolLM2-135M-Instruct asked a moderation question: its hidden states feed the heads).
      """)
  var encoder: String = JudgeEncoderOptions.defaultEncoder
  @Option(help: "The encoder's model directory or file (default: the cached model).")
  var modelDir: String?
  @Option(help: "Tokens per encoded text (default: 128 for minilm, 320 for smollm2).")
  var maxTokens: Int?
  @Option(help: "Texts per encoder batch (default: 16 for minilm, 8 for smollm2).")
  var batchSize: Int?

  /// The encoder the judge uses unless told otherwise (chosen by measurement, docs/judge.md).
  static let defaultEncoder = "minilm"
  static let choices = ["minilm", "smollm2"]

  func validate() throws {
    guard Self.choices.contains(encoder) else {
      throw ValidationError("--encoder must be one of \(Self.choices), got '\(encoder)'")
    }
    if let maxTokens, maxTokens < 2 { throw ValidationError("--max-tokens must be at least 2") }
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be positive") }
  }

  /// The encoder, its weights loaded from `modelDir` or the model store.
  func make(store: ModelStore, backend: any Backend) throws -> any TextEncoder {
    try Self.make(
      encoder, modelDir: modelDir, maxTokens: maxTokens, batchSize: batchSize, store: store,
      backend: backend)
  }

  /// The encoder called `name` (defaults for nil settings).
  static func make(
    _ name: String, modelDir: String?, maxTokens: Int?, batchSize: Int?, store: ModelStore,
    backend: any Backend
  ) throws -> any TextEncoder {
    guard choices.contains(name) else {
      throw ValidationError("the judge's encoder must be one of \(choices), got '\(name)'")
    }
    switch name {
    case "smollm2":
      let model = try failing { () throws(ModelError) in
        try store.loadLanguageModel(ModelReference(modelDir ?? "smollm2"))
      }
      return try VerdictEncoder(
        model: model, backend: backend, maxTokens: maxTokens ?? 320, batchSize: batchSize ?? 8)
    default:
      let directory =
        try modelDir
        ?? failing { () throws(ModelError) in try store.locate(ModelReference("minilm")) }.path
      return try SentenceEmbedder(
        miniLMDirectory: directory, backend: backend, maxTokens: maxTokens ?? 128,
        batchSize: batchSize ?? 16)
    }
  }
}
