import Foundation
import IR
import Models
import Runtime
import Safety
import Testing

/// A tiny random Llama with tied embeddings and a byte-level tokenizer (ids 0–255 the bytes,
/// 256/257 the ChatML markers).
func tinyVerdictModel() throws -> LoadedLanguageModel {
  let config = LlamaConfig(
    vocabulary: 258, dimension: 16, layers: 2, heads: 4, kvHeads: 2, hidden: 24,
    tiedEmbeddings: true)
  var random = SeededRandom(seed: 11)
  var weights: [String: HostTensor] = [:]
  for p in try Llama(config).forwardGraph(batch: 1, tokens: 1).parameters
  where !["tokens", "attention_mask", "positions"].contains(p.name) {
    let values = (0..<p.type.count).map { _ -> Float in
      let u = Float(random.nextUnitInterval()) * 2 - 1
      return p.name.hasSuffix("norm.weight") ? 1 + 0.1 * u : 0.5 * u
    }
    weights[p.name] = try HostTensor(shape: p.type.shape, values)
  }
  // GPT-2's printable stand-ins for the bytes.
  var printable = Array(33...126) + Array(161...172) + Array(174...255)
  var codes = printable
  var extra = 0
  for b in 0..<256 where !printable.contains(b) {
    printable.append(b)
    codes.append(256 + extra)
    extra += 1
  }
  var tokens = Array(repeating: "", count: 256)
  for (b, c) in zip(printable, codes) {
    tokens[b] = String(UnicodeScalar(UInt32(c)).map(Character.init) ?? "?")
  }
  let tokenizer = try ByteLevelBPETokenizer(
    tokens: tokens + ["<|im_start|>", "<|im_end|>"], merges: [], specialTokenIds: [256, 257],
    splitsDigits: false)
  return try LoadedLanguageModel(
    location: ModelLocation(format: .directory, path: "<tiny>"), config: config,
    weights: weights, tokenizer: tokenizer, chatTemplate: .smolLM2, stopTokenIds: [257])
}

@Suite struct VerdictEncoderTests {
  /// Every coordinate against the interpreter's forward graph on each sequence alone: the
  /// verdict from its last-position logits, and padding, batching and the repeated rows of a
  /// short batch change nothing.
  @Test func matchesTheForwardGraphAlone() throws {
    let model = try tinyVerdictModel()
    let yes = [89, 121]  // "Y", "y"
    let no = [78]  // "N"
    let encoder = try VerdictEncoder(
      model: model, maxTokens: 1000, batchSize: 2, verdictTokens: (yes, no))
    let sequences = [[5, 9, 200, 31, 7], [100, 3, 3, 250, 17, 64, 2, 9, 11], [42, 42, 1]]
    let vectors = try encoder.encode(ids: sequences)
    let d = model.config.dimension
    #expect(encoder.dimension == 2 * d + 1 && encoder.featureCount == 2 * d)
    #expect(encoder.verdictIndex == 2 * d)
    for (ids, v) in zip(sequences, vectors) {
      #expect(v.count == encoder.dimension)
      let graph = try Llama(model.config).forwardGraph(batch: 1, tokens: ids.count)
      var inputs: [String: HostTensor] = model.weights.filter { name, _ in
        graph.parameters.contains { $0.name == name }
      }
      inputs["tokens"] = try HostTensor(shape: [1, ids.count], ids.map { Int32($0) })
      inputs["attention_mask"] = try HostTensor(
        shape: [1, ids.count], [Int32](repeating: 1, count: ids.count))
      inputs["positions"] = try HostTensor(
        shape: [1, ids.count], (0..<ids.count).map { Int32($0) })
      let logits = try #require(
        try InterpreterBackend().prepare(graph).run(inputs)["logits"]?.array(of: Float.self))
      let last = Array(logits.suffix(model.config.vocabulary)).map(Double.init)
      func lse(_ ids: [Int]) -> Double {
        let top = ids.map { last[$0] }.max() ?? 0
        return top + log(ids.map { exp(last[$0] - top) }.reduce(0, +))
      }
      let expected = lse(yes) - lse(no)
      // f32 dot products of length 16 over logits of order 10: a few ulps of the largest term.
      let scale = max(1, last.map(abs).max() ?? 1)
      #expect(abs(Double(v[2 * d]) - expected) < 1e-5 * scale, "\(ids)")
      for part in [v[0..<d], v[d..<(2 * d)]] {
        let norm = part.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(abs(norm - 1) < 1e-5)
      }
      let alone = try encoder.encode(ids: [ids])[0]
      let difference = zip(alone, v).map { abs($0 - $1) }.max() ?? 1
      #expect(Double(difference) < 1e-4 * scale, "\(ids)")
    }
  }

  /// A long text is cut inside the moderation prompt: the question at the end is kept and the
  /// whole fits `maxTokens`.
  @Test func longTextsKeepTheQuestion() throws {
    let model = try tinyVerdictModel()
    let short = try VerdictEncoder(model: model, maxTokens: 1000, verdictTokens: ([89], [78]))
      .promptIds("hi")
    let limit = short.count + 40
    let encoder = try VerdictEncoder(model: model, maxTokens: limit, verdictTokens: ([89], [78]))
    let long = encoder.promptIds(String(repeating: "a long answer ", count: 200))
    #expect(long.count == limit)
    #expect(long.suffix(40) == short.suffix(40))
    #expect(long.prefix(40) == short.prefix(40))
    #expect(throws: SafetyError.self) {
      _ = try VerdictEncoder(model: model, maxTokens: 20, verdictTokens: ([89], [78]))
    }
  }
}
