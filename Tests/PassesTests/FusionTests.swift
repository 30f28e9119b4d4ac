import IR
import Models
import Passes
import Runtime
import TestSupport
import Testing

/// Parses with `fused` known to the parser.
func parsedWithRegions(_ text: String) throws -> Graph {
  try Parser(customOps: FusedRegion.customOps).parseGraph(text)
}

@Test func fuseGroupsABroadcastAndAMultiUseChainIntoOneRegion() throws {
  let before = try parsedWithRegions(
    """
    graph @f(%x: f32[2,3], %b: f32[3]) -> (y: f32[2,3]) {
      %bb = broadcast %b {shape = [2, 3]} : f32[2,3]
      %s = add %x, %bb : f32[2,3]
      %e = exp %s : f32[2,3]
      %two = constant {value = 2} : f32[2,3]
      %t = mul %s, %two : f32[2,3]
      %y = mul %e, %t : f32[2,3]
      return %y
    }
    """)
  // %s has two uses (exp and mul), both inside the region: computed once per element.
  let expected = try parsedWithRegions(
    """
    graph @f(%x: f32[2,3], %b: f32[3]) -> (y: f32[2,3]) {
      %y = fused %b, %x {body = "graph @region(%in0: f32[3], %in1: f32[2,3]) -> (out: f32[2,3]) {\\n  %bb = broadcast %in0 {shape = [2, 3]} : f32[2,3]\\n  %s = add %in1, %bb : f32[2,3]\\n  %e = exp %s : f32[2,3]\\n  %two = constant {value = 2} : f32[2,3]\\n  %t = mul %s, %two : f32[2,3]\\n  %y = mul %e, %t : f32[2,3]\\n  return %y\\n}\\n"} : f32[2,3]
      return %y
    }
    """)
  var graph = before
  var context = PassContext()
  var pass = Fusion()
  #expect(try pass.run(on: &graph, context: &context))
  #expect(graph == expected, "got:\n\(graph)")
  #expect(context.statistics["fuse.regions"] == 1)
  try verify(graph)
  // Prints and parses back; a second run changes nothing.
  #expect(try parsedWithRegions(printGraph(graph)) == graph)
  var again = graph
  var second = Fusion()
  #expect(try !second.run(on: &again, context: &context))
  #expect(again == graph)
}

@Test func fuseKeepsResultsSingleNodesAndOtherShapesOutside() throws {
  let before = try parsedWithRegions(
    """
    graph @g(%x: f32[4,8]) -> (m: f32[4,1], y: f32[4,8], z: f32[4,8]) {
      %e = exp %x : f32[4,8]
      %m = reduce_max %e {axes = [1], keepdims = true} : f32[4,1]
      %mb = broadcast %m {shape = [4, 8]} : f32[4,8]
      %y = sub %e, %mb : f32[4,8]
      %z = neg %y : f32[4,8]
      return %m, %y, %z
    }
    """)
  // %e feeds a reduction (outside any region) and %y is a result: nothing has two fusable
  // nodes of one region except %mb + %y.
  let (graph, regions, _) = Fusion().apply(to: before)
  try verify(graph)
  #expect(regions == 1)
  #expect(graph.nodes.map(\.op.name) == ["exp", "reduce_max", "fused", "neg"])
}

@Test(arguments: [0, 1, 2, 3])
func fusePreservesInterpreterResultsOnRandomGraphs(part: Int) throws {
  var fusedAny = 0
  for seed in UInt64(part * 25)..<UInt64(part * 25 + 25) {
    var generator = RandomGraphGenerator(seed: seed)
    let g = generator.makeGraph(steps: 14)
    let (fused, regions, _) = Fusion().apply(to: g)
    try verify(fused)
    #expect(try parsedWithRegions(printGraph(fused)) == fused, "seed \(seed)")
    if regions > 0 { fusedAny += 1 }
    let x = try inputs(for: g, seed: seed)
    expectSameResults(
      try Interpreter().run(g, inputs: x), try Interpreter().run(fused, inputs: x),
      "fuse seed \(seed)\n\(printGraph(g))")
  }
  #expect(fusedAny > 5)
}

/// A small Llama training step (grad + sgd), optionally with the Surgery penalty.
func smallLlamaStep(surgery: Bool) throws -> (graph: Graph, config: LlamaConfig) {
  let config = LlamaConfig(vocabulary: 32, dimension: 16, layers: 2, heads: 2, hidden: 24)
  let forward = try Llama(config).trainingGraph(batch: 2, tokens: 8)
  let weights = forward.weights.map(\.name)
  let pipeline =
    (surgery ? "sink-divergence{lambda=300}," : "")
    + "grad{of=loss wrt=\(weights.joined(separator: ","))},sgd{lr=0.1}"
  var manager = try PassManager(pipeline: pipeline)
  return (try manager.run(forward).graph, config)
}

/// Tokens and labels in the vocabulary, masks of ones, weights in (-0.5, 0.5).
func smallLlamaInputs(_ g: Graph, vocabulary: Int, seed: UInt64) throws -> [String: HostTensor] {
  var rng = SeededGenerator(seed: seed)
  var out: [String: HostTensor] = [:]
  for p in g.parameters {
    let values: [Double] = (0..<p.type.count).map { _ in
      if p.type.dtype.isInteger {
        return p.name.hasSuffix("mask") ? 1 : Double(Int.random(in: 0..<vocabulary, using: &rng))
      }
      if p.name == "loss_mask" { return 1 }
      return Double.random(in: -0.5..<0.5, using: &rng)
    }
    out[p.name] = try HostTensor(p.type, doubles: values)
  }
  return out
}

@Test(arguments: [false, true])
func fusePreservesTheLlamaTrainingStep(surgery: Bool) throws {
  let (g, config) = try smallLlamaStep(surgery: surgery)
  var manager = try PassManager(pipeline: "fuse")
  let (fused, context) = try manager.run(g)
  #expect((context.statistics["fuse.regions"] ?? 0) > 10)
  #expect(fused.nodes.count < g.nodes.count)
  let x = try smallLlamaInputs(g, vocabulary: config.vocabulary, seed: 7)
  expectSameResults(
    try Interpreter().run(g, inputs: x), try Interpreter().run(fused, inputs: x),
    "llama step, surgery \(surgery)")
}

@Test func fuseFoldsTheSquareIntoARowMeanButNotIntoAColumnSum() throws {
  let before = try parsedWithRegions(
    """
    graph @n(%x: f32[4,8]) -> (ms: f32[4,1], cs: f32[8]) {
      %sq = mul %x, %x : f32[4,8]
      %ms = reduce_mean %sq {axes = [1], keepdims = true} : f32[4,1]
      %e = exp %x : f32[4,8]
      %cs = reduce_sum %e {axes = [0]} : f32[8]
      return %ms, %cs
    }
    """)
  let (graph, regions, _) = Fusion().apply(to: before)
  try verify(graph)
  // The row mean takes x·x; the column sum (not one row per output) stays as it was.
  #expect(regions == 1)
  #expect(graph.nodes.map(\.op.name) == ["fused", "exp", "reduce_sum"])
  let x = try inputs(for: before, seed: 1)
  expectSameResults(
    try Interpreter().run(before, inputs: x), try Interpreter().run(graph, inputs: x), "rms")
}

@Test func fuseTakesAConstantIntoALoneNodeAndAChainBesideAColumnSum() throws {
  let before = try parsedWithRegions(
    """
    graph @c(%x: f32[4,8]) -> (h: f32[4,8], cs: f32[8]) {
      %half = constant {value = 0.5} : f32[4,8]
      %h = mul %x, %half : f32[4,8]
      %e = exp %x : f32[4,8]
      %n = neg %e : f32[4,8]
      %cs = reduce_sum %n {axes = [0]} : f32[8]
      return %h, %cs
    }
    """)
  let (graph, regions, _) = Fusion().apply(to: before)
  try verify(graph)
  // x·0.5 with its constant as an immediate; exp and neg as one kernel feeding the column sum
  // (which cannot root a region: not one row per output).
  #expect(regions == 2)
  #expect(graph.nodes.map(\.op.name) == ["fused", "fused", "reduce_sum"])
  let x = try inputs(for: before, seed: 2)
  expectSameResults(
    try Interpreter().run(before, inputs: x), try Interpreter().run(graph, inputs: x), "column")
  var again = graph
  var context = PassContext()
  var second = Fusion()
  #expect(try !second.run(on: &again, context: &context))
}

@Test func fuseIsRegisteredWithItsReductionsOption() throws {
  var manager = try PassManager(pipeline: "fuse{reductions=false}")
  let g = try parsedWithRegions(
    """
    graph @r(%x: f32[4,8]) -> (ms: f32[4,1]) {
      %sq = mul %x, %x : f32[4,8]
      %ms = reduce_mean %sq {axes = [1], keepdims = true} : f32[4,1]
      return %ms
    }
    """)
  #expect(try manager.run(g).graph == g)
  var folding = try PassManager(pipeline: "fuse")
  #expect(try folding.run(g).graph.nodes.map(\.op.name) == ["fused"])
}

@Test func fuseRecomputesTheOneHotAndCopiesBroadcastsIntoEveryRegion() throws {
  var manager = try PassManager(pipeline: "grad{of=loss wrt=w}")
  let before = try manager.run(try parsedWithRegions(crossEntropyIR)).graph
  // Before: the one-hot (iota = labels, select) and the cotangent's broadcast feed both the
  // row sum and the log_softmax gradient.
  #expect(before.nodes.contains { $0.op == .select && $0.type.shape == [4, 8, 64] })
  let (graph, _, _) = Fusion().apply(to: before)
  try verify(graph)
  // After: the only [4, 8, 64] tensors are log_softmax's and the gradient's; the one-hot, its
  // comparison and the broadcasts live inside the two regions that read them.
  let full = graph.nodes.filter { $0.type.shape == [4, 8, 64] }.map(\.op.name)
  #expect(full == ["reshape", "log_softmax", "fused"], "got \(full)")
  let regions = graph.nodes.compactMap { n -> Graph? in
    guard case .custom(let box) = n.op else { return nil }
    return (box.op as? FusedRegion)?.body
  }
  let withOneHot = regions.filter { $0.nodes.contains { $0.op == .compare(.equal) } }
  #expect(withOneHot.count == 2)
  let x = try crossEntropyInputs(seed: 5)
  expectSameResults(
    try Interpreter().run(before, inputs: x), try Interpreter().run(graph, inputs: x), "ce")
}
