/// A value in a graph: a parameter or the result of a node. Identity only; the graph holds
/// its type and name.
public struct Value: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let id: Int
  public init(id: Int) { self.id = id }
  public static func < (a: Value, b: Value) -> Bool { a.id < b.id }
  public var description: String { "v\(id)" }
}

/// What a graph parameter is: a trained weight or data fed with each call.
///
/// Passes read it: `grad` differentiates with respect to the weights by default, and
/// `sink-divergence` copies the inputs its clones need but shares every weight.
public enum ParameterRole: String, Sendable, Hashable, CaseIterable {
  /// A trained tensor, shared by every use of the model (embeddings, projections, biases).
  case weight
  /// Data fed with each call (token ids, masks, positions, an additive attention bias).
  case input

  /// The role of a parameter written without one: float tensors are weights, integer and
  /// boolean tensors are inputs.
  public static func implied(by type: TensorType) -> ParameterRole {
    type.dtype.isFloat ? .weight : .input
  }

  /// Why a parameter of `type` cannot have this role, or nil: a weight must be a float tensor
  /// (it is what training updates).
  public func problem(for type: TensorType) -> String? {
    self == .weight && !type.dtype.isFloat
      ? "a weight must be a float tensor (f32 or f64), this one is \(type); mark it 'input'"
      : nil
  }
}

/// A graph parameter: a weight or an input.
public struct Parameter: Sendable, Hashable {
  public var value: Value
  public var name: String
  public var type: TensorType
  public var role: ParameterRole
  /// A parameter; without a role, the one its type implies (`ParameterRole.implied(by:)`).
  public init(value: Value, name: String, type: TensorType, role: ParameterRole? = nil) {
    self.value = value
    self.name = name
    self.type = type
    self.role = role ?? .implied(by: type)
  }
}

/// One operation producing one value.
public struct Node: Sendable {
  public var result: Value
  /// The result's name in the text format (without `%`); unique in its graph.
  public var name: String
  public var op: Op
  public var operands: [Value]
  public var type: TensorType
  /// Where the node came from; not part of equality.
  public var location: SourceLocation

  public init(
    result: Value, name: String, op: Op, operands: [Value], type: TensorType,
    location: SourceLocation = .unknown
  ) {
    self.result = result
    self.name = name
    self.op = op
    self.operands = operands
    self.type = type
    self.location = location
  }
}

/// A named graph output.
public struct GraphResult: Sendable, Hashable {
  public var name: String
  public var value: Value
  public init(name: String, value: Value) {
    self.name = name
    self.value = value
  }
}

/// An SSA computation graph: parameters (weights and inputs), nodes in topological order, named
/// results.
///
/// A value type: passes take a graph and return or mutate their own copy. Equality is
/// structural (names, ops, attributes, types and the wiring), independent of value ids and
/// source locations, so `parse(print(g)) == g`.
public struct Graph: Sendable {
  public var name: String
  public var parameters: [Parameter]
  public var nodes: [Node]
  public var results: [GraphResult]
  /// The next unused value id.
  public var nextValueID: Int

  public init(name: String) {
    self.name = name
    parameters = []
    nodes = []
    results = []
    nextValueID = 0
  }

  /// Allocates a fresh value id.
  public mutating func makeValue() -> Value {
    defer { nextValueID += 1 }
    return Value(id: nextValueID)
  }

  /// Types of every parameter and node result.
  public func valueTypes() -> [Value: TensorType] {
    var types: [Value: TensorType] = [:]
    types.reserveCapacity(parameters.count + nodes.count)
    for p in parameters { types[p.value] = p.type }
    for n in nodes { types[n.result] = n.type }
    return types
  }

  /// Names of every parameter and node result.
  public func valueNames() -> [Value: String] {
    var names: [Value: String] = [:]
    for p in parameters { names[p.value] = p.name }
    for n in nodes { names[n.result] = n.name }
    return names
  }

  public func parameter(named name: String) -> Parameter? { parameters.first { $0.name == name } }
  /// The parameters with the weight role, in order.
  public var weights: [Parameter] { parameters.filter { $0.role == .weight } }
  /// The parameters with the input role, in order.
  public var inputs: [Parameter] { parameters.filter { $0.role == .input } }
  public func result(named name: String) -> GraphResult? { results.first { $0.name == name } }

  /// Number of uses of each value by nodes and results.
  public func useCounts() -> [Value: Int] {
    var uses: [Value: Int] = [:]
    for n in nodes { for o in n.operands { uses[o, default: 0] += 1 } }
    for r in results { uses[r.value, default: 0] += 1 }
    return uses
  }
}

extension Graph: Equatable {
  public static func == (a: Graph, b: Graph) -> Bool {
    guard a.name == b.name, a.parameters.count == b.parameters.count,
      a.nodes.count == b.nodes.count, a.results.count == b.results.count
    else { return false }
    var map: [Value: Value] = [:]
    for (p, q) in zip(a.parameters, b.parameters) {
      guard p.name == q.name, p.type == q.type, p.role == q.role else { return false }
      map[p.value] = q.value
    }
    for (n, m) in zip(a.nodes, b.nodes) {
      guard n.name == m.name, n.op == m.op, n.type == m.type, n.operands.count == m.operands.count
      else { return false }
      for (x, y) in zip(n.operands, m.operands) where map[x] != y { return false }
      map[n.result] = m.result
    }
    for (r, s) in zip(a.results, b.results) {
      guard r.name == s.name, map[r.value] == s.value else { return false }
    }
    return true
  }
}

/// Several graphs, as one `.ir` file holds them.
public struct Module: Sendable, Equatable {
  public var graphs: [Graph]
  public init(graphs: [Graph]) { self.graphs = graphs }
  public func graph(named name: String) -> Graph? { graphs.first { $0.name == name } }
}
