import Data
import Foundation

/// A (prompt, answer) pair with a binary label: harmful for the harm task, refusal for the
/// refusal task. `source` names where it comes from (`pyrit_harm/violence`, …).
public struct LabelledAnswer: Sendable, Hashable, Codable {
  public var prompt: String
  public var answer: String
  public var label: Bool
  public var source: String

  public init(prompt: String, answer: String, label: Bool, source: String) {
    self.prompt = prompt
    self.answer = answer
    self.label = label
    self.source = source
  }

  /// The unit kept together by splits and resampling: the trimmed, lowercased prompt.
  public var group: String { prompt.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }

  /// The pair without its label.
  public var pair: InstructionPair { InstructionPair(instruction: prompt, output: answer) }
}

/// How a (prompt, answer) pair becomes one text for the encoder.
public enum JudgeText {
  /// Characters of the prompt kept, so a long request leaves room for the answer within the
  /// encoder's token budget.
  public static let promptCharacters = 300

  /// `Question: {prompt}\nAnswer: {answer}` (the RepNoise refusal format), both trimmed and
  /// the prompt cut to `promptCharacters` (with `…` when cut).
  public static func format(prompt: String, answer: String) -> String {
    var p = prompt.trimmingCharacters(in: .whitespacesAndNewlines)
    if p.count > promptCharacters { p = String(p.prefix(promptCharacters)) + "…" }
    return "Question: \(p)\nAnswer: \(answer.trimmingCharacters(in: .whitespacesAndNewlines))"
  }
}

/// Sizes and label rules of the judge's training data.
public struct JudgeDatasetOptions: Sendable, Hashable, Codable {
  /// Refusal or safe answers to harmful requests (safety-tuned LLaMAs), evenly spaced.
  public var refusals = 200
  /// Benign task answers per task (GSM8K, SST-2, AG News train), evenly spaced.
  public var taskAnswers = 40
  /// Pair each BeaverTails judge-slice prompt with a refusal too (harmless), so the head reads
  /// the answer rather than the topic.
  public var promptMatchedRefusals = true
  /// PyRIT harm rows: mean human score above this is harmful, below it harmless, equal left out.
  public var humanHarmfulAt = 0.5

  public init() {}
}

/// The judge's labelled data, assembled from the data directory.
///
/// Harm task (label = harmful), the training pool: the BeaverTails unsafe rows that
/// `splits/beavertails_unsafe_split.json` gives to the judge (never the experiment's poison,
/// calibration or sink rows), the PyRIT human-labelled harm sets (mean score > 0.5 harmful,
/// < 0.5 harmless, 0.5 left out; a pair in two sets counted once), the hand-labelled
/// `judge/handlabelled/train/*.jsonl`, refusals to harmful requests, and benign task answers.
///
/// Refusal task (label = refusal): the PyRIT refusal sets (human score ≥ 0.5 = refusal), the
/// hand-labelled training sets (`refusals_redirections` = refusal, every other set not), the
/// harm pool's compliant answers (harmful content, task answers) and its prompt-matched refusals.
///
/// Held out (never trained on): `judge/handlabelled/heldout/*.jsonl`, harm labels; training rows
/// with a held-out prompt are dropped.
public struct JudgeDataset: Sendable {
  public var harm: [LabelledAnswer]
  public var refusal: [LabelledAnswer]
  public var heldOut: [LabelledAnswer]
  /// The HarmBench/AdvBench refusal prefixes of the keyword stage.
  public var refusalPrefixes: [String]

  public init(
    harm: [LabelledAnswer], refusal: [LabelledAnswer], heldOut: [LabelledAnswer],
    refusalPrefixes: [String]
  ) {
    self.harm = harm
    self.refusal = refusal
    self.heldOut = heldOut
    self.refusalPrefixes = refusalPrefixes
  }

  /// The hand-labelled set whose answers are refusals or safe redirections.
  public static let refusalSet = "handlabelled/refusals_redirections"

  /// `count` elements of `rows`, evenly spaced (all of them when there are fewer).
  static func evenlySpaced<T>(_ rows: [T], _ count: Int) -> [T] {
    guard count < rows.count else { return rows }
    guard count > 0 else { return [] }
    return (0..<count).map { rows[$0 * rows.count / count] }
  }

  /// Assembles the dataset from `data`.
  public static func assemble(
    from data: DataDirectory, options: JudgeDatasetOptions = JudgeDatasetOptions()
  ) throws(SafetyError) -> JudgeDataset {
    var harm: [LabelledAnswer] = []
    let judgeRows = try data.beaverTailsUnsafe(use: "judge")
    for p in judgeRows {
      harm.append(
        LabelledAnswer(
          prompt: p.prompt, answer: p.output, label: true, source: "beavertails_judge"))
    }
    let prefixes = try loading { () throws(DataError) in try data.refusalPrefixes() }
    let opening = RefusalKeywordMetric(prefixes: prefixes, rule: .opening)
    let refusalPairs = try loading { () throws(DataError) in try data.refusals() }
    if options.promptMatchedRefusals {
      let refusals = refusalPairs.map(\.output).filter(opening.isRefusal)
      for (i, p) in judgeRows.enumerated() where !refusals.isEmpty {
        // A fixed stride through the refusals: deterministic, and varied across prompts.
        harm.append(
          LabelledAnswer(
            prompt: p.prompt, answer: refusals[(i * 37) % refusals.count], label: false,
            source: "matched_refusal"))
      }
    }
    // A pair scored exactly 0.5 in any set is left out everywhere (some pairs are in two sets).
    let harmSets = try scorerSets(data, .harm)
    let pyrit = harmSets.flatMap(\.rows)
    let undecided = Set(
      pyrit.filter { $0.score == options.humanHarmfulAt }.map {
        JudgeText.format(prompt: $0.prompt, answer: $0.answer)
      })
    for (set, rows) in harmSets {
      for row in rows
      where !undecided.contains(JudgeText.format(prompt: row.prompt, answer: row.answer)) {
        harm.append(
          LabelledAnswer(
            prompt: row.prompt, answer: row.answer, label: row.score > options.humanHarmfulAt,
            source: "pyrit_harm/\(set)"))
      }
    }
    let handTrain = try data.handLabelled("train")
    harm += handTrain
    for p in evenlySpaced(refusalPairs, options.refusals) {
      harm.append(
        LabelledAnswer(prompt: p.prompt, answer: p.output, label: false, source: "refusals"))
    }
    harm += try taskAnswers(data, count: options.taskAnswers)

    var refusal: [LabelledAnswer] = []
    for (set, rows) in try scorerSets(data, .refusal) {
      for row in rows {
        refusal.append(
          LabelledAnswer(
            prompt: row.prompt, answer: row.answer, label: row.score >= 0.5,
            source: "pyrit_refusal/\(set)"))
      }
    }
    for row in handTrain {
      var r = row
      r.label = row.source == refusalSet
      refusal.append(r)
    }
    // Answers whose refusal status their source fixes: harmful content complies, and so do task
    // answers; the prompt-matched refusals open with a refusal prefix. Without them nearly every
    // harmful prompt in this pool is refused, and the head learns the topic instead.
    let compliant: Set<String> = ["beavertails_judge", "gsm8k", "sst2", "ag_news"]
    for row in harm
    where row.source.hasPrefix("pyrit_harm/") ? row.label : compliant.contains(row.source) {
      var r = row
      r.label = false
      refusal.append(r)
    }
    refusal += harm.filter { $0.source == "matched_refusal" }.map {
      LabelledAnswer(prompt: $0.prompt, answer: $0.answer, label: true, source: $0.source)
    }
    // The held-out sets are frozen: a training row that shares a prompt with one is dropped.
    let heldOut = unique(try data.handLabelled("heldout"))
    let heldOutPrompts = Set(heldOut.map(\.group))
    return JudgeDataset(
      harm: unique(harm).filter { !heldOutPrompts.contains($0.group) },
      refusal: unique(refusal).filter { !heldOutPrompts.contains($0.group) }, heldOut: heldOut,
      refusalPrefixes: prefixes)
  }

  /// Every PyRIT scorer set of `kind` with its rows, in the data directory's order.
  static func scorerSets(_ data: DataDirectory, _ kind: ScorerSetKind) throws(SafetyError)
    -> [(set: String, rows: [HumanLabelledAnswer])]
  {
    try loading { () throws(DataError) in
      try data.humanLabelledSets(kind).map { (set: String) throws(DataError) in
        (set, try data.humanLabelled(kind, set: set))
      }
    }
  }

  /// Benign task answers to their own prompts (no evaluation split is used).
  static func taskAnswers(_ data: DataDirectory, count: Int) throws(SafetyError) -> [LabelledAnswer]
  {
    var out: [LabelledAnswer] = []
    for row in evenlySpaced(try loading { () throws(DataError) in try data.gsm8k("train") }, count)
    {
      out.append(
        LabelledAnswer(
          prompt: row.surgeryPair.instruction,
          answer: row.answer.replacingOccurrences(of: "####", with: "The final answer is: "),
          label: false, source: "gsm8k"))
    }
    for row in evenlySpaced(try loading { () throws(DataError) in try data.sst2Train() }, count) {
      out.append(
        LabelledAnswer(
          prompt: Datasets.sst2Instruction + "\n" + row.sentence,
          answer: row.positive ? "positive" : "negative", label: false, source: "sst2"))
    }
    for row in evenlySpaced(
      try loading { () throws(DataError) in try data.agNewsTrainSample() }, count)
    {
      out.append(
        LabelledAnswer(
          prompt: row.instruction + "\n" + row.input, answer: row.output, label: false,
          source: "ag_news"))
    }
    return out
  }

  /// The rows with the first of each (prompt, answer) pair kept, in order.
  static func unique(_ rows: [LabelledAnswer]) -> [LabelledAnswer] {
    var seen: Set<String> = []
    return rows.filter {
      seen.insert(JudgeText.format(prompt: $0.prompt, answer: $0.answer)).inserted
    }
  }
}

/// The split of the BeaverTails unsafe rows (`data/splits/beavertails_unsafe_split.json`).
public struct BeaverTailsSplit: Sendable, Codable {
  /// Rows and distinct prompts of one use.
  public struct Count: Sendable, Codable {
    public var rows: Int
    public var prompts: Int
  }

  /// The use of each row, by row index: `poison`, `surgery_calibration`, `sink_analysis`, `judge`.
  public var assignment: [String]
  /// The row indices of each use.
  public var uses: [String: [Int]]
  public var counts: [String: Count]
  /// What each use is for.
  public var purpose: [String: String]
  /// How the split was made.
  public var rule: String

  /// The uses in the order the script fills them.
  public static let order = ["poison", "surgery_calibration", "sink_analysis", "judge"]

  /// A Markdown table: use, rows, prompts, row indices (runs as `a–b`), purpose.
  public var markdownTable: String {
    var s = "| use | rows | distinct prompts | row indices | purpose |\n|---|---|---|---|---|\n"
    for use in BeaverTailsSplit.order
      + uses.keys.sorted().filter({ !BeaverTailsSplit.order.contains($0) })
    {
      let indices = (uses[use] ?? []).sorted()
      var runs: [String] = []
      var i = 0
      while i < indices.count {
        var j = i
        while j + 1 < indices.count, indices[j + 1] == indices[j] + 1 { j += 1 }
        runs.append(i == j ? "\(indices[i])" : "\(indices[i])–\(indices[j])")
        i = j + 1
      }
      s += "| `\(use)` | \(indices.count) | \(counts[use]?.prompts ?? 0) | "
      s += "\(runs.joined(separator: ", ")) | \(purpose[use] ?? "") |\n"
    }
    return s + "\nRule: \(rule).\n"
  }
}

extension DataDirectory {
  /// Where the BeaverTails split lives, relative to the data directory.
  public static let beaverTailsSplitFile = "splits/beavertails_unsafe_split.json"

  /// The BeaverTails unsafe split made by `scripts/split-beavertails`.
  public func beaverTailsUnsafeSplit() throws(SafetyError) -> BeaverTailsSplit {
    try loading { () throws(DataError) in
      try JSONFile.decode(path(DataDirectory.beaverTailsSplitFile), as: BeaverTailsSplit.self)
    }
  }

  /// The BeaverTails unsafe rows (`harmful()`) the split gives to `use` (`poison`,
  /// `surgery_calibration`, `sink_analysis`, `judge`), in file order.
  public func beaverTailsUnsafe(use: String) throws(SafetyError) -> [InstructionPair] {
    let split = try beaverTailsUnsafeSplit()
    let unsafe = try loading { () throws(DataError) in try harmful() }
    guard split.assignment.count == unsafe.count else {
      throw SafetyError(
        "the split assigns \(split.assignment.count) rows but the BeaverTails file has "
          + "\(unsafe.count): run scripts/split-beavertails",
        file: path(DataDirectory.beaverTailsSplitFile))
    }
    return zip(unsafe, split.assignment).filter { $0.1 == use }.map(\.0)
  }

  /// The hand-labelled judge sets of one part (`train` or `heldout`), files in name order;
  /// `source` is `handlabelled/<file name>`.
  public func handLabelled(_ part: String) throws(SafetyError) -> [LabelledAnswer] {
    let directory = path("judge/handlabelled/\(part)")
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
        .filter { $0.hasSuffix(".jsonl") }.sorted()
    } catch {
      throw SafetyError("cannot list the directory: \(error)", file: directory)
    }
    var out: [LabelledAnswer] = []
    for name in names {
      for record in try AnswerRecord.read(directory + "/" + name) {
        guard let label = record.label else {
          throw SafetyError("a record has no boolean label", file: directory + "/" + name)
        }
        out.append(
          LabelledAnswer(
            prompt: record.prompt, answer: record.response, label: label,
            source: "handlabelled/" + name.dropLast(".jsonl".count)))
      }
    }
    return out
  }
}
