// Integer indexing.
//
//   gather(table [V, ...rest], ids [...]) → [..., ...rest]: y[i] = table[ids[i]] (embedding lookup).
//     Backward: tablē = scatter-add of ȳ rows into zeros at ids; ids get none.
//   scatter_add {rows = V}(updates [..., ...rest], ids [...]) → [V, ...rest]: y = zeros;
//     y[ids[i]] += updates[i] (the transpose of gather). Backward: updates̄ = gather(ȳ, ids).
//   take_along_axis {axis = a}(x, idx): y[..., i, ...] = x[..., idx[..., i, ...], ...] along a;
//     idx has x's shape except on a. Backward: x̄ = scatter-add of ȳ along a.
//   Out-of-range indices are an error at run time (the interpreter reports the value).

func gatherType(_ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 2)
  let (table, ids) = (operands[0], operands[1])
  guard table.rank >= 1 else { throw TypeError("table must have rank 1 or more, got \(table)") }
  guard ids.dtype.isInteger else { throw TypeError("ids must be i32 or i64, got \(ids)") }
  return table.with(shape: ids.shape + table.shape.dropFirst())
}

func takeAlongAxisType(_ axis: Int, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 2)
  let (x, idx) = (operands[0], operands[1])
  guard idx.dtype.isInteger else { throw TypeError("indices must be i32 or i64, got \(idx)") }
  guard x.rank == idx.rank else { throw TypeError("ranks differ: \(x) and \(idx)") }
  let a = try normalizeAxis(axis, rank: x.rank)
  for i in 0..<x.rank where i != a && x.shape[i] != idx.shape[i] {
    throw TypeError("indices \(idx) must match \(x) outside axis \(a)")
  }
  return x.with(shape: idx.shape)
}

func scatterAddType(_ rows: Int, _ operands: [TensorType]) throws(TypeError) -> TensorType {
  try expectArity(operands, 2)
  let (updates, ids) = (operands[0], operands[1])
  guard ids.dtype.isInteger else { throw TypeError("ids must be i32 or i64, got \(ids)") }
  guard rows >= 0 else { throw TypeError("rows must be non-negative, got \(rows)") }
  guard updates.rank >= ids.rank, Array(updates.shape.prefix(ids.rank)) == ids.shape else {
    throw TypeError("updates \(updates) must start with the ids shape \(ids.shape)")
  }
  try requireNumeric(updates, "updates")
  return updates.with(shape: [rows] + updates.shape.dropFirst(ids.rank))
}

// MARK: - Gradients

func gatherVJP(_ c: VJPContext) throws(TypeError) -> Value? {
  guard c.needs[0] else { return nil }
  let rows = c.type(c.operands[0]).shape[0]
  return c.builder.scatterAdd(c.cotangent, c.operands[1], rows: rows)
}

/// x̄ = Σⱼ onehot(idx[..., j, ...] along axis)·ȳ[..., j, ...]: a mask per index column, so
/// the usual cross-entropy case (one index per row) is one elementwise select.
func takeAlongAxisVJP(_ axis: Int, _ c: VJPContext) throws(TypeError) -> Value? {
  guard c.needs[0] else { return nil }
  let b = c.builder
  let (x, idx, g) = (c.operands[0], c.operands[1], c.cotangent)
  let xType = c.type(x)
  let a = try normalizeAxis(axis, rank: xType.rank)
  // The positions along the axis as a broadcast of a 1-D iota: fused into the select's
  // region, not a tensor of x's size (192 MB for an 8×128×49152 cross-entropy).
  var line = [Int](repeating: 1, count: xType.rank)
  line[a] = xType.shape[a]
  let iota = b.iota(axis: a, TensorType(c.type(idx).dtype, line))
  let positions = line == xType.shape ? iota : b.broadcast(iota, to: xType.shape)
  let zero = c.zeros(like: x)
  var total: Value? = nil
  let columns = c.type(idx).shape[a]
  for j in 0..<columns {
    var start = [Int](repeating: 0, count: xType.rank)
    var limit = c.type(idx).shape
    start[a] = j
    limit[a] = j + 1
    let pick = columns == 1 ? idx : b.slice(idx, start: start, limit: limit)
    let gj = columns == 1 ? g : b.slice(g, start: start, limit: limit)
    let hit = b.compare(.equal, positions, b.broadcast(pick, to: xType.shape))
    let term = b.select(hit, b.broadcast(gj, to: xType.shape), zero)
    total = total.map { b.add($0, term) } ?? term
  }
  return total ?? zero
}
