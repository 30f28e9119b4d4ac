import IR

/// `dce`: removes the nodes that no graph result depends on.
///
/// Parameters are never removed: they are the graph's signature, used or not.
///
/// Requires: a verified graph. Establishes: every node is used, directly or through other
/// nodes, by a result. Keeps the order, names and locations of the remaining nodes.
/// Idempotent: yes.
public struct DeadCodeElimination: Pass {
  public let name = "dce"

  public init() {}

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    var live = Set(graph.results.map(\.value))
    // Nodes are in topological order, so one backward walk sees every use before its definition.
    for node in graph.nodes.reversed() where live.contains(node.result) {
      live.formUnion(node.operands)
    }
    let before = graph.nodes.count
    graph.nodes.removeAll { !live.contains($0.result) }
    let removed = before - graph.nodes.count
    if removed > 0 { context.count("dce.removed", by: removed) }
    return removed > 0
  }
}
