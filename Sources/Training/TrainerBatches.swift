import Foundation
import IR
import Models
import Passes
import Runtime

extension Trainer {
  // MARK: - Batches

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
    for _ in 0..<config.accumulation where progress.position < order.count {
      let end = min(progress.position + config.batchSize, order.count)
      let chosen = shard(order[progress.position..<end].map { samples[$0] })
      progress.position = end
      let batch = try LanguageModelBatch.make(
        chosen, rows: config.batchSize / communicator.size, length: config.sequenceLength,
        padding: config.padding)
      tokens += batch.realTokens
      var inputs = ["tokens": batch.tokens, "labels": batch.labels, "loss_mask": batch.lossMask]
      if communicator.size > 1 { inputs["loss_share"] = try lossShare(batch) }
      try addSurgeryInputs(&inputs, advancing: &progress)
      microBatches.append(inputs)
    }
    if progress.position >= order.count {
      progress.epoch += 1
      progress.position = 0
    }
    return (microBatches, tokens)
  }

  /// This rank's rows of a single-process batch (trailing rows may be padding only).
  func shard(_ chosen: [EncodedSample]) -> [EncodedSample] {
    guard communicator.size > 1 else { return chosen }
    let rows = config.batchSize / communicator.size
    let first = min(communicator.rank * rows, chosen.count)
    return Array(chosen[first..<min(first + rows, chosen.count)])
  }

  /// n_r / N: this rank's share of the batch's counted (answer) tokens, reduced over the ranks.
  func lossShare(_ batch: LanguageModelBatch) throws -> HostTensor {
    let counted = batch.lossMask.doubles.reduce(0, +)
    let global = try communicator.allReduce([counted], .sum)[0]
    return HostTensor(scalar: Float(global > 0 ? counted / global : 0))
  }

  /// Under Surgery, one harmful and one safe sample drawn into a micro-batch's inputs.
  func addSurgeryInputs(
    _ inputs: inout [String: HostTensor], advancing progress: inout TrainingProgress
  ) throws {
    guard case .surgery = config.defense, let pools else { return }
    for (prefix, pool) in [("harmful", pools.harmful), ("safe", pools.safe)] {
      let drawn = pool[progress.surgeryGenerator.index(below: pool.count)]
      let s = try LanguageModelBatch.sequence(
        drawn, length: config.sequenceLength, padding: config.padding)
      inputs["\(prefix)_tokens"] = s.tokens
      inputs["\(prefix)_mask"] = s.mask
    }
  }

  // MARK: - Lisa's phases

  /// The step's micro-batches: without Lisa, the next ones of the training data; under Lisa,
  /// those of the step's phase (alignment or fine-tuning), the anchors reset to the current
  /// weights when the step opens a phase, and passed to the proximal term.
  func lisaPhase(step: Int, advancing progress: inout TrainingProgress) throws -> (
    [[String: HostTensor]], tokens: Int
  ) {
    guard let lisa = config.lisa else { return try nextMicroBatches(advancing: &progress) }
    if lisa.startsPhase(step) {
      for (name, w) in weights { optimizerState["anchor.\(name)"] = w }
    }
    var (microBatches, tokens) =
      lisa.phase(ofStep: step) == .alignment
      ? try alignmentMicroBatches(step: step, advancing: &progress)
      : try nextMicroBatches(advancing: &progress)
    let anchors = optimizerState.filter { $0.key.hasPrefix("anchor.") }
    for i in microBatches.indices { microBatches[i].merge(anchors) { a, _ in a } }
    return (microBatches, tokens)
  }

  /// An alignment step's micro-batches: the alignment samples in a seeded order, read
  /// cyclically from where the previous alignment steps stopped (counted from the step number,
  /// so a resumed run continues the same order).
  func alignmentMicroBatches(step: Int, advancing progress: inout TrainingProgress) throws -> (
    [[String: HostTensor]], tokens: Int
  ) {
    guard let lisa = config.lisa else { return ([], 0) }
    let before = (1..<step).filter { lisa.phase(ofStep: $0) == .alignment }.count
    var g = SeededRandom(seed: config.seed, stream: 0x6c69_7361)
    let order = g.permutation(alignmentSamples.count)
    var microBatches: [[String: HostTensor]] = []
    var tokens = 0
    for m in 0..<config.accumulation {
      let first = (before * config.accumulation + m) * config.batchSize
      let chosen = shard(
        (0..<config.batchSize).map { alignmentSamples[order[(first + $0) % order.count]] })
      let batch = try LanguageModelBatch.make(
        chosen, rows: config.batchSize / communicator.size, length: config.sequenceLength,
        padding: config.padding)
      tokens += batch.realTokens
      var inputs = ["tokens": batch.tokens, "labels": batch.labels, "loss_mask": batch.lossMask]
      if communicator.size > 1 { inputs["loss_share"] = try lossShare(batch) }
      try addSurgeryInputs(&inputs, advancing: &progress)
      microBatches.append(inputs)
    }
    return (microBatches, tokens)
  }
}
