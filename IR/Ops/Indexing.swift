// Integer indexing.
//
//   gather(table [V, ...rest], ids [...]) → [..., ...rest]: y[i] = table[ids[i]] (embedding lookup).
//     Backward: tablē = scatter-add of ȳ rows into zeros at ids; ids get none.
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
