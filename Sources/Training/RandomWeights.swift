import IR
import Models
import Runtime

extension Llama {
  /// Seeded random weights: N(0, std²) for matrices and embeddings, ones for norm weights.
  public func randomWeights(seed: UInt64, standardDeviation: Double = 0.02) throws -> [String:
    HostTensor]
  {
    let (graph, names) = try trainingGraph(batch: 1, tokens: 2)
    var g = SeededRandom(seed: seed)
    var out: [String: HostTensor] = [:]
    for name in names {
      guard let p = graph.parameter(named: name) else { continue }
      try MemoryLimit.processDefault.check(p.type, for: "weight '\(name)'")
      let values: [Float] =
        p.type.rank == 1
        ? Array(repeating: 1, count: p.type.count)
        : (0..<p.type.count).map { _ in Float(g.normal() * standardDeviation) }
      out[name] = try HostTensor(shape: p.type.shape, values)
    }
    return out
  }
}
