import Foundation
import IR
import Models
import Runtime
import Testing

@Suite struct GenerationTests {
  let weights: [String: HostTensor]
  let config = TinyModels.config

  init() throws { weights = try TinyModels.weights() }

  func generator() -> TextGenerator {
    TextGenerator(runner: LlamaRunner(config: config, weights: weights))
  }

  func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
    a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
  }

  @Test func kvCacheGenerationEqualsRecomputingTheForwardPass() throws {
    let prompt = [72, 101, 108, 108, 111]
    let steps = 10
    let g = generator()
    let result = try #require(
      try g.generate([prompt], options: GenerationOptions(maxNewTokens: steps, recordLogits: true))
        .first)
    #expect(result.tokens.count == steps)
    #expect(result.finishReason == .length)
    // One prefill graph and one decode graph, prepared once for all steps.
    #expect(g.runner.preparedGraphs.count == 2)

    // Reference: the whole sequence through the forward graph at every step.
    let reference = LlamaRunner(config: config, weights: weights)
    var sequence = prompt
    for step in 0..<steps {
      let out = try reference.forward(try PaddedBatch(leftPadding: [sequence]), lastOnly: true)
      let logits = try #require(out["logits"]?.array(of: Float.self))
      let next = try #require(logits.indices.max { logits[$0] < logits[$1] })
      #expect(result.tokens[step] == next, "step \(step)")
      let difference = largestDifference(result.logits[step], logits)
      #expect(difference < 1e-4, "step \(step): max |Δlogit| = \(difference)")
      sequence.append(next)
    }
  }

  @Test func leftPaddedBatchEqualsOneAtATime() throws {
    let prompts = [[5, 9, 33], [200, 17, 64, 64, 1, 250], [42]]
    let options = GenerationOptions(maxNewTokens: 6, recordLogits: true)
    let batched = try generator().generate(prompts, options: options)
    for (r, prompt) in prompts.enumerated() {
      let alone = try #require(try generator().generate([prompt], options: options).first)
      #expect(batched[r].tokens == alone.tokens, "row \(r)")
      for (a, b) in zip(batched[r].logits, alone.logits) {
        #expect(largestDifference(a, b) < 1e-4, "row \(r)")
      }
    }
  }

  @Test func samplingIsReproducibleBySeed() throws {
    let prompt = [[10, 20, 30]]
    func sample(_ seed: UInt64) throws -> [Int] {
      let options = GenerationOptions(
        maxNewTokens: 12, sampling: .nucleus(temperature: 1.5, topP: 0.95), seed: seed)
      return try #require(try generator().generate(prompt, options: options).first).tokens
    }
    let first = try sample(1)
    #expect(try sample(1) == first)
    let others = try [2, 3, 4].map { try sample($0) }
    #expect(others.contains { $0 != first }, "different seeds should give different samples")
    // Row r of a batch samples with seed + r, so it matches the same prompt alone.
    let options = GenerationOptions(
      maxNewTokens: 8, sampling: .nucleus(temperature: 1.2, topP: 0.9), seed: 5)
    let batch = try generator().generate([[1, 2], [3, 4, 5]], options: options)
    var alone = options
    alone.seed = 6
    #expect(try generator().generate([[3, 4, 5]], options: alone).first?.tokens == batch[1].tokens)
  }

  @Test func nucleusSamplingFollowsTheDistribution() {
    var random = SeededRandom(seed: 11)
    let logits: [Float] = [0, Float(log(3.0)), -30]
    let sampling = Sampling.nucleus(temperature: 1, topP: 1)
    var counts = [0, 0, 0]
    for _ in 0..<4000 { counts[sampling.choose(logits[...], random: &random)] += 1 }
    #expect(abs(Double(counts[1]) / 4000 - 0.75) < 0.03, "\(counts)")
    #expect(counts[2] == 0)
    // A tiny top-p keeps only the most likely token.
    let narrow = Sampling.nucleus(temperature: 1, topP: 1e-6)
    for _ in 0..<50 { #expect(narrow.choose(logits[...], random: &random) == 1) }
    #expect(Sampling.greedy.choose(logits[...], random: &random) == 1)
  }

  @Test func stopTokenEndsTheRow() throws {
    let prompt = [7, 8, 9]
    let free = try #require(
      try generator().generate([prompt], options: GenerationOptions(maxNewTokens: 8)).first)
    let stopAt = 3
    let stop = free.tokens[stopAt]
    let expected = Array(free.tokens.prefix { $0 != stop })
    let stopped = try #require(
      try generator().generate(
        [prompt], options: GenerationOptions(maxNewTokens: 8, stopTokenIds: [stop])
      )
      .first)
    #expect(stopped.tokens == expected)
    #expect(stopped.finishReason == .stopToken(stop))
    // In a batch, the stopped row ends while the other continues to the limit.
    let batch = try generator().generate(
      [prompt, [100, 101]], options: GenerationOptions(maxNewTokens: 8, stopTokenIds: [stop]))
    #expect(batch[0].tokens == expected)
    let other = try #require(
      try generator().generate(
        [[100, 101]], options: GenerationOptions(maxNewTokens: 8, stopTokenIds: [stop])
      ).first)
    #expect(batch[1] == other)
  }

  @Test func aFixedCacheLengthSharesTheDecodeGraph() throws {
    let g = generator()
    let options = GenerationOptions(maxNewTokens: 4, recordLogits: true, cacheLength: 24)
    let a = try g.generate([[1, 2, 3]], options: options)
    let b = try g.generate([[4, 5, 6, 7, 8]], options: options)
    let decodes = g.runner.preparedGraphs.filter { if case .decode = $0 { true } else { false } }
    #expect(decodes == [.decode(batch: 1, cacheLength: 24)])
    // Extra empty slots change nothing.
    let exact = try generator().generate([[1, 2, 3]], options: GenerationOptions(maxNewTokens: 4))
    #expect(a[0].tokens == exact[0].tokens && b[0].tokens.count == 4)
  }

  @Test func badRequestsAreErrors() throws {
    let g = generator()
    #expect(throws: GenerationError.self) { try g.generate([]) }
    #expect(throws: GenerationError.self) { try g.generate([[]]) }
    #expect(throws: GenerationError.self) { try g.generate([[1, 999]]) }
    #expect(throws: GenerationError.self) { try g.generate([[-1]]) }
    #expect(throws: GenerationError.self) {  // beyond the 128-token context
      try g.generate([[1, 2]], options: GenerationOptions(maxNewTokens: 127))
    }
    #expect(throws: GenerationError.self) {
      try g.generate([[1, 2]], options: GenerationOptions(maxNewTokens: 5, cacheLength: 3))
    }
    #expect(throws: GenerationError.self) {
      try g.generate([[1]], options: GenerationOptions(sampling: .nucleus(temperature: 0, topP: 1)))
    }
    #expect(throws: GenerationError.self) {
      try g.generate([[1]], options: GenerationOptions(sampling: .nucleus(temperature: 1, topP: 0)))
    }
    #expect(
      try g.generate([[1]], options: GenerationOptions(maxNewTokens: 0)) == [
        Generation(tokens: [], finishReason: .length, logits: [])
      ])
  }

  @Test func textStreamHoldsBackSplitCharacters() throws {
    let dir = try temporaryDirectory()
    try TinyModels.writeTokenizerJSON(to: dir + "/tokenizer.json")
    let tokenizer = try ByteLevelBPETokenizer(tokenizerJSON: dir + "/tokenizer.json")
    var stream = TextStream(tokenizer: tokenizer)
    // "é" is bytes C3 A9, "€" E2 82 AC: one token per byte here.
    var pieces: [String] = []
    for byte in Array("aé€b".utf8) { pieces.append(try stream.append(Int(byte))) }
    #expect(pieces == ["a", "", "é", "", "", "€", "b"])
    #expect(try stream.append(257) == "")  // special tokens are skipped
    _ = try stream.append(0xE2)
    #expect(stream.finish() == "\u{FFFD}")
  }
}
