import IR
import Passes
import Runtime
import TestSupport
import Testing

/// Inputs for a random graph's parameters (values in (-1, 1)).
func inputs(for g: Graph, seed: UInt64) throws -> [String: HostTensor] {
  var rng = SeededGenerator(seed: seed)
  var out: [String: HostTensor] = [:]
  for p in g.parameters {
    out[p.name] = try HostTensor(
      p.type, doubles: (0..<p.type.count).map { _ in Double.random(in: -1..<1, using: &rng) })
  }
  return out
}

func expectSameResults(_ a: [String: HostTensor], _ b: [String: HostTensor], _ context: String) {
  #expect(a.keys.sorted() == b.keys.sorted(), "\(context)")
  for (name, x) in a {
    guard let y = b[name] else { continue }
    let tolerance = x.dtype == .f32 ? 1e-5 : 1e-12
    #expect(
      x.type == y.type && x.isClose(to: y, rtol: tolerance, atol: tolerance),
      "\(context): result \(name)")
  }
}

@Test(arguments: ["canonicalize", "fold", "cse", "dce", "canonicalize,fold,cse,dce"])
func passesPreserveInterpreterResults(pipeline: String) throws {
  for seed in 0..<60 {
    var generator = RandomGraphGenerator(seed: UInt64(seed))
    let g = generator.makeGraph(steps: 14)
    var manager = try PassManager(pipeline: pipeline)
    let (optimized, _) = try manager.run(g)
    try verify(optimized)
    let x = try inputs(for: g, seed: UInt64(seed))
    expectSameResults(
      try Interpreter().run(g, inputs: x), try Interpreter().run(optimized, inputs: x),
      "\(pipeline) seed \(seed)\n\(printGraph(g))")
  }
}

/// The random graphs' first result reduced to a scalar: a loss to differentiate.
func withScalarLoss(_ g: Graph) throws -> Graph {
  let b = GraphBuilder(continuing: g)
  let out = g.results[0].value
  let loss = b.sum(b.mul(out, out), axes: b.allAxes(out))
  var graph = b.graph
  graph.results.append(GraphResult(name: "loss", value: loss))
  try verify(graph)
  return graph
}

@Test func gradientOfRandomGraphsIsVerifiedAndShrinksUnderCleanup() throws {
  for seed in 0..<60 {
    var generator = RandomGraphGenerator(seed: UInt64(seed))
    let g = try withScalarLoss(generator.makeGraph(steps: 12))
    let wrt = g.parameters.map(\.name)
    var gradOnly = try PassManager(pipeline: "grad{of=loss wrt=\(wrt.joined(separator: ","))}")
    let (graded, _) = try gradOnly.run(g)
    var cleaned = try PassManager(
      pipeline: "grad{of=loss wrt=\(wrt.joined(separator: ","))},cse,dce")
    let (small, _) = try cleaned.run(g)
    #expect(small.nodes.count <= graded.nodes.count)
    let x = try inputs(for: g, seed: UInt64(seed))
    expectSameResults(
      try Interpreter().run(graded, inputs: x), try Interpreter().run(small, inputs: x),
      "seed \(seed)")
  }
}
