import Foundation
import IR
import Models
import Passes
import Runtime
import TestSupport
import Testing

/// A two-layer toy Llama in f64 (grouped-query attention, 2 query heads per key/value head).
let toyConfig = LlamaConfig(
  vocabulary: 32, dimension: 16, layers: 2, heads: 4, kvHeads: 2, hidden: 24)

func toyWeights(_ g: Graph, seed: UInt64) throws -> [String: HostTensor] {
  var rng = SeededGenerator(seed: seed)
  var out: [String: HostTensor] = [:]
  for p in g.parameters
  where p.type.dtype.isFloat && p.name.hasPrefix("model.") || p.name == "lm_head.weight" {
    let scale = p.name.contains("norm") ? 0.2 : 0.5
    let values = (0..<p.type.count).map { _ in
      (p.name.contains("norm") ? 1 : 0) + Double.random(in: -scale..<scale, using: &rng)
    }
    out[p.name] = try HostTensor(p.type, doubles: values)
  }
  return out
}

func tokenTensor(_ rows: [[Int]]) throws -> HostTensor {
  try HostTensor(shape: [rows.count, rows[0].count], rows.flatMap { $0.map(Int32.init) })
}

/// The training graph of the toy model with the Surgery pass applied.
func surgeryGraph(batch: Int, tokens: Int, pipeline: String = "sink-divergence{lambda=300}") throws
  -> (plain: Graph, surgery: Graph)
{
  let plain = try Llama(toyConfig, dtype: .f64).trainingGraph(batch: batch, tokens: tokens)
  var manager = try PassManager(pipeline: pipeline)
  return (plain, try manager.run(plain).graph)
}

func trainingInputs(batch: Int, tokens: Int, seed: UInt64) throws -> [String: HostTensor] {
  var rng = SeededGenerator(seed: seed)
  let ids = (0..<batch).map { _ in (0..<tokens).map { _ in Int.random(in: 0..<32, using: &rng) } }
  let labels = ids.map { Array($0.dropFirst()) + [0] }
  let mask = ids.flatMap { _ in (0..<tokens).map { Double($0 < tokens - 1 ? 1 : 0) } }
  return [
    "tokens": try tokenTensor(ids), "labels": try tokenTensor(labels),
    "loss_mask": try HostTensor(TensorType(.f64, [batch, tokens]), doubles: mask),
  ]
}

/// Runs the plain forward graph with its attention probabilities as results, and computes the
/// reference `attn[:, h, 1:, k].mean()` per layer and head for one sequence.
func referenceAlphas(_ sequence: [Int], weights: [String: HostTensor], sink: Int = 0) throws
  -> [[Double]]
{
  let t = sequence.count
  var g = try Llama(toyConfig, dtype: .f64).forwardGraph(batch: 1, tokens: t)
  let softmaxes = SinkDivergence.attentionSoftmaxes(in: g)
  #expect(softmaxes.count == toyConfig.layers)
  g.results = softmaxes.enumerated().map {
    GraphResult(name: "attn_\($0.offset)", value: $0.element.result)
  }
  var inputs = weights
  inputs["tokens"] = try tokenTensor([sequence])
  inputs["attention_mask"] = try HostTensor(shape: [1, t], [Int32](repeating: 1, count: t))
  inputs["positions"] = try HostTensor(shape: [1, t], (0..<t).map(Int32.init))
  let out = try Interpreter().run(g, inputs: inputs)
  let h = toyConfig.heads
  return try (0..<toyConfig.layers).map { layer in
    let a = try #require(out["attn_\(layer)"]).doubles  // [1, H, T, T]
    return (0..<h).map { head in
      let column = (1..<t).map { i in a[(head * t + i) * t + sink] }
      return column.reduce(0, +) / Double(column.count)
    }
  }
}

@Suite struct SinkDivergenceTests {
  @Test func findsEveryAttentionSoftmaxByStructure() throws {
    let plain = try Llama(toyConfig, dtype: .f64).trainingGraph(batch: 2, tokens: 5)
    let found = SinkDivergence.attentionSoftmaxes(in: plain)
    #expect(found.count == 2)
    // The cross-entropy's log_softmax and a plain softmax of a parameter are not attention.
    let b = GraphBuilder(name: "other")
    let x = b.parameter("x", TensorType(.f32, [1, 2, 3, 3]))
    let g = try b.build(results: [("y", b.softmax(x))])
    #expect(SinkDivergence.attentionSoftmaxes(in: g).isEmpty)
  }

  @Test func clonesHoldOnlyWhatTheAttentionNeeds() throws {
    let (plain, surgery) = try surgeryGraph(batch: 2, tokens: 6)
    var manager = try PassManager(pipeline: "cse,dce")
    let (cleaned, _) = try manager.run(surgery)
    let names = Set(cleaned.parameters.map(\.name))
    for p in ["harmful_tokens", "harmful_mask", "safe_tokens", "safe_mask"] {
      #expect(names.contains(p))
    }
    #expect(cleaned.parameter(named: "harmful_tokens")?.type == TensorType(.i32, [1, 6]))
    // No LM head, no final norm, no second-layer MLP in the clones.
    let cloneNodes = cleaned.nodes.filter { $0.name.hasPrefix("clones.") }
    let cloneMatmuls = cloneNodes.filter {
      if case .matmul = $0.op { return true } else { return false }
    }
    // Layer 0: q, k, v, scores, context, o, gate, up, down (9); layer 1: q, k, scores (3).
    #expect(cloneMatmuls.count == 12, "\(cloneMatmuls.map(\.name))")
    #expect(
      !cloneNodes.contains { if case .logSoftmax = $0.op { return true } else { return false } })
    #expect(
      cleaned.results.map(\.name) == [
        "loss", "task_loss", "sink_penalty", "sink_divergence", "sink_alpha_harmful",
        "sink_alpha_safe",
      ])
    _ = plain
  }

  @Test func penaltyEqualsTheReferenceFormula() throws {
    let (plain, surgery) = try surgeryGraph(batch: 2, tokens: 7)
    let weights = try toyWeights(plain, seed: 5)
    let harmful = [1, 5, 9, 2, 30, 7, 3]
    let safe = [1, 8, 8, 17, 4, 22, 6]
    var inputs = try trainingInputs(batch: 2, tokens: 7, seed: 9).merging(weights) { a, _ in a }
    inputs["harmful_tokens"] = try tokenTensor([harmful])
    inputs["safe_tokens"] = try tokenTensor([safe])
    inputs["harmful_mask"] = try HostTensor(shape: [1, 7], [Int32](repeating: 1, count: 7))
    inputs["safe_mask"] = inputs["harmful_mask"]
    let out = try Interpreter().run(surgery, inputs: inputs)
    let plainOut = try Interpreter().run(
      plain, inputs: inputs.filter { name, _ in plain.parameter(named: name) != nil })
    let alphaHarmful = try referenceAlphas(harmful, weights: weights)
    let alphaSafe = try referenceAlphas(safe, weights: weights)
    let d = zip(alphaHarmful.joined(), alphaSafe.joined()).map { $0 - $1 }
    let penalty = d.map { max($0, 0) }.reduce(0, +) / Double(d.count)
    let gotD = try #require(out["sink_divergence"]).doubles
    for (x, y) in zip(gotD, d) { #expect(abs(x - y) < 1e-12) }
    #expect(
      try #require(out["sink_alpha_harmful"]).doubles.elementsEqual(alphaHarmful.joined()) {
        abs($0 - $1) < 1e-12
      })
    let gotPenalty = try #require(out["sink_penalty"]).doubles[0]
    #expect(abs(gotPenalty - penalty) < 1e-12, "pass \(gotPenalty), reference \(penalty)")
    #expect(
      d.contains { $0 > 0 } && d.contains { $0 < 0 },
      "the toy should have heads of both signs: \(d)")
    let taskLoss = try #require(plainOut["loss"]).doubles[0]
    #expect(try #require(out["task_loss"]).doubles[0] == taskLoss)
    #expect(abs(try #require(out["loss"]).doubles[0] - (taskLoss + 300 * penalty)) < 1e-9)
  }

  @Test func paddedSamplesAverageOverRealQueries() throws {
    // Right padding does not change α: real queries never see padded keys (causal mask).
    let (_, surgery) = try surgeryGraph(batch: 1, tokens: 8, pipeline: "sink-divergence{samples=2}")
    let weights = try toyWeights(surgery, seed: 5)
    let harmful = [1, 5, 9, 2, 30]
    let safe = [1, 8, 8, 17, 4, 22, 6, 11]
    var inputs = try trainingInputs(batch: 1, tokens: 8, seed: 1).merging(weights) { a, _ in a }
    inputs["harmful_tokens"] = try tokenTensor([harmful + [0, 0, 0], harmful + [0, 0, 0]])
    inputs["harmful_mask"] = try tokenTensor([[1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 0, 0, 0]])
    inputs["safe_tokens"] = try tokenTensor([safe, safe])
    inputs["safe_mask"] = try tokenTensor([
      [Int](repeating: 1, count: 8), [Int](repeating: 1, count: 8),
    ])
    let out = try Interpreter().run(surgery, inputs: inputs)
    let expected = try referenceAlphas(harmful, weights: weights).joined()
    let got = try #require(out["sink_alpha_harmful"]).doubles
    for (x, y) in zip(got, expected) { #expect(abs(x - y) < 1e-12) }
  }

  @Test func penaltyGradientMatchesFiniteDifferences() throws {
    let (_, surgery) = try surgeryGraph(batch: 2, tokens: 5, pipeline: "sink-divergence{lambda=1}")
    let b = GraphBuilder(continuing: surgery)
    var graph = b.graph
    graph.results = [
      GraphResult(name: "penalty", value: try #require(surgery.result(named: "sink_penalty")).value)
    ]
    let weights = try toyWeights(surgery, seed: 11)
    var fixed = try trainingInputs(batch: 2, tokens: 5, seed: 2).merging(weights) { a, _ in a }
    fixed["harmful_tokens"] = try tokenTensor([[1, 4, 7, 2, 9]])
    fixed["safe_tokens"] = try tokenTensor([[1, 3, 3, 8, 5]])
    fixed["harmful_mask"] = try tokenTensor([[1, 1, 1, 1, 1]])
    fixed["safe_mask"] = fixed["harmful_mask"]
    let wrt = [
      "model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
      "model.embed_tokens.weight",
    ]
    for name in wrt { fixed[name] = nil }
    // checkGradient draws the free weights at random in (-1, 1).
    try checkGradient(graph, of: "penalty", wrt: wrt, fixed: fixed, seed: 4, tolerance: 1e-5)
  }

  @Test func detachSafeStopsGradientsThroughTheSafeSide() throws {
    let (_, surgery) = try surgeryGraph(
      batch: 1, tokens: 4, pipeline: "sink-divergence{detach-safe=true}")
    #expect(surgery.nodes.contains { $0.op == .stopGradient })
  }

  @Test func selectedLayersAndHeadsOnly() throws {
    let (_, surgery) = try surgeryGraph(
      batch: 1, tokens: 6, pipeline: "sink-divergence{layers=1 heads=0,3}")
    let weights = try toyWeights(surgery, seed: 5)
    var inputs = try trainingInputs(batch: 1, tokens: 6, seed: 3).merging(weights) { a, _ in a }
    inputs["harmful_tokens"] = try tokenTensor([[1, 2, 3, 4, 5, 6]])
    inputs["safe_tokens"] = try tokenTensor([[1, 9, 8, 7, 6, 5]])
    inputs["harmful_mask"] = try tokenTensor([[1, 1, 1, 1, 1, 1]])
    inputs["safe_mask"] = inputs["harmful_mask"]
    let out = try Interpreter().run(surgery, inputs: inputs)
    let d = try #require(out["sink_divergence"]).doubles  // [2, 4]
    let expected = [d[4], d[7]].map { max($0, 0) }.reduce(0, +) / 2
    #expect(abs(try #require(out["sink_penalty"]).doubles[0] - expected) < 1e-12)
  }

  @Test func misuseIsAClearError() throws {
    let plain = try Llama(toyConfig, dtype: .f64).trainingGraph(batch: 1, tokens: 4)
    let cases: [(String, String)] = [
      ("grad{of=loss wrt=model.norm.weight},sink-divergence", "must run before"),
      ("sink-divergence{sink=9}", "outside the 4 key positions"),
      ("sink-divergence{sink=auto}", "calibration"),
      ("sink-divergence{layers=5}", "layers must be in 0..<2"),
      ("sink-divergence{loss=nope}", "no result 'nope'"),
      ("sink-divergence{tokens=labels_x}", "integer token input"),
      ("sink-divergence,sink-divergence", "already has a parameter"),
    ]
    for (pipeline, message) in cases {
      do {
        var manager = try PassManager(pipeline: pipeline)
        _ = try manager.run(plain)
        Issue.record("\(pipeline) should fail")
      } catch {
        #expect("\(error)".contains(message), "\(pipeline): \(error)")
      }
    }
    let b = GraphBuilder(name: "mlp")
    let x = b.parameter("tokens", TensorType(.i32, [2, 3]))
    let w = b.parameter("w", TensorType(.f32, [8, 4]))
    let loss = b.sum(b.gather(w, x), axes: [0, 1, 2])
    var manager = try PassManager(pipeline: "sink-divergence")
    #expect(throws: PassError.self) { try manager.run(try b.build(results: [("loss", loss)])) }
  }
}

@Suite struct SinkDivergenceGoldenTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/passes")

  /// Before/expected IR on a two-layer toy (Tests/Fixtures/passes/sink_divergence_toy*.ir):
  /// one clone of a harmful and a safe row sharing the embedding and the mask, the query
  /// weights once, the per-layer sink columns split by side, the penalty and the rewritten loss.
  @Test func twoLayerToyMatchesTheExpectedIR() throws {
    let before = try Parser.parseFile(
      Self.fixtures.appendingPathComponent("sink_divergence_toy.ir").path)
    let expected = try Parser.parseFile(
      Self.fixtures.appendingPathComponent("sink_divergence_toy.expected.ir").path)
    var manager = try PassManager(pipeline: "sink-divergence{lambda=2},dce")
    let got = try manager.run(before.graphs[0]).graph
    #expect(got == expected.graphs[0], "got:\n\(printGraph(got))")
  }
}

/// Roles and attention marks: what the clones copy and share, and how attention is found.
@Suite struct SinkDivergenceRoleTests {
  static let gpt2Path = SinkDivergenceGoldenTests.fixtures.appendingPathComponent(
    "sink_divergence_gpt2.ir"
  ).path

  /// The hand-written GPT-2-style block, in f64 when asked.
  func gpt2(_ dtype: DType = .f32) throws -> Graph {
    let text = try String(contentsOfFile: Self.gpt2Path, encoding: .utf8)
    return try Parser().parseGraph(
      dtype == .f32 ? text : text.replacingOccurrences(of: "f32", with: dtype.rawValue))
  }

  /// A causal additive bias `[n, 1, 3, 3]`: 0 where key j ≤ query i, −1e9 above.
  func causalBias(_ n: Int) throws -> HostTensor {
    let square = (0..<3).flatMap { i in (0..<3).map { j in j <= i ? 0.0 : -1e9 } }
    return try HostTensor(
      TensorType(.f64, [n, 1, 3, 3]), doubles: Array((0..<n).map { _ in square }.joined()))
  }

  @Test func gpt2BlockMatchesTheExpectedIR() throws {
    let expected = try Parser.parseFile(
      SinkDivergenceGoldenTests.fixtures.appendingPathComponent("sink_divergence_gpt2.expected.ir")
        .path)
    var manager = try PassManager(pipeline: "sink-divergence{lambda=2},dce")
    let (got, context) = try manager.run(try gpt2())
    #expect(got == expected.graphs[0], "got:\n\(printGraph(got))")
    // The position table is shared, the float bias copied as an input, per side.
    let names = got.parameters.map(\.name)
    #expect(!names.contains { $0.hasSuffix("_wpe") || $0.hasSuffix("_wte") }, "\(names)")
    for side in ["harmful", "safe"] {
      let bias = try #require(got.parameter(named: "\(side)_bias"))
      #expect(bias.role == .input && bias.type == TensorType(.f32, [1, 1, 3, 3]))
    }
    let weights = try gpt2().weights.map(\.name)
    #expect(got.weights.map(\.name) == weights)
    #expect(context.statistics["sink-divergence.attention-layers"] == 1)
    #expect(context.statistics["sink-divergence.heads"] == 2)
    #expect(
      context.notes["sink-divergence"]
        == "1 attention layer × 2 heads (found by structure): layer 0 %p")
  }

  @Test func penaltyGradientReachesTheSharedPositionTable() throws {
    var manager = try PassManager(pipeline: "sink-divergence{lambda=1 samples=2}")
    var graph = try manager.run(try gpt2(.f64)).graph
    graph.results = [
      GraphResult(name: "penalty", value: try #require(graph.result(named: "sink_penalty")).value)
    ]
    #expect(graph.parameter(named: "harmful_bias")?.type == TensorType(.f64, [2, 1, 3, 3]))
    let fixed: [String: HostTensor] = [
      "tokens": try tokenTensor([[1, 2, 3]]),
      "labels": try HostTensor(shape: [1, 3, 1], [Int32(0), 1, 2]),
      "bias": try causalBias(1), "harmful_bias": try causalBias(2), "safe_bias": try causalBias(2),
      "harmful_tokens": try tokenTensor([[1, 4, 5], [2, 0, 3]]),
      "safe_tokens": try tokenTensor([[5, 5, 1], [3, 2, 4]]),
      "harmful_mask": try tokenTensor([[1, 1, 1], [1, 1, 0]]),
      "safe_mask": try tokenTensor([[1, 1, 1], [1, 1, 1]]),
    ]
    try checkGradient(
      graph, of: "penalty", wrt: ["wpe", "w_qkv", "wte"], fixed: fixed, seed: 3, tolerance: 1e-5)
    // The gradient is not zero: the penalty depends on the position table.
    let graded = try Gradient(of: "penalty", wrt: ["wpe"]).apply(to: graph)
    let out = try Interpreter().run(graded, inputs: try randomInputs(graph, seed: 3, fixed: fixed))
    #expect(try #require(out["grad_wpe"]).doubles.contains { abs($0) > 1e-6 })
  }

  @Test func gradWithoutWrtDifferentiatesEveryWeightAfterTheSurgeryPass() throws {
    var manager = try PassManager(pipeline: "sink-divergence,grad{of=loss}")
    let graph = try manager.run(try gpt2()).graph
    let gradients = graph.results.map(\.name).filter { $0.hasPrefix("grad_") }
    let weights = try gpt2().weights.map { "grad_\($0.name)" }
    #expect(gradients == weights)
  }

  @Test func markedSoftmaxesAreFoundWhateverTheScaling() throws {
    // Scores scaled by a learned temperature (a weight, not a constant): no structural match.
    func graph(marked: Bool) throws -> Graph {
      let b = GraphBuilder(name: "tempered")
      let tokens = b.parameter("tokens", TensorType(.i32, [1, 3]))
      let table = b.parameter("table", TensorType(.f32, [5, 4]))
      let temperature = b.parameter("temperature", .scalar(.f32))
      let x = b.reshape(b.gather(table, tokens), [1, 1, 3, 4])
      let scores = b.mul(b.matmul(x, x, transposeB: true), temperature)
      let p = b.softmax(scores, attention: marked)
      return try b.build(results: [("loss", b.mean(b.matmul(p, x), axes: [0, 1, 2, 3]))])
    }
    let unmarked = try graph(marked: false)
    #expect(SinkDivergence.attentionSoftmaxes(in: unmarked).isEmpty)
    let found = try SinkDivergence.attention(in: try graph(marked: true))
    #expect(found.marked && found.softmaxes.count == 1 && found.heads == 1 && found.keys == 3)
    do {
      _ = try SinkDivergence().apply(to: unmarked)
      Issue.record("an unmarked, unrecognisable attention was accepted")
    } catch {
      #expect(error.message.contains("found no attention in @tempered"), "\(error)")
      #expect(error.message.contains("mark the attention softmaxes"), "\(error)")
    }
  }

  @Test func layerAPIMarksEveryAttentionSoftmax() throws {
    let plain = try Llama(toyConfig, dtype: .f64).trainingGraph(batch: 1, tokens: 4)
    let found = try SinkDivergence.attention(in: plain)
    #expect(found.marked && found.softmaxes.count == toyConfig.layers)
    #expect(found.summary.hasPrefix("2 attention layers × 4 heads (marked softmaxes): layer 0 %"))
    let text = printGraph(plain)
    #expect(text.components(separatedBy: "attention = true").count - 1 == toyConfig.layers)
    #expect(try Parser().parseGraph(text) == plain)
  }

  @Test(arguments: [2, 3])
  func aWeightWithTheBatchAxisCannotBeShared(batch: Int) throws {
    // A [B, 3, 4] weight added to batch-B activations holds one row per sequence: the 2-row
    // clone can neither copy nor share it, also when B is 2 and the shapes would fit.
    let b = GraphBuilder(name: "batched_weight")
    let tokens = b.parameter("tokens", TensorType(.i32, [batch, 3]))
    let table = b.parameter("table", TensorType(.f32, [5, 4]))
    let shift = b.parameter("shift", TensorType(.f32, [batch, 3, 4]))
    let x = b.reshape(b.add(b.gather(table, tokens), shift), [batch, 1, 3, 4])
    let p = b.softmax(b.matmul(x, x, transposeB: true), attention: true)
    let g = try b.build(results: [("loss", b.mean(p, axes: [0, 1, 2, 3]))])
    do {
      _ = try SinkDivergence().apply(to: g)
      Issue.record("a batch-shaped weight was copied or shared")
    } catch {
      #expect(
        error.message.contains("weight '%shift' f32[\(batch),3,4] has the batch (\(batch))"),
        "\(error)")
    }
  }
}
