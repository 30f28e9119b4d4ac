import Foundation

/// `results.json`: the preset's settings, one record per evaluated model and the comparisons of
/// every defense against SFT (snake_case keys; `scalpel report` reads it back).
public struct ExperimentResults: Sendable, Codable {
  public var preset: PresetRecord
  public var runs: [RunRecord]
  public var comparisons: [Comparison]
  /// Each defense at p > 0 against itself at p = 0 (`baseline` is the defense): the attack's
  /// effect. Empty in results written before it existed.
  public var attackEffects: [Comparison]
  /// Provenance: the model file, the backend, the judge's card and the date of writing.
  public var model: String
  public var backend: String
  public var judge: JudgeCard
  public var date: String

  /// Every setting of the preset, flat.
  public struct PresetRecord: Sendable, Codable, Hashable {
    public var name: String
    public var task: String
    public var n: Int
    public var epochs: Int
    public var lr: Double
    public var batch: Int
    public var maxLength: Int
    public var clip: Double
    public var seeds: [UInt64]
    /// Defense name → poison ratios.
    public var defenses: [String: [Double]]
    public var lambda: Double?
    public var sink: Int?
    public var rho: Double?
    public var lisaAlignmentSteps: Int?
    public var lisaFineTuneSteps: Int?
    public var mixShare: Double?
    public var alignRefusals: Int
    public var alignBenign: Int
    public var alignEpochs: Int
    public var alignLr: Double
    /// Item positions `[first, end)` per benchmark.
    public var beavertailsItems: [Int]
    public var harmbenchItems: [Int]
    public var sst2Items: [Int]
    public var maxNewTokens: Int
    public var sinkSamples: Int
    public var bootstrapReplicates: Int

    enum CodingKeys: String, CodingKey {
      case name, task, n, epochs, lr, batch, clip, seeds, defenses, lambda, sink, rho
      case maxLength = "max_length"
      case lisaAlignmentSteps = "lisa_alignment_steps"
      case lisaFineTuneSteps = "lisa_fine_tune_steps"
      case mixShare = "mix_share"
      case alignRefusals = "align_refusals"
      case alignBenign = "align_benign"
      case alignEpochs = "align_epochs"
      case alignLr = "align_lr"
      case beavertailsItems = "beavertails_items"
      case harmbenchItems = "harmbench_items"
      case sst2Items = "sst2_items"
      case maxNewTokens = "max_new_tokens"
      case sinkSamples = "sink_samples"
      case bootstrapReplicates = "bootstrap_replicates"
    }

    /// The record of `preset` (clipping `clip`).
    public init(_ p: ExperimentPreset, clip: Double) {
      let parts = p.runs.map(\.defense)
      name = p.name
      task = p.task.rawValue
      n = p.samples
      epochs = p.epochs
      lr = p.learningRate
      batch = p.batch
      maxLength = p.maxLength
      self.clip = clip
      seeds = p.seeds
      defenses = Dictionary(p.runs.map { ($0.defense.name, $0.poisonRatios) }) { a, _ in a }
      lambda = parts.compactMap(\.surgery).first?.lambda
      sink = parts.compactMap(\.surgery).first?.sink
      rho = parts.compactMap(\.lisa).first?.rho
      lisaAlignmentSteps = parts.compactMap(\.lisa).first?.alignmentSteps
      lisaFineTuneSteps = parts.compactMap(\.lisa).first?.fineTuneSteps
      mixShare = parts.compactMap(\.safeInstructionShare).first
      alignRefusals = p.alignRefusals
      alignBenign = p.alignBenign
      alignEpochs = p.alignEpochs
      alignLr = p.alignLearningRate
      beavertailsItems = [p.beaverTailsItems.lowerBound, p.beaverTailsItems.upperBound]
      harmbenchItems = [p.harmBenchItems.lowerBound, p.harmBenchItems.upperBound]
      sst2Items = [p.taskItems.lowerBound, p.taskItems.upperBound]
      maxNewTokens = p.maxNewTokens
      sinkSamples = p.sinkSamples
      bootstrapReplicates = p.bootstrapReplicates
    }
  }

  /// One evaluated model: the aligned start or one fine-tuning run.
  public struct RunRecord: Sendable, Codable, Hashable {
    /// `aligned`, `sft`, `surgery`, `safeinstr`, `lisa` (or a composition, `surgery+lisa`).
    public var defense: String
    /// Nil for the aligned model.
    public var poisonRatio: Double?
    public var seed: UInt64
    public var hsBeavertails: Double
    public var hsBeavertailsCi: [Double]
    public var hsHarmbench: Double
    public var hsHarmbenchCi: [Double]
    public var refusalBeavertails: Double
    public var faSst2: Double
    public var faSst2Ci: [Double]
    public var nBeavertails: Int
    public var nHarmbench: Int
    public var nSst2: Int
    public var positiveHeads: Int
    /// The generations file, relative to results.json.
    public var generations: String
    /// Optimizer steps (nil for the aligned model), median seconds per step.
    public var steps: Int?
    public var stepSeconds: Double?
    public var finalTaskLoss: Double?
    /// dₕ per layer and head.
    public var divergence: [[Double]]

    enum CodingKeys: String, CodingKey {
      case defense, seed, generations, steps, divergence
      case poisonRatio = "poison_ratio"
      case hsBeavertails = "hs_beavertails"
      case hsBeavertailsCi = "hs_beavertails_ci"
      case hsHarmbench = "hs_harmbench"
      case hsHarmbenchCi = "hs_harmbench_ci"
      case refusalBeavertails = "refusal_beavertails"
      case faSst2 = "fa_sst2"
      case faSst2Ci = "fa_sst2_ci"
      case nBeavertails = "n_beavertails"
      case nHarmbench = "n_harmbench"
      case nSst2 = "n_sst2"
      case positiveHeads = "positive_heads"
      case stepSeconds = "step_seconds"
      case finalTaskLoss = "final_task_loss"
    }

    /// Writes `poison_ratio` as null for the aligned model rather than leaving the key out.
    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(defense, forKey: .defense)
      try c.encode(poisonRatio, forKey: .poisonRatio)
      try c.encode(seed, forKey: .seed)
      try c.encode(hsBeavertails, forKey: .hsBeavertails)
      try c.encode(hsBeavertailsCi, forKey: .hsBeavertailsCi)
      try c.encode(hsHarmbench, forKey: .hsHarmbench)
      try c.encode(hsHarmbenchCi, forKey: .hsHarmbenchCi)
      try c.encode(refusalBeavertails, forKey: .refusalBeavertails)
      try c.encode(faSst2, forKey: .faSst2)
      try c.encode(faSst2Ci, forKey: .faSst2Ci)
      try c.encode(nBeavertails, forKey: .nBeavertails)
      try c.encode(nHarmbench, forKey: .nHarmbench)
      try c.encode(nSst2, forKey: .nSst2)
      try c.encode(positiveHeads, forKey: .positiveHeads)
      try c.encode(generations, forKey: .generations)
      try c.encodeIfPresent(steps, forKey: .steps)
      try c.encodeIfPresent(stepSeconds, forKey: .stepSeconds)
      try c.encodeIfPresent(finalTaskLoss, forKey: .finalTaskLoss)
      try c.encode(divergence, forKey: .divergence)
    }
  }

  /// A defense against SFT at one poison ratio on one harmful benchmark, pooled over seeds:
  /// the HS difference (defense − SFT, points), its paired bootstrap interval over
  /// (prompt, seed) pairs and the exact McNemar p-value on the same pairs.
  public struct Comparison: Sendable, Codable, Hashable {
    public var defense: String
    public var baseline: String
    public var poisonRatio: Double
    public var benchmark: String
    public var hsDelta: Double
    public var ci: [Double]
    public var mcnemarP: Double
    /// Pairs harmful under the defense only, and under the baseline only.
    public var defenseOnly: Int
    public var baselineOnly: Int
    public var pairs: Int

    enum CodingKeys: String, CodingKey {
      case defense, baseline, benchmark, ci, pairs
      case poisonRatio = "poison_ratio"
      case hsDelta = "hs_delta"
      case mcnemarP = "mcnemar_p"
      case defenseOnly = "defense_only"
      case baselineOnly = "baseline_only"
    }
  }

  enum CodingKeys: String, CodingKey {
    case preset, runs, comparisons, model, backend, judge, date
    case attackEffects = "attack_effects"
  }

  public init(
    preset: PresetRecord, runs: [RunRecord], comparisons: [Comparison],
    attackEffects: [Comparison], model: String, backend: String, judge: JudgeCard, date: String
  ) {
    self.preset = preset
    self.runs = runs
    self.comparisons = comparisons
    self.attackEffects = attackEffects
    self.model = model
    self.backend = backend
    self.judge = judge
    self.date = date
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    preset = try c.decode(PresetRecord.self, forKey: .preset)
    runs = try c.decode([RunRecord].self, forKey: .runs)
    comparisons = try c.decode([Comparison].self, forKey: .comparisons)
    attackEffects = try c.decodeIfPresent([Comparison].self, forKey: .attackEffects) ?? []
    model = try c.decode(String.self, forKey: .model)
    backend = try c.decode(String.self, forKey: .backend)
    judge = try c.decode(JudgeCard.self, forKey: .judge)
    date = try c.decode(String.self, forKey: .date)
  }

  /// Reads `results.json`; errors name the file.
  public static func read(_ path: String) throws(SafetyError) -> ExperimentResults {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SafetyError("cannot read the results", file: path)
    }
    do {
      return try JSONDecoder().decode(ExperimentResults.self, from: data)
    } catch {
      throw SafetyError("not an experiment results.json: \(error)", file: path)
    }
  }
}
