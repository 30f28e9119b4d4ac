/// A user-defined op. The IR stores it behind `Op.custom`; its name, attributes and type rule
/// come from the conforming type. Runtime backends look for their own kernel protocol on it.
///
/// Custom ops are not differentiable unless they implement `vjp` (the default throws).
public protocol CustomOp: Sendable {
  /// Name in the text format; must not collide with a core op.
  var name: String { get }
  /// Attributes in the order the printer writes them.
  var attributes: [(String, Attribute)] { get }
  /// The type rule: result type from operand types, or a reason.
  func resultType(operands: [TensorType]) throws(TypeError) -> TensorType
  /// Operand cotangents given the result cotangent (nil for an operand that gets none).
  func vjp(_ b: GraphBuilder, node: Node, cotangent: Value) throws(TypeError) -> [Value?]
}

extension CustomOp {
  public func vjp(_ b: GraphBuilder, node: Node, cotangent: Value) throws(TypeError) -> [Value?] {
    throw TypeError("custom op '\(name)' has no gradient rule")
  }
}

/// Holds a custom op inside `Op`; equal when name and attributes are.
public struct CustomOpBox: Sendable, Hashable {
  public let op: any CustomOp
  public init(_ op: any CustomOp) { self.op = op }

  public static func == (a: CustomOpBox, b: CustomOpBox) -> Bool {
    a.op.name == b.op.name && a.op.attributes.map(\.0) == b.op.attributes.map(\.0)
      && a.op.attributes.map(\.1) == b.op.attributes.map(\.1)
  }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(op.name)
    for (k, v) in op.attributes {
      hasher.combine(k)
      hasher.combine(v)
    }
  }
}

/// Name → constructor from attributes, handed to the parser so `.ir` files can use custom ops.
public struct CustomOpRegistry: Sendable {
  public var factories: [String: @Sendable ([String: Attribute]) throws(TypeError) -> any CustomOp]
  public init() { factories = [:] }
  public mutating func register(
    _ name: String,
    _ factory: @escaping @Sendable ([String: Attribute]) throws(TypeError) -> any CustomOp
  ) {
    factories[name] = factory
  }
}

/// A custom op defined by a subgraph: operand `i` is the body's parameter `i` and the result
/// is the body's only result. Backends without a kernel of their own run the body (the
/// interpreter does); the JIT lowers the bodies it knows as single kernels.
public protocol CompositeCustomOp: CustomOp {
  /// The computation, with one parameter per operand and one result.
  var body: Graph { get }
}
