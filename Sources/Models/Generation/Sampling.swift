import Foundation

/// How the next token is chosen from the logits.
public enum Sampling: Sendable, Hashable {
  /// The most likely token (the first one on ties).
  case greedy
  /// Softmax of logits / `temperature`, restricted to the smallest set of most likely tokens
  /// whose probability reaches `topP` (nucleus sampling), then a seeded draw.
  case nucleus(temperature: Double, topP: Double)

  /// Problems with the parameters, as sentences.
  public func problems() -> [String] {
    guard case .nucleus(let temperature, let topP) = self else { return [] }
    var out: [String] = []
    if !(temperature > 0) || !temperature.isFinite { out.append("temperature must be positive") }
    if !(topP > 0 && topP <= 1) { out.append("top-p must be in (0, 1]") }
    return out
  }

  /// The chosen token id among `logits` (one row of the vocabulary).
  public func choose(_ logits: ArraySlice<Float>, random: inout SeededRandom) -> Int {
    switch self {
    case .greedy:
      return Self.argmax(logits)
    case .nucleus(let temperature, let topP):
      let largest = Double(logits.max() ?? 0)
      var weights = logits.map { exp((Double($0) - largest) / temperature) }
      let total = weights.reduce(0, +)
      for i in weights.indices { weights[i] /= total }
      // Most likely first; ties by id, so the order (and the draw) is reproducible.
      let order = weights.indices.sorted {
        weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1)
      }
      var kept = 0
      var mass = 0.0
      while kept < order.count && (kept == 0 || mass < topP) {
        mass += weights[order[kept]]
        kept += 1
      }
      var target = random.nextUnitInterval() * mass
      for i in order.prefix(kept) {
        target -= weights[i]
        if target < 0 { return i }
      }
      return order[kept - 1]
    }
  }

  /// Index (relative to the slice start) of the largest logit; NaNs never win.
  static func argmax(_ logits: ArraySlice<Float>) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for (i, v) in logits.enumerated() where v > bestValue {
      best = i
      bestValue = v
    }
    return best
  }
}
