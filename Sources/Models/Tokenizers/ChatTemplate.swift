/// ChatML chat formatting, as SmolLM2-Instruct was trained with it.
///
///     <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{message}<|im_end|>\n
///     <|im_start|>assistant\n
///
/// SmolLM2's own template inserts its default system prompt when the conversation has none;
/// `.none` leaves the system turn out entirely (just the user and assistant turns).
public struct ChatTemplate: Sendable, Hashable {
  /// Which system turn to put first.
  public enum SystemPrompt: Sendable, Hashable {
    /// The template's default system prompt.
    case standard
    /// No system turn.
    case none
    /// This system prompt.
    case custom(String)
  }

  /// One turn of a conversation.
  public struct Message: Sendable, Hashable {
    /// `system`, `user` or `assistant`.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
      self.role = role
      self.content = content
    }
  }

  /// A formatted (prompt, answer) pair and where the answer starts.
  public struct FormattedPair: Sendable, Hashable {
    /// The whole text: prompt, answer, `<|im_end|>`.
    public var text: String
    /// The UTF-8 byte offset at which the answer starts.
    public var answerByteOffset: Int
    /// The prompt part (everything before the answer).
    public var prompt: String {
      String(decoding: Array(text.utf8)[..<answerByteOffset], as: UTF8.self)
    }
  }

  /// The start-of-turn marker.
  public var turnStart = "<|im_start|>"
  /// The end-of-turn marker (SmolLM2's EOS token).
  public var turnEnd = "<|im_end|>"
  /// The system prompt used for `.standard`.
  public var defaultSystemPrompt: String

  /// SmolLM2-Instruct's template and default system prompt.
  public static let smolLM2 = ChatTemplate(
    defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face")

  public init(defaultSystemPrompt: String) {
    self.defaultSystemPrompt = defaultSystemPrompt
  }

  /// The conversation as ChatML; a system turn is added first unless the first message is a
  /// system message or `system` is `.none`. With `addGenerationPrompt`, ends with the
  /// assistant's turn start.
  public func format(
    _ messages: [Message], system: SystemPrompt = .standard, addGenerationPrompt: Bool = true
  ) -> String {
    var text = ""
    if messages.first?.role != "system" {
      switch system {
      case .standard: text += turn("system", defaultSystemPrompt)
      case .custom(let prompt): text += turn("system", prompt)
      case .none: break
      }
    }
    for message in messages { text += turn(message.role, message.content) }
    if addGenerationPrompt { text += "\(turnStart)assistant\n" }
    return text
  }

  /// A single user message ready for generation.
  public func prompt(_ message: String, system: SystemPrompt = .standard) -> String {
    format([Message(role: "user", content: message)], system: system)
  }

  /// The prompt followed by `answer` and `<|im_end|>` (plus a newline if `trailingNewline`, as
  /// the template writes between turns), with the byte offset where the answer starts (for
  /// answer-only loss masks).
  public func pair(
    prompt message: String, answer: String, system: SystemPrompt = .standard,
    trailingNewline: Bool = false
  ) -> FormattedPair {
    let head = prompt(message, system: system)
    let text = head + answer + turnEnd + (trailingNewline ? "\n" : "")
    return FormattedPair(text: text, answerByteOffset: head.utf8.count)
  }

  /// The token ids of a formatted pair and the index of the first answer token: the first token
  /// that starts at or after the answer's first byte (a token straddling the boundary counts as
  /// prompt).
  public func encodePair(
    _ pair: FormattedPair, with tokenizer: ByteLevelBPETokenizer
  ) throws(ModelError) -> (ids: [Int], answerStart: Int) {
    let ids = tokenizer.encode(pair.text)
    let offsets = try tokenizer.byteOffsets(ids)
    let start = offsets.dropLast().firstIndex { $0 >= pair.answerByteOffset } ?? ids.count
    return (ids, start)
  }

  private func turn(_ role: String, _ content: String) -> String {
    "\(turnStart)\(role)\n\(content)\(turnEnd)\n"
  }
}
