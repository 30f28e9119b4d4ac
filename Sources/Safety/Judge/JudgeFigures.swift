import Foundation
import Models

/// One judged, labelled answer: what the figures are computed from.
public struct ScoredAnswer: Sendable, Hashable {
  public var label: Bool
  public var prediction: Bool
  /// The classifier's probability of the positive class.
  public var score: Double
  /// Resampling unit (the prompt).
  public var group: String

  public init(label: Bool, prediction: Bool, score: Double, group: String) {
    self.label = label
    self.prediction = prediction
    self.score = score
    self.group = group
  }
}

/// A point estimate with a bootstrap 95% interval.
public struct Estimate: Sendable, Hashable, Codable {
  public var value: Double
  public var low: Double
  public var high: Double

  public init(value: Double, low: Double, high: Double) {
    self.value = value
    self.low = low
    self.high = high
  }
}

/// Sensitivity, specificity, balanced accuracy (each with a 95% interval from a bootstrap over
/// prompts) and calibration of a binary classifier on one set of answers.
///
/// - sensitivity = TP / (TP + FN), nil without positives; specificity = TN / (TN + FP), nil
///   without negatives; balanced accuracy = their mean, nil unless both exist.
/// - Brier score = mean (score − label)²; expected calibration error (ECE) = Σ over 10 equal-width
///   score bins of (bin size / N) · |mean score − fraction positive|.
/// - Intervals: the 2.5th and 97.5th percentiles over `resamples` resamples that draw prompts
///   (groups) with replacement and keep every answer of a drawn prompt, so answers to one prompt
///   are not treated as independent. Deterministic for a seed.
public struct ClassifierFigures: Sendable, Hashable, Codable {
  public var count: Int
  public var positives: Int
  public var sensitivity: Estimate?
  public var specificity: Estimate?
  public var balancedAccuracy: Estimate?
  public var brier: Double
  public var calibrationError: Double

  /// The figures of `rows`.
  public init(_ rows: [ScoredAnswer], resamples: Int = 1000, seed: UInt64 = 2026) {
    count = rows.count
    positives = rows.filter(\.label).count
    let errors = rows.map { r in (r.score - (r.label ? 1 : 0)) * (r.score - (r.label ? 1 : 0)) }
    brier = rows.isEmpty ? 0 : errors.reduce(0, +) / Double(rows.count)
    calibrationError = ClassifierFigures.expectedCalibrationError(rows)
    let point = Rates(rows)
    var groups: [String: [Int]] = [:]
    var order: [String] = []
    for (i, r) in rows.enumerated() {
      if groups[r.group] == nil { order.append(r.group) }
      groups[r.group, default: []].append(i)
    }
    var samples: [Rates] = []
    var random = SeededRandom(seed: seed)
    for _ in 0..<(order.isEmpty ? 0 : resamples) {
      var drawn: [ScoredAnswer] = []
      for _ in order.indices {
        for i in groups[order[Int(random.next() % UInt64(order.count))]] ?? [] {
          drawn.append(rows[i])
        }
      }
      samples.append(Rates(drawn))
    }
    func estimate(_ value: Double?, _ key: (Rates) -> Double?) -> Estimate? {
      guard let value else { return nil }
      let s = samples.compactMap(key).sorted()
      guard !s.isEmpty else { return Estimate(value: value, low: value, high: value) }
      return Estimate(
        value: value, low: s[Int(0.025 * Double(s.count - 1))],
        high: s[Int((0.975 * Double(s.count - 1)).rounded(.up))])
    }
    sensitivity = estimate(point.sensitivity, \.sensitivity)
    specificity = estimate(point.specificity, \.specificity)
    balancedAccuracy = estimate(point.balancedAccuracy, \.balancedAccuracy)
  }

  /// ECE over 10 equal-width bins of the score.
  static func expectedCalibrationError(_ rows: [ScoredAnswer]) -> Double {
    guard !rows.isEmpty else { return 0 }
    var bins = [(score: Double, positive: Double, count: Double)](
      repeating: (0, 0, 0), count: 10)
    for r in rows {
      let b = min(Int(r.score * 10), 9)
      bins[b].score += r.score
      bins[b].positive += r.label ? 1 : 0
      bins[b].count += 1
    }
    return bins.filter { $0.count > 0 }.map { abs($0.score - $0.positive) / Double(rows.count) }
      .reduce(0, +)
  }

  /// The rates of one sample.
  struct Rates {
    var sensitivity: Double?
    var specificity: Double?
    var balancedAccuracy: Double?

    init(_ rows: [ScoredAnswer]) {
      let m = BinaryMetrics(predictions: rows.map(\.prediction), labels: rows.map(\.label))
      let negatives = m.trueNegatives + m.falsePositives
      sensitivity = m.positives > 0 ? m.recall : nil
      specificity = negatives > 0 ? Double(m.trueNegatives) / Double(negatives) : nil
      if let a = sensitivity, let b = specificity { balancedAccuracy = (a + b) / 2 }
    }
  }
}

/// Folds for grouped cross-validation: every answer to one prompt in the same fold.
public enum GroupedFolds {
  /// The fold (0..<`folds`) of each group: FNV-1a of the group, modulo `folds`.
  public static func assign(_ groups: [String], folds: Int) -> [Int] {
    groups.map { Int(stableHash($0) % UInt64(max(folds, 1))) }
  }
}
