import Foundation
import IR
import Passes
import Runtime
import Testing

/// `loss = Σ (w·x)²`, so `grad_w = 2·w·x²`.
private let quadratic = """
  graph @quadratic(%w: f64[3], %x: f64[3]) -> (loss: f64[]) {
    %p = mul %w, %x : f64[3]
    %s = mul %p, %p : f64[3]
    %l = reduce_sum %s {axes = [0]} : f64[]
    return %l
  }
  """

/// PyTorch's AdamW (`torch.optim.adamw._single_tensor_adamw`), written out in f64.
private struct ReferenceAdamW {
  var beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.0
  var m: [Double], v: [Double]
  var step = 0

  mutating func update(_ p: [Double], _ g: [Double], lr: Double) -> [Double] {
    step += 1
    var out = p
    let bc1 = 1 - Foundation.pow(beta1, Double(step))
    let bc2 = 1 - Foundation.pow(beta2, Double(step))
    for i in p.indices {
      out[i] *= 1 - lr * weightDecay
      m[i] = beta1 * m[i] + (1 - beta1) * g[i]
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
      let denominator = Foundation.sqrt(v[i]) / Foundation.sqrt(bc2) + eps
      out[i] -= lr / bc1 * m[i] / denominator
    }
    return out
  }
}

private func stepGraph(_ options: String) throws -> Graph {
  var manager = try PassManager(pipeline: "grad{of=loss wrt=w},adamw{\(options)}")
  return try manager.run(try Parser().parseGraph(quadratic)).graph
}

@Suite struct AdamWUpdateTests {
  @Test func signatureAndResults() throws {
    let g = try stepGraph("")
    #expect(
      g.parameters.map(\.name) == ["w", "x", "learning_rate", "step", "adam_m.w", "adam_v.w"])
    #expect(
      g.results.map(\.name) == [
        "loss", "next_w", "next_adam_m.w", "next_adam_v.w", "grad_norm",
      ])
    #expect(g.parameter(named: "step")?.type == .scalar(.f64))
  }

  @Test func firstStepByHand() throws {
    // Step 1: m̂ = g, v̂ = g², so next = w·(1 − lr·wd) − lr·g / (|g| + ε).
    let g = try stepGraph("weight-decay=0.1")
    let w: [Double] = [0.5, -1, 2]
    let x: [Double] = [1, 2, -0.5]
    let lr = 0.01
    let out = try Interpreter().run(
      g,
      inputs: [
        "w": try HostTensor(shape: [3], w), "x": try HostTensor(shape: [3], x),
        "learning_rate": HostTensor(scalar: lr), "step": HostTensor(scalar: 1.0),
        "adam_m.w": try .zeros(TensorType(.f64, [3])),
        "adam_v.w": try .zeros(TensorType(.f64, [3])),
      ])
    let grad = zip(w, x).map { 2 * $0 * $1 * $1 }
    let expected = zip(w, grad).map { w, g in w * (1 - lr * 0.1) - lr * g / (Swift.abs(g) + 1e-8) }
    let next = try #require(out["next_w"]?.array(of: Double.self))
    for (a, e) in zip(next, expected) { #expect(Swift.abs(a - e) < 1e-14) }
    let norm = Foundation.sqrt(grad.map { $0 * $0 }.reduce(0, +))
    #expect(Swift.abs((out["grad_norm"]?.doubles.first ?? 0) - norm) < 1e-12)
  }

  @Test func matchesPyTorchFormulaOverSteps() throws {
    let g = try stepGraph("beta1=0.8 beta2=0.99 eps=1e-6 weight-decay=0.05")
    var w: [Double] = [0.3, -0.7, 1.1]
    let x: [Double] = [1.5, -0.25, 0.75]
    var state: [String: HostTensor] = [
      "adam_m.w": try .zeros(TensorType(.f64, [3])), "adam_v.w": try .zeros(TensorType(.f64, [3])),
    ]
    var reference = ReferenceAdamW(
      beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05, m: [0, 0, 0], v: [0, 0, 0])
    var graphW = w
    for step in 1...6 {
      let lr = 0.02 * Double(step)  // a schedule: the rate changes per step without recompiling
      var inputs = state
      inputs["w"] = try HostTensor(shape: [3], graphW)
      inputs["x"] = try HostTensor(shape: [3], x)
      inputs["learning_rate"] = HostTensor(scalar: lr)
      inputs["step"] = HostTensor(scalar: Double(step))
      let out = try Interpreter().run(g, inputs: inputs)
      graphW = try #require(out["next_w"]?.array(of: Double.self))
      state["adam_m.w"] = out["next_adam_m.w"]
      state["adam_v.w"] = out["next_adam_v.w"]
      w = reference.update(w, zip(w, x).map { 2 * $0 * $1 * $1 }, lr: lr)
      for (a, e) in zip(graphW, w) {
        #expect(Swift.abs(a - e) <= 1e-12 * Swift.max(1, Swift.abs(e)))
      }
    }
  }

  @Test func clippingByGlobalNorm() throws {
    let g = try stepGraph("clip=0.5")
    let w: [Double] = [0.5, -1, 2]
    let x: [Double] = [1, 2, -0.5]
    let out = try Interpreter().run(
      g,
      inputs: [
        "w": try HostTensor(shape: [3], w), "x": try HostTensor(shape: [3], x),
        "learning_rate": HostTensor(scalar: 0.1), "step": HostTensor(scalar: 1.0),
        "adam_m.w": try .zeros(TensorType(.f64, [3])),
        "adam_v.w": try .zeros(TensorType(.f64, [3])),
      ])
    let grad = zip(w, x).map { 2 * $0 * $1 * $1 }
    let norm = Foundation.sqrt(grad.map { $0 * $0 }.reduce(0, +))
    #expect(norm > 0.5)
    let scale = Swift.min(1, 0.5 / (norm + 1e-6))
    let m = try #require(out["next_adam_m.w"]?.array(of: Double.self))
    for (a, g) in zip(m, grad) { #expect(Swift.abs(a - 0.1 * g * scale) < 1e-14) }
    // The reported norm is the one before clipping.
    #expect(Swift.abs((out["grad_norm"]?.doubles.first ?? 0) - norm) < 1e-12)
  }

  @Test func misuse() throws {
    #expect(throws: PassError.self) { try PassManager(pipeline: "adamw{beta1=1.5}") }
    #expect(throws: PassError.self) { try PassManager(pipeline: "adamw{clip=-1}") }
    var noGrad = try PassManager(pipeline: "adamw")
    #expect(throws: PassError.self) { try noGrad.run(try Parser().parseGraph(quadratic)) }
    var twice = try PassManager(pipeline: "grad{of=loss wrt=w},adamw,adamw")
    #expect(throws: PassError.self) { try twice.run(try Parser().parseGraph(quadratic)) }
  }

  @Test func sgdWithLearningRateInput() throws {
    var manager = try PassManager(pipeline: "grad{of=loss wrt=w},sgd{lr=input}")
    let g = try manager.run(try Parser().parseGraph(quadratic)).graph
    #expect(g.parameter(named: "learning_rate")?.type == .scalar(.f64))
    let out = try Interpreter().run(
      g,
      inputs: [
        "w": try HostTensor(shape: [3], [1.0, 1, 1]), "x": try HostTensor(shape: [3], [1.0, 2, 3]),
        "learning_rate": HostTensor(scalar: 0.5),
      ])
    let expected: [Double] = [0, -3, -8]  // 1 − 0.5·2·w·x² with w = 1
    #expect(out["next_w"]?.doubles == expected)
  }
}
