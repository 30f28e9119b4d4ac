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
//   add/sub: ā = ȳ, b̄ = ±ȳ;  mul: ā = ȳ·b, b̄ = ȳ·a;  div: ā = ȳ/b, b̄ = -ȳ·a/b²
//   max/min: the cotangent goes to the operand that was chosen (ties: to the first operand)
//   pow: y = aᵇ                      ā = ȳ·b·aᵇ⁻¹, b̄ = ȳ·y·ln a
//   greater/less/equal: i1 results, not differentiable
//   select(c, a, b): ā = select(c, ȳ, 0), b̄ = select(c, 0, ȳ); c gets none
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
  guard c.shape == a.shape else { throw TypeError("condition shape \(c) differs from branches \(a)") }
  return a
}

func castType(_ operands: [TensorType], _ annotated: TensorType?) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  guard let target = annotated else { throw TypeError("needs a result type naming the target dtype") }
  guard target.shape == operands[0].shape else {
    throw TypeError("cast keeps the shape: \(operands[0]) cannot become \(target)")
  }
  return target
}
