import IR

/// `sink-divergence{lambda=300 sink=0 samples=1 layers=… heads=… detach-safe=false}`: the
/// Surgery regularizer as a graph rewrite.
///
/// Finds the attention probabilities: the softmaxes marked `{attention = true}` (the layer API
/// marks every one it builds, whatever the masking or scaling), or, in IR without marks, by
/// structure — a `softmax` over the last axis of `[B, H, T, S]` scores that are a `q·kᵀ`
/// `matmul`, optionally scaled (`mul`/`div` by a constant) and masked (`select` with a
/// constant, or `add` of a bias) — never by names. It then adds a forward clone of the part of
/// the graph those softmaxes need, run on a batch of the harmful samples followed by as many safe
/// ones (nodes `clones.…`), sharing every weight, and appends the penalty:
///
///   αₕ(X) = Σᵢ w[i]·A_h[i, sink] / Σᵢ w[i],  w[i] = mask[i]·[i ≠ sink]  (mean over the samples)
///   dₕ = αₕ(harmful) − αₕ(safe),   penalty = mean over the selected heads of ReLU(dₕ)
///   loss ← loss + λ·penalty
///
/// New parameters (all inputs): `harmful_tokens`, `safe_tokens` (the token input's dtype,
/// `[samples, T]`) and `harmful_mask`, `safe_mask` (i32 `[samples, T]`, 1 = real token; right
/// padding). Other inputs the clones need per sequence — those with the token batch as their
/// leading axis: positions, attention masks, a float additive bias — get `harmful_`/`safe_`
/// copies with `samples` rows. Weights are never copied, whatever their shape: the clones
/// share them, so the penalty's gradient reaches them. Inputs without the batch axis (a `[T, T]`
/// causal bias) are shared too, as every row of the batch shares them.
/// New results: `task_loss` (the loss before the penalty), `sink_penalty`, and `[layers, heads]`
/// tables `sink_divergence`, `sink_alpha_harmful`, `sink_alpha_safe`.
///
/// With one sample, no padding and sink 0 this is the reference's
/// `attn[:, h, 1:, 0].mean()`; larger batches average per sample over real query positions.
/// `sink=auto` is resolved before the pass (the analysis picks the key position with the most
/// aggregate attention on a calibration batch and passes its index).
///
/// - Requires: a verified training graph with a scalar float result `loss`, an integer token
///   input `[B, T]` (`tokens`), attention softmaxes as above (none found is an error); `grad`
///   has not run (checked). Statistics `sink-divergence.attention-layers` and `.heads`, and a
///   note `sink-divergence` naming each layer's softmax, report what was found.
/// - Establishes: the rewritten loss and the results above; the clones hold only what the
///   attention probabilities need (no LM head, nothing after the last attention).
/// - Idempotent: no (the new parameters and results would exist twice: an error).
public struct SinkDivergence: Pass, Sendable {
  public let name = "sink-divergence"
  public var lambda: Double
  public var sink: Int
  public var samples: Int
  /// Layer indices (in graph order of the attention softmaxes) that count; nil = all.
  public var layers: [Int]?
  /// Head indices that count in every counted layer; nil = all.
  public var heads: [Int]?
  /// Stop gradients through the safe side (the reference keeps them).
  public var detachSafe: Bool
  public var loss: String
  public var tokens: String

  public init(
    lambda: Double = 300, sink: Int = 0, samples: Int = 1, layers: [Int]? = nil,
    heads: [Int]? = nil,
    detachSafe: Bool = false, loss: String = "loss", tokens: String = "tokens"
  ) {
    self.lambda = lambda
    self.sink = sink
    self.samples = samples
    self.layers = layers
    self.heads = heads
    self.detachSafe = detachSafe
    self.loss = loss
    self.tokens = tokens
  }

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    try context.requireNotRun("grad", by: name)
    let attention = try Self.attention(in: graph)
    graph = try apply(to: graph)
    context.count("sink-divergence.attention-layers", by: attention.softmaxes.count)
    context.count("sink-divergence.heads", by: attention.heads)
    context.notes[name] = attention.summary
    return true
  }

  /// The attention softmaxes of a graph, one per layer in graph order, and how they were found.
  public struct Attention: Sendable {
    public var softmaxes: [Node]
    /// Heads per layer (axis 1 of the probabilities).
    public var heads: Int
    /// Key positions (axis 3).
    public var keys: Int
    /// Found by their `{attention = true}` mark rather than by structure.
    public var marked: Bool

    /// One line: `2 attention layers × 4 heads (marked softmaxes): layer 0 %p1, layer 1 %p2`.
    public var summary: String {
      let layers = softmaxes.enumerated().map { "layer \($0.offset) %\($0.element.name)" }
      return "\(softmaxes.count) attention layer\(softmaxes.count == 1 ? "" : "s") × \(heads) "
        + "head\(heads == 1 ? "" : "s") (\(marked ? "marked softmaxes" : "found by structure")): "
        + layers.joined(separator: ", ")
    }
  }

  /// The attention softmaxes and their head and key counts; no attention found, or layers that
  /// differ in head or key count, is an error.
  public static func attention(in graph: Graph) throws(PassError) -> Attention {
    let marked = markedSoftmaxes(in: graph)
    let softmaxes = marked.isEmpty ? structuralSoftmaxes(in: graph) : marked
    guard let first = softmaxes.first else {
      throw PassError(
        "sink-divergence: found no attention in @\(graph.name): no softmax is marked "
          + "{attention = true} and none has the structure of attention (a softmax over the last "
          + "axis of [batch, heads, queries, keys] scores q·kᵀ, optionally scaled by a constant "
          + "and masked by a select or an added bias); mark the attention softmaxes")
    }
    let (heads, keys) = (first.type.shape[1], first.type.shape[3])
    if let other = softmaxes.first(where: { $0.type.shape[1] != heads || $0.type.shape[3] != keys })
    {
      throw PassError(
        "sink-divergence: attention layers differ in head or key count: %\(first.name) is "
          + "\(first.type), %\(other.name) is \(other.type)")
    }
    return Attention(softmaxes: softmaxes, heads: heads, keys: keys, marked: !marked.isEmpty)
  }

  /// The softmax nodes that compute attention probabilities, in graph order: the marked ones
  /// when the graph has any, else those with the structure of attention.
  public static func attentionSoftmaxes(in graph: Graph) -> [Node] {
    let marked = markedSoftmaxes(in: graph)
    return marked.isEmpty ? structuralSoftmaxes(in: graph) : marked
  }

  /// The softmaxes marked `{attention = true}` (the type rule makes them `[B, H, T, S]` over S).
  static func markedSoftmaxes(in graph: Graph) -> [Node] {
    graph.nodes.filter { if case .softmax(_, true) = $0.op { true } else { false } }
  }

  /// Unmarked softmaxes over the last axis of scaled, masked `q·kᵀ` scores.
  static func structuralSoftmaxes(in graph: Graph) -> [Node] {
    var producer: [Value: Node] = [:]
    for n in graph.nodes { producer[n.result] = n }
    func isConstant(_ v: Value) -> Bool {
      guard let n = producer[v] else { return false }
      if case .constant = n.op { return true }
      if case .broadcast = n.op { return isConstant(n.operands[0]) }
      return false
    }
    func isScores(_ v: Value) -> Bool {
      guard let n = producer[v] else { return false }
      switch n.op {
      case .matmul(false, true): return n.type.rank == 4
      case .binary(.mul), .binary(.div):
        return (isScores(n.operands[0]) && isConstant(n.operands[1]))
          || (n.op == .binary(.mul) && isConstant(n.operands[0]) && isScores(n.operands[1]))
      default: return false
      }
    }
    func isMaskedScores(_ v: Value) -> Bool {
      guard let n = producer[v] else { return false }
      switch n.op {
      case .select:
        return (isScores(n.operands[1]) && isConstant(n.operands[2]))
          || (isConstant(n.operands[1]) && isScores(n.operands[2]))
      case .binary(.add): return isScores(n.operands[0]) || isScores(n.operands[1])
      default: return isScores(v)
      }
    }
    return graph.nodes.filter { n in
      guard case .softmax(let axis, _) = n.op, n.type.rank == 4, axis == -1 || axis == 3 else {
        return false
      }
      return isMaskedScores(n.operands[0])
    }
  }

  /// The rewritten graph.
  public func apply(to graph: Graph) throws(PassError) -> Graph {
    if graph.results.contains(where: { $0.name.hasPrefix("grad_") }) {
      throw PassError(
        "sink-divergence must run before grad: the graph already has gradient results")
    }
    guard let lossResult = graph.result(named: loss) else {
      throw PassError("sink-divergence: the graph has no result '\(loss)'")
    }
    let types = graph.valueTypes()
    guard let lossType = types[lossResult.value], lossType.rank == 0, lossType.dtype.isFloat else {
      throw PassError("sink-divergence: result '\(loss)' must be a float scalar")
    }
    guard let tokenParameter = graph.parameter(named: tokens), tokenParameter.type.dtype.isInteger,
      tokenParameter.type.rank == 2
    else {
      throw PassError(
        "sink-divergence: the graph needs an integer token input '\(tokens)' of shape [batch, tokens]"
      )
    }
    guard samples >= 1 else { throw PassError("sink-divergence: samples must be at least 1") }
    for name in ["harmful_tokens", "safe_tokens", "harmful_mask", "safe_mask"]
    where graph.parameter(named: name) != nil {
      throw PassError("sink-divergence: the graph already has a parameter '\(name)'")
    }
    let attention = try Self.attention(in: graph)
    let (softmaxes, heads, keys) = (attention.softmaxes, attention.heads, attention.keys)
    guard sink >= 0, sink < keys else {
      throw PassError("sink-divergence: sink position \(sink) is outside the \(keys) key positions")
    }
    let layerCount = softmaxes.count
    let countedLayers = layers ?? Array(0..<layerCount)
    let countedHeads = self.heads ?? Array(0..<heads)
    guard countedLayers.allSatisfy({ (0..<layerCount).contains($0) }), !countedLayers.isEmpty else {
      throw PassError("sink-divergence: layers must be in 0..<\(layerCount)")
    }
    guard countedHeads.allSatisfy({ (0..<heads).contains($0) }), !countedHeads.isEmpty else {
      throw PassError("sink-divergence: heads must be in 0..<\(heads)")
    }

    let b = GraphBuilder(continuing: graph)
    b.locationOverride = SourceLocation(file: "sink-divergence", line: 0)
    let dtype = lossType.dtype
    let tokenCount = tokenParameter.type.shape[1]
    // One clone runs both sides as one batch, harmful rows first: its products have twice the
    // rows (and its weight gradients twice the contraction) of a clone per side.
    let sides = ["harmful", "safe"]
    var sideTokens: [Value] = []
    var sideMasks: [Value] = []
    for side in sides {
      sideTokens.append(
        b.parameter(
          "\(side)_tokens", TensorType(tokenParameter.type.dtype, [samples, tokenCount]),
          role: .input))
      sideMasks.append(
        b.parameter("\(side)_mask", TensorType(.i32, [samples, tokenCount]), role: .input))
    }
    var cloner = try BatchCloner(
      graph: graph, builder: b, sides: sides, rowsPerSide: samples, tokens: tokenParameter,
      replacement: b.concat(sideTokens, axis: 0))
    let (weights, counts) = queryWeights(mask: b.concat(sideMasks, axis: 0), dtype: dtype, in: b)
    var perLayer: [[Value]] = sides.map { _ in [] }
    for softmax in softmaxes {
      let probabilities = try cloner.clone(softmax.result)
      let rows = sinkValues(probabilities, weights: weights, counts: counts, in: b)  // [2N, H]
      for i in sides.indices {
        let side = b.slice(rows, start: [i * samples, 0], limit: [(i + 1) * samples, heads])
        perLayer[i].append(b.reshape(b.mean(side, axes: [0]), [1, heads]))
      }
    }
    var alphas = perLayer.map { b.concat($0, axis: 0) }  // [layers, heads] per side
    if detachSafe { alphas[1] = b.stopGradient(alphas[1]) }
    let divergence = b.sub(alphas[0], alphas[1])
    let positive = b.relu(divergence)
    let penalty: Value
    if countedLayers.count == layerCount && countedHeads.count == heads {
      penalty = b.mean(positive, axes: [0, 1])
    } else {
      let selected = selectionMask(
        layers: Set(countedLayers), heads: Set(countedHeads), shape: [layerCount, heads],
        dtype: dtype, in: b)
      let total = b.sum(b.mul(positive, selected), axes: [0, 1])
      penalty = b.div(
        total, b.constant(Double(countedLayers.count * countedHeads.count), .scalar(dtype)))
    }
    let newLoss = b.add(lossResult.value, b.mul(b.constant(lambda, .scalar(dtype)), penalty))
    if let problem = b.diagnostics.first { throw PassError("sink-divergence: \(problem)") }
    var out = b.graph
    out.results = graph.results.map {
      $0.name == loss ? GraphResult(name: loss, value: newLoss) : $0
    }
    for (name, value) in [
      ("task_loss", lossResult.value), ("sink_penalty", penalty), ("sink_divergence", divergence),
      ("sink_alpha_harmful", alphas[0]), ("sink_alpha_safe", alphas[1]),
    ] {
      guard graph.result(named: name) == nil else {
        throw PassError("sink-divergence: the graph already has a result '\(name)'")
      }
      out.results.append(GraphResult(name: name, value: value))
    }
    do {
      try verify(out)
    } catch {
      throw PassError("sink-divergence produced an invalid graph: \(error)")
    }
    return out
  }

  /// The query weights w `[N, T]` (real tokens other than the sink) and their counts `[N, 1]`
  /// (at least 1), from a padding mask `[N, T]`: shared by every layer of one side.
  func queryWeights(mask: Value, dtype: DType, in b: GraphBuilder) -> (
    weights: Value, counts: Value
  ) {
    let s = b.shape(mask)
    let (n, t) = (s[0], s[1])
    let real = b.cast(
      b.compare(.greater, mask, b.constant(0, TensorType(.i32, [n, t]))), to: dtype)
    let isSink = b.cast(
      b.compare(
        .equal, b.iota(axis: 1, TensorType(.i32, [n, t])),
        b.constant(Double(sink), TensorType(.i32, [n, t]))), to: dtype)
    let weights = b.mul(real, b.sub(b.constant(1, TensorType(dtype, [n, t])), isSink))
    let counts = b.maximum(
      b.sum(weights, axes: [1], keepDims: true), b.constant(1, TensorType(dtype, [n, 1])))
    return (weights, counts)
  }

  /// Per sample, the weighted mean over queries of the sink column of probabilities
  /// `[N, H, T, S]`: `[N, H]` (αₕ is its mean over a side's samples).
  func sinkValues(_ probabilities: Value, weights: Value, counts: Value, in b: GraphBuilder)
    -> Value
  {
    let s = b.shape(probabilities)
    let (n, h, t) = (s[0], s[1], s[2])
    let column = b.reshape(
      b.slice(probabilities, start: [0, 0, 0, sink], limit: [n, h, t, sink + 1]), [n, h, t])
    let weighted = b.sum(b.mul(column, b.reshape(weights, [n, 1, t])), axes: [2])  // [N, H]
    return b.div(weighted, counts)
  }

  /// 1 where (layer, head) counts, else 0: `[layers, heads]`.
  func selectionMask(
    layers: Set<Int>, heads: Set<Int>, shape: [Int], dtype: DType, in b: GraphBuilder
  ) -> Value {
    func indicator(_ axis: Int, _ chosen: Set<Int>) -> Value {
      let positions = b.iota(axis: axis, TensorType(.i32, shape))
      var hit = b.constant(0, TensorType(dtype, shape))
      for i in chosen.sorted() {
        hit = b.add(
          hit,
          b.cast(
            b.compare(.equal, positions, b.constant(Double(i), TensorType(.i32, shape))), to: dtype)
        )
      }
      return hit
    }
    return b.mul(indicator(0, layers), indicator(1, heads))
  }
}

/// Clones the part of a graph that a value needs for a new batch of sides × rows per side: every
/// value that depends on the batch's data is rebuilt with its leading axis rescaled
/// (`B·k → N·k`), the token input is replaced, another input with the batch as leading axis gets
/// one copy per side prefixed with the side's name (role input, `rowsPerSide` rows),
/// concatenated in side order, and everything else is shared: weights (a `[1, …]` one is
/// broadcast to the new batch), values computed from them alone, inputs without the batch axis.
/// Batch-shaped values that hold no batch data (constants, broadcasts of weights) are shared when
/// the batch size is unchanged and rebuilt at the new size otherwise.
struct BatchCloner {
  let graph: Graph
  let builder: GraphBuilder
  let batch: Int
  let newBatch: Int
  let sides: [String]
  let rowsPerSide: Int
  let tokens: Parameter
  var producer: [Value: Node] = [:]
  var parameters: [Value: Parameter] = [:]
  /// Values that depend on an input with the batch as its leading axis (token ids, positions,
  /// masks, a float bias).
  var batchData: Set<Value> = []
  var clones: [Value: Value] = [:]

  init(
    graph: Graph, builder: GraphBuilder, sides: [String], rowsPerSide: Int, tokens: Parameter,
    replacement: Value
  ) throws(PassError) {
    self.graph = graph
    self.builder = builder
    self.batch = tokens.type.shape[0]
    self.newBatch = sides.count * rowsPerSide
    self.sides = sides
    self.rowsPerSide = rowsPerSide
    self.tokens = tokens
    for p in graph.parameters {
      parameters[p.value] = p
      if p.role == .input && p.type.shape.first == batch { batchData.insert(p.value) }
    }
    for n in graph.nodes {
      producer[n.result] = n
      if n.operands.contains(where: batchData.contains) { batchData.insert(n.result) }
    }
    clones[tokens.value] = replacement
  }

  func fail(_ n: Node, _ why: String) -> PassError {
    PassError(
      "sink-divergence: cannot re-batch '%\(n.name) = \(n.op.name)' (\(n.location)): \(why)")
  }

  /// The rescaled leading dimension.
  func rescale(_ d: Int, _ n: Node) throws(PassError) -> Int {
    guard batch > 0, d % batch == 0 else {
      throw fail(n, "leading dimension \(d) is not a multiple of the batch \(batch)")
    }
    return d / batch * newBatch
  }

  func rescaled(_ shape: [Int], _ n: Node) throws(PassError) -> [Int] {
    guard let first = shape.first else { return shape }
    return [try rescale(first, n)] + shape.dropFirst()
  }

  /// Whether operand `i` of `n` carries the batch on the axis that becomes the result's axis 0.
  func carriesBatch(_ n: Node, operand i: Int, types: [Value: TensorType]) throws(PassError) -> Bool
  {
    let o = n.operands[i]
    guard let t = types[o], t.rank >= 1 else { return false }
    let aligned: Bool
    switch n.op {
    case .unary, .binary, .compare, .select, .cast, .stopGradient, .reshape, .reduce, .softmax,
      .logSoftmax,
      .concat, .slice, .takeAlongAxis:
      aligned = true
    case .broadcast: aligned = t.rank == n.type.rank
    case .transpose(let perm):
      guard perm.first == 0 else { throw fail(n, "the transpose moves the batch axis") }
      aligned = true
    case .matmul(let ta, _):
      if n.type.rank >= 3 { aligned = true } else { aligned = i == 0 && !ta }
    case .gather: aligned = i == 1
    case .constant, .iota: aligned = false
    case .scatterAdd, .allReduce, .custom:
      throw fail(n, "op not supported in a re-batched clone")
    }
    guard aligned else {
      if batchData.contains(o) && n.type.rank >= 1 {
        throw fail(n, "operand %\(o) carries data off the batch axis")
      }
      return false
    }
    // A broadcast operand with a leading 1 that holds no data expands to any batch: share it.
    // Every other aligned operand must have the result's (new) batch.
    if case .broadcast = n.op { return batchData.contains(o) || t.shape[0] != 1 }
    return true
  }

  /// The clone of `v` (rebuilt for the new batch), emitting what it needs.
  mutating func clone(_ v: Value) throws(PassError) -> Value {
    if let c = clones[v] { return c }
    // Mark what must be rebuilt, walking back from v.
    let types = graph.valueTypes()
    var needed: Set<Value> = [v]
    for n in graph.nodes.reversed() where needed.contains(n.result) && clones[n.result] == nil {
      for i in n.operands.indices where clones[n.operands[i]] == nil {
        let o = n.operands[i]
        guard try carriesBatch(n, operand: i, types: types) else { continue }
        if let t = types[o], !batchData.contains(o), let shared = shared(o, t) {
          clones[o] = shared
        } else {
          needed.insert(o)
        }
      }
    }
    for p in graph.parameters where needed.contains(p.value) && clones[p.value] == nil {
      guard batchData.contains(p.value) else { throw notBatched(p) }
      let copies = sides.map {
        builder.parameter(
          "\($0)_\(p.name)", p.type.with(shape: [rowsPerSide] + p.type.shape.dropFirst()),
          role: .input)
      }
      clones[p.value] = builder.concat(copies, axis: 0)
    }
    for n in graph.nodes where needed.contains(n.result) && clones[n.result] == nil {
      let operands = n.operands.map { clones[$0] ?? $0 }
      let op = try rescaledOp(n)
      let declared: TensorType? =
        switch n.op {
        case .constant, .iota, .cast: n.type.with(shape: try rescaled(n.type.shape, n))
        default: nil
        }
      let before = builder.diagnostics.count
      let c = builder.emit(
        op, operands, type: declared, name: "clones.\(n.name)", at: n.location)
      if builder.diagnostics.count > before { throw fail(n, builder.diagnostics[before].message) }
      clones[n.result] = c
    }
    guard let c = clones[v] else {
      throw PassError("sink-divergence: internal error: no clone for \(v)")
    }
    return c
  }

  /// What the clones use for `v`, a value without batch data of type `t`, when it need not be
  /// rebuilt: `v` itself when the new batch leaves its shape unchanged, a broadcast when its
  /// leading axis is 1 (batch 1: every new row is the same); nil when it must be rebuilt. A
  /// weight with the batch as its leading axis holds per-row values: never shared, even when the
  /// clone's batch equals the training batch (it cannot be rebuilt either: an error).
  func shared(_ v: Value, _ t: TensorType) -> Value? {
    guard let first = t.shape.first, batch > 0, first % batch == 0 else { return nil }
    if parameters[v]?.role == .weight && batch != 1 && first == batch { return nil }
    let shape = [first / batch * newBatch] + t.shape.dropFirst()
    if shape == t.shape { return v }
    return first == 1 ? builder.broadcast(v, to: shape) : nil
  }

  /// The error for a parameter the clones would have to copy but cannot.
  func notBatched(_ p: Parameter) -> PassError {
    switch p.role {
    case .weight:
      PassError(
        "sink-divergence: weight '%\(p.name)' \(p.type) has the batch (\(batch)) as its leading "
          + "axis, so the \(newBatch)-sequence clones cannot share it; weights are never copied: "
          + "give it no batch axis (for instance [T, D], broadcast to the batch)")
    case .input:
      PassError(
        "sink-divergence: input '%\(p.name)' \(p.type) is used along the batch axis but its "
          + "leading dimension is not the batch (\(batch))")
    }
  }

  func rescaledOp(_ n: Node) throws(PassError) -> Op {
    switch n.op {
    case .broadcast(let shape): return .broadcast(shape: try rescaled(shape, n))
    case .reshape(let shape): return .reshape(shape: try rescaled(shape, n))
    case .slice(let start, let limit, let stride):
      guard let full = graph.valueTypes()[n.operands[0]]?.shape.first, start.first == 0,
        limit.first == full,
        stride.first == 1
      else { throw fail(n, "the slice cuts the batch axis") }
      return .slice(start: start, limit: try rescaled(limit, n), stride: stride)
    case .concat(let axis) where axis == 0 || axis == -n.type.rank:
      throw fail(n, "concatenation along the batch axis")
    case .reduce(_, let axes, _) where axes.contains(0) || axes.contains(-n.type.rank):
      throw fail(n, "reduction over the batch axis")
    case .softmax(let axis, _) where axis == 0 || axis == -n.type.rank:
      throw fail(n, "a softmax along the batch axis")
    case .logSoftmax(let axis) where axis == 0 || axis == -n.type.rank:
      throw fail(n, "a softmax along the batch axis")
    case .takeAlongAxis(let axis) where axis == 0 || axis == -n.type.rank:
      throw fail(n, "indexing along the batch axis")
    default: return n.op
    }
  }
}
