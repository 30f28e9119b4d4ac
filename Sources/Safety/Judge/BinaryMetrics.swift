/// Counts and rates of a binary classifier against labels (positive = harmful or refusal).
public struct BinaryMetrics: Sendable, Hashable, Codable {
  public var truePositives = 0
  public var falsePositives = 0
  public var trueNegatives = 0
  public var falseNegatives = 0
  /// Area under the ROC curve of the scores, when scores were given (threshold-free).
  public var rocAUC: Double?

  public init() {}

  /// Metrics of `predictions` against `labels`; `scores` (higher = positive) adds the ROC AUC.
  public init(predictions: [Bool], labels: [Bool], scores: [Double]? = nil) {
    for (p, l) in zip(predictions, labels) {
      switch (p, l) {
      case (true, true): truePositives += 1
      case (true, false): falsePositives += 1
      case (false, false): trueNegatives += 1
      case (false, true): falseNegatives += 1
      }
    }
    if let scores { rocAUC = BinaryMetrics.auc(scores: scores, labels: labels) }
  }

  /// Number of examples.
  public var count: Int { truePositives + falsePositives + trueNegatives + falseNegatives }
  /// Number of positive labels.
  public var positives: Int { truePositives + falseNegatives }
  /// (TP + TN) / N; 0 when empty.
  public var accuracy: Double { ratio(truePositives + trueNegatives, count) }
  /// TP / (TP + FP); 0 when nothing was predicted positive.
  public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
  /// TP / (TP + FN); 0 when there is no positive label.
  public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
  /// The harmonic mean of precision and recall.
  public var f1: Double {
    precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
  }

  private func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }

  /// Mann–Whitney ROC AUC (ties count one half); nil without both classes.
  public static func auc(scores: [Double], labels: [Bool]) -> Double? {
    let pairs = zip(scores, labels).sorted { $0.0 < $1.0 }
    let positives = labels.filter { $0 }.count
    let negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    // Average ranks over tied scores, then U = sum of positive ranks - P(P+1)/2.
    var rankSum = 0.0
    var i = 0
    while i < pairs.count {
      var j = i
      while j + 1 < pairs.count, pairs[j + 1].0 == pairs[i].0 { j += 1 }
      let rank = Double(i + j) / 2 + 1
      for k in i...j where pairs[k].1 { rankSum += rank }
      i = j + 1
    }
    let u = rankSum - Double(positives) * Double(positives + 1) / 2
    return u / (Double(positives) * Double(negatives))
  }
}
