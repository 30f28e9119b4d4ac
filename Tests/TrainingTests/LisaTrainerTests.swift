import Foundation
import Models
import Runtime
import Testing
import Training

/// Lisa in the Trainer: phases alternate by the schedule, the anchors follow the phase changes,
/// the proximal term is in the step graph, and a resumed run repeats the straight one.
@Suite(.serialized) struct LisaTrainerTests {
  let lisa = LisaSchedule(alignmentSteps: 1, fineTuneSteps: 2, rho: 1)

  func lisaConfig(epochs: Int = 2, checkpointEvery: Int = 0) -> TrainingConfig {
    TrainingConfig(
      batchSize: 4, sequenceLength: 12, epochs: epochs, schedule: .constant(rate: 1e-2),
      seed: 3, checkpointEvery: checkpointEvery, lisa: lisa)
  }

  /// Alignment data: a different toy mapping (answers a+2).
  func alignment() -> [EncodedSample] {
    var g = SeededRandom(seed: 11)
    return (0..<6).map { _ in
      let xs = (0..<3).map { _ in 4 + g.index(below: 40) }
      return EncodedSample(ids: [1] + xs + [2] + xs.map { $0 + 2 } + [3], answerStart: 5)
    }
  }

  @Test func alternatesPhasesAndPullsTowardsTheAnchor() throws {
    let weights = try tinyModel.initialWeights(seed: 1)
    let samples = toySamples(count: 8, seed: 2)  // 2 steps per epoch, 4 fine-tuning steps
    let trainer = try Trainer(
      model: tinyModel, config: lisaConfig(), weights: weights, samples: samples,
      alignmentSamples: alignment())
    // 4 fine-tuning steps in cycles of 1 + 2: A F F A F F.
    #expect(trainer.totalSteps == 6)
    var anchorsAtStep: [Int: HostTensor] = [:]
    let name = "model.layers.0.mlp.up_proj.weight"
    var weightsBefore: [Int: HostTensor] = [:]
    trainer.onStep = { _ in }
    var records: [StepRecord] = []
    while !trainer.isFinished {
      let step = trainer.progress.step + 1
      weightsBefore[step] = trainer.weights[name]
      records.append(try trainer.step())
      anchorsAtStep[step] = trainer.optimizerState["anchor.\(name)"]
    }
    #expect(records.count == 6)
    // The anchor is set when a phase opens (steps 1, 2, 4, 5) to the weights before that step,
    // and kept inside a phase (step 3 keeps step 2's).
    for step in [1, 2, 4, 5] { #expect(anchorsAtStep[step] == weightsBefore[step], "\(step)") }
    #expect(anchorsAtStep[3] == anchorsAtStep[2])
    #expect(anchorsAtStep[6] == anchorsAtStep[5])
    // At a phase's first step the weights equal the anchors: the proximal term is 0 and the
    // objective is the task loss; inside a phase it is positive.
    #expect(records[0].loss == records[0].taskLoss)
    #expect(records[2].loss > records[2].taskLoss)
  }

  @Test func theStepGraphHasTheProximalTerm() throws {
    let graphs = try StepGraphs.build(
      model: tinyModel, batch: 2, tokens: 8, defense: .sft, optimizer: AdamWConfig(),
      accumulation: 1, proximal: 0.5)
    let graph = try #require(graphs.fused)
    let anchors = graph.parameters.filter { $0.name.hasPrefix("anchor.") }
    #expect(anchors.count == graphs.weights.count)
    #expect(anchors.allSatisfy { $0.role == .input })
    #expect(graph.result(named: "proximal_penalty") != nil)
  }

  @Test func resumingGivesIdenticalLosses() throws {
    let weights = try tinyModel.initialWeights(seed: 4)
    let samples = toySamples(count: 8, seed: 5)
    let config = lisaConfig(checkpointEvery: 2)
    let straight = try Trainer(
      model: tinyModel, config: config, weights: weights, samples: samples,
      alignmentSamples: alignment())
    let reference = try straight.run()
    let dir = try temporaryDirectory()
    let first = try Trainer(
      model: tinyModel, config: config, weights: weights, samples: samples,
      alignmentSamples: alignment())
    first.outputDirectory = dir
    let head = try first.run(maxSteps: 3)  // stops inside the second phase
    let resumed = try Trainer(
      resumingFrom: dir + "/checkpoint", samples: samples, alignmentSamples: alignment())
    let tail = try resumed.run()
    #expect((head + tail).map(\.loss) == reference.map(\.loss))
    #expect(resumed.weights == straight.weights)
  }

  @Test func needsAlignmentSamples() throws {
    let weights = try tinyModel.initialWeights(seed: 1)
    #expect(throws: TrainingError.self) {
      try Trainer(
        model: tinyModel, config: lisaConfig(), weights: weights,
        samples: toySamples(count: 4, seed: 1))
    }
  }
}
