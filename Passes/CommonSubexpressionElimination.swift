import IR

/// `cse`: nodes with the same op, attributes, operands and result type compute the same
/// value; every later one is replaced by the first.
///
/// Constants are included (two `constant {value = 1.0} : f32[]` become one). Ops are pure
/// (the IR has no effects), custom ops included. Compares constant values by bit pattern, so
/// `0.0` and `-0.0` stay distinct.
///
/// Requires: a verified graph. Establishes: no two nodes have equal op, operands and type;
/// result names are kept. The duplicates are removed (nothing uses them any more).
/// Idempotent: yes.
public struct CommonSubexpressionElimination: Pass {
  public let name = "cse"

  public init() {}

  private struct Key: Hashable {
    var op: Op
    var operands: [Value]
    var type: TensorType
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    var replay = GraphReplay(graph)
    var first: [Key: Value] = [:]
    var eliminated = 0
    for node in graph.nodes {
      let key = Key(op: node.op, operands: replay.mappedOperands(of: node), type: node.type)
      if let existing = first[key] {
        replay.replace(node.result, with: existing)
        eliminated += 1
      } else {
        replay.copy(node)
        if let v = replay.map[node.result] { first[key] = v }
      }
    }
    guard eliminated > 0 else { return false }
    graph = try replay.finish()
    context.count("cse.eliminated", by: eliminated)
    return true
  }
}
