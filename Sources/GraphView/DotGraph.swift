/// A directed graph in Graphviz's DOT language: the `--dot` export and the input of the
/// layouts the viewer embeds.
public struct DotGraph: Sendable {
  public struct Node: Sendable {
    public var id: String
    /// Label lines (joined with `\n`).
    public var lines: [String]
    /// Extra attributes, written as given (`style=filled`, `fillcolor="#d8f5d0"`).
    public var attributes: [String] = []

    public init(id: String, lines: [String], attributes: [String] = []) {
      self.id = id
      self.lines = lines
      self.attributes = attributes
    }
  }

  /// A `subgraph cluster_…` box around some nodes.
  public struct Box: Sendable {
    public var label: String
    public var nodes: [String]
    public init(label: String, nodes: [String]) {
      self.label = label
      self.nodes = nodes
    }
  }

  public var name: String
  public var nodes: [Node] = []
  public var edges: [(from: String, to: String)] = []
  public var boxes: [Box] = []
  /// Node groups placed on one row (`rank=same`).
  public var rows: [[String]] = []

  public init(name: String) { self.name = name }

  /// Node boxes are sized by Graphviz for a monospace font, so the page can draw the same
  /// lines inside them.
  public static let fontSize = 10.0
  static let header = """
      graph [rankdir=TB, nodesep=0.18, ranksep=0.32, fontname="Courier", fontsize=10];
      node [shape=box, style=rounded, fontname="Courier", fontsize=10, margin="0.08,0.04", \
    height=0.3];
      edge [arrowsize=0.6];
    """

  /// The DOT text.
  public var text: String {
    var out = "digraph \(quoteDot(name)) {\n\(Self.header)\n"
    var boxed: Set<String> = []
    for (index, box) in boxes.enumerated() {
      out += "  subgraph cluster_\(index) {\n    label=\(quoteDot(box.label));\n"
      for id in box.nodes {
        out += "    \(quoteDot(id));\n"
        boxed.insert(id)
      }
      out += "  }\n"
    }
    for n in nodes {
      var attributes = ["label=\(quoteDot(n.lines.joined(separator: "\n")))"]
      attributes += n.attributes
      out += "  \(quoteDot(n.id)) [\(attributes.joined(separator: ", "))];\n"
    }
    for row in rows where row.count > 1 {
      out += "  { rank=same; " + row.map { quoteDot($0) + "; " }.joined() + "}\n"
    }
    for e in edges { out += "  \(quoteDot(e.from)) -> \(quoteDot(e.to));\n" }
    return out + "}\n"
  }
}

/// A DOT string literal: quotes, backslashes and newlines escaped.
func quoteDot(_ s: String) -> String {
  var out = "\""
  for ch in s {
    switch ch {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    default: out.append(ch)
    }
  }
  return out + "\""
}
