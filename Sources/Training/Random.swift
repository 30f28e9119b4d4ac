import Foundation

/// A small, seedable, serialisable random generator (SplitMix64): the whole state is one
/// `UInt64`, so checkpoints record it and a resumed run draws the same numbers.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
  /// The current state.
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// A generator for one purpose derived from a seed and a stream number (an epoch, a pool).
  public init(seed: UInt64, stream: UInt64) {
    var g = SeededGenerator(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    state = g.next()
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform index in `0..<count` (count > 0).
  public mutating func index(below count: Int) -> Int {
    Int(next() % UInt64(Swift.max(count, 1)))
  }

  /// A Fisher–Yates permutation of `0..<count` (independent of the standard library's shuffle,
  /// whose algorithm may change between releases).
  public mutating func permutation(_ count: Int) -> [Int] {
    var order = Array(0..<count)
    if count < 2 { return order }
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, index(below: i + 1))
    }
    return order
  }

  /// A standard normal sample (Box–Muller).
  public mutating func normal() -> Double {
    let u1 = (Double(next() >> 11) + 1) / 9_007_199_254_740_993
    let u2 = Double(next() >> 11) / 9_007_199_254_740_992
    return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
  }
}
