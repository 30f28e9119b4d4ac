import Runtime

/// Prompts of different lengths as one left-padded batch for the Llama forward graph.
///
/// Row r holds `length − count_r` padding tokens, then its prompt. `attentionMask` is 1 on real
/// tokens; `positions` count from 0 at each row's first real token (0 on padding), so a padded
/// row computes exactly what the same prompt alone would.
public struct PaddedBatch: Sendable, Hashable {
  /// Number of rows.
  public var rows: Int
  /// Tokens per row (the longest prompt).
  public var length: Int
  /// i32 `[rows, length]`, row-major.
  public var tokens: [Int32]
  /// i32 `[rows, length]`: 1 = real token, 0 = padding.
  public var attentionMask: [Int32]
  /// i32 `[rows, length]`: position of each real token in its own prompt.
  public var positions: [Int32]
  /// The prompt length of each row.
  public var promptLengths: [Int]

  /// Left-pads `prompts` with `padToken`; throws if there are none or one is empty.
  public init(leftPadding prompts: [[Int]], padToken: Int = 0) throws(GenerationError) {
    guard !prompts.isEmpty else { throw GenerationError("no prompts given") }
    if let empty = prompts.firstIndex(where: \.isEmpty) {
      throw GenerationError("prompt \(empty) has no tokens")
    }
    rows = prompts.count
    length = prompts.map(\.count).max() ?? 0
    promptLengths = prompts.map(\.count)
    tokens = []
    attentionMask = []
    positions = []
    for prompt in prompts {
      let padding = length - prompt.count
      tokens += Array(repeating: Int32(padToken), count: padding) + prompt.map { Int32($0) }
      attentionMask +=
        Array(repeating: 0, count: padding) + Array(repeating: 1, count: prompt.count)
      positions += Array(repeating: 0, count: padding) + (0..<prompt.count).map { Int32($0) }
    }
  }

  /// The forward graph's `tokens`, `attention_mask` and `positions` inputs.
  public func inputs() throws -> [String: HostTensor] {
    let shape = [rows, length]
    return [
      "tokens": try HostTensor(shape: shape, tokens),
      "attention_mask": try HostTensor(shape: shape, attentionMask),
      "positions": try HostTensor(shape: shape, positions),
    ]
  }
}

/// A generation request that cannot be served (empty prompt, cache too small, bad options).
public struct GenerationError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { "error: " + message }
}
