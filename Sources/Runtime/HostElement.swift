import IR
import RealModule

/// A Swift element type that a `HostTensor` can hold: `Float`, `Double`, `Int32`, `Int64`, `Bool`.
public protocol HostElement: Sendable, Hashable {
  /// The IR dtype stored as this Swift type.
  static var dtype: DType { get }
  /// Wraps an array as tensor storage.
  static func storage(_ values: [Self]) -> TensorStorage
  /// The array held by `storage` if it has this element type.
  static func array(in storage: TensorStorage) -> [Self]?
  /// The element as a `Double` (exact for every value of f32, f64, i32 and i1).
  var doubleValue: Double { get }
}

extension Float: HostElement {
  public static var dtype: DType { .f32 }
  public static func storage(_ values: [Float]) -> TensorStorage { .f32(values) }
  public static func array(in storage: TensorStorage) -> [Float]? {
    if case .f32(let v) = storage { v } else { nil }
  }
  public var doubleValue: Double { Double(self) }
}

extension Double: HostElement {
  public static var dtype: DType { .f64 }
  public static func storage(_ values: [Double]) -> TensorStorage { .f64(values) }
  public static func array(in storage: TensorStorage) -> [Double]? {
    if case .f64(let v) = storage { v } else { nil }
  }
  public var doubleValue: Double { self }
}

extension Int32: HostElement {
  public static var dtype: DType { .i32 }
  public static func storage(_ values: [Int32]) -> TensorStorage { .i32(values) }
  public static func array(in storage: TensorStorage) -> [Int32]? {
    if case .i32(let v) = storage { v } else { nil }
  }
  public var doubleValue: Double { Double(self) }
}

extension Int64: HostElement {
  public static var dtype: DType { .i64 }
  public static func storage(_ values: [Int64]) -> TensorStorage { .i64(values) }
  public static func array(in storage: TensorStorage) -> [Int64]? {
    if case .i64(let v) = storage { v } else { nil }
  }
  public var doubleValue: Double { Double(self) }
}

extension Bool: HostElement {
  public static var dtype: DType { .i1 }
  public static func storage(_ values: [Bool]) -> TensorStorage { .i1(values) }
  public static func array(in storage: TensorStorage) -> [Bool]? {
    if case .i1(let v) = storage { v } else { nil }
  }
  public var doubleValue: Double { self ? 1 : 0 }
}

/// Float element types, with the math the kernels need.
protocol FloatElement: HostElement, Real, BinaryFloatingPoint {
  /// `aᵇ` as C's `pow` (and numpy) define it: finite for negative `a` with integral `b`.
  static func power(_ a: Self, _ b: Self) -> Self
}

/// Integer element types.
protocol IntegerElement: HostElement, FixedWidthInteger, SignedInteger {}

extension Int32: IntegerElement {}
extension Int64: IntegerElement {}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Float: FloatElement {
  static func power(_ a: Float, _ b: Float) -> Float { powf(a, b) }
}

extension Double: FloatElement {
  // Qualified: inside `Double`, a bare `pow` is RealModule's, which is NaN for negative `a`.
  #if canImport(Glibc)
    static func power(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
  #else
    static func power(_ a: Double, _ b: Double) -> Double { Darwin.pow(a, b) }
  #endif
}
