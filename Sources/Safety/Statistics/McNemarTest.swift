import Foundation

/// The exact McNemar test on paired binary outcomes: under H₀ (both conditions equally likely
/// to give the outcome) the discordant pairs split as Binomial(b + c, ½).
///
///   b = pairs where only the first condition is positive, c = only the second
///   p = min(1, 2·Σ_{k ≤ min(b, c)} C(b + c, k)·2^−(b+c)),  p = 1 when b + c = 0
public struct McNemarTest: Sendable, Hashable, Codable {
  /// Pairs positive under the first condition only, and under the second only.
  public var firstOnly: Int
  public var secondOnly: Int

  /// The test of the discordant counts `b` (first only) and `c` (second only).
  public init(firstOnly: Int, secondOnly: Int) throws(SafetyError) {
    guard firstOnly >= 0, secondOnly >= 0 else {
      throw SafetyError("McNemar: negative discordant counts \(firstOnly), \(secondOnly)")
    }
    self.firstOnly = firstOnly
    self.secondOnly = secondOnly
  }

  /// The test of outcomes paired by position (the same prompt and seed under both conditions).
  public init(first: [Bool], second: [Bool]) throws(SafetyError) {
    guard first.count == second.count else {
      throw SafetyError(
        "McNemar: \(first.count) outcomes under one condition, \(second.count) under the other; "
          + "the pairs must match one to one")
    }
    let pairs = zip(first, second)
    try self.init(
      firstOnly: pairs.filter { $0 && !$1 }.count, secondOnly: pairs.filter { !$0 && $1 }.count)
  }

  /// The two-sided exact p-value.
  public var pValue: Double {
    let n = firstOnly + secondOnly
    guard n > 0 else { return 1 }
    let tail = (0...min(firstOnly, secondOnly)).map { Self.binomialHalf(n, $0) }.reduce(0, +)
    return min(1, 2 * tail)
  }

  /// C(n, k)·2⁻ⁿ, through log-gamma so that large n neither overflows nor underflows early.
  static func binomialHalf(_ n: Int, _ k: Int) -> Double {
    let logChoose = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    return exp(logChoose - Double(n) * log(2))
  }
}
