import IR

/// `grad{of=L wrt=p1,p2}`: reverse-mode automatic differentiation as a graph rewrite.
///
/// Appends nodes computing the gradient of the scalar float result `L` with respect to the
/// parameters `p1, p2, …` (without `wrt`: every weight, in parameter order), and results
/// `grad_p1, grad_p2, …` with the parameters' types.
///
/// - Requires: a verified graph; `L` a scalar float result; each `p` a float parameter.
/// - Establishes: a verified graph whose original results are unchanged; gradient nodes carry
///   the source location of the forward node they differentiate.
/// - Idempotent: no (a second run with the same names fails: the results exist).
///
/// The driver walks the nodes on a path from a `wrt` parameter to `L` in reverse, asks each
/// op's VJP rule (IR/Ops) for operand cotangents and adds each contribution to its value's
/// running sum as it is made, so a value used in several places (a weight shared by Surgery's
/// clones, a tied embedding) holds one partial gradient at a time, not one per use. The
/// `gather`s of one table (the embedding read by the batch and by a Surgery clone) give
/// one `scatter_add` over all their rows, added to the sum when the table's cotangent is due,
/// instead of one dense [rows, …] tensor per gather. Ops
/// off that path are never differentiated. A parameter the loss does not reach gets a zero
/// gradient. A non-differentiable op on the path (a cast out of an integer or i1 value, that is
/// a comparison or integer op used as a value) is an error located at that op.
public struct Gradient: Pass, Sendable {
  public let name = "grad"
  public var of: String
  /// The parameters to differentiate with respect to; nil = the graph's weights.
  public var wrt: [String]?

  public init(of: String, wrt: [String]? = nil) {
    self.of = of
    self.wrt = wrt
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    graph = try apply(to: graph)
    context.count("grad.nodes", by: graph.nodes.count)
    return true
  }

  /// The graph with the gradient nodes and results appended.
  public func apply(to graph: Graph) throws(Diagnostic) -> Graph {
    let here = SourceLocation(file: "@\(graph.name)", line: 0)
    guard let loss = graph.result(named: of) else {
      throw Diagnostic(
        "grad: 'of=\(of)' names no result; the results are \(graph.results.map(\.name))", at: here)
    }
    let types = graph.valueTypes()
    guard let lossType = types[loss.value], lossType.rank == 0, lossType.dtype.isFloat else {
      throw Diagnostic(
        "grad: result '\(of)' must be a float scalar, it is \(types[loss.value].map(\.description) ?? "?")",
        at: here)
    }
    let names = wrt ?? graph.weights.map(\.name)
    guard !names.isEmpty else {
      throw Diagnostic(
        wrt == nil
          ? "grad: the graph has no weight parameters; name the parameters with 'wrt=P1,P2,…'"
          : "grad: 'wrt' lists no parameter", at: here)
    }
    var targets: [Parameter] = []
    for name in names {
      guard let p = graph.parameter(named: name) else {
        throw Diagnostic(
          "grad: 'wrt=\(name)' is not a parameter; the parameters are \(graph.parameters.map(\.name))",
          at: here)
      }
      guard p.type.dtype.isFloat else {
        throw Diagnostic("grad: parameter '\(name)' is \(p.type), not a float tensor", at: here)
      }
      guard graph.result(named: "grad_\(name)") == nil else {
        throw Diagnostic("grad: the graph already has a result 'grad_\(name)'", at: here)
      }
      targets.append(p)
    }

    // Values that depend on a wrt parameter and that the loss depends on.
    var forward = Set(targets.map(\.value))
    for n in graph.nodes where n.operands.contains(where: forward.contains) {
      forward.insert(n.result)
    }
    var onPath: Set<Value> = forward.contains(loss.value) ? [loss.value] : []
    for n in graph.nodes.reversed() where onPath.contains(n.result) {
      for o in n.operands where forward.contains(o) { onPath.insert(o) }
    }

    let b = GraphBuilder(continuing: graph)
    // The running sum of each value's cotangent contributions so far.
    var pending: [Value: Value] = [:]

    if onPath.contains(loss.value) {
      b.locationOverride = here
      pending[loss.value] = b.constant(1, lossType)
    }
    // The (cotangent, ids) of each table's gathers, not yet scattered into its sum.
    var gathered: [Value: [(updates: Value, ids: Value)]] = [:]
    func settle(_ table: Value) {
      guard let parts = gathered.removeValue(forKey: table) else { return }
      let sum = scatter(parts, rows: b.type(table).shape[0], b)
      pending[table] = pending[table].map { b.add($0, sum) } ?? sum
    }

    for n in graph.nodes.reversed() where onPath.contains(n.result) {
      settle(n.result)
      guard let cotangent = pending[n.result] else { continue }
      pending[n.result] = nil
      b.locationOverride = n.location
      let needs = n.operands.map(onPath.contains)
      if case .gather = n.op {
        if needs[0] { gathered[n.operands[0], default: []].append((cotangent, n.operands[1])) }
        continue
      }
      let before = b.diagnostics.count
      let parts: [Value?]
      do {
        parts = try n.op.vjp(VJPContext(builder: b, node: n, cotangent: cotangent, needs: needs))
      } catch {
        throw Diagnostic(
          "\(error.reason), on the path from \(names.map { "'\($0)'" }.joined(separator: ", ")) to '\(of)'",
          at: n.location, op: n.op.name,
          operands: n.operands.map { "%\(b.name($0)): \(b.type($0))" })
      }
      if b.diagnostics.count > before {
        // A rule built an ill-typed node: a bug in that rule, reported with the forward op.
        throw Diagnostic(
          "gradient rule failed: \(b.diagnostics[before].message)", at: n.location, op: n.op.name)
      }
      for (operand, part) in zip(n.operands, parts) {
        guard let part, onPath.contains(operand) else { continue }
        pending[operand] = pending[operand].map { b.add($0, part) } ?? part
      }
    }

    b.locationOverride = here
    var results = graph.results
    for p in targets {
      settle(p.value)
      let grad = pending[p.value] ?? b.constant(0, p.type)
      results.append(GraphResult(name: "grad_\(p.name)", value: grad))
    }
    if let problem = b.diagnostics.first { throw problem }
    var out = b.graph
    out.results = results
    do {
      try verify(out)
    } catch {
      throw error.all.first ?? Diagnostic("grad produced an invalid graph", at: here)
    }
    return out
  }
}

/// One `scatter_add` of every gather's cotangent rows into a [rows, …] table gradient: the
/// gathers' ids and cotangents flattened to one list of rows each and joined (ids as i64 when
/// their types differ).
private func scatter(_ parts: [(updates: Value, ids: Value)], rows: Int, _ b: GraphBuilder)
  -> Value
{
  if parts.count == 1 { return b.scatterAdd(parts[0].updates, parts[0].ids, rows: rows) }
  let dtypes = Set(parts.map { b.type($0.ids).dtype })
  var updates: [Value] = []
  var ids: [Value] = []
  for (u, i) in parts {
    let (uType, iType) = (b.type(u), b.type(i))
    let rest = Array(uType.shape.dropFirst(iType.rank))
    updates.append(b.reshape(u, [iType.count] + rest))
    let flat = b.reshape(i, [iType.count])
    ids.append(dtypes.count == 1 ? flat : b.cast(flat, to: .i64))
  }
  return b.scatterAdd(b.concat(updates, axis: 0), b.concat(ids, axis: 0), rows: rows)
}
