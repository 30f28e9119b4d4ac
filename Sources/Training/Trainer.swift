import Foundation
import IR
import Models
import Passes
import Runtime

/// What a training run does, apart from the model and the data.
public struct TrainingConfig: Sendable, Hashable, Codable {
  /// Sequences per micro-batch.
  public var batchSize: Int
  /// Micro-batches whose gradients are averaged into one update.
  public var accumulation: Int
  /// Tokens per sequence (longer samples are cut, shorter ones right-padded).
  public var sequenceLength: Int
  public var epochs: Int
  public var schedule: LearningRateSchedule
  public var optimizer: AdamWConfig
  public var defense: Defense
  /// Seeds the per-epoch shuffles and the Surgery sample draws.
  public var seed: UInt64
  /// Write a checkpoint every this many steps (0: only after each epoch and at the end).
  public var checkpointEvery: Int
  /// The padding token id.
  public var padding: Int

  public init(
    batchSize: Int = 10, accumulation: Int = 1, sequenceLength: Int = 512, epochs: Int = 1,
    schedule: LearningRateSchedule = .constant(rate: 5e-6), optimizer: AdamWConfig = AdamWConfig(),
    defense: Defense = .sft, seed: UInt64 = 43, checkpointEvery: Int = 0, padding: Int = 0
  ) {
    self.batchSize = batchSize
    self.accumulation = accumulation
    self.sequenceLength = sequenceLength
    self.epochs = epochs
    self.schedule = schedule
    self.optimizer = optimizer
    self.defense = defense
    self.seed = seed
    self.checkpointEvery = checkpointEvery
    self.padding = padding
  }

  /// Problems that make the configuration unusable, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if batchSize < 1 { out.append("the batch size must be at least 1, got \(batchSize)") }
    if accumulation < 1 {
      out.append("gradient accumulation must be at least 1, got \(accumulation)")
    }
    if sequenceLength < 2 {
      out.append("the sequence length must be at least 2, got \(sequenceLength)")
    }
    if epochs < 1 { out.append("the epoch count must be at least 1, got \(epochs)") }
    if checkpointEvery < 0 { out.append("the checkpoint interval must be non-negative") }
    out += schedule.problems()
    out += optimizer.problems()
    if case .surgery(let lambda, let sink) = defense {
      if !(lambda >= 0 && lambda.isFinite) {
        out.append("lambda must be non-negative, got \(lambda)")
      }
      if sink < 0 || sink >= sequenceLength {
        out.append("the sink position \(sink) is outside the sequence")
      }
    }
    return out
  }
}

/// One optimizer step's measurements (a line of `log.jsonl`).
public struct StepRecord: Sendable, Hashable, Codable {
  public var step: Int
  public var totalSteps: Int
  public var epoch: Int
  /// The objective (with the Surgery penalty when on).
  public var loss: Double
  /// Cross-entropy alone (equals `loss` under SFT).
  public var taskLoss: Double
  /// The sink-divergence penalty before lambda (nil under SFT).
  public var sinkPenalty: Double?
  /// Global gradient norm before clipping.
  public var gradientNorm: Double
  public var learningRate: Double
  public var seconds: Double
  /// Real (non-padding) tokens of the step's batches.
  public var tokens: Int
  public var tokensPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case step, epoch, loss, seconds, tokens
    case totalSteps = "total_steps"
    case taskLoss = "task_loss"
    case sinkPenalty = "sink_penalty"
    case gradientNorm = "grad_norm"
    case learningRate = "learning_rate"
    case tokensPerSecond = "tokens_per_second"
  }
}

/// The Surgery harmful and safe pools (tokenized without a system prompt).
public struct SurgeryPools: Sendable {
  public var harmful: [EncodedSample]
  public var safe: [EncodedSample]
  public init(harmful: [EncodedSample], safe: [EncodedSample]) {
    self.harmful = harmful
    self.safe = safe
  }
}

/// Fine-tunes a language model: runs the compiled step graphs through a `Backend`, feeds
/// batches in a seeded order, applies the schedule, logs every step and writes resumable
/// checkpoints.
///
/// Data parallelism: with a `communicator` of N > 1 ranks, every rank runs this same trainer
/// (same samples, seed and configuration). Each batch is the single-process one; rank r takes
/// its rows `r·B/N ..< (r+1)·B/N`, scales its loss by its share of the batch's counted tokens
/// and the gradients are summed over the ranks in the step graph (see `StepGraphs`), so every
/// rank applies the single-process update. The Surgery samples are replicated: every rank
/// draws the same pair and computes the same penalty. Rank 0 alone writes the log and the
/// checkpoints.
public final class Trainer {
  public let model: any LanguageModel
  public let config: TrainingConfig
  /// The ranks training together (one process by default).
  public let communicator: any Communicator
  public let samples: [EncodedSample]
  public let pools: SurgeryPools?
  /// Provenance written into checkpoints.
  public var sources: [String: String]
  /// Checkpoints go to `outputDirectory/checkpoint`, the log to `outputDirectory/log.jsonl`.
  public var outputDirectory: String?
  /// Called after every step.
  public var onStep: ((StepRecord) -> Void)?

  public private(set) var weights: [String: HostTensor]
  public private(set) var optimizerState: [String: HostTensor]
  public private(set) var progress: TrainingProgress
  public private(set) var lastLoss: Double?
  /// Step of the last checkpoint written or loaded (nil: none yet).
  public private(set) var lastCheckpointStep: Int?

  let graphs: StepGraphs
  let fused: (any GraphExecutable)?
  let gradient: (any GraphExecutable)?
  let update: (any GraphExecutable)?
  var currentOrder: (epoch: Int, order: [Int])?
  var log: FileHandle?

  /// A fresh run from `weights` (every weight of the model, by name).
  public init(
    model: any LanguageModel, config: TrainingConfig, weights: [String: HostTensor],
    samples: [EncodedSample], pools: SurgeryPools? = nil,
    backend: any Backend = InterpreterBackend(),
    optimizerState: [String: HostTensor]? = nil, progress: TrainingProgress? = nil,
    sources: [String: String] = [:], communicator: any Communicator = SingleProcessCommunicator()
  ) throws {
    if let problem = config.problems().first { throw TrainingError(problem) }
    guard !samples.isEmpty else { throw TrainingError("the training set is empty") }
    if case .surgery = config.defense {
      guard let pools, !pools.harmful.isEmpty, !pools.safe.isEmpty else {
        throw TrainingError("Surgery needs non-empty harmful and safe pools")
      }
    }
    self.model = model
    self.config = config
    self.samples = samples
    self.pools = pools
    self.sources = sources
    self.communicator = communicator
    graphs = try StepGraphs.build(
      model: model, batch: config.batchSize, tokens: config.sequenceLength, defense: config.defense,
      optimizer: config.optimizer, accumulation: config.accumulation, ranks: communicator.size)
    var backend = backend
    backend.communicators = .world(communicator)
    fused = try graphs.fused.map { try backend.prepare($0) }
    gradient = try graphs.gradient.map { try backend.prepare($0) }
    update = try graphs.update.map { try backend.prepare($0) }
    self.weights = try Self.checked(weights, against: graphs)
    self.optimizerState = try Self.checkedState(optimizerState, against: graphs)
    self.progress =
      progress
      ?? TrainingProgress(surgeryGenerator: SeededRandom(seed: config.seed, stream: 0x7375_7267))
  }

  /// Continues the run saved in `directory` (a checkpoint written by a trainer).
  public convenience init(
    resumingFrom directory: String, samples: [EncodedSample], pools: SurgeryPools? = nil,
    backend: any Backend = InterpreterBackend(),
    communicator: any Communicator = SingleProcessCommunicator()
  ) throws {
    let checkpoint = try TrainingCheckpoint.read(from: directory)
    let m = checkpoint.metadata
    try self.init(
      model: checkpoint.model, config: m.training, weights: checkpoint.weights, samples: samples,
      pools: pools, backend: backend, optimizerState: checkpoint.optimizerState,
      progress: m.progress, sources: m.sources, communicator: communicator)
    lastLoss = m.lastLoss
    lastCheckpointStep = m.progress.step
  }

  /// The model's weights, each with the type the step graphs take.
  static func checked(_ weights: [String: HostTensor], against graphs: StepGraphs) throws
    -> [String: HostTensor]
  {
    var kept: [String: HostTensor] = [:]
    for name in graphs.weights {
      guard let t = weights[name] else { throw TrainingError("the weights lack '\(name)'") }
      guard let type = graphs.weightTypes[name], t.type == type else {
        throw TrainingError(
          "weight '\(name)' is \(t.type), the model needs "
            + (graphs.weightTypes[name].map(\.description) ?? "?"))
      }
      kept[name] = t
    }
    return kept
  }

  /// AdamW's `adam_m.P` and `adam_v.P` for every weight: the given state (complete, with the
  /// weights' types) or zeros when none is given.
  static func checkedState(_ given: [String: HostTensor]?, against graphs: StepGraphs) throws
    -> [String: HostTensor]
  {
    let fresh = given?.isEmpty ?? true
    var state: [String: HostTensor] = [:]
    for name in graphs.weights {
      guard let type = graphs.weightTypes[name] else { continue }
      for key in ["adam_m.\(name)", "adam_v.\(name)"] {
        if fresh {
          state[key] = try HostTensor.zeros(type)
        } else {
          guard let t = given?[key] else {
            throw TrainingError("the optimizer state lacks '\(key)'")
          }
          guard t.type == type else {
            throw TrainingError("optimizer state '\(key)' is \(t.type), expected \(type)")
          }
          state[key] = t
        }
      }
    }
    return state
  }

  /// Replaces one weight (same type), for weight surgery between steps.
  public func setWeight(_ name: String, _ tensor: HostTensor) throws {
    guard let old = weights[name] else { throw TrainingError("the model has no weight '\(name)'") }
    guard old.type == tensor.type else {
      throw TrainingError("weight '\(name)' is \(old.type), the replacement is \(tensor.type)")
    }
    weights[name] = tensor
  }

  /// Micro-batches in one epoch.
  public var microBatchesPerEpoch: Int { (samples.count + config.batchSize - 1) / config.batchSize }
  /// Optimizer steps in one epoch (the last may hold fewer micro-batches).
  public var stepsPerEpoch: Int {
    (microBatchesPerEpoch + config.accumulation - 1) / config.accumulation
  }
  /// Optimizer steps of the whole run.
  public var totalSteps: Int { stepsPerEpoch * config.epochs }
  /// Whether every epoch has run.
  public var isFinished: Bool { progress.epoch >= config.epochs }

  /// The sample order of an epoch: a permutation seeded by the run seed and the epoch.
  public func order(epoch: Int) -> [Int] {
    var g = SeededRandom(seed: config.seed, stream: UInt64(epoch) &+ 1)
    return g.permutation(samples.count)
  }

  /// Runs steps until the end of the run, or at most `maxSteps` steps. Writes a checkpoint at
  /// the configured interval, after every epoch and when it stops. Returns the step records.
  @discardableResult
  public func run(maxSteps: Int? = nil) throws -> [StepRecord] {
    var records: [StepRecord] = []
    var ran = 0
    while !isFinished && (maxSteps.map { ran < $0 } ?? true) {
      let epochBefore = progress.epoch
      records.append(try step())
      ran += 1
      let every = config.checkpointEvery
      if progress.epoch != epochBefore || (every > 0 && progress.step % every == 0) {
        try saveCheckpoint()
      }
    }
    if lastCheckpointStep != progress.step { try saveCheckpoint() }
    return records
  }

  /// Writes the current state to `outputDirectory/checkpoint` (nothing without a directory,
  /// nothing on ranks other than 0, whose state is the same).
  public func saveCheckpoint() throws {
    guard let dir = outputDirectory else { return }
    if communicator.rank == 0 { try checkpoint().write(to: dir + "/checkpoint") }
    lastCheckpointStep = progress.step
  }

  /// The current state as a checkpoint.
  public func checkpoint() -> TrainingCheckpoint {
    TrainingCheckpoint(
      model: model,
      metadata: CheckpointMetadata(
        progress: progress, training: config, modelType: model.modelType, sources: sources,
        lastLoss: lastLoss),
      weights: weights, optimizerState: optimizerState)
  }

  // MARK: - One step

  /// One optimizer step: up to `accumulation` micro-batches, then the update. A non-finite
  /// loss or gradient norm throws before anything changes.
  public func step() throws -> StepRecord {
    guard !isFinished else { throw TrainingError("the run is finished (\(config.epochs) epochs)") }
    let clock = ContinuousClock()
    let start = clock.now
    let stepNumber = progress.step + 1
    let rate = config.schedule.rate(at: stepNumber)
    var next = progress
    var (microBatches, tokens) = try nextMicroBatches(advancing: &next)
    if communicator.size > 1 {
      tokens = Int(try communicator.allReduce([Double(tokens)], .sum)[0])
    }
    let optimizerInputs: [String: HostTensor] = [
      "learning_rate": HostTensor(scalar: Float(rate)),
      "step": HostTensor(scalar: Float(stepNumber)),
    ]
    let (losses, outputs) =
      microBatches.count == 1 && fused != nil
      ? try fusedStep(microBatches[0], optimizerInputs, step: stepNumber)
      : try accumulatedStep(microBatches, optimizerInputs, step: stepNumber)
    let norm = outputs["grad_norm"]?.doubles.first ?? .nan
    guard norm.isFinite else { throw nonFinite("gradient norm", norm, step: stepNumber) }
    try commit(outputs, progress: next, step: stepNumber, loss: losses.loss)
    let elapsed = clock.now - start
    let seconds =
      Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let record = StepRecord(
      step: stepNumber, totalSteps: totalSteps, epoch: progress.epoch, loss: losses.loss,
      taskLoss: losses.task, sinkPenalty: losses.penalty, gradientNorm: norm,
      learningRate: rate, seconds: seconds, tokens: tokens,
      tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0)
    try appendLog(record)
    onStep?(record)
    return record
  }

  /// A step's objective, task loss and penalty (nil without one), averaged over micro-batches.
  struct StepLosses {
    var loss: Double
    var task: Double
    var penalty: Double?
  }

  /// The step's micro-batches (graph inputs) from the epoch's order, moving `progress` past
  /// them, and their real-token count. Under Surgery each draws one harmful and one safe sample.
  func nextMicroBatches(advancing progress: inout TrainingProgress) throws -> (
    [[String: HostTensor]], tokens: Int
  ) {
    if currentOrder?.epoch != progress.epoch {
      currentOrder = (progress.epoch, order(epoch: progress.epoch))
    }
    let order = currentOrder?.order ?? []
    var microBatches: [[String: HostTensor]] = []
    var tokens = 0
    let ranks = communicator.size
    let rows = config.batchSize / ranks
    for _ in 0..<config.accumulation where progress.position < order.count {
      let end = min(progress.position + config.batchSize, order.count)
      var chosen = order[progress.position..<end].map { samples[$0] }
      progress.position = end
      if ranks > 1 {
        // This rank's rows of the single-process batch (trailing rows may be padding only).
        let first = min(communicator.rank * rows, chosen.count)
        chosen = Array(chosen[first..<min(first + rows, chosen.count)])
      }
      let batch = try LanguageModelBatch.make(
        chosen, rows: rows, length: config.sequenceLength, padding: config.padding)
      tokens += batch.realTokens
      var inputs = ["tokens": batch.tokens, "labels": batch.labels, "loss_mask": batch.lossMask]
      if ranks > 1 {
        // n_r / N: this rank's share of the batch's counted (answer) tokens.
        let counted = batch.lossMask.doubles.reduce(0, +)
        let global = try communicator.allReduce([counted], .sum)[0]
        inputs["loss_share"] = HostTensor(scalar: Float(global > 0 ? counted / global : 0))
      }
      if case .surgery = config.defense, let pools {
        for (prefix, pool) in [("harmful", pools.harmful), ("safe", pools.safe)] {
          let drawn = pool[progress.surgeryGenerator.index(below: pool.count)]
          let s = try LanguageModelBatch.sequence(
            drawn, length: config.sequenceLength, padding: config.padding)
          inputs["\(prefix)_tokens"] = s.tokens
          inputs["\(prefix)_mask"] = s.mask
        }
      }
      microBatches.append(inputs)
    }
    if progress.position >= order.count {
      progress.epoch += 1
      progress.position = 0
    }
    return (microBatches, tokens)
  }

  /// The whole step in one graph (one micro-batch).
  func fusedStep(
    _ batch: [String: HostTensor], _ optimizerInputs: [String: HostTensor], step: Int
  ) throws -> (StepLosses, [String: HostTensor]) {
    guard let fused else { throw TrainingError("no fused step graph was prepared") }
    let outputs = try fused.run(
      batch.merging(weights) { a, _ in a }.merging(optimizerState) { a, _ in a }
        .merging(optimizerInputs) { a, _ in a })
    return (try losses(outputs, batch, step: step), outputs)
  }

  /// Gradients summed over the micro-batches by the gradient graph (the running sum passes from
  /// one run's outputs to the next one's inputs), then the update graph on their mean.
  func accumulatedStep(
    _ microBatches: [[String: HostTensor]], _ optimizerInputs: [String: HostTensor], step: Int
  ) throws -> (StepLosses, [String: HostTensor]) {
    guard let gradient, let update else { throw TrainingError("no gradient graph was prepared") }
    var sums: [String: HostTensor] = [:]
    for name in graphs.weights {
      if let type = graphs.weightTypes[name] { sums["gradient_sum.\(name)"] = try .zeros(type) }
    }
    var total = StepLosses(loss: 0, task: 0, penalty: nil)
    for inputs in microBatches {
      var out = try gradient.run(inputs.merging(weights) { a, _ in a }.merging(sums) { a, _ in a })
      let l = try losses(out, inputs, step: step)
      total.loss += l.loss
      total.task += l.task
      if let p = l.penalty { total.penalty = (total.penalty ?? 0) + p }
      for key in sums.keys {
        guard let sum = out.removeValue(forKey: "next_\(key)") else {
          throw TrainingError("the gradient graph returned no 'next_\(key)'")
        }
        sums[key] = sum
      }
    }
    let count = Double(microBatches.count)
    total = StepLosses(
      loss: total.loss / count, task: total.task / count, penalty: total.penalty.map { $0 / count })
    let inputs = weights.merging(optimizerState) { a, _ in a }
      .merging(optimizerInputs) { a, _ in a }.merging(sums) { a, _ in a }
      .merging(["gradient_scale": HostTensor(scalar: Float(1 / count))]) { a, _ in a }
    return (total, try update.run(inputs))
  }

  /// The objective, task loss and penalty a step graph returned (the loss must be finite).
  ///
  /// Data-parallel, the batch's: each rank's `loss` is its share (see `LossShare`), summed over
  /// the ranks; its `task_loss` is a mean over its own tokens, weighted by that share; the
  /// replicated penalty is the same on every rank. Checked after the reduction, so every rank
  /// stops at the same step.
  func losses(_ outputs: [String: HostTensor], _ inputs: [String: HostTensor], step: Int) throws
    -> StepLosses
  {
    let penalty = outputs["sink_penalty"]?.doubles.first
    guard communicator.size > 1 else {
      let loss = try scalar(outputs, "loss", step: step)
      return StepLosses(
        loss: loss, task: outputs["task_loss"]?.doubles.first ?? loss, penalty: penalty)
    }
    guard let loss = outputs["loss"]?.doubles.first else {
      throw TrainingError("the step graph returned no 'loss'")
    }
    let task = outputs["task_loss"]?.doubles.first
    let share = inputs["loss_share"]?.doubles.first ?? 0
    let reduced = try communicator.allReduce([loss, share * (task ?? 0)], .sum)
    guard reduced[0].isFinite else { throw nonFinite("loss", reduced[0], step: step) }
    return StepLosses(
      loss: reduced[0], task: task == nil ? reduced[0] : reduced[1], penalty: penalty)
  }

  /// Takes the step's new weights and optimizer state, and moves to `progress`.
  func commit(_ outputs: [String: HostTensor], progress next: TrainingProgress, step: Int, loss: Double)
    throws
  {
    var newWeights = weights
    var newState = optimizerState
    for name in graphs.weights {
      guard let w = outputs["next_\(name)"], let m = outputs["next_adam_m.\(name)"],
        let v = outputs["next_adam_v.\(name)"]
      else { throw TrainingError("the step graph returned no update for '\(name)'") }
      newWeights[name] = w
      newState["adam_m.\(name)"] = m
      newState["adam_v.\(name)"] = v
    }
    weights = newWeights
    optimizerState = newState
    var advanced = next
    advanced.step = step
    progress = advanced
    lastLoss = loss
  }

  func scalar(_ outputs: [String: HostTensor], _ name: String, step: Int) throws -> Double {
    guard let v = outputs[name]?.doubles.first else {
      throw TrainingError("the step graph returned no '\(name)'")
    }
    guard v.isFinite else { throw nonFinite(name, v, step: step) }
    return v
  }

  func nonFinite(_ what: String, _ value: Double, step: Int) -> TrainingError {
    let kept: String
    if let dir = outputDirectory, let last = lastCheckpointStep {
      kept = "the last good checkpoint (step \(last)) is intact in \(dir)/checkpoint"
    } else if outputDirectory != nil {
      kept = "no checkpoint had been written yet"
    } else {
      kept = "the weights before this step are kept"
    }
    return TrainingError(
      "non-finite \(what) (\(value)) at step \(step), epoch \(progress.epoch + 1): training stopped "
        + "without applying the update; \(kept). Try a lower learning rate or gradient clipping.")
  }

  func appendLog(_ record: StepRecord) throws {
    guard let dir = outputDirectory, communicator.rank == 0 else { return }
    if log == nil {
      let path = dir + "/log.jsonl"
      try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      if !FileManager.default.fileExists(atPath: path)
        || progress.step == 1 && lastCheckpointStep == nil
      {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
          throw TrainingError("cannot create the training log \(path)")
        }
      }
      log = FileHandle(forWritingAtPath: path)
      log?.seekToEndOfFile()
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    log?.write(try encoder.encode(record) + Data("\n".utf8))
  }
}
