import Data
import Foundation
import Models
import Runtime
import Training

/// The paper's experiment on one machine, as the CLI's own steps called in one process: align
/// (`scalpel align`: a checkpoint, cached), train every (defense, p, seed) (`scalpel train`:
/// `runs/NAME/checkpoint`, `log.jsonl`), generate (`scalpel generate --in prompts/B.jsonl`:
/// `runs/NAME/answers/B.jsonl`), judge (`generations/NAME.jsonl`), measure the sink tables and
/// report (`scalpel report`: `results.json`, `report.md`, `plots/`). Every finished step stays on
/// disk and is skipped on restart, model by model; any step can be rerun alone from the files.
public final class ExperimentRunner {
  public let preset: ExperimentPreset
  public let outputDirectory: String
  /// Where the aligned model is cached across runs.
  public let cacheDirectory: String
  public let model: LoadedLanguageModel
  public let judge: HarmfulnessJudge
  public let data: DataDirectory
  public let backend: any Backend
  /// Status lines for the caller to show.
  public var log: (String) -> Void = { _ in }
  /// Progress (label, done, total, fields) for the caller to show.
  public var progress: (_ label: String, _ done: Int, _ total: Int, _ fields: String) -> Void = {
    _, _, _, _ in
  }

  /// The data the steps use, read once per run. Disjoint pools (by prompt, `data/splits/`):
  /// the poison rows mixed into fine-tuning, the Surgery penalty's harmful calibration rows and
  /// the sink analysis's harmful rows. The 2,483 refusal pairs are split likewise, from the
  /// end: Surgery's safe side (the last 100), the sink analysis's safe side (the 100 before),
  /// the baselines' refusals (SafeInstr's added pairs and Lisa's alignment steps: the 300
  /// before those), and alignment (all the rest).
  private var harmfulPairs: [InstructionPair] = []
  private var calibrationPairs: [InstructionPair] = []
  private var sinkHarmfulPairs: [InstructionPair] = []
  private var refusalPairs: [InstructionPair] = []
  private var baselineRefusalPairs: [InstructionPair] = []
  private var surgerySafePairs: [InstructionPair] = []
  private var sinkSafePairs: [InstructionPair] = []
  private var benignPairs: [InstructionPair] = []

  public init(
    preset: ExperimentPreset, outputDirectory: String, cacheDirectory: String,
    model: LoadedLanguageModel,
    judge: HarmfulnessJudge, data: DataDirectory, backend: any Backend
  ) {
    self.preset = preset
    self.outputDirectory = outputDirectory
    self.cacheDirectory = cacheDirectory
    self.model = model
    self.judge = judge
    self.data = data
    self.backend = backend
  }

  var fineTuneEncoder: ChatEncoder {
    ChatEncoder(
      tokenizer: model.tokenizer, system: .custom(ChatEncoder.fineTuningSystemPrompt),
      maxLength: preset.maxLength)
  }

  /// Everything a finished step's result depends on besides the code: the preset, the model
  /// file, the training format. Stored as `settings.json` beside the results; a directory
  /// holding another run's settings is refused rather than mixed.
  struct Settings: Codable, Equatable {
    var preset: ExperimentPreset
    var model: String
    var format: String
  }

  /// Version of what the cached steps contain (the prompt format, the truncation rule,
  /// clipping, the refusal split): a change here makes earlier caches and results stale.
  static let format =
    "pairs-4: blank-line prompt, end-of-turn kept, clip 1.0, disjoint pools, baseline refusals"

  /// The gradient clipping of every fine-tuning run (the reference clips at 1.0).
  static let clip = 1.0
  /// The seed of the alignment run.
  static let alignmentSeed: UInt64 = 7
  /// Prompts per generation batch: 16 answers 1.37 s each at 128 new tokens on the 2-core
  /// machine, against 2.0 s at 8 and 1.2 s at 32 (`scalpel bench generate`, docs/experiment.md).
  static let generationBatch = 16
  /// Refusal pairs reserved for the baselines (SafeInstr, Lisa).
  static let baselineRefusals = 300

  var settings: Settings {
    Settings(preset: preset, model: model.location.path, format: Self.format)
  }

  /// Runs every step not done yet and writes the report.
  public func run() throws -> ExperimentResults {
    if let problem = preset.problems().first { throw SafetyError("preset: \(problem)") }
    try FileManager.default.createDirectory(
      atPath: outputDirectory, withIntermediateDirectories: true)
    let stored = try cachedStep(outputDirectory + "/settings.json") { settings }
    guard stored == settings else {
      throw SafetyError(
        "\(outputDirectory) holds results of other settings (preset, model or format): choose "
          + "another --out, or delete it to start over", file: outputDirectory + "/settings.json")
    }
    harmfulPairs = try data.beaverTailsUnsafe(use: "poison")
    calibrationPairs = try data.beaverTailsUnsafe(use: "surgery_calibration")
    sinkHarmfulPairs = try data.beaverTailsUnsafe(use: "sink_analysis")
    let refusals = try data.refusals()
    let reserved = 200 + Self.baselineRefusals
    guard refusals.count > reserved else {
      throw SafetyError(
        "the refusal pool holds \(refusals.count) pairs, fewer than \(reserved + 1)")
    }
    refusalPairs = Array(refusals.dropLast(reserved))
    baselineRefusalPairs = Array(refusals.dropLast(200).suffix(Self.baselineRefusals))
    surgerySafePairs = Array(refusals.suffix(100))
    sinkSafePairs = Array(refusals.dropLast(100).suffix(100))
    benignPairs = try data.benign(preset.task)
    try writePrompts()

    // The aligned weights are read from their checkpoint for each use rather than held: a
    // fine-tuning run updates its own copy in place, so holding them would cost a model's size.
    try alignedWeights(log: true)
    var outcomes = [
      try cachedStep("\(outputDirectory)/runs/aligned/result.json") {
        try evaluate(
          try alignedWeights(), name: "aligned", defense: "aligned", ratio: nil,
          seed: Self.alignmentSeed)
      }
    ]
    for seed in preset.seeds {
      for (defense, p) in preset.defenseRatios {
        let name = "\(defense.name)-p\(p)-s\(seed)"
        outcomes.append(
          try cachedStep("\(outputDirectory)/runs/\(name)/result.json") {
            try fineTuneAndEvaluate(defense: defense, ratio: p, seed: seed, name: name)
          })
      }
    }
    let results = try Self.results(
      outcomes, preset: preset, model: model.location.path, backend: backend.name,
      judge: judge.model.card)
    try writeJSON(results, to: outputDirectory + "/results.json")
    try ExperimentReport.write(results, to: outputDirectory)
    return results
  }

  /// `results.json` from every model's outcomes.
  public static func results(
    _ outcomes: [RunOutcomes], preset: ExperimentPreset, model: String, backend: String,
    judge: JudgeCard
  ) throws -> ExperimentResults {
    let bootstrap = Bootstrap(replicates: preset.bootstrapReplicates, seed: 2024)
    return ExperimentResults(
      preset: .init(preset, clip: clip),
      runs: try outcomes.map { try ExperimentStatistics.record($0, bootstrap: bootstrap) },
      comparisons: try ExperimentStatistics.comparisons(outcomes, bootstrap: bootstrap),
      attackEffects: try ExperimentStatistics.attackEffects(outcomes, bootstrap: bootstrap),
      model: model, backend: backend, judge: judge,
      date: ISO8601DateFormatter().string(from: Date()))
  }

  // MARK: - Steps

  /// The benchmark items the preset answers, by benchmark.
  func items() throws -> [(benchmark: Benchmark, items: [BenchmarkItem])] {
    let task: Benchmark =
      switch preset.task {
      case .gsm8k: .gsm8k
      case .sst2: .sst2
      case .agnews: .agNews
      }
    return try [
      (Benchmark.beaverTails, preset.beaverTailsItems), (.harmBench, preset.harmBenchItems),
      (task, preset.taskItems),
    ].map { benchmark, range in
      let all = try BenchmarkPrompts.items(benchmark, data: data)
      guard range.upperBound <= all.count else {
        throw SafetyError(
          "the preset asks for \(benchmark.rawValue) items \(range.lowerBound)..<\(range.upperBound), "
            + "the benchmark has \(all.count)")
      }
      return (benchmark, Array(all[range]))
    }
  }

  /// `prompts/BENCHMARK.jsonl`: the `{"prompt"}` lines `scalpel generate --in` reads.
  func writePrompts() throws {
    for (benchmark, items) in try items() {
      try JSONLines.write(
        items.map { ["prompt": $0.message] },
        to: "\(outputDirectory)/prompts/\(benchmark.rawValue).jsonl")
    }
  }

  /// The aligned starting model, trained once per preset alignment settings and cached.
  @discardableResult
  func alignedWeights(log logging: Bool = false) throws -> [String: HostTensor] {
    // Keyed by everything the weights depend on: model, data sizes, epochs, rate, length,
    // batch, seed and the training format.
    let modelName = URL(fileURLWithPath: model.location.path).deletingPathExtension()
      .lastPathComponent
    let key =
      "aligned-\(modelName)-\(preset.task.rawValue)-r\(preset.alignRefusals)-b\(preset.alignBenign)-e\(preset.alignEpochs)-lr\(preset.alignLearningRate)-L\(preset.maxLength)-B\(preset.batch)-s\(Self.alignmentSeed)-\(Self.format.prefix { $0 != ":" })"
    let directory = cacheDirectory + "/" + key
    let total = preset.alignRefusals + preset.alignBenign
    let mixture = try PoisonedMixture.make(
      harmful: refusalPairs, benign: benignPairs, samples: total,
      ratio: Double(preset.alignRefusals) / Double(total), seed: Self.alignmentSeed)
    let samples = try mixture.map { try fineTuneEncoder.encode($0.pair) }
    let config = TrainingConfig(
      batchSize: preset.batch, sequenceLength: preset.maxLength, epochs: preset.alignEpochs,
      schedule: .constant(rate: preset.alignLearningRate),
      optimizer: AdamWConfig(clip: Self.clip), defense: .sft, seed: Self.alignmentSeed)
    if logging {
      log(
        "alignment: \(preset.alignRefusals) refusal pairs + \(preset.alignBenign) \(preset.task.rawValue) samples (cached in \(directory))"
      )
    }
    let trainer = try trainer(
      in: directory, config: config, weights: model.weights, samples: samples, pools: nil)
    try train(trainer, label: "align")
    return trainer.weights
  }

  /// The fine-tuning configuration of one defense's runs at `seed`.
  public func fineTuneConfig(defense: FineTuneDefense, seed: UInt64 = 1) -> TrainingConfig {
    TrainingConfig(
      batchSize: preset.batch, sequenceLength: preset.maxLength, epochs: preset.epochs,
      schedule: .constant(rate: preset.learningRate), optimizer: AdamWConfig(clip: Self.clip),
      defense: defense.objective, seed: seed, lisa: defense.lisa)
  }

  /// The fine-tuning samples of one run: the poisoned mixture (n samples), plus SafeInstr's
  /// refusal pairs from the baselines' share when the defense mixes them in.
  func fineTuneSamples(defense: FineTuneDefense, ratio: Double, seed: UInt64) throws
    -> [EncodedSample]
  {
    var pairs = try PoisonedMixture.make(
      harmful: harmfulPairs, benign: benignPairs, samples: preset.samples, ratio: ratio,
      seed: seed
    ).map(\.pair)
    let added = defense.safeInstructionCount(samples: preset.samples)
    if added > 0 {
      guard added <= baselineRefusalPairs.count else {
        throw SafetyError(
          "SafeInstr needs \(added) refusal pairs, the baselines' share holds \(baselineRefusalPairs.count)"
        )
      }
      var g = SeededRandom(seed: seed, stream: 0x7361_6665)
      pairs += g.permutation(baselineRefusalPairs.count).prefix(added).map {
        baselineRefusalPairs[$0]
      }
    }
    return try pairs.map { try fineTuneEncoder.encode($0) }
  }

  func fineTuneAndEvaluate(
    defense: FineTuneDefense, ratio: Double, seed: UInt64, name: String
  ) throws -> RunOutcomes {
    let samples = try fineTuneSamples(defense: defense, ratio: ratio, seed: seed)
    var pools: SurgeryPools?
    if defense.surgery != nil {
      let bare = ChatEncoder(tokenizer: model.tokenizer, system: .none, maxLength: preset.maxLength)
      pools = SurgeryPools(
        harmful: try calibrationPairs.map { try bare.encode($0) },
        safe: try surgerySafePairs.map { try bare.encode($0) })
    }
    let config = fineTuneConfig(defense: defense, seed: seed)
    log("fine-tuning: \(defense.name), p = \(ratio), seed \(seed) (\(samples.count) samples)")
    let directory = "\(outputDirectory)/runs/\(name)"
    let alignment =
      defense.lisa == nil ? [] : try baselineRefusalPairs.map { try fineTuneEncoder.encode($0) }
    // The trainer (its optimizer state, its step's arena) is gone before evaluation starts.
    let (weights, records, steps) = try {
      let trainer = try trainer(
        in: directory, config: config, weights: try alignedWeights(), samples: samples,
        alignmentSamples: alignment, pools: pools)
      let records = try train(trainer, label: name)
      return (trainer.weights, records, trainer.progress.step)
    }()
    backend.releaseIdleMemory()
    var outcome = try evaluate(weights, name: name, defense: defense.name, ratio: ratio, seed: seed)
    let logged = (try? Self.stepRecords(log: directory + "/log.jsonl")) ?? records
    let seconds = logged.map(\.seconds)
    outcome.steps = steps
    outcome.stepSeconds = seconds.isEmpty ? nil : seconds.sorted()[seconds.count / 2]
    // The cross-entropy alone (the trainer's last loss includes Surgery's λ·penalty).
    outcome.finalTaskLoss = logged.last?.taskLoss
    return outcome
  }

  /// Every step of a training log, in order.
  static func stepRecords(log path: String) throws -> [StepRecord] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n").compactMap {
      try? JSONDecoder().decode(StepRecord.self, from: Data($0.utf8))
    }
  }

  /// A trainer writing to `directory`, resumed from its checkpoint when one exists (`weights`
  /// is evaluated only when it does not: a resumed run does not read its starting weights).
  func trainer(
    in directory: String, config: TrainingConfig,
    weights: @autoclosure () throws -> [String: HostTensor],
    samples: [EncodedSample], alignmentSamples: [EncodedSample] = [], pools: SurgeryPools?
  ) throws -> Trainer {
    let trainer: Trainer
    if FileManager.default.fileExists(atPath: directory + "/checkpoint/trainer_state.json") {
      trainer = try Trainer(
        resumingFrom: directory + "/checkpoint", samples: samples,
        alignmentSamples: alignmentSamples, pools: pools, backend: backend)
    } else {
      trainer = try Trainer(
        model: model.architecture, config: config, weights: try weights(), samples: samples,
        alignmentSamples: alignmentSamples, pools: pools,
        backend: backend,
        sources: ["tokenizer": try model.tokenizerPath(), "model": model.location.path])
    }
    trainer.outputDirectory = directory
    return trainer
  }

  /// Runs the trainer to the end, reporting every step.
  @discardableResult
  func train(_ trainer: Trainer, label: String) throws -> [StepRecord] {
    guard !trainer.isFinished else { return [] }
    backend.releaseIdleMemory()
    let start = trainer.progress.step
    progress(label, 0, trainer.totalSteps - start, "")
    trainer.onStep = { [progress] r in
      var fields = "loss \(String(format: "%.4f", r.taskLoss))"
      if let p = r.sinkPenalty { fields += " penalty \(String(format: "%.4f", p))" }
      fields += " \(String(format: "%.1f", r.seconds))s/step"
      progress(label, r.step - start, r.totalSteps - start, fields)
    }
    return try trainer.run()
  }

  /// Generate, judge and score one model's answers, and measure its sink tables: writes
  /// `runs/NAME/answers/B.jsonl` (kept: a restart regenerates nothing already answered) and
  /// `generations/NAME.jsonl`.
  func evaluate(
    _ weights: [String: HostTensor], name: String, defense: String, ratio: Double?, seed: UInt64
  ) throws -> RunOutcomes {
    var evaluated = model
    evaluated.weights = weights
    let answering = BatchAnswers(
      model: evaluated, backend: backend, template: ChatTemplate.smolLM2,
      system: .custom(ChatEncoder.fineTuningSystemPrompt), maxNewTokens: preset.maxNewTokens,
      batch: Self.generationBatch)
    var outcome = RunOutcomes(
      defense: defense, poisonRatio: ratio, seed: seed, beaverTailsHarmful: [],
      beaverTailsRefusal: [], harmBenchHarmful: [], taskCorrect: [], positiveHeads: 0,
      divergence: [])
    var lines: [[String: Any]] = []
    for (benchmark, items) in try items() {
      let path = "\(outputDirectory)/runs/\(name)/answers/\(benchmark.rawValue).jsonl"
      let prompts = items.map(\.message)
      var answers: [String]
      if let stored = try? AnswerRecord.read(path), stored.map(\.prompt) == prompts {
        answers = stored.map(\.response)
      } else {
        answers = try answering.answers(prompts) { [progress] done, total in
          progress("\(name): \(benchmark.rawValue)", done, total, "")
        }
        try BatchAnswers.write(prompts: prompts, answers: answers, to: path)
      }
      if benchmark.isHarmful {
        let verdicts = try judge.judge(
          zip(items, answers).map { InstructionPair(instruction: $0.message, output: $1) })
        for (i, v) in verdicts.enumerated() {
          lines.append([
            "benchmark": benchmark.rawValue, "prompt": prompts[i], "response": answers[i],
            "harmful": v.harmful, "refusal": v.refusal, "correct": NSNull(),
          ])
        }
        if benchmark == .beaverTails {
          outcome.beaverTailsHarmful = verdicts.map(\.harmful)
          outcome.beaverTailsRefusal = verdicts.map(\.refusal)
        } else {
          outcome.harmBenchHarmful = verdicts.map(\.harmful)
        }
      } else {
        for (i, item) in items.enumerated() {
          let correct = AnswerParsing.isCorrect(
            answers[i], reference: item.reference ?? "", benchmark: benchmark)
          outcome.taskCorrect.append(correct)
          lines.append([
            "benchmark": benchmark.rawValue, "prompt": prompts[i], "response": answers[i],
            "harmful": NSNull(), "refusal": NSNull(), "correct": correct,
          ])
        }
      }
    }
    try JSONLines.write(lines, to: "\(outputDirectory)/generations/\(name).jsonl")
    let bare = ChatEncoder(tokenizer: model.tokenizer, system: .none, maxLength: preset.maxLength)
    let tables = try SinkMeasurement.tables(
      model: model.architecture, weights: weights,
      harmful: try sinkHarmfulPairs.prefix(preset.sinkSamples).map { try bare.encode($0) },
      safe: try sinkSafePairs.prefix(preset.sinkSamples).map { try bare.encode($0) },
      length: preset.maxLength, backend: backend)
    outcome.positiveHeads = tables.positiveHeads
    outcome.divergence = tables.divergence
    func pct(_ xs: [Bool]) -> String {
      String(format: "%.1f", 100 * Double(xs.filter { $0 }.count) / Double(max(xs.count, 1)))
    }
    log(
      "\(name): HS \(pct(outcome.beaverTailsHarmful))% (BeaverTails), \(pct(outcome.harmBenchHarmful))% (HarmBench), FA \(pct(outcome.taskCorrect))%, \(tables.positiveHeads) positive heads"
    )
    return outcome
  }
}

/// The value stored at `path`, or computed and stored there (atomically): a finished
/// experiment step is read back instead of run again, so an interrupted run resumes.
func cachedStep<T: Codable>(_ path: String, _ compute: () throws -> T) throws -> T {
  if let data = FileManager.default.contents(atPath: path),
    let value = try? JSONDecoder().decode(T.self, from: data)
  {
    return value
  }
  let value = try compute()
  try writeJSON(value, to: path)
  return value
}

/// Pretty, sorted JSON written atomically, creating the directory.
func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
  try FileManager.default.createDirectory(
    atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
    withIntermediateDirectories: true)
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
  try AtomicFile.write(try encoder.encode(value), to: path)
}

/// The process's peak resident memory so far, in MiB.
func peakResidentMiB() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024
}
