import IR
import RealModule

// Elementwise kernels (IR/Ops/Elementwise.swift): unary math, binary arithmetic, comparisons,
// select and cast. Operands have equal shapes (the IR is canonical); results keep that shape.
//
// Integer semantics, as numpy's fixed-width integers: add/sub/mul/neg/abs wrap on overflow;
// `div` truncates toward zero (C semantics, unlike numpy's floor division `//`), a zero divisor
// is an error, and `Int.min / -1` wraps to `Int.min`. Floats follow IEEE 754: `max`/`min`
// propagate NaN like numpy's `maximum`/`minimum`; comparisons with NaN are false.

/// `y = f(x)` for a unary op.
func unaryKernel(_ k: UnaryOp, _ x: HostTensor) throws(KernelError) -> HostTensor {
  let storage: TensorStorage
  switch x.storage {
  case .f32(let v): storage = .f32(floatUnary(k, v))
  case .f64(let v): storage = .f64(floatUnary(k, v))
  case .i32(let v): storage = .i32(try integerUnary(k, v))
  case .i64(let v): storage = .i64(try integerUnary(k, v))
  case .i1: throw KernelError("'\(k.rawValue)' is not defined on i1")
  }
  return HostTensor(unchecked: x.type, storage)
}

func floatUnary<T: FloatElement>(_ k: UnaryOp, _ x: [T]) -> [T] {
  let f: (T) -> T
  switch k {
  case .neg: f = { -$0 }
  case .exp: f = { T.exp($0) }
  case .log: f = { T.log($0) }
  case .sqrt: f = { $0.squareRoot() }
  case .rsqrt: f = { 1 / $0.squareRoot() }
  case .tanh: f = { T.tanh($0) }
  case .sigmoid: f = sigmoid
  case .relu: f = { $0.isNaN ? $0 : ($0 > 0 ? $0 : 0) }  // NaN stays NaN, as numpy
  case .silu: f = { $0 * sigmoid($0) }
  case .gelu:
    // Exact form: x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2.
    let invSqrt2 = 1 / T(2).squareRoot()
    f = { $0 * (1 + T.erf($0 * invSqrt2)) / 2 }
  case .abs: f = { Swift.abs($0) }
  case .reciprocal: f = { 1 / $0 }
  case .sin: f = { T.sin($0) }
  case .cos: f = { T.cos($0) }
  case .erf: f = { T.erf($0) }
  }
  return parallelArray(count: x.count) { f(x[$0]) }
}

/// The logistic function, in a form that never overflows: e^x/(1+e^x) for negative x.
func sigmoid<T: FloatElement>(_ x: T) -> T {
  if x >= 0 { return 1 / (1 + T.exp(-x)) }
  let e = T.exp(x)
  return e / (1 + e)
}

func integerUnary<T: IntegerElement>(_ k: UnaryOp, _ x: [T]) throws(KernelError) -> [T] {
  switch k {
  case .neg: return x.map { 0 &- $0 }
  case .abs: return x.map { $0 < 0 ? 0 &- $0 : $0 }
  case .relu: return x.map { $0 > 0 ? $0 : 0 }
  default: throw KernelError("'\(k.rawValue)' is not defined on \(T.dtype)")
  }
}

/// `y = a ∘ b` for a binary op.
func binaryKernel(_ k: BinaryOp, _ a: HostTensor, _ b: HostTensor) throws(KernelError) -> HostTensor
{
  let storage: TensorStorage
  switch (a.storage, b.storage) {
  case (.f32(let x), .f32(let y)): storage = .f32(floatBinary(k, x, y))
  case (.f64(let x), .f64(let y)): storage = .f64(floatBinary(k, x, y))
  case (.i32(let x), .i32(let y)): storage = .i32(try integerBinary(k, x, y))
  case (.i64(let x), .i64(let y)): storage = .i64(try integerBinary(k, x, y))
  default:
    throw KernelError("'\(k.rawValue)' is not defined on \(a.type) and \(b.type)")
  }
  return HostTensor(unchecked: a.type, storage)
}

func floatBinary<T: FloatElement>(_ k: BinaryOp, _ a: [T], _ b: [T]) -> [T] {
  let f: (T, T) -> T
  switch k {
  case .add: f = { $0 + $1 }
  case .sub: f = { $0 - $1 }
  case .mul: f = { $0 * $1 }
  case .div: f = { $0 / $1 }
  // numpy maximum/minimum: NaN wins; ties return the first operand.
  case .max: f = { $0.isNaN || $1.isNaN ? $0 + $1 : ($0 >= $1 ? $0 : $1) }
  case .min: f = { $0.isNaN || $1.isNaN ? $0 + $1 : ($0 <= $1 ? $0 : $1) }
  case .pow: f = { T.power($0, $1) }
  }
  return parallelArray(count: a.count) { f(a[$0], b[$0]) }
}

func integerBinary<T: IntegerElement>(_ k: BinaryOp, _ a: [T], _ b: [T]) throws(KernelError) -> [T]
{
  switch k {
  case .add: return zip(a, b).map { $0 &+ $1 }
  case .sub: return zip(a, b).map { $0 &- $1 }
  case .mul: return zip(a, b).map { $0 &* $1 }
  case .div:
    if let i = b.firstIndex(of: 0) {
      throw KernelError("integer division by zero at element \(i) (dividend \(a[i]))")
    }
    // Truncates toward zero; T.min / -1 wraps to T.min.
    return zip(a, b).map { $0.dividedReportingOverflow(by: $1).partialValue }
  case .max: return zip(a, b).map { Swift.max($0, $1) }
  case .min: return zip(a, b).map { Swift.min($0, $1) }
  case .pow: throw KernelError("'pow' is not defined on \(T.dtype)")
  }
}

/// `y = a ⋈ b` for a comparison, an i1 tensor.
func compareKernel(_ k: CompareOp, _ a: HostTensor, _ b: HostTensor) throws(KernelError)
  -> HostTensor
{
  let result: [Bool]
  switch (a.storage, b.storage) {
  case (.f32(let x), .f32(let y)): result = compare(k, x, y)
  case (.f64(let x), .f64(let y)): result = compare(k, x, y)
  case (.i32(let x), .i32(let y)): result = compare(k, x, y)
  case (.i64(let x), .i64(let y)): result = compare(k, x, y)
  case (.i1(let x), .i1(let y)):
    guard k == .equal else { throw KernelError("'\(k.rawValue)' is not defined on i1") }
    result = zip(x, y).map { $0 == $1 }
  default:
    throw KernelError("'\(k.rawValue)' is not defined on \(a.type) and \(b.type)")
  }
  return HostTensor(unchecked: a.type.with(dtype: .i1), .i1(result))
}

func compare<T: HostElement & Comparable>(_ k: CompareOp, _ a: [T], _ b: [T]) -> [Bool] {
  switch k {
  case .greater: parallelArray(count: a.count) { a[$0] > b[$0] }
  case .less: parallelArray(count: a.count) { a[$0] < b[$0] }
  case .equal: parallelArray(count: a.count) { a[$0] == b[$0] }
  }
}

/// `y = c ? a : b`, elementwise.
func selectKernel(_ c: HostTensor, _ a: HostTensor, _ b: HostTensor) throws(KernelError)
  -> HostTensor
{
  guard case .i1(let cond) = c.storage else {
    throw KernelError("condition must be i1, got \(c.type)")
  }
  func pick<T>(_ x: [T], _ y: [T]) -> [T] {
    parallelArray(count: x.count) { cond[$0] ? x[$0] : y[$0] }
  }
  let storage: TensorStorage
  switch (a.storage, b.storage) {
  case (.f32(let x), .f32(let y)): storage = .f32(pick(x, y))
  case (.f64(let x), .f64(let y)): storage = .f64(pick(x, y))
  case (.i32(let x), .i32(let y)): storage = .i32(pick(x, y))
  case (.i64(let x), .i64(let y)): storage = .i64(pick(x, y))
  case (.i1(let x), .i1(let y)): storage = .i1(pick(x, y))
  default: throw KernelError("branch types differ: \(a.type) and \(b.type)")
  }
  return HostTensor(unchecked: a.type, storage)
}

/// Converts every element to `dtype`.
///
/// - float → float rounds to nearest; integer → float rounds to nearest.
/// - float → integer truncates toward zero; NaN, ±∞ and values outside the target's range are
///   an error naming the value (C would be undefined, numpy gives an unspecified value).
/// - integer → integer wraps (keeps the low bits), as numpy's `astype`.
/// - i1 → number gives 0 or 1; number → i1 is `x != 0` (so NaN → true, as numpy).
func castTensor(_ x: HostTensor, to dtype: DType) throws(KernelError) -> HostTensor {
  let type = x.type.with(dtype: dtype)
  if x.dtype == dtype { return x }
  let storage: TensorStorage
  switch x.storage {
  case .f32(let v): storage = try castFloats(v, to: dtype)
  case .f64(let v): storage = try castFloats(v, to: dtype)
  case .i32(let v): storage = castIntegers(v, to: dtype)
  case .i64(let v): storage = castIntegers(v, to: dtype)
  case .i1(let v):
    switch dtype {
    case .f32: storage = .f32(v.map { $0 ? 1 : 0 })
    case .f64: storage = .f64(v.map { $0 ? 1 : 0 })
    case .i32: storage = .i32(v.map { $0 ? 1 : 0 })
    case .i64: storage = .i64(v.map { $0 ? 1 : 0 })
    case .i1: storage = .i1(v)
    }
  }
  return HostTensor(unchecked: type, storage)
}

func castFloats<T: FloatElement>(_ v: [T], to dtype: DType) throws(KernelError) -> TensorStorage {
  func toInteger<I: IntegerElement>(_: I.Type) throws(KernelError) -> [I] {
    var out = [I]()
    out.reserveCapacity(v.count)
    for x in v {
      guard let i = I(exactly: x.rounded(.towardZero)) else {
        throw KernelError("cannot cast \(x) to \(I.dtype): not a finite value in its range")
      }
      out.append(i)
    }
    return out
  }
  switch dtype {
  case .f32: return .f32(v.map { Float($0) })
  case .f64: return .f64(v.map { Double($0) })
  case .i32: return .i32(try toInteger(Int32.self))
  case .i64: return .i64(try toInteger(Int64.self))
  case .i1: return .i1(v.map { $0 != 0 })
  }
}

func castIntegers<T: IntegerElement>(_ v: [T], to dtype: DType) -> TensorStorage {
  switch dtype {
  case .f32: .f32(v.map { Float($0) })
  case .f64: .f64(v.map { Double($0) })
  case .i32: .i32(v.map { Int32(truncatingIfNeeded: $0) })
  case .i64: .i64(v.map { Int64(truncatingIfNeeded: $0) })
  case .i1: .i1(v.map { $0 != 0 })
  }
}
