import IR

/// `accumulate-gradients`: turns a differentiated graph into one micro-batch of gradient
/// accumulation, so the running sum lives in graph inputs and outputs rather than in the caller.
///
/// For every result `grad_P` whose `P` is a float parameter:
///
///   next_gradient_sum.P = gradient_sum.P + grad_P
///
/// with `gradient_sum.P` a new input of P's type (zeros before the first micro-batch; each
/// micro-batch's `next_gradient_sum.P` is the next one's `gradient_sum.P`). The `grad_P` results
/// are replaced by the `next_gradient_sum.P` ones; the other results stay.
///
/// - Requires: results `grad_P` (from `grad`) with the parameter's type; no parameter
///   `gradient_sum.P` and no result `next_gradient_sum.P` yet.
/// - Establishes: no `grad_P` results; a `next_gradient_sum.P` result per former one, in order.
/// - Idempotent: no (it needs `grad_P` results, which it removes).
public struct AccumulateGradients: Pass, Sendable, Hashable {
  public let name = "accumulate-gradients"

  public init() {}

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    graph = try apply(to: graph)
    context.count(
      "accumulate-gradients.sums",
      by: graph.results.filter { $0.name.hasPrefix("next_gradient_sum.") }.count)
    return true
  }

  /// The graph with the sum inputs, additions and results.
  public func apply(to graph: Graph) throws(PassError) -> Graph {
    let types = graph.valueTypes()
    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: "accumulate-gradients", line: 0)
    var results: [GraphResult] = []
    var sums = 0
    for r in graph.results {
      guard let p = graph.differentiatedParameter(r) else {
        results.append(r)
        continue
      }
      try graph.checkGradient(r.value, of: p, types: types, pass: "accumulate-gradients")
      let sumName = "gradient_sum.\(p.name)"
      guard graph.parameter(named: sumName) == nil,
        graph.result(named: "next_\(sumName)") == nil
      else {
        throw PassError("accumulate-gradients: the graph already has '\(sumName)'")
      }
      let sum = b.parameter(sumName, p.type, role: .input)
      results.append(GraphResult(name: "next_\(sumName)", value: b.add(sum, r.value)))
      sums += 1
    }
    guard sums > 0 else {
      throw PassError("accumulate-gradients: the graph has no grad_P results; run 'grad' first")
    }
    if let problem = b.diagnostics.first { throw PassError("accumulate-gradients: \(problem)") }
    var out = b.graph
    out.results = results
    return out
  }
}
