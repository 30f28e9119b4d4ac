import Codegen
import IR
import Runtime
import Testing

// Runs that update their state in place (`run(_:updating:accept:)`): a training step's weights
// and optimizer moments written into their own storage by the `next_` results.

/// loss = Σ x·w; next_w = w − 0.1·m; next_m = 0.5·m + w.
func updateStep() throws -> Graph {
  let b = GraphBuilder(name: "update")
  let x = b.parameter("x", TensorType(.f32, [4, 3]))
  let w = b.parameter("w", TensorType(.f32, [3, 5]))
  let m = b.parameter("m", TensorType(.f32, [3, 5]))
  let loss = b.sum(b.matmul(x, w), axes: [0, 1])
  let nextW = b.sub(w, b.mul(b.constant(0.1, like: m), m))
  let nextM = b.add(b.mul(b.constant(0.5, like: m), m), w)
  return try b.build(results: [("loss", loss), ("next_w", nextW), ("next_m", nextM)])
}

func baseAddress(_ t: HostTensor?) -> UnsafeRawPointer? { t?.withUnsafeBytes { $0.baseAddress } }

@Test(arguments: ["jit", "interpreter"])
func stateIsUpdatedAsTheResultsSay(backend: String) throws {
  let g = try updateStep()
  let all = try randomInputs(g, seed: 11)
  let expected = try Interpreter().run(g, inputs: all)
  let exe: any GraphExecutable =
    backend == "jit"
    ? try JIT.compile(g, options: testOptions) : try InterpreterBackend().prepare(g)
  var state = all.filter { $0.key != "x" }
  var seen: [String] = []
  let outputs = try exe.run(["x": try #require(all["x"])], updating: &state) {
    seen = $0.keys.sorted()
    return true
  }
  #expect(seen == ["loss"])
  #expect(outputs.keys.sorted() == ["loss"])
  let tolerance = jitTolerance(.f32)
  for (name, result) in [("w", "next_w"), ("m", "next_m"), ("loss", "loss")] {
    let got = try #require(name == "loss" ? outputs["loss"] : state[name])
    #expect(
      got.isClose(to: try #require(expected[result]), rtol: tolerance.rtol, atol: tolerance.atol))
  }
}

@Test func theJITWritesIntoTheStateOwnStorage() throws {
  let g = try updateStep()
  let exe = try JIT.compile(g, options: testOptions)
  let all = try randomInputs(g, seed: 12)
  var state = all.filter { $0.key != "x" }
  // Made the state's own first: the run must then allocate nothing for it.
  for key in Array(state.keys) { state[key]?.withUnsafeMutableBytes { _ in } }
  let before = state.mapValues(baseAddress)
  _ = try exe.run(["x": try #require(all["x"])], updating: &state) { _ in true }
  #expect(state.mapValues(baseAddress) == before)
  #expect(state["w"] != all["w"])
}

@Test func aCopyHeldElsewhereKeepsItsValues() throws {
  let g = try updateStep()
  let exe = try JIT.compile(g, options: testOptions)
  let all = try randomInputs(g, seed: 13)
  var state = all.filter { $0.key != "x" }
  let kept = state
  _ = try exe.run(["x": try #require(all["x"])], updating: &state) { _ in true }
  #expect(kept["w"] == all["w"])
  #expect(kept["m"] == all["m"])
  #expect(state["w"] != all["w"])
}

@Test func aRejectedRunLeavesTheStateUnchanged() throws {
  struct Refused: Error {}
  let g = try updateStep()
  let exe = try JIT.compile(g, options: testOptions)
  let all = try randomInputs(g, seed: 14)
  var state = all.filter { $0.key != "x" }
  let x = try #require(all["x"])
  let outputs = try exe.run(["x": x], updating: &state) { _ in false }
  #expect(outputs["loss"] != nil)
  #expect(state["w"] == all["w"] && state["m"] == all["m"])
  #expect(throws: Refused.self) { try exe.run(["x": x], updating: &state) { _ in throw Refused() } }
  #expect(state["w"] == all["w"] && state["m"] == all["m"])
  // A name given twice is refused before anything runs.
  #expect(throws: RuntimeError.self) {
    try exe.run(["x": x, "w": x], updating: &state) { _ in true }
  }
  #expect(state["w"] == all["w"])
}

@Test(arguments: ["jit", "interpreter"])
func parametersPassedOnAsEachOthersNextValuesSwap(backend: String) throws {
  let b = GraphBuilder(name: "swap")
  let a = b.parameter("a", TensorType(.f32, [6]))
  let c = b.parameter("c", TensorType(.f32, [6]))
  let g = try b.build(results: [
    ("next_a", c), ("next_c", a), ("total", b.sum(b.add(a, c), axes: [0])),
  ])
  let exe: any GraphExecutable =
    backend == "jit"
    ? try JIT.compile(g, options: testOptions) : try InterpreterBackend().prepare(g)
  let first = try HostTensor(shape: [6], [Float](repeating: 1, count: 6))
  let second = try HostTensor(shape: [6], [Float](repeating: 2, count: 6))
  var state = ["a": first, "c": second]
  let outputs = try exe.run([:], updating: &state) { _ in true }
  #expect(state["a"] == second && state["c"] == first)
  #expect(outputs["total"]?.doubles == [18])
}

@Test func updatesLeaveTheArenaOnceWrittenBack() throws {
  // The loss first, then two updates of 4096 elements: once `next_w` is in w's buffer, its
  // block holds `next_m`, so the arena needs one such block instead of both.
  let b = GraphBuilder(name: "updates")
  let x = b.parameter("x", TensorType(.f32, [4096]))
  let w = b.parameter("w", TensorType(.f32, [4096]))
  let m = b.parameter("m", TensorType(.f32, [4096]))
  let loss = b.sum(b.mul(x, w), axes: [0])
  let nextW = b.sub(w, x)
  let nextM = b.mul(m, x)
  let g = try b.build(results: [("loss", loss), ("next_w", nextW), ("next_m", nextM)])
  var options = testOptions
  options.graphPasses = ""
  let exe = try JIT.compile(g, options: options)
  #expect(exe.statistics.arenaBytes < 2 * 4096 * 4)
  let all = try randomInputs(g, seed: 15)
  let expected = try Interpreter().run(g, inputs: all)
  let outputs = try exe.run(inputs: all)
  for name in ["loss", "next_w", "next_m"] {
    #expect(
      try #require(outputs[name]).isClose(to: try #require(expected[name]), rtol: 1e-5, atol: 1e-5))
  }
  #expect(try exe.run(inputs: all) == outputs)
}

@Test func rawBuffersReceiveTheUpdatesAndKeepTheArguments() throws {
  let g = try updateStep()
  let exe = try JIT.compile(g, options: testOptions)
  let all = try randomInputs(g, seed: 16)
  let expected = try Interpreter().run(g, inputs: all)
  let x = try #require(all["x"]?.array(of: Float.self))
  let w = try #require(all["w"]?.array(of: Float.self))
  let m = try #require(all["m"]?.array(of: Float.self))
  var loss: [Float] = [0]
  var nextW = [Float](repeating: 0, count: 15)
  var nextM = [Float](repeating: 0, count: 15)
  try x.withUnsafeBytes { px in
    try w.withUnsafeBytes { pw in
      try m.withUnsafeBytes { pm in
        try loss.withUnsafeMutableBytes { pl in
          try nextW.withUnsafeMutableBytes { pnw in
            try nextM.withUnsafeMutableBytes { pnm in
              try exe.run(
                arguments: [px.baseAddress!, pw.baseAddress!, pm.baseAddress!],
                results: [pl.baseAddress!, pnw.baseAddress!, pnm.baseAddress!])
            }
          }
        }
      }
    }
  }
  #expect(
    try HostTensor(shape: [3, 5], nextW).isClose(
      to: try #require(expected["next_w"]), rtol: 1e-5, atol: 1e-6))
  #expect(
    try HostTensor(shape: [3, 5], nextM).isClose(
      to: try #require(expected["next_m"]), rtol: 1e-5, atol: 1e-6))
  #expect(abs(Double(loss[0]) - (expected["loss"]?.doubles.first ?? .nan)) < 1e-4)
  #expect(try HostTensor(shape: [3, 5], w) == all["w"])
}
