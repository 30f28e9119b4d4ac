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
}
