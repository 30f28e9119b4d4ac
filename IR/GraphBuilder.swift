/// Builds graphs from Swift code with numpy-style conveniences.
///
/// Binary, comparison and select calls broadcast their operands (inserting explicit
/// `broadcast` nodes, so the IR stays canonical). Every call records the caller's source
/// location. Calls never trap: a type error is recorded as a diagnostic naming the op, its
/// operands with their types and the caller's line, the result is a poisoned placeholder, and
/// `build` throws all diagnostics at the end.
public final class GraphBuilder {
  public private(set) var graph: Graph
  private var types: [Value: TensorType] = [:]
  private var names: [Value: String] = [:]
  private var usedNames: Set<String> = []
  private var nextAutoName = 0
  private var poisoned: Set<Value> = []
  public private(set) var diagnostics: [Diagnostic] = []

  public init(name: String) {
    graph = Graph(name: name)
  }

  /// Continues an existing graph: its parameters and nodes stay, new nodes are appended.
  public init(continuing graph: Graph) {
    self.graph = graph
    for p in graph.parameters { record(p.value, p.name, p.type) }
    for n in graph.nodes { record(n.result, n.name, n.type) }
  }

  private func record(_ v: Value, _ name: String, _ type: TensorType) {
    types[v] = type
    names[v] = name
    usedNames.insert(name)
  }

  // MARK: - Core

  public func type(_ v: Value) -> TensorType { types[v] ?? .scalar(.f32) }
  public func shape(_ v: Value) -> [Int] { type(v).shape }
  public func name(_ v: Value) -> String { names[v] ?? "?" }
  public func isPoisoned(_ v: Value) -> Bool { poisoned.contains(v) }

  /// A name not used yet in this graph: `hint` if free, else `hint_N`; numbers when no hint.
  public func freshName(_ hint: String? = nil) -> String {
    if let hint, !hint.isEmpty {
      let base = sanitizeIdentifier(hint)
      if usedNames.insert(base).inserted { return base }
      var i = 1
      while !usedNames.insert("\(base)_\(i)").inserted { i += 1 }
      return "\(base)_\(i)"
    }
    while !usedNames.insert(String(nextAutoName)).inserted { nextAutoName += 1 }
    defer { nextAutoName += 1 }
    return String(nextAutoName)
  }

  /// Adds a graph parameter with `role` (nil: the role its type implies, see
  /// `ParameterRole.implied(by:)`). A repeated name or an integer weight is a diagnostic.
  @discardableResult
  public func parameter(
    _ name: String, _ type: TensorType, role: ParameterRole? = nil, file: String = #fileID,
    line: Int = #line
  ) -> Value {
    let v = graph.makeValue()
    let role = role ?? .implied(by: type)
    let problem =
      usedNames.contains(name) || !isValidIdentifier(name)
      ? "parameter name '\(name)' is \(isValidIdentifier(name) ? "already used" : "not a valid identifier")"
      : role.problem(for: type).map { "parameter '%\(name)': \($0)" }
    if let problem {
      diagnostics.append(Diagnostic(problem, at: SourceLocation(file: file, line: line)))
      poisoned.insert(v)
      types[v] = type
      return v
    }
    graph.parameters.append(Parameter(value: v, name: name, type: type, role: role))
    record(v, name, type)
    return v
  }

  /// Records a diagnostic at `location`.
  public func report(
    _ message: String, at location: SourceLocation, op: String? = nil, operands: [Value] = []
  ) {
    diagnostics.append(
      Diagnostic(
        message, at: location, op: op, operands: operands.map { "%\(name($0)): \(type($0))" }))
  }

  /// Appends a node after checking the op's type rule. `type` is required for `constant`,
  /// `iota` and `cast` and checked against the rule for the others.
  @discardableResult
  public func emit(
    _ op: Op, _ operands: [Value], type declared: TensorType? = nil, name: String? = nil,
    at location: SourceLocation
  ) -> Value {
    if operands.contains(where: poisoned.contains) { return poison(declared) }
    let operandTypes = operands.map { self.type($0) }
    let inferred: TensorType
    do {
      inferred = try op.resultType(operands: operandTypes, annotated: declared)
    } catch {
      report(error.reason, at: location, op: op.name, operands: operands)
      return poison(declared)
    }
    if let declared, declared != inferred {
      report(
        "declared type \(declared) disagrees with the type rule (\(inferred))", at: location,
        op: op.name, operands: operands)
      return poison(declared)
    }
    let v = graph.makeValue()
    let n = freshName(name)
    graph.nodes.append(
      Node(result: v, name: n, op: op, operands: operands, type: inferred, location: location))
    types[v] = inferred
    names[v] = n
    return v
  }

  private func poison(_ type: TensorType?) -> Value {
    let v = graph.makeValue()
    poisoned.insert(v)
    types[v] = type ?? .scalar(.f32)
    return v
  }

  /// Finishes the graph with named results and verifies it. Throws every diagnostic recorded.
  public func build(
    results: [(String, Value)], file: String = #fileID, line: Int = #line
  ) throws(Diagnostics) -> Graph {
    var g = graph
    g.results = []
    for (name, v) in results {
      if poisoned.contains(v) { continue }
      guard types[v] != nil else {
        diagnostics.append(
          Diagnostic(
            "result '\(name)' is not a value of this graph",
            at: SourceLocation(file: file, line: line)))
        continue
      }
      g.results.append(GraphResult(name: name, value: v))
    }
    if !diagnostics.isEmpty { throw Diagnostics(diagnostics) }
    try verify(g)
    return g
  }

  /// Replaces the results of the graph being built (used by passes that append results).
  public func setResults(_ results: [GraphResult]) { graph.results = results }

  // MARK: - Conveniences (numpy-style)

  /// When set, convenience calls record this location instead of their caller's (passes
  /// that derive nodes from a user's node, such as `grad`, point them at the user's line).
  public var locationOverride: SourceLocation?

  func loc(_ file: String, _ line: Int) -> SourceLocation {
    locationOverride ?? SourceLocation(file: file, line: line)
  }

  public func unary(_ k: UnaryOp, _ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    emit(.unary(k), [x], at: loc(file, line))
  }

  /// Broadcasts both operands to their common shape (numpy rules).
  public func broadcastPair(_ a: Value, _ b: Value, at location: SourceLocation, op: String) -> (
    Value, Value
  ) {
    let (sa, sb) = (shape(a), shape(b))
    if sa == sb || isPoisoned(a) || isPoisoned(b) { return (a, b) }
    guard let common = broadcastShapes(sa, sb) else {
      report("shapes \(sa) and \(sb) do not broadcast", at: location, op: op, operands: [a, b])
      return (poison(nil), b)
    }
    return (expand(a, to: common, at: location), expand(b, to: common, at: location))
  }

  private func expand(_ v: Value, to shape: [Int], at location: SourceLocation) -> Value {
    self.shape(v) == shape ? v : emit(.broadcast(shape: shape), [v], at: location)
  }

  public func binary(
    _ k: BinaryOp, _ a: Value, _ b: Value, file: String = #fileID, line: Int = #line
  ) -> Value {
    let l = loc(file, line)
    let (x, y) = broadcastPair(a, b, at: l, op: k.rawValue)
    return emit(.binary(k), [x, y], at: l)
  }

  // One-line spellings of the unary ops.
  public func neg(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.neg, x, file: file, line: line)
  }
  public func exp(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.exp, x, file: file, line: line)
  }
  public func log(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.log, x, file: file, line: line)
  }
  public func sqrt(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.sqrt, x, file: file, line: line)
  }
  public func rsqrt(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.rsqrt, x, file: file, line: line)
  }
  public func tanh(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.tanh, x, file: file, line: line)
  }
  public func sigmoid(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.sigmoid, x, file: file, line: line)
  }
  public func relu(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.relu, x, file: file, line: line)
  }
  public func silu(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.silu, x, file: file, line: line)
  }
  public func gelu(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.gelu, x, file: file, line: line)
  }
  public func abs(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.abs, x, file: file, line: line)
  }
  public func reciprocal(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.reciprocal, x, file: file, line: line)
  }
  public func sin(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.sin, x, file: file, line: line)
  }
  public func cos(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.cos, x, file: file, line: line)
  }
  public func erf(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    unary(.erf, x, file: file, line: line)
  }
  public func maximum(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.max, a, b, file: file, line: line)
  }
  public func minimum(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.min, a, b, file: file, line: line)
  }
  public func pow(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.pow, a, b, file: file, line: line)
  }

  public func compare(
    _ k: CompareOp, _ a: Value, _ b: Value, file: String = #fileID, line: Int = #line
  ) -> Value {
    let l = loc(file, line)
    let (x, y) = broadcastPair(a, b, at: l, op: k.rawValue)
    return emit(.compare(k), [x, y], at: l)
  }

  public func add(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.add, a, b, file: file, line: line)
  }
  public func sub(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.sub, a, b, file: file, line: line)
  }
  public func mul(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.mul, a, b, file: file, line: line)
  }
  public func div(_ a: Value, _ b: Value, file: String = #fileID, line: Int = #line) -> Value {
    binary(.div, a, b, file: file, line: line)
  }

  /// `select(cond, a, b)`, broadcasting all three to a common shape.
  public func select(_ c: Value, _ a: Value, _ b: Value, file: String = #fileID, line: Int = #line)
    -> Value
  {
    let l = loc(file, line)
    let (x, y) = broadcastPair(a, b, at: l, op: "select")
    if isPoisoned(x) || isPoisoned(c) { return poison(nil) }
    guard let common = broadcastShapes(shape(c), shape(x)) else {
      report(
        "condition shape \(shape(c)) does not broadcast with \(shape(x))", at: l, op: "select",
        operands: [c, x])
      return poison(nil)
    }
    return emit(
      .select,
      [expand(c, to: common, at: l), expand(x, to: common, at: l), expand(y, to: common, at: l)],
      at: l)
  }

  /// `x` combined over every rank of `communicator` (see IR/Ops/Communication.swift).
  public func allReduce(
    _ x: Value, _ reduction: CollectiveReduction, communicator: String = "world",
    name: String? = nil, file: String = #fileID, line: Int = #line
  ) -> Value {
    emit(.allReduce(reduction, communicator: communicator), [x], name: name, at: loc(file, line))
  }

  /// `x` in the forward pass; no gradient flows back through it.
  public func stopGradient(_ x: Value, file: String = #fileID, line: Int = #line) -> Value {
    emit(.stopGradient, [x], at: loc(file, line))
  }

  public func cast(_ x: Value, to dtype: DType, file: String = #fileID, line: Int = #line) -> Value
  {
    emit(.cast, [x], type: type(x).with(dtype: dtype), at: loc(file, line))
  }

  /// A splat constant of the given type.
  public func constant(
    _ value: Double, _ type: TensorType, file: String = #fileID, line: Int = #line
  ) -> Value {
    emit(.constant(Scalar(value)), [], type: type, at: loc(file, line))
  }

  /// A constant with `x`'s type (dtype and shape) filled with `value`.
  public func constant(_ value: Double, like x: Value, file: String = #fileID, line: Int = #line)
    -> Value
  {
    constant(value, type(x), file: file, line: line)
  }

  public func iota(axis: Int, _ type: TensorType, file: String = #fileID, line: Int = #line)
    -> Value
  {
    emit(.iota(axis: axis), [], type: type, at: loc(file, line))
  }

  public func broadcast(_ x: Value, to shape: [Int], file: String = #fileID, line: Int = #line)
    -> Value
  {
    self.shape(x) == shape ? x : emit(.broadcast(shape: shape), [x], at: loc(file, line))
  }
  public func reshape(_ x: Value, _ shape: [Int], file: String = #fileID, line: Int = #line)
    -> Value
  {
    emit(.reshape(shape: shape), [x], at: loc(file, line))
  }
  public func transpose(_ x: Value, _ perm: [Int], file: String = #fileID, line: Int = #line)
    -> Value
  {
    emit(.transpose(perm: perm), [x], at: loc(file, line))
  }
  public func slice(
    _ x: Value, start: [Int], limit: [Int], stride: [Int]? = nil, file: String = #fileID,
    line: Int = #line
  ) -> Value {
    emit(
      .slice(start: start, limit: limit, stride: stride ?? Array(repeating: 1, count: start.count)),
      [x], at: loc(file, line))
  }
  public func concat(_ xs: [Value], axis: Int, file: String = #fileID, line: Int = #line) -> Value {
    emit(.concat(axis: axis), xs, at: loc(file, line))
  }

  public func reduce(
    _ k: ReduceOp, _ x: Value, axes: [Int], keepDims: Bool = false, file: String = #fileID,
    line: Int = #line
  ) -> Value {
    emit(.reduce(k, axes: axes, keepDims: keepDims), [x], at: loc(file, line))
  }
  public func sum(
    _ x: Value, axes: [Int], keepDims: Bool = false, file: String = #fileID, line: Int = #line
  ) -> Value {
    reduce(.sum, x, axes: axes, keepDims: keepDims, file: file, line: line)
  }
  public func mean(
    _ x: Value, axes: [Int], keepDims: Bool = false, file: String = #fileID, line: Int = #line
  ) -> Value {
    reduce(.mean, x, axes: axes, keepDims: keepDims, file: file, line: line)
  }
  /// Every axis of `x`.
  public func allAxes(_ x: Value) -> [Int] { Array(0..<type(x).rank) }

  /// `attention: true` marks the result as attention probabilities (see `Op.softmax`).
  public func softmax(
    _ x: Value, axis: Int = -1, attention: Bool = false, file: String = #fileID, line: Int = #line
  ) -> Value {
    emit(.softmax(axis: axis, attention: attention), [x], at: loc(file, line))
  }
  public func logSoftmax(_ x: Value, axis: Int = -1, file: String = #fileID, line: Int = #line)
    -> Value
  {
    emit(.logSoftmax(axis: axis), [x], at: loc(file, line))
  }

  /// Batched matmul; a lower-rank operand's batch dims are broadcast (numpy `matmul` rules).
  public func matmul(
    _ a: Value, _ b: Value, transposeA: Bool = false, transposeB: Bool = false,
    file: String = #fileID, line: Int = #line
  ) -> Value {
    let l = loc(file, line)
    var (x, y) = (a, b)
    let (sa, sb) = (shape(a), shape(b))
    if sa.count >= 2, sb.count >= 2, sa.dropLast(2) != sb.dropLast(2) {
      guard let batch = broadcastShapes(Array(sa.dropLast(2)), Array(sb.dropLast(2))) else {
        report(
          "batch dimensions \(sa.dropLast(2)) and \(sb.dropLast(2)) do not broadcast", at: l,
          op: "matmul", operands: [a, b])
        return poison(nil)
      }
      x = expand(a, to: batch + sa.suffix(2), at: l)
      y = expand(b, to: batch + sb.suffix(2), at: l)
    }
    return emit(.matmul(transposeA: transposeA, transposeB: transposeB), [x, y], at: l)
  }

  public func gather(_ table: Value, _ ids: Value, file: String = #fileID, line: Int = #line)
    -> Value
  {
    emit(.gather, [table, ids], at: loc(file, line))
  }
  public func scatterAdd(
    _ updates: Value, _ ids: Value, rows: Int, file: String = #fileID, line: Int = #line
  ) -> Value {
    emit(.scatterAdd(rows: rows), [updates, ids], at: loc(file, line))
  }
  public func takeAlongAxis(
    _ x: Value, _ indices: Value, axis: Int, file: String = #fileID, line: Int = #line
  ) -> Value {
    emit(.takeAlongAxis(axis: axis), [x, indices], at: loc(file, line))
  }
}

/// Identifiers of values and graphs: ASCII letters, digits, `_` and `.`.
public func isValidIdentifier(_ s: String) -> Bool {
  !s.isEmpty && s.unicodeScalars.allSatisfy(isIdentifierScalar)
}

func isIdentifierScalar(_ c: Unicode.Scalar) -> Bool {
  (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" || c == "."
}

func sanitizeIdentifier(_ s: String) -> String {
  let out = String(
    String.UnicodeScalarView(s.unicodeScalars.map { isIdentifierScalar($0) ? $0 : "_" }))
  return out.isEmpty ? "_" : out
}
