/// Prints graphs in the text format (canonical: one spelling per graph; every parameter with
/// its role).
///
/// ```
/// graph @mlp(%x: f32[4,3] input, %w: f32[3,2] weight) -> (y: f32[4,2]) {
///   %h = matmul %x, %w : f32[4,2]
///   return %h
/// }
/// ```
public func printGraph(_ g: Graph) -> String {
  let names = g.valueNames()
  let types = g.valueTypes()
  func ref(_ v: Value) -> String { "%" + (names[v] ?? "<undefined \(v.id)>") }
  var out = "graph @\(g.name)("
  out += g.parameters.map { "%\($0.name): \($0.type) \($0.role.rawValue)" }.joined(separator: ", ")
  out += ") -> ("
  out += g.results.map { "\($0.name): \(types[$0.value].map(\.description) ?? "?")" }.joined(
    separator: ", ")
  out += ") {\n"
  for n in g.nodes {
    out += "  %\(n.name) = \(n.op.name)"
    if !n.operands.isEmpty { out += " " + n.operands.map(ref).joined(separator: ", ") }
    let attrs = n.op.attributes
    if !attrs.isEmpty {
      out += " {" + attrs.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + "}"
    }
    out += " : \(n.type)\n"
  }
  out += "  return"
  if !g.results.isEmpty { out += " " + g.results.map { ref($0.value) }.joined(separator: ", ") }
  out += "\n}\n"
  return out
}

/// Prints every graph of a module, separated by a blank line.
public func printModule(_ m: Module) -> String {
  m.graphs.map(printGraph).joined(separator: "\n")
}

extension Graph: CustomStringConvertible {
  public var description: String { printGraph(self) }
}
