import IR

/// `proximal{rho=1 weights=… loss=loss}`: a proximal term pulling the weights towards anchors,
/// as a graph rewrite (Lisa's alternating phases use it with the other phase's final weights).
///
/// For every weight `P` (every float parameter with role `weight`, or those listed) it adds an
/// input `anchor.P` of `P`'s type and rewrites the loss:
///
///   penalty = Σ_P Σᵢ (P[i] − anchor.P[i])²
///   loss ← loss + ρ/2 · penalty
///
/// Backward: ∂loss/∂P gains ρ·(P − anchor.P); the anchors are inputs, never differentiated.
///
/// New results: `proximal_penalty` (the penalty before ρ/2) and `task_loss` (the loss before the
/// rewrite) unless the graph already has one (after `sink-divergence`, whose `task_loss` is the
/// cross-entropy alone and stays).
///
/// - Requires: a verified graph with a scalar float result `loss` and float weights of the
///   loss's dtype; `grad` has not run (checked).
/// - Establishes: the rewritten loss, the `anchor.P` inputs and the results above.
/// - Idempotent: no (the anchors would exist twice: an error).
public struct Proximal: Pass, Sendable {
  public let name = "proximal"
  /// ρ, the weight of ρ/2·‖w − w_anchor‖².
  public var rho: Double
  /// The weights that get an anchor; nil = every float weight.
  public var weights: [String]?
  public var loss: String

  public init(rho: Double = 1, weights: [String]? = nil, loss: String = "loss") {
    self.rho = rho
    self.weights = weights
    self.loss = loss
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    try context.requireNotRun("grad", by: name)
    graph = try apply(to: graph)
    context.count("proximal.anchors", by: graph.parameters.filter { isAnchor($0.name) }.count)
    return true
  }

  func isAnchor(_ name: String) -> Bool { name.hasPrefix("anchor.") }

  /// The rewritten graph.
  public func apply(to graph: Graph) throws(PassError) -> Graph {
    guard rho >= 0, rho.isFinite else {
      throw PassError("proximal: rho must be a non-negative number, got \(rho)")
    }
    if graph.results.contains(where: { $0.name.hasPrefix("grad_") }) {
      throw PassError("proximal must run before grad: the graph already has gradient results")
    }
    guard let lossResult = graph.result(named: loss) else {
      throw PassError("proximal: the graph has no result '\(loss)'")
    }
    let types = graph.valueTypes()
    guard let lossType = types[lossResult.value], lossType.rank == 0, lossType.dtype.isFloat else {
      throw PassError("proximal: result '\(loss)' must be a float scalar")
    }
    let chosen: [Parameter]
    if let weights {
      chosen = try weights.map { (name) throws(PassError) -> Parameter in
        guard let p = graph.parameter(named: name) else {
          throw PassError("proximal: the graph has no parameter '\(name)'")
        }
        return p
      }
    } else {
      chosen = graph.parameters.filter { $0.role == .weight && $0.type.dtype.isFloat }
    }
    guard !chosen.isEmpty else { throw PassError("proximal: the graph has no float weight") }
    for p in chosen {
      guard p.type.dtype == lossType.dtype else {
        throw PassError(
          "proximal: weight '\(p.name)' is \(p.type), the loss is \(lossType.dtype): "
            + "the penalty needs one dtype")
      }
      guard graph.parameter(named: "anchor.\(p.name)") == nil else {
        throw PassError("proximal: the graph already has a parameter 'anchor.\(p.name)'")
      }
    }
    for name in ["proximal_penalty"] where graph.result(named: name) != nil {
      throw PassError("proximal: the graph already has a result '\(name)'")
    }

    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: "proximal", line: 0)
    var penalty: Value?
    for p in chosen {
      let anchor = b.parameter("anchor.\(p.name)", p.type, role: .input)
      let difference = b.sub(p.value, anchor)
      let squares = b.sum(b.mul(difference, difference), axes: b.allAxes(difference))
      penalty = penalty.map { b.add($0, squares) } ?? squares
    }
    guard let penalty else { throw PassError("proximal: the graph has no float weight") }
    let dtype = lossType.dtype
    let newLoss = b.add(lossResult.value, b.mul(b.constant(rho / 2, .scalar(dtype)), penalty))
    if let problem = b.diagnostics.first { throw PassError("proximal: \(problem)") }
    var out = b.graph
    out.results = graph.results.map {
      $0.name == loss ? GraphResult(name: loss, value: newLoss) : $0
    }
    if graph.result(named: "task_loss") == nil {
      out.results.append(GraphResult(name: "task_loss", value: lossResult.value))
    }
    out.results.append(GraphResult(name: "proximal_penalty", value: penalty))
    do {
      try verify(out)
    } catch {
      throw PassError("proximal produced an invalid graph: \(error)")
    }
    return out
  }
}
