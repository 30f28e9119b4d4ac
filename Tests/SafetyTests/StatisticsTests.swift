import Foundation
import Models
import Testing

@testable import Safety

@Suite struct McNemarTests {
  @Test func matchesBinomialTailsComputedByHand() throws {
    // b = 0, c = 5: 2·(1/32).
    #expect(try McNemarTest(firstOnly: 0, secondOnly: 5).pValue == 0.0625)
    // b = 1, c = 9: 2·(1 + 10)/1024.
    let p = try McNemarTest(firstOnly: 1, secondOnly: 9).pValue
    #expect(abs(p - 22.0 / 1024) < 1e-14)
    // b = 2, c = 8: 2·(1 + 10 + 45)/1024 = 0.109375.
    #expect(abs(try McNemarTest(firstOnly: 8, secondOnly: 2).pValue - 0.109375) < 1e-14)
    // Symmetric, and 1 when the discordant pairs split evenly or do not exist.
    #expect(try McNemarTest(firstOnly: 4, secondOnly: 4).pValue == 1)
    #expect(try McNemarTest(firstOnly: 0, secondOnly: 0).pValue == 1)
  }

  @Test func largeCountsAgainstTheNormalApproximation() throws {
    // n = 400 discordant pairs, b = 170: z = (170 − 200)/10 = −3, two-sided normal 0.0027;
    // with the continuity correction z = 2.95, 0.00318. The exact value lies near those.
    let p = try McNemarTest(firstOnly: 170, secondOnly: 230).pValue
    #expect(p > 0.0025 && p < 0.0035, "\(p)")
    // The binomial probabilities of n = 1000 sum to 1 (no underflow of the middle terms).
    let total = (0...1000).map { McNemarTest.binomialHalf(1000, $0) }.reduce(0, +)
    #expect(abs(total - 1) < 1e-9)
  }

  @Test func countsDiscordantPairsAndRejectsUnpairedInput() throws {
    let t = try McNemarTest(
      first: [true, true, false, false, true], second: [true, false, true, true, false])
    #expect(t.firstOnly == 2 && t.secondOnly == 2)
    #expect(throws: SafetyError.self) { try McNemarTest(first: [true], second: []) }
    #expect(throws: SafetyError.self) { try McNemarTest(firstOnly: -1, secondOnly: 2) }
  }
}

@Suite struct BootstrapTests {
  @Test func constantDataGiveAPointInterval() throws {
    let b = Bootstrap(replicates: 200, seed: 1)
    #expect(try b.interval(percent: Array(repeating: true, count: 30)) == 100...100)
    #expect(try b.interval(difference: [true, false], [true, false]) == 0...0)
  }

  @Test func sameSeedSameIntervalOtherSeedOtherDraws() throws {
    var rng = SeededRandom(seed: 5)
    let outcomes = (0..<60).map { _ in rng.index(below: 3) == 0 }
    let a = try Bootstrap(replicates: 500, seed: 9).interval(percent: outcomes)
    let b = try Bootstrap(replicates: 500, seed: 9).interval(percent: outcomes)
    let c = try Bootstrap(replicates: 500, seed: 10).interval(percent: outcomes)
    #expect(a == b)
    let mean = 100 * Double(outcomes.filter { $0 }.count) / 60
    #expect(a.contains(mean) && c.contains(mean))
    // On continuous values another seed gives other draws, so other bounds.
    let values = (0..<60).map { _ in rng.nextUnitInterval() }
    let x = try Bootstrap(replicates: 500, seed: 9).interval(mean: values)
    #expect(x == (try Bootstrap(replicates: 500, seed: 9).interval(mean: values)))
    #expect(x != (try Bootstrap(replicates: 500, seed: 10).interval(mean: values)))
  }

  @Test func widthMatchesTheBinomialStandardError() throws {
    // p = 0.5, n = 400: the 95% interval is about ±1.96·√(p(1−p)/n) = ±4.9 points.
    let outcomes = (0..<400).map { $0 % 2 == 0 }
    let i = try Bootstrap(replicates: 4000, seed: 3).interval(percent: outcomes)
    let width = i.upperBound - i.lowerBound
    #expect(abs(width - 2 * 1.96 * 100 * (0.25 / 400).squareRoot()) < 1.5, "\(i)")
  }

  @Test func coverageOfATrueProportionIsNearTheLevel() throws {
    // 200 samples of 80 Bernoulli(0.3) outcomes: the 95% interval should hold 30% in about
    // 95% of them (percentile intervals run slightly short; the bounds are ±4 standard
    // errors of a 200-trial proportion, 4·√(.95·.05/200) ≈ 0.06).
    var rng = SeededRandom(seed: 77)
    var hits = 0
    for trial in 0..<200 {
      let outcomes = (0..<80).map { _ in rng.nextUnitInterval() < 0.3 }
      let i = try Bootstrap(replicates: 400, seed: UInt64(trial)).interval(percent: outcomes)
      if i.contains(30) { hits += 1 }
    }
    let coverage = Double(hits) / 200
    #expect(coverage > 0.87 && coverage <= 1, "\(coverage)")
  }

  @Test func pairedDifferenceAndBadInput() throws {
    // Every pair differs by +100: the delta is exactly 100.
    let i = try Bootstrap(replicates: 100).interval(difference: [true, true], [false, false])
    #expect(i == 100...100)
    #expect(throws: SafetyError.self) { try Bootstrap().interval(difference: [true], []) }
    #expect(throws: SafetyError.self) { try Bootstrap().interval(mean: []) }
    #expect(throws: SafetyError.self) { try Bootstrap(replicates: 1).interval(mean: [1]) }
  }
}
