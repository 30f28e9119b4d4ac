// Batched matrix product: operands [..., m, k] and [..., k, n] (before the optional
// transposes of the last two axes), equal batch dims, result [..., m, n].
//
//   y = op(a)·op(b) with op = identity or transpose of the last two axes.
//   Backward (no transposes): ā = ȳ·bᵀ, b̄ = aᵀ·ȳ; the transposed forms swap roles so that
//   every backward product is itself one matmul with transpose flags.

func matmulType(_ ta: Bool, _ tb: Bool, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 2)
  let (a, b) = (operands[0], operands[1])
  guard a.rank >= 2, b.rank >= 2 else {
    throw TypeError("operands must have rank 2 or more: \(a), \(b)")
  }
  guard a.rank == b.rank else { throw TypeError("operand ranks differ: \(a) and \(b)") }
  guard a.dtype == b.dtype else { throw TypeError("operand dtypes differ: \(a) and \(b)") }
  try requireFloat(a)
  let r = a.rank
  guard a.shape[..<(r - 2)] == b.shape[..<(r - 2)] else {
    throw TypeError("batch dimensions differ: \(a) and \(b)")
  }
  let (m, ka) = ta ? (a.shape[r - 1], a.shape[r - 2]) : (a.shape[r - 2], a.shape[r - 1])
  let (kb, n) = tb ? (b.shape[r - 1], b.shape[r - 2]) : (b.shape[r - 2], b.shape[r - 1])
  guard ka == kb else {
    throw TypeError("contracting dimensions differ: \(ka) and \(kb) in \(a) and \(b)")
  }
  return a.with(shape: Array(a.shape[..<(r - 2)]) + [m, n])
}

// MARK: - Gradients

/// With A = op(a), B = op(b), Y = A·B: Ā = G·Bᵀ and B̄ = Aᵀ·G; a transposed operand gets the
/// transpose of its bar, and each case folds into one matmul with flags.
func matmulVJP(_ ta: Bool, _ tb: Bool, _ c: VJPContext) -> [Value?] {
  let b = c.builder
  let (x, y, g) = (c.operands[0], c.operands[1], c.cotangent)
  let gradA: Value? =
    !c.needs[0]
    ? nil
    : ta
      ? b.matmul(y, g, transposeA: tb, transposeB: true)
      : b.matmul(g, y, transposeA: false, transposeB: !tb)
  let gradB: Value? =
    !c.needs[1]
    ? nil
    : tb
      ? b.matmul(g, x, transposeA: true, transposeB: ta)
      : b.matmul(x, g, transposeA: !ta, transposeB: false)
  return [gradA, gradB]
}
