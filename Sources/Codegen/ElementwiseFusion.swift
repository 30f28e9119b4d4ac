import IR

/// Which values are computed inside another node's kernel instead of in a buffer of their own.
///
/// A first, local fusion (the full fusion pass comes later): an elementwise node that cannot
/// fail, is not a graph result and has exactly one use, by another such node, is evaluated in
/// registers inside its consumer's loop; a constant whose every use is such a node becomes an
/// immediate. Chains fuse transitively, so `a·b + c` is one kernel (with `llvm.fmuladd`).
/// Requires a verified graph.
struct ElementwiseFusion: Sendable {
  /// Values with no buffer and no step of their own.
  var inlined: Set<Value> = []
  /// For each node: the buffers its step reads (a fused kernel reads the leaves of its tree).
  var reads: [[Value]]

  init(_ graph: Graph, enabled: Bool) {
    reads = graph.nodes.map(\.operands)
    guard enabled else { return }
    let types = graph.valueTypes()
    let results = Set(graph.results.map(\.value))
    var users: [Value: [Int]] = [:]
    for (i, n) in graph.nodes.enumerated() {
      for o in n.operands { users[o, default: []].append(i) }
    }
    let fusable = graph.nodes.map { n in
      Self.fusable(n, operands: n.operands.compactMap { types[$0] })
    }
    for (i, n) in graph.nodes.enumerated() where !results.contains(n.result) {
      let uses = users[n.result] ?? []
      if case .constant(let s) = n.op {
        if !uses.isEmpty, uses.allSatisfy({ fusable[$0] }), Self.fits(s.value, n.type.dtype) {
          inlined.insert(n.result)
        }
      } else if fusable[i], uses.count == 1, fusable[uses[0]] {
        inlined.insert(n.result)
      }
    }
    let producers = Dictionary(graph.nodes.map { ($0.result, $0) }, uniquingKeysWith: { a, _ in a })
    for (i, n) in graph.nodes.enumerated() {
      if inlined.contains(n.result) {
        reads[i] = []
        continue
      }
      guard fusable[i] else { continue }
      var leaves: [Value] = []
      func visit(_ v: Value) {
        if inlined.contains(v), let p = producers[v] {
          for o in p.operands { visit(o) }
        } else if !leaves.contains(v) {
          leaves.append(v)
        }
      }
      for o in n.operands { visit(o) }
      reads[i] = leaves
    }
  }

  /// Elementwise ops that cannot fail (integer division and float → integer casts can).
  static func fusable(_ n: Node, operands: [TensorType]) -> Bool {
    switch n.op {
    case .unary, .compare, .select: return true
    case .binary(let k): return !(k == .div && n.type.dtype.isInteger)
    case .cast: return !(operands.first?.dtype.isFloat == true && n.type.dtype.isInteger)
    default: return false
    }
  }

  /// Whether a constant converts to its dtype without an error.
  static func fits(_ value: Double, _ d: DType) -> Bool {
    switch d {
    case .i32: Int32(exactly: value.rounded(.towardZero)) != nil
    case .i64: Int64(exactly: value.rounded(.towardZero)) != nil
    default: true
    }
  }
}
