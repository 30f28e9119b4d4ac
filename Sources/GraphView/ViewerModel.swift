import IR
import Passes

/// The data a viewer page embeds (as JSON): every distinct node once, every distinct cluster
/// layout once, and per snapshot which of them it shows.
struct ViewerModel: Encodable {
  /// A parameter or node as the page shows it. Equal records across snapshots are stored once.
  struct Record: Encodable, Hashable {
    /// Value name.
    var n: String
    /// Op name; empty for a parameter.
    var o: String
    /// Result type, `f32[2,3]`.
    var t: String
    /// Attributes as `name = value` strings.
    var a: [String]
    /// Source location.
    var l: String
    /// Operand names.
    var i: [String]
    /// Index of the pass that added it (0: the input graph).
    var p: Int
  }

  struct ClusterView: Encodable {
    var id: String
    var label: String
    var section: Int
    var layout: Int
    /// Values (parameters and nodes) and removed nodes in the cluster.
    var values: [String]
    var removed: [String]
  }

  struct Snapshot: Encodable {
    var values: [Int]
    var removed: [Int]
    var clusters: [ClusterView]
    /// The layout of the cluster overview (-1: a single cluster, shown directly).
    var top: Int
    /// Attention softmaxes by layer (graph order within each section).
    var attention: [[String]]
    var results: [[String]]
  }

  struct PassInfo: Encodable {
    var name: String
    var milliseconds: Double?
    var changed: Bool?
  }

  var title: String
  var passes: [PassInfo]
  var records: [Record] = []
  var layouts: [Layout] = []
  var snapshots: [Snapshot] = []
}

/// Builds the model, collecting the layouts to compute as DOT graphs first.
struct ViewerModelBuilder {
  var model: ViewerModel
  private var recordIndex: [ViewerModel.Record: Int] = [:]
  /// Layout requests, deduplicated by their DOT text.
  private(set) var dotGraphs: [DotGraph] = []
  private var dotIndex: [String: Int] = [:]

  init(_ history: PassHistory, title: String) {
    let passes = history.snapshots.map {
      ViewerModel.PassInfo(
        name: $0.pass,
        milliseconds: $0.timing.map {
          round2(
            Double($0.duration.components.seconds) * 1000
              + Double($0.duration.components.attoseconds) / 1e15)
        },
        changed: $0.timing?.changed)
    }
    model = ViewerModel(title: title, passes: passes)
    let provenance = Provenance(history)
    let names = history.snapshots.map(\.pass)
    var previousClusters: [String: Cluster] = [:]
    var previousNames: [Value: String] = [:]
    for (k, snapshot) in history.snapshots.enumerated() {
      let addedBy = provenance.addedBy[k]
      let clustering = Clustering(snapshot.graph, section: { addedBy[$0] ?? k })
      let removedBy = k > 0 ? provenance.addedBy[k - 1] : [:]
      // A removed node is shown in its cluster of the previous snapshot, with that graph's names.
      let removed = provenance.removed[k].map { n in
        (
          record: Self.nodeRecord(n, names: previousNames, addedBy: removedBy[NodeKey(n)] ?? 0),
          cluster: previousClusters[n.name] ?? Cluster(section: 0, group: .file("removed"))
        )
      }
      add(
        snapshot.graph, clustering: clustering, addedBy: addedBy, passes: names, removed: removed)
      previousClusters = clustering.ofValue
      previousNames = snapshot.graph.valueNames()
    }
  }

  private mutating func record(_ r: ViewerModel.Record) -> Int {
    if let i = recordIndex[r] { return i }
    model.records.append(r)
    recordIndex[r] = model.records.count - 1
    return model.records.count - 1
  }

  private mutating func layout(_ g: DotGraph) -> Int {
    let text = g.text
    if let i = dotIndex[text] { return i }
    dotGraphs.append(g)
    dotIndex[text] = dotGraphs.count - 1
    return dotGraphs.count - 1
  }

  private mutating func add(
    _ graph: Graph, clustering: Clustering, addedBy: [NodeKey: Int], passes: [String],
    removed: [(record: ViewerModel.Record, cluster: Cluster)]
  ) {
    let names = graph.valueNames()
    var values: [Int] = []
    var records: [String: ViewerModel.Record] = [:]
    for p in graph.parameters {
      let r = ViewerModel.Record(
        n: p.name, o: "", t: p.type.description, a: [], l: "", i: [],
        p: addedBy[NodeKey(parameter: p)] ?? 0)
      records[p.name] = r
      values.append(record(r))
    }
    for n in graph.nodes {
      let r = Self.nodeRecord(n, names: names, addedBy: addedBy[NodeKey(n)] ?? 0)
      records[n.name] = r
      values.append(record(r))
    }
    var removedRecords: [String: ViewerModel.Record] = [:]
    var removedIndices: [Int] = []
    for (r, _) in removed {
      removedRecords[r.n] = r
      removedIndices.append(record(r))
    }
    // Clusters, in section then layer order.
    var members: [Cluster: [String]] = [:]
    for p in graph.parameters {
      if let c = clustering.ofValue[p.name] { members[c, default: []].append(p.name) }
    }
    for n in graph.nodes {
      if let c = clustering.ofValue[n.name] { members[c, default: []].append(n.name) }
    }
    var removedMembers: [Cluster: [String]] = [:]
    for (r, c) in removed { removedMembers[c, default: []].append(r.n) }
    let clusters = Set(members.keys).union(removedMembers.keys).sorted()
    var views: [ViewerModel.ClusterView] = []
    for c in clusters {
      let inside = members[c] ?? []
      let gone = removedMembers[c] ?? []
      let label = c.label(passes: passes)
      let dot = clusterGraph(
        name: label, values: inside, removed: gone, records: records,
        removedRecords: removedRecords)
      views.append(
        ViewerModel.ClusterView(
          id: label, label: label, section: c.section, layout: layout(dot), values: inside,
          removed: gone))
    }
    var top = -1
    if views.count > 1 {
      top = layout(overviewGraph(views, records: records, clustering: clustering, passes: passes))
    }
    model.snapshots.append(
      ViewerModel.Snapshot(
        values: values, removed: removedIndices, clusters: views, top: top,
        attention: attentionByLayer(graph, clustering: clustering),
        results: graph.results.map { [$0.name, names[$0.value] ?? ""] }))
  }

  private static func nodeRecord(_ n: Node, names: [Value: String], addedBy: Int)
    -> ViewerModel.Record
  {
    ViewerModel.Record(
      n: n.name, o: n.op.name, t: n.type.description,
      a: n.op.attributes.map { "\($0.0) = \($0.1)" }, l: n.location.description,
      i: n.operands.map { names[$0] ?? "?" }, p: addedBy)
  }

  /// One cluster: its values, its removed nodes, and a stub for every operand from elsewhere.
  private func clusterGraph(
    name: String, values: [String], removed: [String], records: [String: ViewerModel.Record],
    removedRecords: [String: ViewerModel.Record]
  ) -> DotGraph {
    var g = DotGraph(name: name)
    let inside = Set(values)
    var stubs: [String] = []
    var stubbed: Set<String> = []
    for v in values {
      guard let r = records[v] else { continue }
      g.nodes.append(DotGraph.Node(id: v, lines: labelLines(r)))
      for o in r.i {
        if inside.contains(o) {
          g.edges.append((o, v))
        } else {
          if stubbed.insert(o).inserted { stubs.append(o) }
          g.edges.append(("^" + o, v))
        }
      }
    }
    for s in stubs { g.nodes.append(DotGraph.Node(id: "^" + s, lines: ["↑ %" + s])) }
    let gone = Set(removed)
    for v in removed {
      guard let r = removedRecords[v] else { continue }
      g.nodes.append(DotGraph.Node(id: "~" + v, lines: labelLines(r)))
      for o in r.i where gone.contains(o) || inside.contains(o) {
        g.edges.append((gone.contains(o) ? "~" + o : o, "~" + v))
      }
    }
    return g
  }

  /// The overview: one box per cluster, a row per layer (each pass's cluster of a layer side
  /// by side), an edge where values flow. Clusters that feed more than `fanOut` others (masks,
  /// rotary tables, the learning rate) get no edges: they would cross everything.
  private func overviewGraph(
    _ views: [ViewerModel.ClusterView], records: [String: ViewerModel.Record],
    clustering: Clustering, passes: [String]
  ) -> DotGraph {
    let fanOut = 8
    var g = DotGraph(name: "overview")
    var rows: [Cluster.Group: [String]] = [:]
    var clusterOf: [String: Cluster] = [:]
    for (name, c) in clustering.ofValue { clusterOf[name] = c }
    for v in views {
      g.nodes.append(
        DotGraph.Node(
          id: v.id, lines: [v.label, "\(v.values.count) values, \(v.removed.count) removed"]))
      if let first = v.values.first, let c = clusterOf[first], case .layer = c.group {
        rows[c.group, default: []].append(v.id)
      }
    }
    g.rows = rows.keys.sorted().compactMap { rows[$0] }
    var targets: [String: [String]] = [:]
    var seen: Set<[String]> = []
    for v in views {
      for name in v.values {
        guard let r = records[name] else { continue }
        for o in r.i {
          guard let from = clustering.ofValue[o]?.label(passes: passes), from != v.id,
            seen.insert([from, v.id]).inserted
          else { continue }
          targets[from, default: []].append(v.id)
        }
      }
    }
    for v in views {
      guard let to = targets[v.id], to.count <= fanOut else { continue }
      for t in to { g.edges.append((v.id, t)) }
    }
    return g
  }

  /// Attention softmaxes (found by structure, as the Surgery pass finds them), numbered in
  /// graph order within each section and copy: entry L lists layer L's softmax of every copy.
  private func attentionByLayer(_ graph: Graph, clustering: Clustering) -> [[String]] {
    var counters: [String: Int] = [:]
    var out: [[String]] = []
    for n in SinkDivergence.attentionSoftmaxes(in: graph) {
      // A copy of the model (Surgery's clone, `clones.…`) counts its own layers.
      let copy =
        n.name.split(separator: ".", maxSplits: 1).count > 1 ? n.name.prefix { $0 != "." } : ""
      let key = "\(clustering.ofValue[n.name]?.section ?? 0)|\(copy)"
      let layer = counters[key, default: 0]
      counters[key] = layer + 1
      while out.count <= layer { out.append([]) }
      out[layer].append(n.name)
    }
    return out
  }
}

/// The lines a node box shows: the op and its attributes, then `%name : type`.
func labelLines(_ r: ViewerModel.Record) -> [String] {
  if r.o.isEmpty { return ["%" + r.n, r.t] }
  var head = r.o
  if !r.a.isEmpty {
    let attributes = r.a.joined(separator: ", ")
    head += " {" + (attributes.count > 40 ? String(attributes.prefix(38)) + "…" : attributes) + "}"
  }
  return [head, "%\(r.n) : \(r.t)"]
}
