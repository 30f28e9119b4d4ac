import IR
import Runtime
import Testing

// Interpreter results against NumPy-computed fixtures (scripts/fixtures/make_npy_fixtures.py).

/// Runs a one-result graph on f64 fixtures (and on f32 copies) and compares with NumPy.
func checkAgainstNumPy(
  _ inputs: [String], _ expected: String,
  _ body: (GraphBuilder, [Value]) -> Value
) throws {
  for dtype in [DType.f64, .f32] {
    let b = GraphBuilder(name: "parity")
    var feed: [String: HostTensor] = [:]
    var values: [Value] = []
    for name in inputs {
      let t = try Npy.read(fixture(name))
      let typed = try HostTensor(t.type.with(dtype: dtype), doubles: t.doubles)
      feed[name] = typed
      values.append(b.parameter(name, typed.type))
    }
    let g = try b.build(results: [("y", body(b, values))])
    let y = try #require(try Interpreter().run(g, inputs: feed)["y"])
    let reference = try Npy.read(fixture(expected))
    let want = try HostTensor(reference.type.with(dtype: dtype), doubles: reference.doubles)
    let (rtol, atol) = dtype == .f64 ? (1e-12, 1e-13) : (1e-5, 1e-6)
    #expect(y.isClose(to: want, rtol: rtol, atol: atol), "\(expected) in \(dtype)")
  }
}

@Test func softmaxMatchesNumPy() throws {
  try checkAgainstNumPy(["op_x"], "op_softmax_last") { b, v in b.softmax(v[0], axis: -1) }
}

@Test func logSoftmaxMatchesNumPy() throws {
  try checkAgainstNumPy(["op_x"], "op_log_softmax_0") { b, v in b.logSoftmax(v[0], axis: 0) }
}

@Test func geluMatchesNumPy() throws {
  try checkAgainstNumPy(["op_x"], "op_gelu") { b, v in b.unary(.gelu, v[0]) }
}

@Test func sumMatchesNumPy() throws {
  try checkAgainstNumPy(["op_x"], "op_sum_1_keep") { b, v in b.sum(v[0], axes: [1], keepDims: true)
  }
}

@Test func batchedMatmulMatchesNumPy() throws {
  try checkAgainstNumPy(["op_a", "op_b"], "op_matmul_tb") { b, v in
    b.matmul(v[0], v[1], transposeB: true)
  }
}

@Test func transposeMatchesNumPy() throws {
  try checkAgainstNumPy(["op_a"], "op_transpose_201") { b, v in b.transpose(v[0], [2, 0, 1]) }
}
