/// Everything a Surgery experiment report shows, as one JSON-friendly value.
public struct SurgeryReportInput: Sendable, Codable {
  /// A named group of (positive-head count, HS) points.
  public struct HeadCountGroup: Sendable, Codable {
    public var name: String
    public var points: [SurgeryCharts.HeadCountPoint]

    public init(name: String, points: [SurgeryCharts.HeadCountPoint]) {
      self.name = name
      self.points = points
    }
  }

  /// A named layer × head matrix of d_h.
  public struct Divergence: Sendable, Codable {
    public var name: String
    public var values: [[Double]]
    /// A viewer page of the step graph, relative to the report's directory: heat-map cells
    /// link to their layer's attention there.
    public var graphPage: String?

    public init(name: String, values: [[Double]], graphPage: String? = nil) {
      self.name = name
      self.values = values
      self.graphPage = graphPage
    }
  }

  public var title: String
  /// Benchmark of the HS column (e.g. "BeaverTails") and of FA (e.g. "SST-2").
  public var harmfulBenchmark: String
  public var taskBenchmark: String
  public var results: [DefenseResults]
  public var headCounts: [HeadCountGroup]
  public var divergence: [Divergence]

  public init(
    title: String, harmfulBenchmark: String, taskBenchmark: String, results: [DefenseResults],
    headCounts: [HeadCountGroup] = [], divergence: [Divergence] = []
  ) {
    self.title = title
    self.harmfulBenchmark = harmfulBenchmark
    self.taskBenchmark = taskBenchmark
    self.results = results
    self.headCounts = headCounts
    self.divergence = divergence
  }
}

/// Writes `report.md` and `plots/*.{svg,png}` for a `SurgeryReportInput`, every file atomically.
public enum SurgeryReport {
  /// Writes the report into `directory`; returns the paths written.
  @discardableResult
  public static func write(_ input: SurgeryReportInput, to directory: String) throws(SafetyError)
    -> [String]
  {
    var written: [String] = []
    var md = MarkdownReport(title: input.title)
    if !input.results.isEmpty {
      md.heading("Harmful score (\(input.harmfulBenchmark), %) by poison ratio")
      md.table(ResultsTables.markdown(input.results, metric: .harmfulScore))
      md.heading("Fine-tune accuracy (\(input.taskBenchmark), %) by poison ratio")
      md.table(ResultsTables.markdown(input.results, metric: .fineTuneAccuracy))
      md.heading("HS / FA")
      md.table(ResultsTables.markdown(input.results, metric: .both))
      let chart = ResultsTables.harmfulScoreChart(
        input.results, title: "HS (\(input.harmfulBenchmark)) vs poison ratio")
      written += try ChartRenderer.write(chart, to: directory + "/plots/hs_vs_poison_ratio")
      md.image("plots/hs_vs_poison_ratio.png", alt: "HS against poison ratio")
    }
    if !input.headCounts.isEmpty {
      md.heading("Heads with positive sink divergence against HS")
      let chart = SurgeryCharts.positiveHeadsScatter(
        input.headCounts.map { ($0.name, $0.points) }, title: "Positive heads vs HS")
      written += try ChartRenderer.write(chart, to: directory + "/plots/positive_heads_vs_hs")
      md.image("plots/positive_heads_vs_hs.png", alt: "positive-head count against HS")
    }
    for (i, d) in input.divergence.enumerated() {
      md.heading("Sink divergence d_h: \(d.name)")
      let positive = d.values.flatMap { $0 }.filter { $0 > 0 }.count
      let total = d.values.flatMap { $0 }.count
      md.paragraph("\(positive) of \(total) heads have d_h > 0.")
      let base = "plots/divergence_\(i)"
      written += try ChartRenderer.write(
        SurgeryCharts.divergenceHeatMap(
          d.values, title: "d_h (layer x head): \(d.name)",
          graphPage: d.graphPage.map { "../" + $0 }),
        to: directory + "/" + base)
      md.image(base + ".png", alt: "d_h heat map")
    }
    try md.write(to: directory + "/report.md")
    return written + [directory + "/report.md"]
  }
}
