import Foundation

/// The PyRIT human-labelled scorer sets under `judge/pyrit_scorer_evals/`.
public enum ScorerSetKind: String, Sendable, Hashable, CaseIterable {
  /// Harm sets (`violence`, `privacy`, …): is the answer harmful?
  case harm
  /// Refusal sets: is the answer a refusal?
  case refusal = "refusal_scorer"
}

/// The `data/` directory of this repository (see its README) and a typed loader for every
/// dataset in it.
public struct DataDirectory: Sendable, Hashable {
  /// The directory holding `beavertails/`, `gsm8k/`, `judge/`, ….
  public var root: String

  public init(root: String) { self.root = root }

  /// The path of `relative` under the root.
  public func path(_ relative: String) -> String { root + "/" + relative }

  /// The benign task's training pairs (Surgery format).
  public func benign(_ task: BenignTask) throws(DataError) -> [InstructionPair] {
    switch task {
    case .gsm8k: try Datasets.gsm8k(path("gsm8k/train.jsonl"))
    case .sst2: try Datasets.sst2(path("sst2/train.tsv"))
    case .agnews: try agNewsTrainSample()
    }
  }

  /// Harmful (prompt, harmful answer) pairs: the BeaverTails unsafe rows (200).
  public func harmful() throws(DataError) -> [InstructionPair] {
    try Datasets.pairs(
      path("beavertails/harmful_qa_30k_train_first200_unsafe.jsonl"), side: .harmful)
  }

  /// Safe (harmful request, refusal) pairs from safety-tuned LLaMAs (2,483).
  public func refusals() throws(DataError) -> [InstructionPair] {
    try Datasets.pairs(path("refusals/safety_tuned_llamas_safety_only.jsonl"), side: .safe)
  }

  /// The 9 RepNoise rows: BeaverTails unsafe pairs, each with a Llama-2 refusal.
  public func beaverTailsWithRefusals() throws(DataError) -> [BeaverTailsRow] {
    let file = path("beavertails/beavertails_with_refusals_sample9.json")
    let rows = try Datasets.beaverTails(file)
    if let bad = rows.first(where: { $0.refusalPair == nil }) {
      throw DataError(
        "field 'refusal' is missing or not 'Question: …\\nAnswer: …'", path: file, line: bad.line)
    }
    return rows
  }

  /// BeaverTails-Evaluation prompts (699) with their categories.
  public func beaverTailsEvaluation() throws(DataError) -> [HarmfulPrompt] {
    try Datasets.beaverTailsEvaluation(path("beavertails/beavertails_evaluation_699.jsonl"))
  }

  /// HarmBench text behaviors of one split (`test`: 320, `val`: 80).
  public func harmBench(_ split: String) throws(DataError) -> [HarmBenchBehavior] {
    try Datasets.harmBench(path("harmbench/harmbench_behaviors_text_\(split).csv"))
  }

  /// GSM8K problems of `split` (`train`: 7,473, `test`: 1,319).
  public func gsm8k(_ split: String) throws(DataError) -> [GSM8KProblem] {
    try Datasets.gsm8kProblems(path("gsm8k/\(split).jsonl"))
  }

  /// SST-2 train sentences (67,349).
  public func sst2Train() throws(DataError) -> [SST2Sentence] {
    try Datasets.sst2Sentences(path("sst2/train.tsv"))
  }

  /// SST-2 validation in the Surgery format (872).
  public func sst2Validation() throws(DataError) -> [InstructionPair] {
    try Datasets.instructionPairs(path("sst2/validation_surgery_format.jsonl"))
  }

  /// AG News test in the Surgery format (7,600).
  public func agNewsTest() throws(DataError) -> [InstructionPair] {
    try Datasets.instructionPairs(path("ag_news/test_surgery_format.jsonl"))
  }

  /// AG News train sample in the Surgery format (950).
  public func agNewsTrainSample() throws(DataError) -> [InstructionPair] {
    try Datasets.instructionPairs(path("ag_news/train_sample950_surgery_format.jsonl"))
  }

  /// The HarmBench/AdvBench refusal prefixes (29).
  public func refusalPrefixes() throws(DataError) -> [String] {
    try Datasets.refusalPrefixes(path("judge/refusal_prefixes_harmbench_advbench.json"))
  }

  /// The names of the PyRIT sets of `kind` (file names without `.csv`), sorted.
  public func humanLabelledSets(_ kind: ScorerSetKind) throws(DataError) -> [String] {
    let directory = path("judge/pyrit_scorer_evals/\(kind.rawValue)")
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw DataError("cannot list the directory: \(error.localizedDescription)", path: directory)
    }
    return names.filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
  }

  /// One PyRIT set (`Datasets.humanLabelled`).
  public func humanLabelled(_ kind: ScorerSetKind, set: String) throws(DataError)
    -> [HumanLabelledAnswer]
  {
    try Datasets.humanLabelled(
      path("judge/pyrit_scorer_evals/\(kind.rawValue)/\(set).csv"), set: set)
  }
}
