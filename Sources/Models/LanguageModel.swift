import Foundation
import IR
import Runtime

/// A causal language model the training stack can train, analyse, defend and save: its
/// configuration, its graphs built from token ids, and its initial weights.
///
/// The weights are the graphs' parameters with role `weight` (names, shapes); everything else a
/// graph takes is an input. Conform a struct holding the configuration, build the graphs with
/// `ModelBuilder` and the layers (`Linear`, `SelfAttention`, …), and register the type with
/// `ModelRegistry.register` so checkpoints of it load back.
public protocol LanguageModel: Sendable {
  /// `config.json`'s `model_type`: the key checkpoints are loaded back by.
  static var modelType: String { get }
  /// The model described by a `config.json` object (`file` names it in errors).
  init(configJSON: [String: Any], file: String) throws(ModelError)
  /// The `config.json` object, `model_type` included.
  func configJSON() throws(ModelError) -> [String: Any]
  /// Token ids run from 0 to `vocabulary - 1`.
  var vocabulary: Int { get }
  /// Problems that would make the graphs ill-formed, as sentences (empty: none).
  func problems() -> [String]
  /// The training graph: inputs `tokens` and `labels` (i32 `[B, T]`), `loss_mask` (`[B, T]`, 1
  /// where a position counts) and the weights; result `loss`, the mean token cross-entropy over
  /// counted positions. Rows are right-padded.
  func trainingGraph(batch: Int, tokens: Int) throws -> Graph
  /// The forward graph: input `tokens` and any of `attention_mask` (i32 `[B, T]`, 1 = real
  /// token) and `positions` (i32 `[B, T]`), and the weights; result `logits` `[B, T, V]`.
  func forwardGraph(batch: Int, tokens: Int) throws -> Graph
  /// Seeded initial weights for every weight of the training graph.
  func initialWeights(seed: UInt64) throws -> [String: HostTensor]
}

extension LanguageModel {
  public func problems() -> [String] { [] }

  /// `modelType` of the instance's type.
  public var modelType: String { Self.modelType }

  /// N(0, 0.02²) for matrices and embeddings; for vectors, 0 when the name ends in `bias`, else
  /// 1 (norm scales). Override for another scheme.
  public func initialWeights(seed: UInt64) throws -> [String: HostTensor] {
    try standardInitialWeights(seed: seed, standardDeviation: 0.02)
  }

  /// The default scheme of `initialWeights` with another standard deviation.
  public func standardInitialWeights(seed: UInt64, standardDeviation: Double) throws -> [String:
    HostTensor]
  {
    let graph = try trainingGraph(batch: 1, tokens: 2)
    var g = SeededRandom(seed: seed)
    var out: [String: HostTensor] = [:]
    for p in graph.weights {
      try MemoryLimit.processDefault.check(p.type, for: "weight '\(p.name)'")
      let values: [Float]
      if p.type.rank > 1 {
        values = (0..<p.type.count).map { _ in Float(g.normal() * standardDeviation) }
      } else {
        values = Array(repeating: p.name.hasSuffix("bias") ? 0 : 1, count: p.type.count)
      }
      out[p.name] = try HostTensor(shape: p.type.shape, values)
    }
    return out
  }
}

/// The model types checkpoints can be loaded back as, by `config.json`'s `model_type`.
///
/// Llama is registered from the start; a program with its own architecture registers it once,
/// before loading: `ModelRegistry.register(GPT2.self)`.
public enum ModelRegistry {
  private final class Table: @unchecked Sendable {
    let lock = NSLock()
    var types: [String: any LanguageModel.Type] = [Llama.modelType: Llama.self]
  }
  private static let table = Table()

  /// Makes `type` loadable (a second registration of the same `modelType` replaces the first).
  public static func register(_ type: any LanguageModel.Type) {
    table.lock.withLock { table.types[type.modelType] = type }
  }

  /// The registered model types.
  public static var modelTypes: [String] {
    table.lock.withLock { table.types.keys.sorted() }
  }

  /// The model a `config.json` object describes.
  public static func model(configJSON: [String: Any], file: String) throws(ModelError)
    -> any LanguageModel
  {
    guard let name = configJSON["model_type"] as? String else {
      throw ModelError("missing string", file: file, key: "model_type")
    }
    guard let type = table.lock.withLock({ table.types[name] }) else {
      throw ModelError(
        "model_type '\(name)' is not registered (known: \(modelTypes.joined(separator: ", "))); "
          + "a program defining it calls ModelRegistry.register first", file: file,
        key: "model_type")
    }
    return try type.init(configJSON: configJSON, file: file)
  }

  /// The model described by the `config.json` file at `path`.
  public static func model(configFile path: String) throws(ModelError) -> any LanguageModel {
    try model(configJSON: try readJSONObject(path), file: path)
  }
}
