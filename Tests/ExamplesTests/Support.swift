import ExampleArchitectures
import Foundation
import IR
import Models
import Passes
import Runtime
import Testing

/// Repository paths for fixtures.
enum Repository {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static func fixture(_ path: String) -> String {
    root.appendingPathComponent("Tests/Fixtures/" + path).path
  }
}

/// Small f64 models of both example architectures (and the windowed ALiBi variant).
enum TinyExamples {
  static let gpt2 = GPT2(
    GPT2Config(vocabulary: 19, dimension: 8, layers: 2, heads: 2, hidden: 16, contextLength: 8),
    dtype: .f64)
  static let alibi = ALiBiDecoder(
    ALiBiConfig(vocabulary: 19, dimension: 12, layers: 2, heads: 3, hidden: 16), dtype: .f64)
  static let alibiWindow = ALiBiDecoder(
    ALiBiConfig(vocabulary: 19, dimension: 8, layers: 2, heads: 4, hidden: 16, window: 3),
    dtype: .f64)
}

/// Random weights for every weight parameter of `graph`, in its dtype: matrices N(0, 0.3²),
/// biases N(0, 0.1²), norm gains 1 + N(0, 0.1²), so that every weight affects the loss.
func randomWeights(_ graph: Graph, seed: UInt64) throws -> [String: HostTensor] {
  var random = SeededRandom(seed: seed)
  var out: [String: HostTensor] = [:]
  for p in graph.weights {
    let values = (0..<p.type.count).map { _ in
      let n = random.normal()
      return p.type.rank > 1 ? 0.3 * n : p.name.hasSuffix(".bias") ? 0.1 * n : 1 + 0.1 * n
    }
    out[p.name] = try HostTensor(p.type, doubles: values)
  }
  return out
}

/// A language-modelling batch `[B, T]` of ids below `vocabulary`: the last row right-padded
/// (id 0) after half the length, labels the next token, loss on real next tokens after the first.
func trainingBatch(vocabulary: Int, batch: Int, tokens: Int, seed: UInt64) throws -> [String:
  HostTensor]
{
  var random = SeededRandom(seed: seed)
  var ids = (0..<batch * tokens).map { _ in Int32(1 + random.next() % UInt64(vocabulary - 1)) }
  var labels = [Int32](repeating: 0, count: batch * tokens)
  var mask = [Double](repeating: 0, count: batch * tokens)
  for r in 0..<batch {
    let real = r == batch - 1 ? tokens / 2 : tokens
    for t in real..<tokens { ids[r * tokens + t] = 0 }
    for t in 0..<(real - 1) {
      labels[r * tokens + t] = ids[r * tokens + t + 1]
      mask[r * tokens + t] = t >= 1 ? 1 : 0
    }
  }
  return [
    "tokens": try HostTensor(shape: [batch, tokens], ids),
    "labels": try HostTensor(shape: [batch, tokens], labels),
    "loss_mask": try HostTensor(TensorType(.f64, [batch, tokens]), doubles: mask),
  ]
}

/// Checks `grad` of the scalar `of` with respect to every weight against central finite
/// differences in `directions` random directions v: (L(w + εv) − L(w − εv)) / 2ε ≈ ⟨∇L, v⟩.
/// In f64 with ε = 1e-6 the truncation error is O(ε²) and the rounding error O(u/ε) ≈ 1e-10
/// relative, so 1e-6 relative (to max(1, |values|)) fails on any wrong gradient term.
func checkWeightGradients(
  _ graph: Graph, inputs: [String: HostTensor], weights: [String: HostTensor],
  of: String = "loss", directions: Int = 3, seed: UInt64 = 5,
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let names = graph.weights.map(\.name)
  let graded = try Gradient(of: of, wrt: names).apply(to: graph)
  let interpreter = Interpreter()
  let out = try interpreter.run(graded, inputs: inputs.merging(weights) { $1 })
  func value(_ w: [String: HostTensor]) throws -> Double {
    let result = try interpreter.run(graph, inputs: inputs.merging(w) { $1 })[of]
    return try #require(result, sourceLocation: sourceLocation).doubles[0]
  }
  var random = SeededRandom(seed: seed)
  let eps = 1e-6
  for _ in 0..<directions {
    var (plus, minus) = (weights, weights)
    var predicted = 0.0
    for name in names {
      let w = try #require(weights[name], sourceLocation: sourceLocation)
      let v = (0..<w.count).map { _ in random.normal() }
      let g = try #require(out["grad_\(name)"], "no grad_\(name)", sourceLocation: sourceLocation)
      predicted += zip(g.doubles, v).map(*).reduce(0, +)
      plus[name] = try HostTensor(w.type, doubles: zip(w.doubles, v).map { $0 + eps * $1 })
      minus[name] = try HostTensor(w.type, doubles: zip(w.doubles, v).map { $0 - eps * $1 })
    }
    let numeric = (try value(plus) - value(minus)) / (2 * eps)
    #expect(
      abs(numeric - predicted) <= 1e-6 * max(1, abs(numeric), abs(predicted)),
      "\(graph.name): finite differences \(numeric), gradient \(predicted)",
      sourceLocation: sourceLocation)
  }
}
