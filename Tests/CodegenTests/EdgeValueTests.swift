import Codegen
import Foundation
import IR
import Runtime
import TestSupport
import Testing

// Every elementwise op and reduction on sizes that exercise the vector loop and the scalar tail,
// with special values (±0, ±∞, NaN, huge and tiny magnitudes) mixed in.

let specials: [Double] = [
  0, -0.0, 1, -1, .infinity, -.infinity, .nan, 1e-30, -1e-30, 40, -40, 0.5, -3.25, 700, -700,
  1e-5, 2.5, -2.5, 6, 1e300,
]

func edgeValues(_ count: Int, seed: UInt64, specials useSpecials: Bool) -> [Double] {
  var rng = SeededGenerator(seed: seed)
  return (0..<count).map { i in
    useSpecials && i % 3 == 0
      ? specials[(i / 3) % specials.count] : Double.random(in: -4..<4, using: &rng)
  }
}

@Test(arguments: UnaryOp.allCases)
func unaryOnEdgeValues(_ k: UnaryOp) throws {
  for dtype in [DType.f32, .f64] {
    for count in [1, 16, 37, 131] {
      let b = GraphBuilder(name: "unary")
      let x = b.parameter("x", TensorType(dtype, [count]))
      let g = try b.build(results: [("y", b.unary(k, x))])
      let values = edgeValues(count, seed: UInt64(count), specials: true)
      try expectSameAsInterpreter(
        g, ["x": try HostTensor(TensorType(dtype, [count]), doubles: values)])
    }
  }
}

@Test(arguments: BinaryOp.allCases)
func binaryOnEdgeValues(_ k: BinaryOp) throws {
  for dtype in [DType.f32, .f64, .i32, .i64] where dtype.isFloat || k != .pow {
    let count = 45
    let b = GraphBuilder(name: "binary")
    let x = b.parameter("x", TensorType(dtype, [count]))
    let y = b.parameter("y", TensorType(dtype, [count]))
    let g = try b.build(results: [("z", b.binary(k, x, y))])
    var a = edgeValues(count, seed: 1, specials: dtype.isFloat)
    var c = edgeValues(count, seed: 2, specials: dtype.isFloat).reversed().map { $0 }
    if dtype.isInteger {
      a = a.map { ($0 * 1000).rounded() }
      c = c.map { v in
        let r = (v * 10).rounded()
        return r == 0 ? 3 : r
      }
    }
    try expectSameAsInterpreter(
      g,
      [
        "x": try HostTensor(TensorType(dtype, [count]), doubles: a),
        "y": try HostTensor(TensorType(dtype, [count]), doubles: c),
      ])
  }
}

@Test(arguments: [DType.f32, .f64, .i32, .i64])
func comparesSelectsAndCasts(_ dtype: DType) throws {
  let count = 70
  let b = GraphBuilder(name: "cmp")
  let x = b.parameter("x", TensorType(dtype, [count]))
  let y = b.parameter("y", TensorType(dtype, [count]))
  var results: [(String, Value)] = []
  for k in CompareOp.allCases { results.append((k.rawValue, b.compare(k, x, y))) }
  results.append(("select", b.select(b.compare(.less, x, y), x, y)))
  results.append(("eq_i1", b.compare(.equal, b.compare(.less, x, y), b.compare(.greater, x, y))))
  for target in DType.allCases where !(dtype.isFloat && target.isInteger) {
    results.append(("to_\(target)", b.cast(x, to: target)))
  }
  results.append(("i1_back", b.cast(b.cast(x, to: .i1), to: dtype)))
  let g = try b.build(results: results)
  let finite = !dtype.isFloat
  var a = edgeValues(count, seed: 3, specials: !finite)
  var c = edgeValues(count, seed: 4, specials: !finite)
  if finite {
    a = a.map { $0.rounded() }
    c = c.map { $0.rounded() }
  }
  c[5] = a[5]
  try expectSameAsInterpreter(
    g,
    [
      "x": try HostTensor(TensorType(dtype, [count]), doubles: a),
      "y": try HostTensor(TensorType(dtype, [count]), doubles: c),
    ])
}

@Test(arguments: [DType.f32, .f64, .i32, .i64])
func reductionsOverEveryAxisSet(_ dtype: DType) throws {
  let shape = [3, 5, 37]
  let b = GraphBuilder(name: "reduce")
  let x = b.parameter("x", TensorType(dtype, shape))
  var results: [(String, Value)] = []
  let axisSets: [[Int]] = [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2], [], [-1]]
  for (i, axes) in axisSets.enumerated() {
    for k in ReduceOp.allCases where dtype.isFloat || k != .mean {
      results.append(("\(k)_\(i)", b.reduce(k, x, axes: axes, keepDims: i % 2 == 0)))
    }
  }
  let g = try b.build(results: results)
  var values = edgeValues(shape.reduce(1, *), seed: 5, specials: false)
  if dtype.isInteger { values = values.map { ($0 * 100).rounded() } }
  try expectSameAsInterpreter(g, ["x": try HostTensor(TensorType(dtype, shape), doubles: values)])
  if dtype.isFloat {
    values[77] = .nan
    values[200] = .infinity
    try expectSameAsInterpreter(g, ["x": try HostTensor(TensorType(dtype, shape), doubles: values)])
  }
}

@Test(arguments: [DType.f32, .f64])
func softmaxOnEveryAxis(_ dtype: DType) throws {
  let shape = [3, 4, 35]
  let b = GraphBuilder(name: "softmax")
  let x = b.parameter("x", TensorType(dtype, shape))
  var results: [(String, Value)] = []
  for axis in 0..<3 {
    results.append(("s\(axis)", b.softmax(x, axis: axis)))
    results.append(("l\(axis)", b.logSoftmax(x, axis: axis)))
  }
  let g = try b.build(results: results)
  var values = edgeValues(shape.reduce(1, *), seed: 6, specials: false).map { $0 * 10 }
  try expectSameAsInterpreter(g, ["x": try HostTensor(TensorType(dtype, shape), doubles: values)])
  values[40] = .nan
  values[100] = .infinity
  values[101] = -.infinity
  try expectSameAsInterpreter(g, ["x": try HostTensor(TensorType(dtype, shape), doubles: values)])
}

@Test func shapeOpsOnLargerTensors() throws {
  for dtype in DType.allCases {
    let b = GraphBuilder(name: "shapes")
    let x = b.parameter("x", TensorType(dtype, [4, 6, 10]))
    let row = b.parameter("row", TensorType(dtype, [6, 1]))
    let g = try b.build(results: [
      ("bcast", b.broadcast(row, to: [4, 6, 10])),
      ("t021", b.transpose(x, [0, 2, 1])), ("t201", b.transpose(x, [2, 0, 1])),
      ("slice", b.slice(x, start: [1, 0, 3], limit: [4, 6, 10], stride: [2, 3, 3])),
      ("concat", b.concat([x, x, b.slice(x, start: [0, 0, 0], limit: [4, 6, 2])], axis: 2)),
      ("reshaped", b.transpose(b.reshape(x, [24, 10]), [1, 0])),
    ])
    let values = (0..<240).map { Double($0 % 7) }
    try expectSameAsInterpreter(
      g,
      [
        "x": try HostTensor(TensorType(dtype, [4, 6, 10]), doubles: values),
        "row": try HostTensor(TensorType(dtype, [6, 1]), doubles: [1, 0, 3, 0, 5, 6]),
      ])
  }
}

/// tanh and erf against libm over a dense grid: f64 within 1e-12 relative, f32 within 1e-6.
@Test func transcendentalAccuracy() throws {
  let grid = (0..<4001).map { Double($0 - 2000) / 250 } + [1e-8, -1e-8, 1e-300, 0.00999, 0.01001]
  for dtype in [DType.f64, .f32] {
    let b = GraphBuilder(name: "accuracy")
    let x = b.parameter("x", TensorType(dtype, [grid.count]))
    let g = try b.build(results: [("tanh", b.tanh(x)), ("erf", b.erf(x))])
    let input = try HostTensor(TensorType(dtype, [grid.count]), doubles: grid)
    let out = try JIT.compile(g, options: testOptions).run(inputs: ["x": input])
    let tolerance = dtype == .f64 ? 1e-12 : 1e-6
    for (name, f) in [("tanh", Foundation.tanh as (Double) -> Double), ("erf", Foundation.erf)] {
      let got = try #require(out[name]).doubles
      for (v, y) in zip(input.doubles, got) {
        let want = f(v)
        let error = abs(y - want) / max(abs(want), 1e-300)
        #expect(error <= tolerance, "\(name)(\(v)) in \(dtype): \(y) vs \(want)")
      }
    }
  }
}
