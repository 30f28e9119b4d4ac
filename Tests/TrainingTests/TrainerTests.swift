import Foundation
import Models
import Runtime
import Testing
import Training

private func config(
  steps epochs: Int = 1, batch: Int = 4, accumulation: Int = 1, rate: Double = 1e-2,
  defense: Defense = .sft, checkpointEvery: Int = 0
) -> TrainingConfig {
  TrainingConfig(
    batchSize: batch, accumulation: accumulation, sequenceLength: 12, epochs: epochs,
    schedule: .constant(rate: rate), optimizer: AdamWConfig(clip: 1), defense: defense, seed: 7,
    checkpointEvery: checkpointEvery)
}

/// One harmful and one safe sequence: a short harmful one (its mean attention to the sink is
/// high under near-uniform attention) against a long safe one, so the penalty starts positive.
private let pools = SurgeryPools(
  harmful: [EncodedSample(ids: [1, 50, 51, 52, 53], answerStart: 3)],
  safe: [EncodedSample(ids: [1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 3], answerStart: 6)])

@Suite(.serialized) struct TrainerTests {
  @Test func lossFallsOnTinyLlama() throws {
    let weights = try tinyModel.initialWeights(seed: 1)
    let trainer = try Trainer(
      model: tinyModel, config: config(steps: 12), weights: weights,
      samples: toySamples(count: 16, seed: 3))
    #expect(trainer.totalSteps == 48)
    let records = try trainer.run()
    #expect(records.count == 48)
    let first = records.prefix(4).map(\.loss).reduce(0, +) / 4
    let last = records.suffix(4).map(\.loss).reduce(0, +) / 4
    #expect(last < 0.6 * first, "loss \(first) → \(last)")
    #expect(records.allSatisfy { $0.sinkPenalty == nil && $0.gradientNorm > 0 && $0.tokens > 0 })
  }

  @Test func accumulationMatchesOneLargeBatch() throws {
    // Every sample has 4 answer tokens, so the mean of two micro-batch means is the batch mean.
    let weights = try tinyModel.initialWeights(seed: 2)
    let samples = toySamples(count: 8, seed: 4)
    let whole = try Trainer(
      model: tinyModel, config: config(steps: 2), weights: weights, samples: samples)
    let split = try Trainer(
      model: tinyModel, config: config(steps: 2, batch: 2, accumulation: 2), weights: weights,
      samples: samples)
    #expect(split.totalSteps == whole.totalSteps)
    let a = try whole.run()
    let b = try split.run()
    for (x, y) in zip(a, b) {
      #expect(
        abs(x.loss - y.loss) < 1e-5 && abs(x.gradientNorm - y.gradientNorm) < 1e-4 * x.gradientNorm)
    }
  }

  @Test func resumingGivesIdenticalLosses() throws {
    let weights = try tinyModel.initialWeights(seed: 5)
    let samples = toySamples(count: 12, seed: 6)
    let surgery = config(steps: 3, defense: .surgery(lambda: 2, sink: 0), checkpointEvery: 2)
    let straight = try Trainer(
      model: tinyModel, config: surgery, weights: weights, samples: samples, pools: pools)
    straight.outputDirectory = try temporaryDirectory()
    let reference = try straight.run()
    #expect(reference.count == 9)

    let dir = try temporaryDirectory()
    let first = try Trainer(
      model: tinyModel, config: surgery, weights: weights, samples: samples, pools: pools)
    first.outputDirectory = dir
    let head = try first.run(maxSteps: 4)  // stops in the middle of the second epoch
    let resumed = try Trainer(resumingFrom: dir + "/checkpoint", samples: samples, pools: pools)
    resumed.outputDirectory = dir
    #expect(
      resumed.progress.step == 4 && resumed.progress.epoch == 1 && resumed.progress.position == 4)
    let tail = try resumed.run()
    let losses = (head + tail).map(\.loss)
    #expect(losses == reference.map(\.loss))
    #expect((head + tail).map(\.sinkPenalty) == reference.map(\.sinkPenalty))
    #expect(resumed.weights == straight.weights)

    // The log holds one line per step across the interruption.
    let log = try String(contentsOfFile: dir + "/log.jsonl", encoding: .utf8)
    #expect(log.split(separator: "\n").count == 9)
    let checkpoint = try TrainingCheckpoint.read(from: dir + "/checkpoint")
    #expect(checkpoint.metadata.progress.step == 9)
    #expect(checkpoint.weights == resumed.weights)
    #expect(FileManager.default.fileExists(atPath: dir + "/checkpoint/config.json"))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
      $0.hasPrefix(".")
    }
    #expect(leftovers.isEmpty, "temporary directories left: \(leftovers)")
  }

  @Test func nonFiniteLossStopsAndKeepsTheCheckpoint() throws {
    let weights = try tinyModel.initialWeights(seed: 8)
    let dir = try temporaryDirectory()
    let trainer = try Trainer(
      model: tinyModel, config: config(steps: 4), weights: weights,
      samples: toySamples(count: 8, seed: 9))
    trainer.outputDirectory = dir
    try trainer.run(maxSteps: 2)
    let saved = try TrainingCheckpoint.read(from: dir + "/checkpoint")
    let name = "model.layers.0.mlp.up_proj.weight"
    let poisoned = try #require(trainer.weights[name])
    var values = try #require(poisoned.array(of: Float.self))
    values[3] = .nan
    try trainer.setWeight(name, try HostTensor(shape: poisoned.shape, values))
    do {
      try trainer.run()
      Issue.record("training went on with a NaN weight")
    } catch let error as TrainingError {
      #expect(error.message.contains("non-finite loss"))
      #expect(error.message.contains("step 3"))
      #expect(error.message.contains("step 2) is intact"))
    }
    #expect(trainer.progress.step == 2)
    let after = try TrainingCheckpoint.read(from: dir + "/checkpoint")
    #expect(after.metadata.progress.step == 2)
    #expect(after.weights == saved.weights)
    #expect(after.weights.values.allSatisfy { $0.doubles.allSatisfy(\.isFinite) })
  }

  @Test func surgeryLowersTheSinkPenaltyWhereSFTDoesNot() throws {
    let start = try tinyModel.standardInitialWeights(seed: 11, standardDeviation: 0.1)
    let samples = toySamples(count: 8, seed: 12)
    func penalty(_ w: [String: HostTensor]) throws -> Double {
      try SinkMeasurement.penalty(
        model: tinyModel, weights: w, harmful: pools.harmful[0], safe: pools.safe[0], length: 12)
    }
    let initial = try penalty(start)
    #expect(initial > 0.05, "the toy must start with a clearly positive penalty, got \(initial)")
    let sft = try Trainer(
      model: tinyModel, config: config(steps: 12), weights: start, samples: samples)
    try sft.run()
    let surgery = try Trainer(
      model: tinyModel, config: config(steps: 12, defense: .surgery(lambda: 5, sink: 0)),
      weights: start,
      samples: samples, pools: pools)
    let records = try surgery.run()
    let afterSFT = try penalty(sft.weights)
    let afterSurgery = try penalty(surgery.weights)
    #expect(afterSurgery < 0.25 * initial, "surgery: \(initial) → \(afterSurgery)")
    #expect(afterSurgery < 0.25 * afterSFT, "SFT ends at \(afterSFT), surgery at \(afterSurgery)")
    // The step graph reports the same penalty the measurement computes, before the update.
    #expect(abs((records.first?.sinkPenalty ?? 0) - initial) < 1e-5)
  }

  @Test func misuseIsReported() throws {
    let weights = try tinyModel.initialWeights(seed: 1)
    #expect(throws: TrainingError.self) {
      try Trainer(
        model: tinyModel, config: config(batch: 0), weights: weights,
        samples: toySamples(count: 2, seed: 1))
    }
    #expect(throws: TrainingError.self) {
      try Trainer(model: tinyModel, config: config(), weights: weights, samples: [])
    }
    #expect(throws: TrainingError.self) {
      try Trainer(
        model: tinyModel, config: config(defense: .surgery(lambda: 1, sink: 0)), weights: weights,
        samples: toySamples(count: 2, seed: 1))
    }
    var missing = weights
    missing["model.norm.weight"] = nil
    #expect(throws: TrainingError.self) {
      try Trainer(
        model: tinyModel, config: config(), weights: missing, samples: toySamples(count: 2, seed: 1)
      )
    }
  }
}

@Suite struct ModelSourceTests {
  @Test func checkpointDirectoryLoadsAsModel() throws {
    let gguf = try smolLM2File()
    let weights = try tinyModel.initialWeights(seed: 21)
    let trainer = try Trainer(
      model: tinyModel,
      config: TrainingConfig(batchSize: 2, sequenceLength: 12, schedule: .constant(rate: 1e-3)),
      weights: weights, samples: toySamples(count: 4, seed: 22), sources: ["tokenizer": gguf])
    let dir = try temporaryDirectory()
    trainer.outputDirectory = dir
    try trainer.run()
    let store = ModelStore(cacheDirectory: CacheLocation.root())
    for spec in [dir, dir + "/checkpoint"] {
      let loaded = try store.loadLanguageModel(ModelReference(spec))
      #expect(loaded.config == tinyModel.config)
      #expect(loaded.weights == trainer.weights)
      #expect(try loaded.tokenizerPath() == gguf)
    }
    // The checkpoint's config.json is a Hugging Face Llama configuration.
    #expect(
      try LlamaCheckpoint.config(huggingFaceJSON: dir + "/checkpoint/config.json") == tinyModel.config)
    #expect(throws: ModelError.self) {
      try store.loadLanguageModel(ModelReference(dir + "/missing"))
    }
  }
}
