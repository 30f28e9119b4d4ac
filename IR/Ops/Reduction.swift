// Reductions over a set of axes, optionally keeping them as size 1.
//
//   reduce_sum:  y = Σ x over axes                 x̄ = broadcast(ȳ)
//   reduce_mean: y = (1/N) Σ x over axes           x̄ = broadcast(ȳ) / N
//   reduce_max:  y = max x over axes               x̄ = broadcast(ȳ)·[x == y] / (number of ties),
//                the cotangent is shared equally among tied maxima (sum stays ȳ).

func reduceType(_ k: ReduceOp, _ axes: [Int], _ keepDims: Bool, _ operands: [TensorType])
  throws(TypeError) -> TensorType
{
  try expectArity(operands, 1)
  let x = operands[0]
  if k == .mean { try requireFloat(x) } else { try requireNumeric(x) }
  let reduced = try normalizeAxes(axes, rank: x.rank)
  var shape: [Int] = []
  for (i, d) in x.shape.enumerated() {
    if reduced.contains(i) {
      if keepDims { shape.append(1) }
    } else {
      shape.append(d)
    }
  }
  return x.with(shape: shape)
}

// MARK: - Gradients

func reduceVJP(_ k: ReduceOp, _ axes: [Int], _ keepDims: Bool, _ c: VJPContext) throws(TypeError)
  -> Value?
{
  guard c.needs[0] else { return nil }
  let b = c.builder
  let x = c.operands[0]
  let xShape = c.type(x).shape
  let reduced = try normalizeAxes(axes, rank: xShape.count)
  var kept = xShape
  for a in reduced { kept[a] = 1 }
  /// Re-inserts the reduced axes as size 1, then broadcasts back to x's shape.
  func spread(_ v: Value) -> Value {
    b.broadcast(b.shape(v) == kept ? v : b.reshape(v, kept), to: xShape)
  }
  let g = spread(c.cotangent)
  switch k {
  case .sum:
    return g
  case .mean:
    let n = reduced.reduce(1) { $0 * xShape[$1] }
    return b.div(g, c.constant(Double(n), like: g))
  case .max:
    let mask = b.cast(b.compare(.equal, x, spread(c.result)), to: c.type(x).dtype)
    let ties = b.sum(mask, axes: reduced, keepDims: true)
    return b.div(b.mul(g, mask), b.broadcast(ties, to: xShape))
  }
}
