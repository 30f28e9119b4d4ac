import Foundation

/// A small, seedable, serialisable random generator (SplitMix64): the same seed gives the same
/// draws on every platform, and the whole state is one `UInt64`, so training checkpoints record
/// it and a resumed run draws the same numbers. Sampling and training share it.
public struct SeededRandom: RandomNumberGenerator, Sendable, Hashable, Codable {
  /// The current state.
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// A generator for one purpose derived from a seed and a stream number (an epoch, a pool).
  public init(seed: UInt64, stream: UInt64) {
    var g = SeededRandom(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
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
    let u1 = (Double(next() >> 11) + 1) / 0x1p53  // in (0, 1]: log(u1) is finite
    let u2 = Double(next() >> 11) / 0x1p53
    return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
  }

  /// A uniform draw in [0, 1) with 53 random bits.
  public mutating func nextUnitInterval() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }
}

extension SeededRandom {
  enum CodingKeys: String, CodingKey { case state }

  /// Encoded as a 16-digit hex string (JSON numbers lose bits above 2⁵³ in many readers).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    let hex = String(state, radix: 16)
    try c.encode(String(repeating: "0", count: 16 - hex.count) + hex, forKey: .state)
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let text = try c.decode(String.self, forKey: .state)
    guard let value = UInt64(text, radix: 16) else {
      throw DecodingError.dataCorruptedError(
        forKey: .state, in: c, debugDescription: "'\(text)' is not a 64-bit hex number")
    }
    self.init(seed: 0)
    state = value
  }
}
