/// One GGUF metadata value: the thirteen value types of GGUF v3, arrays possibly nested.
public indirect enum GGUFValue: Sendable, Hashable, CustomStringConvertible {
  case uint8(UInt8)
  case int8(Int8)
  case uint16(UInt16)
  case int16(Int16)
  case uint32(UInt32)
  case int32(Int32)
  case float32(Float)
  case bool(Bool)
  case string(String)
  /// An array of values of one type (GGUF stores the element type once).
  case array([GGUFValue])
  case uint64(UInt64)
  case int64(Int64)
  case float64(Double)

  /// The value as an `Int` if it is an integer of any width that fits.
  public var int: Int? {
    switch self {
    case .uint8(let v): Int(v)
    case .int8(let v): Int(v)
    case .uint16(let v): Int(v)
    case .int16(let v): Int(v)
    case .uint32(let v): Int(v)
    case .int32(let v): Int(v)
    case .uint64(let v): Int(exactly: v)
    case .int64(let v): Int(v)
    default: nil
    }
  }

  /// The value as a `Double` if it is a float or an integer.
  public var double: Double? {
    switch self {
    case .float32(let v): Double(v)
    case .float64(let v): v
    default: int.map(Double.init)
    }
  }

  /// The value if it is a string.
  public var string: String? {
    if case .string(let s) = self { s } else { nil }
  }

  /// The value if it is a bool.
  public var bool: Bool? {
    if case .bool(let b) = self { b } else { nil }
  }

  /// The elements if it is an array.
  public var array: [GGUFValue]? {
    if case .array(let a) = self { a } else { nil }
  }

  /// The GGUF type name (`u32`, `string`, `array`).
  public var typeName: String {
    switch self {
    case .uint8: "u8"
    case .int8: "i8"
    case .uint16: "u16"
    case .int16: "i16"
    case .uint32: "u32"
    case .int32: "i32"
    case .float32: "f32"
    case .bool: "bool"
    case .string: "string"
    case .array: "array"
    case .uint64: "u64"
    case .int64: "i64"
    case .float64: "f64"
    }
  }

  /// A short rendering; long arrays are elided.
  public var description: String {
    switch self {
    case .string(let s): return "\"\(s)\""
    case .array(let a):
      let shown = a.prefix(8).map(\.description).joined(separator: ", ")
      return "[\(shown)\(a.count > 8 ? ", … (\(a.count) elements)" : "")]"
    case .bool(let b): return "\(b)"
    case .float32(let v): return "\(v)"
    case .float64(let v): return "\(v)"
    default: return int.map(String.init) ?? "\(self)"
    }
  }
}
