/// Checks that a graph is well formed:
/// - names are valid identifiers, unique across parameters and nodes; result names unique;
/// - value ids are unique and every operand is defined before its use (topological order);
/// - every weight is a float tensor (see `ParameterRole`);
/// - every type's byte size fits in 63 bits (no shape multiplies past `Int.max`);
/// - every node's type agrees with its op's type rule;
/// - every result is a value of the graph.
/// Throws every problem found, each located at the node's source.
public func verify(_ g: Graph) throws(Diagnostics) {
  var problems: [Diagnostic] = []
  var types: [Value: TensorType] = [:]
  var names: [Value: String] = [:]
  var usedNames: Set<String> = []
  let graphLocation = SourceLocation(file: "@\(g.name)", line: 0)

  func define(_ v: Value, _ name: String, _ type: TensorType, _ at: SourceLocation) {
    if types[v] != nil {
      problems.append(Diagnostic("value id \(v.id) ('%\(name)') is defined twice", at: at))
    }
    if !isValidIdentifier(name) {
      problems.append(Diagnostic("'%\(name)' is not a valid value name", at: at))
    } else if !usedNames.insert(name).inserted {
      problems.append(Diagnostic("value '%\(name)' is defined twice", at: at))
    }
    types[v] = type
    names[v] = name
  }

  if !isValidIdentifier(g.name) {
    problems.append(Diagnostic("'@\(g.name)' is not a valid graph name", at: graphLocation))
  }
  for p in g.parameters {
    if let problem = sizeProblem(p.type, "parameter '%\(p.name)'") {
      problems.append(Diagnostic(problem, at: graphLocation))
    }
    if let problem = p.role.problem(for: p.type) {
      problems.append(Diagnostic("parameter '%\(p.name)': \(problem)", at: graphLocation))
    }
    define(p.value, p.name, p.type, graphLocation)
  }
  for n in g.nodes {
    var operandTypes: [TensorType] = []
    var undefined = false
    for o in n.operands {
      if let t = types[o] {
        operandTypes.append(t)
      } else {
        problems.append(
          Diagnostic("operand \(o) is used before it is defined", at: n.location, op: n.op.name))
        undefined = true
      }
    }
    if let problem = sizeProblem(n.type, "'%\(n.name)'") {
      problems.append(Diagnostic(problem, at: n.location, op: n.op.name))
    }
    // Type rules may multiply dimensions: run them only on types whose sizes are known to fit.
    let sized = operandTypes.allSatisfy { $0.byteCount != nil } && n.type.byteCount != nil
    if !undefined && sized {
      let operands = zip(n.operands, operandTypes).map { "%\(names[$0] ?? "?"): \($1)" }
      do {
        let inferred = try n.op.resultType(operands: operandTypes, annotated: n.type)
        if inferred != n.type {
          problems.append(
            Diagnostic(
              "result type \(n.type) of '%\(n.name)' disagrees with the type rule (\(inferred))",
              at: n.location, op: n.op.name, operands: operands))
        }
      } catch {
        problems.append(Diagnostic(error.reason, at: n.location, op: n.op.name, operands: operands))
      }
    }
    define(n.result, n.name, n.type, n.location)
  }
  var resultNames: Set<String> = []
  for r in g.results {
    if !isValidIdentifier(r.name) {
      problems.append(Diagnostic("'\(r.name)' is not a valid result name", at: graphLocation))
    } else if !resultNames.insert(r.name).inserted {
      problems.append(Diagnostic("result '\(r.name)' is named twice", at: graphLocation))
    }
    if types[r.value] == nil {
      problems.append(
        Diagnostic("result '\(r.name)' refers to an undefined value", at: graphLocation))
    }
  }
  if !problems.isEmpty { throw Diagnostics(problems) }
}

/// Why a type cannot be the type of a value (a negative dimension, or more than 2⁶³−1 bytes),
/// or nil if it can.
func sizeProblem(_ type: TensorType, _ what: String) -> String? {
  if type.shape.contains(where: { $0 < 0 }) { return "\(what) has a negative dimension: \(type)" }
  if type.byteCount == nil { return "\(what) has type \(type), larger than 2⁶³−1 bytes" }
  return nil
}
