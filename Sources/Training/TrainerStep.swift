import Foundation
import IR
import Models
import Passes
import Runtime

extension Trainer {
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
    var (microBatches, tokens) = try lisaPhase(step: stepNumber, advancing: &next)
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
    let norm = try gradientNorm(outputs, step: stepNumber)
    commit(progress: next, step: stepNumber, loss: losses.loss)
    let seconds = (clock.now - start).inSeconds
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

  /// The whole step in one graph (one micro-batch).
  func fusedStep(
    _ batch: [String: HostTensor], _ optimizerInputs: [String: HostTensor], step: Int
  ) throws -> (StepLosses, [String: HostTensor]) {
    guard let fused else { throw TrainingError("no fused step graph was prepared") }
    var losses: StepLosses? = nil
    let outputs = try runUpdating(fused, batch.merging(optimizerInputs) { a, _ in a }) {
      losses = try self.losses($0, batch, step: step)
      _ = try gradientNorm($0, step: step)
      return true
    }
    guard let losses else { throw TrainingError("the step graph's run was not accepted") }
    return (losses, outputs)
  }

  /// Runs `executable` on `inputs` with the weights and AdamW moments updated in place by its
  /// `next_` results (`GraphExecutable.run(_:updating:accept:)`: no copy of them is allocated);
  /// `accept` sees the other results first and throws to leave them unchanged.
  func runUpdating(
    _ executable: any GraphExecutable, _ inputs: [String: HostTensor],
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor] {
    // The tensors move into `state` (not copied), so that each is uniquely referenced.
    var state = weights
    let weightNames = Set(weights.keys)
    weights = [:]
    for (name, t) in optimizerState where !name.hasPrefix("anchor.") { state[name] = t }
    optimizerState = optimizerState.filter { $0.key.hasPrefix("anchor.") }
    defer {
      for name in weightNames { weights[name] = state.removeValue(forKey: name) }
      optimizerState.merge(state) { a, _ in a }
    }
    let updates = executable.graph.stateUpdates(state)
    for name in graphs.weights {
      for key in [name, "adam_m.\(name)", "adam_v.\(name)"] where updates[key] == nil {
        throw TrainingError("the step graph returned no update for '\(key)'")
      }
    }
    return try executable.run(inputs, updating: &state, accept: accept)
  }

  /// The step's gradient norm, which must be finite.
  func gradientNorm(_ outputs: [String: HostTensor], step: Int) throws -> Double {
    let norm = outputs["grad_norm"]?.doubles.first ?? .nan
    guard norm.isFinite else { throw nonFinite("gradient norm", norm, step: step) }
    return norm
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
    let inputs = optimizerInputs.merging(sums) { a, _ in a }
      .merging(["gradient_scale": HostTensor(scalar: Float(1 / count))]) { a, _ in a }
    let outputs = try runUpdating(update, inputs) {
      _ = try gradientNorm($0, step: step)
      return true
    }
    return (total, outputs)
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

  /// Moves to `progress` (the step's update is already in the weights and optimizer state).
  func commit(progress next: TrainingProgress, step: Int, loss: Double) {
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
