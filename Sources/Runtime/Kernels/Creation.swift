import IR

// Creation kernels (IR/Ops/Creation.swift): `constant` splats a value, `iota` counts along an axis.

/// Every element of `type` set to `value` (the type rule admits only exact integers for integer
/// dtypes and 0 or 1 for i1); a value that does not fit the dtype is an error.
func constantKernel(_ value: Double, _ type: TensorType) throws(KernelError) -> HostTensor {
  let count = type.count
  let storage: TensorStorage
  switch type.dtype {
  case .f32: storage = .f32(Array(repeating: Float(value), count: count))
  case .f64: storage = .f64(Array(repeating: value, count: count))
  case .i32:
    guard let v = Int32(exactly: value.rounded(.towardZero)) else {
      throw KernelError("constant \(value) does not fit i32")
    }
    storage = .i32(Array(repeating: v, count: count))
  case .i64:
    guard let v = Int64(exactly: value.rounded(.towardZero)) else {
      throw KernelError("constant \(value) does not fit i64")
    }
    storage = .i64(Array(repeating: v, count: count))
  case .i1: storage = .i1(Array(repeating: value != 0, count: count))
  }
  return HostTensor(unchecked: type, storage)
}

/// The element at index (i₀, …, iₙ) is `i_axis`.
func iotaKernel(axis: Int, _ type: TensorType) throws(KernelError) -> HostTensor {
  let a = try normalized(axis, rank: type.rank)
  var strides = [Int](repeating: 0, count: type.rank)
  strides[a] = 1
  let values = stridedIndices(shape: type.shape, strides: strides)
  let storage: TensorStorage
  switch type.dtype {
  case .f32: storage = .f32(values.map { Float($0) })
  case .f64: storage = .f64(values.map { Double($0) })
  case .i32: storage = .i32(values.map { Int32(truncatingIfNeeded: $0) })
  case .i64: storage = .i64(values.map { Int64($0) })
  case .i1: throw KernelError("iota needs a number type, got \(type)")
  }
  return HostTensor(unchecked: type, storage)
}

/// `normalizeAxis` with the kernels' error type.
func normalized(_ axis: Int, rank: Int) throws(KernelError) -> Int {
  do {
    return try normalizeAxis(axis, rank: rank)
  } catch {
    throw KernelError(error.reason)
  }
}
