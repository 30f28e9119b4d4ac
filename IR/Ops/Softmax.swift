// Normalizers along one axis, computed in the stable form (subtract the max first).
//
//   softmax:     y = eˣ⁻ᵐ / Σ eˣ⁻ᵐ                 x̄ = y·(ȳ - Σ ȳ·y)
//   log_softmax: y = x - m - ln Σ eˣ⁻ᵐ             x̄ = ȳ - eʸ·Σ ȳ
//
// Attention probabilities stay an explicit `softmax` node, marked `{attention = true}` by the
// layer API: the Surgery pass finds them by that mark (or by structure in unmarked IR). A
// marked softmax normalizes the last axis of `[B, H, T, S]` scores.

func softmaxType(_ axis: Int, attention: Bool = false, _ operands: [TensorType]) throws(TypeError)
  -> TensorType
{
  try expectArity(operands, 1)
  let x = operands[0]
  try requireFloat(x)
  let normalized = try normalizeAxis(axis, rank: x.rank)
  if attention && (x.rank != 4 || normalized != 3) {
    throw TypeError(
      "an attention softmax must normalize the last axis of [batch, heads, queries, keys] "
        + "scores, got axis \(axis) of \(x)")
  }
  return x
}

// MARK: - Gradients

func softmaxVJP(_ axis: Int, _ c: VJPContext) -> Value? {
  guard c.needs[0] else { return nil }
  let b = c.builder
  let (y, g) = (c.result, c.cotangent)
  let dot = b.sum(b.mul(g, y), axes: [axis], keepDims: true)
  return b.mul(y, b.sub(g, dot))
}

func logSoftmaxVJP(_ axis: Int, _ c: VJPContext) -> Value? {
  guard c.needs[0] else { return nil }
  let b = c.builder
  let (y, g) = (c.result, c.cotangent)
  return b.sub(g, b.mul(b.exp(y), b.sum(g, axes: [axis], keepDims: true)))
}
