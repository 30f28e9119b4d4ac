/// Chart builders for the Surgery report (issue F and D).
public enum SurgeryCharts {
  /// One scatter point: a model checkpoint's count of heads with d_h > 0 and its HS.
  public struct HeadCountPoint: Sendable, Hashable, Codable {
    public var positiveHeads: Int
    public var harmfulScore: Double
    public var label: String?

    public init(positiveHeads: Int, harmfulScore: Double, label: String? = nil) {
      self.positiveHeads = positiveHeads
      self.harmfulScore = harmfulScore
      self.label = label
    }
  }

  /// Positive-head count against HS, one series per group (defense or run).
  public static func positiveHeadsScatter(
    _ groups: [(name: String, points: [HeadCountPoint])], title: String
  ) -> Chart {
    let series = groups.map { g in
      ChartSeries(
        name: g.name,
        points: g.points.map {
          ChartPoint(Double($0.positiveHeads), $0.harmfulScore, label: $0.label)
        })
    }
    return Chart(
      title: title, xLabel: "heads with d_h > 0", yLabel: "HS (%)", kind: .scatter(series))
  }

  /// The layer × head heat map of sink divergence d_h (`divergence[layer][head]`). With a
  /// `graphPage` (a viewer page of the model's graph), each cell links to its layer's attention.
  public static func divergenceHeatMap(
    _ divergence: [[Double]], title: String, graphPage: String? = nil
  ) -> Chart {
    let heads = divergence.map(\.count).max() ?? 0
    let layers = divergence.count
    // Cells of at least 12×6 px where possible; the colour bar and labels need ~190 px.
    let width = max(480, min(1400, heads * 24 + 200))
    let height = max(320, min(1000, layers * 18 + 110))
    return Chart(
      title: title, xLabel: "head", yLabel: "layer",
      kind: .heatMap(
        HeatMapData(
          values: divergence,
          cellLink: graphPage.map { $0 + "#attention={row}&head={column}" })),
      width: width, height: height)
  }
}

/// A Markdown report assembled section by section and written atomically.
public struct MarkdownReport: Sendable {
  public private(set) var text = ""

  public init(title: String) { text = "# \(title)\n\n" }

  /// A `##` heading.
  public mutating func heading(_ s: String) { text += "## \(s)\n\n" }
  /// A paragraph.
  public mutating func paragraph(_ s: String) { text += s + "\n\n" }
  /// A table (from `MarkdownTable` or `ResultsTables`).
  public mutating func table(_ markdown: String) { text += markdown + "\n" }
  /// An image link to a file relative to the report.
  public mutating func image(_ path: String, alt: String) { text += "![\(alt)](\(path))\n\n" }

  /// Writes the report to `path` atomically.
  public func write(to path: String) throws(SafetyError) {
    try AtomicFile.write(text: text, to: path)
  }
}
