import IR
import TestSupport
import Testing

/// One graph that uses every core op, written by hand in the text format.
let everyOpText = """
  // Every core op once, with its attributes.
  graph @every_op(%x: f32[2,3], %y: f32[2,3], %m: f32[3,4], %ids: i32[5], %idx: i64[2,1]) -> (a: f32[2,3], b: f32[5,3], c: f32[2,1], d: f32[2,4], e: i1[2,3], f: f32[]) {
    %neg = neg %x : f32[2,3]
    %exp = exp %neg : f32[2,3]
    %log = log %exp : f32[2,3]
    %sqrt = sqrt %exp : f32[2,3]
    %rsqrt = rsqrt %exp : f32[2,3]
    %tanh = tanh %x : f32[2,3]
    %sigmoid = sigmoid %x : f32[2,3]
    %relu = relu %x : f32[2,3]
    %silu = silu %x : f32[2,3]
    %gelu = gelu %x : f32[2,3]
    %abs = abs %x : f32[2,3]
    %reciprocal = reciprocal %exp : f32[2,3]
    %sin = sin %x : f32[2,3]
    %cos = cos %x : f32[2,3]
    %erf = erf %x : f32[2,3]
    %add = add %x, %y : f32[2,3]
    %sub = sub %add, %y : f32[2,3]
    %mul = mul %sub, %tanh : f32[2,3]
    %div = div %mul, %exp : f32[2,3]
    %max = max %div, %relu : f32[2,3]
    %min = min %max, %gelu : f32[2,3]
    %pow = pow %exp, %y : f32[2,3]
    %gt = greater %x, %y : i1[2,3]
    %lt = less %x, %y : i1[2,3]
    %eq = equal %x, %y : i1[2,3]
    %sel = select %gt, %min, %pow : f32[2,3]
    %c64 = cast %sel : f64[2,3]
    %c32 = cast %c64 : f32[2,3]
    %sg = stop_gradient %c32 : f32[2,3]
    %ar = all_reduce %sg {communicator = "world", reduction = "mean"} : f32[2,3]
    %one = constant {value = 1.5} : f32[2,3]
    %ninf = constant {value = -inf} : f32[2,3]
    %io = iota {axis = 1} : f32[2,3]
    %s = reduce_sum %c32 {axes = [0, 1]} : f32[]
    %sb = broadcast %s {shape = [2,3]} : f32[2,3]
    %r = reshape %sb {shape = [3,2]} : f32[3,2]
    %t = transpose %r {perm = [1, 0]} : f32[2,3]
    %sl = slice %t {start = [0, 0], limit = [2, 3], stride = [1, 2]} : f32[2,2]
    %cc = concat %sl, %io {axis = 1} : f32[2,5]
    %mean = reduce_mean %cc {axes = [1], keepdims = true} : f32[2,1]
    %rmax = reduce_max %cc {axes = [-1]} : f32[2]
    %sm = softmax %one {axis = -1} : f32[2,3]
    %lsm = log_softmax %ninf {axis = 0} : f32[2,3]
    %mm = matmul %sm, %m : f32[2,4]
    %mt = matmul %x, %y {transpose_a = true} : f32[3,3]
    %mtb = matmul %x, %y {transpose_b = true} : f32[2,2]
    %g = gather %m, %ids : f32[5,4]
    %sc = scatter_add %g, %ids {rows = 3} : f32[3,4]
    %g3 = slice %g {start = [0, 0], limit = [5, 3]} : f32[5,3]
    %tk = take_along_axis %mm, %idx {axis = 1} : f32[2,1]
    %tot = add %tk, %mean : f32[2,1]
    return %lsm, %g3, %tot, %mm, %eq, %s
  }

  graph @second() -> (z: f64[]) {
    %z = constant {value = 0.0} : f64[]
    return %z
  }
  """

@Test func everyCoreOpAppearsInTheExample() throws {
  let module = try Parser().parse(everyOpText)
  let used = Set(module.graphs.flatMap { $0.nodes.map(\.op.name) })
  for name in Op.coreNames {
    #expect(used.contains(name), "the every-op example lacks '\(name)'")
  }
}

@Test func everyOpRoundTrips() throws {
  let module = try Parser().parse(everyOpText)
  #expect(module.graphs.count == 2)
  let printed = printModule(module)
  let reparsed = try Parser().parse(printed)
  #expect(reparsed == module)
  // Printing is canonical: the second print is the same text.
  #expect(printModule(reparsed) == printed)
}

@Test func architectureExampleRoundTrips() throws {
  let text = """
    graph @mlp(%x: f32[4,3] input, %w: f32[3,2] weight, %y: f32[4,2] input) -> (loss: f32[]) {
      %h = matmul %x, %w : f32[4,2]
      %a = relu %h : f32[4,2]
      %d = sub %a, %y : f32[4,2]
      %s = mul %d, %d : f32[4,2]
      %l = reduce_mean %s {axes = [0, 1]} : f32[]
      return %l
    }

    """
  let g = try Parser().parseGraph(text)
  #expect(printGraph(g) == text)
}

@Test(arguments: 0..<200)
func randomGraphsRoundTrip(seed: Int) throws {
  var generator = RandomGraphGenerator(seed: UInt64(seed))
  let g = generator.makeGraph(steps: 16)
  let text = printGraph(g)
  let parsed = try Parser().parseGraph(text)
  #expect(parsed == g, "round trip changed graph:\n\(text)")
  #expect(printGraph(parsed) == text)
}

@Test func floatAttributesRoundTripExactly() throws {
  for v in [
    0.1, 1e-5, -0.0, 3.4028234663852886e38, Double.leastNonzeroMagnitude, .infinity, -.infinity,
    .nan, 123456789.0,
  ] {
    let b = GraphBuilder(name: "c")
    let c = b.constant(v, .scalar(.f64))
    let g = try b.build(results: [("c", c)])
    #expect(try Parser().parseGraph(printGraph(g)) == g, "value \(v)")
  }
}

@Test func equalityIgnoresValueIdsAndLocations() throws {
  let a = GraphBuilder(name: "g")
  let x = a.parameter("x", TensorType(.f32, [2]))
  let ga = try a.build(results: [("y", a.exp(x))])
  let b = GraphBuilder(name: "g")
  _ = b.graph  // same structure, different call sites
  let x2 = b.parameter("x", TensorType(.f32, [2]))
  let gb = try b.build(results: [("y", b.exp(x2))])
  #expect(ga == gb)
  let c = GraphBuilder(name: "g")
  let x3 = c.parameter("x", TensorType(.f32, [2]))
  let gc = try c.build(results: [("y", c.log(x3))])
  #expect(ga != gc)
}
