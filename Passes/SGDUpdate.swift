import IR

/// `sgd{lr=0.01}`: appends a plain gradient-descent step to a differentiated graph.
///
/// For every result `grad_P` whose `P` is a parameter, replaces it by a result
/// `next_P = P − lr · grad_P`, so one run of the graph is one training step (feed `next_P`
/// back as `P`; run `grad` alone to see the gradients). With `lr=input` the rate is a new
/// scalar parameter `learning_rate` (the first updated parameter's dtype), so a schedule can
/// change it per step without recompiling.
///
/// - Requires: results `grad_P` (from `grad`) with the parameter's type.
/// - Establishes: the other results, then `next_P` (and the `learning_rate` input); no
///   `grad_P` results.
/// - Idempotent: no (the `next_P` results would exist twice: an error).
public struct SGDUpdate: Pass, Sendable {
  public let name = "sgd"
  /// The fixed rate, or nil for a `learning_rate` input.
  public var learningRate: Double?

  public init(learningRate: Double) { self.learningRate = learningRate }

  /// A step whose rate is the scalar graph input `learning_rate`.
  public static var learningRateInput: SGDUpdate {
    var s = SGDUpdate(learningRate: 0)
    s.learningRate = nil
    return s
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    let updates = graph.parameterGradients
    guard !updates.isEmpty else {
      throw PassError("sgd: the graph has no grad_P results; run 'grad' first")
    }
    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: "sgd", line: 0)
    var rate: Value?
    if learningRate == nil {
      guard graph.parameter(named: "learning_rate") == nil else {
        throw PassError("sgd: the graph already has a parameter 'learning_rate'")
      }
      rate = b.parameter("learning_rate", .scalar(updates[0].0.type.dtype), role: .input)
    }
    var results = graph.results.filter { graph.differentiatedParameter($0) == nil }
    for (p, grad) in updates {
      guard graph.result(named: "next_\(p.name)") == nil else {
        throw PassError("sgd: the graph already has a result 'next_\(p.name)'")
      }
      let lr: Value
      if let rate {
        lr = b.type(rate).dtype == p.type.dtype ? rate : b.cast(rate, to: p.type.dtype)
      } else {
        lr = b.constant(learningRate ?? 0, p.type)
      }
      let step = b.mul(grad, lr)
      results.append(GraphResult(name: "next_\(p.name)", value: b.sub(p.value, step)))
    }
    if let problem = b.diagnostics.first { throw PassError("sgd: \(problem)") }
    graph = b.graph
    graph.results = results
    context.count("sgd.updates", by: updates.count)
    return true
  }
}
