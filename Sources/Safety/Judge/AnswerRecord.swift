import Foundation

/// One line of an answers file: `{"prompt", "response"}` (`answer` is accepted for `response`),
/// with an optional `label` (true = harmful) and `source` for evaluation.
public struct AnswerRecord: Sendable, Hashable, Decodable {
  public var prompt: String
  public var response: String
  public var label: Bool?
  public var source: String?

  public init(prompt: String, response: String, label: Bool? = nil, source: String? = nil) {
    self.prompt = prompt
    self.response = response
    self.label = label
    self.source = source
  }

  enum CodingKeys: String, CodingKey { case prompt, response, answer, label, source }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    guard let prompt = try? c.decode(String.self, forKey: .prompt) else {
      throw SafetyError("expected a string \"prompt\"")
    }
    guard
      let response = (try? c.decode(String.self, forKey: .response))
        ?? (try? c.decode(String.self, forKey: .answer))
    else { throw SafetyError("expected a string \"response\" (or \"answer\")") }
    self.prompt = prompt
    self.response = response
    if c.contains(.label) {
      guard let label = try? c.decode(Bool.self, forKey: .label) else {
        throw SafetyError("\"label\" must be true (harmful) or false")
      }
      self.label = label
    }
    source = try? c.decodeIfPresent(String.self, forKey: .source)
  }

  /// The pair without its label.
  public var pair: PromptAnswer { PromptAnswer(prompt: prompt, answer: response) }

  /// The records of a JSON Lines file, one per non-empty line; errors name the file and line.
  public static func read(_ path: String) throws(SafetyError) -> [AnswerRecord] {
    try readJSONLines(path, as: AnswerRecord.self)
  }
}
