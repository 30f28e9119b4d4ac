import IR

/// `adamw{beta1=0.9 beta2=0.999 eps=1e-8 weight-decay=0 clip=0}`: appends an AdamW step to a
/// differentiated graph, as PyTorch's `torch.optim.AdamW` computes it.
///
/// For every result `grad_P` whose `P` is a float parameter, with `t = step` (counted from 1):
///
///   ‖g‖ = sqrt(Σ_P Σ grad_P²)                  (result `grad_norm`, before clipping)
///   g   = grad_P · min(1, clip / (‖g‖ + 1e-6))  when clip > 0, else grad_P
///   p   = P · (1 − lr·wd)                       (decoupled weight decay)
///   m'  = β₁·m + (1 − β₁)·g,   v' = β₂·v + (1 − β₂)·g²
///   next_P = p − lr · (m' / (1 − β₁ᵗ)) / (sqrt(v' / (1 − β₂ᵗ)) + ε)
///
/// New parameters, all inputs: the state `adam_m.P`, `adam_v.P` (P's type, zeros before the
/// first step) and the scalars `learning_rate` and `step` (the first updated parameter's dtype),
/// so a schedule and the bias correction change per step without recompiling.
/// New results: `next_P`, `next_adam_m.P`, `next_adam_v.P` for every P, then `grad_norm`. The
/// `grad_P` results become internal values: a step returns what the next step needs, not a
/// copy of every gradient (run `grad` alone to see them).
///
/// - Requires: results `grad_P` (from `grad`) with the parameter's type; no parameters named
///   `learning_rate`, `step`, `adam_m.P`, `adam_v.P` and no `next_*` results yet.
/// - Establishes: the other results, then the results above; no `grad_P` results.
/// - Idempotent: no (the new parameters and results would exist twice: an error).
public struct AdamWUpdate: Pass, Sendable, Hashable, Codable {
  public let name = "adamw"
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public var weightDecay: Double
  /// Maximum global gradient norm; 0 turns clipping off.
  public var clip: Double

  enum CodingKeys: String, CodingKey { case beta1, beta2, epsilon, weightDecay, clip }

  public init(
    beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0,
    clip: Double = 0
  ) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.clip = clip
  }

  /// Problems with the hyper-parameters, as sentences (empty when valid).
  public func problems() -> [String] {
    var out: [String] = []
    if !(0..<1).contains(beta1) { out.append("beta1 must be in [0, 1), got \(beta1)") }
    if !(0..<1).contains(beta2) { out.append("beta2 must be in [0, 1), got \(beta2)") }
    if !(epsilon >= 0) { out.append("eps must be non-negative, got \(epsilon)") }
    if !(weightDecay >= 0) { out.append("weight-decay must be non-negative, got \(weightDecay)") }
    if !(clip >= 0) { out.append("clip must be non-negative (0 = off), got \(clip)") }
    return out
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    graph = try apply(to: graph)
    context.count(
      "adamw.updates", by: graph.results.filter { $0.name.hasPrefix("next_adam_m.") }.count)
    return true
  }

  /// The graph with the optimizer parameters, nodes and results appended.
  public func apply(to graph: Graph) throws(PassError) -> Graph {
    if let problem = problems().first { throw PassError("adamw: \(problem)") }
    let updates = graph.parameterGradients
    guard let first = updates.first else {
      throw PassError("adamw: the graph has no grad_P results; run 'grad' first")
    }
    let types = graph.valueTypes()
    for (p, grad) in updates {
      try graph.checkGradient(grad, of: p, types: types, pass: "adamw")
      for name in ["adam_m.\(p.name)", "adam_v.\(p.name)"] where graph.parameter(named: name) != nil
      {
        throw PassError("adamw: the graph already has a parameter '\(name)'")
      }
      for name in ["next_\(p.name)", "next_adam_m.\(p.name)", "next_adam_v.\(p.name)"]
      where graph.result(named: name) != nil {
        throw PassError("adamw: the graph already has a result '\(name)'")
      }
    }
    for name in ["learning_rate", "step"] where graph.parameter(named: name) != nil {
      throw PassError("adamw: the graph already has a parameter '\(name)'")
    }
    guard graph.result(named: "grad_norm") == nil else {
      throw PassError("adamw: the graph already has a result 'grad_norm'")
    }

    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: "adamw", line: 0)
    let dtype = first.0.type.dtype
    let scalar = TensorType.scalar(dtype)
    let lr = b.parameter("learning_rate", scalar, role: .input)
    let step = b.parameter("step", scalar, role: .input)
    func inDType(_ v: Value, _ d: DType) -> Value { b.type(v).dtype == d ? v : b.cast(v, to: d) }

    // Global norm over every gradient, accumulated in the first parameter's dtype.
    var squares: Value?
    for (_, grad) in updates {
      let s = inDType(b.sum(b.mul(grad, grad), axes: b.allAxes(grad)), dtype)
      squares = squares.map { b.add($0, s) } ?? s
    }
    let norm = b.sqrt(squares ?? b.constant(0, scalar))
    var scale: Value?
    if clip > 0 {
      let ratio = b.div(b.constant(clip, scalar), b.add(norm, b.constant(1e-6, scalar)))
      scale = b.minimum(b.constant(1, scalar), ratio)
    }
    let correction1 = b.sub(b.constant(1, scalar), b.pow(b.constant(beta1, scalar), step))
    let correction2 = b.sub(b.constant(1, scalar), b.pow(b.constant(beta2, scalar), step))

    var results = graph.results.filter { graph.differentiatedParameter($0) == nil }
    var state: [GraphResult] = []
    for (p, rawGrad) in updates {
      let d = p.type.dtype
      let m = b.parameter("adam_m.\(p.name)", p.type, role: .input)
      let v = b.parameter("adam_v.\(p.name)", p.type, role: .input)
      let grad = scale.map { b.mul(rawGrad, inDType($0, d)) } ?? rawGrad
      let rate = inDType(lr, d)
      var decayed = p.value
      if weightDecay > 0 {
        let keep = b.sub(
          b.constant(1, .scalar(d)), b.mul(rate, b.constant(weightDecay, .scalar(d))))
        decayed = b.mul(p.value, keep)
      }
      let nextM = b.add(
        b.mul(m, b.constant(beta1, .scalar(d))), b.mul(grad, b.constant(1 - beta1, .scalar(d))))
      let nextV = b.add(
        b.mul(v, b.constant(beta2, .scalar(d))),
        b.mul(b.mul(grad, grad), b.constant(1 - beta2, .scalar(d))))
      let mHat = b.div(nextM, inDType(correction1, d))
      let denominator = b.add(
        b.sqrt(b.div(nextV, inDType(correction2, d))), b.constant(epsilon, .scalar(d)))
      let next = b.sub(decayed, b.mul(rate, b.div(mHat, denominator)))
      results.append(GraphResult(name: "next_\(p.name)", value: next))
      state.append(GraphResult(name: "next_adam_m.\(p.name)", value: nextM))
      state.append(GraphResult(name: "next_adam_v.\(p.name)", value: nextV))
    }
    if let problem = b.diagnostics.first { throw PassError("adamw: \(problem)") }
    var out = b.graph
    out.results = results + state + [GraphResult(name: "grad_norm", value: norm)]
    return out
  }
}
