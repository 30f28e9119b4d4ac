import Data

/// The benchmarks of the Surgery evaluation: harmful-prompt sets (HS) and tasks (FA).
public enum Benchmark: String, Sendable, Hashable, Codable, CaseIterable {
  /// BeaverTails-Evaluation, 699 harmful prompts in 14 categories (HS).
  case beaverTails = "beavertails"
  /// HarmBench text behaviours, the 200 standard ones of 400 (HS).
  case harmBench = "harmbench"
  /// GSM8K test[:1000] (FA).
  case gsm8k
  /// SST-2 validation, 872 (FA).
  case sst2
  /// AG News test[:1000] (FA).
  case agNews = "ag_news"

  /// Whether the benchmark measures harmfulness (HS) rather than task accuracy (FA).
  public var isHarmful: Bool { self == .beaverTails || self == .harmBench }

  /// The number of items the reference protocol uses.
  public var defaultCount: Int {
    switch self {
    case .beaverTails: 699
    case .harmBench: 200
    case .gsm8k: 1000
    case .sst2: 872
    case .agNews: 1000
    }
  }
}

/// One prompt to answer: instruction, optional input and, for tasks, the gold reference.
public struct BenchmarkItem: Sendable, Hashable, Codable {
  /// Benchmark-scoped identifier (`gsm8k/17`, `harmbench/parathion_synthesis_instructions`).
  public var id: String
  public var benchmark: Benchmark
  /// The instruction (the user's request for harmful sets).
  public var instruction: String
  /// The input the instruction refers to ("" when none).
  public var input: String
  /// Gold answer: the GSM8K solution (`… #### N`), the SST-2 / AG News label; nil for HS sets.
  public var reference: String?
  /// BeaverTails category or HarmBench semantic category, when known.
  public var category: String?

  public init(
    id: String, benchmark: Benchmark, instruction: String, input: String, reference: String?,
    category: String?
  ) {
    self.id = id
    self.benchmark = benchmark
    self.instruction = instruction
    self.input = input
    self.reference = reference
    self.category = category
  }

  /// The user message, in the format the fine-tuning data uses (`InstructionPair.message`).
  public var message: String { InstructionPair.message(instruction: instruction, input: input) }
}

/// Prompt builders for every benchmark, in the reference formats.
public enum BenchmarkPrompts {
  /// The first `limit` items (default: `benchmark.defaultCount`) of a benchmark.
  public static func items(
    _ benchmark: Benchmark, data: DataDirectory, limit: Int? = nil
  ) throws(SafetyError) -> [BenchmarkItem] {
    let count = max(0, min(limit ?? benchmark.defaultCount, benchmark.defaultCount))
    return try loading { () throws(DataError) in
      switch benchmark {
      case .beaverTails:
        return try data.beaverTailsEvaluation().prefix(count).enumerated().map { i, row in
          BenchmarkItem(
            id: "beavertails/\(i)", benchmark: .beaverTails, instruction: row.prompt, input: "",
            reference: nil, category: row.category)
        }
      case .harmBench:
        // The standard behaviours only (HarmBench's `FunctionalCategory`): the contextual and
        // copyright ones need a context string or a hash-based judge.
        let standard = try (data.harmBench("test") + data.harmBench("val")).filter {
          $0.functionalCategory == "standard"
        }
        return standard.prefix(count).map { row in
          BenchmarkItem(
            id: "harmbench/\(row.id)", benchmark: .harmBench, instruction: row.behavior,
            input: "", reference: nil, category: nil)
        }
      case .gsm8k:
        return try data.gsm8k("test").prefix(count).enumerated().map { i, row in
          BenchmarkItem(
            id: "gsm8k/\(i)", benchmark: .gsm8k, instruction: row.surgeryPair.instruction,
            input: "", reference: row.answer, category: nil)
        }
      case .sst2:
        return try data.sst2Validation().prefix(count).enumerated().map { i, row in
          BenchmarkItem(
            id: "sst2/\(i)", benchmark: .sst2, instruction: row.instruction, input: row.input,
            reference: row.output, category: nil)
        }
      case .agNews:
        return try data.agNewsTest().prefix(count).enumerated().map { i, row in
          BenchmarkItem(
            id: "ag_news/\(i)", benchmark: .agNews, instruction: row.instruction,
            input: row.input, reference: row.output, category: nil)
        }
      }
    }
  }
}
