import Codegen
import IR
import Runtime
import TestSupport
import Testing

// Every case of the shared op table (Tests/TestSupport/OpCases.swift), in every dtype it lists,
// through the JIT against the interpreter and against the hand-computed expectation.

@Test(arguments: opCases)
func jitMatchesInterpreter(_ c: OpCase) throws {
  try checkOpCase(c, options: testOptions)
}

/// Runs `c` in each of its dtypes through the JIT with `options`, against the interpreter and
/// against the hand-computed expectation.
func checkOpCase(_ c: OpCase, options: JITOptions) throws {
  for dtype in c.dtypes {
    let b = GraphBuilder(name: "case")
    var inputs: [String: HostTensor] = [:]
    var values: [Value] = []
    for (i, input) in c.inputs.enumerated() {
      let type = TensorType(input.dtype ?? dtype, input.shape)
      values.append(b.parameter("x\(i)", type))
      inputs["x\(i)"] = try HostTensor(type, doubles: input.values)
    }
    let graph = try b.build(results: [("y", c.body(b, values, dtype))])
    let out = try expectSameAsInterpreter(
      graph, inputs, options: options, " \(c) in \(dtype) (\(options.target.rawValue))")
    let resultDType = c.resultDType ?? dtype
    let expected = try HostTensor(TensorType(resultDType, c.shape), doubles: c.expected)
    let (rtol, atol) =
      resultDType == .f32 ? (2e-6, 1e-6) : resultDType == .f64 ? (1e-13, 1e-14) : (0, 0)
    #expect(
      out["y"]?.isClose(to: expected, rtol: rtol, atol: atol) == true,
      "\(c) in \(dtype): JIT \(String(describing: out["y"])) vs expected \(expected)")
  }
}

@Test func everyCoreOpHasJITCasesInF32AndF64() {
  for name in Op.coreNames {
    for dtype in [DType.f32, .f64] {
      #expect(
        opCases.contains { $0.op == name && $0.dtypes.contains(dtype) },
        "no \(dtype) JIT test for '\(name)'")
    }
  }
}
