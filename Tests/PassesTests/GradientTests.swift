import IR
import Passes
import Runtime
import TestSupport
import Testing

// MARK: - Numerical checking (f64)

/// Random inputs for a graph's parameters, drawn per parameter from a range chosen by its name
/// prefix: `pos_` (0.5, 2), `idx_` integer indices (filled by the caller), otherwise (-1, 1).
func randomInputs(_ g: Graph, seed: UInt64, fixed: [String: HostTensor] = [:]) throws -> [String:
  HostTensor]
{
  var rng = SeededGenerator(seed: seed)
  var out = fixed
  for p in g.parameters where out[p.name] == nil {
    let range: Range<Double> = p.name.hasPrefix("pos_") ? 0.5..<2 : -1..<1
    let values = (0..<p.type.count).map { _ in Double.random(in: range, using: &rng) }
    out[p.name] = try HostTensor(p.type, doubles: values)
  }
  return out
}

func scalarResult(_ g: Graph, _ name: String, _ inputs: [String: HostTensor]) throws -> Double {
  let out = try Interpreter().run(g, inputs: inputs)
  return try #require(out[name]).doubles[0]
}

/// Checks `grad` of `of` with respect to `wrt` against central finite differences in `directions`
/// random directions: (L(x + εv) − L(x − εv)) / 2ε ≈ ⟨∇L, v⟩. With L = ⟨u, f(x)⟩ this is the
/// VJP inner-product identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩ with J v taken by finite differences.
func checkGradient(
  _ g: Graph, of: String = "loss", wrt: [String], fixed: [String: HostTensor] = [:],
  seed: UInt64 = 1, directions: Int = 3, tolerance: Double = 1e-6, eps: Double = 1e-6,
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let graded = try Gradient(of: of, wrt: wrt).apply(to: g)
  let inputs = try randomInputs(g, seed: seed, fixed: fixed)
  let out = try Interpreter().run(graded, inputs: inputs)
  var rng = SeededGenerator(seed: seed &+ 99)
  for _ in 0..<directions {
    var plus = inputs
    var minus = inputs
    var predicted = 0.0
    for name in wrt {
      let x = try #require(inputs[name])
      let v = (0..<x.count).map { _ in Double.random(in: -1..<1, using: &rng) }
      let grad = try #require(out["grad_\(name)"]).doubles
      predicted += zip(grad, v).map(*).reduce(0, +)
      plus[name] = try HostTensor(x.type, doubles: zip(x.doubles, v).map { $0 + eps * $1 })
      minus[name] = try HostTensor(x.type, doubles: zip(x.doubles, v).map { $0 - eps * $1 })
    }
    let numeric = (try scalarResult(g, of, plus) - scalarResult(g, of, minus)) / (2 * eps)
    let scale = max(1, abs(numeric), abs(predicted))
    #expect(
      abs(numeric - predicted) <= tolerance * scale,
      "\(g.name): finite differences \(numeric), gradient \(predicted)",
      sourceLocation: sourceLocation)
  }
}

/// A graph computing `loss = Σ u ⊙ f(x…)` for one op `f`, with `u` a fixed random weighting.
func opGraph(
  _ name: String, _ params: [(String, TensorType)], _ body: (GraphBuilder, [Value]) -> Value
) throws -> Graph {
  let b = GraphBuilder(name: name)
  let values = params.map { b.parameter($0.0, $0.1) }
  let y = body(b, values)
  let u = b.parameter("u", b.type(y))
  let loss = b.sum(b.mul(y, u), axes: b.allAxes(y))
  return try b.build(results: [("loss", loss)])
}

func f64(_ shape: [Int]) -> TensorType { TensorType(.f64, shape) }

// MARK: - Every differentiable op

@Test(arguments: UnaryOp.allCases)
func unaryGradient(_ k: UnaryOp) throws {
  let restricted: Set<UnaryOp> = [.log, .sqrt, .rsqrt, .reciprocal]
  let name = restricted.contains(k) ? "pos_x" : "x"
  let g = try opGraph(k.rawValue, [(name, f64([2, 3]))]) { b, v in b.unary(k, v[0]) }
  try checkGradient(g, wrt: [name])
}

@Test(arguments: BinaryOp.allCases)
func binaryGradient(_ k: BinaryOp) throws {
  let g = try opGraph(k.rawValue, [("pos_a", f64([3, 2])), ("pos_b", f64([3, 2]))]) { b, v in
    b.binary(k, v[0], v[1])
  }
  try checkGradient(g, wrt: ["pos_a", "pos_b"])
}

/// A table of every other differentiable op: (name, parameters, body, wrt, fixed inputs).
func structuralCases() throws -> [(String, Graph, [String], [String: HostTensor])] {
  var cases: [(String, Graph, [String], [String: HostTensor])] = []
  func add(
    _ name: String, _ params: [(String, TensorType)], wrt: [String]? = nil,
    fixed: [String: HostTensor] = [:], _ body: @escaping (GraphBuilder, [Value]) -> Value
  ) throws {
    cases.append((name, try opGraph(name, params, body), wrt ?? params.map(\.0), fixed))
  }
  try add("select", [("a", f64([4])), ("b", f64([4])), ("c", f64([4]))], wrt: ["a", "b"]) { b, v in
    b.select(b.compare(.greater, v[2], b.constant(0, like: v[2])), v[0], v[1])
  }
  try add("cast", [("x", f64([3]))]) { b, v in
    b.cast(b.mul(b.cast(v[0], to: .f32), b.constant(2, TensorType(.f32, [3]))), to: .f64)
  }
  try add("broadcast", [("x", f64([3, 1]))]) { b, v in b.broadcast(v[0], to: [2, 3, 4]) }
  try add("broadcast_scalar", [("x", f64([]))]) { b, v in b.broadcast(v[0], to: [2, 2]) }
  try add("reshape", [("x", f64([2, 6]))]) { b, v in b.reshape(v[0], [3, 2, 2]) }
  try add("transpose", [("x", f64([2, 3, 4]))]) { b, v in b.transpose(v[0], [2, 0, 1]) }
  try add("slice", [("x", f64([5, 4]))]) { b, v in b.slice(v[0], start: [1, 0], limit: [4, 3]) }
  try add("slice_strided", [("x", f64([7, 5]))]) { b, v in
    b.slice(v[0], start: [1, 0], limit: [6, 5], stride: [2, 3])
  }
  try add("concat", [("x", f64([2, 3])), ("y", f64([2, 1]))]) { b, v in
    b.concat([v[0], v[1], v[0]], axis: 1)
  }
  // A world of one rank: the gradient of both reductions is the identity.
  try add("all_reduce", [("x", f64([2, 3]))]) { b, v in
    b.allReduce(b.mul(v[0], v[0]), .sum)
  }
  try add("all_reduce_mean", [("x", f64([3]))]) { b, v in b.allReduce(v[0], .mean) }
  try add("reduce_sum", [("x", f64([2, 3, 4]))]) { b, v in b.sum(v[0], axes: [0, 2]) }
  try add("reduce_mean", [("x", f64([2, 3, 4]))]) { b, v in b.mean(v[0], axes: [1], keepDims: true)
  }
  try add("reduce_max", [("x", f64([3, 5]))]) { b, v in b.reduce(.max, v[0], axes: [1]) }
  try add("softmax", [("x", f64([3, 5]))]) { b, v in b.softmax(v[0], axis: -1) }
  try add("softmax_axis0", [("x", f64([3, 5]))]) { b, v in b.softmax(v[0], axis: 0) }
  try add("log_softmax", [("x", f64([3, 5]))]) { b, v in b.logSoftmax(v[0], axis: 1) }
  for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
    let a = ta ? [2, 4, 3] : [2, 3, 4]
    let m = tb ? [2, 5, 4] : [2, 4, 5]
    try add("matmul_\(ta)_\(tb)", [("a", f64(a)), ("b", f64(m))]) { b, v in
      b.matmul(v[0], v[1], transposeA: ta, transposeB: tb)
    }
  }
  let ids = try HostTensor(shape: [2, 3], [Int32(0), 4, 2, 4, 4, 1])
  try add(
    "gather", [("table", f64([5, 3])), ("ids", TensorType(.i32, [2, 3]))], wrt: ["table"],
    fixed: ["ids": ids]
  ) { b, v in
    b.gather(v[0], v[1])
  }
  try add(
    "scatter_add", [("upd", f64([2, 3, 2])), ("ids", TensorType(.i32, [2, 3]))], wrt: ["upd"],
    fixed: ["ids": ids]
  ) { b, v in
    b.scatterAdd(v[0], v[1], rows: 5)
  }
  let idx = try HostTensor(shape: [3, 1], [Int64(2), 0, 4])
  try add(
    "take_along_axis", [("x", f64([3, 5])), ("idx", TensorType(.i64, [3, 1]))], wrt: ["x"],
    fixed: ["idx": idx]
  ) { b, v in
    b.takeAlongAxis(v[0], v[1], axis: 1)
  }
  let idx2 = try HostTensor(shape: [2, 4], [Int32(0), 1, 2, 2, 1, 1, 0, 2])
  try add(
    "take_along_axis_cols", [("x", f64([3, 4])), ("idx", TensorType(.i32, [2, 4]))], wrt: ["x"],
    fixed: ["idx": idx2]
  ) { b, v in
    b.takeAlongAxis(v[0], v[1], axis: 0)
  }
  return cases
}

@Test func structuralOpGradients() throws {
  for (name, g, wrt, fixed) in try structuralCases() {
    // The cast case goes through f32: its function is linear, so a large step is exact,
    // while a small one would drown in f32 rounding.
    try checkGradient(
      g, wrt: wrt, fixed: fixed, tolerance: name == "cast" ? 1e-5 : 1e-6,
      eps: name == "cast" ? 0.1 : 1e-6)
  }
}

@Test func everyDifferentiableOpIsChecked() throws {
  var checked = Set(UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue))
  for (_, g, _, _) in try structuralCases() { checked.formUnion(g.nodes.map(\.op.name)) }
  let nonDifferentiable: Set<String> = [
    "greater", "less", "equal", "constant", "iota", "stop_gradient",
  ]
  for name in Op.coreNames where !nonDifferentiable.contains(name) {
    #expect(checked.contains(name), "no gradient check for '\(name)'")
  }
}

@Test func stopGradientBlocksTheGradient() throws {
  let b = GraphBuilder(name: "sg")
  let x = b.parameter("x", f64([3]))
  // loss = Σ x·sg(x): the gradient is sg(x) = x, not 2x.
  let loss = b.sum(b.mul(x, b.stopGradient(x)), axes: [0])
  let g = try Gradient(of: "loss", wrt: ["x"]).apply(to: try b.build(results: [("loss", loss)]))
  let out = try Interpreter().run(g, inputs: ["x": try HostTensor(shape: [3], [1.0, -2, 3])])
  #expect(out["grad_x"]?.doubles == [1, -2, 3])
}

@Test func maxSharesTheCotangentAmongTies() throws {
  let b = GraphBuilder(name: "ties")
  let x = b.parameter("x", f64([4]))
  let loss = b.reduce(.max, x, axes: [0])
  let g = try Gradient(of: "loss", wrt: ["x"]).apply(to: try b.build(results: [("loss", loss)]))
  let out = try Interpreter().run(g, inputs: ["x": try HostTensor(shape: [4], [1.0, 3, 3, 2])])
  #expect(out["grad_x"]?.doubles == [0, 0.5, 0.5, 0])
  // Elementwise max gives ties to the first operand.
  let m = GraphBuilder(name: "tie2")
  let p = m.parameter("p", f64([2]))
  let q = m.parameter("q", f64([2]))
  let l = m.sum(m.maximum(p, q), axes: [0])
  let gm = try Gradient(of: "loss", wrt: ["p", "q"]).apply(to: try m.build(results: [("loss", l)]))
  let o = try Interpreter().run(
    gm,
    inputs: [
      "p": try HostTensor(shape: [2], [1.0, 2]), "q": try HostTensor(shape: [2], [1.0, 3]),
    ])
  #expect(o["grad_p"]?.doubles == [1, 0])
  #expect(o["grad_q"]?.doubles == [0, 1])
}

// MARK: - Whole graphs

/// A 2-layer MLP with softmax cross-entropy; labels are an i32 parameter.
func mlpGraph(
  batch: Int = 4, inputs: Int = 3, hidden: Int = 8, classes: Int = 3, dtype: DType = .f64
) throws -> Graph {
  let b = GraphBuilder(name: "mlp")
  let x = b.parameter("x", TensorType(dtype, [batch, inputs]))
  let labels = b.parameter("labels", TensorType(.i32, [batch, 1]))
  let w1 = b.parameter("w1", TensorType(dtype, [inputs, hidden]))
  let b1 = b.parameter("b1", TensorType(dtype, [hidden]))
  let w2 = b.parameter("w2", TensorType(dtype, [hidden, classes]))
  let b2 = b.parameter("b2", TensorType(dtype, [classes]))
  let h = b.tanh(b.add(b.matmul(x, w1), b1))
  let logits = b.add(b.matmul(h, w2), b2)
  let logp = b.logSoftmax(logits, axis: -1)
  let picked = b.takeAlongAxis(logp, labels, axis: 1)
  let loss = b.neg(b.mean(picked, axes: [0, 1]))
  return try b.build(results: [("loss", loss)])
}

@Test func mlpWithCrossEntropyGradient() throws {
  let labels = try HostTensor(shape: [4, 1], [Int32(0), 2, 1, 2])
  try checkGradient(try mlpGraph(), wrt: ["w1", "b1", "w2", "b2"], fixed: ["labels": labels])
}

/// One causal attention block: RMSNorm, RoPE (rotate-half), scaled dot-product attention with a
/// causal mask and softmax, output projection, SwiGLU MLP, residuals.
func attentionBlockGraph(tokens t: Int = 4, model d: Int = 8, heads h: Int = 2, hidden f: Int = 12)
  throws -> Graph
{
  let hd = d / h
  let b = GraphBuilder(name: "attention_block")
  let x = b.parameter("x", f64([t, d]))
  let gNorm1 = b.parameter("norm1", f64([d]))
  let wq = b.parameter("wq", f64([d, d]))
  let wk = b.parameter("wk", f64([d, d]))
  let wv = b.parameter("wv", f64([d, d]))
  let wo = b.parameter("wo", f64([d, d]))
  let gNorm2 = b.parameter("norm2", f64([d]))
  let wGate = b.parameter("w_gate", f64([d, f]))
  let wUp = b.parameter("w_up", f64([d, f]))
  let wDown = b.parameter("w_down", f64([f, d]))

  func rmsNorm(_ v: Value, _ gain: Value) -> Value {
    let ms = b.mean(b.mul(v, v), axes: [-1], keepDims: true)
    return b.mul(b.mul(v, b.rsqrt(b.add(ms, b.constant(1e-5, .scalar(.f64))))), gain)
  }
  // RoPE tables: θ[p, i] = p · base^(-2i/hd).
  let pos = b.iota(axis: 0, f64([t, hd / 2]))
  let i = b.iota(axis: 1, f64([t, hd / 2]))
  // ln 10000 = 9.2103…
  let invFreq = b.exp(b.mul(i, b.constant(-2 * 9.210340371976184 / Double(hd), .scalar(.f64))))
  let theta = b.mul(pos, invFreq)
  let (cosT, sinT) = (b.cos(theta), b.sin(theta))
  func rope(_ v: Value) -> Value {  // v: [h, t, hd]
    let x1 = b.slice(v, start: [0, 0, 0], limit: [h, t, hd / 2])
    let x2 = b.slice(v, start: [0, 0, hd / 2], limit: [h, t, hd])
    return b.concat(
      [b.sub(b.mul(x1, cosT), b.mul(x2, sinT)), b.add(b.mul(x2, cosT), b.mul(x1, sinT))], axis: 2)
  }
  func heads(_ v: Value) -> Value { b.transpose(b.reshape(v, [t, h, hd]), [1, 0, 2]) }

  let n1 = rmsNorm(x, gNorm1)
  let q = rope(heads(b.matmul(n1, wq)))
  let k = rope(heads(b.matmul(n1, wk)))
  let v = heads(b.matmul(n1, wv))
  let scores = b.mul(
    b.matmul(q, k, transposeB: true), b.constant(1 / Double(hd).squareRoot(), .scalar(.f64)))
  let future = b.compare(
    .greater, b.iota(axis: 1, TensorType(.i32, [t, t])), b.iota(axis: 0, TensorType(.i32, [t, t])))
  let masked = b.select(future, b.constant(-1e9, .scalar(.f64)), scores)
  let probs = b.softmax(masked, axis: -1)
  let attn = b.reshape(b.transpose(b.matmul(probs, v), [1, 0, 2]), [t, d])
  let x2 = b.add(x, b.matmul(attn, wo))
  let n2 = rmsNorm(x2, gNorm2)
  let mlp = b.matmul(b.mul(b.silu(b.matmul(n2, wGate)), b.matmul(n2, wUp)), wDown)
  let y = b.add(x2, mlp)
  let loss = b.mean(b.mul(y, y), axes: [0, 1])
  return try b.build(results: [("loss", loss)])
}

@Test func attentionBlockGradient() throws {
  let g = try attentionBlockGraph()
  try checkGradient(g, wrt: g.parameters.map(\.name), tolerance: 1e-5)
}

@Test func sgdTrainingLowersTheLoss() throws {
  let g = try Gradient(of: "loss", wrt: ["w1", "b1", "w2", "b2"]).apply(
    to: try mlpGraph(batch: 16, inputs: 2, hidden: 16, classes: 2))
  // Two classes separated by the sign of x0·x1 (not linearly separable).
  var rng = SeededGenerator(seed: 7)
  var xs: [Double] = []
  var ys: [Int32] = []
  for _ in 0..<16 {
    let (a, c) = (Double.random(in: -1..<1, using: &rng), Double.random(in: -1..<1, using: &rng))
    xs += [a, c]
    ys.append(a * c > 0 ? 1 : 0)
  }
  var inputs = try randomInputs(
    g, seed: 3,
    fixed: [
      "x": try HostTensor(shape: [16, 2], xs), "labels": try HostTensor(shape: [16, 1], ys),
    ])
  var losses: [Double] = []
  for _ in 0..<300 {
    let out = try Interpreter().run(g, inputs: inputs)
    losses.append(try #require(out["loss"]).doubles[0])
    for name in ["w1", "b1", "w2", "b2"] {
      let p = try #require(inputs[name])
      let grad = try #require(out["grad_\(name)"]).doubles
      inputs[name] = try HostTensor(p.type, doubles: zip(p.doubles, grad).map { $0 - 0.5 * $1 })
    }
  }
  #expect(losses.last! < 0.5 * losses.first!, "loss went from \(losses.first!) to \(losses.last!)")
}

/// A table read by three gathers (ids of different shapes and types) and by a matmul, as a tied
/// embedding read by a batch and by clones: its gradient has one scatter_add, and
/// matches finite differences.
@Test func gathersOfOneTableShareOneScatter() throws {
  let b = GraphBuilder(name: "tied")
  let table = b.parameter("table", f64([6, 3]))
  let ids1 = b.parameter("ids1", TensorType(.i32, [2, 2]))
  let ids2 = b.parameter("ids2", TensorType(.i32, [3]))
  let ids3 = b.parameter("ids3", TensorType(.i64, [1, 2]))
  let u1 = b.parameter("u1", f64([2, 2, 3]))
  let u2 = b.parameter("u2", f64([3, 3]))
  let u3 = b.parameter("u3", f64([1, 2, 3]))
  let h = b.parameter("h", f64([2, 3]))
  let logits = b.matmul(h, table, transposeB: true)
  var loss = b.sum(b.mul(logits, logits), axes: [0, 1])
  for (ids, u) in [(ids1, u1), (ids2, u2), (ids3, u3)] {
    let y = b.tanh(b.gather(table, ids))
    loss = b.add(loss, b.sum(b.mul(y, u), axes: b.allAxes(y)))
  }
  let g = try b.build(results: [("loss", loss)])
  let graded = try Gradient(of: "loss", wrt: ["table"]).apply(to: g)
  #expect(graded.nodes.filter { if case .scatterAdd = $0.op { true } else { false } }.count == 1)
  let fixed = [
    "ids1": try HostTensor(shape: [2, 2], [Int32(0), 5, 5, 2]),
    "ids2": try HostTensor(shape: [3], [Int32(2), 2, 4]),
    "ids3": try HostTensor(shape: [1, 2], [Int64(5), 0]),
  ]
  try checkGradient(g, wrt: ["table"], fixed: fixed)
}

// MARK: - Errors and edge cases

@Test func unreachedParametersGetZeroGradients() throws {
  let b = GraphBuilder(name: "g")
  let x = b.parameter("x", f64([2]))
  let unused = b.parameter("unused", f64([3]))
  _ = unused
  let loss = b.sum(b.exp(x), axes: [0])
  let g = try Gradient(of: "loss", wrt: ["x", "unused"]).apply(
    to: try b.build(results: [("loss", loss)]))
  let out = try Interpreter().run(
    g,
    inputs: [
      "x": try HostTensor(shape: [2], [0.0, 1]), "unused": try HostTensor(shape: [3], [1.0, 2, 3]),
    ])
  #expect(out["grad_unused"]?.doubles == [0, 0, 0])
  #expect(out["grad_x"]?.isClose(to: try HostTensor(shape: [2], [1.0, 2.718281828459045])) == true)
}

@Test func comparisonUsedAsValueIsALocatedError() throws {
  let b = GraphBuilder(name: "g")
  let x = b.parameter("x", f64([2]))
  let line = #line + 1
  let indicator = b.cast(b.compare(.greater, x, b.constant(0, like: x)), to: .f64)
  let loss = b.sum(b.mul(indicator, x), axes: [0])
  let g = try b.build(results: [("loss", loss)])
  do {
    _ = try Gradient(of: "loss", wrt: ["x"]).apply(to: g)
    Issue.record("expected an error")
  } catch {
    #expect(error.location.line == line, "\(error)")
    #expect(error.description.contains("'cast' from i1 to f64 is not differentiable"), "\(error)")
  }
}

@Test func badGradientRequestsAreClearErrors() throws {
  let b = GraphBuilder(name: "g")
  let x = b.parameter("x", f64([2]))
  let ids = b.parameter("ids", TensorType(.i32, [2]))
  _ = ids
  let y = b.exp(x)
  let g = try b.build(results: [("y", y), ("s", b.sum(y, axes: [0]))])
  let cases: [(Gradient, String)] = [
    (Gradient(of: "y", wrt: ["x"]), "must be a float scalar"),
    (Gradient(of: "nope", wrt: ["x"]), "names no result"),
    (Gradient(of: "s", wrt: ["z"]), "is not a parameter"),
    (Gradient(of: "s", wrt: ["ids"]), "not a float tensor"),
    (Gradient(of: "s", wrt: []), "lists no parameter"),
  ]
  for (pass, message) in cases {
    #expect(throws: Diagnostic.self) { try pass.apply(to: g) }
    do { _ = try pass.apply(to: g) } catch {
      #expect(error.description.contains(message), "\(error)")
    }
  }
}
