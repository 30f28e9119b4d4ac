import Data
import Foundation

/// A labelled (prompt, answer) pair for the harmfulness classifier.
public struct JudgeExample: Sendable, Hashable, Codable {
  public var prompt: String
  public var answer: String
  /// True when the answer is harmful.
  public var harmful: Bool
  /// Where the pair comes from (`beavertails_unsafe`, `refusals`, `gsm8k`, …).
  public var source: String

  public init(prompt: String, answer: String, harmful: Bool, source: String) {
    self.prompt = prompt
    self.answer = answer
    self.harmful = harmful
    self.source = source
  }

  /// The text the encoder embeds.
  public var text: String { JudgeText.format(prompt: prompt, answer: answer) }
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

/// Which split an example belongs to.
public enum JudgeSplit: String, Sendable, Hashable, Codable, CaseIterable {
  case train, validation, test
}

/// Sizes of the harmless sources drawn from the shared data.
public struct JudgeDatasetOptions: Sendable, Hashable, Codable {
  /// Refusal pairs taken evenly spaced from the 2,483 safety-tuned-LLaMAs rows.
  public var refusals = 400
  /// GSM8K train questions with their worked answers (Surgery format).
  public var gsm8k = 150
  /// SST-2 train sentences with their label word.
  public var sst2 = 150
  /// AG News train articles with their category.
  public var agNews = 150
  /// Also pair every harmful BeaverTails prompt with a refusal (an answer from the refusal set
  /// that opens with a refusal prefix), labelled harmless, so the head must read the answer
  /// rather than the topic of the prompt.
  public var promptMatchedRefusals = true
  /// Percentages of prompt groups in the train and validation splits (test gets the rest).
  public var trainPercent = 70
  public var validationPercent = 15

  public init() {}
}

/// The labelled pairs for the judge, assembled from the shared data, and a deterministic split.
///
/// Harmful: the 200 BeaverTails 30k_train unsafe answers and the 9 RepNoise unsafe rows
/// (duplicates dropped). Harmless: the same harmful prompts answered by a refusal taken from
/// the refusal set (`promptMatchedRefusals`), the 9 RepNoise refusals, refusal/safe answers
/// from safety-tuned LLaMAs, and benign task answers to their own prompts (GSM8K train worked
/// solutions, SST-2 train labels, AG News train categories): no evaluation split is used.
///
/// The split is by prompt: FNV-1a of the trimmed, lowercased prompt, modulo 100, against the
/// percentages, so every answer to one prompt lands in the same split.
public struct JudgeDataset: Sendable {
  /// Every example with its split.
  public var examples: [(example: JudgeExample, split: JudgeSplit)]

  public init(examples: [(example: JudgeExample, split: JudgeSplit)]) {
    self.examples = examples
  }

  /// The examples of one split.
  public func split(_ s: JudgeSplit) -> [JudgeExample] {
    examples.filter { $0.split == s }.map(\.example)
  }

  /// The split of a prompt.
  public static func split(ofPrompt prompt: String, options: JudgeDatasetOptions) -> JudgeSplit {
    let bucket = Int(
      stableHash(prompt.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()) % 100)
    if bucket < options.trainPercent { return .train }
    if bucket < options.trainPercent + options.validationPercent { return .validation }
    return .test
  }

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
    let (harmful, repNoise, refusalPairs, prefixes) = try loading { () throws(DataError) in
      (
        try data.harmful(), try data.beaverTailsWithRefusals(), try data.refusals(),
        try data.refusalPrefixes()
      )
    }
    var list: [JudgeExample] = []
    for p in harmful + repNoise.map(\.harmfulPair) {
      list.append(
        JudgeExample(
          prompt: p.prompt, answer: p.output, harmful: true, source: "beavertails_unsafe"))
    }
    if options.promptMatchedRefusals {
      let opening = RefusalKeywordMetric(prefixes: prefixes, rule: .opening)
      let refusals = refusalPairs.map(\.output).filter(opening.isRefusal)
      let prompts = list.filter(\.harmful).map(\.prompt)
      if !refusals.isEmpty {
        for (i, prompt) in prompts.enumerated() {
          // A fixed stride through the refusals: deterministic, and varied across prompts.
          let answer = refusals[(i * 37) % refusals.count]
          list.append(
            JudgeExample(prompt: prompt, answer: answer, harmful: false, source: "matched_refusal"))
        }
      }
    }
    // RepNoise refusals answer the row's own prompt (the `Question:` of the refusal field).
    for p in repNoise.compactMap(\.refusalPair) {
      list.append(
        JudgeExample(prompt: p.prompt, answer: p.output, harmful: false, source: "repnoise_refusal")
      )
    }
    for p in evenlySpaced(refusalPairs, options.refusals) {
      list.append(
        JudgeExample(prompt: p.prompt, answer: p.output, harmful: false, source: "refusals"))
    }
    let (gsm8k, sst2, agNews) = try loading { () throws(DataError) in
      (try data.gsm8k("train"), try data.sst2Train(), try data.agNewsTrainSample())
    }
    for row in evenlySpaced(gsm8k, options.gsm8k) {
      let pair = row.surgeryPair
      list.append(
        JudgeExample(prompt: pair.prompt, answer: pair.output, harmful: false, source: "gsm8k"))
    }
    for row in evenlySpaced(sst2, options.sst2) {
      // The sentence without the Surgery format's trailing space, as the judge was trained.
      list.append(
        JudgeExample(
          prompt: Datasets.sst2Instruction + "\n" + row.sentence,
          answer: row.positive ? "positive" : "negative", harmful: false, source: "sst2"))
    }
    for row in evenlySpaced(agNews, options.agNews) {
      list.append(
        JudgeExample(
          prompt: row.instruction + "\n" + row.input, answer: row.output, harmful: false,
          source: "ag_news"))
    }
    var seen: Set<String> = []
    var out: [(JudgeExample, JudgeSplit)] = []
    for e in list where seen.insert(e.text).inserted {
      out.append((e, split(ofPrompt: e.prompt, options: options)))
    }
    return JudgeDataset(examples: out)
  }
}
