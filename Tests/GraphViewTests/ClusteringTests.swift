import IR
import Passes
import Testing

@testable import GraphView

@Suite struct ClusteringTests {
  @Test func layerNumbersFromParameterNames() {
    #expect(layerIndex(in: "model.layers.12.mlp.up_proj.weight") == 12)
    #expect(layerIndex(in: "adam_m.model.layers.3.self_attn.q_proj.weight") == 3)
    #expect(layerIndex(in: "blocks_2_wq") == 2)
    #expect(layerIndex(in: "layer7.w") == 7)
    #expect(layerIndex(in: "model.embed_tokens.weight") == nil)
    #expect(layerIndex(in: "hidden") == nil)
  }

  /// The attention example after Surgery and grad: each node sits with the pass that added it
  /// and the layer whose weights it reads.
  @Test func clustersFollowPassesAndLayers() throws {
    let history = try BrowserTests.history()
    let provenance = Provenance(history)
    let last = history.snapshots.count - 1
    let graph = history.snapshots[last].graph
    let clustering = Clustering(graph, section: { provenance.addedBy[last][$0] ?? last })
    let passes = history.snapshots.map(\.pass)
    func label(_ name: String) -> String? { clustering.ofValue[name]?.label(passes: passes) }
    #expect(label("l0_probs") == "input · layer 0")
    #expect(label("l1_probs") == "input · layer 1")
    #expect(label("clones.l0_probs") == "sink-divergence · layer 0")
    #expect(label("clones.l1_probs") == "sink-divergence · layer 1")
    #expect(label("layers.1.wq") == "input · layer 1")
    // The clone's token inputs sit with their first user, the pass's own concatenation of both
    // sides (no layer).
    #expect(label("harmful_tokens") == "sink-divergence · sink-divergence")
    // grad_layers.0.wq is the product of layer 0's normalized input and a cotangent.
    let gradient = try #require(graph.result(named: "grad_layers.0.wq"))
    let name = try #require(graph.valueNames()[gradient.value])
    #expect(label(name) == "grad · layer 0")
    // Every node and parameter has a cluster.
    #expect(clustering.ofValue.count == graph.nodes.count + graph.parameters.count)
  }

  /// The heat map's `#attention=L` lists layer L's softmax in the model and in the clone.
  @Test func attentionSoftmaxesByLayer() throws {
    let history = try BrowserTests.history()
    let builder = ViewerModelBuilder(history, title: "attention")
    #expect(builder.model.snapshots.first?.attention == [["l0_probs"], ["l1_probs"]])
    #expect(
      builder.model.snapshots.last?.attention == [
        ["l0_probs", "clones.l0_probs"],
        ["l1_probs", "clones.l1_probs"],
      ])
  }

  @Test func provenanceMarksAddedAndRemovedNodes() throws {
    let history = try BrowserTests.history()
    let provenance = Provenance(history)
    let afterSurgery = history.snapshots[1].graph
    let clone = try #require(afterSurgery.nodes.first { $0.name == "clones.l0_probs" })
    #expect(provenance.addedBy[1][NodeKey(clone)] == 1)
    let original = try #require(afterSurgery.nodes.first { $0.name == "l0_probs" })
    #expect(provenance.addedBy[1][NodeKey(original)] == 0)
    // dce (the last pass) removes what the new loss no longer needs, and nothing else.
    let beforeDCE = history.snapshots[2].graph
    let afterDCE = history.snapshots[3].graph
    let kept = Set(afterDCE.nodes.map(\.name))
    #expect(
      Set(provenance.removed[3].map(\.name)) == Set(beforeDCE.nodes.map(\.name)).subtracting(kept))
    #expect(provenance.removed[1].isEmpty)
  }

  @Test func dotExportBoxesEveryNodeByCluster() throws {
    let history = try BrowserTests.history()
    let text = GraphViewer.dot(history)
    let graph = try #require(history.snapshots.last?.graph)
    #expect(text.hasPrefix("digraph \"attention\" {"))
    for n in graph.nodes { #expect(text.contains("  \"\(n.name)\" [label=")) }
    #expect(text.contains("label=\"sink-divergence · layer 0\";"))
    #expect(text.contains("\"l0_probs\" -> \"l0_context\";"))
  }

  @Test func plainOutputWithQuotedIds() throws {
    let text = """
      graph 1 2 1
      node "a b" 0.5 0.75 1 0.5 "a b" solid box black lightgrey
      node c 1.5 0.25 1 0.5 c solid box black lightgrey
      edge "a b" c 4 0.5 0.5 0.75 0.4 1 0.35 1.5 0.3 solid black
      stop
      """
    let layouts = try GraphvizLayout.parsePlain(text)
    #expect(layouts.count == 1)
    #expect(layouts[0].width == 144 && layouts[0].height == 72)
    #expect(layouts[0].nodes["a b"] == [36, 18, 72, 36])
    #expect(layouts[0].edges.first?[0] == "a b")
    #expect(layouts[0].edges.first?[2] == "M36.0,36.0C54.0,43.2 72.0,46.8 108.0,50.4")
    #expect(throws: GraphViewError.self) { try GraphvizLayout.parsePlain("graph 1 x 2\nstop\n") }
  }
}
