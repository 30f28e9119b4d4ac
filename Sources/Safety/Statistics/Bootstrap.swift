import Models

/// Seeded percentile-bootstrap intervals for means of per-item outcomes (HS, FA, refusal
/// rates as percentages) and for mean paired differences (HS deltas).
///
/// Each replicate draws `items.count` items with replacement (a `SeededRandom` stream of
/// `seed`) and takes the statistic; the interval is the replicates' `(1 − level)/2` and
/// `(1 + level)/2` quantiles, the quantile q being the sorted replicate at index
/// `round(q·(replicates − 1))`.
public struct Bootstrap: Sendable, Hashable, Codable {
  public var replicates: Int
  public var level: Double
  public var seed: UInt64

  public init(replicates: Int = 10_000, level: Double = 0.95, seed: UInt64 = 2024) {
    self.replicates = replicates
    self.level = level
    self.seed = seed
  }

  /// Problems that make the settings unusable, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if replicates < 2 { out.append("the bootstrap needs at least 2 replicates, got \(replicates)") }
    if !(level > 0 && level < 1) { out.append("the level must be in (0, 1), got \(level)") }
    return out
  }

  /// The interval for the mean of `values`.
  public func interval(mean values: [Double]) throws(SafetyError) -> ClosedRange<Double> {
    if let problem = problems().first { throw SafetyError("bootstrap: \(problem)") }
    guard !values.isEmpty else { throw SafetyError("bootstrap: no values") }
    var random = SeededRandom(seed: seed, stream: 0x626f_6f74)
    let n = values.count
    var means: [Double] = []
    means.reserveCapacity(replicates)
    for _ in 0..<replicates {
      var total = 0.0
      for _ in 0..<n { total += values[random.index(below: n)] }
      means.append(total / Double(n))
    }
    means.sort()
    func quantile(_ q: Double) -> Double {
      means[Int((q * Double(replicates - 1)).rounded())]
    }
    return quantile((1 - level) / 2)...quantile((1 + level) / 2)
  }

  /// The interval, in percent, for the share of `true` outcomes.
  public func interval(percent outcomes: [Bool]) throws(SafetyError) -> ClosedRange<Double> {
    try interval(mean: outcomes.map { $0 ? 100 : 0 })
  }

  /// The interval, in percentage points, for the mean paired difference `first − second`
  /// (pairs resampled together, so the pairing's correlation is kept).
  public func interval(difference first: [Bool], _ second: [Bool]) throws(SafetyError)
    -> ClosedRange<Double>
  {
    guard first.count == second.count else {
      throw SafetyError(
        "bootstrap: \(first.count) outcomes against \(second.count): the pairs must match")
    }
    return try interval(mean: zip(first, second).map { Double(($0 ? 100 : 0) - ($1 ? 100 : 0)) })
  }
}
