import ExampleArchitectures
import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

/// The example architectures against the PyTorch versions of
/// `scripts/parity/make_example_fixtures.py`: logits, loss and every weight's gradient.
///
/// The fixture's weights are f32 values computed on in float64; the graphs here run in f64 on
/// the same values, so the two differ only by the summation order of f64 arithmetic: a relative
/// error of order (terms summed) · 2⁻⁵³ ≈ 1e-14 per op, far below the 1e-9 allowed, while any
/// wrong term (a mask off by one, a slope, a missing bias) changes results at 1e-3 or more.
@Suite struct PyTorchParityTests {
  struct Fixture {
    var reference: [String: Any]
    var weights: [String: HostTensor]
    var gradients: [String: HostTensor]

    init(_ name: String) throws {
      let path = Repository.fixture("examples/\(name).json")
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      reference = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      weights = try SafetensorsFile(path: Repository.fixture("examples/\(name).safetensors"))
        .allTensors().mapValues { try HostTensor(TensorType(.f64, $0.shape), doubles: $0.doubles) }
      gradients = try SafetensorsFile(
        path: Repository.fixture("examples/\(name)_gradients.safetensors")
      ).allTensors()
    }

    var config: [String: Any] { reference["config"] as? [String: Any] ?? [:] }
    func part(_ key: String) -> [String: Any] { reference[key] as? [String: Any] ?? [:] }

    func int(_ key: String) throws -> Int { try #require(config[key] as? Int, "config \(key)") }

    /// An integer or float `[B, T]` table of the fixture as a tensor of `dtype`.
    func table(_ part: String, _ key: String, _ dtype: DType) throws -> HostTensor {
      let rows = try #require(self.part(part)[key] as? [[Double]], "\(part).\(key)")
      return try HostTensor(
        TensorType(dtype, [rows.count, rows[0].count]), doubles: rows.flatMap { $0 })
    }
  }

  static func gpt2(_ f: Fixture) throws -> GPT2 {
    GPT2(
      GPT2Config(
        vocabulary: try f.int("vocab_size"), dimension: try f.int("hidden_size"),
        layers: try f.int("num_hidden_layers"), heads: try f.int("num_attention_heads"),
        hidden: try f.int("intermediate_size"),
        contextLength: try f.int("max_position_embeddings")), dtype: .f64)
  }

  static func alibi(_ f: Fixture) throws -> ALiBiDecoder {
    ALiBiDecoder(
      ALiBiConfig(
        vocabulary: try f.int("vocab_size"), dimension: try f.int("hidden_size"),
        layers: try f.int("num_hidden_layers"), heads: try f.int("num_attention_heads"),
        hidden: try f.int("intermediate_size"), window: f.config["sliding_window"] as? Int),
      dtype: .f64)
  }

  /// Training and forward graphs of the fixture's model, in f64.
  static func graphs(_ name: String, _ f: Fixture) throws -> (training: Graph, forward: Graph) {
    let (batch, tokens) = (2, 6)
    if name == "gpt2" {
      let model = try gpt2(f)
      return (
        try model.trainingGraph(batch: batch, tokens: tokens),
        try model.forwardGraph(batch: batch, tokens: tokens)
      )
    }
    let model = try alibi(f)
    return (
      try model.trainingGraph(batch: batch, tokens: tokens),
      try model.forwardGraph(batch: batch, tokens: tokens)
    )
  }

  static func worst(_ got: [Double], _ expected: [Double]) -> Double {
    got.count == expected.count ? zip(got, expected).map { abs($0 - $1) }.max() ?? 0 : .infinity
  }

  @Test(arguments: ["gpt2", "alibi", "alibi_window"])
  func logitsMatchPyTorch(_ name: String) throws {
    let f = try Fixture(name)
    let graph = try Self.graphs(name, f).forward
    var inputs = f.weights
    inputs["tokens"] = try f.table("forward", "tokens", .i32)
    let mask = try f.table("forward", "attention_mask", .i32)
    inputs["attention_mask"] = mask
    if graph.parameter(named: "positions") != nil {
      inputs["positions"] = try f.table("forward", "positions", .i32)
    }
    let logits = try #require(try Interpreter().run(graph, inputs: inputs)["logits"])
    // Rows of real (unpadded) positions, in order.
    let vocabulary = logits.shape[2]
    let all = logits.doubles
    let real = mask.doubles.enumerated().filter { $0.element == 1 }.flatMap {
      all[($0.offset * vocabulary)..<(($0.offset + 1) * vocabulary)]
    }
    let expected = try #require(f.part("forward")["real_logits"] as? [[Double]]).flatMap { $0 }
    let scale = expected.map(abs).max() ?? 1
    let worst = Self.worst(real, expected)
    #expect(worst <= 1e-9 * scale, "\(name): max |Δlogit| \(worst), largest logit \(scale)")
  }

  @Test(arguments: ["gpt2", "alibi", "alibi_window"])
  func lossAndGradientsMatchPyTorch(_ name: String) throws {
    let f = try Fixture(name)
    let training = try Self.graphs(name, f).training
    #expect(Set(training.weights.map(\.name)) == Set(f.gradients.keys))
    let graded = try Gradient(of: "loss", wrt: training.weights.map(\.name)).apply(to: training)
    var inputs = f.weights
    inputs["tokens"] = try f.table("training", "tokens", .i32)
    inputs["labels"] = try f.table("training", "labels", .i32)
    inputs["loss_mask"] = try f.table("training", "loss_mask", .f64)
    let out = try Interpreter().run(graded, inputs: inputs)
    let loss = try #require(out["loss"]).doubles[0]
    let expectedLoss = try #require(f.part("training")["loss"] as? Double)
    #expect(
      abs(loss - expectedLoss) <= 1e-9 * abs(expectedLoss),
      "\(name): loss \(loss) vs \(expectedLoss)")
    for (weight, expected) in f.gradients {
      let got = try #require(out["grad_\(weight)"], "no gradient of \(weight)")
      #expect(got.shape == expected.shape)
      let scale = expected.doubles.map(abs).max() ?? 1
      let worst = Self.worst(got.doubles, expected.doubles)
      #expect(
        worst <= 1e-9 * max(scale, 1e-6), "\(name) \(weight): max |Δ| \(worst), largest \(scale)")
    }
  }
}
