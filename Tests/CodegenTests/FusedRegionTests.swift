import Codegen
import IR
import Models
import Passes
import Runtime
import TestSupport
import Testing

// Fused regions (the `fuse` pass) lowered as single kernels, against the interpreter; the
// small Llama training step (and its gradient and Surgery variant) on both backends.

@Test func rmsNormTailIsOneKernelWithTheBroadcastsFoldedIntoItsReads() throws {
  let b = GraphBuilder(name: "rmsnorm")
  let x = b.parameter("x", TensorType(.f32, [32, 64]))
  let w = b.parameter("w", TensorType(.f32, [64]))
  let ms = b.mean(b.mul(x, x), axes: [1], keepDims: true)
  let scale = b.rsqrt(b.add(ms, b.constant(1e-5, like: ms)))
  let y = b.mul(b.mul(x, scale), w)
  let g = try b.build(results: [("y", y)])
  let ir = try JIT.llvmIR(for: g)
  // Three kernels: mean(x·x) with the square folded into the row sum; rsqrt(ms + ε) (shape
  // [32, 1]); x·scale·w with no broadcast copies, the scale splat from one load per row.
  #expect(occurrences(of: "define i32 @node", in: ir) == 3, "\(ir)")
  fileCheck(
    function("node0", in: ir),
    """
    CHECK: load <\(hostLanes.f32) x float>
    CHECK: fmul <\(hostLanes.f32) x float>
    CHECK: fpext <\(hostLanes.f32) x float>
    CHECK: fadd <\(hostLanes.f32) x double>
    CHECK-NOT: store <\(hostLanes.f32) x float>
    CHECK: ret i32 0
    """)
  let last = Fusion().apply(to: g).graph.nodes.count - 1
  let kernel = function("node\(last)", in: ir)
  #expect(kernel.contains("shufflevector"))
  fileCheck(
    kernel,
    """
    CHECK: load <\(hostLanes.f32) x float>
    CHECK: fmul <\(hostLanes.f32) x float>
    CHECK: store <\(hostLanes.f32) x float>
    CHECK-NOT: call
    CHECK: ret i32 0
    """)
  try expectSameAsInterpreter(g, try randomInputs(g, seed: 3))
}

@Test func softmaxBackwardRegionComputesSharedValuesOnce() throws {
  // dx = y·(dy − Σ dy·y): y and dy are read once per element; the row sum is broadcast.
  let b = GraphBuilder(name: "softmax_backward")
  let row = 2 * hostLanes.f32 + hostLanes.f32 / 2
  let y = b.parameter("y", TensorType(.f32, [16, row]))
  let dy = b.parameter("dy", TensorType(.f32, [16, row]))
  let s = b.sum(b.mul(dy, y), axes: [1], keepDims: true)
  let dx = b.mul(y, b.sub(dy, s))
  let g = try b.build(results: [("dx", dx)])
  let ir = try JIT.llvmIR(for: g, optimized: false)
  // Σ dy·y (the product folded into the row sum), then y·(dy − s).
  #expect(occurrences(of: "define i32 @node", in: ir) == 2)
  let last = Fusion().apply(to: g).graph.nodes.count - 1
  let start = try #require(ir.range(of: "define internal i32 @node\(last).body("))
  let body = String(ir[start.lowerBound...].prefix { _ in true })
  let end = body.range(of: "\n}\n").map { body[..<$0.upperBound] } ?? body[...]
  // 2½ vectors a row: a vector loop and a scalar tail per row; y and dy loaded once per element.
  #expect(occurrences(of: "load <\(hostLanes.f32) x float>", in: String(end)) == 2, "\(end)")
  try expectSameAsInterpreter(g, try randomInputs(g, seed: 5))
}

@Test(arguments: [0, 1, 2, 3])
func fusedRandomGraphsMatchInterpreter(part: Int) throws {
  for seed in UInt64(3000 + part * 20)..<UInt64(3000 + part * 20 + 20) {
    var generator = RandomGraphGenerator(seed: seed)
    let g = generator.makeGraph(name: "fused\(seed)", steps: 14)
    try expectSameAsInterpreter(g, try randomInputs(g, seed: seed), " (regions)")
  }
}

/// The small Llama step of the Passes tests: vocab 32, width 16, 2 layers, batch 2 × 8.
func smallLlama(surgery: Bool, gradient: Bool, dtype: DType = .f32) throws -> (
  Graph, [String: HostTensor]
) {
  let config = LlamaConfig(vocabulary: 32, dimension: 16, layers: 2, heads: 2, hidden: 24)
  let forward = try Llama(config, dtype: dtype).trainingGraph(batch: 2, tokens: 8)
  let weights = forward.weights.map(\.name)
  var pipeline = surgery ? "sink-divergence{lambda=300}" : ""
  if gradient {
    if !pipeline.isEmpty { pipeline += "," }
    pipeline += "grad{of=loss wrt=\(weights.joined(separator: ","))},sgd{lr=0.1}"
  }
  var graph = forward
  if !pipeline.isEmpty {
    var manager = try PassManager(pipeline: pipeline)
    graph = try manager.run(forward).graph
  }
  var rng = SeededGenerator(seed: 11)
  var inputs: [String: HostTensor] = [:]
  for p in graph.parameters {
    let values: [Double] = (0..<p.type.count).map { _ in
      if p.type.dtype.isInteger {
        return p.name.hasSuffix("mask") ? 1 : Double(Int.random(in: 0..<32, using: &rng))
      }
      if p.name == "loss_mask" { return 1 }
      return Double.random(in: -0.5..<0.5, using: &rng)
    }
    inputs[p.name] = try HostTensor(p.type, doubles: values)
  }
  return (graph, inputs)
}

/// A whole training step cannot be compared element by element at a fixed tolerance: a
/// gradient that is a sum of cancelling terms is near zero with an error set by the terms, not by
/// itself, and OpenBLAS's kernels (chosen per CPU) and the JIT's thread split each round in their
/// own order. So both f32 backends are measured against the same step computed in f64 (the
/// interpreter on the f64 graph, same inputs), norm-wise per result: the JIT must be as accurate
/// as the reference interpreter — its error at most 4× the interpreter's — with a floor of
/// 64·ε·‖result‖ for results the interpreter happens to get almost exactly.
@Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
func smallLlamaAgreesOnBothBackends(surgery: Bool, gradient: Bool) throws {
  let (graph, inputs) = try smallLlama(surgery: surgery, gradient: gradient)
  let (graph64, _) = try smallLlama(surgery: surgery, gradient: gradient, dtype: .f64)
  let inputs64 = try inputs.mapValues { t in
    t.dtype == .f32 ? try HostTensor(TensorType(.f64, t.shape), doubles: t.doubles) : t
  }
  let exact = try InterpreterBackend().prepare(graph64).run(inputs64)
  let reference = try InterpreterBackend().prepare(graph).run(inputs)
  func distance(_ a: HostTensor, _ b: HostTensor) -> Double {
    zip(a.doubles, b.doubles).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
  }
  for threads in [1, 2] {
    var options = testOptions
    options.threads = threads
    let actual = try JITBackend(options: options).prepare(graph).run(inputs)
    #expect(Set(actual.keys) == Set(exact.keys))
    for (name, truth) in exact {
      guard let got = actual[name], let interpreted = reference[name] else { continue }
      let norm = truth.doubles.map { $0 * $0 }.reduce(0, +).squareRoot()
      let allowed = max(
        4 * distance(interpreted, truth), 64 * Double(Float.ulpOfOne) * norm)
      #expect(
        distance(got, truth) <= allowed,
        "surgery \(surgery) gradient \(gradient) threads \(threads) result \(name): JIT error \(distance(got, truth)), interpreter error \(distance(interpreted, truth)), ‖result‖ \(norm)"
      )
    }
  }
}

@Test func largeKernelsSplitAcrossThreadsMatchOneThread() throws {
  // Above the parallel threshold: flat regions, row reductions, softmax and strided copies.
  let b = GraphBuilder(name: "large")
  let x = b.parameter("x", TensorType(.f32, [300, 517]))
  let w = b.parameter("w", TensorType(.f32, [517]))
  let s = b.softmax(b.mul(x, w), axis: 1)
  let r = b.sum(b.exp(x), axes: [1])
  let t = b.transpose(x, [1, 0])
  let g = try b.build(results: [("s", s), ("r", r), ("t", t)])
  let inputs = try randomInputs(g, seed: 9)
  for threads in [1, 2, 3] {
    var options = testOptions
    options.threads = threads
    try expectSameAsInterpreter(g, inputs, options: options, " threads \(threads)")
  }
}

/// The cross-entropy gradient, whose regions recompute the one-hot from broadcasts of a
/// 1-D iota and the labels, on both backends.
@Test func crossEntropyGradientRegionsMatchTheInterpreter() throws {
  var manager = try PassManager(pipeline: "grad{of=loss wrt=w}")
  let graph = try manager.run(try Parser().parseGraph(crossEntropyIR)).graph
  try expectSameAsInterpreter(graph, try crossEntropyInputs(seed: 8), " (cross-entropy gradient)")
}
