import Data
import Models

/// A fine-tuning sample and whether it is one of the harmful ones.
public struct MixtureSample: Sendable, Hashable, Codable {
  public var pair: InstructionPair
  public var isHarmful: Bool

  public init(pair: InstructionPair, isHarmful: Bool) {
    self.pair = pair
    self.isHarmful = isHarmful
  }
}

/// The threat model's user dataset: `int(p·n)` harmful and `int((1 − p)·n)` benign samples.
public enum PoisonedMixture {
  /// Draws the mixture with a seeded generator: harmful and benign rows are each taken without
  /// replacement from a seeded permutation of their pool, then the whole list is shuffled.
  ///
  /// Throws when a pool is too small or the ratio is outside [0, 1].
  public static func make(
    harmful: [InstructionPair], benign: [InstructionPair], samples n: Int, ratio p: Double,
    seed: UInt64
  ) throws(TrainingError) -> [MixtureSample] {
    guard n >= 0 else { throw TrainingError("the sample count must be non-negative, got \(n)") }
    guard p >= 0 && p <= 1 else {
      throw TrainingError("the poison ratio must be in [0, 1], got \(p)")
    }
    let (harmfulCount, benignCount) = counts(samples: n, ratio: p)
    guard harmfulCount <= harmful.count else {
      throw TrainingError(
        "\(harmfulCount) harmful samples requested (p = \(p), n = \(n)) but the pool holds \(harmful.count)"
      )
    }
    guard benignCount <= benign.count else {
      throw TrainingError(
        "\(benignCount) benign samples requested (p = \(p), n = \(n)) but the pool holds \(benign.count)"
      )
    }
    var g = SeededRandom(seed: seed, stream: 0x6D69_7874)
    let harmfulOrder = g.permutation(harmful.count).prefix(harmfulCount)
    let benignOrder = g.permutation(benign.count).prefix(benignCount)
    let mixed =
      harmfulOrder.map { MixtureSample(pair: harmful[$0], isHarmful: true) }
      + benignOrder.map { MixtureSample(pair: benign[$0], isHarmful: false) }
    return g.permutation(mixed.count).map { mixed[$0] }
  }

  /// `(int(p·n), int((1 − p)·n))`, truncating as Python's `int` does.
  public static func counts(samples n: Int, ratio p: Double) -> (harmful: Int, benign: Int) {
    (Int((p * Double(n)).rounded(.towardZero)), Int(((1 - p) * Double(n)).rounded(.towardZero)))
  }
}
