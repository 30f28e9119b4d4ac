import Foundation
import IR
import Passes
import Runtime
import Testing

/// `loss = Σ (w·x)² + b`, two weights.
private let twoWeights = """
  graph @two(%w: f64[3] weight, %b: f64[] weight, %x: f64[3] input) -> (loss: f64[]) {
    %p = mul %w, %x : f64[3]
    %s = mul %p, %p : f64[3]
    %l0 = reduce_sum %s {axes = [0]} : f64[]
    %l = add %l0, %b : f64[]
    return %l
  }
  """

@Suite struct ProximalTests {
  @Test func rewritesTheLossWithOneAnchorPerWeight() throws {
    let g = try Parser().parseGraph(twoWeights)
    var pass = Proximal(rho: 1)
    var context = PassContext()
    var out = g
    #expect(try pass.run(on: &out, context: &context))
    #expect(
      out.parameters.map(\.name) == ["w", "b", "x", "anchor.w", "anchor.b"])
    #expect(out.parameter(named: "anchor.w")?.role == .input)
    #expect(out.parameter(named: "anchor.w")?.type == TensorType(.f64, [3]))
    #expect(out.results.map(\.name) == ["loss", "task_loss", "proximal_penalty"])
    #expect(context.statistics["proximal.anchors"] == 2)
    // The expected graph: penalty = Σ(w − anchor.w)² + Σ(b − anchor.b)², loss + 0.5·penalty.
    let expected = try Parser().parseGraph(
      """
      graph @two(%w: f64[3] weight, %b: f64[] weight, %x: f64[3] input, \
      %anchor.w: f64[3] input, %anchor.b: f64[] input) \
      -> (loss: f64[], task_loss: f64[], proximal_penalty: f64[]) {
        %p = mul %w, %x : f64[3]
        %s = mul %p, %p : f64[3]
        %l0 = reduce_sum %s {axes = [0]} : f64[]
        %l = add %l0, %b : f64[]
        %0 = sub %w, %anchor.w : f64[3]
        %1 = mul %0, %0 : f64[3]
        %2 = reduce_sum %1 {axes = [0]} : f64[]
        %3 = sub %b, %anchor.b : f64[]
        %4 = mul %3, %3 : f64[]
        %5 = reduce_sum %4 {axes = []} : f64[]
        %6 = add %2, %5 : f64[]
        %7 = constant {value = 0.5} : f64[]
        %8 = mul %7, %6 : f64[]
        %9 = add %l, %8 : f64[]
        return %9, %l, %6
      }
      """)
    #expect(out == expected, "got:\n\(printGraph(out))")
    let inputs: [String: HostTensor] = [
      "w": try HostTensor(shape: [3], [0.5, -1, 2]), "b": HostTensor(scalar: 0.25),
      "x": try HostTensor(shape: [3], [1, 2, -0.5]),
      "anchor.w": try HostTensor(shape: [3], [0.25, -1, 1]), "anchor.b": HostTensor(scalar: 1.25),
    ]
    let got = try Interpreter().run(out, inputs: inputs)
    // By hand: task = (0.5)² + (−2)² + (−1)² + 0.25 = 5.5; penalty = 0.0625 + 0 + 1 + 1 = 2.0625.
    #expect(got["task_loss"]?.doubles == [5.5])
    #expect(got["proximal_penalty"]?.doubles == [2.0625])
    #expect(got["loss"]?.doubles == [5.5 + 0.5 * 2.0625])
  }

  @Test func gradientAddsRhoTimesTheDistanceAndMatchesFiniteDifferences() throws {
    let g = try Parser().parseGraph(twoWeights)
    let rho = 0.7
    let rewritten = try Proximal(rho: rho).apply(to: g)
    try checkGradient(rewritten, wrt: ["w", "b"], seed: 3)
    // ∂loss/∂w = ∂task/∂w + ρ·(w − anchor.w), checked against the plain graph's gradient.
    let inputs = try randomInputs(rewritten, seed: 8)
    let withAnchor = try Interpreter().run(
      try Gradient(of: "loss", wrt: ["w", "b"]).apply(to: rewritten), inputs: inputs)
    let plain = try Interpreter().run(
      try Gradient(of: "loss", wrt: ["w", "b"]).apply(to: g),
      inputs: inputs.filter { !$0.key.hasPrefix("anchor.") })
    for name in ["w", "b"] {
      let w = try #require(inputs[name]).doubles
      let a = try #require(inputs["anchor.\(name)"]).doubles
      let expected = zip(try #require(plain["grad_\(name)"]).doubles, zip(w, a)).map {
        $0 + rho * ($1.0 - $1.1)
      }
      let got = try #require(withAnchor["grad_\(name)"]).doubles
      for (x, y) in zip(got, expected) { #expect(abs(x - y) <= 1e-12 * max(1, abs(y))) }
    }
    // The anchors are inputs: the default `grad` (every weight) does not differentiate them.
    let graded = try Gradient(of: "loss", wrt: nil).apply(to: rewritten)
    #expect(graded.result(named: "grad_anchor.w") == nil)
    #expect(graded.result(named: "grad_w") != nil)
  }

  @Test func composesAfterSinkDivergenceKeepingItsTaskLoss() throws {
    let (plain, surgery) = try surgeryGraph(batch: 1, tokens: 5)
    let both = try Proximal(rho: 1).apply(to: surgery)
    #expect(both.results.filter { $0.name == "task_loss" }.count == 1)
    #expect(both.result(named: "task_loss")?.value == surgery.result(named: "task_loss")?.value)
    let weights = plain.parameters.filter { $0.role == .weight }.map(\.name)
    #expect(both.parameters.filter { $0.name.hasPrefix("anchor.") }.count == weights.count)
    // At the anchor the penalty and its gradient vanish: the step equals Surgery's.
    let w = try toyWeights(plain, seed: 2)
    var inputs = try trainingInputs(batch: 1, tokens: 5, seed: 4).merging(w) { a, _ in a }
    for (name, t) in w { inputs["anchor.\(name)"] = t }
    for side in ["harmful", "safe"] {
      inputs["\(side)_tokens"] = try tokenTensor([[1, 4, 9, 2, 3]])
      inputs["\(side)_mask"] = try HostTensor(shape: [1, 5], [Int32](repeating: 1, count: 5))
    }
    let a = try Interpreter().run(both, inputs: inputs)
    let b = try Interpreter().run(
      surgery, inputs: inputs.filter { !$0.key.hasPrefix("anchor.") })
    #expect(a["proximal_penalty"]?.doubles == [0])
    #expect(a["loss"]?.doubles == b["loss"]?.doubles)
  }

  @Test func refusesBadInput() throws {
    let g = try Parser().parseGraph(twoWeights)
    #expect(throws: PassError.self) { try Proximal(rho: -1).apply(to: g) }
    #expect(throws: PassError.self) { try Proximal(loss: "nope").apply(to: g) }
    #expect(throws: PassError.self) { try Proximal(weights: ["zz"]).apply(to: g) }
    let once = try Proximal().apply(to: g)
    #expect(throws: PassError.self) { try Proximal().apply(to: once) }
    let graded = try Gradient(of: "loss", wrt: ["w"]).apply(to: g)
    #expect(throws: PassError.self) { try Proximal().apply(to: graded) }
    // From the pipeline text, with its options.
    let passes = try PassRegistry.standard.makePasses("proximal{rho=2 weights=w}")
    #expect((passes.first as? Proximal)?.rho == 2)
    #expect((passes.first as? Proximal)?.weights == ["w"])
  }
}
