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
/// (`noalias`). Graph results stay live to the end (they are copied out after the last step),
/// except the updates: a result `next_P` of parameter P's type is copied into P's (writable)
/// buffer as soon as it is computed, P has no reader left and every other result is computed
/// (the run's `accept` point), and its block is free from then on. A training step thus holds
/// no second copy of its weights and optimizer state in the arena.
/// Placement is first fit by offset over the blocks free at each node, 64-byte aligned.
struct MemoryPlan: Sendable {
  /// The location of every parameter and node result.
  var locations: [Value: BufferLocation]
  /// Bytes of arena one run needs.
  var arenaSize: Int
  /// Sum of the sizes of all arena tensors (what a plan without reuse would need).
  var unplannedSize: Int
  /// Updated parameters: parameter index → index of its `next_` result.
  var updates: [Int: Int]
  /// The copies of update results into their parameters' buffers, by `after`.
  var writeBacks: [WriteBack]
  /// The node after which every result that is not an update is computed (-1: before any).
  var acceptAfter: Int
  /// The node at which the arena reaches its size, and the blocks live there (root value and
  /// bytes): what to shrink to shrink the arena.
  var peak: (node: Int, live: [(value: Value, bytes: Int)]) = (-1, [])

  /// Result `result` copied into parameter `parameter`'s buffer once node `after` has run
  /// (`Int.max`: after the last step, for a result that is a parameter's own buffer or a
  /// parameter that stays read to the end).
  struct WriteBack: Sendable {
    var parameter: Int
    var result: Int
    var after: Int
  }

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
    let updates = graph.parameterUpdates
    self.updates = updates
    let updateResults = Set(updates.values)
    var producer: [Value: Int] = [:]
    for (i, node) in graph.nodes.enumerated() { producer[node.result] = i }
    for (j, r) in graph.results.enumerated() where !updateResults.contains(j) {
      lastUse[rootOf(r.value)] = Int.max
    }
    let acceptAfter =
      graph.results.indices.filter { !updateResults.contains($0) }
      .map { producer[rootOf(graph.results[$0].value)] ?? -1 }.max() ?? -1
    self.acceptAfter = acceptAfter
    // A parameter whose buffer is some update's value is written last (see CompiledGraph's
    // staging), and so is any update whose value is a parameter's buffer.
    let parameterValues = Set(graph.parameters.map(\.value))
    let readToTheEnd = Set(
      updateResults.map { rootOf(graph.results[$0].value) }.filter(parameterValues.contains))
    let writeBacks = updates.map { i, j in
      let value = rootOf(graph.results[j].value)
      let parameter = graph.parameters[i].value
      guard let made = producer[value], !readToTheEnd.contains(parameter) else {
        return WriteBack(parameter: i, result: j, after: .max)
      }
      return WriteBack(
        parameter: i, result: j, after: max(made, lastUse[parameter] ?? -1, acceptAfter))
    }.sorted { ($0.after, $0.parameter) < ($1.after, $1.parameter) }
    self.writeBacks = writeBacks
    for w in writeBacks {
      let value = rootOf(graph.results[w.result].value)
      lastUse[value] = max(lastUse[value] ?? w.after, w.after)
    }

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
        if saturatingSum(offset, size) > peak {
          peak = saturatingSum(offset, size)
          self.peak = (i, live.map { ($0.root, $0.size) })
        }
        locations[node.result] = .arena(offset)
      }
      // Free every block whose last reader is this node (and dead results right away).
      live.removeAll { block in (lastUse[block.root] ?? i) <= i }
    }
    arenaSize = peak
    unplannedSize = total
  }
}

extension MemoryPlan {
  /// `peak` as `%name = op : type` lines, the 16 largest live blocks, then the bytes live per
  /// op kind (`all matmul`, …).
  func peakSummary(_ graph: Graph) -> (node: String, live: [(name: String, bytes: Int)]) {
    guard graph.nodes.indices.contains(peak.node) else { return ("", []) }
    var nodes: [Value: Node] = [:]
    for n in graph.nodes { nodes[n.result] = n }
    func line(_ v: Value) -> String {
      guard let n = nodes[v] else { return "\(v)" }
      return "%\(n.name) = \(n.op.name) : \(n.type)"
    }
    let largest = peak.live.sorted { $0.bytes > $1.bytes }
    var byOp: [String: Int] = [:]
    for block in largest { byOp[nodes[block.value]?.op.name ?? "?", default: 0] += block.bytes }
    let kinds = byOp.sorted { $0.value > $1.value }.map { ("all \($0.key)", $0.value) }
    return (
      line(graph.nodes[peak.node].result),
      largest.prefix(16).map { (line($0.value), $0.bytes) } + kinds
    )
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
