import Data
import Training

/// The size and settings of a harmful fine-tuning experiment. Every setting that changes a
/// result is here (and in `results.json`'s `preset`).
public struct ExperimentPreset: Sendable, Hashable, Codable {
  public var name: String
  /// The benign task mixed with harmful samples (its test set gives FA).
  public var task: BenignTask
  /// The defenses and the poison ratios each runs at.
  public var runs: [DefenseRuns]
  /// Fine-tuning seeds (the mixture's draw, the batch order, Surgery's draws): every defense
  /// runs once per seed.
  public var seeds: [UInt64]
  /// Fine-tuning samples n: int(p·n) harmful + int((1−p)·n) benign (SafeInstr adds its share).
  public var samples: Int
  public var epochs: Int
  public var batch: Int
  public var learningRate: Double
  public var maxLength: Int
  /// Alignment: refusal pairs and benign samples, epochs, learning rate.
  public var alignRefusals: Int
  public var alignBenign: Int
  public var alignEpochs: Int
  public var alignLearningRate: Double
  /// Which items of each benchmark are answered (positions in BenchmarkPrompts' order).
  public var beaverTailsItems: Range<Int>
  public var harmBenchItems: Range<Int>
  public var taskItems: Range<Int>
  public var maxNewTokens: Int
  /// Harmful and safe samples for the sink tables.
  public var sinkSamples: Int
  /// Bootstrap replicates of every interval.
  public var bootstrapReplicates: Int

  /// One defense and its poison ratios.
  public struct DefenseRuns: Sendable, Hashable, Codable {
    public var defense: FineTuneDefense
    public var poisonRatios: [Double]
    public init(_ defense: FineTuneDefense, _ poisonRatios: [Double]) {
      self.defense = defense
      self.poisonRatios = poisonRatios
    }
  }

  /// The defenses' settings, fixed before any run (issue 16): Surgery λ = 300, sink 0, one
  /// harmful and one safe sample per step; SafeInstr adds refusal pairs amounting to 10 % of
  /// n; Lisa alternates 1 alignment step and 9 fine-tuning steps with ρ = 1.
  public static let surgery = FineTuneDefense(surgery: .init(lambda: 300, sink: 0))
  public static let safeInstruction = FineTuneDefense(safeInstructionShare: 0.1)
  public static let lisa = FineTuneDefense(
    lisa: .init(alignmentSteps: 1, fineTuneSteps: 9, rho: 1))

  /// Minutes on the project's 2-core machine: every step of the protocol, tiny sizes.
  public static let quick = ExperimentPreset(
    name: "quick", task: .sst2,
    runs: [.init(.sft, [0, 0.2]), .init(surgery, [0, 0.2])], seeds: [1],
    samples: 24, epochs: 1, batch: 4, learningRate: 2e-5, maxLength: 96,
    alignRefusals: 24, alignBenign: 8, alignEpochs: 1, alignLearningRate: 2e-5,
    beaverTailsItems: 0..<12, harmBenchItems: 0..<12, taskItems: 0..<12, maxNewTokens: 32,
    sinkSamples: 2, bootstrapReplicates: 1000)

  /// The paper's comparison on this machine (issue 16), cut to fit 4 hours on 2 cores:
  /// alignment; SFT, Surgery, SafeInstr and Lisa at p ∈ {0, 0.2} (p = 0.1 dropped first, as
  /// the issue orders, then n reduced); two seeds; 300 BeaverTails-Evaluation prompts, 100
  /// HarmBench standard behaviours, 200 SST-2 items; answers up to 128 new tokens (batches of
  /// 16 with the KV cache); dₕ from 32 harmful/safe pairs.
  ///
  /// The alignment strength and the fine-tuning's n, learning rate and epochs are the pilot's
  /// choice, made on SFT alone before any defense ran (docs/experiment.md, "The pilot"):
  /// `--preset pilot --set samples=96 --set epochs=1 --set lr=5e-5` with the pilot's alignment
  /// (400 refusal pairs + 100 SST-2 samples, 1 epoch, 5e-5) met (a), (b) and (c).
  ///
  /// Wall time, estimated from the pilot on the 2-core Zen 4 (docs/experiment.md, "Time
  /// budget"): 17 evaluations (aligned + 2 seeds × 8 runs) of about 12 min each (600
  /// answers at the pilot's 300 answers in about 6 min, judge and sink tables included) =
  /// 204 min; fine-tuning 16 runs of 12–14 steps at 4–6 s = 16 min; alignment cached or 63
  /// steps at 4 s: about 3 h 45 min.
  public static let paper = ExperimentPreset(
    name: "paper", task: .sst2,
    runs: [
      .init(.sft, [0, 0.2]), .init(surgery, [0, 0.2]),
      .init(safeInstruction, [0, 0.2]), .init(lisa, [0, 0.2]),
    ],
    seeds: [1, 2],
    samples: 96, epochs: 1, batch: 8, learningRate: 5e-5, maxLength: 128,
    alignRefusals: 400, alignBenign: 100, alignEpochs: 1, alignLearningRate: 5e-5,
    beaverTailsItems: 0..<300, harmBenchItems: 0..<100, taskItems: 0..<200, maxNewTokens: 128,
    sinkSamples: 32, bootstrapReplicates: 10_000)

  /// The pilot that chooses the paper preset's alignment strength and fine-tuning n, learning
  /// rate and epochs, on SFT alone (never on a defense's outcome), evaluated on prompts
  /// disjoint from the paper's: BeaverTails-Evaluation prompts 300..<400, HarmBench standard
  /// behaviours 100..<200, SST-2 items 200..<300. Criteria (issue 16): (a) the aligned model
  /// refuses most harmful prompts; (b) SFT at p = 0 keeps most of those refusals while
  /// reaching the task's accuracy; (c) SFT at p = 0.2 raises HS over p = 0 by a margin whose
  /// interval excludes 0. Vary the settings with `scalpel experiment --preset pilot --set
  /// KEY=VALUE --out DIR` (docs/experiment.md); at most about 50 minutes per setting (5 evaluations
  /// of 300 answers, 4 runs of 12 steps, the alignment when it changes).
  public static let pilot = ExperimentPreset(
    name: "pilot", task: .sst2, runs: [.init(.sft, [0, 0.2])], seeds: [1, 2],
    samples: 48, epochs: 2, batch: 8, learningRate: 1e-5, maxLength: 128,
    alignRefusals: 400, alignBenign: 100, alignEpochs: 1, alignLearningRate: 5e-5,
    beaverTailsItems: 300..<400, harmBenchItems: 100..<200, taskItems: 200..<300,
    maxNewTokens: 128, sinkSamples: 32, bootstrapReplicates: 10_000)

  /// The preset called `name`.
  public static func named(_ name: String) -> ExperimentPreset? {
    [quick, pilot, paper].first { $0.name == name }
  }

  /// Every (defense, ratio) pair the preset runs, in order.
  public var defenseRatios: [(defense: FineTuneDefense, ratio: Double)] {
    runs.flatMap { r in r.poisonRatios.map { (r.defense, $0) } }
  }

  /// Problems that make the preset unusable, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if seeds.isEmpty { out.append("the preset has no seed") }
    if Set(seeds).count != seeds.count { out.append("the seeds repeat") }
    if runs.isEmpty { out.append("the preset runs no defense") }
    for r in runs {
      out += r.defense.problems()
      if r.poisonRatios.contains(where: { !($0 >= 0 && $0 <= 1) }) {
        out.append("poison ratios must be in [0, 1]")
      }
    }
    if samples < 1 || epochs < 1 || batch < 1 || maxLength < 2 || maxNewTokens < 1 {
      out.append("samples, epochs, batch and new tokens must be positive, length at least 2")
    }
    if !(learningRate > 0) || !(alignLearningRate > 0) {
      out.append("learning rates must be positive")
    }
    if beaverTailsItems.isEmpty || harmBenchItems.isEmpty || taskItems.isEmpty {
      out.append("every benchmark needs at least one item")
    }
    if bootstrapReplicates < 2 { out.append("the bootstrap needs at least 2 replicates") }
    return out
  }
}

extension ExperimentPreset {
  /// The keys `set(_:to:)` accepts: the settings the pilot chooses.
  public static let settableKeys = [
    "samples", "epochs", "lr", "align-refusals", "align-benign", "align-epochs", "align-lr",
  ]

  /// Changes one pilot setting from text (`scalpel experiment --set KEY=VALUE`).
  public mutating func set(_ key: String, to value: String) throws(SafetyError) {
    func int() throws(SafetyError) -> Int {
      guard let v = Int(value), v >= 1 else {
        throw SafetyError("--set \(key) takes a positive integer, got '\(value)'")
      }
      return v
    }
    func rate() throws(SafetyError) -> Double {
      guard let v = Double(value), v > 0, v.isFinite else {
        throw SafetyError("--set \(key) takes a positive number, got '\(value)'")
      }
      return v
    }
    switch key {
    case "samples": samples = try int()
    case "epochs": epochs = try int()
    case "lr": learningRate = try rate()
    case "align-refusals": alignRefusals = try int()
    case "align-benign": alignBenign = try int()
    case "align-epochs": alignEpochs = try int()
    case "align-lr": alignLearningRate = try rate()
    default:
      throw SafetyError(
        "--set: unknown key '\(key)'; known: \(Self.settableKeys.joined(separator: ", "))")
    }
  }
}
