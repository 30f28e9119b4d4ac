import IR

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `fold`: replaces an op whose operands are all splat constants by the splat constant it
/// computes.
///
/// Folded: elementwise unary, binary, comparison, `select` and `cast`; `broadcast`, `reshape`,
/// `transpose`, `slice` of a splat and `concat` of equal splats; `reduce_sum` (v·N),
/// `reduce_mean` (v), `reduce_max` (v); `softmax` (1/n) and `log_softmax` (-ln n).
///
/// Semantics per dtype: operands are first read as the dtype holds them (f32 through
/// `Float`), the result is computed in `Double` and rounded to the result dtype: f32 through
/// `Float`, i32/i64 with two's-complement wrapping, i1 as 0/1. Float math is computed in f64
/// then rounded, so an f32 result can differ in the last place from an f32 kernel; likewise
/// sums are v·N rounded once, where a kernel that accumulates rounds N times.
///
/// Not folded (left as they are): ops without operands (`constant`, `iota`), `matmul`,
/// `gather`, `take_along_axis`, custom ops; integer constants whose value is not an integer of
/// the dtype's range, i1 constants other than 0 and 1; integer division by zero or overflowing;
/// `max`/`min` with a NaN or zeros of different signs; float → integer casts of NaN, infinities
/// or out-of-range values; results an integer `constant` cannot hold exactly (beyond 2⁵³);
/// `reduce_max`/`reduce_mean` over zero elements; softmax over an empty axis.
///
/// Requires: a verified graph. Establishes: no node other than `constant`/`iota` has only
/// splat-constant operands, except the cases above. Leaves the folded operands for `dce`.
/// Idempotent: yes (it runs to a fixpoint).
public struct ConstantFolding: Pass {
  public let name = "fold"

  public init() {}

  public mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    // Nodes are visited in topological order, so one sweep folds whole chains; the second
    // sweep confirms the fixpoint.
    let driver = PatternDriver(patterns: [SplatFolding()], maxIterations: 3)
    return try driver.run(on: &graph, context: &context, statisticsPrefix: name)
  }
}

/// The folding rule as a rewrite pattern.
struct SplatFolding: RewritePattern {
  let name = "folded"

  func rewrite(_ node: Node, with rewriter: Rewriter) -> Value? {
    guard !node.operands.isEmpty else { return nil }
    var operands: [(value: Double, type: TensorType)] = []
    for o in node.operands {
      let type = rewriter.type(of: o)
      guard let raw = rewriter.splat(of: o), let v = held(raw, type.dtype) else { return nil }
      operands.append((v, type))
    }
    guard let v = foldSplat(node.op, operands, result: node.type) else { return nil }
    return rewriter.constant(v, node.type)
  }
}

/// A constant's value as a tensor of `dtype` holds it, or nil when the fold would have to
/// guess (a non-integral or out-of-range integer, an i1 other than 0 or 1).
func held(_ v: Double, _ dtype: DType) -> Double? {
  switch dtype {
  case .f32: return Double(Float(v))
  case .f64: return v
  case .i32: return Int32(exactly: v).map(Double.init)
  case .i64: return Int64(exactly: v) == nil ? nil : v
  case .i1: return v == 0 || v == 1 ? v : nil
  }
}

/// Rounds an exact result to `dtype`: floats through their precision, integers wrapping.
private func rounded(_ v: Double, _ dtype: DType) -> Double {
  dtype == .f32 ? Double(Float(v)) : v
}

/// An integer result as a constant value: wrapped to the dtype, nil if a `Double` cannot hold it.
private func integerResult(_ v: Int64, _ dtype: DType) -> Double? {
  let wrapped = dtype == .i32 ? Int64(Int32(truncatingIfNeeded: v)) : v
  return Double(exactly: wrapped)
}

/// The splat value of `op` applied to splat operands, or nil when it is not folded.
func foldSplat(_ op: Op, _ operands: [(value: Double, type: TensorType)], result: TensorType)
  -> Double?
{
  let dtype = result.dtype
  let x = operands[0].value
  switch op {
  case .unary(let k):
    if dtype.isFloat { return rounded(unaryFloat(k, x), dtype) }
    guard let a = Int64(exactly: x) else { return nil }
    switch k {
    case .neg: return integerResult(0 &- a, dtype)
    case .abs: return integerResult(a < 0 ? 0 &- a : a, dtype)
    case .relu: return integerResult(Swift.max(a, 0), dtype)
    default: return nil
    }
  case .binary(let k):
    let y = operands[1].value
    if dtype.isFloat { return binaryFloat(k, x, y).map { rounded($0, dtype) } }
    guard let a = Int64(exactly: x), let b = Int64(exactly: y) else { return nil }
    return binaryInteger(k, a, b, dtype)
  case .compare(let k):
    let y = operands[1].value
    let truth: Bool
    switch k {
    case .greater: truth = x > y
    case .less: truth = x < y
    case .equal: truth = x == y
    }
    return truth ? 1 : 0
  case .select:
    return x != 0 ? operands[1].value : operands[2].value
  case .cast:
    return castValue(x, from: operands[0].type.dtype, to: dtype)
  case .broadcast, .reshape, .transpose, .slice, .stopGradient:
    return x
  case .concat:
    let bits = x.bitPattern
    return operands.allSatisfy({ $0.value.bitPattern == bits }) ? x : nil
  case .reduce(let k, let axes, _):
    let shape = operands[0].type.shape
    guard let reducedAxes = try? normalizeAxes(axes, rank: shape.count) else { return nil }
    let n = reducedAxes.reduce(1) { $0 * shape[$1] }
    switch k {
    case .sum:
      if dtype.isFloat { return rounded(x * Double(n), dtype) }
      guard let a = Int64(exactly: x) else { return nil }
      return integerResult(a &* Int64(n), dtype)
    case .mean, .max:
      return n > 0 ? x : nil
    }
  case .softmax(let axis, _), .logSoftmax(let axis):
    let shape = operands[0].type.shape
    guard let a = try? normalizeAxis(axis, rank: shape.count), shape[a] > 0 else { return nil }
    // Stable form: x - max(x) is 0 for a finite splat and NaN for an infinite one.
    guard x.isFinite else { return .nan }
    let n = Double(shape[a])
    if case .softmax = op { return rounded(1 / n, dtype) }
    return rounded(-log(n), dtype)
  // An all_reduce of a splat depends on what the other ranks hold: never folded.
  case .constant, .iota, .matmul, .gather, .scatterAdd, .takeAlongAxis, .allReduce, .custom:
    return nil
  }
}

private func unaryFloat(_ k: UnaryOp, _ x: Double) -> Double {
  switch k {
  case .neg: return -x
  case .exp: return exp(x)
  case .log: return log(x)
  case .sqrt: return x.squareRoot()
  case .rsqrt: return 1 / x.squareRoot()
  case .tanh: return tanh(x)
  case .sigmoid: return 1 / (1 + exp(-x))
  case .relu: return x > 0 ? x : 0
  case .silu: return x / (1 + exp(-x))
  case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
  case .abs: return Swift.abs(x)
  case .reciprocal: return 1 / x
  case .sin: return sin(x)
  case .cos: return cos(x)
  case .erf: return erf(x)
  }
}

private func binaryFloat(_ k: BinaryOp, _ a: Double, _ b: Double) -> Double? {
  switch k {
  case .add: return a + b
  case .sub: return a - b
  case .mul: return a * b
  case .div: return a / b
  case .pow: return pow(a, b)
  case .max, .min:
    // Kernels differ on NaN and on the sign of a zero result: leave those to the runtime.
    if a.isNaN || b.isNaN || (a == 0 && b == 0 && a.sign != b.sign) { return nil }
    return k == .max ? Swift.max(a, b) : Swift.min(a, b)
  }
}

private func binaryInteger(_ k: BinaryOp, _ a: Int64, _ b: Int64, _ dtype: DType) -> Double? {
  switch k {
  case .add: return integerResult(a &+ b, dtype)
  case .sub: return integerResult(a &- b, dtype)
  case .mul: return integerResult(a &* b, dtype)
  case .div:
    // Division by zero and MIN / -1 trap or differ between kernels: not folded.
    let minimum = dtype == .i32 ? Int64(Int32.min) : Int64.min
    guard b != 0, !(a == minimum && b == -1) else { return nil }
    return integerResult(a / b, dtype)
  case .max: return integerResult(Swift.max(a, b), dtype)
  case .min: return integerResult(Swift.min(a, b), dtype)
  case .pow: return nil
  }
}

private func castValue(_ v: Double, from source: DType, to dtype: DType) -> Double? {
  switch dtype {
  case .f32, .f64: return rounded(v, dtype)
  case .i1: return v.isNaN ? nil : (v != 0 ? 1 : 0)
  case .i32, .i64:
    // Integers (and i1) wrap to the narrower type; float → integer truncates toward zero and
    // is not folded out of range, where kernels disagree.
    if !source.isFloat { return Int64(exactly: v).flatMap { integerResult($0, dtype) } }
    guard let i = Int64(exactly: v.rounded(.towardZero)) else { return nil }
    if dtype == .i32 && Int32(exactly: i) == nil { return nil }
    return integerResult(i, dtype)
  }
}
