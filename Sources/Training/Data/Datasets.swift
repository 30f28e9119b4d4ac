/// One supervised example in the Surgery/Alpaca format: an instruction, an optional input and
/// the answer.
public struct InstructionPair: Sendable, Hashable, Codable {
  public var instruction: String
  public var input: String
  public var output: String

  public init(instruction: String, input: String = "", output: String) {
    self.instruction = instruction
    self.input = input
    self.output = output
  }

  /// The user message: the instruction, then the input on a new line when there is one.
  public var prompt: String { input.isEmpty ? instruction : instruction + "\n" + input }
}

/// A BeaverTails row (`30k_train` JSONL, or the RepNoise JSON with a `refusal` field).
public struct BeaverTailsRow: Sendable, Hashable {
  public var prompt: String
  public var response: String
  public var isSafe: Bool
  /// `"Question: …\nAnswer: …"` in the refusal-augmented files.
  public var refusal: String?
  /// Where the row starts in its file.
  public var line: Int

  /// The (prompt, harmful response) pair.
  public var harmfulPair: InstructionPair { InstructionPair(instruction: prompt, output: response) }

  /// The (question, refusal) pair from the `refusal` field, or nil when the row has none or it
  /// is not in the `Question: …\nAnswer: …` form.
  public var refusalPair: InstructionPair? {
    guard let refusal, refusal.hasPrefix("Question: "),
      let split = refusal.range(of: "\nAnswer: ")
    else { return nil }
    let question = refusal[refusal.index(refusal.startIndex, offsetBy: 10)..<split.lowerBound]
    return InstructionPair(
      instruction: String(question), output: String(refusal[split.upperBound...]))
  }
}

/// A harmful prompt for evaluation (BeaverTails-Evaluation).
public struct HarmfulPrompt: Sendable, Hashable {
  public var prompt: String
  public var category: String
}

/// A HarmBench behavior (one CSV row).
public struct HarmBenchBehavior: Sendable, Hashable {
  public var behavior: String
  public var functionalCategory: String
  public var semanticCategory: String
  public var tags: String
  public var context: String
  public var id: String
}

/// The benign fine-tuning tasks.
public enum BenignTask: String, Sendable, Hashable, Codable, CaseIterable {
  case gsm8k, sst2, agnews
}

/// Loaders for the data formats in `shared/data` (see its README). A missing file, an invalid
/// line or a missing field is a `DataError` naming the path and the line.
public enum Datasets {
  /// GSM8K's Surgery prompt suffix.
  public static let gsm8kSuffix = "\nFirst think step by step and then answer the final number.\n"
  /// The SST-2 instruction.
  public static let sst2Instruction =
    "Analyze the sentiment of the input, and respond only positive or negative"
  /// The AG News instruction.
  public static let agNewsInstruction =
    "Categorize the news article given in the input into one of the 4 categories:\n\nWorld\nSports\nBusiness\nSci/Tech\n"

  /// BeaverTails rows from JSONL (one object per line) or a JSON array (`.json`).
  public static func beaverTails(_ path: String) throws(DataError) -> [BeaverTailsRow] {
    let records = path.hasSuffix(".json") ? try readJSONArray(path) : try readJSONLines(path)
    var rows: [BeaverTailsRow] = []
    for r in records {
      rows.append(
        BeaverTailsRow(
          prompt: try r.string("prompt"), response: try r.string("response"),
          isSafe: try r.bool("is_safe"), refusal: try r.optionalString("refusal"), line: r.line))
    }
    return rows
  }

  /// BeaverTails-Evaluation prompts (`prompt`, `category`).
  public static func beaverTailsEvaluation(_ path: String) throws(DataError) -> [HarmfulPrompt] {
    var out: [HarmfulPrompt] = []
    for r in try readJSONLines(path) {
      out.append(HarmfulPrompt(prompt: try r.string("prompt"), category: try r.string("category")))
    }
    return out
  }

  /// Instruction pairs from JSONL with `instruction`, `output` and an optional `input` (the
  /// refusal pairs, SST-2 validation, AG News).
  public static func instructionPairs(_ path: String) throws(DataError) -> [InstructionPair] {
    var out: [InstructionPair] = []
    for r in try readJSONLines(path) {
      out.append(
        InstructionPair(
          instruction: try r.string("instruction"), input: try r.optionalString("input") ?? "",
          output: try r.string("output")))
    }
    return out
  }

  /// GSM8K (`question`, `answer`) in the Surgery format: the question plus `gsm8kSuffix`, the
  /// answer with `####` replaced by `The final answer is: `.
  public static func gsm8k(_ path: String) throws(DataError) -> [InstructionPair] {
    var out: [InstructionPair] = []
    for r in try readJSONLines(path) {
      let answer = try r.string("answer")
      out.append(
        InstructionPair(
          instruction: try r.string("question") + gsm8kSuffix,
          output: answer.replacingOccurrences(of: "####", with: "The final answer is: ")))
    }
    return out
  }

  /// SST-2 `label<TAB>sentence` TSV (with a header) in the Surgery format.
  public static func sst2(_ path: String) throws(DataError) -> [InstructionPair] {
    let text = try readTextFile(path)
    var out: [InstructionPair] = []
    var lineNumber = 0
    for row in textLines(text) {
      lineNumber += 1
      if row.isEmpty { continue }
      let fields = row.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      if lineNumber == 1 {
        guard fields.count == 2, fields[0] == "label", fields[1] == "sentence" else {
          throw DataError("expected the header 'label<TAB>sentence'", path: path, line: 1)
        }
        continue
      }
      guard fields.count == 2 else {
        throw DataError("expected 'label<TAB>sentence'", path: path, line: lineNumber)
      }
      let output: String
      switch fields[0] {
      case "0": output = "negative"
      case "1": output = "positive"
      default: throw DataError("label '\(fields[0])' is not 0 or 1", path: path, line: lineNumber)
      }
      out.append(
        InstructionPair(
          instruction: sst2Instruction, input: String(fields[1]) + " ", output: output))
    }
    return out
  }

  /// HarmBench behaviors from its CSV (`Behavior`, `FunctionalCategory`, `SemanticCategory`,
  /// `Tags`, `ContextString`, `BehaviorID`).
  public static func harmBench(_ path: String) throws(DataError) -> [HarmBenchBehavior] {
    let table = try CSVTable.read(path)
    let columns = try [
      "Behavior", "FunctionalCategory", "SemanticCategory", "Tags", "ContextString", "BehaviorID",
    ].map { (name: String) throws(DataError) -> Int in try table.column(name, path: path) }
    return table.rows.map { row in
      HarmBenchBehavior(
        behavior: row[columns[0]], functionalCategory: row[columns[1]],
        semanticCategory: row[columns[2]], tags: row[columns[3]], context: row[columns[4]],
        id: row[columns[5]])
    }
  }
}

/// The files of a `shared/data` directory that training uses.
public struct DataDirectory: Sendable, Hashable {
  public var root: String

  public init(root: String) { self.root = root }

  public func path(_ relative: String) -> String { root + "/" + relative }

  /// The benign task's training pairs (Surgery format).
  public func benign(_ task: BenignTask) throws(DataError) -> [InstructionPair] {
    switch task {
    case .gsm8k: try Datasets.gsm8k(path("gsm8k/train.jsonl"))
    case .sst2: try Datasets.sst2(path("sst2/train.tsv"))
    case .agnews:
      try Datasets.instructionPairs(path("ag_news/train_sample950_surgery_format.jsonl"))
    }
  }

  /// Harmful (prompt, harmful answer) pairs: the BeaverTails unsafe rows.
  public func harmful() throws(DataError) -> [InstructionPair] {
    try Datasets.beaverTails(path("beavertails/harmful_qa_30k_train_first200_unsafe.jsonl"))
      .filter { !$0.isSafe }.map(\.harmfulPair)
  }

  /// Safe (harmful request, refusal) pairs.
  public func refusals() throws(DataError) -> [InstructionPair] {
    try Datasets.instructionPairs(path("refusals/safety_tuned_llamas_safety_only.jsonl"))
  }
}
