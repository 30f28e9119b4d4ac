import Runtime

/// Options of one generation call.
public struct GenerationOptions: Sendable, Hashable {
  /// The most tokens to generate per prompt (a stop token counts).
  public var maxNewTokens: Int
  public var sampling: Sampling
  /// Seeds the draws of row r with `seed + r` (so a row samples the same alone or in a batch).
  public var seed: UInt64
  /// Tokens that end a row's generation (kept out of its `tokens`).
  public var stopTokenIds: Set<Int>
  /// Keep each step's logits in the result (for tests and analysis).
  public var recordLogits: Bool
  /// KV-cache slots per row; nil for exactly what the call needs. A fixed value lets calls with
  /// different prompt lengths share one prepared decode graph.
  public var cacheLength: Int?

  public init(
    maxNewTokens: Int = 64, sampling: Sampling = .greedy, seed: UInt64 = 0,
    stopTokenIds: Set<Int> = [], recordLogits: Bool = false, cacheLength: Int? = nil
  ) {
    self.maxNewTokens = maxNewTokens
    self.sampling = sampling
    self.seed = seed
    self.stopTokenIds = stopTokenIds
    self.recordLogits = recordLogits
    self.cacheLength = cacheLength
  }
}

/// Why a row stopped.
public enum FinishReason: Sendable, Hashable {
  /// It produced this stop token.
  case stopToken(Int)
  /// It reached `maxNewTokens`.
  case length
}

/// One prompt's generated tokens.
public struct Generation: Sendable, Hashable {
  /// The generated ids, without the stop token.
  public var tokens: [Int]
  public var finishReason: FinishReason
  /// With `recordLogits`: the logits each chosen token was picked from (stop token included).
  public var logits: [[Float]]

  public init(tokens: [Int], finishReason: FinishReason, logits: [[Float]] = []) {
    self.tokens = tokens
    self.finishReason = finishReason
    self.logits = logits
  }
}

/// Generates text with a Llama model: one prefill of the left-padded prompts with the forward
/// graph (`withCache`, `lastOnly`), then one decode-graph call per token with a host-side KV
/// cache of fixed length (so the decode graph is prepared once).
public final class TextGenerator {
  public let runner: LlamaRunner

  public init(runner: LlamaRunner) { self.runner = runner }

  /// A generator for a loaded model on `backend`.
  public convenience init(_ model: LoadedLanguageModel, backend: any Backend = InterpreterBackend())
  {
    self.init(runner: LlamaRunner(model, backend: backend))
  }

  /// Continues each prompt; `onToken(row, id)` is called as soon as a row's token is chosen
  /// (stop tokens excluded), for streaming.
  public func generate(
    _ prompts: [[Int]], options: GenerationOptions = GenerationOptions(),
    onToken: ((_ row: Int, _ token: Int) -> Void)? = nil
  ) throws -> [Generation] {
    let config = runner.config
    if let problem = options.sampling.problems().first { throw GenerationError(problem) }
    guard options.maxNewTokens >= 0 else {
      throw GenerationError("max new tokens must not be negative")
    }
    for (r, prompt) in prompts.enumerated() {
      if let bad = prompt.first(where: { $0 < 0 || $0 >= config.vocabulary }) {
        throw GenerationError("prompt \(r) holds token id \(bad), outside 0..<\(config.vocabulary)")
      }
    }
    let batch = try PaddedBatch(leftPadding: prompts)
    let (rows, length) = (batch.rows, batch.length)
    var results = Array(
      repeating: Generation(tokens: [], finishReason: .length, logits: []), count: rows)
    guard options.maxNewTokens > 0 else { return results }

    let needed = length + options.maxNewTokens - 1
    guard needed < config.contextLength else {
      throw GenerationError(
        "\(length) prompt tokens and \(options.maxNewTokens) new tokens exceed the model's "
          + "context of \(config.contextLength) tokens")
    }
    let slots = options.cacheLength ?? needed
    guard slots >= needed else {
      throw GenerationError(
        "a cache of \(slots) slots is too small for \(length) prompt tokens and "
          + "\(options.maxNewTokens) new tokens (needs \(needed))")
    }
    var cache = KeyValueCache(config: config, batch: rows, slots: slots)
    var outputs = try runner.forward(batch, withCache: true, lastOnly: true)
    try cache.store(outputs, at: 0, filled: batch.attentionMask)

    var random = (0..<rows).map { SeededRandom(seed: options.seed &+ UInt64($0)) }
    var finished = Array(repeating: false, count: rows)
    var last = Array(repeating: Int32(0), count: rows)
    let vocabulary = config.vocabulary
    for step in 0..<options.maxNewTokens {
      guard let logits = outputs["logits"]?.array(of: Float.self), logits.count == rows * vocabulary
      else {
        throw GenerationError("the graph returned no f32 logits of \(rows)×\(vocabulary)")
      }
      for r in 0..<rows where !finished[r] {
        let row = logits[(r * vocabulary)..<((r + 1) * vocabulary)]
        let token = options.sampling.choose(row, random: &random[r])
        if options.recordLogits { results[r].logits.append(Array(row)) }
        last[r] = Int32(token)
        if options.stopTokenIds.contains(token) {
          finished[r] = true
          results[r].finishReason = .stopToken(token)
        } else {
          results[r].tokens.append(token)
          onToken?(r, token)
        }
      }
      if finished.allSatisfy({ $0 }) || step == options.maxNewTokens - 1 { break }
      // Finished rows keep decoding their last token; their results are ignored.
      let positions = (0..<rows).map { Int32(batch.promptLengths[$0] + step) }
      outputs = try runner.decode(tokens: last, positions: positions, cache: cache)
      try cache.store(outputs, at: length + step, filled: Array(repeating: 1, count: rows))
    }
    return results
  }
}
