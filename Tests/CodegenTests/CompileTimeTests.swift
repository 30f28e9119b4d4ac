import Codegen
import Foundation
import IR
import Passes
import Runtime
import Testing

// Whole graphs (the hand-written MLP, its training step, a deeper network with layer norms and
// its gradient) through the JIT against the interpreter, printing cold compile times:
//   swift test --filter compileTimesOfWholeGraphs

func exampleMLP() throws -> Graph {
  let url = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("examples/mlp/mlp.ir")
  return try Parser(fileName: url.path).parseGraph(String(contentsOf: url, encoding: .utf8))
}

/// `layers` blocks of x ← x + gelu(layernorm(x)·W + b) over [batch, width], then a softmax
/// cross-entropy style loss.
func deepNetwork(layers: Int, batch: Int = 32, width: Int = 64) throws -> Graph {
  let b = GraphBuilder(name: "deep")
  var x = b.parameter("x", TensorType(.f32, [batch, width]))
  var names: [String] = []
  for l in 0..<layers {
    let w = b.parameter("w\(l)", TensorType(.f32, [width, width]))
    let bias = b.parameter("b\(l)", TensorType(.f32, [width]))
    names += ["w\(l)", "b\(l)"]
    let mean = b.mean(x, axes: [1], keepDims: true)
    let centered = b.sub(x, mean)
    let variance = b.mean(b.mul(centered, centered), axes: [1], keepDims: true)
    let normed = b.mul(centered, b.rsqrt(b.add(variance, b.constant(1e-5, like: variance))))
    x = b.add(x, b.gelu(b.add(b.matmul(normed, w), bias)))
  }
  let logp = b.logSoftmax(x, axis: -1)
  let loss = b.neg(b.mean(b.reduce(.max, logp, axes: [1]), axes: [0]))
  _ = names
  return try b.build(results: [("loss", loss)])
}

@Test func compileTimesOfWholeGraphs() throws {
  let mlp = try exampleMLP()
  let step = try Gradient(of: "loss", wrt: ["w1", "b1", "w2", "b2"]).apply(to: mlp)
  let deep = try deepNetwork(layers: 4)
  let deepGrad = try Gradient(
    of: "loss", wrt: (0..<4).flatMap { ["w\($0)", "b\($0)"] }
  ).apply(to: deep)
  for g in [mlp, step, deep, deepGrad] {
    var inputs = try randomInputs(g, seed: 11)
    if let labels = g.parameter(named: "labels") {
      inputs["labels"] = try HostTensor(
        labels.type, doubles: (0..<labels.type.count).map { Double($0 % 2) })
    }
    let clock = ContinuousClock()
    let start = clock.now
    let exe = try JIT.compile(g, options: testOptions)
    let elapsed = clock.now - start
    try expectSameAsInterpreter(g, inputs)
    let s = exe.statistics
    print(
      "compile @\(g.name): \(g.nodes.count) nodes, \(s.kernels) kernels, \(elapsed), "
        + "object \(s.objectBytes) B, arena \(s.arenaBytes) B (unplanned \(s.unplannedBytes) B)")
  }
}
