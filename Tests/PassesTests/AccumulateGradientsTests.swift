import Foundation
import IR
import Passes
import Runtime
import Testing

/// `loss = Σ (w·x)²`, so `grad_w = 2·w·x²`.
private let quadratic = """
  graph @quadratic(%w: f64[3], %x: f64[3] input) -> (loss: f64[]) {
    %p = mul %w, %x : f64[3]
    %s = mul %p, %p : f64[3]
    %l = reduce_sum %s {axes = [0]} : f64[]
    return %l
  }
  """

@Suite struct AccumulateGradientsTests {
  func accumulating() throws -> Graph {
    var manager = try PassManager(pipeline: "grad{of=loss},accumulate-gradients")
    return try manager.run(try Parser().parseGraph(quadratic)).graph
  }

  @Test func replacesGradientsWithRunningSums() throws {
    let g = try accumulating()
    #expect(g.parameters.map(\.name) == ["w", "x", "gradient_sum.w"])
    #expect(g.parameter(named: "gradient_sum.w")?.role == .input)
    #expect(g.results.map(\.name) == ["loss", "next_gradient_sum.w"])
  }

  @Test func twoMicroBatchesSumTheirGradients() throws {
    let g = try accumulating()
    let w: [Double] = [0.5, -1, 2]
    let xs: [[Double]] = [[1, 2, -0.5], [3, 0, 1]]
    var sum = try HostTensor(TensorType(.f64, [3]), doubles: [0, 0, 0])
    for x in xs {
      let out = try Interpreter().run(
        g,
        inputs: [
          "w": try HostTensor(TensorType(.f64, [3]), doubles: w),
          "x": try HostTensor(TensorType(.f64, [3]), doubles: x), "gradient_sum.w": sum,
        ])
      sum = try #require(out["next_gradient_sum.w"])
    }
    let expected = (0..<3).map { i in xs.map { 2 * w[i] * $0[i] * $0[i] }.reduce(0, +) }
    #expect(sum.doubles == expected)
  }

  @Test func needsGradientsAndRunsOnce() throws {
    var noGradient = PassManager(passes: [AccumulateGradients()])
    #expect(throws: PassError.self) { try noGradient.run(try Parser().parseGraph(quadratic)) }
    var twice = try PassManager(pipeline: "grad{of=loss},accumulate-gradients,accumulate-gradients")
    #expect(throws: PassError.self) { try twice.run(try Parser().parseGraph(quadratic)) }
  }
}
