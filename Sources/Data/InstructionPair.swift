/// One (prompt, answer) example in the Surgery/Alpaca form: an instruction, an optional input
/// and the answer. Files of pairs, the trainer, the Surgery pools and the judge all use it.
public struct InstructionPair: Sendable, Hashable, Codable {
  public var instruction: String
  public var input: String
  public var output: String

  public init(instruction: String, input: String = "", output: String) {
    self.instruction = instruction
    self.input = input
    self.output = output
  }

  /// The user message: the instruction, then a blank line and the input when there is one.
  /// Training, the Surgery samples and the evaluation prompts all use this one format.
  public var prompt: String { Self.message(instruction: instruction, input: input) }

  /// The user message of an instruction and its (possibly empty) input.
  public static func message(instruction: String, input: String) -> String {
    input.isEmpty ? instruction : instruction + "\n\n" + input
  }

  enum CodingKeys: String, CodingKey { case instruction, input, output }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    instruction = try c.decode(String.self, forKey: .instruction)
    input = try c.decodeIfPresent(String.self, forKey: .input) ?? ""
    output = try c.decode(String.self, forKey: .output)
  }
}

/// Which side of a harmful/safe comparison a file of pairs holds.
public enum PairSide: String, Sendable, Hashable, CaseIterable {
  case harmful, safe
}

extension InstructionPair {
  /// A pair from one JSON object: `prompt` with `response` (or its alias `answer`), else
  /// `instruction` with an optional `input` and `output`.
  public init(record: JSONRecord) throws(DataError) {
    if record.has("prompt") {
      let answerKeys = ["response", "answer"].filter(record.has)
      guard answerKeys.count == 1 else {
        throw record.error(
          answerKeys.isEmpty
            ? "missing field 'response' (or its alias 'answer') beside 'prompt'"
            : "both 'response' and 'answer': give one")
      }
      self.init(instruction: try record.string("prompt"), output: try record.string(answerKeys[0]))
    } else if record.has("instruction") {
      self.init(
        instruction: try record.string("instruction"),
        input: try record.optionalString("input") ?? "", output: try record.string("output"))
    } else {
      throw record.error(
        "expected 'prompt' with 'response' (or 'answer'), or 'instruction' with 'output'")
    }
  }
}
