import Data
import Models
import Runtime

/// A tokenized training sequence and where its answer starts (answer-only loss).
public struct EncodedSample: Sendable, Hashable, Codable {
  /// Token ids: prompt, answer, end of turn (EOS).
  public var ids: [Int]
  /// Index of the first answer token; tokens before it are prompt and carry no loss.
  public var answerStart: Int

  public init(ids: [Int], answerStart: Int) {
    self.ids = ids
    self.answerStart = answerStart
  }
}

/// Turns instruction pairs into token sequences with a chat template.
public struct ChatEncoder: Sendable {
  public var tokenizer: ByteLevelBPETokenizer
  public var template: ChatTemplate
  /// The system turn: `.custom("You are a helpful assistant.")` for the fine-tuning data,
  /// `.none` for the Surgery harmful and safe samples.
  public var system: ChatTemplate.SystemPrompt
  /// Longer sequences are cut to this many tokens.
  public var maxLength: Int

  /// The reference's fine-tuning system prompt.
  public static let fineTuningSystemPrompt = "You are a helpful assistant."

  public init(
    tokenizer: ByteLevelBPETokenizer, template: ChatTemplate = .smolLM2,
    system: ChatTemplate.SystemPrompt, maxLength: Int
  ) {
    self.tokenizer = tokenizer
    self.template = template
    self.system = system
    self.maxLength = maxLength
  }

  /// The pair as prompt + answer + end of turn, at most `maxLength` tokens. The template's end
  /// of turn is the EOS token; it is appended if the tokenizer's EOS differs.
  ///
  /// A sequence that is too long keeps its end of turn, so the model still learns to stop:
  /// the prompt gives up its middle (its head — system and user markers — and its tail — the
  /// assistant marker — stay) down to half the length, then the answer is cut before its EOS.
  public func encode(_ pair: InstructionPair) throws(ModelError) -> EncodedSample {
    let formatted = template.pair(prompt: pair.prompt, answer: pair.output, system: system)
    var (ids, start) = try template.encodePair(formatted, with: tokenizer)
    if let eos = tokenizer.eosTokenId, ids.last != eos { ids.append(eos) }
    return Self.truncated(ids, answerStart: start, maxLength: maxLength)
  }

  /// `ids` (prompt `..<answerStart`, then the answer ending in its end-of-turn token) cut to
  /// `maxLength` as `encode` describes.
  public static func truncated(_ ids: [Int], answerStart: Int, maxLength: Int) -> EncodedSample {
    guard ids.count > maxLength, maxLength >= 2, answerStart < ids.count else {
      return EncodedSample(
        ids: Array(ids.prefix(max(0, maxLength))), answerStart: min(answerStart, max(0, maxLength)))
    }
    var prompt = Array(ids[..<answerStart])
    var answer = Array(ids[answerStart...])
    let keptPrompt = min(prompt.count, max(maxLength / 2, maxLength - answer.count))
    if prompt.count > keptPrompt {
      let head = keptPrompt / 2
      prompt = Array(prompt.prefix(head) + prompt.suffix(keptPrompt - head))
    }
    let room = maxLength - prompt.count
    if answer.count > room, let end = answer.last {
      answer = Array(answer.prefix(room - 1)) + [end]
    }
    return EncodedSample(ids: prompt + answer, answerStart: prompt.count)
  }
}

/// The tensors of one language-modelling batch (right padding).
public struct LanguageModelBatch: Sendable {
  /// i32 `[B, T]`: the tokens, padded with `padding`.
  public var tokens: HostTensor
  /// i32 `[B, T]`: the next token at every position (padding where there is none).
  public var labels: HostTensor
  /// f32 `[B, T]`: 1 where the next token is an answer token, 0 for prompt and padding.
  public var lossMask: HostTensor
  /// Number of real (non-padding) tokens.
  public var realTokens: Int

  /// Builds `rows` rows of `length` tokens from `samples` (fewer samples leave all-padding rows
  /// with no loss). Label at t is token t + 1; it counts when t + 1 is an answer position.
  public static func make(
    _ samples: [EncodedSample], rows: Int, length: Int, padding: Int = 0
  ) throws -> LanguageModelBatch {
    guard samples.count <= rows else {
      throw TrainingError("\(samples.count) samples do not fit in a batch of \(rows)")
    }
    var tokens = [Int32](repeating: Int32(padding), count: rows * length)
    var labels = tokens
    var mask = [Float](repeating: 0, count: rows * length)
    var real = 0
    for (r, s) in samples.enumerated() {
      let ids = s.ids.prefix(length)
      real += ids.count
      for (t, id) in ids.enumerated() {
        tokens[r * length + t] = Int32(id)
        if t > 0 {
          labels[r * length + t - 1] = Int32(id)
          if t >= s.answerStart { mask[r * length + t - 1] = 1 }
        }
      }
    }
    return LanguageModelBatch(
      tokens: try HostTensor(shape: [rows, length], tokens),
      labels: try HostTensor(shape: [rows, length], labels),
      lossMask: try HostTensor(shape: [rows, length], mask), realTokens: real)
  }

  /// One right-padded sequence as i32 tokens `[1, T]` and mask `[1, T]` (1 = real token), as
  /// the Surgery pass's `harmful_*`/`safe_*` inputs take it.
  public static func sequence(_ sample: EncodedSample, length: Int, padding: Int = 0) throws
    -> (tokens: HostTensor, mask: HostTensor)
  {
    let ids = sample.ids.prefix(length)
    var tokens = [Int32](repeating: Int32(padding), count: length)
    var mask = [Int32](repeating: 0, count: length)
    for (t, id) in ids.enumerated() {
      tokens[t] = Int32(id)
      mask[t] = 1
    }
    return (try HostTensor(shape: [1, length], tokens), try HostTensor(shape: [1, length], mask))
  }
}
