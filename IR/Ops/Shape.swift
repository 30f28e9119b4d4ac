// Shape ops: move or copy elements without arithmetic.
//
//   broadcast {shape = S}: numpy rules — the operand's dims align to the right of S, and each
//     is either equal or 1 (expanded). Backward: x̄ = reduce_sum of ȳ over the expanded axes,
//     reshaped to the operand's shape.
//   reshape {shape = S}: same elements in row-major order. Backward: x̄ = reshape(ȳ) back.
//   transpose {perm = P}: y.shape[i] = x.shape[P[i]]. Backward: transpose by the inverse of P.
//   slice {start, limit, stride}: y[i] = x[start + i·stride] per axis. Backward: the cotangent
//     scattered back into zeros (pad with zeros; strided slices interleave zeros).
//   concat {axis = a}: operands joined along a. Backward: each operand gets its slice of ȳ.

/// The shape numpy broadcasting gives for two shapes, or nil when they are incompatible.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
  let rank = max(a.count, b.count)
  var out = [Int](repeating: 1, count: rank)
  for i in 0..<rank {
    let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    if da == db || db == 1 {
      out[i] = da
    } else if da == 1 {
      out[i] = db
    } else {
      return nil
    }
  }
  return out
}

func broadcastType(_ shape: [Int], _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  let x = operands[0]
  guard shape.allSatisfy({ $0 >= 0 }) else { throw TypeError("negative dimension in shape \(shape)") }
  guard x.rank <= shape.count else {
    throw TypeError("cannot broadcast \(x) to a lower rank \(shape)")
  }
  let offset = shape.count - x.rank
  for (i, d) in x.shape.enumerated() where d != 1 && d != shape[offset + i] {
    throw TypeError("cannot broadcast \(x) to \(shape): dimension \(i) is \(d)")
  }
  return x.with(shape: shape)
}

func reshapeType(_ shape: [Int], _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  let x = operands[0]
  guard shape.allSatisfy({ $0 >= 0 }) else { throw TypeError("negative dimension in shape \(shape)") }
  let count = shape.reduce(1, *)
  guard count == x.count else {
    throw TypeError("cannot reshape \(x) (\(x.count) elements) to \(shape) (\(count) elements)")
  }
  return x.with(shape: shape)
}

func transposeType(_ perm: [Int], _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 1)
  let x = operands[0]
  guard perm.count == x.rank, perm.sorted() == Array(0..<x.rank) else {
    throw TypeError("perm \(perm) is not a permutation of the \(x.rank) axes of \(x)")
  }
  return x.with(shape: perm.map { x.shape[$0] })
}

func sliceType(_ start: [Int], _ limit: [Int], _ stride: [Int], _ operands: [TensorType])
  throws(TypeError) -> TensorType
{
  try expectArity(operands, 1)
  let x = operands[0]
  guard start.count == x.rank, limit.count == x.rank, stride.count == x.rank else {
    throw TypeError("start, limit and stride need \(x.rank) entries each for \(x)")
  }
  var shape: [Int] = []
  for i in 0..<x.rank {
    guard stride[i] >= 1 else { throw TypeError("stride \(stride[i]) on axis \(i) must be at least 1") }
    guard 0 <= start[i], start[i] <= limit[i], limit[i] <= x.shape[i] else {
      throw TypeError("slice [\(start[i]), \(limit[i])) on axis \(i) is outside 0..\(x.shape[i])")
    }
    shape.append((limit[i] - start[i] + stride[i] - 1) / stride[i])
  }
  return x.with(shape: shape)
}

func concatType(_ axis: Int, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  guard let first = operands.first else { throw TypeError("expects at least 1 operand, got 0") }
  guard first.rank > 0 else { throw TypeError("cannot concatenate scalars") }
  let a = try normalizeAxis(axis, rank: first.rank)
  var total = 0
  for t in operands {
    guard t.dtype == first.dtype, t.rank == first.rank else {
      throw TypeError("operands \(first) and \(t) differ in dtype or rank")
    }
    for i in 0..<t.rank where i != a && t.shape[i] != first.shape[i] {
      throw TypeError("operands \(first) and \(t) differ outside axis \(a)")
    }
    total += t.shape[a]
  }
  var shape = first.shape
  shape[a] = total
  return first.with(shape: shape)
}
