import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

/// Per-head sink values of SmolLM2 through the Surgery pass against transformers
/// (`output_attentions=True`, eager attention), from Tests/Fixtures/parity/smollm2_sink.json.
@Suite(.serialized) struct SinkDivergenceParityTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// SmolLM2 from the tools' cache (`CacheLocation`), fetched with this checkout's script if
  /// missing.
  func smolLM2() throws -> String {
    let store = ModelStore(
      cacheDirectory: CacheLocation.root(),
      fetchScript: Self.root.appendingPathComponent("scripts/fetch-models").path)
    return try store.locate(.known(.smolLM2)).path
  }

  @Test func sinkDivergenceMatchesTransformersOnSmolLM2() throws {
    let gguf = try GGUFFile(path: try smolLM2())
    let config = try LlamaCheckpoint.config(gguf)
    let weights = try LlamaCheckpoint.weights(gguf, config: config)
    let data = try Data(
      contentsOf: Self.root.appendingPathComponent("Tests/Fixtures/parity/smollm2_sink.json"))
    let fixture = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let cases = try #require(fixture["cases"] as? [[String: Any]])
    #expect(cases.count == 3)
    for c in cases {
      let harmful = try #require(c["harmful_tokens"] as? [Int])
      let safe = try #require(c["safe_tokens"] as? [Int])
      let length = max(harmful.count, safe.count)
      // The training graph of one row at this length, rewritten, keeping only the sink tables.
      let training = try Llama(config).trainingGraph(batch: 1, tokens: length)
      var manager = PassManager(passes: [SinkDivergence(lambda: 1, sink: 0)])
      var g = try manager.run(training).graph
      g.results = g.results.filter { $0.name.hasPrefix("sink_") }
      var cleanup = try PassManager(pipeline: "cse,dce")
      g = try cleanup.run(g).graph
      func padded(_ ids: [Int]) throws -> (HostTensor, HostTensor) {
        let tokens = ids + [Int](repeating: 2, count: length - ids.count)
        let mask = ids.map { _ in Int32(1) } + [Int32](repeating: 0, count: length - ids.count)
        return (
          try HostTensor(shape: [1, length], tokens.map(Int32.init)),
          try HostTensor(shape: [1, length], mask)
        )
      }
      var inputs = weights
      (inputs["harmful_tokens"], inputs["harmful_mask"]) = try padded(harmful)
      (inputs["safe_tokens"], inputs["safe_mask"]) = try padded(safe)
      // The plain training inputs are not needed by the tables; feed zeros.
      for name in ["tokens", "labels"] {
        inputs[name] = try HostTensor.zeros(TensorType(.i32, [1, length]))
      }
      inputs["loss_mask"] = try HostTensor.zeros(TensorType(.f32, [1, length]))
      let out = try Interpreter().run(
        g, inputs: inputs.filter { name, _ in g.parameter(named: name) != nil })
      let expectedHarmful = try #require(c["harmful_alpha"] as? [[Double]]).joined()
      let expectedSafe = try #require(c["safe_alpha"] as? [[Double]]).joined()
      let gotHarmful = try #require(out["sink_alpha_harmful"]).doubles
      let gotSafe = try #require(out["sink_alpha_safe"]).doubles
      let gotD = try #require(out["sink_divergence"]).doubles
      #expect(gotD.count == 270)
      var worst = 0.0
      for (i, (h, s)) in zip(expectedHarmful, expectedSafe).enumerated() {
        worst = max(worst, abs(gotHarmful[i] - h), abs(gotSafe[i] - s), abs(gotD[i] - (h - s)))
      }
      #expect(worst < 1e-4, "max |Δ| over alpha and d_h = \(worst)")
    }
  }
}
