// Elementwise ops: unary math, binary arithmetic, comparisons, select and cast.
//
// All operands have one shape (the builder inserts `broadcast` for numpy-style calls).
//
// Forward / backward (ȳ is the result cotangent):
//   neg: y = -x                      x̄ = -ȳ
//   exp: y = eˣ                      x̄ = ȳ·y
//   log: y = ln x                    x̄ = ȳ / x
//   sqrt: y = √x                     x̄ = ȳ / (2y)
//   rsqrt: y = 1/√x                  x̄ = -ȳ·y³/2
//   tanh: y = tanh x                 x̄ = ȳ·(1 - y²)
//   sigmoid: y = 1/(1+e⁻ˣ)           x̄ = ȳ·y·(1 - y)
//   relu: y = max(x, 0)              x̄ = ȳ·[x > 0]
//   silu: y = x·σ(x)                 x̄ = ȳ·σ(x)·(1 + x·(1 - σ(x)))
//   gelu: y = x·Φ(x) (exact, erf)    x̄ = ȳ·(Φ(x) + x·φ(x))
//   abs: y = |x|                     x̄ = ȳ·sign(x)
//   reciprocal: y = 1/x              x̄ = -ȳ·y²
//   sin: y = sin x                   x̄ = ȳ·cos x
//   cos: y = cos x                   x̄ = -ȳ·sin x
//   erf: y = erf x                   x̄ = ȳ·(2/√π)·e^(-x²)
//   add/sub: ā = ȳ, b̄ = ±ȳ;  mul: ā = ȳ·b, b̄ = ȳ·a;  div: ā = ȳ/b, b̄ = -ȳ·a/b²
//   max/min: the cotangent goes to the operand that was chosen (ties: to the first operand)
//   pow: y = aᵇ                      ā = ȳ·b·aᵇ⁻¹, b̄ = ȳ·y·ln a
//   greater/less/equal: i1 results, not differentiable
//   select(c, a, b): ā = select(c, ȳ, 0), b̄ = select(c, 0, ȳ); c gets none
//   stop_gradient: y = x; x̄ = 0 (the gradient pass sends nothing through it)
//   cast: x̄ = cast(ȳ) back to the operand's dtype (float to float); integer casts stop gradients

extension UnaryOp {
  /// Ops defined on integers too (the rest need a float type).
  public var acceptsIntegers: Bool { self == .neg || self == .abs || self == .relu }
}

func unaryType(_ k: UnaryOp, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  let x = operands[0]
  if k.acceptsIntegers { try requireNumeric(x) } else { try requireFloat(x) }
  return x
}

func binaryType(_ k: BinaryOp, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 2)
  let (a, b) = (operands[0], operands[1])
  guard a == b else { throw TypeError("operand types differ: \(a) and \(b)") }
  if k == .pow { try requireFloat(a) } else { try requireNumeric(a) }
  return a
}

func compareType(_ k: CompareOp, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 2)
  let (a, b) = (operands[0], operands[1])
  guard a == b else { throw TypeError("operand types differ: \(a) and \(b)") }
  if k != .equal { try requireNumeric(a) }
  return a.with(dtype: .i1)
}

func selectType(_ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 3)
  let (c, a, b) = (operands[0], operands[1], operands[2])
  guard c.dtype == .i1 else { throw TypeError("condition must be i1, got \(c)") }
  guard a == b else { throw TypeError("branch types differ: \(a) and \(b)") }
  guard c.shape == a.shape else {
    throw TypeError("condition shape \(c) differs from branches \(a)")
  }
  return a
}

func castType(_ operands: [TensorType], _ annotated: TensorType?) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  guard let target = annotated else {
    throw TypeError("needs a result type naming the target dtype")
  }
  guard target.shape == operands[0].shape else {
    throw TypeError("cast keeps the shape: \(operands[0]) cannot become \(target)")
  }
  return target
}

// MARK: - Gradients

func unaryVJP(_ k: UnaryOp, _ c: VJPContext) -> Value? {
  guard c.needs[0] else { return nil }
  let b = c.builder
  let (x, y, g) = (c.operands[0], c.result, c.cotangent)
  switch k {
  case .neg: return b.neg(g)
  case .exp: return b.mul(g, y)
  case .log: return b.div(g, x)
  case .sqrt: return b.div(g, b.mul(y, c.constant(2, like: y)))
  case .rsqrt: return b.mul(g, b.mul(c.constant(-0.5, like: y), b.mul(y, b.mul(y, y))))
  case .tanh: return b.mul(g, b.sub(c.constant(1, like: y), b.mul(y, y)))
  case .sigmoid: return b.mul(g, b.mul(y, b.sub(c.constant(1, like: y), y)))
  case .relu: return b.select(b.compare(.greater, x, c.zeros(like: x)), g, c.zeros(like: g))
  case .silu:
    let s = b.sigmoid(x)
    let one = c.constant(1, like: x)
    return b.mul(g, b.mul(s, b.add(one, b.mul(x, b.sub(one, s)))))
  case .gelu:
    // Φ(x) + x·φ(x), Φ(x) = (1 + erf(x/√2))/2, φ(x) = e^(-x²/2)/√(2π)
    let half = c.constant(0.5, like: x)
    let cdf = b.mul(
      half, b.add(c.constant(1, like: x), b.erf(b.mul(x, c.constant(0.5.squareRoot(), like: x)))))
    let pdf = b.mul(
      c.constant(1 / (2 * Double.pi).squareRoot(), like: x),
      b.exp(b.mul(c.constant(-0.5, like: x), b.mul(x, x))))
    return b.mul(g, b.add(cdf, b.mul(x, pdf)))
  case .abs:
    // sign(x), with sign(0) = 0
    let zero = c.zeros(like: x)
    let sign = b.select(
      b.compare(.greater, x, zero), c.constant(1, like: x),
      b.select(b.compare(.less, x, zero), c.constant(-1, like: x), zero))
    return b.mul(g, sign)
  case .reciprocal: return b.neg(b.mul(g, b.mul(y, y)))
  case .sin: return b.mul(g, b.cos(x))
  case .cos: return b.neg(b.mul(g, b.sin(x)))
  case .erf:
    return b.mul(
      g, b.mul(c.constant(2 / Double.pi.squareRoot(), like: x), b.exp(b.neg(b.mul(x, x)))))
  }
}

func binaryVJP(_ k: BinaryOp, _ c: VJPContext) -> [Value?] {
  let b = c.builder
  let (x, y, g, out) = (c.operands[0], c.operands[1], c.cotangent, c.result)
  func either(_ first: () -> Value, _ second: () -> Value) -> [Value?] {
    [c.needs[0] ? first() : nil, c.needs[1] ? second() : nil]
  }
  switch k {
  case .add: return either({ g }, { g })
  case .sub: return either({ g }, { b.neg(g) })
  case .mul: return either({ b.mul(g, y) }, { b.mul(g, x) })
  case .div: return either({ b.div(g, y) }, { b.neg(b.div(b.mul(g, out), y)) })
  case .max, .min:
    // The first operand wins ties: for max it is chosen unless x < y, for min unless x > y.
    let secondWins = b.compare(k == .max ? .less : .greater, x, y)
    let zero = c.zeros(like: g)
    return either({ b.select(secondWins, zero, g) }, { b.select(secondWins, g, zero) })
  case .pow:
    return either(
      { b.mul(g, b.mul(y, b.pow(x, b.sub(y, c.constant(1, like: y))))) },
      { b.mul(g, b.mul(out, b.log(x))) })
  }
}

func selectVJP(_ c: VJPContext) -> [Value?] {
  let b = c.builder
  let zero = c.zeros(like: c.cotangent)
  let cond = c.operands[0]
  return [
    nil,
    c.needs[1] ? b.select(cond, c.cotangent, zero) : nil,
    c.needs[2] ? b.select(cond, zero, c.cotangent) : nil,
  ]
}

func castVJP(_ c: VJPContext) throws(TypeError) -> Value? {
  guard c.needs[0] else { return nil }
  let from = c.type(c.operands[0]).dtype
  let to = c.node.type.dtype
  guard from.isFloat, to.isFloat else {
    throw TypeError("'cast' from \(from) to \(to) is not differentiable")
  }
  return c.builder.cast(c.cotangent, to: from)
}
