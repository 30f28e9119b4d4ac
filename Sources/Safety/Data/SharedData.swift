import Foundation

/// One harmful request with an answer: a BeaverTails row, a refusal pair, a judged answer.
public struct PromptAnswer: Sendable, Hashable, Codable {
  public var prompt: String
  public var answer: String

  public init(prompt: String, answer: String) {
    self.prompt = prompt
    self.answer = answer
  }
}

/// An instruction-format row (Surgery / Alpaca): `instruction`, `input`, `output`.
public struct InstructionRow: Sendable, Hashable, Codable {
  public var instruction: String
  public var input: String
  public var output: String

  public init(instruction: String, input: String = "", output: String) {
    self.instruction = instruction
    self.input = input
    self.output = output
  }

  enum CodingKeys: String, CodingKey { case instruction, input, output }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    instruction = try c.decode(String.self, forKey: .instruction)
    input = try c.decodeIfPresent(String.self, forKey: .input) ?? ""
    output = try c.decode(String.self, forKey: .output)
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

/// The shared data directory (`/work/shared/data` layout, see its README) and typed loaders.
public struct SharedData: Sendable {
  /// The directory holding `beavertails/`, `gsm8k/`, `judge/`, ….
  public var root: String

  public init(root: String) { self.root = root }

  /// The checkout's `data/` (it has a `SHA256SUMS`), else `../shared/data` next to the
  /// repository root if it exists, else nil.
  public static func defaultRoot(repositoryRoot: String) -> String? {
    let checkout = URL(fileURLWithPath: repositoryRoot).appendingPathComponent("data").path
    if FileManager.default.fileExists(atPath: checkout + "/SHA256SUMS") { return checkout }
    let path = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent()
      .appendingPathComponent("shared/data").standardizedFileURL.path
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    return exists && isDirectory.boolValue ? path : nil
  }

  /// The path of `relative` under the root.
  public func path(_ relative: String) -> String { root + "/" + relative }

  /// BeaverTails 30k_train unsafe rows: harmful request → harmful answer (200).
  public func beaverTailsUnsafe() throws(SafetyError) -> [PromptAnswer] {
    struct Row: Decodable {
      var prompt: String
      var response: String
    }
    return try readJSONLines(
      path("beavertails/harmful_qa_30k_train_first200_unsafe.jsonl"), as: Row.self
    )
    .map { PromptAnswer(prompt: $0.prompt, answer: $0.response) }
  }

  /// The 9 RepNoise rows: each unsafe pair plus a Llama-2 refusal (`refusal` = "Question: …\nAnswer: …").
  public func beaverTailsWithRefusals() throws(SafetyError) -> (
    unsafe: [PromptAnswer], refusals: [PromptAnswer]
  ) {
    struct Row: Decodable {
      var prompt: String
      var response: String
      var refusal: String
    }
    let rows = try readJSON(
      path("beavertails/beavertails_with_refusals_sample9.json"), as: [Row].self)
    let refusals = rows.map { row -> PromptAnswer in
      var answer = row.refusal
      if let range = answer.range(of: "\nAnswer:") {
        answer = String(answer[range.upperBound...])
      }
      return PromptAnswer(
        prompt: row.prompt, answer: answer.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return (rows.map { PromptAnswer(prompt: $0.prompt, answer: $0.response) }, refusals)
  }

  /// Safety-tuned LLaMAs: harmful request → refusal or safe answer (2,483).
  public func refusalPairs() throws(SafetyError) -> [PromptAnswer] {
    try readJSONLines(
      path("refusals/safety_tuned_llamas_safety_only.jsonl"), as: InstructionRow.self
    )
    .map { row in
      PromptAnswer(
        prompt: row.input.isEmpty ? row.instruction : row.instruction + "\n" + row.input,
        answer: row.output)
    }
  }

  /// BeaverTails-Evaluation prompts (699) with their categories.
  public func beaverTailsEvaluation() throws(SafetyError) -> [(prompt: String, category: String)] {
    struct Row: Decodable {
      var prompt: String
      var category: String
    }
    return try readJSONLines(path("beavertails/beavertails_evaluation_699.jsonl"), as: Row.self)
      .map { ($0.prompt, $0.category) }
  }

  /// HarmBench text behaviors (`test` 320 then `val` 80): `Behavior` and `BehaviorID`.
  public func harmBenchBehaviors() throws(SafetyError) -> [(behavior: String, id: String)] {
    var out: [(String, String)] = []
    for split in ["test", "val"] {
      let file = path("harmbench/harmbench_behaviors_text_\(split).csv")
      let table = try CSVTable(path: file)
      guard let b = table.column("Behavior"), let id = table.column("BehaviorID") else {
        throw SafetyError("no Behavior / BehaviorID column in \(table.header)", file: file)
      }
      out += table.rows.map { ($0[b], $0[id]) }
    }
    return out
  }

  /// GSM8K rows (`question`, `answer` ending in `#### N`) of `split` (train or test).
  public func gsm8k(_ split: String) throws(SafetyError) -> [(question: String, answer: String)] {
    struct Row: Decodable {
      var question: String
      var answer: String
    }
    return try readJSONLines(path("gsm8k/\(split).jsonl"), as: Row.self).map {
      ($0.question, $0.answer)
    }
  }

  /// SST-2 validation in Surgery format (872).
  public func sst2Validation() throws(SafetyError) -> [InstructionRow] {
    try readJSONLines(path("sst2/validation_surgery_format.jsonl"))
  }

  /// AG News test in Surgery format (7,600).
  public func agNewsTest() throws(SafetyError) -> [InstructionRow] {
    try readJSONLines(path("ag_news/test_surgery_format.jsonl"))
  }

  /// AG News train sample in Surgery format (950).
  public func agNewsTrainSample() throws(SafetyError) -> [InstructionRow] {
    try readJSONLines(path("ag_news/train_sample950_surgery_format.jsonl"))
  }

  /// The HarmBench/AdvBench refusal prefixes (29).
  public func refusalPrefixes() throws(SafetyError) -> [String] {
    struct File: Decodable { var prefixes: [String] }
    return try readJSON(path("judge/refusal_prefixes_harmbench_advbench.json"), as: File.self)
      .prefixes
  }

  /// The names of the PyRIT human-labelled sets in `kind` (`harm` or `refusal_scorer`), sorted.
  public func humanLabelledSets(_ kind: String) throws(SafetyError) -> [String] {
    let directory = path("judge/pyrit_scorer_evals/\(kind)")
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw SafetyError("cannot list the directory: \(error)", file: directory)
    }
    return names.filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
  }

  /// One PyRIT set: `objective`, `assistant_response` and the mean of every `human_score*` column.
  public func humanLabelled(_ kind: String, set: String) throws(SafetyError)
    -> [HumanLabelledAnswer]
  {
    let file = path("judge/pyrit_scorer_evals/\(kind)/\(set).csv")
    let table = try CSVTable(path: file)
    guard let p = table.column("objective"), let a = table.column("assistant_response") else {
      throw SafetyError("no objective / assistant_response column in \(table.header)", file: file)
    }
    let scoreColumns = table.header.indices.filter { table.header[$0].hasPrefix("human_score") }
    guard !scoreColumns.isEmpty else {
      throw SafetyError("no human_score column in \(table.header)", file: file)
    }
    var out: [HumanLabelledAnswer] = []
    for (i, row) in table.rows.enumerated() {
      let scores = scoreColumns.compactMap { Double(row[$0].trimmingCharacters(in: .whitespaces)) }
      guard scores.count == scoreColumns.count else {
        throw SafetyError("record \(i + 1) has a non-numeric human score", file: file)
      }
      out.append(
        HumanLabelledAnswer(
          set: set, prompt: row[p], answer: row[a],
          score: scores.reduce(0, +) / Double(scores.count)))
    }
    return out
  }
}

extension SharedData {
  /// One SST-2 train row.
  public struct SST2Row: Sendable, Hashable {
    public var sentence: String
    public var positive: Bool
  }

  /// SST-2 train (`label<TAB>sentence`, header first; 67,349 rows).
  public func sst2Train() throws(SafetyError) -> [SST2Row] {
    let file = path("sst2/train.tsv")
    var rows: [SST2Row] = []
    for (i, line) in try readText(file).split(whereSeparator: isLineBreak).enumerated() where i > 0
    {
      let parts = line.split(separator: "\t", maxSplits: 1)
      guard parts.count == 2, let label = Int(parts[0]) else {
        throw SafetyError("line \(i + 1) is not 'label<TAB>sentence'", file: file)
      }
      rows.append(SST2Row(sentence: String(parts[1]), positive: label == 1))
    }
    return rows
  }
}

extension SharedData {
  /// The default data directory: walk up from `directory` to the repository root (the first
  /// folder holding `Package.swift`) and use `../shared/data` beside it, if it exists.
  public static func locate(from directory: String) -> SharedData? {
    var url = URL(fileURLWithPath: directory).standardizedFileURL
    while true {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        return defaultRoot(repositoryRoot: url.path).map(SharedData.init(root:))
      }
      let parent = url.deletingLastPathComponent()
      if parent.path == url.path { return nil }
      url = parent
    }
  }
}
