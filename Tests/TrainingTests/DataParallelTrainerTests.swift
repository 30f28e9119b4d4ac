import Foundation
import Models
import Runtime
import TestSupport
import Testing
import Training

/// Samples with answers of 1 to 6 tokens, so the ranks' shares of the counted tokens differ
/// and a mean of the ranks' means would not be the batch mean.
private func unevenSamples(count: Int, seed: UInt64) -> [EncodedSample] {
  var g = SeededRandom(seed: seed)
  return (0..<count).map { _ in
    let length = 7 + g.index(below: 5)
    let ids = [1] + (1..<length).map { _ in 4 + g.index(below: 50) }
    return EncodedSample(ids: ids, answerStart: length - 1 - g.index(below: 5))
  }
}

/// The trainer on two thread-ranks against one process: the same losses at every step and the
/// same weights (tolerances as in ToolTests/DataParallelTests: the reordered sums round
/// differently, and AdamW can turn that into up to 2·lr per step on a near-zero gradient).
@Suite struct DataParallelTrainerTests {
  static let rate = 1e-2

  @Test(arguments: [(1, false), (2, false), (1, true)])
  func twoRanksMatchOneProcess(accumulation: Int, surgery: Bool) throws {
    // 10 samples in global batches of 4: the last batch has 2, so rank 1 gets padding only.
    let config = TrainingConfig(
      batchSize: 4, accumulation: accumulation, sequenceLength: 12, epochs: 1,
      schedule: .constant(rate: Self.rate), optimizer: AdamWConfig(clip: 1),
      defense: surgery ? .surgery(lambda: 2, sink: 0) : .sft, seed: 11)
    let pools = SurgeryPools(
      harmful: [EncodedSample(ids: [1, 50, 51, 52, 53], answerStart: 3)],
      safe: [EncodedSample(ids: [1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 3], answerStart: 6)])
    let weights = try tinyModel.initialWeights(seed: 3)
    let samples = unevenSamples(count: 10, seed: 8)
    let single = try Trainer(
      model: tinyModel, config: config, weights: weights, samples: samples, pools: pools)
    let expected = try single.run()

    let world = ThreadWorld(size: 2)
    let ranks = try world.run { r in
      let trainer = try Trainer(
        model: tinyModel, config: config, weights: weights, samples: samples, pools: pools,
        communicator: world.rank(r))
      return (try trainer.run(), trainer.weights)
    }
    for (r, (records, finalWeights)) in ranks.enumerated() {
      #expect(records.count == expected.count)
      for (x, y) in zip(expected, records) {
        #expect(abs(x.loss - y.loss) <= 1e-5 * abs(x.loss), "rank \(r) step \(x.step)")
        #expect(abs(x.taskLoss - y.taskLoss) <= 1e-5 * abs(x.taskLoss), "rank \(r) step \(x.step)")
        #expect(x.tokens == y.tokens, "rank \(r) step \(x.step)")
      }
      let bound = 2 * Self.rate * Double(expected.count)
      var close = 0
      var total = 0
      for (name, w) in single.weights {
        let a = w.doubles
        let b = finalWeights[name]?.doubles ?? []
        try #require(a.count == b.count, "\(name)")
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= bound, "rank \(r) \(name): \(worst) apart")
        close += zip(a, b).filter { abs($0 - $1) <= 1e-3 * Self.rate }.count
        total += a.count
      }
      #expect(Double(close) >= 0.99 * Double(total), "rank \(r): \(close) of \(total) close")
    }
  }

  @Test func theBatchMustSplitEvenly() throws {
    let world = ThreadWorld(size: 2)
    let config = TrainingConfig(batchSize: 3, sequenceLength: 12)
    #expect(throws: TrainingError.self) {
      try Trainer(
        model: tinyModel, config: config, weights: try tinyModel.initialWeights(seed: 1),
        samples: unevenSamples(count: 4, seed: 1), communicator: world.rank(0))
    }
  }
}
