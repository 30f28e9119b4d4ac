import Foundation
import Models

/// Reads the fields of a `config.json` object, with errors naming the file and the key.
struct ConfigFields {
  var object: [String: Any]
  var file: String

  /// A positive integer field.
  func int(_ key: String) throws(ModelError) -> Int {
    guard let value = object[key] as? Int else {
      throw ModelError("expected an integer", file: file, key: key)
    }
    return value
  }

  /// A number field, or `fallback` when absent.
  func double(_ key: String, default fallback: Double) throws(ModelError) -> Double {
    guard let raw = object[key] else { return fallback }
    guard let value = raw as? Double else {
      throw ModelError("expected a number", file: file, key: key)
    }
    return value
  }

  /// An integer field that may be absent or null.
  func optionalInt(_ key: String) throws(ModelError) -> Int? {
    guard let raw = object[key], !(raw is NSNull) else { return nil }
    guard let value = raw as? Int else {
      throw ModelError("expected an integer or null", file: file, key: key)
    }
    return value
  }

  /// Throws the first of `problems` as an error about the file.
  func check(_ problems: [String]) throws(ModelError) {
    if let problem = problems.first {
      throw ModelError("inconsistent configuration: \(problem)", file: file)
    }
  }
}

extension GPT2 {
  /// `config.json`'s `model_type`.
  public static let modelType = "example-gpt2"

  /// Reads the sizes from a `config.json` object (GPT-2's key names).
  public init(configJSON object: [String: Any], file: String) throws(ModelError) {
    let c = ConfigFields(object: object, file: file)
    self.init(
      GPT2Config(
        vocabulary: try c.int("vocab_size"), dimension: try c.int("hidden_size"),
        layers: try c.int("num_hidden_layers"), heads: try c.int("num_attention_heads"),
        hidden: try c.int("intermediate_size"), contextLength: try c.int("max_position_embeddings"),
        layerNormEpsilon: try c.double("layer_norm_epsilon", default: 1e-5)))
    try c.check(config.problems())
  }

  /// The `config.json` object, `model_type` included.
  public func configJSON() -> [String: Any] {
    [
      "model_type": Self.modelType, "vocab_size": config.vocabulary,
      "hidden_size": config.dimension, "num_hidden_layers": config.layers,
      "num_attention_heads": config.heads, "intermediate_size": config.hidden,
      "max_position_embeddings": config.contextLength,
      "layer_norm_epsilon": config.layerNormEpsilon, "tie_word_embeddings": true,
    ]
  }

  public var vocabulary: Int { config.vocabulary }
}

extension ALiBiDecoder {
  /// `config.json`'s `model_type`.
  public static let modelType = "example-alibi"

  /// Reads the sizes from a `config.json` object (`sliding_window` absent or null: none).
  public init(configJSON object: [String: Any], file: String) throws(ModelError) {
    let c = ConfigFields(object: object, file: file)
    self.init(
      ALiBiConfig(
        vocabulary: try c.int("vocab_size"), dimension: try c.int("hidden_size"),
        layers: try c.int("num_hidden_layers"), heads: try c.int("num_attention_heads"),
        hidden: try c.int("intermediate_size"), window: try c.optionalInt("sliding_window"),
        rmsEpsilon: try c.double("rms_norm_eps", default: 1e-5)))
    try c.check(config.problems())
  }

  /// The `config.json` object, `model_type` included.
  public func configJSON() -> [String: Any] {
    var out: [String: Any] = [
      "model_type": Self.modelType, "vocab_size": config.vocabulary,
      "hidden_size": config.dimension, "num_hidden_layers": config.layers,
      "num_attention_heads": config.heads, "intermediate_size": config.hidden,
      "rms_norm_eps": config.rmsEpsilon,
    ]
    out["sliding_window"] = config.window ?? NSNull()
    return out
  }

  public var vocabulary: Int { config.vocabulary }
}
