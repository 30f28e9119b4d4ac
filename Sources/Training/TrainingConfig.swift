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
  /// Lisa: alternate alignment and fine-tuning phases with the proximal term (nil: one phase).
  public var lisa: LisaSchedule?

  public init(
    batchSize: Int = 10, accumulation: Int = 1, sequenceLength: Int = 512, epochs: Int = 1,
    schedule: LearningRateSchedule = .constant(rate: 5e-6), optimizer: AdamWConfig = AdamWConfig(),
    defense: Defense = .sft, seed: UInt64 = 43, checkpointEvery: Int = 0, padding: Int = 0,
    lisa: LisaSchedule? = nil
  ) {
    self.lisa = lisa
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
    out += lisa?.problems() ?? []
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
