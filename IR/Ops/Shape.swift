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
  guard shape.allSatisfy({ $0 >= 0 }) else {
    throw TypeError("negative dimension in shape \(shape)")
  }
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
  guard shape.allSatisfy({ $0 >= 0 }) else {
    throw TypeError("negative dimension in shape \(shape)")
  }
  guard let count = checkedElementCount(shape), let xCount = x.checkedCount else {
    throw TypeError("cannot reshape \(x) to \(shape): more than 2⁶³−1 elements")
  }
  guard count == xCount else {
    throw TypeError("cannot reshape \(x) (\(xCount) elements) to \(shape) (\(count) elements)")
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
    guard stride[i] >= 1 else {
      throw TypeError("stride \(stride[i]) on axis \(i) must be at least 1")
    }
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

// MARK: - Gradients

func broadcastVJP(_ c: VJPContext) -> Value? {
  guard c.needs[0] else { return nil }
  let from = c.type(c.operands[0]).shape
  let to = c.node.type.shape
  let offset = to.count - from.count
  let axes = (0..<to.count).filter { i in i < offset || (from[i - offset] == 1 && to[i] != 1) }
  var g = c.cotangent
  if !axes.isEmpty { g = c.builder.sum(g, axes: axes) }
  return c.builder.type(g).shape == from ? g : c.builder.reshape(g, from)
}

func transposeVJP(_ perm: [Int], _ c: VJPContext) -> Value? {
  guard c.needs[0] else { return nil }
  var inverse = [Int](repeating: 0, count: perm.count)
  for (i, p) in perm.enumerated() { inverse[p] = i }
  return c.builder.transpose(c.cotangent, inverse)
}

/// Pads the cotangent back to the operand's shape, one axis at a time; a strided axis first
/// interleaves `stride - 1` zeros after each element.
func sliceVJP(_ start: [Int], _ limit: [Int], _ stride: [Int], _ c: VJPContext) -> Value? {
  guard c.needs[0] else { return nil }
  let b = c.builder
  let full = c.type(c.operands[0]).shape
  let dtype = c.type(c.cotangent).dtype
  var g = c.cotangent
  for axis in 0..<full.count {
    var shape = b.shape(g)
    let n = shape[axis]
    if stride[axis] > 1, n > 0 {
      var split = shape
      split.insert(1, at: axis + 1)
      var zerosShape = split
      zerosShape[axis + 1] = stride[axis] - 1
      let interleaved = b.concat(
        [b.reshape(g, split), b.constant(0, TensorType(dtype, zerosShape))], axis: axis + 1)
      shape[axis] = n * stride[axis]
      g = b.reshape(interleaved, shape)
      let keep = min(shape[axis], full[axis] - start[axis])
      if keep < shape[axis] {
        var lim = shape
        lim[axis] = keep
        g = b.slice(g, start: [Int](repeating: 0, count: shape.count), limit: lim)
        shape = lim
      }
    }
    var pieces: [Value] = []
    if start[axis] > 0 {
      var s = shape
      s[axis] = start[axis]
      pieces.append(b.constant(0, TensorType(dtype, s)))
    }
    pieces.append(g)
    let after = full[axis] - start[axis] - shape[axis]
    if after > 0 {
      var s = shape
      s[axis] = after
      pieces.append(b.constant(0, TensorType(dtype, s)))
    }
    if pieces.count > 1 { g = b.concat(pieces, axis: axis) }
  }
  return g
}

func concatVJP(_ axis: Int, _ c: VJPContext) -> [Value?] {
  let b = c.builder
  let shape = c.node.type.shape
  let a = axis < 0 ? axis + shape.count : axis
  var offset = 0
  var out: [Value?] = []
  for (i, operand) in c.operands.enumerated() {
    let width = c.type(operand).shape[a]
    defer { offset += width }
    guard c.needs[i] else {
      out.append(nil)
      continue
    }
    var start = [Int](repeating: 0, count: shape.count)
    var limit = shape
    start[a] = offset
    limit[a] = offset + width
    out.append(b.slice(c.cotangent, start: start, limit: limit))
  }
  return out
}
