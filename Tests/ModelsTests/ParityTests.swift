import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

/// Repository paths for fixtures and scripts.
enum Repository {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static func fixture(_ path: String) -> String {
    root.appendingPathComponent("Tests/Fixtures/" + path).path
  }

  static func json(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixture(path)))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }
}

func doubles(_ any: Any?) -> [Double] {
  func flatten(_ v: Any?) -> [Double] {
    if let n = v as? NSNumber { return [n.doubleValue] }
    if let a = v as? [Any] { return a.flatMap(flatten) }
    return []
  }
  return flatten(any)
}

func ints(_ any: Any?) -> [Int] { doubles(any).map { Int($0) } }

/// Runs a graph whose parameters are the given inputs plus model weights.
func run(_ g: Graph, inputs: [String: HostTensor], weights: [String: HostTensor]) throws -> [String:
  HostTensor]
{
  var all = inputs
  for p in g.parameters where all[p.name] == nil { all[p.name] = weights[p.name] }
  return try Interpreter().run(g, inputs: all)
}

@Suite struct TinyLlamaParityTests {
  let reference: [String: Any]
  let config: LlamaConfig
  let weights: [String: HostTensor]

  init() throws {
    reference = try Repository.json("parity/tiny_llama/reference.json")
    config = try LlamaCheckpoint.config(
      huggingFaceJSON: Repository.fixture("parity/tiny_llama/config.json"))
    weights = try SafetensorsFile(path: Repository.fixture("parity/tiny_llama/model.safetensors"))
      .allTensors()
  }

  var tokens: [[Int]] { (reference["tokens"] as? [[Any]] ?? []).map(ints) }

  @Test func logitsMatchTransformers() throws {
    let (batch, count) = (tokens.count, tokens[0].count)
    let g = try Llama(config).forwardGraph(batch: batch, tokens: count)
    let out = try run(
      g,
      inputs: [
        "tokens": try HostTensor(shape: [batch, count], tokens.flatMap { $0.map(Int32.init) }),
        "attention_mask": try HostTensor(
          shape: [batch, count], [Int32](repeating: 1, count: batch * count)),
        "positions": try HostTensor(
          shape: [batch, count], (0..<batch).flatMap { _ in (0..<count).map(Int32.init) }),
      ], weights: weights)
    let logits = try #require(out["logits"]).doubles
    let expected = doubles(reference["logits"])
    #expect(logits.count == expected.count)
    let worst = zip(logits, expected).map { abs($0 - $1) }.max() ?? .infinity
    #expect(worst < 1e-4, "max |Δlogit| = \(worst)")
  }

  @Test func lossAndGradientsMatchTransformers() throws {
    let (batch, count) = (tokens.count, tokens[0].count)
    let hfLabels = (reference["labels"] as? [[Any]] ?? []).map(ints)
    // Hugging Face shifts inside the loss: position t predicts labels[t + 1]; -100 is ignored.
    var labels: [Int32] = []
    var mask: [Float] = []
    for row in hfLabels {
      for t in 0..<count {
        let next = t + 1 < count ? row[t + 1] : -100
        labels.append(Int32(max(next, 0)))
        mask.append(next == -100 ? 0 : 1)
      }
    }
    let gradients = try #require(reference["gradients"] as? [String: Any])
    let llama = Llama(config)
    let forward = try llama.trainingGraph(batch: batch, tokens: count)
    var manager = PassManager(passes: [Gradient(of: "loss", wrt: gradients.keys.sorted())])
    let (g, _) = try manager.run(forward)
    let out = try run(
      g,
      inputs: [
        "tokens": try HostTensor(shape: [batch, count], tokens.flatMap { $0.map(Int32.init) }),
        "labels": try HostTensor(shape: [batch, count], labels),
        "loss_mask": try HostTensor(shape: [batch, count], mask),
      ], weights: weights)
    let loss = try #require(out["loss"]).doubles[0]
    let expectedLoss = try #require(reference["loss"] as? Double)
    #expect(abs(loss - expectedLoss) < 1e-5, "loss \(loss) vs \(expectedLoss)")
    for (name, value) in gradients {
      let expected = doubles(value)
      let got = try #require(out["grad_\(name)"]).doubles
      let scale = expected.map(abs).max() ?? 1
      let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
      #expect(worst <= 1e-3 * scale, "\(name): max |Δ| \(worst), largest gradient \(scale)")
    }
  }

  @Test func rotaryLayoutsAgreeOnPermutedWeights() throws {
    // Permute q/k rows the way llama.cpp does and use adjacent pairs: same logits.
    var permuted = weights
    for (name, t) in weights
    where name.hasSuffix("q_proj.weight") || name.hasSuffix("k_proj.weight") {
      let heads = name.hasSuffix("q_proj.weight") ? config.heads : config.kvHeads
      let values = try #require(t.array(of: Float.self))
      let (rows, columns) = (t.shape[0], t.shape[1])
      let d = rows / heads
      var out = values
      for h in 0..<heads {
        for r in 0..<2 {
          for i in 0..<(d / 2) {
            let hf = (h * d + r * d / 2 + i) * columns
            let gguf = (h * d + 2 * i + r) * columns
            out[gguf..<(gguf + columns)] = values[hf..<(hf + columns)]
          }
        }
      }
      permuted[name] = try HostTensor(shape: t.shape, out)
      // The loader's inverse restores the Hugging Face rows.
      let restored = try LlamaCheckpoint.unpermuteRotaryRows(
        try #require(permuted[name]), heads: heads, file: "test", tensor: name)
      #expect(restored == t)
    }
    var adjacent = config
    adjacent.ropeLayout = .adjacentPairs
    let count = tokens[0].count
    let inputs: [String: HostTensor] = [
      "tokens": try HostTensor(shape: [1, count], tokens[0].map(Int32.init)),
      "attention_mask": try HostTensor(shape: [1, count], [Int32](repeating: 1, count: count)),
      "positions": try HostTensor(shape: [1, count], (0..<count).map(Int32.init)),
    ]
    let a = try run(
      try Llama(config).forwardGraph(batch: 1, tokens: count), inputs: inputs,
      weights: weights)
    let b = try run(
      try Llama(adjacent).forwardGraph(batch: 1, tokens: count), inputs: inputs,
      weights: permuted)
    #expect(
      try #require(a["logits"]).isClose(to: try #require(b["logits"]), rtol: 1e-5, atol: 1e-5))
  }
}
