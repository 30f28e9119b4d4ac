/// A model known by a short name: what `scripts/fetch-models NAME` puts in `CACHE/models/NAME/`.
public struct KnownModel: Sendable, Hashable {
  /// The short name (`smollm2`).
  public var name: String
  /// The file (or, for a directory model, the weights file) the model is located by.
  public var primaryFile: String
  /// Whether the model is the directory holding `primaryFile` (config, weights, tokenizer)
  /// rather than the file itself.
  public var isDirectory: Bool
  /// A one-line description for help texts.
  public var summary: String

  public init(name: String, primaryFile: String, isDirectory: Bool, summary: String) {
    self.name = name
    self.primaryFile = primaryFile
    self.isDirectory = isDirectory
    self.summary = summary
  }

  /// SmolLM2-135M-Instruct, GGUF Q4_1: the default causal language model.
  public static let smolLM2 = KnownModel(
    name: "smollm2", primaryFile: "SmolLM2-135M-Instruct.Q4_1.gguf", isDirectory: false,
    summary: "SmolLM2-135M-Instruct (GGUF Q4_1, Llama architecture)")
  /// all-MiniLM-L6-v2: the sentence encoder of the harmfulness judge.
  public static let miniLM = KnownModel(
    name: "minilm", primaryFile: "model.safetensors", isDirectory: true,
    summary: "all-MiniLM-L6-v2 (safetensors, BERT encoder)")

  /// Every model `scripts/fetch-models` knows.
  public static let all: [KnownModel] = [.smolLM2, .miniLM]

  /// The known model called `name` (case-insensitive), or nil.
  public static func named(_ name: String) -> KnownModel? {
    all.first { $0.name == name.lowercased() }
  }
}

/// What a user asks for: a known model name or a path to a model file or directory.
///
/// A path may be a `.gguf` file, a Hugging Face directory (`config.json`, `model.safetensors`,
/// `tokenizer.json`) or a Scalpel checkpoint directory (the same layout; see `ScalpelCheckpoint`).
public enum ModelReference: Sendable, Hashable, CustomStringConvertible {
  /// A model fetched into the cache by name.
  case known(KnownModel)
  /// A file or directory on disk.
  case path(String)

  /// `smollm2` and `minilm` name known models; anything else is a path.
  public init(_ text: String) {
    if let model = KnownModel.named(text) {
      self = .known(model)
    } else {
      self = .path(text)
    }
  }

  public var description: String {
    switch self {
    case .known(let model): model.name
    case .path(let path): path
    }
  }
}
