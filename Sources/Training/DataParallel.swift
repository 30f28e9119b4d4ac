import IR
import Passes

/// `loss-share`: multiplies the result `loss` by a new f32 scalar input `loss_share`, this
/// rank's share of the global batch's counted tokens, n_r / N.
///
/// Each rank's `loss` is the mean cross-entropy over its own counted tokens, S_r / n_r (the
/// other results, `task_loss` and `sink_penalty`, stay as they are). Scaled by n_r / N it is
/// S_r / N, so the sum over the ranks is the single-process loss S / N, and so is the sum of
/// the ranks' gradients, which `all-reduce-gradients{reduction=sum}` computes. A term every
/// rank computes identically (the replicated Surgery penalty) is weighted by Σ_r n_r / N = 1.
///
/// - Requires: a scalar float result `loss`; no parameter `loss_share`; `grad` not run yet.
/// - Establishes: `loss` is the old loss times `loss_share`.
/// - Idempotent: no (the input would exist twice: an error).
public struct LossShare: Pass, Sendable {
  public let name = "loss-share"

  public init() {}

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    try context.requireNotRun("grad", by: name)
    guard let index = graph.results.firstIndex(where: { $0.name == "loss" }) else {
      throw PassError("\(name): the graph has no result 'loss'")
    }
    guard graph.parameter(named: "loss_share") == nil else {
      throw PassError("\(name): the graph already has a parameter 'loss_share'")
    }
    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: name, line: 0)
    let loss = graph.results[index].value
    let share = b.parameter("loss_share", .scalar(b.type(loss).dtype), role: .input)
    let scaled = b.mul(loss, share)
    if let problem = b.diagnostics.first { throw PassError("\(name): \(problem)") }
    var out = b.graph
    out.results[index].value = scaled
    graph = out
    return true
  }
}
