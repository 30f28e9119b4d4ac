import IR
import Runtime
import TestSupport
import Testing

/// Builds a case's graph for `dtype`, runs it and returns the single result `y`.
func runCase(_ c: OpCase, _ dtype: DType) throws -> HostTensor {
  let b = GraphBuilder(name: "case")
  var inputs: [String: HostTensor] = [:]
  var values: [Value] = []
  for (i, input) in c.inputs.enumerated() {
    let type = TensorType(input.dtype ?? dtype, input.shape)
    values.append(b.parameter("x\(i)", type))
    inputs["x\(i)"] = try HostTensor(type, doubles: input.values)
  }
  let y = c.body(b, values, dtype)
  let graph = try b.build(results: [("y", y)])
  let outputs = try Interpreter().run(graph, inputs: inputs)
  return try #require(outputs["y"])
}

/// Tolerances by dtype: f32 against f64 hand-computed values, f64 tight, integers exact.
func tolerance(_ dtype: DType) -> (rtol: Double, atol: Double) {
  switch dtype {
  case .f32: (2e-6, 1e-6)
  case .f64: (1e-13, 1e-14)
  default: (0, 0)
  }
}

@Test(arguments: opCases)
func interpreterOp(_ c: OpCase) throws {
  for dtype in c.dtypes {
    let y = try runCase(c, dtype)
    let resultDType = c.resultDType ?? dtype
    let expected = try HostTensor(TensorType(resultDType, c.shape), doubles: c.expected)
    let (rtol, atol) = tolerance(resultDType)
    #expect(
      y.isClose(to: expected, rtol: rtol, atol: atol),
      "\(c.op) \(c.note) in \(dtype): \(y) vs \(expected)")
  }
}

/// Fails if a core op has no case, or lacks an f32 or an f64 case.
@Test func everyCoreOpHasInterpreterCasesInF32AndF64() {
  for name in Op.coreNames {
    let cases = opCases.filter { $0.op == name }
    #expect(!cases.isEmpty, "no interpreter test for core op '\(name)'")
    for dtype in [DType.f32, .f64] {
      #expect(
        cases.contains { $0.dtypes.contains(dtype) }, "no \(dtype) interpreter test for '\(name)'")
    }
  }
  let unknown = Set(opCases.map(\.op)).subtracting(Op.coreNames)
  #expect(unknown.isEmpty, "cases name unknown ops: \(unknown)")
}

@Test func integerOpsCoveredToo() {
  // Every op whose type rule accepts integers has an integer case.
  let integerOps = [
    "neg", "abs", "relu", "add", "sub", "mul", "div", "max", "min", "greater",
    "less", "equal", "select", "cast", "constant", "iota", "broadcast", "reshape", "transpose",
    "slice", "concat", "reduce_sum", "reduce_max", "gather", "take_along_axis",
  ]
  for name in integerOps {
    #expect(
      opCases.contains { $0.op == name && $0.dtypes.contains(where: \.isInteger) },
      "no integer interpreter test for '\(name)'")
  }
}
