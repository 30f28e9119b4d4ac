/// An attribute value as written in the text format: `{axes = [0, 1], keepdims = true}`.
///
/// Core ops store their attributes typed inside `Op`; this generic form is what the parser
/// reads and the printer writes, and what custom ops carry.
public enum Attribute: Sendable, Hashable, CustomStringConvertible {
  case int(Int)
  case float(Double)
  case bool(Bool)
  case string(String)
  case dtype(DType)
  case type(TensorType)
  case list([Attribute])

  public var description: String {
    switch self {
    case .int(let v): String(v)
    case .float(let v): formatFloat(v)
    case .bool(let v): v ? "true" : "false"
    case .string(let v): quoteString(v)
    case .dtype(let v): v.rawValue
    case .type(let v): v.description
    case .list(let v): "[" + v.map(\.description).joined(separator: ", ") + "]"
    }
  }

  public var intValue: Int? {
    if case .int(let v) = self { return v }
    return nil
  }
  public var doubleValue: Double? {
    switch self {
    case .int(let v): Double(v)
    case .float(let v): v
    default: nil
    }
  }
  public var boolValue: Bool? {
    if case .bool(let v) = self { return v }
    return nil
  }
  public var intList: [Int]? {
    guard case .list(let items) = self else { return nil }
    var out: [Int] = []
    for item in items {
      guard let v = item.intValue else { return nil }
      out.append(v)
    }
    return out
  }
}

/// Canonical float spelling: shortest round-tripping decimal, with `inf`, `-inf` and `nan`.
public func formatFloat(_ v: Double) -> String {
  if v.isNaN { return "nan" }
  if v.isInfinite { return v < 0 ? "-inf" : "inf" }
  return v.description
}

func quoteString(_ s: String) -> String {
  var out = "\""
  for ch in s.unicodeScalars {
    switch ch {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\t": out += "\\t"
    default: out.unicodeScalars.append(ch)
    }
  }
  return out + "\""
}
