// Normalizers along one axis, computed in the stable form (subtract the max first).
//
//   softmax:     y = eˣ⁻ᵐ / Σ eˣ⁻ᵐ                 x̄ = y·(ȳ - Σ ȳ·y)
//   log_softmax: y = x - m - ln Σ eˣ⁻ᵐ             x̄ = ȳ - eʸ·Σ ȳ
//
// Attention probabilities stay an explicit `softmax` node: the Surgery pass finds them.

func softmaxType(_ axis: Int, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  let x = operands[0]
  try requireFloat(x)
  _ = try normalizeAxis(axis, rank: x.rank)
  return x
}
