import Foundation

/// A learning-rate schedule: the rate of each optimizer step (steps count from 1).
public enum LearningRateSchedule: Sendable, Hashable, Codable {
  /// The same rate every step.
  case constant(rate: Double)
  /// Linear warmup from 0 to `peak` over `warmup` steps, then cosine decay to `minimum` at
  /// step `total` (and `minimum` after it).
  case warmupCosine(peak: Double, warmup: Int, total: Int, minimum: Double)

  /// The rate of optimizer step `step` (1-based).
  public func rate(at step: Int) -> Double {
    switch self {
    case .constant(let rate):
      return rate
    case .warmupCosine(let peak, let warmup, let total, let minimum):
      if step <= warmup { return peak * Double(step) / Double(Swift.max(warmup, 1)) }
      let span = Swift.max(total - warmup, 1)
      let progress = Swift.min(Double(step - warmup) / Double(span), 1)
      return minimum + (peak - minimum) * 0.5 * (1 + cos(Double.pi * progress))
    }
  }

  /// Problems that make the schedule unusable, as sentences.
  public func problems() -> [String] {
    switch self {
    case .constant(let rate):
      return rate.isFinite && rate > 0 ? [] : ["the learning rate must be positive, got \(rate)"]
    case .warmupCosine(let peak, let warmup, let total, let minimum):
      var out: [String] = []
      if !(peak.isFinite && peak > 0) {
        out.append("the peak learning rate must be positive, got \(peak)")
      }
      if warmup < 0 { out.append("warmup steps must be non-negative, got \(warmup)") }
      if total < 1 { out.append("the total step count must be positive, got \(total)") }
      if !(minimum >= 0 && minimum <= peak) {
        out.append("the minimum rate must be in [0, peak], got \(minimum)")
      }
      return out
    }
  }

  /// `constant 5e-06`, `warmup-cosine peak 1e-3 warmup 10 total 100 min 0`.
  public var summary: String {
    switch self {
    case .constant(let rate): "constant \(rate)"
    case .warmupCosine(let peak, let warmup, let total, let minimum):
      "warmup-cosine peak \(peak) warmup \(warmup) total \(total) min \(minimum)"
    }
  }
}
