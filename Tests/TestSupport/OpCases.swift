import Foundation
import IR

// The table of interpreter cases: every core op, hand-computed expectations, run in f32 and f64
// (and i32/i64/i1 where the op takes integers). `InterpreterOpTests` runs it and checks coverage;
// `CodegenTests` runs every case through the JIT against the interpreter.

/// One graph input: its dtype (nil: the case's dtype), shape and values.
public struct Input: Sendable {
  public var dtype: DType?
  public var shape: [Int]
  public var values: [Double]
}

/// An input of the case's dtype.
func x(_ shape: [Int], _ values: [Double]) -> Input {
  Input(dtype: nil, shape: shape, values: values)
}
/// An input of a fixed dtype.
func x(_ dtype: DType, _ shape: [Int], _ values: [Double]) -> Input {
  Input(dtype: dtype, shape: shape, values: values)
}

/// One interpreter case: build a graph from the inputs, run it, compare with `expected`.
public struct OpCase: Sendable, CustomStringConvertible {
  public var op: String
  public var note: String
  public var dtypes: [DType]
  public var inputs: [Input]
  public var body: @Sendable (GraphBuilder, [Value], DType) -> Value
  public var shape: [Int]
  public var expected: [Double]
  /// The result dtype; nil means the case's dtype.
  public var resultDType: DType?

  public var description: String { "\(op)\(note.isEmpty ? "" : " (\(note))") \(dtypes)" }
}

public let floats: [DType] = [.f32, .f64]
public let integers: [DType] = [.i32, .i64]

func unaryCase(_ k: UnaryOp, _ input: [Double], _ f: @escaping @Sendable (Double) -> Double)
  -> OpCase
{
  OpCase(
    op: k.rawValue, note: "", dtypes: floats, inputs: [x([input.count], input)],
    body: { b, v, _ in b.unary(k, v[0]) }, shape: [input.count], expected: input.map(f))
}

func binaryCase(
  _ k: BinaryOp, _ a: [Double], _ c: [Double], _ expected: [Double], dtypes: [DType] = floats
) -> OpCase {
  OpCase(
    op: k.rawValue, note: dtypes == floats ? "" : "integers", dtypes: dtypes,
    inputs: [x([2, a.count / 2], a), x([2, c.count / 2], c)],
    body: { b, v, _ in b.binary(k, v[0], v[1]) }, shape: [2, a.count / 2], expected: expected)
}

func erfGelu(_ v: Double) -> Double { v * 0.5 * (1 + erf(v / 2.0.squareRoot())) }
func logistic(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

let mixed: [Double] = [-2, -0.5, 0, 0.5, 1.5]
let positive: [Double] = [0.25, 1, 4]

public let opCases: [OpCase] = [
  // Unary, floats.
  unaryCase(.neg, mixed) { -$0 },
  unaryCase(.exp, mixed) { exp($0) },
  unaryCase(.log, positive) { log($0) },
  unaryCase(.sqrt, positive) { $0.squareRoot() },
  unaryCase(.rsqrt, positive) { 1 / $0.squareRoot() },
  unaryCase(.tanh, mixed) { tanh($0) },
  unaryCase(.sigmoid, mixed + [-40, 40]) { logistic($0) },
  unaryCase(.relu, mixed) { max($0, 0) },
  unaryCase(.silu, mixed) { $0 * logistic($0) },
  unaryCase(.gelu, mixed + [-3, 3]) { erfGelu($0) },
  unaryCase(.abs, mixed) { abs($0) },
  unaryCase(.reciprocal, [-2, -0.5, 0.5, 4]) { 1 / $0 },
  unaryCase(.sin, mixed) { sin($0) },
  unaryCase(.erf, mixed + [-3, 3]) { erf($0) },
  unaryCase(.cos, mixed) { cos($0) },
  // Unary, integers (neg, abs, relu accept them).
  OpCase(
    op: "neg", note: "integers", dtypes: integers, inputs: [x([3], [-3, 0, 4])],
    body: { b, v, _ in b.unary(.neg, v[0]) }, shape: [3], expected: [3, 0, -4]),
  OpCase(
    op: "abs", note: "integers", dtypes: integers, inputs: [x([3], [-3, 0, 4])],
    body: { b, v, _ in b.unary(.abs, v[0]) }, shape: [3], expected: [3, 0, 4]),
  OpCase(
    op: "relu", note: "integers", dtypes: integers, inputs: [x([3], [-3, 0, 4])],
    body: { b, v, _ in b.unary(.relu, v[0]) }, shape: [3], expected: [0, 0, 4]),

  // Binary.
  binaryCase(.add, [1, -2, 3, 0.5], [2, 4, -1, 0.5], [3, 2, 2, 1]),
  binaryCase(.sub, [1, -2, 3, 0.5], [2, 4, -1, 0.5], [-1, -6, 4, 0]),
  binaryCase(.mul, [1, -2, 3, 0.5], [2, 4, -1, 0.5], [2, -8, -3, 0.25]),
  binaryCase(.div, [1, -2, 3, 0.5], [2, 4, -1, 0.5], [0.5, -0.5, -3, 1]),
  binaryCase(.max, [1, -2, 3, 0.5], [2, 4, -1, 0.5], [2, 4, 3, 0.5]),
  binaryCase(.min, [1, -2, 3, 0.5], [2, 4, -1, 0.5], [1, -2, -1, 0.5]),
  binaryCase(.pow, [2, -2, 4, 9], [3, 2, 0.5, -0.5], [8, 4, 2, 1.0 / 3]),
  binaryCase(.add, [1, -2, 3, 7], [2, 4, -1, -7], [3, 2, 2, 0], dtypes: integers),
  binaryCase(.sub, [1, -2, 3, 7], [2, 4, -1, -7], [-1, -6, 4, 14], dtypes: integers),
  binaryCase(.mul, [1, -2, 3, 7], [2, 4, -1, -7], [2, -8, -3, -49], dtypes: integers),
  // Integer division truncates toward zero.
  binaryCase(.div, [7, -7, 7, -7], [2, 2, -2, -2], [3, -3, -3, 3], dtypes: integers),
  binaryCase(.max, [1, -2, 3, 7], [2, 4, -1, -7], [2, 4, 3, 7], dtypes: integers),
  binaryCase(.min, [1, -2, 3, 7], [2, 4, -1, -7], [1, -2, -1, -7], dtypes: integers),
  OpCase(
    op: "add", note: "numpy broadcast [2,3] + [3]", dtypes: floats,
    inputs: [x([2, 3], [0, 1, 2, 3, 4, 5]), x([3], [10, 20, 30])],
    body: { b, v, _ in b.add(v[0], v[1]) }, shape: [2, 3], expected: [10, 21, 32, 13, 24, 35]),

  // Comparisons and select.
  OpCase(
    op: "greater", note: "", dtypes: floats + integers,
    inputs: [x([3], [1, 2, 3]), x([3], [2, 2, 1])],
    body: { b, v, _ in b.compare(.greater, v[0], v[1]) }, shape: [3], expected: [0, 0, 1],
    resultDType: .i1),
  OpCase(
    op: "less", note: "", dtypes: floats + integers,
    inputs: [x([3], [1, 2, 3]), x([3], [2, 2, 1])],
    body: { b, v, _ in b.compare(.less, v[0], v[1]) }, shape: [3], expected: [1, 0, 0],
    resultDType: .i1),
  OpCase(
    op: "equal", note: "", dtypes: floats + integers + [.i1],
    inputs: [x([3], [1, 0, 1]), x([3], [0, 0, 1])],
    body: { b, v, _ in b.compare(.equal, v[0], v[1]) }, shape: [3], expected: [0, 1, 1],
    resultDType: .i1),
  OpCase(
    op: "select", note: "", dtypes: floats + integers + [.i1],
    inputs: [x(.i1, [4], [1, 0, 1, 0]), x([4], [1, 1, 0, 0]), x([4], [0, 1, 1, 0])],
    body: { b, v, _ in b.select(v[0], v[1], v[2]) }, shape: [4], expected: [1, 1, 0, 0]),

  // Casts: float → integer truncates toward zero; numbers → i1 are `!= 0`; i1 → 0/1.
  OpCase(
    op: "cast", note: "to i32", dtypes: floats, inputs: [x([4], [-1.7, 2.9, 0, -0.2])],
    body: { b, v, _ in b.cast(v[0], to: .i32) }, shape: [4], expected: [-1, 2, 0, 0],
    resultDType: .i32),
  OpCase(
    op: "cast", note: "to i64", dtypes: floats, inputs: [x([2], [-3e9, 3.5])],
    body: { b, v, _ in b.cast(v[0], to: .i64) }, shape: [2], expected: [-3e9, 3], resultDType: .i64),
  OpCase(
    op: "cast", note: "from i32", dtypes: floats, inputs: [x(.i32, [3], [1, -3, 7])],
    body: { b, v, t in b.cast(v[0], to: t) }, shape: [3], expected: [1, -3, 7]),
  OpCase(
    op: "cast", note: "f32 → f64", dtypes: [.f32], inputs: [x([2], [0.1, -2.25])],
    body: { b, v, _ in b.cast(v[0], to: .f64) }, shape: [2],
    expected: [Double(Float(0.1)), -2.25], resultDType: .f64),
  OpCase(
    op: "cast", note: "f64 → f32 rounds", dtypes: [.f64], inputs: [x([2], [0.1, -2.25])],
    body: { b, v, _ in b.cast(v[0], to: .f32) }, shape: [2],
    expected: [Double(Float(0.1)), -2.25], resultDType: .f32),
  OpCase(
    op: "cast", note: "to i1", dtypes: floats + integers, inputs: [x([3], [0, 2, -1])],
    body: { b, v, _ in b.cast(v[0], to: .i1) }, shape: [3], expected: [0, 1, 1], resultDType: .i1),
  OpCase(
    op: "cast", note: "from i1", dtypes: floats + integers, inputs: [x(.i1, [3], [0, 1, 1])],
    body: { b, v, t in b.cast(v[0], to: t) }, shape: [3], expected: [0, 1, 1]),
  OpCase(
    op: "cast", note: "i64 → i32", dtypes: [.i64], inputs: [x([2], [5, -6])],
    body: { b, v, _ in b.cast(v[0], to: .i32) }, shape: [2], expected: [5, -6], resultDType: .i32),

  // Creation.
  OpCase(
    op: "constant", note: "", dtypes: floats, inputs: [],
    body: { b, _, t in b.constant(1.5, TensorType(t, [2, 2])) }, shape: [2, 2],
    expected: [1.5, 1.5, 1.5, 1.5]),
  OpCase(
    op: "constant", note: "integers", dtypes: integers, inputs: [],
    body: { b, _, t in b.constant(-2, TensorType(t, [3])) }, shape: [3], expected: [-2, -2, -2]),
  OpCase(
    op: "constant", note: "i1 scalar", dtypes: [.i1], inputs: [],
    body: { b, _, t in b.constant(1, TensorType(t, [])) }, shape: [], expected: [1]),
  OpCase(
    op: "iota", note: "axis 1", dtypes: floats + integers, inputs: [],
    body: { b, _, t in b.iota(axis: 1, TensorType(t, [2, 3])) }, shape: [2, 3],
    expected: [0, 1, 2, 0, 1, 2]),
  OpCase(
    op: "iota", note: "axis -2", dtypes: floats, inputs: [],
    body: { b, _, t in b.iota(axis: -2, TensorType(t, [2, 3])) }, shape: [2, 3],
    expected: [0, 0, 0, 1, 1, 1]),

  // Shape.
  OpCase(
    op: "broadcast", note: "[3,1] → [2,3,2]", dtypes: floats + integers + [.i1],
    inputs: [x([3, 1], [1, 0, 1])], body: { b, v, _ in b.broadcast(v[0], to: [2, 3, 2]) },
    shape: [2, 3, 2], expected: [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1]),
  OpCase(
    op: "broadcast", note: "scalar", dtypes: floats, inputs: [x([], [4])],
    body: { b, v, _ in b.broadcast(v[0], to: [2]) }, shape: [2], expected: [4, 4]),
  OpCase(
    op: "reshape", note: "", dtypes: floats + integers, inputs: [x([2, 3], [0, 1, 2, 3, 4, 5])],
    body: { b, v, _ in b.reshape(v[0], [3, 2]) }, shape: [3, 2], expected: [0, 1, 2, 3, 4, 5]),
  OpCase(
    op: "transpose", note: "2-D", dtypes: floats + integers,
    inputs: [x([2, 3], [0, 1, 2, 3, 4, 5])],
    body: { b, v, _ in b.transpose(v[0], [1, 0]) }, shape: [3, 2], expected: [0, 3, 1, 4, 2, 5]),
  OpCase(
    op: "transpose", note: "3-D perm [1,2,0]", dtypes: floats,
    inputs: [x([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7])],
    body: { b, v, _ in b.transpose(v[0], [1, 2, 0]) }, shape: [2, 2, 2],
    expected: [0, 4, 1, 5, 2, 6, 3, 7]),
  OpCase(
    op: "slice", note: "strided", dtypes: floats + integers,
    inputs: [x([3, 4], (0..<12).map(Double.init))],
    body: { b, v, _ in b.slice(v[0], start: [0, 1], limit: [3, 4], stride: [2, 2]) },
    shape: [2, 2],
    expected: [1, 3, 9, 11]),
  OpCase(
    op: "slice", note: "unit stride", dtypes: floats,
    inputs: [x([3, 4], (0..<12).map(Double.init))],
    body: { b, v, _ in b.slice(v[0], start: [1, 0], limit: [3, 2]) }, shape: [2, 2],
    expected: [4, 5, 8, 9]),
  OpCase(
    op: "concat", note: "axis 1", dtypes: floats + integers,
    inputs: [x([2, 2], [1, 2, 3, 4]), x([2, 1], [5, 6])],
    body: { b, v, _ in b.concat([v[0], v[1]], axis: 1) }, shape: [2, 3],
    expected: [1, 2, 5, 3, 4, 6]),
  OpCase(
    op: "concat", note: "axis 0, three operands", dtypes: floats,
    inputs: [x([1, 2], [1, 2]), x([2, 2], [3, 4, 5, 6]), x([0, 2], [])],
    body: { b, v, _ in b.concat(v, axis: -2) }, shape: [3, 2], expected: [1, 2, 3, 4, 5, 6]),

  // Reductions.
  OpCase(
    op: "reduce_sum", note: "axis 1", dtypes: floats + integers,
    inputs: [x([2, 3], [0, 1, 2, 3, 4, 5])], body: { b, v, _ in b.sum(v[0], axes: [1]) },
    shape: [2],
    expected: [3, 12]),
  OpCase(
    op: "reduce_sum", note: "axis 0 keepdims", dtypes: floats,
    inputs: [x([2, 3], [0, 1, 2, 3, 4, 5])],
    body: { b, v, _ in b.sum(v[0], axes: [0], keepDims: true) }, shape: [1, 3], expected: [3, 5, 7]),
  OpCase(
    op: "reduce_sum", note: "all axes", dtypes: floats, inputs: [x([2, 3], [0, 1, 2, 3, 4, 5])],
    body: { b, v, _ in b.sum(v[0], axes: [0, 1]) }, shape: [], expected: [15]),
  OpCase(
    op: "reduce_mean", note: "axis 1", dtypes: floats, inputs: [x([2, 3], [0, 1, 2, 3, 4, 5])],
    body: { b, v, _ in b.mean(v[0], axes: [-1]) }, shape: [2], expected: [1, 4]),
  OpCase(
    op: "reduce_mean", note: "axes [0, 2]", dtypes: floats,
    inputs: [x([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7])],
    body: { b, v, _ in b.mean(v[0], axes: [0, 2]) }, shape: [2], expected: [2.5, 4.5]),
  OpCase(
    op: "reduce_max", note: "axis 0", dtypes: floats + integers,
    inputs: [x([2, 3], [1, 5, -2, 3, 0, -1])],
    body: { b, v, _ in b.reduce(.max, v[0], axes: [0]) }, shape: [3], expected: [3, 5, -1]),

  // Normalizers: second row checks the stable form (large equal logits).
  OpCase(
    op: "softmax", note: "last axis", dtypes: floats,
    inputs: [x([2, 3], [0, log(2), log(3), 1000, 1000, 1000])],
    body: { b, v, _ in b.softmax(v[0], axis: -1) }, shape: [2, 3],
    expected: [1.0 / 6, 2.0 / 6, 3.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 3]),
  OpCase(
    op: "softmax", note: "axis 0", dtypes: floats, inputs: [x([2, 2], [0, 1000, log(3), 1000])],
    body: { b, v, _ in b.softmax(v[0], axis: 0) }, shape: [2, 2], expected: [0.25, 0.5, 0.75, 0.5]),
  OpCase(
    op: "log_softmax", note: "last axis", dtypes: floats,
    inputs: [x([2, 3], [0, log(2), log(3), 1000, 1000, 1000])],
    body: { b, v, _ in b.logSoftmax(v[0], axis: 1) }, shape: [2, 3],
    expected: [log(1.0 / 6), log(2.0 / 6), log(3.0 / 6), -log(3), -log(3), -log(3)]),

  // Matmul, with each transpose flag and a batch.
  OpCase(
    op: "matmul", note: "plain", dtypes: floats,
    inputs: [x([2, 3], [1, 2, 3, 4, 5, 6]), x([3, 2], [7, 8, 9, 10, 11, 12])],
    body: { b, v, _ in b.matmul(v[0], v[1]) }, shape: [2, 2], expected: [58, 64, 139, 154]),
  OpCase(
    op: "matmul", note: "transpose_a", dtypes: floats,
    inputs: [x([3, 2], [1, 4, 2, 5, 3, 6]), x([3, 2], [7, 8, 9, 10, 11, 12])],
    body: { b, v, _ in b.matmul(v[0], v[1], transposeA: true) }, shape: [2, 2],
    expected: [58, 64, 139, 154]),
  OpCase(
    op: "matmul", note: "transpose_b", dtypes: floats,
    inputs: [x([2, 3], [1, 2, 3, 4, 5, 6]), x([2, 3], [7, 9, 11, 8, 10, 12])],
    body: { b, v, _ in b.matmul(v[0], v[1], transposeB: true) }, shape: [2, 2],
    expected: [58, 64, 139, 154]),
  OpCase(
    op: "matmul", note: "both transposed", dtypes: floats,
    inputs: [x([3, 2], [1, 4, 2, 5, 3, 6]), x([2, 3], [7, 9, 11, 8, 10, 12])],
    body: { b, v, _ in b.matmul(v[0], v[1], transposeA: true, transposeB: true) }, shape: [2, 2],
    expected: [58, 64, 139, 154]),
  OpCase(
    op: "matmul", note: "batched", dtypes: floats,
    inputs: [x([2, 1, 2], [1, 2, 3, 4]), x([2, 2, 1], [5, 6, 7, 8])],
    body: { b, v, _ in b.matmul(v[0], v[1]) }, shape: [2, 1, 1], expected: [17, 53]),
  OpCase(
    op: "matmul", note: "k = 0 gives zeros", dtypes: floats,
    inputs: [x([2, 0], []), x([0, 3], [])],
    body: { b, v, _ in b.matmul(v[0], v[1]) }, shape: [2, 3], expected: [0, 0, 0, 0, 0, 0]),

  // Indexing.
  OpCase(
    op: "gather", note: "i64 ids [2,2]", dtypes: floats + integers,
    inputs: [x([3, 2], [0, 1, 10, 11, 20, 21]), x(.i64, [2, 2], [2, 0, 1, 1])],
    body: { b, v, _ in b.gather(v[0], v[1]) }, shape: [2, 2, 2],
    expected: [20, 21, 0, 1, 10, 11, 10, 11]),
  OpCase(
    op: "gather", note: "i32 ids, rank-1 table", dtypes: floats,
    inputs: [x([3], [5, 6, 7]), x(.i32, [4], [2, 2, 0, 1])],
    body: { b, v, _ in b.gather(v[0], v[1]) }, shape: [4], expected: [7, 7, 5, 6]),
  OpCase(
    op: "stop_gradient", note: "identity", dtypes: floats + integers, inputs: [x([3], [1, -2, 3])],
    body: { b, v, _ in b.stopGradient(v[0]) }, shape: [3], expected: [1, -2, 3]),
  // With the default execution context (a world of one process), both reductions are the
  // identity; the multi-rank semantics are tested with in-process and MPI worlds.
  OpCase(
    op: "all_reduce", note: "sum over one rank", dtypes: floats, inputs: [x([2, 2], [1, -2, 3, 0.5])],
    body: { b, v, _ in b.allReduce(v[0], .sum) }, shape: [2, 2], expected: [1, -2, 3, 0.5]),
  OpCase(
    op: "all_reduce", note: "mean over one rank", dtypes: floats, inputs: [x([3], [1, -2, 3])],
    body: { b, v, _ in b.allReduce(v[0], .mean) }, shape: [3], expected: [1, -2, 3]),
  OpCase(
    op: "scatter_add", note: "repeated ids accumulate", dtypes: floats + integers,
    inputs: [x([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), x(.i32, [2, 2], [2, 0, 2, 2])],
    body: { b, v, _ in b.scatterAdd(v[0], v[1], rows: 4) }, shape: [4, 2],
    expected: [3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8, 0, 0]),
  OpCase(
    op: "take_along_axis", note: "axis 1", dtypes: floats + integers,
    inputs: [x([2, 3], [1, 2, 3, 4, 5, 6]), x(.i32, [2, 1], [2, 0])],
    body: { b, v, _ in b.takeAlongAxis(v[0], v[1], axis: 1) }, shape: [2, 1], expected: [3, 4]),
  OpCase(
    op: "take_along_axis", note: "axis 0, i64", dtypes: floats,
    inputs: [x([2, 3], [1, 2, 3, 4, 5, 6]), x(.i64, [1, 3], [1, 0, 1])],
    body: { b, v, _ in b.takeAlongAxis(v[0], v[1], axis: -2) }, shape: [1, 3], expected: [4, 2, 6]),
]
