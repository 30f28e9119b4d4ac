import Codegen
import IR
import Passes
import Runtime
import TestSupport
import Testing

// Random well-typed graphs (TestSupport's RandomGraphGenerator) and their gradients, through
// the JIT against the interpreter.

@Test(arguments: 0..<8)
func randomGraphsMatchInterpreter(batch: Int) throws {
  for seed in UInt64(batch * 40)..<UInt64(batch * 40 + 40) {
    var generator = RandomGraphGenerator(seed: seed)
    let graph = generator.makeGraph(name: "random\(seed)", steps: 12)
    let inputs = try randomInputs(graph, seed: seed)
    try expectSameAsInterpreter(graph, inputs)
    if seed % 8 == 0 {
      // One kernel per node too.
      var unfused = testOptions
      unfused.graphPasses = ""
      try expectSameAsInterpreter(graph, inputs, options: unfused, " (unfused)")
    }
  }
}

/// `loss = Σ out` appended to a random graph, then the gradient of `loss` with respect to
/// every parameter; graphs whose path holds a non-differentiable op are skipped.
@Test(arguments: 0..<4)
func gradientGraphsMatchInterpreter(batch: Int) throws {
  var compared = 0
  for seed in UInt64(1000 + batch * 25)..<UInt64(1000 + batch * 25 + 25) {
    guard let graded = try randomGradientGraph(seed: seed) else { continue }
    try expectSameAsInterpreter(graded, try randomInputs(graded, seed: seed))
    compared += 1
  }
  #expect(compared >= 15, "only \(compared) gradient graphs compared")
}

/// A random graph with `loss = Σ out` and the gradient of `loss` with respect to every
/// parameter; nil when the path holds a non-differentiable op.
func randomGradientGraph(seed: UInt64) throws -> Graph? {
  var generator = RandomGraphGenerator(seed: seed)
  let forward = generator.makeGraph(name: "grad\(seed)", steps: 10)
  guard let out = forward.result(named: "out") else { return nil }
  let b = GraphBuilder(continuing: forward)
  let loss = b.sum(out.value, axes: b.allAxes(out.value))
  b.setResults([GraphResult(name: "loss", value: loss)])
  let withLoss = try b.build(results: [("loss", loss)])
  return try? Gradient(of: "loss", wrt: forward.parameters.map(\.name)).apply(to: withLoss)
}
