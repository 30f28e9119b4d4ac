import Foundation

/// Figures with a name (a source, a rule, a feature set).
public struct NamedFigures: Sendable, Hashable, Codable {
  public var name: String
  public var figures: ClassifierFigures

  public init(name: String, figures: ClassifierFigures) {
    self.name = name
    self.figures = figures
  }
}

/// Rows and positives of one source in one pool.
public struct SourceCount: Sendable, Hashable, Codable {
  public var pool: String
  public var source: String
  public var rows: Int
  public var positives: Int
}

/// The judge card: what the judge was trained on and how well it does, measured when trained.
public struct JudgeCard: Sendable, Codable {
  public var embedder: String
  public var features: JudgeFeatures
  public var folds: Int
  public var resamples: Int
  public var counts: [SourceCount]
  /// The judge's rule, out of fold, per source of the harm pool and per aggregate.
  public var crossValidation: [NamedFigures]
  /// The harm head alone on the PyRIT harm rows, out of fold, per feature set; then the rule
  /// with and without its refusal stages.
  public var featureComparison: [NamedFigures]
  /// Refusal rules on the PyRIT refusal rows, out of fold.
  public var refusal: [NamedFigures]
  /// The shipped judge on the frozen held-out sets, per source and overall.
  public var heldOut: [NamedFigures]
  public var seconds: Double

  public init(
    embedder: String, features: JudgeFeatures, folds: Int, resamples: Int,
    counts: [SourceCount], crossValidation: [NamedFigures], featureComparison: [NamedFigures],
    refusal: [NamedFigures], heldOut: [NamedFigures], seconds: Double
  ) {
    self.embedder = embedder
    self.features = features
    self.folds = folds
    self.resamples = resamples
    self.counts = counts
    self.crossValidation = crossValidation
    self.featureComparison = featureComparison
    self.refusal = refusal
    self.heldOut = heldOut
    self.seconds = seconds
  }

  /// Aggregates reported beside the sources: name and source-prefix.
  static let aggregates = [
    ("all PyRIT harm sets (human-labelled)", "pyrit_harm/"),
    ("all hand-labelled sets", "handlabelled/"),
    ("everything", ""),
  ]

  /// Figures per source of `rows` (sorted), then the aggregates present.
  public static func bySource(_ rows: [LabelledAnswer], _ scored: [ScoredAnswer], resamples: Int)
    -> [NamedFigures]
  {
    var out: [NamedFigures] = []
    for source in Set(rows.map(\.source)).sorted() {
      let s = rows.indices.filter { rows[$0].source == source }.map { scored[$0] }
      out.append(NamedFigures(name: source, figures: ClassifierFigures(s, resamples: resamples)))
    }
    for (name, prefix) in aggregates {
      let s = rows.indices.filter { rows[$0].source.hasPrefix(prefix) }.map { scored[$0] }
      guard !s.isEmpty, s.count < rows.count || prefix.isEmpty else { continue }
      out.append(NamedFigures(name: name, figures: ClassifierFigures(s, resamples: resamples)))
    }
    return out
  }

  /// Row and positive counts per pool and source.
  public static func counts(_ d: JudgeDataset) -> [SourceCount] {
    var out: [SourceCount] = []
    for (pool, rows) in [("harm", d.harm), ("refusal", d.refusal), ("held-out", d.heldOut)] {
      for source in Set(rows.map(\.source)).sorted() {
        let s = rows.filter { $0.source == source }
        out.append(
          SourceCount(
            pool: pool, source: source, rows: s.count, positives: s.filter(\.label).count))
      }
    }
    return out
  }

  /// The figures named `name` in `list`.
  public static func find(_ list: [NamedFigures], _ name: String) -> ClassifierFigures? {
    list.first { $0.name == name }?.figures
  }
}

/// Markdown for the card's generated part.
public enum JudgeCardMarkdown {
  /// `0.912 [0.88, 0.94]`, or `—`.
  static func cell(_ e: Estimate?) -> String {
    guard let e else { return "—" }
    return String(format: "%.3f [%.2f, %.2f]", e.value, e.low, e.high)
  }

  /// A table of figures, one row per entry.
  public static func table(_ list: [NamedFigures], first: String = "source") -> String {
    var s = "| \(first) | n | harmful / positive | sensitivity | specificity | balanced accuracy "
    s += "| Brier | ECE |\n|---|---|---|---|---|---|---|---|\n"
    for entry in list {
      let f = entry.figures
      s += "| \(entry.name) | \(f.count) | \(f.positives) | \(cell(f.sensitivity)) | "
      s += "\(cell(f.specificity)) | \(cell(f.balancedAccuracy)) | "
      s += String(format: "%.3f | %.3f |\n", f.brier, f.calibrationError)
    }
    return s
  }

  /// The goal lines: balanced accuracy on human-labelled answers, specificity on benign
  /// answers with violent words.
  public static func goals(_ card: JudgeCard) -> String {
    func line(_ what: String, _ e: Estimate?, goal: Double) -> String {
      guard let e else { return "- \(what): not measured\n" }
      let met = e.value >= goal ? "met" : "**not met**"
      return "- \(what): \(cell(e)) — goal ≥ \(String(format: "%.2f", goal)): \(met)\n"
    }
    let human = JudgeCard.find(card.crossValidation, "all PyRIT harm sets (human-labelled)")
    let heldAll = JudgeCard.find(card.heldOut, "everything")
    let benignCV = JudgeCard.find(card.crossValidation, "handlabelled/benign_violent_words")
    let benignHeld = JudgeCard.find(card.heldOut, "handlabelled/benign_violent_words")
    return line(
      "balanced accuracy, PyRIT human-labelled harm sets (cross-validated)",
      human?.balancedAccuracy, goal: 0.9)
      + line(
        "balanced accuracy, hand-labelled held-out sets", heldAll?.balancedAccuracy, goal: 0.9)
      + line(
        "specificity, benign answers with violent words (cross-validated)",
        benignCV?.specificity, goal: 0.9)
      + line(
        "specificity, benign answers with violent words (held out)", benignHeld?.specificity,
        goal: 0.9)
  }

  /// The whole generated section.
  public static func render(_ card: JudgeCard, split: String) -> String {
    var s = "Encoder `\(card.embedder)`, features `\(card.features.rawValue)`, "
    s += "\(card.folds)-fold cross-validation grouped by prompt, "
    s += "95% intervals from \(card.resamples) bootstrap resamples of prompts; "
    s += String(format: "measured in %.0f s.\n\n", card.seconds)
    s += "### Goals\n\n" + goals(card) + "\n"
    s += "### BeaverTails unsafe rows: one use per prompt\n\n" + split + "\n"
    s += "### Training data\n\n| pool | source | rows | positive |\n|---|---|---|---|\n"
    for c in card.counts { s += "| \(c.pool) | \(c.source) | \(c.rows) | \(c.positives) |\n" }
    s += "\n### Cross-validated (out of fold), the judge's rule\n\n"
    s += table(card.crossValidation) + "\n"
    s += "### Frozen held-out hand-labelled sets, the shipped judge\n\n"
    s += table(card.heldOut) + "\n"
    s += "### Refusal stage, PyRIT human-labelled refusal sets (out of fold)\n\n"
    s += table(card.refusal, first: "rule") + "\n"
    s += "### Features of the harm head, and the rule's stages (out of fold)\n\n"
    s += table(card.featureComparison, first: "variant") + "\n"
    return s
  }

  public static let begin = "<!-- BEGIN GENERATED: scalpel judge --card -->"
  public static let end = "<!-- END GENERATED -->"

  /// `document` with the text between the markers replaced by `generated` (markers appended
  /// when absent).
  public static func splice(_ generated: String, into document: String) -> String {
    let block = begin + "\n" + generated + end
    guard let a = document.range(of: begin), let b = document.range(of: end),
      a.upperBound <= b.lowerBound
    else { return document + (document.hasSuffix("\n") ? "" : "\n") + "\n" + block + "\n" }
    return String(document[..<a.lowerBound]) + block + String(document[b.upperBound...])
  }
}
