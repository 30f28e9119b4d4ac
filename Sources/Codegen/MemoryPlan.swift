import IR

/// Where a tensor lives while a compiled graph runs.
enum BufferLocation: Hashable, Sendable {
  /// The caller's buffer for parameter `index` (read only).
  case argument(Int)
  /// A block of the run's arena at this byte offset.
  case arena(Int)
}

/// The static memory plan of a graph: one arena, each node result at a fixed offset, blocks
/// reused once every reader of their previous tenant has run.
///
/// Requires a verified graph. Reshape results are views of their operand (no buffer of their
/// own; the operand's block lives as long as any view is read). A node's result never shares a
/// block with its own operands, so kernels may treat their buffers as non-overlapping
/// (`noalias`). Graph results stay live to the end (they are copied out after the last step).
/// Placement is first fit by offset over the blocks free at each node, 64-byte aligned.
struct MemoryPlan: Sendable {
  /// The location of every parameter and node result.
  var locations: [Value: BufferLocation]
  /// Bytes of arena one run needs.
  var arenaSize: Int
  /// Sum of the sizes of all arena tensors (what a plan without reuse would need).
  var unplannedSize: Int

  static let alignment = 64

  /// The plan for `graph`, whose steps read their nodes' operands.
  init(_ graph: Graph) {
    locations = [:]
    for (i, p) in graph.parameters.enumerated() { locations[p.value] = .argument(i) }
    // Views (reshape, stop_gradient) share their operand's root value.
    var root: [Value: Value] = [:]
    for node in graph.nodes {
      if node.op == .stopGradient || node.op.isReshape, let source = node.operands.first {
        root[node.result] = root[source] ?? source
      }
    }
    func rootOf(_ v: Value) -> Value { root[v] ?? v }
    // Last node index reading each root (results: past the end).
    var lastUse: [Value: Int] = [:]
    for (i, node) in graph.nodes.enumerated() {
      for o in node.operands { lastUse[rootOf(o)] = max(lastUse[rootOf(o)] ?? i, i) }
    }
    for r in graph.results { lastUse[rootOf(r.value)] = Int.max }

    var live: [(offset: Int, size: Int, root: Value)] = []  // sorted by offset
    var peak = 0
    var total = 0
    for (i, node) in graph.nodes.enumerated() {
      if let source = root[node.result] {
        locations[node.result] = locations[source]
      } else {
        // Saturating sizes: a plan past 2⁶³−1 bytes is refused by the memory limit, not a trap.
        let bytes = node.type.byteCount ?? .max
        let size =
          bytes > .max - Self.alignment
          ? .max : (bytes + Self.alignment - 1) / Self.alignment * Self.alignment
        total = saturatingSum(total, size)
        var offset = 0
        var slot = live.count
        for (j, block) in live.enumerated() {
          if block.offset - offset >= size {
            slot = j
            break
          }
          offset = max(offset, saturatingSum(block.offset, block.size))
        }
        live.insert((offset, size, node.result), at: slot)
        peak = max(peak, saturatingSum(offset, size))
        locations[node.result] = .arena(offset)
      }
      // Free every block whose last reader is this node (and dead results right away).
      live.removeAll { block in (lastUse[block.root] ?? i) <= i }
    }
    arenaSize = peak
    unplannedSize = total
  }
}

extension Op {
  var isReshape: Bool {
    if case .reshape = self { return true }
    return false
  }
}

/// `a + b` for non-negative sizes, `Int.max` where it would overflow.
private func saturatingSum(_ a: Int, _ b: Int) -> Int {
  let (sum, overflow) = a.addingReportingOverflow(b)
  return overflow ? .max : sum
}
