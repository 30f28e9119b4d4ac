import IR
import Models
import Passes
import Runtime

/// Measures the Surgery sink-divergence penalty of a model without training it.
public enum SinkMeasurement {
  /// `mean_h ReLU(alpha_h(harmful) − alpha_h(safe))` over every head of every layer, for one
  /// harmful and one safe sequence (right-padded to `length`).
  public static func penalty(
    model: LlamaConfig, weights: [String: HostTensor], harmful: EncodedSample, safe: EncodedSample,
    length: Int, sink: Int = 0, backend: any Backend = InterpreterBackend()
  ) throws -> Double {
    let (forward, names) = try Llama(model).trainingGraph(batch: 1, tokens: length)
    var manager = PassManager(passes: [SinkDivergence(lambda: 1, sink: sink), DeadCodeElimination()])
    var graph = try manager.run(forward).graph
    graph.results = graph.results.filter { $0.name == "sink_penalty" }
    var none = PassManager(passes: [DeadCodeElimination()])
    graph = try none.run(graph).graph
    var inputs: [String: HostTensor] = [:]
    for name in names {
      guard let w = weights[name] else { throw TrainingError("the weights lack '\(name)'") }
      inputs[name] = w
    }
    let h = try LanguageModelBatch.sequence(harmful, length: length)
    let s = try LanguageModelBatch.sequence(safe, length: length)
    inputs["harmful_tokens"] = h.tokens
    inputs["harmful_mask"] = h.mask
    inputs["safe_tokens"] = s.tokens
    inputs["safe_mask"] = s.mask
    let needed = Set(graph.parameters.map(\.name))
    inputs = inputs.filter { needed.contains($0.key) }
    for p in graph.parameters where inputs[p.name] == nil { inputs[p.name] = try HostTensor.zeros(p.type) }
    let out = try backend.prepare(graph).run(inputs)
    guard let value = out["sink_penalty"]?.doubles.first else {
      throw TrainingError("the measurement graph returned no sink_penalty")
    }
    return value
  }
}
