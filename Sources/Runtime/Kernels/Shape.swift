import IR

// Shape kernels (IR/Ops/Shape.swift): each output element is one input element, so every op
// here computes the flat source position of each output element and gathers.

/// numpy broadcasting: the operand's dims align to the right of `shape`; size-1 dims expand.
func broadcastKernel(_ x: HostTensor, to shape: [Int]) throws(KernelError) -> HostTensor {
  let offset = shape.count - x.type.rank
  guard offset >= 0 else { throw KernelError("cannot broadcast \(x.type) to \(shape)") }
  let source = contiguousStrides(x.shape)
  var strides = [Int](repeating: 0, count: shape.count)
  for (i, d) in x.shape.enumerated() {
    if d == shape[offset + i] {
      strides[offset + i] = source[i]
    } else if d != 1 {
      throw KernelError("cannot broadcast \(x.type) to \(shape)")
    }
  }
  let indices = stridedIndices(shape: shape, strides: strides)
  return HostTensor(unchecked: x.type.with(shape: shape), x.storage.gathered(indices))
}

/// The same elements in row-major order under a new shape.
func reshapeKernel(_ x: HostTensor, to shape: [Int]) throws(KernelError) -> HostTensor {
  guard checkedElementCount(shape) == x.count else {
    throw KernelError("cannot reshape \(x.type) to \(shape)")
  }
  return HostTensor(unchecked: x.type.with(shape: shape), x.storage)
}

/// `y.shape[i] = x.shape[perm[i]]`, `y[…, jᵢ, …] = x[…, j at position perm[i], …]`.
func transposeKernel(_ x: HostTensor, perm: [Int]) throws(KernelError) -> HostTensor {
  guard perm.sorted() == Array(0..<x.type.rank) else {
    throw KernelError("perm \(perm) is not a permutation of the axes of \(x.type)")
  }
  if perm == Array(0..<x.type.rank) { return x }
  let source = contiguousStrides(x.shape)
  let shape = perm.map { x.shape[$0] }
  let indices = stridedIndices(shape: shape, strides: perm.map { source[$0] })
  return HostTensor(unchecked: x.type.with(shape: shape), x.storage.gathered(indices))
}

/// `y[i] = x[start + i·stride]` per axis, up to (excluding) `limit`.
func sliceKernel(_ x: HostTensor, start: [Int], limit: [Int], stride: [Int]) throws(KernelError)
  -> HostTensor
{
  let rank = x.type.rank
  guard start.count == rank, limit.count == rank, stride.count == rank else {
    throw KernelError("start, limit and stride need \(rank) entries each")
  }
  let source = contiguousStrides(x.shape)
  var shape: [Int] = []
  var strides: [Int] = []
  var offset = 0
  for i in 0..<rank {
    guard stride[i] >= 1, 0 <= start[i], start[i] <= limit[i], limit[i] <= x.shape[i] else {
      throw KernelError(
        "slice [\(start[i]), \(limit[i])) step \(stride[i]) is invalid on axis \(i)")
    }
    shape.append((limit[i] - start[i] + stride[i] - 1) / stride[i])
    strides.append(source[i] * stride[i])
    offset += start[i] * source[i]
  }
  let indices = stridedIndices(shape: shape, strides: strides, offset: offset)
  return HostTensor(unchecked: x.type.with(shape: shape), x.storage.gathered(indices))
}

/// Operands joined along `axis`: for each outer block, each operand's block in turn.
func concatKernel(_ xs: [HostTensor], axis: Int) throws(KernelError) -> HostTensor {
  guard let first = xs.first else { throw KernelError("concat needs at least one operand") }
  let a = try normalized(axis, rank: first.type.rank)
  var shape = first.shape
  shape[a] = xs.reduce(0) { $0 + $1.shape[a] }
  let outer = first.shape[..<a].reduce(1, *)
  // Flat positions into the operands laid end to end.
  var bases: [Int] = []
  var base = 0
  for x in xs {
    guard x.dtype == first.dtype, x.type.rank == first.type.rank else {
      throw KernelError("operands \(first.type) and \(x.type) differ in dtype or rank")
    }
    bases.append(base)
    base += x.count
  }
  var indices: [Int] = []
  indices.reserveCapacity(base)
  for o in 0..<outer {
    for (x, b) in zip(xs, bases) {
      let block = x.count / Swift.max(outer, 1)
      indices.append(contentsOf: (b + o * block)..<(b + (o + 1) * block))
    }
  }
  let joined = joinStorages(xs.map(\.storage))
  return HostTensor(unchecked: first.type.with(shape: shape), joined.gathered(indices))
}

/// The storages laid end to end (all of one dtype, checked by the caller).
func joinStorages(_ parts: [TensorStorage]) -> TensorStorage {
  func join<T: HostElement>(_: T.Type) -> TensorStorage {
    T.storage(parts.flatMap { T.array(in: $0) ?? [] })
  }
  switch parts.first?.dtype ?? .f32 {
  case .f32: return join(Float.self)
  case .f64: return join(Double.self)
  case .i32: return join(Int32.self)
  case .i64: return join(Int64.self)
  case .i1: return join(Bool.self)
  }
}
