import IR

/// The elements of a host tensor, row-major (C order), one case per dtype.
public enum TensorStorage: Sendable, Hashable {
  case f32([Float])
  case f64([Double])
  case i32([Int32])
  case i64([Int64])
  case i1([Bool])

  /// The element type held.
  public var dtype: DType {
    switch self {
    case .f32: .f32
    case .f64: .f64
    case .i32: .i32
    case .i64: .i64
    case .i1: .i1
    }
  }

  /// Number of elements held.
  public var count: Int {
    switch self {
    case .f32(let v): v.count
    case .f64(let v): v.count
    case .i32(let v): v.count
    case .i64(let v): v.count
    case .i1(let v): v.count
    }
  }

  /// Every element as a `Double` (i64 values beyond 2⁵³ round).
  public var doubles: [Double] {
    switch self {
    case .f32(let v): v.map(Double.init)
    case .f64(let v): v
    case .i32(let v): v.map(Double.init)
    case .i64(let v): v.map(Double.init)
    case .i1(let v): v.map { $0 ? 1 : 0 }
    }
  }

  /// Element `i` as a `Double`.
  func double(at i: Int) -> Double {
    switch self {
    case .f32(let v): Double(v[i])
    case .f64(let v): v[i]
    case .i32(let v): Double(v[i])
    case .i64(let v): Double(v[i])
    case .i1(let v): v[i] ? 1 : 0
    }
  }

  /// Storage of `count` zeros (false for i1).
  static func zeros(_ dtype: DType, count: Int) -> TensorStorage {
    switch dtype {
    case .f32: .f32(Array(repeating: 0, count: count))
    case .f64: .f64(Array(repeating: 0, count: count))
    case .i32: .i32(Array(repeating: 0, count: count))
    case .i64: .i64(Array(repeating: 0, count: count))
    case .i1: .i1(Array(repeating: false, count: count))
    }
  }

  /// The elements at `indices`, in that order: the one primitive behind every data-movement op.
  func gathered(_ indices: [Int]) -> TensorStorage {
    switch self {
    case .f32(let v): .f32(indices.map { v[$0] })
    case .f64(let v): .f64(indices.map { v[$0] })
    case .i32(let v): .i32(indices.map { v[$0] })
    case .i64(let v): .i64(indices.map { v[$0] })
    case .i1(let v): .i1(indices.map { v[$0] })
    }
  }
}

/// A tensor in host memory: a static type and its elements in row-major order.
///
/// A value type (copy-on-write through the arrays it holds). Equality compares the types and
/// the elements with `==` (so a NaN is not equal to itself, as in numpy).
public struct HostTensor: Sendable, Equatable, CustomStringConvertible {
  /// The dtype and shape.
  public let type: TensorType
  /// The elements; `storage.count == type.count` and `storage.dtype == type.dtype`.
  public private(set) var storage: TensorStorage

  /// A tensor from its type and storage; throws if the dtype or element count disagree.
  public init(_ type: TensorType, storage: TensorStorage) throws(RuntimeError) {
    guard let count = type.checkedCount else {
      throw RuntimeError("shape \(type.shape) has a negative dimension or too many elements")
    }
    guard storage.dtype == type.dtype else {
      throw RuntimeError(
        "storage holds \(storage.dtype) elements, the type \(type) needs \(type.dtype)")
    }
    guard storage.count == count else {
      throw RuntimeError("\(storage.count) elements given for \(type), which has \(count)")
    }
    self.type = type
    self.storage = storage
  }

  /// Internal: a tensor whose storage is known to match its type (kernel outputs).
  init(unchecked type: TensorType, _ storage: TensorStorage) {
    assert(storage.dtype == type.dtype && storage.count == type.count)
    self.type = type
    self.storage = storage
  }

  /// A tensor of the given shape from elements in row-major order; throws if the count differs.
  public init<T: HostElement>(shape: [Int], _ values: [T]) throws(RuntimeError) {
    try self.init(TensorType(T.dtype, shape), storage: T.storage(values))
  }

  /// A rank-0 tensor holding one value.
  public init<T: HostElement>(scalar value: T) {
    self.init(unchecked: .scalar(T.dtype), T.storage([value]))
  }

  /// A tensor of `type` from `Double` values, converted as `cast` converts f64 (floats round to
  /// nearest, integers truncate toward zero, i1 is `value != 0`); throws if a value does not fit.
  public init(_ type: TensorType, doubles values: [Double]) throws(RuntimeError) {
    let source = try HostTensor(shape: type.shape, values)
    do {
      self = try castTensor(source, to: type.dtype)
    } catch {
      throw RuntimeError(error.message)
    }
  }

  /// A tensor of `type` holding a copy of the `type.count` elements at `source` (row-major, in
  /// the host's byte order, i1 as one byte each, nonzero meaning true). The caller guarantees
  /// that `source` holds that many bytes; throws if the shape is negative or too large.
  public init(_ type: TensorType, copying source: UnsafeRawPointer) throws(RuntimeError) {
    guard let count = type.checkedCount else {
      throw RuntimeError("shape \(type.shape) has a negative dimension or too many elements")
    }
    func copy<T>(_: T.Type) -> [T] {
      Array(UnsafeBufferPointer(start: source.assumingMemoryBound(to: T.self), count: count))
    }
    switch type.dtype {
    case .f32: self.init(unchecked: type, .f32(copy(Float.self)))
    case .f64: self.init(unchecked: type, .f64(copy(Double.self)))
    case .i32: self.init(unchecked: type, .i32(copy(Int32.self)))
    case .i64: self.init(unchecked: type, .i64(copy(Int64.self)))
    case .i1: self.init(unchecked: type, .i1(copy(UInt8.self).map { $0 != 0 }))
    }
  }

  /// A tensor of `type` with every element zero (false for i1).
  public static func zeros(_ type: TensorType) throws(RuntimeError) -> HostTensor {
    guard let count = type.checkedCount else {
      throw RuntimeError("shape \(type.shape) has a negative dimension or too many elements")
    }
    return HostTensor(unchecked: type, .zeros(type.dtype, count: count))
  }

  public var dtype: DType { type.dtype }
  public var shape: [Int] { type.shape }
  /// Number of elements (1 for a scalar).
  public var count: Int { storage.count }

  /// The elements as an array of `T`, or nil if `T` is not this tensor's element type.
  public func array<T: HostElement>(of: T.Type = T.self) -> [T]? { T.array(in: storage) }

  /// The single element of a one-element tensor as `T`, or nil (wrong type or count).
  public func scalar<T: HostElement>(of: T.Type = T.self) -> T? {
    guard count == 1, let values = T.array(in: storage) else { return nil }
    return values.first
  }

  /// Calls `body` with the elements' bytes (row-major, host byte order, i1 as one byte each);
  /// the pointer is valid only inside `body`.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    switch storage {
    case .f32(let v): try v.withUnsafeBytes(body)
    case .f64(let v): try v.withUnsafeBytes(body)
    case .i32(let v): try v.withUnsafeBytes(body)
    case .i64(let v): try v.withUnsafeBytes(body)
    case .i1(let v): try v.withUnsafeBytes(body)
    }
  }

  /// Calls `body` with the elements' bytes to change in place (row-major, host byte order, i1
  /// as one byte each, 0 or 1). The elements are first made this tensor's own (copied if
  /// another value shares them, as any copy-on-write change); the pointer is valid only inside
  /// `body`.
  public mutating func withUnsafeMutableBytes<R>(
    _ body: (UnsafeMutableRawBufferPointer) throws -> R
  ) rethrows -> R {
    // Each case takes the array out of `storage` before changing it, so that the array is
    // uniquely referenced and changes without a copy.
    switch storage {
    case .f32(var v):
      storage = .f32([])
      defer { storage = .f32(v) }
      return try v.withUnsafeMutableBytes(body)
    case .f64(var v):
      storage = .f64([])
      defer { storage = .f64(v) }
      return try v.withUnsafeMutableBytes(body)
    case .i32(var v):
      storage = .i32([])
      defer { storage = .i32(v) }
      return try v.withUnsafeMutableBytes(body)
    case .i64(var v):
      storage = .i64([])
      defer { storage = .i64(v) }
      return try v.withUnsafeMutableBytes(body)
    case .i1(var v):
      storage = .i1([])
      defer { storage = .i1(v) }
      return try v.withUnsafeMutableBytes(body)
    }
  }

  /// Every element as a `Double`, in row-major order (for tests and printing).
  public var doubles: [Double] { storage.doubles }

  /// The element at a multi-index as a `Double`, or nil if the index is out of range.
  public func element(at index: [Int]) -> Double? {
    guard index.count == type.rank else { return nil }
    var flat = 0
    for (i, d) in zip(index, type.shape) {
      guard i >= 0, i < d else { return nil }
      flat = flat * d + i
    }
    return storage.double(at: flat)
  }

  /// Whether `other` has the same type and every element is within `atol + rtol·|other|`
  /// (NaNs match NaNs, infinities must be equal).
  public func isClose(to other: HostTensor, rtol: Double = 1e-5, atol: Double = 1e-8) -> Bool {
    guard type == other.type else { return false }
    for (a, b) in zip(doubles, other.doubles) {
      if a.isNaN || b.isNaN {
        if a.isNaN != b.isNaN { return false }
      } else if a.isInfinite || b.isInfinite {
        if a != b { return false }
      } else if Swift.abs(a - b) > atol + rtol * Swift.abs(b) {
        return false
      }
    }
    return true
  }

  /// The type and up to 16 elements: `f32[2,2] [1.0, 2.0, 3.0, 4.0]`.
  public var description: String {
    let shown = (0..<Swift.min(count, 16)).map { i -> String in
      switch storage {
      case .f32(let v): "\(v[i])"
      case .f64(let v): "\(v[i])"
      case .i32(let v): "\(v[i])"
      case .i64(let v): "\(v[i])"
      case .i1(let v): "\(v[i])"
      }
    }
    return "\(type) [\(shown.joined(separator: ", "))\(count > 16 ? ", …" : "")]"
  }
}
