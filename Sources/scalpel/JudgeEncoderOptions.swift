import ArgumentParser
import Data
import Models
import Runtime
import Safety

/// The judge's encoder: which model turns answers into the heads' features.
struct JudgeEncoderOptions: ParsableArguments {
  @Option(
    help: """
      The judge's encoder: minilm (all-MiniLM-L6-v2 sentence embeddings), smollm2 \
      (SmolLM2-135M-Instruct asked a moderation question: its hidden states feed the heads) or \
      minilm+smollm2 (both, concatenated).
      """)
  var encoder: String = JudgeEncoderOptions.defaultEncoder
  @Option(help: "The encoder's model directory or file (default: the cached model).")
  var modelDir: String?
  @Option(help: "Tokens per encoded text (default: 128 for minilm, 320 for smollm2).")
  var maxTokens: Int?
  @Option(help: "Texts per encoder batch (default: 16 for minilm, 8 for smollm2).")
  var batchSize: Int?

  /// The encoder the judge uses unless told otherwise (chosen by measurement, docs/judge.md).
  static let defaultEncoder = "smollm2"
  static let choices = ["minilm", "smollm2", "minilm+smollm2"]

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

  /// Where the judge made with encoder `name` keeps its heads and embedding cache by default.
  static func cacheDirectory(_ name: String, store: ModelStore) -> String {
    store.cacheDirectory + "/judge/" + name
  }

  /// The trained judge committed with the data for encoder `name`
  /// (`data/judge/trained/NAME`, data/README.md), used when its fingerprint matches; it was
  /// trained with the default models, so not with another `--model-dir`.
  static func shippedDirectory(
    _ name: String, data: DataDirectory, modelDir: String? = nil
  ) -> String? {
    modelDir == nil ? data.path("judge/trained/" + name) : nil
  }

  /// The encoder called `name` (defaults for nil settings; `modelDir`, `maxTokens` and
  /// `batchSize` apply to a single encoder only).
  static func make(
    _ name: String, modelDir: String?, maxTokens: Int?, batchSize: Int?, store: ModelStore,
    backend: any Backend, reusing loaded: LoadedLanguageModel? = nil
  ) throws -> any TextEncoder {
    guard choices.contains(name) else {
      throw ValidationError("the judge's encoder must be one of \(choices), got '\(name)'")
    }
    switch name {
    case "minilm+smollm2":
      let parts = try ["minilm", "smollm2"].map { part in
        let e = try make(
          part, modelDir: nil, maxTokens: nil, batchSize: nil, store: store, backend: backend,
          reusing: loaded)
        let file = cacheDirectory(part, store: store) + "/" + JudgeStore.embeddingFile
        let cache: EmbeddingCache? = EmbeddingCache(path: file, dimension: e.dimension)
        return (encoder: e, cache: cache)
      }
      return try ConcatenatedEncoder(parts)
    case "smollm2":
      // The experiment's own model when it is this one: its weights are not loaded twice.
      let model = try failing { () throws(ModelError) in
        let location = try store.locate(ModelReference(modelDir ?? "smollm2"))
        if let loaded, loaded.location.path == location.path { return loaded }
        return try LoadedLanguageModel(location)
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
