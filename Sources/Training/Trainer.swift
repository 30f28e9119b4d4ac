import Foundation
import IR
import Models
import Passes
import Runtime

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
  /// Lisa's alignment-phase data (refusal pairs), used in a seeded cyclic order.
  public let alignmentSamples: [EncodedSample]
  public let pools: SurgeryPools?
  /// Provenance written into checkpoints.
  public var sources: [String: String]
  /// Checkpoints go to `outputDirectory/checkpoint`, the log to `outputDirectory/log.jsonl`.
  public var outputDirectory: String?
  /// Called after every step.
  public var onStep: ((StepRecord) -> Void)?

  public internal(set) var weights: [String: HostTensor]
  public internal(set) var optimizerState: [String: HostTensor]
  public internal(set) var progress: TrainingProgress
  public internal(set) var lastLoss: Double?
  /// Step of the last checkpoint written or loaded (nil: none yet).
  public internal(set) var lastCheckpointStep: Int?

  let graphs: StepGraphs
  let fused: (any GraphExecutable)?
  let gradient: (any GraphExecutable)?
  let update: (any GraphExecutable)?
  var currentOrder: (epoch: Int, order: [Int])?
  var log: FileHandle?

  /// A fresh run from `weights` (every weight of the model, by name).
  public init(
    model: any LanguageModel, config: TrainingConfig, weights: [String: HostTensor],
    samples: [EncodedSample], alignmentSamples: [EncodedSample] = [], pools: SurgeryPools? = nil,
    backend: any Backend = InterpreterBackend(),
    optimizerState: [String: HostTensor]? = nil, progress: TrainingProgress? = nil,
    sources: [String: String] = [:], communicator: any Communicator = SingleProcessCommunicator()
  ) throws {
    if let problem = config.problems().first { throw TrainingError(problem) }
    guard !samples.isEmpty else { throw TrainingError("the training set is empty") }
    if config.lisa != nil && alignmentSamples.isEmpty {
      throw TrainingError("Lisa needs alignment samples for its alignment phase")
    }
    if case .surgery = config.defense {
      guard let pools, !pools.harmful.isEmpty, !pools.safe.isEmpty else {
        throw TrainingError("Surgery needs non-empty harmful and safe pools")
      }
    }
    self.model = model
    self.config = config
    self.samples = samples
    self.alignmentSamples = alignmentSamples
    self.pools = pools
    self.sources = sources
    self.communicator = communicator
    graphs = try StepGraphs.build(
      model: model, batch: config.batchSize, tokens: config.sequenceLength, defense: config.defense,
      optimizer: config.optimizer, accumulation: config.accumulation, ranks: communicator.size,
      proximal: config.lisa?.rho)
    var backend = backend
    backend.communicators = .world(communicator)
    fused = try graphs.fused.map { try backend.prepare($0) }
    gradient = try graphs.gradient.map { try backend.prepare($0) }
    update = try graphs.update.map { try backend.prepare($0) }
    self.weights = try Self.checked(weights, against: graphs)
    self.optimizerState = try Self.checkedState(
      optimizerState, against: graphs, anchors: config.lisa != nil)
    self.progress =
      progress
      ?? TrainingProgress(surgeryGenerator: SeededRandom(seed: config.seed, stream: 0x7375_7267))
  }

  /// Continues the run saved in `directory` (a checkpoint written by a trainer).
  public convenience init(
    resumingFrom directory: String, samples: [EncodedSample],
    alignmentSamples: [EncodedSample] = [], pools: SurgeryPools? = nil,
    backend: any Backend = InterpreterBackend(),
    communicator: any Communicator = SingleProcessCommunicator()
  ) throws {
    let checkpoint = try TrainingCheckpoint.read(from: directory)
    let m = checkpoint.metadata
    try self.init(
      model: checkpoint.model, config: m.training, weights: checkpoint.weights, samples: samples,
      alignmentSamples: alignmentSamples, pools: pools, backend: backend,
      optimizerState: checkpoint.optimizerState, progress: m.progress, sources: m.sources,
      communicator: communicator)
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
  /// weights' types) or zeros when none is given. Under Lisa the state also keeps the proximal
  /// anchors `anchor.P` (saved in checkpoints with it; set at every phase change).
  static func checkedState(
    _ given: [String: HostTensor]?, against graphs: StepGraphs, anchors: Bool = false
  ) throws -> [String: HostTensor] {
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
    for name in graphs.weights where anchors {
      if let t = given?["anchor.\(name)"], t.type == graphs.weightTypes[name] {
        state["anchor.\(name)"] = t
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
  /// Optimizer steps of the whole run (under Lisa with its alignment steps).
  public var totalSteps: Int {
    let fineTuning = stepsPerEpoch * config.epochs
    return config.lisa?.totalSteps(fineTuning: fineTuning) ?? fineTuning
  }
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
}
