import ExampleArchitectures
import Foundation
import IR
import Models
import Runtime
import Testing
import Training

/// Both example architectures through the shared training stack: the `Trainer` with Surgery,
/// its checkpoint read back through the model registry, the sink tables.
@Suite struct ExampleTrainingTests {
  /// Sequences of 4–10 ids below `vocabulary`, the answer after the first two tokens; each
  /// repeats a short pattern, so the task loss can fall in a few steps.
  static func samples(_ count: Int, vocabulary: Int, seed: UInt64) -> [EncodedSample] {
    var random = SeededRandom(seed: seed)
    return (0..<count).map { _ in
      let length = 4 + random.index(below: 7)
      let start = 1 + random.index(below: vocabulary - 1)
      let ids = (0..<length).map { 1 + (start + $0 % 3) % (vocabulary - 1) }
      return EncodedSample(ids: ids, answerStart: 2)
    }
  }

  static let models: [any LanguageModel] = [
    GPT2(GPT2Config(vocabulary: 32, dimension: 16, layers: 2, heads: 2, contextLength: 12)),
    ALiBiDecoder(ALiBiConfig(vocabulary: 32, dimension: 16, layers: 2, heads: 4, hidden: 24)),
  ]

  @Test(arguments: 0..<2)
  func trainsWithSurgeryAndReloads(_ index: Int) throws {
    ModelRegistry.register(GPT2.self)
    ModelRegistry.register(ALiBiDecoder.self)
    let model = Self.models[index]
    let config = TrainingConfig(
      batchSize: 4, sequenceLength: 12, epochs: 3, schedule: .constant(rate: 1e-2),
      optimizer: AdamWConfig(clip: 1), defense: .surgery(lambda: 30, sink: 0))
    let pools = SurgeryPools(
      harmful: Self.samples(4, vocabulary: 32, seed: 2),
      safe: Self.samples(4, vocabulary: 32, seed: 3))
    let trainer = try Trainer(
      model: model, config: config, weights: try model.initialWeights(seed: 1),
      samples: Self.samples(16, vocabulary: 32, seed: 1), pools: pools)
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("examples-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    trainer.outputDirectory = directory
    let records = try trainer.run()
    #expect(records.count == 12)
    #expect(records.allSatisfy { $0.loss.isFinite && $0.sinkPenalty != nil })
    let (first, last) = (records.prefix(4), records.suffix(4))
    let mean = { (r: ArraySlice<StepRecord>) in r.map(\.taskLoss).reduce(0, +) / Double(r.count) }
    // Falling, and below the loss of a uniform guess, ln 32 ≈ 3.47, by a margin.
    #expect(mean(last) < mean(first), "task loss \(mean(first)) → \(mean(last))")
    #expect(mean(last) < log(32) - 0.25, "task loss \(mean(last))")

    let checkpoint = try TrainingCheckpoint.read(from: directory + "/checkpoint")
    #expect(checkpoint.model.modelType == model.modelType)
    let (written, original) = (try checkpoint.model.configJSON(), try model.configJSON())
    #expect(NSDictionary(dictionary: written) == NSDictionary(dictionary: original))
    #expect(checkpoint.weights == trainer.weights)
    let tables = try SinkMeasurement.tables(
      model: checkpoint.model, weights: checkpoint.weights, harmful: pools.harmful,
      safe: pools.safe, length: 12)
    #expect(tables.layers == 2)
    #expect(tables.heads == (index == 0 ? 2 : 4))
  }
}
