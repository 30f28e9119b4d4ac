import Foundation
import IR
import Models
import Runtime
import Testing

/// SmolLM2 (GGUF) and all-MiniLM-L6-v2 (safetensors) against transformers, from the fixtures
/// that scripts/parity/make_fixtures.py writes. The models come from scripts/fetch-models.
@Suite(.serialized) struct PretrainedParityTests {
  @Test func smolLM2TokensAndTopLogitsMatchTransformers() throws {
    let gguf = try GGUFFile(
      path: try modelFile("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    let config = try LlamaCheckpoint.config(gguf)
    #expect(
      config.layers == 30 && config.dimension == 576 && config.heads == 9 && config.kvHeads == 3)
    #expect(config.tiedEmbeddings && config.vocabulary == 49152 && config.ropeBase == 100000)
    let weights = try LlamaCheckpoint.weights(gguf, config: config)
    let tokenizer = try ByteLevelBPETokenizer(gguf: gguf)
    let fixture = try Repository.json("parity/smollm2.json")
    let cases = try #require(fixture["cases"] as? [[String: Any]])
    #expect(cases.count >= 5)
    for c in cases {
      let text = try #require(c["text"] as? String)
      let expectedTokens = ints(c["tokens"])
      #expect(tokenizer.encode(text) == expectedTokens, "tokens of \(text.debugDescription)")
      let count = expectedTokens.count
      let g = try Llama(config).forwardGraph(batch: 1, tokens: count)
      let out = try run(
        g,
        inputs: [
          "tokens": try HostTensor(shape: [1, count], expectedTokens.map(Int32.init)),
          "attention_mask": try HostTensor(shape: [1, count], [Int32](repeating: 1, count: count)),
          "positions": try HostTensor(shape: [1, count], (0..<count).map(Int32.init)),
        ], weights: weights)
      let logits = try #require(out["logits"]?.array(of: Float.self))
      let vocabulary = config.vocabulary
      let topIds = (c["top_ids"] as? [[Any]] ?? []).map(ints)
      let topLogits = (c["top_logits"] as? [[Any]] ?? []).map(doubles)
      var worst = 0.0
      for t in 0..<count {
        for (id, value) in zip(topIds[t], topLogits[t]) {
          worst = max(worst, abs(Double(logits[t * vocabulary + id]) - value))
        }
        // The same token wins at every position.
        let row = logits[(t * vocabulary)..<((t + 1) * vocabulary)]
        #expect(row.firstIndex(of: row.max()!)! - t * vocabulary == topIds[t][0])
      }
      #expect(worst < 1e-3, "\(text.prefix(40)): max |Δlogit| over the top-20 = \(worst)")
    }
  }

  @Test func miniLMEmbeddingsMatchSentenceTransformers() throws {
    let directory = URL(fileURLWithPath: try modelFile("minilm", "model.safetensors"))
      .deletingLastPathComponent()
    let weights = try SafetensorsFile(
      path: directory.appendingPathComponent("model.safetensors").path
    ).allTensors()
    let tokenizer = try WordPieceTokenizer(
      tokenizerJSON: directory.appendingPathComponent("tokenizer.json").path)
    let fixture = try Repository.json("parity/minilm.json")
    let sentences = try #require(fixture["sentences"] as? [String])
    let tokens = (fixture["tokens"] as? [[Any]] ?? []).map(ints)
    let mask = (fixture["attention_mask"] as? [[Any]] ?? []).map(ints)
    let expected = (fixture["embeddings"] as? [[Any]] ?? []).map(doubles)
    let (batch, count) = (tokens.count, tokens[0].count)
    for (i, s) in sentences.enumerated() {
      let real = tokens[i].prefix(mask[i].reduce(0, +))
      #expect(tokenizer.encode(s) == Array(real), "tokens of \(s)")
    }
    let (g, _) = try Bert(.miniLM).embeddingGraph(batch: batch, tokens: count)
    let out = try run(
      g,
      inputs: [
        "tokens": try HostTensor(shape: [batch, count], tokens.flatMap { $0.map(Int32.init) }),
        "attention_mask": try HostTensor(
          shape: [batch, count], mask.flatMap { $0.map(Int32.init) }),
      ], weights: weights)
    let embeddings = try #require(out["embeddings"]).doubles
    let d = 384
    for i in 0..<batch {
      let e = Array(embeddings[(i * d)..<((i + 1) * d)])
      let cosine = cosineSimilarity(e, expected[i])
      #expect(cosine > 0.9999, "\(sentences[i]): cosine \(cosine)")
    }
  }
}

func cosineSimilarity(_ a: [Double], _ b: [Double]) -> Double {
  var (dot, na, nb) = (0.0, 0.0, 0.0)
  for (x, y) in zip(a, b) {
    dot += x * y
    na += x * x
    nb += y * y
  }
  return dot / (na.squareRoot() * nb.squareRoot())
}
