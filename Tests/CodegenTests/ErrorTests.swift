import Codegen
import IR
import Runtime
import Testing

// Signature and run-time errors: the JIT reports what the interpreter reports, with the same
// texts, ops, nodes and locations, and never crashes.

func addGraph() throws -> Graph {
  let b = GraphBuilder(name: "add")
  let x = b.parameter("x", TensorType(.f32, [2, 3]))
  let w = b.parameter("w", TensorType(.f32, [2, 3]))
  return try b.build(results: [("y", b.add(x, w))])
}

/// The interpreter's and the JIT's errors for one run (each must throw).
func bothErrors(_ g: Graph, _ inputs: [String: HostTensor]) throws -> (RuntimeError, RuntimeError)?
{
  var interpreted: RuntimeError?
  var compiled: RuntimeError?
  do { _ = try Interpreter().run(g, inputs: inputs) } catch { interpreted = error }
  let exe = try JIT.compile(g, options: testOptions)
  do { _ = try exe.run(inputs: inputs) } catch { compiled = error }
  guard let interpreted, let compiled else {
    Issue.record(
      "expected both to throw: interpreter \(String(describing: interpreted)), JIT \(String(describing: compiled))"
    )
    return nil
  }
  return (interpreted, compiled)
}

func expectSameError(
  _ g: Graph, _ inputs: [String: HostTensor], contains text: String,
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  guard let (want, got) = try bothErrors(g, inputs) else { return }
  #expect(got == want, "JIT: \(got)\ninterpreter: \(want)", sourceLocation: sourceLocation)
  #expect(got.message.contains(text), "\(got)", sourceLocation: sourceLocation)
}

func f32(_ shape: [Int], _ values: [Float]) throws -> HostTensor {
  try HostTensor(shape: shape, values)
}

@Test func signatureErrorsMatchTheInterpreter() throws {
  let g = try addGraph()
  let t = try f32([2, 3], [1, 2, 3, 4, 5, 6])
  try expectSameError(g, ["x": t], contains: "missing input 'w'")
  try expectSameError(g, ["x": t, "w": t, "z": t], contains: "unexpected input 'z'")
  try expectSameError(
    g, ["x": t, "w": try f32([3, 2], [1, 2, 3, 4, 5, 6])], contains: "wrong shape")
  try expectSameError(
    g, ["x": try HostTensor(shape: [2, 3], [1.0, 2, 3, 4, 5, 6]), "w": t], contains: "wrong dtype")
}

@Test(arguments: [DType.i32, .i64])
func integerDivisionByZero(dtype: DType) throws {
  let b = GraphBuilder(name: "div")
  let x = b.parameter("x", TensorType(dtype, [40]))
  let y = b.parameter("y", TensorType(dtype, [40]))
  let g = try b.build(results: [("q", b.div(x, y))])
  var divisors = [Double](repeating: 3, count: 40)
  divisors[33] = 0
  divisors[35] = 0
  try expectSameError(
    g,
    [
      "x": try HostTensor(TensorType(dtype, [40]), doubles: (0..<40).map { Double($0) - 7 }),
      "y": try HostTensor(TensorType(dtype, [40]), doubles: divisors),
    ], contains: "integer division by zero at element 33 (dividend 26)")
}

@Test func integerOverflowWraps() throws {
  let b = GraphBuilder(name: "wrap")
  let x = b.parameter("x", TensorType(.i32, [2]))
  let m = b.parameter("m", TensorType(.i32, [2]))
  let g = try b.build(results: [
    ("sum", b.add(x, x)), ("quotient", b.div(x, m)), ("negated", b.unary(.neg, x)),
    ("absolute", b.unary(.abs, x)),
  ])
  try expectSameAsInterpreter(
    g,
    [
      "x": try HostTensor(shape: [2], [Int32.min, Int32.max]),
      "m": try HostTensor(shape: [2], [Int32(-1), -1]),
    ])
}

@Test(arguments: [
  (DType.f64, DType.i32, Double.nan), (.f64, .i32, .infinity), (.f64, .i32, 3e9),
  (.f32, .i32, 3e9), (.f32, .i64, -.infinity), (.f64, .i64, 1e19), (.f64, .i32, -2_147_483_649),
])
func unrepresentableCast(from: DType, to: DType, value: Double) throws {
  let b = GraphBuilder(name: "cast")
  let x = b.parameter("x", TensorType(from, [3]))
  let g = try b.build(results: [("y", b.cast(x, to: to))])
  try expectSameError(
    g, ["x": try HostTensor(TensorType(from, [3]), doubles: [1, value, 2])], contains: "cannot cast"
  )
}

@Test func castAtTheRangeEdgesSucceeds() throws {
  let b = GraphBuilder(name: "edges")
  let x = b.parameter("x", TensorType(.f64, [4]))
  let g = try b.build(results: [("y", b.cast(x, to: .i32)), ("z", b.cast(x, to: .i64))])
  try expectSameAsInterpreter(
    g, ["x": try HostTensor(shape: [4], [-2147483648.9, 2147483647.9, -0.0, 0.99])])
}

@Test(arguments: [Int32(3), -1, 1000])
func gatherOutOfRange(bad: Int32) throws {
  let b = GraphBuilder(name: "embed")
  let table = b.parameter("table", TensorType(.f32, [3, 2]))
  let ids = b.parameter("ids", TensorType(.i32, [2, 2]))
  let g = try b.build(results: [("y", b.gather(table, ids))])
  try expectSameError(
    g,
    [
      "table": try f32([3, 2], [0, 1, 2, 3, 4, 5]),
      "ids": try HostTensor(shape: [2, 2], [0, 1, bad, 2]),
    ],
    contains: "index \(bad) at position [1, 0]")
}

@Test func scatterAddOutOfRange() throws {
  let b = GraphBuilder(name: "scatter")
  let u = b.parameter("u", TensorType(.f64, [3, 2]))
  let ids = b.parameter("ids", TensorType(.i64, [3]))
  let g = try b.build(results: [("y", b.scatterAdd(u, ids, rows: 4))])
  try expectSameError(
    g,
    [
      "u": try HostTensor(shape: [3, 2], [1.0, 2, 3, 4, 5, 6]),
      "ids": try HostTensor(shape: [3], [Int64(0), 3, 4]),
    ], contains: "index 4 at position [2]")
}

@Test func takeAlongAxisOutOfRange() throws {
  let b = GraphBuilder(name: "pick")
  let x = b.parameter("x", TensorType(.f64, [2, 3]))
  let i = b.parameter("i", TensorType(.i64, [2, 1]))
  let g = try b.build(results: [("y", b.takeAlongAxis(x, i, axis: 1))])
  try expectSameError(
    g,
    [
      "x": try HostTensor(shape: [2, 3], [1.0, 2, 3, 4, 5, 6]),
      "i": try HostTensor(shape: [2, 1], [Int64(0), 7]),
    ],
    contains: "index 7 at position [1, 0]")
}

@Test func reduceMaxOverNothing() throws {
  let b = GraphBuilder(name: "empty")
  let x = b.parameter("x", TensorType(.f32, [2, 0]))
  let g = try b.build(results: [("y", b.reduce(.max, x, axes: [1]))])
  try expectSameError(g, ["x": try f32([2, 0], [])], contains: "zero elements")
}

@Test func emptyReductionsAndShapes() throws {
  let b = GraphBuilder(name: "empty")
  let x = b.parameter("x", TensorType(.f64, [2, 0]))
  let g = try b.build(results: [
    ("sum", b.sum(x, axes: [1])), ("mean", b.mean(x, axes: [1])), ("none", b.sum(x, axes: [0])),
    ("t", b.transpose(x, [1, 0])), ("e", b.exp(x)),
  ])
  try expectSameAsInterpreter(g, ["x": try HostTensor(shape: [2, 0], [Double]())])
}

@Test func constantThatDoesNotFitIsRejectedBeforeCompiling() throws {
  let b = GraphBuilder(name: "big")
  let x = b.parameter("x", TensorType(.i32, [2]))
  _ = b.add(x, b.constant(3e9, TensorType(.i32, [2])))
  #expect(b.diagnostics.first?.message.contains("in range") == true)
}

@Test func unverifiedGraphIsACompileError() throws {
  var g = try addGraph()
  g.nodes[0].type = TensorType(.f64, [2, 3])
  #expect(throws: CompileError.self) { _ = try JIT.compile(g) }
}
