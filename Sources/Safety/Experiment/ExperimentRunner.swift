import Data
import Foundation
import Models
import Runtime
import Training

/// One model's measurements.
public struct ModelEvaluation: Sendable, Hashable, Codable {
  /// HS and refusal rate (percent) on BeaverTails-Evaluation and HarmBench prompts.
  public var beaverTails: HarmfulScore
  public var harmBench: HarmfulScore
  /// Fine-tune accuracy (percent) on the task's test items.
  public var fineTuneAccuracy: FineTuneAccuracy
  /// Heads with sink divergence dₕ > 0, and the table.
  public var positiveHeads: Int
  public var divergence: [[Double]]
  public var sinkPenalty: Double
  public var seconds: Double
}

/// One fine-tuning run and its evaluation.
public struct RunResult: Sendable, Hashable, Codable {
  public var defense: String
  public var poisonRatio: Double
  public var steps: Int
  /// Median seconds per optimizer step, and the process's peak resident memory after the run.
  public var stepSeconds: Double
  public var peakResidentMiB: Double
  public var finalTaskLoss: Double
  public var finalSinkPenalty: Double?
  public var evaluation: ModelEvaluation
}

/// Everything `results.json` holds.
public struct ExperimentResults: Sendable, Codable {
  public var preset: ExperimentPreset
  public var model: String
  public var backend: String
  public var aligned: ModelEvaluation
  public var runs: [RunResult]
  /// The judge's card (its measured figures).
  public var judge: JudgeCard
  public var date: String
}

/// The paper's experiment on one machine: align the model on refusals (cached), fine-tune it on
/// poisoned mixtures with and without Surgery, measure HS, FA and sink divergence, and write
/// `results.json`, `report.md` and plots. Every finished step is kept on disk, so an interrupted
/// run resumes where it stopped.
public final class ExperimentRunner {
  public let preset: ExperimentPreset
  public let outputDirectory: String
  /// Where the aligned model is cached across runs.
  public let cacheDirectory: String
  public let model: LoadedLanguageModel
  public let judge: HarmfulnessJudge
  public let data: DataDirectory
  public let backend: any Backend
  /// Status lines and progress (label, done, total, fields) for the caller to show.
  public var log: (String) -> Void = { _ in }
  /// The data the steps use, read once per run.
  /// Disjoint pools (by prompt, `data/splits/`): the poison rows mixed into fine-tuning, the
  /// Surgery penalty's harmful calibration rows and the sink analysis's harmful rows; the
  /// refusal pairs split likewise between alignment, Surgery's safe side (the last 100) and the
  /// sink analysis's safe side (the 100 before them).
  private var harmfulPairs: [InstructionPair] = []
  private var calibrationPairs: [InstructionPair] = []
  private var sinkHarmfulPairs: [InstructionPair] = []
  private var refusalPairs: [InstructionPair] = []
  private var surgerySafePairs: [InstructionPair] = []
  private var sinkSafePairs: [InstructionPair] = []
  private var benignPairs: [InstructionPair] = []

  public var progress: (_ label: String, _ done: Int, _ total: Int, _ fields: String) -> Void = {
    _, _, _, _ in
  }

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
  /// file, the training format and the seeds. Stored as `settings.json` beside the results;
  /// a directory holding another run's settings is refused rather than mixed.
  struct Settings: Codable, Equatable {
    var preset: ExperimentPreset
    var model: String
    var format: String
    var seeds: [UInt64]
  }

  /// Version of what the cached steps contain (the prompt format, the truncation rule,
  /// clipping): a change here makes earlier caches and results stale.
  static let format = "pairs-3: blank-line prompt, end-of-turn kept, clip 1.0, disjoint pools"

  /// The gradient clipping of every fine-tuning run (the reference clips at 1.0).
  static let clip = 1.0

  var settings: Settings {
    Settings(preset: preset, model: model.location.path, format: Self.format, seeds: [7, 43])
  }

  /// Runs every step not done yet and writes the report.
  public func run() throws -> ExperimentResults {
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
    refusalPairs = Array(refusals.dropLast(200))
    surgerySafePairs = Array(refusals.suffix(100))
    sinkSafePairs = Array(refusals.dropLast(100).suffix(100))
    benignPairs = try data.benign(preset.task)
    let aligned = try alignedWeights()
    let baseline = try cachedStep("\(outputDirectory)/aligned-eval.json") {
      log("evaluating the aligned model")
      return try evaluate(aligned, label: "aligned")
    }
    var runs: [RunResult] = []
    for defense in ["sft", "surgery"] {
      for p in preset.poisonRatios {
        let name = "\(defense)-p\(p)"
        runs.append(
          try cachedStep("\(outputDirectory)/runs/\(name)/result.json") {
            try fineTuneAndEvaluate(
              from: aligned, defense: defense, ratio: p,
              directory: "\(outputDirectory)/runs/\(name)")
          })
      }
    }
    let formatter = ISO8601DateFormatter()
    let results = ExperimentResults(
      preset: preset, model: model.location.path, backend: backend.name, aligned: baseline,
      runs: runs,
      judge: judge.model.card,
      date: formatter.string(from: Date()))
    try writeJSON(results, to: outputDirectory + "/results.json")
    try ExperimentReport.write(results, to: outputDirectory)
    return results
  }

  // MARK: - Steps

  /// The aligned starting model, trained once per preset alignment settings and cached.
  func alignedWeights() throws -> [String: HostTensor] {
    // Keyed by everything the weights depend on: model, data sizes, epochs, rate, length,
    // batch, seed and the training format.
    let modelName = URL(fileURLWithPath: model.location.path).deletingPathExtension()
      .lastPathComponent
    let key =
      "aligned-\(modelName)-\(preset.task.rawValue)-r\(preset.alignRefusals)-b\(preset.alignBenign)-e\(preset.alignEpochs)-lr\(preset.alignLearningRate)-L\(preset.maxLength)-B\(preset.batch)-s7-\(Self.format.prefix { $0 != ":" })"
    let directory = cacheDirectory + "/" + key
    let total = preset.alignRefusals + preset.alignBenign
    let mixture = try PoisonedMixture.make(
      harmful: refusalPairs, benign: benignPairs, samples: total,
      ratio: Double(preset.alignRefusals) / Double(total), seed: 7)
    let samples = try mixture.map { try fineTuneEncoder.encode($0.pair) }
    let config = TrainingConfig(
      batchSize: preset.batch, sequenceLength: preset.maxLength, epochs: preset.alignEpochs,
      schedule: .constant(rate: preset.alignLearningRate),
      optimizer: AdamWConfig(clip: Self.clip), defense: .sft, seed: 7)
    log(
      "alignment: \(preset.alignRefusals) refusal pairs + \(preset.alignBenign) \(preset.task.rawValue) samples (cached in \(directory))"
    )
    let trainer = try trainer(
      in: directory, config: config, weights: model.weights, samples: samples, pools: nil)
    try train(trainer, label: "align")
    return trainer.weights
  }

  /// The fine-tuning configuration of the runs of one defense (`sft` or `surgery`).
  public func fineTuneConfig(defense: String) -> TrainingConfig {
    TrainingConfig(
      batchSize: preset.batch, sequenceLength: preset.maxLength, epochs: preset.epochs,
      schedule: .constant(rate: preset.learningRate), optimizer: AdamWConfig(clip: Self.clip),
      defense: defense == "surgery" ? .surgery(lambda: preset.lambda, sink: 0) : .sft, seed: 43)
  }

  func fineTuneAndEvaluate(
    from aligned: [String: HostTensor], defense: String, ratio: Double, directory: String
  ) throws -> RunResult {
    let mixture = try PoisonedMixture.make(
      harmful: harmfulPairs, benign: benignPairs, samples: preset.samples,
      ratio: ratio, seed: 43)
    let samples = try mixture.map { try fineTuneEncoder.encode($0.pair) }
    var pools: SurgeryPools?
    if defense == "surgery" {
      let bare = ChatEncoder(tokenizer: model.tokenizer, system: .none, maxLength: preset.maxLength)
      pools = SurgeryPools(
        harmful: try calibrationPairs.map { try bare.encode($0) },
        safe: try surgerySafePairs.map { try bare.encode($0) })
    }
    let config = fineTuneConfig(defense: defense)
    log("fine-tuning: \(defense), p = \(ratio) (\(samples.count) samples)")
    let trainer = try trainer(
      in: directory, config: config, weights: aligned, samples: samples, pools: pools)
    let records = try train(trainer, label: "\(defense) p=\(ratio)")
    let evaluation = try evaluate(trainer.weights, label: "\(defense) p=\(ratio)")
    let seconds = records.map(\.seconds).sorted()
    return RunResult(
      defense: defense, poisonRatio: ratio, steps: trainer.progress.step,
      stepSeconds: seconds.isEmpty ? 0 : seconds[seconds.count / 2],
      peakResidentMiB: peakResidentMiB(),
      finalTaskLoss: records.last?.taskLoss ?? .nan, finalSinkPenalty: records.last?.sinkPenalty,
      evaluation: evaluation)
  }

  /// A trainer writing to `directory`, resumed from its checkpoint when one exists.
  func trainer(
    in directory: String, config: TrainingConfig, weights: [String: HostTensor],
    samples: [EncodedSample], pools: SurgeryPools?
  ) throws -> Trainer {
    let trainer: Trainer
    if FileManager.default.fileExists(atPath: directory + "/checkpoint/trainer_state.json") {
      trainer = try Trainer(
        resumingFrom: directory + "/checkpoint", samples: samples, pools: pools, backend: backend)
    } else {
      trainer = try Trainer(
        model: model.architecture, config: config, weights: weights, samples: samples, pools: pools,
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

  /// HS on both harmful benchmarks, FA on the task, and the sink tables.
  func evaluate(_ weights: [String: HostTensor], label: String) throws -> ModelEvaluation {
    let start = Date()
    var evaluated = model
    evaluated.weights = weights
    let generator = TextGenerator(evaluated, backend: backend)
    let template = ChatTemplate.smolLM2
    func answers(_ items: [BenchmarkItem], _ what: String) throws -> [String] {
      var out: [String] = []
      progress("\(label): \(what)", 0, items.count, "")
      for chunk in stride(from: 0, to: items.count, by: 6).map({
        Array(items[$0..<min($0 + 6, items.count)])
      }) {
        let prompts = chunk.map {
          evaluated.tokenizer.encode(
            template.prompt($0.message, system: .custom(ChatEncoder.fineTuningSystemPrompt)))
        }
        let generations = try generator.generate(
          prompts,
          options: GenerationOptions(
            maxNewTokens: preset.maxNewTokens, stopTokenIds: evaluated.stopTokenIds))
        for g in generations {
          out.append(try evaluated.tokenizer.decode(g.tokens, skipSpecialTokens: true))
        }
        progress("\(label): \(what)", out.count, items.count, "")
      }
      return out
    }
    func harmful(_ benchmark: Benchmark) throws -> HarmfulScore {
      let items = try BenchmarkPrompts.items(benchmark, data: data, limit: preset.harmfulPrompts)
      let texts = try answers(items, benchmark.rawValue)
      let verdicts = try judge.judge(
        zip(items, texts).map { InstructionPair(instruction: $0.message, output: $1) })
      return HarmfulScore(verdicts: verdicts)
    }
    let beaverTails = try harmful(.beaverTails)
    let harmBench = try harmful(.harmBench)
    let taskBenchmark: Benchmark =
      switch preset.task {
      case .gsm8k: .gsm8k
      case .sst2: .sst2
      case .agnews: .agNews
      }
    let taskItems = try BenchmarkPrompts.items(taskBenchmark, data: data, limit: preset.taskItems)
    let accuracy = try FineTuneAccuracy(
      items: taskItems, answers: try answers(taskItems, taskBenchmark.rawValue))
    let bare = ChatEncoder(tokenizer: model.tokenizer, system: .none, maxLength: preset.maxLength)
    let tables = try SinkMeasurement.tables(
      model: model.architecture, weights: weights,
      harmful: try sinkHarmfulPairs.prefix(preset.sinkSamples).map { try bare.encode($0) },
      safe: try sinkSafePairs.prefix(preset.sinkSamples).map { try bare.encode($0) },
      length: preset.maxLength, backend: backend)
    log(
      "\(label): HS \(String(format: "%.1f", beaverTails.harmfulScore))% (BeaverTails), \(String(format: "%.1f", harmBench.harmfulScore))% (HarmBench), FA \(String(format: "%.1f", accuracy.accuracy))%, \(tables.positiveHeads) positive heads"
    )
    return ModelEvaluation(
      beaverTails: beaverTails, harmBench: harmBench, fineTuneAccuracy: accuracy,
      positiveHeads: tables.positiveHeads,
      divergence: tables.divergence, sinkPenalty: tables.penalty,
      seconds: Date().timeIntervalSince(start))
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
