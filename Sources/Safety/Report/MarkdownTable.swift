import Foundation

/// Column alignment in a Markdown table.
public enum ColumnAlignment: Sendable, Hashable {
  case left, center, right
}

/// GitHub-flavoured Markdown tables for report.md.
public enum MarkdownTable {
  /// A table with `header` and `rows`; cells are escaped (`|` and newlines) and padded so the
  /// source lines up. Missing cells are empty; `alignments` defaults to left for the first
  /// column and right for the others.
  public static func render(
    header: [String], rows: [[String]], alignments: [ColumnAlignment]? = nil
  ) -> String {
    let columns = max(header.count, rows.map(\.count).max() ?? 0)
    guard columns > 0 else { return "" }
    func cells(_ r: [String]) -> [String] {
      (0..<columns).map { i in
        i < r.count
          ? r[i].replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(
            of: "\n", with: " ")
          : ""
      }
    }
    let head = cells(header)
    let body = rows.map(cells)
    let align = (0..<columns).map { i in
      alignments.map { i < $0.count ? $0[i] : .left } ?? (i == 0 ? .left : .right)
    }
    let widths = (0..<columns).map { i in max(3, ([head] + body).map { $0[i].count }.max() ?? 3) }
    func line(_ r: [String]) -> String {
      "| "
        + (0..<columns).map { i in
          let pad = String(repeating: " ", count: widths[i] - r[i].count)
          return align[i] == .right ? pad + r[i] : r[i] + pad
        }.joined(separator: " | ") + " |"
    }
    let rule =
      "|"
      + (0..<columns).map { i -> String in
        let dashes = String(repeating: "-", count: widths[i])
        switch align[i] {
        case .left: return " " + dashes + " "
        case .right: return " " + dashes.dropLast() + ": "
        case .center: return " :" + dashes.dropFirst().dropLast() + ": "
        }
      }.joined(separator: "|") + "|"
    return ([line(head), rule] + body.map(line)).joined(separator: "\n") + "\n"
  }

  /// A number with `digits` decimals, or "–" for nil / non-finite.
  public static func number(_ v: Double?, digits: Int = 2) -> String {
    guard let v, v.isFinite else { return "–" }
    return String(format: "%.\(digits)f", v)
  }
}

/// HS and FA of one defense at one poison ratio.
public struct DefenseMeasurement: Sendable, Hashable, Codable {
  /// Poison ratio p (0.1 = 10 % harmful samples).
  public var poisonRatio: Double
  /// Harmful score in percent.
  public var harmfulScore: Double?
  /// Fine-tune accuracy in percent.
  public var fineTuneAccuracy: Double?

  public init(poisonRatio: Double, harmfulScore: Double?, fineTuneAccuracy: Double?) {
    self.poisonRatio = poisonRatio
    self.harmfulScore = harmfulScore
    self.fineTuneAccuracy = fineTuneAccuracy
  }
}

/// One row of the paper-style tables: a defense and its measurements.
public struct DefenseResults: Sendable, Hashable, Codable {
  public var defense: String
  public var measurements: [DefenseMeasurement]

  public init(defense: String, measurements: [DefenseMeasurement]) {
    self.defense = defense
    self.measurements = measurements
  }

  func measurement(at p: Double) -> DefenseMeasurement? {
    measurements.first { abs($0.poisonRatio - p) < 1e-9 }
  }
}

/// The paper's tables: rows = defenses, columns = poison ratios, then the average.
public enum ResultsTables {
  /// Which number a table shows.
  public enum Metric: Sendable {
    case harmfulScore, fineTuneAccuracy, both
  }

  /// The ratios present in any row, ascending.
  public static func ratios(_ results: [DefenseResults]) -> [Double] {
    Array(Set(results.flatMap { $0.measurements.map(\.poisonRatio) })).sorted()
  }

  /// A Markdown table; `.both` writes `HS / FA` in each cell. The average column averages the
  /// cells that have a value.
  public static func markdown(_ results: [DefenseResults], metric: Metric) -> String {
    let ps = ratios(results)
    let header = ["Defense"] + ps.map { "p=\(ChartLayout.format($0))" } + ["Avg"]
    let rows = results.map { r -> [String] in
      var hs: [Double] = []
      var fa: [Double] = []
      var cells = [r.defense]
      for p in ps {
        let m = r.measurement(at: p)
        if let v = m?.harmfulScore, v.isFinite { hs.append(v) }
        if let v = m?.fineTuneAccuracy, v.isFinite { fa.append(v) }
        switch metric {
        case .harmfulScore: cells.append(MarkdownTable.number(m?.harmfulScore))
        case .fineTuneAccuracy: cells.append(MarkdownTable.number(m?.fineTuneAccuracy))
        case .both:
          cells.append(
            "\(MarkdownTable.number(m?.harmfulScore)) / \(MarkdownTable.number(m?.fineTuneAccuracy))"
          )
        }
      }
      let avgHS = hs.isEmpty ? nil : hs.reduce(0, +) / Double(hs.count)
      let avgFA = fa.isEmpty ? nil : fa.reduce(0, +) / Double(fa.count)
      switch metric {
      case .harmfulScore: cells.append(MarkdownTable.number(avgHS))
      case .fineTuneAccuracy: cells.append(MarkdownTable.number(avgFA))
      case .both: cells.append("\(MarkdownTable.number(avgHS)) / \(MarkdownTable.number(avgFA))")
      }
      return cells
    }
    return MarkdownTable.render(header: header, rows: rows)
  }

  /// The HS-against-poison-ratio line chart, one series per defense.
  public static func harmfulScoreChart(_ results: [DefenseResults], title: String) -> Chart {
    let series = results.map { r in
      ChartSeries(
        name: r.defense,
        points: r.measurements.sorted { $0.poisonRatio < $1.poisonRatio }.compactMap { m in
          m.harmfulScore.map { ChartPoint(m.poisonRatio, $0) }
        })
    }
    return Chart(title: title, xLabel: "poison ratio p", yLabel: "HS (%)", kind: .line(series))
  }
}
