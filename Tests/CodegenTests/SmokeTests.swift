import Codegen
import IR
import Runtime
import Testing

@Test func addGraphRuns() throws {
  let b = GraphBuilder(name: "add")
  let x = b.parameter("x", TensorType(.f32, [2, 3]))
  let w = b.parameter("w", TensorType(.f32, [2, 3]))
  let g = try b.build(results: [("y", b.add(x, w))])
  let exe = try JIT.compile(g)
  let t = try HostTensor(shape: [2, 3], [Float(1), 2, 3, 4, 5, 6])
  let out = try exe.run(inputs: ["x": t, "w": t])
  #expect(out["y"]?.array(of: Float.self) == [2, 4, 6, 8, 10, 12])
}
