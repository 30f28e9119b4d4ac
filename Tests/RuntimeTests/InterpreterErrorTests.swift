import Foundation
import IR
import Runtime
import Testing

/// A graph `y = x + w` over f32[2,3] parameters.
func addGraph() throws -> Graph {
  let b = GraphBuilder(name: "add")
  let x = b.parameter("x", TensorType(.f32, [2, 3]))
  let w = b.parameter("w", TensorType(.f32, [2, 3]))
  return try b.build(results: [("y", b.add(x, w))])
}

/// Runs `graph` and returns the error it throws (or records an issue if it does not throw).
func runError(_ graph: Graph, _ inputs: [String: HostTensor]) -> RuntimeError? {
  do {
    _ = try Interpreter().run(graph, inputs: inputs)
    Issue.record("expected an error")
    return nil
  } catch {
    return error
  }
}

func f32(_ shape: [Int], _ values: [Float]) throws -> HostTensor {
  try HostTensor(shape: shape, values)
}

@Test func missingInputNamesParameterAndType() throws {
  let g = try addGraph()
  let error = try #require(runError(g, ["x": f32([2, 3], [1, 2, 3, 4, 5, 6])]))
  #expect(error.message.contains("missing input 'w'"))
  #expect(error.message.contains("f32[2,3]"))
}

@Test func extraInputIsAnError() throws {
  let g = try addGraph()
  let t = try f32([2, 3], [1, 2, 3, 4, 5, 6])
  let error = try #require(runError(g, ["x": t, "w": t, "z": t]))
  #expect(error.message.contains("unexpected input 'z'"))
  #expect(error.message.contains("'x', 'w'"))
}

@Test func wrongShapeNamesExpectedAndActual() throws {
  let g = try addGraph()
  let t = try f32([2, 3], [1, 2, 3, 4, 5, 6])
  let error = try #require(runError(g, ["x": t, "w": try f32([3, 2], [1, 2, 3, 4, 5, 6])]))
  #expect(error.message.contains("input 'w' has the wrong shape"))
  #expect(error.message.contains("expected f32[2,3], got f32[3,2]"))
}

@Test func wrongDTypeNamesExpectedAndActual() throws {
  let g = try addGraph()
  let t = try f32([2, 3], [1, 2, 3, 4, 5, 6])
  let d = try HostTensor(shape: [2, 3], [1.0, 2, 3, 4, 5, 6])
  let error = try #require(runError(g, ["x": d, "w": t]))
  #expect(error.message.contains("input 'x' has the wrong dtype"))
  #expect(error.message.contains("expected f32[2,3], got f64[2,3]"))
}

@Test(arguments: [Int32(3), -1])
func gatherOutOfRangeReportsTheIndex(bad: Int32) throws {
  let b = GraphBuilder(name: "embed")
  let table = b.parameter("table", TensorType(.f32, [3, 2]))
  let ids = b.parameter("ids", TensorType(.i32, [2]))
  let g = try b.build(results: [("y", b.gather(table, ids))])
  let error = try #require(
    runError(
      g,
      [
        "table": try f32([3, 2], [0, 1, 2, 3, 4, 5]), "ids": try HostTensor(shape: [2], [0, bad]),
      ]))
  #expect(error.op == "gather")
  #expect(error.message.contains("index \(bad) at position [1]"))
  #expect(error.message.contains("0..<3"))
  #expect(error.location?.file.contains("InterpreterErrorTests") == true)
  #expect(error.description.contains("'gather'"))
}

@Test func takeAlongAxisOutOfRangeReportsTheIndex() throws {
  let b = GraphBuilder(name: "pick")
  let x = b.parameter("x", TensorType(.f64, [2, 3]))
  let i = b.parameter("i", TensorType(.i64, [2, 1]))
  let g = try b.build(results: [("y", b.takeAlongAxis(x, i, axis: 1))])
  let error = try #require(
    runError(
      g,
      [
        "x": try HostTensor(shape: [2, 3], [1.0, 2, 3, 4, 5, 6]),
        "i": try HostTensor(shape: [2, 1], [Int64(0), 7]),
      ]))
  #expect(error.op == "take_along_axis")
  #expect(error.message.contains("index 7 at position [1, 0]"))
}

@Test(arguments: [DType.i32, .i64])
func integerDivisionByZeroThrows(dtype: DType) throws {
  let b = GraphBuilder(name: "div")
  let x = b.parameter("x", TensorType(dtype, [3]))
  let y = b.parameter("y", TensorType(dtype, [3]))
  let g = try b.build(results: [("q", b.div(x, y))])
  let error = try #require(
    runError(
      g,
      [
        "x": try HostTensor(TensorType(dtype, [3]), doubles: [1, 2, 3]),
        "y": try HostTensor(TensorType(dtype, [3]), doubles: [1, 0, 1]),
      ]))
  #expect(error.message.contains("integer division by zero at element 1"))
}

@Test func integerOverflowWrapsInsteadOfTrapping() throws {
  let b = GraphBuilder(name: "wrap")
  let x = b.parameter("x", TensorType(.i32, [2]))
  let m = b.parameter("m", TensorType(.i32, [2]))
  let g = try b.build(results: [
    ("sum", b.add(x, x)), ("quotient", b.div(x, m)), ("negated", b.unary(.neg, x)),
  ])
  let out = try Interpreter().run(
    g,
    inputs: [
      "x": try HostTensor(shape: [2], [Int32.min, Int32.max]),
      "m": try HostTensor(shape: [2], [Int32(-1), -1]),
    ])
  #expect(out["sum"]?.array(of: Int32.self) == [0, -2])
  #expect(out["quotient"]?.array(of: Int32.self) == [Int32.min, -Int32.max])
  #expect(out["negated"]?.array(of: Int32.self) == [Int32.min, -Int32.max])
}

@Test(arguments: [Double.nan, .infinity, 3e9])
func unrepresentableCastThrows(value: Double) throws {
  let b = GraphBuilder(name: "cast")
  let x = b.parameter("x", TensorType(.f64, [1]))
  let g = try b.build(results: [("y", b.cast(x, to: .i32))])
  let error = try #require(runError(g, ["x": try HostTensor(shape: [1], [value])]))
  #expect(error.message.contains("cannot cast"))
}

@Test func reduceMaxOverNothingThrows() throws {
  let b = GraphBuilder(name: "empty")
  let x = b.parameter("x", TensorType(.f32, [2, 0]))
  let g = try b.build(results: [("y", b.reduce(.max, x, axes: [1]))])
  let error = try #require(runError(g, ["x": try f32([2, 0], [])]))
  #expect(error.message.contains("zero elements"))
}

@Test func unverifiedGraphIsAnErrorNotACrash() throws {
  var g = try addGraph()
  g.nodes[0].type = TensorType(.f64, [2, 3])
  let t = try f32([2, 3], [1, 2, 3, 4, 5, 6])
  let error = try #require(runError(g, ["x": t, "w": t]))
  #expect(error.message.contains("does not verify"))
}

// MARK: - Custom ops

/// `y = 2x`, with an interpreter kernel.
struct Twice: InterpretableCustomOp {
  var name: String { "twice" }
  var attributes: [(String, Attribute)] { [] }
  func resultType(operands: [TensorType]) throws(TypeError) -> TensorType {
    guard operands.count == 1 else { throw TypeError("expects 1 operand") }
    return operands[0]
  }
  func evaluate(_ operands: [HostTensor], resultType: TensorType) throws -> HostTensor {
    try HostTensor(resultType, doubles: operands[0].doubles.map { 2 * $0 })
  }
}

/// An op without an interpreter kernel.
struct Opaque: CustomOp {
  var name: String { "opaque" }
  var attributes: [(String, Attribute)] { [] }
  func resultType(operands: [TensorType]) throws(TypeError) -> TensorType { operands[0] }
}

@Test func customOpsRunThroughTheirKernel() throws {
  let b = GraphBuilder(name: "custom")
  let x = b.parameter("x", TensorType(.f64, [2]))
  let y = b.emit(.custom(CustomOpBox(Twice())), [x], at: SourceLocation(file: #fileID, line: #line))
  let g = try b.build(results: [("y", y)])
  let out = try Interpreter().run(g, inputs: ["x": try HostTensor(shape: [2], [1.5, -2.0])])
  #expect(out["y"]?.array(of: Double.self) == [3, -4])
}

@Test func customOpWithoutKernelIsAClearError() throws {
  let b = GraphBuilder(name: "custom")
  let x = b.parameter("x", TensorType(.f64, [2]))
  let y = b.emit(
    .custom(CustomOpBox(Opaque())), [x], at: SourceLocation(file: #fileID, line: #line))
  let g = try b.build(results: [("y", y)])
  let error = try #require(runError(g, ["x": try HostTensor(shape: [2], [1.5, -2.0])]))
  #expect(error.message.contains("custom op 'opaque' has no interpreter kernel"))
}

// MARK: - Whole graphs

@Test func sharedValuesDeadNodesAndRepeatedResults() throws {
  // x is used by three nodes and is itself a result; `dead` is never used.
  let b = GraphBuilder(name: "mlp")
  let x = b.parameter("x", TensorType(.f32, [2, 2]))
  let w = b.parameter("w", TensorType(.f32, [2, 2]))
  let h = b.unary(.relu, b.matmul(x, w))
  _ = b.unary(.exp, h)
  let s = b.sum(b.mul(h, x), axes: [0, 1])
  let g = try b.build(results: [("loss", s), ("h", h), ("x", x), ("again", s)])
  let out = try Interpreter().run(
    g, inputs: ["x": try f32([2, 2], [1, -1, 2, 0]), "w": try f32([2, 2], [1, 2, 3, -4])])
  // x·w = [[-2, 6], [2, 4]]; relu = [[0, 6], [2, 4]]; h∘x = [[0, -6], [4, 0]]
  #expect(out["h"]?.array(of: Float.self) == [0, 6, 2, 4])
  #expect(out["loss"]?.scalar(of: Float.self) == -2)
  #expect(out["again"] == out["loss"])
  #expect(out["x"]?.array(of: Float.self) == [1, -1, 2, 0])
  #expect(out.count == 4)
}

@Test func largeElementwiseAndSoftmaxTakeTheParallelPathCorrectly() throws {
  let rows = 300
  let cols = 257
  let b = GraphBuilder(name: "big")
  let x = b.parameter("x", TensorType(.f32, [rows, cols]))
  let g = try b.build(results: [
    ("e", b.unary(.exp, x)), ("p", b.softmax(x, axis: 1)), ("q", b.softmax(x, axis: 0)),
    ("s", b.sum(x, axes: [1])),
  ])
  let values = (0..<(rows * cols)).map { Float(($0 * 37) % 101) / 25 - 2 }
  let out = try Interpreter().run(g, inputs: ["x": try HostTensor(shape: [rows, cols], values)])
  let e = try #require(out["e"]?.array(of: Float.self))
  #expect(zip(e, values).allSatisfy { $0 == Float.exp($1) })
  let p = try #require(out["p"]?.array(of: Float.self))
  for r in [0, 1, 150, rows - 1] {
    let row = values[(r * cols)..<((r + 1) * cols)].map(Double.init)
    let m = row.max() ?? 0
    let z = row.reduce(0) { $0 + Foundation.exp($1 - m) }
    for c in [0, 100, cols - 1] {
      #expect(abs(Double(p[r * cols + c]) - Foundation.exp(row[c] - m) / z) < 1e-7)
    }
  }
  let q = try #require(out["q"]?.array(of: Float.self))
  for c in [0, 5, cols - 1] {
    let total = (0..<rows).reduce(0.0) { $0 + Double(q[$1 * cols + c]) }
    #expect(abs(total - 1) < 1e-5)
  }
  let s = try #require(out["s"]?.array(of: Float.self))
  #expect(s.count == rows)
}

@Test func matmulMatchesANaiveProduct() throws {
  let (batch, m, k, n) = (3, 7, 5, 4)
  let a = (0..<(batch * k * m)).map { Double(($0 * 7) % 13) - 6 }
  let w = (0..<(batch * n * k)).map { Double(($0 * 5) % 11) - 5 }
  let b = GraphBuilder(name: "mm")
  let x = b.parameter("a", TensorType(.f64, [batch, k, m]))
  let y = b.parameter("b", TensorType(.f64, [batch, n, k]))
  let g = try b.build(results: [("c", b.matmul(x, y, transposeA: true, transposeB: true))])
  let out = try Interpreter().run(
    g,
    inputs: [
      "a": try HostTensor(shape: [batch, k, m], a), "b": try HostTensor(shape: [batch, n, k], w),
    ])
  let c = try #require(out["c"]?.array(of: Double.self))
  for p in 0..<batch {
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0
        for l in 0..<k { sum += a[p * k * m + l * m + i] * w[p * n * k + j * k + l] }
        #expect(c[p * m * n + i * n + j] == sum)
      }
    }
  }
}
