import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

@testable import Training

/// A one-block decoder unlike Llama: learned positions (a float weight with a sequence
/// dimension), LayerNorm, biased attention, a GELU feed-forward and a tied LM head.
struct LearnedPositionDecoder: LanguageModel {
  static let modelType = "test-learned-position-decoder"
  var vocabulary: Int
  var dimension: Int
  var heads: Int
  var positions: Int

  init(vocabulary: Int, dimension: Int, heads: Int, positions: Int) {
    (self.vocabulary, self.dimension, self.heads, self.positions) =
      (vocabulary, dimension, heads, positions)
  }

  init(configJSON: [String: Any], file: String) throws(ModelError) {
    func int(_ key: String) throws(ModelError) -> Int {
      guard let v = configJSON[key] as? Int else {
        throw ModelError("missing integer", file: file, key: key)
      }
      return v
    }
    self.init(
      vocabulary: try int("vocab_size"), dimension: try int("hidden_size"),
      heads: try int("num_attention_heads"), positions: try int("max_position_embeddings"))
  }

  func configJSON() -> [String: Any] {
    [
      "model_type": Self.modelType, "vocab_size": vocabulary, "hidden_size": dimension,
      "num_attention_heads": heads, "max_position_embeddings": positions,
    ]
  }

  func logits(_ ids: Value, batch: Int, tokens: Int, in m: ModelBuilder) -> Value {
    let b = m.graph
    let embed = Embedding("wte", vocabulary, dimension)
    let where_ = b.iota(axis: 1, TensorType(.i32, [batch, tokens]))
    var x = b.add(embed(ids, in: m), Embedding("wpe", positions, dimension)(where_, in: m))
    let attention = SelfAttention(
      names: ("attn.q", "attn.k", "attn.v", "attn.o"), dimension: dimension, heads: heads,
      bias: true)
    let mask = AttentionMasks.causal(batch: batch, tokens: tokens, in: b)
    x = b.add(x, attention(LayerNorm("ln_1", dimension)(x, in: m), mask: mask, in: m).output)
    x = b.add(
      x,
      GELUFeedForward(inName: "mlp.fc", outName: "mlp.proj", dimension: dimension, hidden: 32)(
        LayerNorm("ln_2", dimension)(x, in: m), in: m))
    return Linear("wte", dimension, vocabulary)(LayerNorm("ln_f", dimension)(x, in: m), in: m)
  }

  func trainingGraph(batch: Int, tokens: Int) throws -> Graph {
    let m = ModelBuilder(name: "decoder_train")
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let labels = m.input("labels", TensorType(.i32, [batch, tokens]))
    let lossMask = m.input("loss_mask", TensorType(.f32, [batch, tokens]))
    let loss = TokenCrossEntropy.mean(
      logits: logits(ids, batch: batch, tokens: tokens, in: m), labels: labels,
      lossMask: lossMask, in: m.graph)
    return try m.graph.build(results: [("loss", loss)])
  }

  func forwardGraph(batch: Int, tokens: Int) throws -> Graph {
    let m = ModelBuilder(name: "decoder_forward")
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    return try m.graph.build(results: [("logits", logits(ids, batch: batch, tokens: tokens, in: m))])
  }
}

@Suite struct CustomModelTests {
  let model = LearnedPositionDecoder(vocabulary: 64, dimension: 16, heads: 2, positions: 12)

  func config(_ defense: Defense, epochs: Int = 2) -> TrainingConfig {
    TrainingConfig(
      batchSize: 2, sequenceLength: 12, epochs: epochs, schedule: .constant(rate: 3e-3),
      defense: defense)
  }

  @Test func surgerySharesTheLearnedPositionTable() throws {
    let built = try StepGraphs.build(
      model: model, batch: 2, tokens: 12, defense: .surgery(lambda: 300, sink: 0),
      optimizer: AdamWConfig(), accumulation: 1)
    let step = try #require(built.fused)
    // The position table is a weight: updated once, never copied per Surgery sample.
    #expect(built.weights.contains("wpe.weight"))
    let copies = step.parameters.filter { $0.name.hasSuffix("wpe.weight") && $0.role == .weight }
    #expect(copies.map(\.name) == ["wpe.weight"])
    #expect(!step.parameters.contains { $0.name.contains("wpe") && $0.name.hasPrefix("harmful") })
    #expect(step.result(named: "next_wpe.weight") != nil)
    let found = try SinkDivergence.attention(in: model.trainingGraph(batch: 1, tokens: 12))
    #expect(found.summary.hasPrefix("1 attention layer × 2 heads (marked softmaxes)"))
  }

  @Test func trainsWithSurgeryAndResumesFromItsCheckpoint() throws {
    ModelRegistry.register(LearnedPositionDecoder.self)
    let weights = try model.initialWeights(seed: 7)
    #expect(weights["attn.q.bias"]?.doubles.allSatisfy { $0 == 0 } == true)
    #expect(weights["ln_1.weight"]?.doubles.allSatisfy { $0 == 1 } == true)
    let samples = toySamples(count: 8, seed: 1)
    let pools = SurgeryPools(harmful: toySamples(count: 3, seed: 2), safe: toySamples(count: 3, seed: 3))
    let dir = try temporaryDirectory()
    let straight = try Trainer(
      model: model, config: config(.surgery(lambda: 300, sink: 0)), weights: weights,
      samples: samples, pools: pools)
    let all = try straight.run()
    #expect(all.count == 8 && all.allSatisfy { $0.loss.isFinite && $0.sinkPenalty != nil })
    #expect(all.last!.taskLoss < all.first!.taskLoss)

    let first = try Trainer(
      model: model, config: config(.surgery(lambda: 300, sink: 0)), weights: weights,
      samples: samples, pools: pools)
    first.outputDirectory = dir
    try first.run(maxSteps: 5)
    let resumed = try Trainer(
      resumingFrom: dir + "/checkpoint", samples: samples, pools: pools)
    let reloaded = try #require(resumed.model as? LearnedPositionDecoder)
    #expect(reloaded.dimension == 16 && reloaded.positions == 12)
    let rest = try resumed.run()
    #expect(zip(all.suffix(3), rest).allSatisfy { $0.loss == $1.loss })
    #expect(resumed.weights == straight.weights)

    let tables = try SinkMeasurement.tables(
      model: reloaded, weights: resumed.weights, harmful: pools.harmful, safe: pools.safe,
      length: 12)
    #expect(tables.layers == 1 && tables.heads == 2)
  }

  @Test func unregisteredModelTypesAreNamed() throws {
    let json: [String: Any] = ["model_type": "nobody-registered-this"]
    let error = try #require(throws: ModelError.self) {
      try ModelRegistry.model(configJSON: json, file: "config.json")
    }
    #expect(error.description.contains("nobody-registered-this"))
    #expect(error.description.contains("llama"))
  }
}
