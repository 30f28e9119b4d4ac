import Codegen
import ExampleArchitectures
import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

@Suite struct ExampleArchitectureTests {
  @Test func gpt2GradientsMatchFiniteDifferences() throws {
    let graph = try TinyExamples.gpt2.trainingGraph(batch: 2, tokens: 6)
    try checkWeightGradients(
      graph, inputs: try trainingBatch(vocabulary: 19, batch: 2, tokens: 6, seed: 1),
      weights: try randomWeights(graph, seed: 2))
  }

  @Test(arguments: [TinyExamples.alibi, TinyExamples.alibiWindow])
  func alibiGradientsMatchFiniteDifferences(_ model: ALiBiDecoder) throws {
    let graph = try model.trainingGraph(batch: 2, tokens: 6)
    try checkWeightGradients(
      graph, inputs: try trainingBatch(vocabulary: 19, batch: 2, tokens: 6, seed: 3),
      weights: try randomWeights(graph, seed: 4))
  }

  @Test func tiedEmbeddingIsOneWeight() throws {
    let graph = try TinyExamples.gpt2.trainingGraph(batch: 1, tokens: 4)
    let names = graph.weights.map(\.name)
    #expect(names.filter { $0 == "wte.weight" }.count == 1)
    #expect(!names.contains { $0.hasPrefix("lm_head") })
    // wte, wpe, ln_f (2), and per layer: 4 projections × 2, 2 norms × 2, 2 MLP linears × 2.
    #expect(names.count == 2 + 2 + 2 * (8 + 4 + 4))
  }

  /// The Surgery pass finds every layer's attention through the layers API's mark, with the
  /// model's head count, whatever the masking (causal, sliding window) or the ALiBi bias.
  @Test func surgeryFindsEveryLayersHeads() throws {
    let graphs = [
      (try TinyExamples.gpt2.trainingGraph(batch: 2, tokens: 6), 2),
      (try TinyExamples.alibi.trainingGraph(batch: 2, tokens: 6), 3),
      (try TinyExamples.alibiWindow.trainingGraph(batch: 2, tokens: 6), 4),
    ]
    for (graph, heads) in graphs {
      let found = try SinkDivergence.attention(in: graph)
      #expect(found.marked)
      #expect(found.softmaxes.count == 2, "\(graph.name): \(found.summary)")
      #expect(found.heads == heads)
      #expect(found.keys == 6)
    }
  }

  /// The Surgery objective (task loss + λ·penalty over the harmful and safe clones) has the
  /// gradient the finite differences give: the penalty's gradient reaches the shared weights,
  /// the ALiBi bias and the learned positions are not copied as inputs.
  @Test func surgeryObjectiveGradientsMatchFiniteDifferences() throws {
    let models: [(Graph, Int)] = [
      (try TinyExamples.gpt2.trainingGraph(batch: 2, tokens: 6), 19),
      (try TinyExamples.alibi.trainingGraph(batch: 2, tokens: 6), 19),
    ]
    for (plain, vocabulary) in models {
      let graph = try SinkDivergence(lambda: 5, sink: 0).apply(to: plain)
      let added = Set(graph.parameters.map(\.name)).subtracting(plain.parameters.map(\.name))
      #expect(added == ["harmful_tokens", "harmful_mask", "safe_tokens", "safe_mask"])
      var inputs = try trainingBatch(vocabulary: vocabulary, batch: 2, tokens: 6, seed: 7)
      inputs["harmful_tokens"] = try HostTensor(
        shape: [1, 6], [Int32](arrayLiteral: 3, 5, 7, 9, 2, 4))
      inputs["harmful_mask"] = try HostTensor(shape: [1, 6], [Int32](repeating: 1, count: 6))
      inputs["safe_tokens"] = try HostTensor(
        shape: [1, 6], [Int32](arrayLiteral: 3, 8, 1, 6, 0, 0))
      inputs["safe_mask"] = try HostTensor(shape: [1, 6], [Int32](arrayLiteral: 1, 1, 1, 1, 0, 0))
      let weights = try randomWeights(graph, seed: 8)
      let out = try Interpreter().run(graph, inputs: inputs.merging(weights) { $1 })
      let penalty = try #require(out["sink_penalty"]).doubles[0]
      #expect(penalty > 0, "\(plain.name): the check needs some positive dₕ")
      try checkWeightGradients(graph, inputs: inputs, weights: weights)
    }
  }

  /// The JIT runs both forward graphs (left-padded rows, masks, positions) as the interpreter
  /// does. In f64 each result is a chain of sums of at most `d`-term products whose rounding,
  /// O(d·u) relative with u = 2⁻⁵³, is far below the 1e-10 allowed.
  @Test func jitMatchesTheInterpreter() throws {
    let graphs = [
      try TinyExamples.gpt2.forwardGraph(batch: 2, tokens: 6),
      try TinyExamples.alibiWindow.forwardGraph(batch: 2, tokens: 6),
    ]
    for graph in graphs {
      var inputs = try randomWeights(graph, seed: 9)
      inputs["tokens"] = try HostTensor(shape: [2, 6], (0..<12).map { Int32($0 * 7 % 19) })
      inputs["attention_mask"] = try HostTensor(
        shape: [2, 6], [Int32](arrayLiteral: 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1))
      if graph.parameter(named: "positions") != nil {
        inputs["positions"] = try HostTensor(
          shape: [2, 6], [Int32](arrayLiteral: 0, 1, 2, 3, 4, 5, 0, 0, 0, 1, 2, 3))
      }
      let expected = try #require(try Interpreter().run(graph, inputs: inputs)["logits"])
      let actual = try #require(
        try JIT.compile(graph, options: JITOptions(memoryCache: false)).run(inputs: inputs)[
          "logits"])
      #expect(actual.isClose(to: expected, rtol: 1e-10, atol: 1e-12), "\(graph.name)")
    }
  }

  @Test func tooLongSequencesAndBadConfigurationsAreErrors() throws {
    #expect(throws: ModelError.self) {
      try TinyExamples.gpt2.trainingGraph(batch: 1, tokens: 9)
    }
    let bad = ALiBiDecoder(
      ALiBiConfig(vocabulary: 10, dimension: 10, layers: 1, heads: 3, hidden: 4))
    #expect(throws: ModelError.self) { try bad.forwardGraph(batch: 1, tokens: 4) }
    let window = ALiBiConfig(
      vocabulary: 10, dimension: 8, layers: 1, heads: 2, hidden: 4, window: 0)
    #expect(window.problems() == ["the window must be at least 1, got 0"])
  }
}

extension ExampleArchitectureTests {
  /// `config.json` through JSON text and back gives the same model; bad fields name the key.
  @Test func configJSONRoundTrips() throws {
    func reparsed(_ object: [String: Any]) throws -> [String: Any] {
      let data = try JSONSerialization.data(withJSONObject: object)
      return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    let gpt2 = try GPT2(configJSON: try reparsed(TinyExamples.gpt2.configJSON()), file: "c.json")
    #expect(gpt2.config == TinyExamples.gpt2.config)
    for model in [TinyExamples.alibi, TinyExamples.alibiWindow] {
      let back = try ALiBiDecoder(configJSON: try reparsed(model.configJSON()), file: "c.json")
      #expect(back.config == model.config)
    }
    var broken = TinyExamples.alibiWindow.configJSON()
    broken["sliding_window"] = "three"
    #expect {
      try ALiBiDecoder(configJSON: broken, file: "c.json")
    } throws: { ($0 as? ModelError)?.key == "sliding_window" }
    broken["sliding_window"] = 0
    #expect {
      try ALiBiDecoder(configJSON: broken, file: "c.json")
    } throws: { "\($0)".contains("window must be at least 1") }
    var missing = TinyExamples.gpt2.configJSON()
    missing["max_position_embeddings"] = nil
    #expect {
      try GPT2(configJSON: missing, file: "c.json")
    } throws: { ($0 as? ModelError)?.key == "max_position_embeddings" }
  }
}
