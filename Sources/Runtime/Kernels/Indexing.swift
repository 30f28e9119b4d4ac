import IR

// Integer indexing kernels (IR/Ops/Indexing.swift). Indices must lie in `0..<size`; negative
// indices are out of range (no numpy-style wrap-around) and any out-of-range index is an error
// that reports the value, its position and the valid range.

/// `y[i, …] = table[ids[i], …]`: one row of the table per id (embedding lookup).
func gatherKernel(_ table: HostTensor, _ ids: HostTensor) throws(KernelError) -> HostTensor {
  guard table.type.rank >= 1 else {
    throw KernelError("table must have rank 1 or more, got \(table.type)")
  }
  let rows = table.shape[0]
  let rowSize = table.shape.dropFirst().reduce(1, *)
  let indices = try integerIndices(ids)
  var source: [Int] = []
  source.reserveCapacity(indices.count * rowSize)
  for (position, id) in indices.enumerated() {
    guard id >= 0, id < rows else {
      throw KernelError(
        "index \(id) at position \(multiIndex(position, ids.shape)) of the ids is out of range "
          + "for a table with \(rows) rows (valid: 0..<\(rows))")
    }
    source.append(contentsOf: (id * rowSize)..<((id + 1) * rowSize))
  }
  let type = table.type.with(shape: ids.shape + table.shape.dropFirst())
  return HostTensor(unchecked: type, table.storage.gathered(source))
}

/// `y = zeros[rows, …]; y[ids[i], …] += updates[i, …]`: the transpose of `gather`.
func scatterAddKernel(_ updates: HostTensor, _ ids: HostTensor, rows: Int) throws(KernelError)
  -> HostTensor
{
  let indices = try integerIndices(ids)
  let rowSize = updates.shape.dropFirst(ids.type.rank).reduce(1, *)
  let type = updates.type.with(shape: [rows] + updates.shape.dropFirst(ids.type.rank))
  for (position, id) in indices.enumerated() where id < 0 || id >= rows {
    throw KernelError(
      "index \(id) at position \(multiIndex(position, ids.shape)) of the ids is out of range "
        + "for \(rows) rows (valid: 0..<\(rows))")
  }
  func scatter<T: AdditiveArithmetic>(_ u: [T]) -> [T] {
    var out = [T](repeating: .zero, count: rows * rowSize)
    for (position, id) in indices.enumerated() {
      let (src, dst) = (position * rowSize, id * rowSize)
      for j in 0..<rowSize { out[dst + j] += u[src + j] }
    }
    return out
  }
  switch updates.storage {
  case .f32(let u): return HostTensor(unchecked: type, .f32(scatter(u)))
  case .f64(let u): return HostTensor(unchecked: type, .f64(scatter(u)))
  case .i32(let u): return HostTensor(unchecked: type, .i32(scatter(u)))
  case .i64(let u): return HostTensor(unchecked: type, .i64(scatter(u)))
  case .i1: throw KernelError("scatter_add needs numbers, got \(updates.type)")
  }
}

/// `y[…, i, …] = x[…, idx[…, i, …], …]` along `axis`; idx has x's shape off `axis`.
func takeAlongAxisKernel(_ x: HostTensor, _ idx: HostTensor, axis: Int) throws(KernelError)
  -> HostTensor
{
  let a = try normalized(axis, rank: x.type.rank)
  guard idx.type.rank == x.type.rank else {
    throw KernelError("ranks differ: \(x.type) and \(idx.type)")
  }
  let size = x.shape[a]
  let strides = contiguousStrides(x.shape)
  var base = strides
  base[a] = 0
  // Position of each output element in x, with the axis coordinate left out.
  var source = stridedIndices(shape: idx.shape, strides: base)
  let indices = try integerIndices(idx)
  for (position, i) in indices.enumerated() {
    guard i >= 0, i < size else {
      throw KernelError(
        "index \(i) at position \(multiIndex(position, idx.shape)) is out of range for axis \(a) "
          + "of size \(size) in \(x.type) (valid: 0..<\(size))")
    }
    source[position] += i * strides[a]
  }
  return HostTensor(unchecked: x.type.with(shape: idx.shape), x.storage.gathered(source))
}

/// The elements of an integer tensor as `Int`.
func integerIndices(_ t: HostTensor) throws(KernelError) -> [Int] {
  switch t.storage {
  case .i32(let v): return v.map(Int.init)
  case .i64(let v): return v.map(Int.init)
  default: throw KernelError("indices must be i32 or i64, got \(t.type)")
  }
}

/// The multi-index of flat position `flat` in `shape`, for messages (shared with the JIT).
public func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
  var rest = flat
  var out = [Int](repeating: 0, count: shape.count)
  for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
    out[axis] = rest % shape[axis]
    rest /= shape[axis]
  }
  return out
}
