import Data
import Foundation
import Testing
import Training

@Suite struct MixtureTests {
  @Test(arguments: [0.0, 0.05, 0.1, 0.15, 0.2])
  func referenceCounts(ratio: Double) throws {
    let data = try testData()
    let harmful = try data.harmful()
    let expectedHarmful = Int((ratio * 1000).rounded(.towardZero))
    let expectedBenign = Int(((1 - ratio) * 1000).rounded(.towardZero))
    let gsm = try data.benign(.gsm8k)
    let full = try PoisonedMixture.make(
      harmful: harmful, benign: gsm, samples: 1000, ratio: ratio, seed: 42)
    #expect(full.filter(\.isHarmful).count == expectedHarmful)
    #expect(full.filter { !$0.isHarmful }.count == expectedBenign)
    #expect(
      Set(full.filter(\.isHarmful).map(\.pair)).count == min(expectedHarmful, Set(harmful).count))
  }

  @Test func pythonTruncation() {
    #expect(PoisonedMixture.counts(samples: 1000, ratio: 0.1) == (100, 900))
    #expect(PoisonedMixture.counts(samples: 1000, ratio: 0.15) == (150, 850))
    #expect(PoisonedMixture.counts(samples: 10, ratio: 0.33) == (3, 6))
  }

  @Test func seededAndShuffled() throws {
    let harmful = (0..<50).map { InstructionPair(instruction: "h\($0)", output: "x") }
    let benign = (0..<100).map { InstructionPair(instruction: "b\($0)", output: "y") }
    let a = try PoisonedMixture.make(
      harmful: harmful, benign: benign, samples: 60, ratio: 0.2, seed: 1)
    let b = try PoisonedMixture.make(
      harmful: harmful, benign: benign, samples: 60, ratio: 0.2, seed: 1)
    let c = try PoisonedMixture.make(
      harmful: harmful, benign: benign, samples: 60, ratio: 0.2, seed: 2)
    #expect(a == b)
    #expect(a != c)
    #expect(a.filter(\.isHarmful).count == 12 && a.count == 60)
    #expect(a.prefix(12).contains { !$0.isHarmful }, "harmful samples are spread, not first")
    #expect(throws: TrainingError.self) {
      try PoisonedMixture.make(harmful: harmful, benign: benign, samples: 1000, ratio: 0.1, seed: 1)
    }
    #expect(throws: TrainingError.self) {
      try PoisonedMixture.make(harmful: harmful, benign: benign, samples: 10, ratio: 1.5, seed: 1)
    }
  }
}

@Suite struct ScheduleTests {
  @Test func constant() {
    let s = LearningRateSchedule.constant(rate: 5e-6)
    #expect(s.rate(at: 1) == 5e-6 && s.rate(at: 1000) == 5e-6)
  }

  @Test func warmupCosine() {
    let s = LearningRateSchedule.warmupCosine(peak: 1e-3, warmup: 10, total: 110, minimum: 1e-4)
    #expect(abs(s.rate(at: 1) - 1e-4) < 1e-15)
    #expect(abs(s.rate(at: 5) - 5e-4) < 1e-15)
    #expect(s.rate(at: 10) == 1e-3)
    #expect(abs(s.rate(at: 60) - (1e-4 + 0.9e-3 * 0.5)) < 1e-15)  // half way: cos(π/2) = 0
    #expect(abs(s.rate(at: 110) - 1e-4) < 1e-15)
    #expect(abs(s.rate(at: 500) - 1e-4) < 1e-15)
    for step in 11..<110 { #expect(s.rate(at: step + 1) <= s.rate(at: step)) }
    #expect(s.problems().isEmpty)
    #expect(
      !LearningRateSchedule.warmupCosine(peak: 1, warmup: 0, total: 0, minimum: 2).problems()
        .isEmpty)
    #expect(!LearningRateSchedule.constant(rate: -1).problems().isEmpty)
  }
}
