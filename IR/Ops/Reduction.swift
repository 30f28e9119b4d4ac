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
