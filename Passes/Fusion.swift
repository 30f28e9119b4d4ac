import IR

/// `fuse`: groups connected elementwise ops, the broadcasts feeding them and their constants
/// into `fused` regions, each computed by one kernel (the JIT lowers a region as one loop nest
/// that reads every input once per element, with broadcasts folded into the reads). A float
/// reduction over the innermost axes may be a region's root: its elementwise producers are
/// then evaluated inside the reduction loop (`x·x` into RMSNorm's mean, `dy·y` into the
/// softmax gradient's sum) instead of being written out and read back.
///
/// Walking the nodes in reverse, a fusable node joins the region of its users when it is not
/// a graph result, every use lies in one region, and its shape is the region's (so a value is
/// computed once per element even with several uses: multiple producers, several uses).
/// Otherwise it starts a region of its own, with itself as the root (the region's only
/// output). Constants, broadcasts and the elementwise values computed from them alone (a
/// causal mask, the one-hot of a cross-entropy gradient) are copied into every region that
/// uses them: in the kernel a constant is an immediate, a broadcast a read with stride 0 on its
/// expanded axes and the rest a few instructions, so none is written out as a tensor of the
/// region's size unless something outside every region reads it (a matmul, a graph result).
/// A region stays as it was when it has fewer than two nodes counting the copies it reads,
/// or when it is one reduction alone with constants; a reduction root
/// whose region is not one row per output (a column sum, an input strided along the row)
/// does not root a region, and the assignment is redone without it. The region becomes one
/// node with the root's name, type and location:
/// `%r = fused %a, %b {body = "graph @region(...) ..."} : T`.
///
/// This is the JIT's only fusion: `JIT.compile` runs it through `PassManager` (the default
/// `JITOptions.graphPasses`), and every elementwise node left outside a region is one kernel.
///
/// Fusable: elementwise ops that cannot fail (no integer division, no float → integer cast),
/// `broadcast`, `constant`. Regions are convex (members reach outside only through the root),
/// so the graph stays topologically ordered.
///
/// - Requires: a verified graph (run after `grad` and the optimizer: `fused` has no gradient).
/// - Establishes: no two adjacent fusable nodes of equal shape outside a region.
/// - Idempotent: yes (a second run finds nothing new: `fused` nodes are not fusable).
public struct Fusion: Pass, Sendable {
  public let name = "fuse"
  /// Fold elementwise producers into row reductions (`reduce_*` over the innermost axes).
  public var reductions: Bool

  public init(reductions: Bool = true) { self.reductions = reductions }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    let (fused, regions, members) = apply(to: graph)
    graph = fused
    context.count("fuse.regions", by: regions)
    context.count("fuse.nodes", by: members)
    return regions > 0
  }

  /// Whether `node` may join a region: elementwise ops that cannot fail (integer division and
  /// float → integer casts can), broadcasts and constants.
  public static func fusable(_ node: Node, operands: [TensorType]) -> Bool {
    switch node.op {
    case .unary, .compare, .select, .broadcast, .constant: return true
    case .binary(let k): return !(k == .div && node.type.dtype.isInteger)
    case .cast: return !(operands.first?.dtype.isFloat == true && node.type.dtype.isInteger)
    default: return false
    }
  }

  /// The nodes copied into every region that reads them rather than assigned to one:
  /// constants, broadcasts, and cheap fusable nodes (comparisons, selects, casts, arithmetic
  /// other than division) whose operands are all copied. Transcendental ops are not copied: a
  /// region may be larger than their shape (a rotary table broadcast over the heads), and
  /// each copy evaluates them again per element.
  static func copied(_ graph: Graph, fusable: [Bool]) -> [Bool] {
    var copiedValues: Set<Value> = []
    return graph.nodes.indices.map { i in
      let n = graph.nodes[i]
      let copied: Bool
      switch n.op {
      case .constant, .broadcast: copied = true
      case .compare, .select, .cast, .binary(.add), .binary(.sub), .binary(.mul),
        .binary(.min), .binary(.max):
        copied = fusable[i] && n.operands.allSatisfy(copiedValues.contains)
      default: copied = false
      }
      if copied { copiedValues.insert(n.result) }
      return copied
    }
  }

  /// The graph with its regions fused, the number of regions and of nodes moved into them.
  public func apply(to graph: Graph) -> (graph: Graph, regions: Int, members: Int) {
    let types = graph.valueTypes()
    let results = Set(graph.results.map(\.value))
    var users: [Value: [Int]] = [:]
    for (i, n) in graph.nodes.enumerated() {
      for o in Set(n.operands) { users[o, default: []].append(i) }
    }
    let fusable = graph.nodes.map { n in
      Self.fusable(n, operands: n.operands.compactMap { types[$0] })
    }
    let copied = Self.copied(graph, fusable: fusable)
    let copiedValues = Set(graph.nodes.indices.filter { copied[$0] }.map { graph.nodes[$0].result })
    var producer: [Value: Int] = [:]
    for (i, n) in graph.nodes.enumerated() { producer[n.result] = i }
    /// The copied nodes a region with these members reads, directly or through other copies.
    func copies(reachedFrom members: [Int]) -> [Int] {
      var found: Set<Int> = []
      var stack = members
      while let i = stack.popLast() {
        for o in graph.nodes[i].operands {
          if let p = producer[o], copied[p], found.insert(p).inserted { stack.append(p) }
        }
      }
      return Array(found)
    }

    // Reductions that cannot root a region grow with every round; at most one round per
    // reduction in the graph.
    var notRoots: Set<Int> = []
    while true {
      let (regionOf, roots, members) = assign(
        graph, types: types, users: users, results: results, fusable: fusable, copied: copied,
        notRoots: notRoots)
      var rejected: Set<Int> = []
      var kept: Set<Int> = []
      for r in roots.indices {
        let root = graph.nodes[roots[r]]
        let readsCopied = members[r].contains { i in
          graph.nodes[i].operands.contains(where: copiedValues.contains)
        }
        if case .reduce = root.op {
          let reads = copies(reachedFrom: members[r])
          let readsComputed = reads.contains {
            if case .constant = graph.nodes[$0].op { false } else { true }
          }
          guard members[r].count >= 2 || readsComputed else { continue }
          let (body, _) = Self.body(
            graph, members: reads + members[r], root: roots[r], types: types)
          if FusedRegion.rowLayout(body) == nil {
            rejected.insert(roots[r])
            continue
          }
        } else if members[r].count < 2 && !readsCopied {
          continue
        }
        kept.insert(r)
      }
      if !rejected.isEmpty {
        notRoots.formUnion(rejected)
        continue
      }
      guard !kept.isEmpty else { return (graph, 0, 0) }
      return build(
        graph, regionOf: regionOf, roots: roots, members: members, kept: kept, users: users,
        results: results, types: types, copied: copied)
    }
  }

  /// Region membership, assigned from the last node back: each region's root and its
  /// non-constant members in graph order. A float reduction (unless in `notRoots`) starts a
  /// region whose members have its operand's shape (elementwise work folded into it).
  private func assign(
    _ graph: Graph, types: [Value: TensorType], users: [Value: [Int]], results: Set<Value>,
    fusable: [Bool], copied: [Bool], notRoots: Set<Int>
  ) -> (regionOf: [Int: Int], roots: [Int], members: [[Int]]) {
    var regionOf: [Int: Int] = [:]
    var roots: [Int] = []
    var shapes: [[Int]] = []
    for i in graph.nodes.indices.reversed() {
      let node = graph.nodes[i]
      if reductions, !notRoots.contains(i), case .reduce = node.op,
        let x = types[node.operands[0]], x.dtype.isFloat, x.count > 0
      {
        regionOf[i] = roots.count
        roots.append(i)
        shapes.append(x.shape)
        continue
      }
      guard fusable[i] else { continue }
      if copied[i] { continue }
      let uses = users[node.result] ?? []
      let owners = Set(uses.map { regionOf[$0] ?? -1 })
      if !results.contains(node.result), owners.count == 1, let r = owners.first, r >= 0,
        node.type.shape == shapes[r]
      {
        regionOf[i] = r
      } else {
        regionOf[i] = roots.count
        roots.append(i)
        shapes.append(node.type.shape)
      }
    }
    var members = [[Int]](repeating: [], count: roots.count)
    for i in graph.nodes.indices {
      if let r = regionOf[i] { members[r].append(i) }
    }
    return (regionOf, roots, members)
  }

  /// The graph with the `kept` regions replaced by `fused` nodes.
  private func build(
    _ graph: Graph, regionOf: [Int: Int], roots: [Int], members: [[Int]], kept: Set<Int>,
    users: [Value: [Int]], results: Set<Value>, types: [Value: TensorType], copied: [Bool]
  ) -> (graph: Graph, regions: Int, members: Int) {
    // Constants and broadcasts used by a kept region (or by such a node copied into it) are
    // copied into it; they stay outside only if used outside every kept region. Users come
    // after their operands, so one backward sweep sees a broadcast's regions before its
    // constant's.
    var copiedInto: [Int: Set<Int>] = [:]
    var droppedCopies: Set<Int> = []
    for i in graph.nodes.indices.reversed() where copied[i] {
      let n = graph.nodes[i]
      var outside = results.contains(n.result)
      var inRegions: Set<Int> = []
      for u in users[n.result] ?? [] {
        if let r = regionOf[u], kept.contains(r) {
          inRegions.insert(r)
        } else if let regions = copiedInto[u] {
          inRegions.formUnion(regions)
          if !droppedCopies.contains(u) { outside = true }
        } else {
          outside = true
        }
      }
      if !inRegions.isEmpty { copiedInto[i] = inRegions }
      if !outside && !inRegions.isEmpty { droppedCopies.insert(i) }
    }
    var copiesOf = [[Int]](repeating: [], count: roots.count)
    for (i, regions) in copiedInto {
      for r in regions { copiesOf[r].append(i) }
    }

    var out = graph
    out.nodes = []
    var moved = 0
    for (i, n) in graph.nodes.enumerated() {
      if droppedCopies.contains(i) { continue }
      guard let r = regionOf[i], kept.contains(r) else {
        out.nodes.append(n)
        continue
      }
      guard roots[r] == i else { continue }
      let (body, inputs) = Self.body(
        graph, members: copiesOf[r] + members[r], root: i, types: types)
      moved += members[r].count
      out.nodes.append(
        Node(
          result: n.result, name: n.name, op: .custom(CustomOpBox(FusedRegion(body: body))),
          operands: inputs, type: n.type, location: n.location))
    }
    return (out, kept.count, moved)
  }

  /// The region's subgraph: one parameter per outside value it reads (in order of first
  /// use), the members in graph order, the root as the result `out`.
  static func body(_ graph: Graph, members: [Int], root: Int, types: [Value: TensorType])
    -> (Graph, [Value])
  {
    let inside = Set(members.map { graph.nodes[$0].result })
    let names = Set(members.map { graph.nodes[$0].name })
    var prefix = "in"
    while names.contains(where: { $0.hasPrefix(prefix) }) { prefix += "_" }
    var body = Graph(name: "region")
    var map: [Value: Value] = [:]
    var inputs: [Value] = []
    let ordered = members.sorted()
    for i in ordered {
      for o in graph.nodes[i].operands where !inside.contains(o) && map[o] == nil {
        let v = body.makeValue()
        map[o] = v
        body.parameters.append(
          Parameter(
            value: v, name: "\(prefix)\(inputs.count)", type: types[o] ?? graph.nodes[i].type))
        inputs.append(o)
      }
    }
    for i in ordered {
      let n = graph.nodes[i]
      let v = body.makeValue()
      map[n.result] = v
      body.nodes.append(
        Node(
          result: v, name: n.name, op: n.op, operands: n.operands.compactMap { map[$0] },
          type: n.type, location: n.location))
    }
    if let r = map[graph.nodes[root].result] {
      body.results = [GraphResult(name: "out", value: r)]
    }
    return (body, inputs)
  }
}

/// `fused {body = "…"}`: a region made by the `fuse` pass; its body is a graph of elementwise
/// ops, broadcasts and constants with one result, possibly a row reduction of them. Prints
/// and parses with its body as text
/// (register it with `FusedRegion.register(in:)` or use `FusedRegion.customOps`).
public struct FusedRegion: CompositeCustomOp, Sendable {
  public let name = "fused"
  /// The region's computation.
  public var body: Graph

  public init(body: Graph) { self.body = body }

  public var attributes: [(String, Attribute)] { [("body", .string(printGraph(body)))] }

  public func resultType(operands: [TensorType]) throws(TypeError) -> TensorType {
    let expected = body.parameters.map(\.type)
    guard operands == expected else {
      throw TypeError(
        "fused: operands \(operands.map(\.description)) do not match the body's parameters "
          + "\(expected.map(\.description))")
    }
    guard body.results.count == 1, let t = body.valueTypes()[body.results[0].value] else {
      throw TypeError("fused: the body must have exactly one result")
    }
    return t
  }

  /// One loop axis of a region: its size, whether it is reduced, and each input's stride.
  public struct Axis: Sendable, Hashable {
    public var size: Int
    public var reduced: Bool
    public var strides: [Int]
  }

  /// The reduction at the root of a body (op, normalized axes, operand), if any.
  public static func rootReduction(_ body: Graph) -> (op: ReduceOp, axes: Set<Int>, operand: Value)?
  {
    guard let root = body.results.first?.value,
      let node = body.nodes.last(where: { $0.result == root }),
      case .reduce(let op, let axes, _) = node.op, let x = body.valueTypes()[node.operands[0]]
    else { return nil }
    return (op, Set(axes.map { $0 < 0 ? $0 + x.rank : $0 }), node.operands[0])
  }

  /// The loop axes over `shape`: size-1 axes dropped, neighbours merged when both are reduced
  /// or both kept and every input stays contiguous across them. Input `i` of shape
  /// `inputShapes[i]` is read through its broadcast to `shape` (stride 0 on expanded axes,
  /// right-aligned); at least one axis.
  public static func layout(shape: [Int], reduced: Set<Int>, inputShapes: [[Int]]) -> [Axis] {
    let strides = inputShapes.map { from -> [Int] in
      var contiguous = [Int](repeating: 1, count: from.count)
      for a in stride(from: from.count - 2, through: 0, by: -1) {
        contiguous[a] = contiguous[a + 1] * from[a + 1]
      }
      let offset = shape.count - from.count
      return shape.indices.map { a in
        a < offset || from[a - offset] != shape[a] ? 0 : contiguous[a - offset]
      }
    }
    var axes: [Axis] = []
    for a in shape.indices where shape[a] != 1 {
      let s = strides.map { $0[a] }
      if let last = axes.last, last.reduced == reduced.contains(a),
        zip(last.strides, s).allSatisfy({ $0 == $1 * shape[a] })
      {
        axes[axes.count - 1] = Axis(size: last.size * shape[a], reduced: last.reduced, strides: s)
      } else {
        axes.append(Axis(size: shape[a], reduced: reduced.contains(a), strides: s))
      }
    }
    if axes.isEmpty {
      axes = [Axis(size: 1, reduced: !reduced.isEmpty, strides: strides.map { _ in 0 })]
    }
    return axes
  }

  /// For a body rooted at a reduction: its layout when it is one reduced innermost axis after
  /// kept ones (a row per output, each input contiguous or constant along the row); nil
  /// otherwise.
  public static func rowLayout(_ body: Graph) -> [Axis]? {
    guard let (_, axes, operand) = rootReduction(body),
      let x = body.valueTypes()[operand]
    else { return nil }
    let layout = layout(
      shape: x.shape, reduced: axes, inputShapes: body.parameters.map(\.type.shape))
    guard let row = layout.last, row.reduced, layout.dropLast().allSatisfy({ !$0.reduced }),
      row.strides.allSatisfy({ $0 == 0 || $0 == 1 })
    else { return nil }
    return layout
  }

  /// Adds `fused` to a parser's custom ops.
  public static func register(in registry: inout CustomOpRegistry) {
    registry.register("fused") {
      (attributes: [String: Attribute]) throws(TypeError) -> any CustomOp in
      guard case .string(let text)? = attributes["body"], attributes.count == 1 else {
        throw TypeError("fused takes exactly one attribute, body = \"graph …\"")
      }
      do {
        let body = try Parser(fileName: "<fused body>").parseGraph(text)
        try verify(body)
        return FusedRegion(body: body)
      } catch {
        throw TypeError("fused: the body does not parse or verify: \(error)")
      }
    }
  }

  /// A registry that knows `fused`.
  public static var customOps: CustomOpRegistry {
    var r = CustomOpRegistry()
    register(in: &r)
    return r
  }
}
