import IR

// Reduction kernels (IR/Ops/Reduction.swift): the reduced axes are moved last (a transpose,
// skipped when they already are), then each contiguous row is reduced.
//
// Float sums accumulate in f64 (so f32 results are the correctly rounded sum in almost every
// case, a little more accurate than numpy's pairwise f32 sum). Integer sums wrap on overflow.
// `reduce_mean` over zero elements is NaN (numpy: NaN with a warning); `reduce_max` over zero
// elements is an error (numpy: "zero-size array to reduction operation maximum").
// `reduce_max` of floats propagates NaN, as numpy's `max`.

func reduceKernel(_ k: ReduceOp, _ x: HostTensor, axes: [Int], keepDims: Bool) throws(KernelError)
  -> HostTensor
{
  let rank = x.type.rank
  let reduced: [Int]
  do {
    reduced = try normalizeAxes(axes, rank: rank)
  } catch {
    throw KernelError(error.reason)
  }
  let kept = (0..<rank).filter { !reduced.contains($0) }
  let moved = try transposeKernel(x, perm: kept + reduced)
  let rowLength = reduced.reduce(1) { $0 * x.shape[$1] }
  let rows = kept.reduce(1) { $0 * x.shape[$1] }
  let shape = (0..<rank).compactMap { i in reduced.contains(i) ? (keepDims ? 1 : nil) : x.shape[i] }
  if k == .max && rowLength == 0 && rows > 0 {
    throw KernelError("reduce_max over zero elements (axes \(axes) of \(x.type)) has no value")
  }
  let threshold = Swift.max(1, Parallelism.elementThreshold / Swift.max(rowLength, 1))
  let storage: TensorStorage
  switch moved.storage {
  case .f32(let v): storage = .f32(reduceFloatRows(k, v, rows: rows, length: rowLength, threshold))
  case .f64(let v): storage = .f64(reduceFloatRows(k, v, rows: rows, length: rowLength, threshold))
  case .i32(let v): storage = .i32(try reduceIntegerRows(k, v, rows: rows, length: rowLength))
  case .i64(let v): storage = .i64(try reduceIntegerRows(k, v, rows: rows, length: rowLength))
  case .i1: throw KernelError("reduce_\(k.rawValue) is not defined on i1")
  }
  return HostTensor(unchecked: x.type.with(shape: shape), storage)
}

func reduceFloatRows<T: FloatElement>(
  _ k: ReduceOp, _ v: [T], rows: Int, length: Int, _ threshold: Int
) -> [T] {
  parallelArray(count: rows, threshold: threshold) { r in
    let row = v[(r * length)..<((r + 1) * length)]
    switch k {
    case .sum, .mean:
      var sum = 0.0
      for e in row { sum += Double(e) }
      return T(k == .mean ? sum / Double(length) : sum)
    case .max:
      var best = -T.infinity
      for e in row {
        if e.isNaN { return e }
        if e > best { best = e }
      }
      return best
    }
  }
}

func reduceIntegerRows<T: IntegerElement>(_ k: ReduceOp, _ v: [T], rows: Int, length: Int)
  throws(KernelError) -> [T]
{
  switch k {
  case .sum:
    return (0..<rows).map { r in v[(r * length)..<((r + 1) * length)].reduce(0, &+) }
  case .max:
    return (0..<rows).map { r in v[(r * length)..<((r + 1) * length)].max() ?? T.min }
  case .mean:
    throw KernelError("reduce_mean needs a float type, got \(T.dtype)")
  }
}
