import Data

/// One line of an answers file: `{"prompt", "response"}` (`answer` is accepted for `response`),
/// with an optional `label` (true = harmful) and `source` for evaluation.
public struct AnswerRecord: Sendable, Hashable {
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

  /// A record from one JSON object; the prompt and answer are read as every pair file is
  /// (`InstructionPair(record:)`: `response`, or its alias `answer`).
  public init(record: JSONRecord) throws(DataError) {
    let pair = try InstructionPair(record: record)
    self.init(prompt: pair.prompt, response: pair.output)
    label = try record.optionalBool("label")
    source = try record.optionalString("source")
  }

  /// The pair without its label.
  public var pair: InstructionPair { InstructionPair(instruction: prompt, output: response) }

  /// The records of a JSON Lines file, one per non-empty line; errors name the file and line.
  public static func read(_ path: String) throws(SafetyError) -> [AnswerRecord] {
    try loading { () throws(DataError) in
      try JSONFile.lines(path).map { (r: JSONRecord) throws(DataError) in
        try AnswerRecord(record: r)
      }
    }
  }
}
