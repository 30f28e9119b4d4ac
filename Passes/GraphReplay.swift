import IR

/// Rebuilds a graph node by node into a `GraphBuilder`, mapping old values to new ones.
///
/// Passes that replace or drop nodes replay the graph: every node is re-emitted through the
/// builder (so its type rule is checked again) with its name and source location, and the
/// value map redirects uses of a replaced value. Results keep their names whatever value they
/// end up pointing at. `finish` verifies the new graph.
struct GraphReplay {
  let original: Graph
  let builder: GraphBuilder
  /// Old value → value in the graph being built.
  private(set) var map: [Value: Value] = [:]
  /// New value → its node in the graph being built.
  private(set) var nodes: [Value: Node] = [:]
  /// Every name of the original graph, plus every name emitted so far: new names avoid them.
  private var reservedNames: Set<String>
  private var emittedNames: Set<String> = []

  init(_ graph: Graph) {
    original = graph
    builder = GraphBuilder(name: graph.name)
    reservedNames = Set(graph.parameters.map(\.name) + graph.nodes.map(\.name))
    for p in graph.parameters {
      map[p.value] = builder.parameter(p.name, p.type, role: p.role)
      emittedNames.insert(p.name)
    }
  }

  /// `node`'s operands as values of the new graph.
  func mappedOperands(of node: Node) -> [Value] { node.operands.map { map[$0] ?? $0 } }

  /// Makes uses of `old` refer to `new` (a value of the new graph).
  mutating func replace(_ old: Value, with new: Value) { map[old] = new }

  /// Re-emits `node` unchanged, with mapped operands, its name and its location.
  mutating func copy(_ node: Node) {
    let v = emit(
      node.op, mappedOperands(of: node), type: node.type, name: node.name, at: node.location)
    map[node.result] = v
  }

  /// A name for a node created in place of the original node `owner`: `owner`'s own name when
  /// it is still free, else `owner_N` avoiding every original and emitted name.
  mutating func name(replacing owner: String) -> String {
    if !emittedNames.contains(owner) { return owner }
    var k = 1
    while reservedNames.contains("\(owner)_\(k)") || emittedNames.contains("\(owner)_\(k)") {
      k += 1
    }
    return "\(owner)_\(k)"
  }

  /// Emits a node whose type rule was checked by the caller.
  @discardableResult
  mutating func emit(
    _ op: Op, _ operands: [Value], type: TensorType, name: String, at location: SourceLocation
  ) -> Value {
    let v = builder.emit(op, operands, type: type, name: name, at: location)
    if let node = builder.graph.nodes.last, node.result == v {
      nodes[v] = node
      emittedNames.insert(node.name)
    }
    return v
  }

  /// The type of a value of the new graph.
  func type(of v: Value) -> TensorType { builder.type(v) }

  /// Finishes with the original results (names kept) and verifies.
  func finish() throws(Diagnostics) -> Graph {
    try builder.build(results: original.results.map { ($0.name, map[$0.value] ?? $0.value) })
  }
}
