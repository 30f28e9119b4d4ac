import IR
import Passes
import Runtime
import Testing
import TestSupport

/// Three weights whose gradients are given: 12, 16 and 8 bytes, so a 24-byte cap makes the
/// buckets [w3] and [w2, w1] (reverse parameter order; 16 + 8 fits, 12 + 16 does not).
private let differentiated = """
  graph @g(%w1: f32[2] weight, %w2: f32[2,2] weight, %w3: f32[3] weight) -> (loss: f32[], grad_w1: f32[2], grad_w2: f32[2,2], grad_w3: f32[3]) {
    %g3 = mul %w3, %w3 : f32[3]
    %g2 = mul %w2, %w2 : f32[2,2]
    %g1 = mul %w1, %w1 : f32[2]
    %l = reduce_sum %w1 {axes = [0]} : f32[]
    return %l, %g1, %g2, %g3
  }
  """

/// Each bucket follows the last node computing one of its gradients.
private let reduced = """
  graph @g(%w1: f32[2] weight, %w2: f32[2,2] weight, %w3: f32[3] weight) -> (loss: f32[], grad_w1: f32[2], grad_w2: f32[2,2], grad_w3: f32[3]) {
    %g3 = mul %w3, %w3 : f32[3]
    %bucket0 = all_reduce %g3 {communicator = "world", reduction = "mean"} : f32[3]
    %g2 = mul %w2, %w2 : f32[2,2]
    %g1 = mul %w1, %w1 : f32[2]
    %grad_w2_flat = reshape %g2 {shape = [4]} : f32[4]
    %bucket1_in = concat %grad_w2_flat, %g1 {axis = 0} : f32[6]
    %bucket1 = all_reduce %bucket1_in {communicator = "world", reduction = "mean"} : f32[6]
    %grad_w2_reduced = slice %bucket1 {start = [0], limit = [4]} : f32[4]
    %grad_w2_shaped = reshape %grad_w2_reduced {shape = [2,2]} : f32[2,2]
    %grad_w1_reduced = slice %bucket1 {start = [4], limit = [6]} : f32[2]
    %l = reduce_sum %w1 {axes = [0]} : f32[]
    return %l, %grad_w1_reduced, %grad_w2_shaped, %bucket0
  }
  """

@Suite struct AllReduceGradientsTests {
  @Test func bucketsInReverseParameterOrderAfterTheirLastProducer() throws {
    let pass = AllReduceGradients(bucketBytes: 24)
    let (out, buckets) = try pass.apply(to: try parsed(differentiated))
    #expect(buckets == [["grad_w3"], ["grad_w2", "grad_w1"]])
    let expected = try parsed(reduced)
    #expect(out == expected, "got\n\(printGraph(out))expected\n\(printGraph(expected))")
    try verify(out)
  }

  @Test func aLargeCapMakesOneBucketAndATinyCapOneEach() throws {
    let input = try parsed(differentiated)
    let (_, one) = try AllReduceGradients().apply(to: input)
    #expect(one == [["grad_w3", "grad_w2", "grad_w1"]])
    let (_, each) = try AllReduceGradients(bucketBytes: 1).apply(to: input)
    #expect(each == [["grad_w3"], ["grad_w2"], ["grad_w1"]])
  }

  @Test func aDTypeChangeStartsABucket() throws {
    let text = """
      graph @g(%a: f32[2] weight, %b: f64[2] weight, %c: f64[2] weight) -> (grad_a: f32[2], grad_b: f64[2], grad_c: f64[2]) {
        return %a, %b, %c
      }
      """
    let (out, buckets) = try AllReduceGradients().apply(to: try parsed(text))
    #expect(buckets == [["grad_c", "grad_b"], ["grad_a"]])
    // Gradients that are parameters themselves are reduced before any node.
    #expect(out.nodes.first?.op.name == "concat")
    try verify(out)
  }

  @Test func refusesToRunTwiceOrAfterTheOptimizer() throws {
    var manager = try PassManager(pipeline: "all-reduce-gradients,all-reduce-gradients")
    #expect(throws: (any Error).self) { try manager.run(try parsed(differentiated)) }
    var late = try PassManager(pipeline: "adamw,all-reduce-gradients")
    #expect(throws: (any Error).self) { try late.run(try parsed(differentiated)) }
    let plain = """
      graph @g(%w: f32[2] weight) -> (y: f32[2]) {
        return %w
      }
      """
    #expect(throws: PassError.self) { try AllReduceGradients().apply(to: try parsed(plain)) }
  }

  @Test func pipelineOptions() throws {
    let passes = try PassRegistry.standard.makePasses(
      "all-reduce-gradients{communicator=data reduction=sum bucket-mb=0.5}")
    let pass = try #require(passes.first as? AllReduceGradients)
    #expect(pass.communicator == "data")
    #expect(pass.reduction == .sum)
    #expect(pass.bucketBytes == 1 << 19)
    for bad in ["reduction=max", "bucket-mb=0", "bucket-mb=-1", "ring=2"] {
      #expect(throws: PassError.self, "\(bad)") {
        try PassRegistry.standard.makePasses("all-reduce-gradients{\(bad)}")
      }
    }
  }

  /// Two ranks with half a batch each, gradients reduced by `mean`: the gradients of the
  /// whole batch (the loss is a mean over the batch, so equal halves average exactly), within
  /// f64 rounding of the sums regrouped across ranks.
  @Test(arguments: [1, 1 << 20])
  func twoRanksGiveTheWholeBatchGradient(bucketBytes: Int) throws {
    let weights = ["w1", "b1", "w2", "b2"]
    var whole = try PassManager(pipeline: "grad{of=loss}")
    let full = try whole.run(try mlpGraph(batch: 4)).graph
    var halves = PassManager(passes: [
      Gradient(of: "loss"), AllReduceGradients(bucketBytes: bucketBytes),
    ])
    let half = try halves.run(try mlpGraph(batch: 2)).graph
    #expect(half.nodes.contains { $0.op.name == "all_reduce" })

    var random = SeededGenerator(seed: 7)
    func tensor(_ shape: [Int]) throws -> HostTensor {
      try HostTensor(
        shape: shape, (0..<shape.reduce(1, *)).map { _ in Double.random(in: -1...1, using: &random) })
    }
    var shared: [String: HostTensor] = [:]
    for p in full.parameters where weights.contains(p.name) { shared[p.name] = try tensor(p.type.shape) }
    let x = try tensor([4, 3])
    let labels: [Int32] = [0, 2, 1, 2]
    let expected = try Interpreter().run(
      full, inputs: shared.merging(["x": x, "labels": try HostTensor(shape: [4, 1], labels)]) { a, _ in a })

    let world = ThreadWorld(size: 2)
    let inputs = try (0..<2).map { r in
      shared.merging([
        "x": try HostTensor(shape: [2, 3], Array(x.doubles[(6 * r)..<(6 * r + 6)])),
        "labels": try HostTensor(shape: [2, 1], Array(labels[(2 * r)..<(2 * r + 2)])),
      ]) { a, _ in a }
    }
    let outputs = try world.run { r in
      try Interpreter(communicators: .world(world.rank(r))).run(half, inputs: inputs[r])
    }
    for name in weights {
      let want = try #require(expected["grad_\(name)"])
      for (r, out) in outputs.enumerated() {
        let got = try #require(out["grad_\(name)"])
        #expect(got.isClose(to: want, rtol: 1e-12, atol: 1e-14), "rank \(r) grad_\(name)")
      }
    }
  }
}
