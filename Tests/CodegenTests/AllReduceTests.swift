import Codegen
import IR
import Runtime
import TestSupport
import Testing

/// `y = all_reduce(2·x)`: each rank holds its own `x`.
private func doubledSum(_ reduction: CollectiveReduction, communicator: String = "world") throws
  -> Graph
{
  let b = GraphBuilder(name: "reduce")
  let x = b.parameter("x", TensorType(.f32, [3]), role: .input)
  let y = b.allReduce(b.mul(x, b.constant(2, like: x)), reduction, communicator: communicator)
  return try b.build(results: [("y", y)])
}

@Suite struct AllReduceTests {
  /// The JIT's step calls the run's communicator on the result buffer, like the interpreter.
  @Test(arguments: [CollectiveReduction.sum, .mean])
  func twoRanksInTheJITAndTheInterpreter(_ reduction: CollectiveReduction) throws {
    let graph = try doubledSum(reduction)
    let xs: [[Float]] = [[1, 2, 3], [0.5, -4, 8]]
    let scale: Float = reduction == .sum ? 1 : 0.5
    let expected = (0..<3).map { 2 * (xs[0][$0] + xs[1][$0]) * scale }
    for useJIT in [false, true] {
      let world = ThreadWorld(size: 2)
      let outputs = try world.run { r in
        let communicators = Communicators.world(world.rank(r))
        let backend: any Backend =
          useJIT
          ? JITBackend(options: testOptions, communicators: communicators)
          : InterpreterBackend(communicators: communicators)
        let inputs = ["x": try HostTensor(shape: [3], xs[r])]
        return try backend.prepare(graph).run(inputs)["y"]?.array(of: Float.self) ?? []
      }
      for (r, y) in outputs.enumerated() {
        #expect(y == expected, "\(useJIT ? "JIT" : "interpreter") rank \(r): \(y)")
      }
    }
  }

  @Test func anUnknownCommunicatorIsAnErrorNamingTheNode() throws {
    let graph = try doubledSum(.sum, communicator: "data")
    let inputs = ["x": try HostTensor(shape: [3], [Float(1), 2, 3])]
    for backend in [InterpreterBackend(), JITBackend(options: testOptions)] as [any Backend] {
      do {
        _ = try backend.prepare(graph).run(inputs)
        Issue.record("\(backend.name): no error")
      } catch let error as RuntimeError {
        #expect(error.op == "all_reduce", "\(backend.name): \(error)")
        #expect(error.message.contains("no communicator \"data\""), "\(backend.name): \(error)")
      }
    }
  }
}
