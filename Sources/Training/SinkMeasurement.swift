import IR
import Models
import Passes
import Runtime

/// Per-head sink values and divergences of a model on harmful and safe samples.
public struct SinkTables: Sendable, Hashable, Codable {
  /// The sink key position.
  public var sink: Int
  /// Harmful and safe samples averaged over.
  public var samples: Int
  /// αₕ per layer and head, for the harmful and the safe samples.
  public var alphaHarmful: [[Double]]
  public var alphaSafe: [[Double]]
  /// dₕ = αₕ(harmful) − αₕ(safe).
  public var divergence: [[Double]]

  public var layers: Int { divergence.count }
  public var heads: Int { divergence.first?.count ?? 0 }
  /// Heads with dₕ > 0.
  public var positiveHeads: Int { divergence.joined().filter { $0 > 0 }.count }
  /// The Surgery penalty: mean over all heads of ReLU(dₕ).
  public var penalty: Double {
    let all = Array(divergence.joined())
    return all.map { max($0, 0) }.reduce(0, +) / Double(max(all.count, 1))
  }
}

/// Measures sink values and the Surgery penalty of a model without training it, through the
/// same `sink-divergence` pass the trainer uses.
public enum SinkMeasurement {
  /// Tables for `harmful` and `safe` samples (the same number of each, right-padded to `length`),
  /// averaged over the samples as the pass does.
  public static func tables(
    model: any LanguageModel, weights: [String: HostTensor], harmful: [EncodedSample],
    safe: [EncodedSample],
    length: Int, sink: Int = 0, backend: any Backend = InterpreterBackend()
  ) throws -> SinkTables {
    guard !harmful.isEmpty, harmful.count == safe.count else {
      throw TrainingError(
        "sink measurement needs as many harmful as safe samples (got \(harmful.count) and \(safe.count))"
      )
    }
    let n = harmful.count
    let forward = try model.trainingGraph(batch: 1, tokens: length)
    var manager = PassManager(passes: [SinkDivergence(lambda: 1, sink: sink, samples: n)])
    var graph = try manager.run(forward).graph
    graph.results = graph.results.filter {
      ["sink_alpha_harmful", "sink_alpha_safe", "sink_divergence"].contains($0.name)
    }
    var cleanup = try PassManager(pipeline: "cse,dce")
    graph = try cleanup.run(graph).graph
    var inputs = try weightInputs(graph, weights)
    (inputs["harmful_tokens"], inputs["harmful_mask"]) = try padded(harmful, length: length)
    (inputs["safe_tokens"], inputs["safe_mask"]) = try padded(safe, length: length)
    // The plain training inputs feed nothing the tables need.
    for p in graph.parameters where inputs[p.name] == nil {
      inputs[p.name] = try HostTensor.zeros(p.type)
    }
    let out = try backend.prepare(graph).run(inputs)
    func table(_ name: String) throws -> [[Double]] {
      guard let t = out[name], t.shape.count == 2 else {
        throw TrainingError("the measurement graph returned no \(name)")
      }
      let values = t.doubles
      return (0..<t.shape[0]).map { Array(values[($0 * t.shape[1])..<(($0 + 1) * t.shape[1])]) }
    }
    return SinkTables(
      sink: sink, samples: n, alphaHarmful: try table("sink_alpha_harmful"),
      alphaSafe: try table("sink_alpha_safe"),
      divergence: try table("sink_divergence"))
  }

  /// Which attention layers and heads the `sink-divergence` pass finds in the model's training
  /// graph, as one line (`SinkDivergence.Attention.summary`).
  public static func attentionSummary(model: any LanguageModel, length: Int) throws -> String {
    try SinkDivergence.attention(in: model.trainingGraph(batch: 1, tokens: length)).summary
  }

  /// The Surgery penalty for one harmful and one safe sequence.
  public static func penalty(
    model: any LanguageModel, weights: [String: HostTensor], harmful: EncodedSample, safe: EncodedSample,
    length: Int, sink: Int = 0, backend: any Backend = InterpreterBackend()
  ) throws -> Double {
    try tables(
      model: model, weights: weights, harmful: [harmful], safe: [safe], length: length, sink: sink,
      backend: backend
    ).penalty
  }

  /// The key position that receives the most attention in aggregate (summed over layers,
  /// heads and real query positions) on a calibration batch: the paper's sink.
  public static func automaticSink(
    model: any LanguageModel, weights: [String: HostTensor], samples: [EncodedSample], length: Int,
    backend: any Backend = InterpreterBackend()
  ) throws -> Int {
    guard !samples.isEmpty else {
      throw TrainingError("the automatic sink needs calibration samples")
    }
    var graph = try model.forwardGraph(batch: samples.count, tokens: length)
    let softmaxes = SinkDivergence.attentionSoftmaxes(in: graph)
    let b = GraphBuilder(continuing: graph)
    // Σ over layers, heads and queries: [N, H, T, S] → per layer [N, S], masked queries only.
    let queryMask = b.parameter(
      "query_mask", TensorType(.f32, [samples.count, 1, length, 1]), role: .input)
    var total: Value?
    for s in softmaxes {
      let masked = b.mul(s.result, queryMask)
      let perKey = b.sum(masked, axes: [0, 1, 2])
      total = total.map { b.add($0, perKey) } ?? perKey
    }
    guard let total else { throw TrainingError("the model has no attention softmax") }
    graph = b.graph
    graph.results = [GraphResult(name: "attention_per_key", value: total)]
    var cleanup = try PassManager(pipeline: "dce")
    graph = try cleanup.run(graph).graph
    var inputs = try weightInputs(graph, weights)
    let (tokens, mask) = try padded(samples, length: length)
    inputs["tokens"] = tokens
    inputs["query_mask"] = try HostTensor(
      TensorType(.f32, [samples.count, 1, length, 1]), doubles: mask.doubles)
    // The optional forward inputs, when the model takes them.
    if graph.parameter(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
    if graph.parameter(named: "positions") != nil {
      inputs["positions"] = try HostTensor(
        shape: [samples.count, length],
        (0..<samples.count).flatMap { _ in (0..<length).map(Int32.init) })
    }
    let out = try backend.prepare(graph).run(inputs)
    guard let perKey = out["attention_per_key"]?.doubles,
      let best = perKey.indices.max(by: { perKey[$0] < perKey[$1] })
    else {
      throw TrainingError("the calibration graph returned no attention")
    }
    return best
  }

  static func weightInputs(_ graph: Graph, _ weights: [String: HostTensor]) throws -> [String:
    HostTensor]
  {
    var inputs: [String: HostTensor] = [:]
    for p in graph.weights {
      if let w = weights[p.name] { inputs[p.name] = w }
    }
    return inputs
  }

  /// Samples as right-padded i32 tokens and masks `[N, length]`.
  static func padded(_ samples: [EncodedSample], length: Int) throws -> (HostTensor, HostTensor) {
    var tokens: [Int32] = []
    var mask: [Int32] = []
    for s in samples {
      let (t, m) = try LanguageModelBatch.sequence(s, length: length)
      tokens += t.array(of: Int32.self) ?? []
      mask += m.array(of: Int32.self) ?? []
    }
    return (
      try HostTensor(shape: [samples.count, length], tokens),
      try HostTensor(shape: [samples.count, length], mask)
    )
  }
}
