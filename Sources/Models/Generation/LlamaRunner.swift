import IR
import Runtime

/// Runs a Llama model's forward and decode graphs through a `Backend`, preparing each graph
/// (one per shape) once and reusing it.
///
/// Not thread-safe: one runner per thread.
public final class LlamaRunner {
  public let config: LlamaConfig
  /// Weights by Hugging Face name.
  public let weights: [String: HostTensor]
  public let backend: any Backend
  private var prepared: [GraphKey: any GraphExecutable] = [:]

  /// Which graph, at which shape.
  public enum GraphKey: Hashable, Sendable {
    case forward(batch: Int, tokens: Int, withCache: Bool, lastOnly: Bool)
    case decode(batch: Int, cacheLength: Int)
  }

  public init(
    config: LlamaConfig, weights: [String: HostTensor], backend: any Backend = InterpreterBackend()
  ) {
    self.config = config
    self.weights = weights
    self.backend = backend
  }

  /// A runner for a loaded model.
  public convenience init(_ model: LoadedLanguageModel, backend: any Backend = InterpreterBackend())
  {
    self.init(config: model.config, weights: model.weights, backend: backend)
  }

  /// The graphs prepared so far.
  public var preparedGraphs: [GraphKey] { Array(prepared.keys) }

  /// The executable for `key`, building and preparing its graph on first use.
  public func executable(_ key: GraphKey) throws -> any GraphExecutable {
    if let e = prepared[key] { return e }
    let llama = Llama(config)
    let graph: Graph
    switch key {
    case .forward(let batch, let tokens, let withCache, let lastOnly):
      graph = try llama.forwardGraph(
        batch: batch, tokens: tokens, withCache: withCache, lastOnly: lastOnly)
    case .decode(let batch, let cacheLength):
      graph = try llama.decodeGraph(batch: batch, cacheLength: cacheLength)
    }
    let e = try backend.prepare(graph)
    prepared[key] = e
    return e
  }

  /// Runs the graph for `key` on `inputs` plus the weights it takes.
  public func run(_ key: GraphKey, _ inputs: [String: HostTensor]) throws -> [String: HostTensor] {
    let e = try executable(key)
    var all = inputs
    for p in e.graph.parameters where all[p.name] == nil {
      guard let w = weights[p.name] else {
        throw GenerationError(
          "graph @\(e.graph.name) needs '\(p.name)', which is neither an input nor a weight")
      }
      all[p.name] = w
    }
    return try e.run(all)
  }

  /// The forward graph on a left-padded batch: `logits` `[B, T, V]` (`[B, 1, V]` with
  /// `lastOnly`) and, with `withCache`, each layer's `key_L` / `value_L`.
  public func forward(_ batch: PaddedBatch, withCache: Bool = false, lastOnly: Bool = false) throws
    -> [String: HostTensor]
  {
    try run(
      .forward(batch: batch.rows, tokens: batch.length, withCache: withCache, lastOnly: lastOnly),
      try batch.inputs())
  }

  /// One decoding step: each row's new token and its position, with the cache's contents;
  /// returns `logits` `[B, 1, V]` and the new token's `key_L` / `value_L`.
  public func decode(tokens: [Int32], positions: [Int32], cache: KeyValueCache) throws
    -> [String: HostTensor]
  {
    var inputs = try cache.inputs()
    inputs["tokens"] = try HostTensor(shape: [cache.batch, 1], tokens)
    inputs["positions"] = try HostTensor(shape: [cache.batch, 1], positions)
    return try run(.decode(batch: cache.batch, cacheLength: cache.slots), inputs)
  }
}
