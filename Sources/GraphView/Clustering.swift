import IR

/// A collapsible group of the viewer: the nodes one pass added (`section`) for one layer, or,
/// for nodes outside the layers, for one source file.
public struct Cluster: Sendable, Hashable, Comparable {
  /// What the nodes belong to inside their section.
  public enum Group: Sendable, Hashable, Comparable {
    case layer(Int)
    /// Nodes that combine several layers (a concatenation of per-layer tables, a global norm).
    case acrossLayers
    /// Nodes reached by no layer, grouped by the file of their source location.
    case file(String)
  }

  /// Index of the snapshot whose pass added the nodes (0 = the input graph).
  public var section: Int
  public var group: Group

  public static func < (a: Cluster, b: Cluster) -> Bool {
    (a.section, a.group) < (b.section, b.group)
  }

  /// `grad · layer 3`, `input · Attention.swift`.
  public func label(passes: [String]) -> String {
    let pass = section < passes.count ? passes[section] : "?"
    switch group {
    case .layer(let l): return "\(pass) · layer \(l)"
    case .acrossLayers: return "\(pass) · across layers"
    case .file(let f): return "\(pass) · \(f)"
    }
  }
}

/// Assigns every parameter and node of a graph to a cluster.
///
/// Layers come from parameter names (`model.layers.12.mlp.up_proj.weight`, `adam_m.layers.3.w`,
/// `blocks_2_wq`) and flow along operands: a node takes the largest layer among its operands,
/// preferring operands from earlier sections, so a gradient node sits with the forward layer
/// whose values it reads rather than with the loss its cotangent comes from. A node whose
/// operands span more than two layers belongs to no single layer. Parameters, and constants
/// outside the layers, sit with their first user.
public struct Clustering: Sendable {
  public var ofValue: [String: Cluster]

  /// `section(key)` is the snapshot index of the pass that added a node or parameter.
  public init(_ graph: Graph, section: (NodeKey) -> Int) {
    var layer: [Value: Int] = [:]
    var sectionOf: [Value: Int] = [:]
    var nodeCluster: [Value: Cluster] = [:]
    for p in graph.parameters {
      sectionOf[p.value] = section(NodeKey(parameter: p))
      if let l = layerIndex(in: p.name) { layer[p.value] = l }
    }
    for n in graph.nodes {
      let own = section(NodeKey(n))
      sectionOf[n.result] = own
      let earlier = n.operands.filter { (sectionOf[$0] ?? 0) < own && layer[$0] != nil }
      let candidates = earlier.isEmpty ? n.operands.filter { layer[$0] != nil } : earlier
      let layers = Set(candidates.compactMap { layer[$0] })
      let group: Cluster.Group
      if layers.count > 2 {
        group = .acrossLayers
      } else if let l = layers.max() {
        layer[n.result] = l
        group = .layer(l)
      } else if n.operands.contains(where: { nodeCluster[$0]?.group == .acrossLayers }) {
        group = .acrossLayers
      } else {
        group = .file(fileName(of: n.location))
      }
      nodeCluster[n.result] = Cluster(section: own, group: group)
    }
    // Constants and what is computed from them alone (broadcasts, casts, the learning rate's
    // broadcast) join their first user of the same section, so an optimizer's per-weight
    // constants sit with the weight's layer rather than in one large group. Walked backwards,
    // a chain of them follows the user at its end.
    var movable: Set<Value> = []
    for p in graph.parameters where layer[p.value] == nil { movable.insert(p.value) }
    for n in graph.nodes where layer[n.result] == nil {
      switch n.op {
      case .constant, .iota: movable.insert(n.result)
      case .broadcast, .reshape, .cast, .unary, .binary:
        if n.operands.allSatisfy(movable.contains) { movable.insert(n.result) }
      default: break
      }
    }
    var users: [Value: [Value]] = [:]
    for n in graph.nodes { for o in n.operands { users[o, default: []].append(n.result) } }
    for n in graph.nodes.reversed() where movable.contains(n.result) {
      guard let own = nodeCluster[n.result], case .file = own.group,
        let user = users[n.result]?.first(where: { nodeCluster[$0]?.section == own.section }),
        let target = nodeCluster[user]
      else { continue }
      nodeCluster[n.result] = target
    }
    var firstUser: [Value: Cluster] = [:]
    for n in graph.nodes {
      for o in n.operands where firstUser[o] == nil { firstUser[o] = nodeCluster[n.result] }
    }
    var out: [String: Cluster] = [:]
    for p in graph.parameters {
      out[p.name] =
        firstUser[p.value]
        ?? Cluster(
          section: sectionOf[p.value] ?? 0,
          group: layer[p.value].map(Cluster.Group.layer) ?? .file("inputs"))
    }
    for n in graph.nodes { out[n.name] = nodeCluster[n.result] }
    ofValue = out
  }
}

/// The layer number in a parameter name: the number after a `layers`, `layer`, `blocks`,
/// `block` or `h` component (`model.layers.12.mlp`, `blocks_2_wq`, `layer3.w`), else nil.
public func layerIndex(in name: String) -> Int? {
  let parts = name.split(whereSeparator: { $0 == "." || $0 == "_" || $0 == "/" }).map(String.init)
  let words = ["layers", "layer", "blocks", "block", "h"]
  for (i, part) in parts.enumerated() {
    let lower = part.lowercased()
    for word in words where lower.hasPrefix(word) {
      let rest = lower.dropFirst(word.count)
      if rest.isEmpty, i + 1 < parts.count, let n = Int(parts[i + 1]) { return n }
      if !rest.isEmpty, rest.allSatisfy(\.isNumber), let n = Int(rest) { return n }
    }
  }
  return nil
}

/// The last path component of a location's file (`Attention.swift`).
func fileName(of location: SourceLocation) -> String {
  location.file.split(separator: "/").last.map(String.init) ?? location.file
}
