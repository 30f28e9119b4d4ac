import Codegen
import IR
import Runtime
import TestSupport
import Testing

/// JIT options for tests: no process-wide cache (hundreds of graphs would fill it).
let testOptions = JITOptions(memoryCache: false)

/// Relative tolerance of JIT results against the interpreter, by dtype.
func jitTolerance(_ dtype: DType) -> (rtol: Double, atol: Double) {
  switch dtype {
  case .f32: (1e-5, 1e-6)
  case .f64: (1e-12, 1e-13)
  default: (0, 0)
  }
}

/// Random inputs in (-1, 1) (integers: 0..<4, i1: coin flips) for every parameter.
func randomInputs(_ g: Graph, seed: UInt64) throws -> [String: HostTensor] {
  var rng = SeededGenerator(seed: seed)
  var out: [String: HostTensor] = [:]
  for p in g.parameters {
    let values: [Double] = (0..<p.type.count).map { _ in
      switch p.type.dtype {
      case .f32, .f64: Double.random(in: -1..<1, using: &rng)
      case .i32, .i64: Double(Int.random(in: 0..<4, using: &rng))
      case .i1: Bool.random(using: &rng) ? 1 : 0
      }
    }
    out[p.name] = try HostTensor(p.type, doubles: values)
  }
  return out
}

/// Runs `graph` on `inputs` in the interpreter and the JIT and expects every result to agree
/// within the dtype's tolerance (NaNs must match NaNs). Returns the JIT outputs.
@discardableResult
func expectSameAsInterpreter(
  _ graph: Graph, _ inputs: [String: HostTensor], options: JITOptions = testOptions,
  _ note: String = "", sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> [String: HostTensor] {
  let expected = try Interpreter().run(graph, inputs: inputs)
  let exe = try JIT.compile(graph, options: options)
  let actual = try exe.run(inputs: inputs)
  #expect(Set(actual.keys) == Set(expected.keys), sourceLocation: sourceLocation)
  for (name, want) in expected {
    guard let got = actual[name] else { continue }
    let (rtol, atol) = jitTolerance(want.dtype)
    #expect(
      got.isClose(to: want, rtol: rtol, atol: atol),
      "\(graph.name)\(note) result '\(name)': JIT \(got) vs interpreter \(want)\n\(graph)",
      sourceLocation: sourceLocation)
  }
  return actual
}

/// Runs a graph whose results are matrix products of contraction depth `depth` (or sums of
/// `depth` products) in the interpreter and the JIT and expects them to agree within the
/// floating-point error bound of the computation, not a constant.
///
/// Each backend computes c = Σₖ aₖbₖ in f32 with some summation order (OpenBLAS picks its
/// kernel and blocking by CPU, the JIT splits by threads), and any order satisfies
/// |ĉ − c| ≤ γ_K · Σₖ|aₖ||bₖ| with γ_K = K·u/(1 − K·u), u = 2⁻²⁴. Two such results differ by at
/// most 2γ_K·Σ|a||b| ≈ K·ε·Σ|a||b| (ε = 2⁻²³). Σ|a||b| is the same graph run on |inputs| by the
/// interpreter (its own rounding, relative K·u, is negligible against the bound).
func expectProductsAgree(
  _ graph: Graph, _ inputs: [String: HostTensor], depth: Int, options: JITOptions = testOptions,
  _ note: String = "", sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let expected = try Interpreter().run(graph, inputs: inputs)
  let magnitudes = try Interpreter().run(
    graph, inputs: try inputs.mapValues { try HostTensor($0.type, doubles: $0.doubles.map(abs)) })
  let actual = try JIT.compile(graph, options: options).run(inputs: inputs)
  let u = Double(Float.ulpOfOne) / 2
  let gamma = 2 * Double(depth) * u / (1 - Double(depth) * u)
  for (name, want) in expected {
    let got = try #require(actual[name], "no JIT result '\(name)'", sourceLocation: sourceLocation)
    let bound = try #require(magnitudes[name]).doubles
    let (g, w) = (got.doubles, want.doubles)
    let beyond = g.indices.filter { abs(g[$0] - w[$0]) > gamma * bound[$0] }
    let detail = beyond.first.map {
      "first at \($0): JIT \(g[$0]) vs interpreter \(w[$0]), bound \(gamma * bound[$0])"
    }
    #expect(
      beyond.isEmpty,
      "\(graph.name)\(note) '\(name)': \(beyond.count) of \(g.count) elements beyond K·ε·Σ|a||b|; \(detail ?? "")",
      sourceLocation: sourceLocation)
  }
}
