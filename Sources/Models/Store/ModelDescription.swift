import Foundation

/// What `scalpel inspect` shows: the architecture, configuration and every stored tensor.
public struct ModelDescription: Sendable, Codable {
  /// One stored tensor: its name in the file, shape (row-major, PyTorch order) and storage type.
  public struct Tensor: Sendable, Codable, Hashable {
    public var name: String
    public var shape: [Int]
    /// `F32`, `Q4_1`, `BF16`, …
    public var type: String
  }

  /// The configuration, by architecture.
  public enum Configuration: Sendable, Codable {
    case llama(LlamaConfig)
    case bert(BertConfig)

    /// Decodes whichever configuration the object holds (Llama first).
    public init(from decoder: any Decoder) throws {
      if let llama = try? LlamaConfig(from: decoder) {
        self = .llama(llama)
      } else {
        self = .bert(try BertConfig(from: decoder))
      }
    }

    /// Encodes the configuration itself, without a wrapping key.
    public func encode(to encoder: any Encoder) throws {
      switch self {
      case .llama(let c): try c.encode(to: encoder)
      case .bert(let c): try c.encode(to: encoder)
      }
    }
  }

  public var path: String
  public var format: ModelFormat
  /// `llama` or `bert`.
  public var architecture: String
  public var configuration: Configuration
  public var tensors: [Tensor]
  /// The total number of stored elements.
  public var parameterCount: Int
  /// The tokenizer kind and vocabulary size, when the model has a tokenizer.
  public var tokenizer: String?

  /// Describes the model at `location` without loading its weights.
  public init(_ location: ModelLocation) throws(ModelError) {
    path = location.path
    format = location.format
    switch location.format {
    case .gguf:
      let gguf = try GGUFFile(path: location.path)
      architecture = gguf.architecture ?? "unknown"
      configuration = .llama(try LlamaCheckpoint.config(gguf))
      tensors = gguf.tensors.map { Tensor(name: $0.name, shape: $0.shape, type: $0.type.name) }
    case .directory:
      let configPath = location.file("config.json")
      let json = try readJSONObject(configPath)
      let type = (json["model_type"] as? String) ?? "llama"
      switch type {
      case "llama": configuration = .llama(try LlamaCheckpoint.config(huggingFaceJSON: configPath))
      case "bert": configuration = .bert(try BertConfig(huggingFaceJSON: configPath))
      default:
        throw ModelError(
          "model_type '\(type)' is not supported (llama, bert)", file: configPath, key: "model_type"
        )
      }
      architecture = type
      let file = try SafetensorsFile(path: location.file("model.safetensors"))
      tensors = file.tensors.sorted { $0.name < $1.name }.map {
        Tensor(name: $0.name, shape: $0.shape, type: $0.dtype)
      }
    }
    parameterCount = tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
    if let t = try? TextTokenizer(location) {
      tokenizer = "\(t.kind), \(t.vocabularySize) tokens"
    }
  }

  /// The configuration as (name, value) lines.
  public var configurationLines: [(String, String)] {
    switch configuration {
    case .llama(let c):
      [
        ("vocabulary", "\(c.vocabulary)"), ("dimension", "\(c.dimension)"),
        ("layers", "\(c.layers)"), ("heads", "\(c.heads)"), ("kv heads", "\(c.kvHeads)"),
        ("head dimension", "\(c.headDimension)"), ("hidden (FFN)", "\(c.hidden)"),
        ("rope base", "\(c.ropeBase)"), ("rms epsilon", "\(c.rmsEpsilon)"),
        ("tied embeddings", "\(c.tiedEmbeddings)"), ("context length", "\(c.contextLength)"),
      ]
    case .bert(let c):
      [
        ("vocabulary", "\(c.vocabulary)"), ("dimension", "\(c.dimension)"),
        ("layers", "\(c.layers)"), ("heads", "\(c.heads)"), ("hidden (FFN)", "\(c.hidden)"),
        ("max positions", "\(c.maxPositions)"), ("layer norm epsilon", "\(c.layerNormEpsilon)"),
      ]
    }
  }
}
