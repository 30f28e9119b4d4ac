import Foundation

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

/// A GSM8K problem as published: the question and the worked answer ending in `#### N`.
public struct GSM8KProblem: Sendable, Hashable {
  public var question: String
  public var answer: String

  /// The Surgery format: the question plus `Datasets.gsm8kSuffix`, the answer with `####`
  /// replaced by `The final answer is: `.
  public var surgeryPair: InstructionPair {
    InstructionPair(
      instruction: question + Datasets.gsm8kSuffix,
      output: answer.replacingOccurrences(of: "####", with: "The final answer is: "))
  }
}

/// An SST-2 sentence and its label.
public struct SST2Sentence: Sendable, Hashable {
  public var sentence: String
  public var positive: Bool

  /// The Surgery format: `Datasets.sst2Instruction`, the sentence plus a space as input, and
  /// `positive` or `negative`.
  public var surgeryPair: InstructionPair {
    InstructionPair(
      instruction: Datasets.sst2Instruction, input: sentence + " ",
      output: positive ? "positive" : "negative")
  }
}

/// A human-labelled answer from the PyRIT scorer evaluation sets.
public struct HumanLabelledAnswer: Sendable, Hashable {
  /// The set's file name without extension (`violence`, `refusal`).
  public var set: String
  /// The user's request (`objective`).
  public var prompt: String
  /// The model's answer (`assistant_response`).
  public var answer: String
  /// The mean of the `human_score*` columns, in [0, 1].
  public var score: Double
}

/// The benign fine-tuning tasks.
public enum BenignTask: String, Sendable, Hashable, Codable, CaseIterable {
  case gsm8k, sst2, agnews
}

/// Loaders for the data formats in `data/` (see its README). A missing file, an invalid line
/// or a missing field is a `DataError` naming the path, the line and the field.
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
    var rows: [BeaverTailsRow] = []
    for r in try JSONFile.records(path) {
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
    for r in try JSONFile.lines(path) {
      out.append(HarmfulPrompt(prompt: try r.string("prompt"), category: try r.string("category")))
    }
    return out
  }

  /// Instruction pairs from JSONL with `instruction`, `output` and an optional `input` (the
  /// refusal pairs, SST-2 validation, AG News).
  public static func instructionPairs(_ path: String) throws(DataError) -> [InstructionPair] {
    var out: [InstructionPair] = []
    for r in try JSONFile.lines(path) {
      out.append(
        InstructionPair(
          instruction: try r.string("instruction"), input: try r.optionalString("input") ?? "",
          output: try r.string("output")))
    }
    return out
  }

  /// A file of pairs on one `side`: JSONL (or a `.json` array) of `{"prompt", "response"}`
  /// objects (`answer` is an alias of `response`) or of instruction/input/output objects. A
  /// BeaverTails `is_safe` field, where present, drops the rows of the other side.
  public static func pairs(_ path: String, side: PairSide) throws(DataError) -> [InstructionPair] {
    var out: [InstructionPair] = []
    for r in try JSONFile.records(path) {
      if let isSafe = try r.optionalBool("is_safe"), isSafe != (side == .safe) { continue }
      out.append(try InstructionPair(record: r))
    }
    return out
  }

  /// GSM8K problems (`question`, `answer`) as published.
  public static func gsm8kProblems(_ path: String) throws(DataError) -> [GSM8KProblem] {
    var out: [GSM8KProblem] = []
    for r in try JSONFile.lines(path) {
      out.append(GSM8KProblem(question: try r.string("question"), answer: try r.string("answer")))
    }
    return out
  }

  /// GSM8K in the Surgery format (`GSM8KProblem.surgeryPair`).
  public static func gsm8k(_ path: String) throws(DataError) -> [InstructionPair] {
    try gsm8kProblems(path).map(\.surgeryPair)
  }

  /// SST-2 `label<TAB>sentence` TSV with its header; labels are 0 (negative) or 1 (positive).
  public static func sst2Sentences(_ path: String) throws(DataError) -> [SST2Sentence] {
    let table = try TSVTable.read(path)
    try table.expectHeader(["label", "sentence"], path: path)
    var out: [SST2Sentence] = []
    for (row, line) in zip(table.rows, table.lines) {
      guard row[0] == "0" || row[0] == "1" else {
        throw DataError("label '\(row[0])' is not 0 or 1", path: path, line: line)
      }
      out.append(SST2Sentence(sentence: row[1], positive: row[0] == "1"))
    }
    return out
  }

  /// SST-2 in the Surgery format (`SST2Sentence.surgeryPair`).
  public static func sst2(_ path: String) throws(DataError) -> [InstructionPair] {
    try sst2Sentences(path).map(\.surgeryPair)
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

  /// One PyRIT scorer set: `objective`, `assistant_response` and the mean of every
  /// `human_score*` column; `set` names the rows.
  public static func humanLabelled(_ path: String, set: String) throws(DataError)
    -> [HumanLabelledAnswer]
  {
    let table = try CSVTable.read(path)
    let prompt = try table.column("objective", path: path)
    let answer = try table.column("assistant_response", path: path)
    let scoreColumns = table.header.indices.filter { table.header[$0].hasPrefix("human_score") }
    guard !scoreColumns.isEmpty else {
      throw DataError(
        "no human_score column (columns: \(table.header.joined(separator: ", ")))", path: path,
        line: table.headerLine)
    }
    var out: [HumanLabelledAnswer] = []
    for (row, line) in zip(table.rows, table.lines) {
      var total = 0.0
      for c in scoreColumns {
        guard let score = Double(row[c].trimmingCharacters(in: .whitespaces)) else {
          throw DataError(
            "column '\(table.header[c])' is '\(row[c])', expected a number", path: path, line: line)
        }
        total += score
      }
      out.append(
        HumanLabelledAnswer(
          set: set, prompt: row[prompt], answer: row[answer],
          score: total / Double(scoreColumns.count)))
    }
    return out
  }

  /// Refusal prefixes from a JSON object's `prefixes` array of strings.
  public static func refusalPrefixes(_ path: String) throws(DataError) -> [String] {
    try JSONFile.object(path).strings("prefixes")
  }
}
