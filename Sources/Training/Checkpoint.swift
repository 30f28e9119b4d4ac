import Foundation
import IR
import Models
import Runtime

/// Where a run stands: enough to continue it exactly.
public struct TrainingProgress: Sendable, Hashable, Codable {
  /// Optimizer steps completed.
  public var step: Int
  /// The current epoch (0-based).
  public var epoch: Int
  /// Samples of the current epoch's order already consumed.
  public var position: Int
  /// Draws the Surgery harmful and safe samples.
  public var surgeryGenerator: SeededRandom

  public init(step: Int = 0, epoch: Int = 0, position: Int = 0, surgeryGenerator: SeededRandom) {
    self.step = step
    self.epoch = epoch
    self.position = position
    self.surgeryGenerator = surgeryGenerator
  }
}

/// The JSON metadata of a checkpoint (`trainer_state.json`); the model itself is the
/// directory's `config.json`.
public struct CheckpointMetadata: Sendable, Hashable, Codable {
  /// This layout's name; `read` refuses others.
  public static let currentFormat = "scalpel-training-checkpoint-2"
  public var format = currentFormat
  public var progress: TrainingProgress
  public var training: TrainingConfig
  /// The model's `model_type` (its `config.json` holds the rest).
  public var modelType: String
  /// Free-form provenance: model and tokenizer sources, data directory, task, ratio.
  public var sources: [String: String]
  /// Loss of the last completed step.
  public var lastLoss: Double?

  public init(
    progress: TrainingProgress, training: TrainingConfig, modelType: String,
    sources: [String: String], lastLoss: Double?
  ) {
    self.progress = progress
    self.training = training
    self.modelType = modelType
    self.sources = sources
    self.lastLoss = lastLoss
  }
}

/// A training checkpoint directory: `model.safetensors` (weights by name), `config.json` (the
/// model's, Hugging Face's for known families), `optimizer.safetensors` (`adam_m.P`,
/// `adam_v.P`) and `trainer_state.json`. Written atomically: into a temporary sibling directory, then renamed
/// over the old one (which is kept until the new one is in place).
public struct TrainingCheckpoint: Sendable {
  public var model: any LanguageModel
  public var metadata: CheckpointMetadata
  public var weights: [String: HostTensor]
  public var optimizerState: [String: HostTensor]

  public init(
    model: any LanguageModel, metadata: CheckpointMetadata, weights: [String: HostTensor],
    optimizerState: [String: HostTensor]
  ) {
    self.model = model
    self.metadata = metadata
    self.weights = weights
    self.optimizerState = optimizerState
  }

  /// Writes the checkpoint to `directory`, replacing an existing one only once complete.
  public func write(to directory: String) throws {
    let fm = FileManager.default
    let url = URL(fileURLWithPath: directory).standardizedFileURL
    let parent = url.deletingLastPathComponent().path
    try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
    let temporary = parent + "/.\(url.lastPathComponent).tmp-\(UUID().uuidString)"
    try fm.createDirectory(atPath: temporary, withIntermediateDirectories: false)
    do {
      // The model part is a plain Scalpel model directory (loadable with --model).
      try ScalpelCheckpoint.write(
        model: model, weights: weights, tokenizer: tokenizerSource, to: temporary)
      try SafetensorsWriter.write(optimizerState, to: temporary + "/optimizer.safetensors")
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(metadata).write(
        to: URL(fileURLWithPath: temporary + "/trainer_state.json"))
    } catch {
      try? fm.removeItem(atPath: temporary)
      throw error
    }
    let target = url.path
    if fm.fileExists(atPath: target) {
      let old = parent + "/.\(url.lastPathComponent).old-\(UUID().uuidString)"
      guard rename(target, old) == 0 else {
        try? fm.removeItem(atPath: temporary)
        throw TrainingError(
          "cannot move the old checkpoint \(target) aside: \(String(cString: strerror(errno)))")
      }
      guard rename(temporary, target) == 0 else {
        let reason = String(cString: strerror(errno))
        _ = rename(old, target)
        throw TrainingError("cannot move the new checkpoint into \(target): \(reason)")
      }
      try? fm.removeItem(atPath: old)
    } else {
      guard rename(temporary, target) == 0 else {
        throw TrainingError(
          "cannot move the new checkpoint into \(target): \(String(cString: strerror(errno)))")
      }
    }
  }

  /// Reads a checkpoint directory written by `write`; its model type must be registered
  /// (`ModelRegistry`).
  public static func read(from directory: String) throws -> TrainingCheckpoint {
    let statePath = directory + "/trainer_state.json"
    guard FileManager.default.fileExists(atPath: statePath) else {
      throw TrainingError(
        "\(directory) is not a Scalpel training checkpoint (no trainer_state.json)")
    }
    let metadata: CheckpointMetadata
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: statePath))
      struct Format: Decodable { var format: String? }
      let format = try JSONDecoder().decode(Format.self, from: data).format
      guard format == CheckpointMetadata.currentFormat else {
        throw TrainingError(
          "\(statePath): checkpoint format '\(format ?? "none")', this Scalpel reads "
            + "'\(CheckpointMetadata.currentFormat)' (retrain, or use the Scalpel that wrote it)")
      }
      metadata = try JSONDecoder().decode(CheckpointMetadata.self, from: data)
    } catch let error as TrainingError {
      throw error
    } catch {
      throw TrainingError("\(statePath): cannot decode the trainer state: \(error)")
    }
    let model = try ModelRegistry.model(configFile: directory + "/config.json")
    guard model.modelType == metadata.modelType else {
      throw TrainingError(
        "\(directory): config.json describes a '\(model.modelType)' model, the trainer state a "
          + "'\(metadata.modelType)' one")
    }
    let weights = try SafetensorsFile(path: directory + "/model.safetensors").allTensors()
    let optimizerPath = directory + "/optimizer.safetensors"
    let optimizer =
      FileManager.default.fileExists(atPath: optimizerPath)
      ? try SafetensorsFile(path: optimizerPath).allTensors() : [:]
    return TrainingCheckpoint(
      model: model, metadata: metadata, weights: weights, optimizerState: optimizer)
  }

  /// Where the tokenizer comes from, as recorded in the metadata's `tokenizer` source (nil
  /// for runs on token ids alone).
  var tokenizerSource: ScalpelCheckpoint.TokenizerSource? {
    metadata.sources["tokenizer"].map { $0.hasSuffix(".gguf") ? .gguf($0) : .tokenizerJSON($0) }
  }
}
