/// The closed set of operations. Each family has one file under `IR/Ops/` holding its type
/// rule, its gradient (VJP) rule and a doc comment with the forward and backward algebra.
/// Interpreter kernels live in `Runtime/Kernels/` (they need OpenBLAS) and lowering in Codegen.
public enum Op: Sendable, Hashable {
  // Elementwise (Ops/Elementwise.swift)
  case unary(UnaryOp)
  case binary(BinaryOp)
  case compare(CompareOp)
  case select
  case cast
  case stopGradient
  // Creation (Ops/Creation.swift)
  case constant(Scalar)
  case iota(axis: Int)
  // Shape (Ops/Shape.swift)
  case broadcast(shape: [Int])
  case reshape(shape: [Int])
  case transpose(perm: [Int])
  case slice(start: [Int], limit: [Int], stride: [Int])
  case concat(axis: Int)
  // Reductions (Ops/Reduction.swift)
  case reduce(ReduceOp, axes: [Int], keepDims: Bool)
  // Normalizers (Ops/Softmax.swift)
  /// `attention`: the result is attention probabilities `[B, H, T, S]` (set by the layer API;
  /// the Surgery pass relies on it). It changes nothing in what the op computes.
  case softmax(axis: Int, attention: Bool = false)
  case logSoftmax(axis: Int)
  // Contraction (Ops/Matmul.swift)
  case matmul(transposeA: Bool, transposeB: Bool)
  // Indexing (Ops/Indexing.swift)
  case gather
  case scatterAdd(rows: Int)
  case takeAlongAxis(axis: Int)
  // Collective communication (Ops/Communication.swift)
  case allReduce(CollectiveReduction, communicator: String)
  // User ops (Ops/Custom.swift)
  case custom(CustomOpBox)
}

public enum UnaryOp: String, Sendable, Hashable, CaseIterable {
  case neg, exp, log, sqrt, rsqrt, tanh, sigmoid, relu, silu, gelu, abs, reciprocal, sin, cos, erf
}

public enum BinaryOp: String, Sendable, Hashable, CaseIterable {
  case add, sub, mul, div, max, min, pow
}

public enum CompareOp: String, Sendable, Hashable, CaseIterable {
  case greater, less, equal
}

public enum ReduceOp: String, Sendable, Hashable, CaseIterable {
  case sum, mean, max
}

/// The splat value of a `constant`, compared by bit pattern so that `nan == nan` and the
/// text round trip is exact.
public struct Scalar: Sendable, Hashable, CustomStringConvertible {
  public var value: Double
  public init(_ value: Double) { self.value = value }
  public static func == (a: Scalar, b: Scalar) -> Bool { a.value.bitPattern == b.value.bitPattern }
  public func hash(into hasher: inout Hasher) { hasher.combine(value.bitPattern) }
  public var description: String { formatFloat(value) }
}

extension Op {
  /// The op's name in the text format (lower snake case).
  public var name: String {
    switch self {
    case .unary(let k): k.rawValue
    case .binary(let k): k.rawValue
    case .compare(let k): k.rawValue
    case .select: "select"
    case .cast: "cast"
    case .stopGradient: "stop_gradient"
    case .constant: "constant"
    case .iota: "iota"
    case .broadcast: "broadcast"
    case .reshape: "reshape"
    case .transpose: "transpose"
    case .slice: "slice"
    case .concat: "concat"
    case .reduce(let k, _, _): "reduce_" + k.rawValue
    case .softmax: "softmax"
    case .logSoftmax: "log_softmax"
    case .matmul: "matmul"
    case .gather: "gather"
    case .scatterAdd: "scatter_add"
    case .takeAlongAxis: "take_along_axis"
    case .allReduce: "all_reduce"
    case .custom(let c): c.op.name
    }
  }

  /// Every core op name, for tests and for error messages that list what is known.
  public static let coreNames: [String] =
    UnaryOp.allCases.map(\.rawValue) + BinaryOp.allCases.map(\.rawValue)
    + CompareOp.allCases.map(\.rawValue)
    + [
      "select", "cast", "stop_gradient", "constant", "iota", "broadcast", "reshape", "transpose",
      "slice", "concat",
    ] + ReduceOp.allCases.map { "reduce_" + $0.rawValue }
    + [
      "softmax", "log_softmax", "matmul", "gather", "scatter_add", "take_along_axis",
      "all_reduce",
    ]

  /// Whether the op is elementwise over operands of equal shape (result shape = operand shape).
  public var isElementwise: Bool {
    switch self {
    case .unary, .binary, .compare, .select, .cast, .stopGradient: true
    default: false
    }
  }

  /// The attributes in canonical order, defaults omitted, as the printer writes them.
  public var attributes: [(String, Attribute)] {
    func ints(_ v: [Int]) -> Attribute { .list(v.map(Attribute.int)) }
    switch self {
    case .unary, .binary, .compare, .select, .cast, .stopGradient, .gather: return []
    case .constant(let s): return [("value", .float(s.value))]
    case .scatterAdd(let rows): return [("rows", .int(rows))]
    case .iota(let axis), .concat(let axis), .softmax(let axis, false), .logSoftmax(let axis),
      .takeAlongAxis(let axis):
      return [("axis", .int(axis))]
    case .softmax(let axis, true): return [("axis", .int(axis)), ("attention", .bool(true))]
    case .broadcast(let shape), .reshape(let shape): return [("shape", ints(shape))]
    case .transpose(let perm): return [("perm", ints(perm))]
    case .slice(let start, let limit, let stride):
      var out = [("start", ints(start)), ("limit", ints(limit))]
      if stride.contains(where: { $0 != 1 }) { out.append(("stride", ints(stride))) }
      return out
    case .reduce(_, let axes, let keepDims):
      var out = [("axes", ints(axes))]
      if keepDims { out.append(("keepdims", .bool(true))) }
      return out
    case .matmul(let ta, let tb):
      var out: [(String, Attribute)] = []
      if ta { out.append(("transpose_a", .bool(true))) }
      if tb { out.append(("transpose_b", .bool(true))) }
      return out
    case .allReduce(let reduction, let communicator):
      return [("communicator", .string(communicator)), ("reduction", .string(reduction.rawValue))]
    case .custom(let c): return c.op.attributes
    }
  }

  /// Builds an op from its text name and attributes. Errors name the attribute and what was expected.
  /// `customOps` resolves names outside the core set.
  public static func make(
    name: String, attributes: [String: Attribute], customOps: CustomOpRegistry = .init()
  ) throws(TypeError) -> Op {
    var attrs = AttributeReader(op: name, attributes: attributes)
    let op: Op
    if let k = UnaryOp(rawValue: name) {
      op = .unary(k)
    } else if let k = BinaryOp(rawValue: name) {
      op = .binary(k)
    } else if let k = CompareOp(rawValue: name) {
      op = .compare(k)
    } else if name.hasPrefix("reduce_"), let k = ReduceOp(rawValue: String(name.dropFirst(7))) {
      op = .reduce(
        k, axes: try attrs.ints("axes"), keepDims: try attrs.bool("keepdims", default: false))
    } else {
      switch name {
      case "select": op = .select
      case "cast": op = .cast
      case "stop_gradient": op = .stopGradient
      case "gather": op = .gather
      case "constant": op = .constant(Scalar(try attrs.double("value")))
      case "iota": op = .iota(axis: try attrs.int("axis"))
      case "broadcast": op = .broadcast(shape: try attrs.ints("shape"))
      case "reshape": op = .reshape(shape: try attrs.ints("shape"))
      case "transpose": op = .transpose(perm: try attrs.ints("perm"))
      case "slice":
        let start = try attrs.ints("start")
        let limit = try attrs.ints("limit")
        let stride = try attrs.ints("stride", default: [Int](repeating: 1, count: start.count))
        op = .slice(start: start, limit: limit, stride: stride)
      case "concat": op = .concat(axis: try attrs.int("axis"))
      case "softmax":
        op = .softmax(
          axis: try attrs.int("axis"), attention: try attrs.bool("attention", default: false))
      case "log_softmax": op = .logSoftmax(axis: try attrs.int("axis"))
      case "matmul":
        op = .matmul(
          transposeA: try attrs.bool("transpose_a", default: false),
          transposeB: try attrs.bool("transpose_b", default: false))
      case "scatter_add": op = .scatterAdd(rows: try attrs.int("rows"))
      case "take_along_axis": op = .takeAlongAxis(axis: try attrs.int("axis"))
      case "all_reduce":
        let communicator = try attrs.string("communicator")
        let reduction = try attrs.string("reduction")
        guard let k = CollectiveReduction(rawValue: reduction) else {
          let known = CollectiveReduction.allCases.map { "\"\($0.rawValue)\"" }
          throw TypeError(
            "attribute 'reduction' must be \(known.joined(separator: " or ")), got \"\(reduction)\"")
        }
        op = .allReduce(k, communicator: communicator)
      default:
        if let factory = customOps.factories[name] {
          return .custom(CustomOpBox(try factory(attributes)))
        }
        throw TypeError("unknown op '\(name)'")
      }
    }
    try attrs.finish()
    return op
  }
}

/// Reads typed attributes and reports missing, malformed or unknown ones.
struct AttributeReader {
  let op: String
  var remaining: [String: Attribute]

  init(op: String, attributes: [String: Attribute]) {
    self.op = op
    self.remaining = attributes
  }

  private mutating func take(_ key: String) -> Attribute? { remaining.removeValue(forKey: key) }

  mutating func int(_ key: String) throws(TypeError) -> Int {
    guard let a = take(key) else { throw TypeError("missing attribute '\(key)' (an integer)") }
    guard let v = a.intValue else {
      throw TypeError("attribute '\(key)' must be an integer, got \(a)")
    }
    return v
  }
  mutating func double(_ key: String) throws(TypeError) -> Double {
    guard let a = take(key) else { throw TypeError("missing attribute '\(key)' (a number)") }
    guard let v = a.doubleValue else {
      throw TypeError("attribute '\(key)' must be a number, got \(a)")
    }
    return v
  }
  mutating func ints(_ key: String, default value: [Int]? = nil) throws(TypeError) -> [Int] {
    guard let a = take(key) else {
      if let value { return value }
      throw TypeError("missing attribute '\(key)' (a list of integers)")
    }
    guard let v = a.intList else {
      throw TypeError("attribute '\(key)' must be a list of integers, got \(a)")
    }
    return v
  }
  mutating func string(_ key: String) throws(TypeError) -> String {
    guard let a = take(key) else { throw TypeError("missing attribute '\(key)' (a string)") }
    guard case .string(let v) = a else {
      throw TypeError("attribute '\(key)' must be a string, got \(a)")
    }
    return v
  }
  mutating func bool(_ key: String, default value: Bool) throws(TypeError) -> Bool {
    guard let a = take(key) else { return value }
    guard let v = a.boolValue else {
      throw TypeError("attribute '\(key)' must be true or false, got \(a)")
    }
    return v
  }
  func finish() throws(TypeError) {
    if let extra = remaining.keys.sorted().first {
      throw TypeError("unknown attribute '\(extra)' for '\(op)'")
    }
  }
}
