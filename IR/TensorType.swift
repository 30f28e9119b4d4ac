/// Element types of the IR.
public enum DType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case f32, f64, i32, i64, i1

  public var isFloat: Bool { self == .f32 || self == .f64 }
  public var isInteger: Bool { self == .i32 || self == .i64 }
  public var isBool: Bool { self == .i1 }
  /// Size of one element in bytes (i1 is stored as one byte).
  public var byteSize: Int {
    switch self {
    case .f32, .i32: 4
    case .f64, .i64: 8
    case .i1: 1
    }
  }
  public var description: String { rawValue }
}

/// The static type of every value: an element type and a shape (`[]` for a scalar).
public struct TensorType: Sendable, Hashable, CustomStringConvertible {
  public var dtype: DType
  public var shape: [Int]

  public init(_ dtype: DType, _ shape: [Int]) {
    self.dtype = dtype
    self.shape = shape
  }

  public static func scalar(_ dtype: DType) -> TensorType { TensorType(dtype, []) }

  public var rank: Int { shape.count }
  /// Number of elements (1 for a scalar). Defined for verified types (their byte size fits in
  /// `Int`); use `checkedCount` or `byteCount` on types read from a file or built by a user.
  public var count: Int { shape.reduce(1, *) }
  /// Number of elements, or nil if a dimension is negative or the product overflows `Int`.
  public var checkedCount: Int? { checkedElementCount(shape) }
  /// Size in bytes (`count · dtype.byteSize`), or nil if a dimension is negative or the size
  /// does not fit in 63 bits. The verifier rejects every type where this is nil.
  public var byteCount: Int? {
    guard let count = checkedCount else { return nil }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    return overflow ? nil : bytes
  }

  public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }
  public func with(shape: [Int]) -> TensorType { TensorType(dtype, shape) }

  /// Printed as in the text format: `f32[2,3]`, `f32[]`.
  public var description: String {
    "\(dtype)[\(shape.map(String.init).joined(separator: ","))]"
  }
}

/// Row-major strides of a shape, in elements.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
  var strides = [Int](repeating: 1, count: shape.count)
  var running = 1
  for axis in stride(from: shape.count - 1, through: 0, by: -1) {
    strides[axis] = running
    running *= shape[axis]
  }
  return strides
}

/// The element count of a shape, or nil if a dimension is negative or the product overflows.
public func checkedElementCount(_ shape: [Int]) -> Int? {
  guard shape.allSatisfy({ $0 >= 0 }) else { return nil }
  if shape.contains(0) { return 0 }  // even if a partial product would overflow
  var count = 1
  for d in shape {
    let (product, overflow) = count.multipliedReportingOverflow(by: d)
    guard !overflow else { return nil }
    count = product
  }
  return count
}
