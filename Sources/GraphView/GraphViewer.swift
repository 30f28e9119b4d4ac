import Foundation
import IR

/// The IR viewer: a self-contained HTML page showing a graph after every pass of a pipeline,
/// and a DOT export of the final graph.
///
/// The page holds its data, script and styles inline (no network). Every op of the shown
/// graph is an element with `data-op` (its op name) and, when a pass of the pipeline added it,
/// `data-pass-added` (that pass's name); collapsed clusters are hidden, not left out.
public enum GraphViewer {
  /// The page for `history`. Layouts come from Graphviz (`dot`), one per distinct cluster.
  public static func html(_ history: PassHistory, title: String? = nil, processes: Int = 2)
    throws(GraphViewError) -> String
  {
    let name = title ?? "@" + (history.snapshots.last?.graph.name ?? "graph")
    var builder = ViewerModelBuilder(history, title: name)
    builder.model.layouts = try GraphvizLayout.layout(builder.dotGraphs, processes: processes)
    let data: Data
    do {
      // The encoder writes `/` as `\/`, so the data cannot close its <script> element.
      data = try JSONEncoder().encode(builder.model)
    } catch {
      throw GraphViewError("cannot encode the viewer data: \(error)")
    }
    return ViewerAssets.page(
      title: escapeHTML(name), data: String(decoding: data, as: UTF8.self))
  }

  /// DOT text of the last graph of `history`: one box per cluster, nodes added by a pass of
  /// the pipeline filled (green for the last pass, grey for earlier ones).
  public static func dot(_ history: PassHistory) -> String {
    let passes = history.snapshots.map(\.pass)
    let last = history.snapshots.count - 1
    guard last >= 0 else { return DotGraph(name: "empty").text }
    let provenance = Provenance(history)
    let addedBy = provenance.addedBy[last]
    let graph = history.snapshots[last].graph
    let clustering = Clustering(graph, section: { addedBy[$0] ?? last })
    let names = graph.valueNames()
    var g = DotGraph(name: graph.name)
    var boxes: [Cluster: [String]] = [:]
    func attributes(_ pass: Int, parameter: Bool) -> [String] {
      let shape = parameter ? "dashed" : "rounded"
      guard pass > 0 else { return ["style=\(shape)"] }
      return [
        "style=\"\(shape),filled\"", "fillcolor=\(pass == last ? "\"#c9efc0\"" : "\"#e4e4e4\"")",
        "tooltip=\(quoteDot("added by " + passes[pass]))",
      ]
    }
    for p in graph.parameters {
      g.nodes.append(
        DotGraph.Node(
          id: p.name, lines: ["%" + p.name, p.type.description],
          attributes: attributes(addedBy[NodeKey(parameter: p)] ?? 0, parameter: true)))
      if let c = clustering.ofValue[p.name] { boxes[c, default: []].append(p.name) }
    }
    for n in graph.nodes {
      let record = ViewerModel.Record(
        n: n.name, o: n.op.name, t: n.type.description,
        a: n.op.attributes.map { "\($0.0) = \($0.1)" }, l: "", i: [], p: 0)
      g.nodes.append(
        DotGraph.Node(
          id: n.name, lines: labelLines(record),
          attributes: attributes(addedBy[NodeKey(n)] ?? 0, parameter: false)))
      for o in n.operands { g.edges.append((names[o] ?? "?", n.name)) }
      if let c = clustering.ofValue[n.name] { boxes[c, default: []].append(n.name) }
    }
    g.boxes = boxes.keys.sorted().map {
      DotGraph.Box(label: $0.label(passes: passes), nodes: boxes[$0] ?? [])
    }
    return g.text
  }
}

/// Text safe inside HTML elements and attributes.
func escapeHTML(_ s: String) -> String {
  var out = ""
  for ch in s {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    default: out.append(ch)
    }
  }
  return out
}
