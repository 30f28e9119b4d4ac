import Foundation
import Safety
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The size a PNG's header (IHDR, the first chunk after the signature) declares.
func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
  let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  guard bytes.count >= 24, Array(bytes[0..<8]) == signature,
    String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR"
  else { return nil }
  func u32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
  return (u32(16), u32(20))
}

/// Whether `text` parses as XML.
func isWellFormedXML(_ text: String) -> Bool {
  XMLParser(data: Data(text.utf8)).parse()
}

let sampleResults = [
  DefenseResults(
    defense: "SFT",
    measurements: [
      DefenseMeasurement(poisonRatio: 0, harmfulScore: 10.5, fineTuneAccuracy: 80),
      DefenseMeasurement(poisonRatio: 0.1, harmfulScore: 40.25, fineTuneAccuracy: 79.5),
      DefenseMeasurement(poisonRatio: 0.2, harmfulScore: 55, fineTuneAccuracy: nil),
    ]),
  DefenseResults(
    defense: "Surgery <λ=300>",
    measurements: [
      DefenseMeasurement(poisonRatio: 0, harmfulScore: 9, fineTuneAccuracy: 80.5),
      DefenseMeasurement(poisonRatio: 0.1, harmfulScore: 20, fineTuneAccuracy: 79),
      DefenseMeasurement(poisonRatio: 0.2, harmfulScore: 31, fineTuneAccuracy: 78),
    ]),
]

let sampleCharts: [Chart] = [
  ResultsTables.harmfulScoreChart(sampleResults, title: "HS vs poison ratio & <defense>"),
  SurgeryCharts.positiveHeadsScatter(
    [
      (
        "SFT",
        [
          .init(positiveHeads: 52, harmfulScore: 20),
          .init(positiveHeads: 110, harmfulScore: 60, label: "p=0.2"),
        ]
      ),
      ("Surgery", [.init(positiveHeads: 30, harmfulScore: 12)]),
    ], title: "Positive heads vs HS"),
  SurgeryCharts.divergenceHeatMap(
    (0..<30).map { l in (0..<9).map { h in sin(Double(l * 9 + h)) * 0.02 } },
    title: "Sink divergence d_h"),
]

@Suite struct ReportTests {
  @Test func pngsAreRasterizedAtTheChartsSize() throws {
    for chart in sampleCharts {
      let png = try ChartRenderer.png(chart)
      let size = try #require(pngSize(png), "\(chart.title): not a PNG")
      #expect(size.width == chart.width && size.height == chart.height, "\(chart.title)")
    }
    // A picture with more in it compresses to more bytes: the renderer drew the heat map.
    let blank = Chart(
      title: "", xLabel: "", yLabel: "", kind: .line([]), width: sampleCharts[2].width,
      height: sampleCharts[2].height)
    #expect(try ChartRenderer.png(sampleCharts[2]).count > 2 * ChartRenderer.png(blank).count)
  }

  @Test func badSVGIsAClearError() {
    #expect(throws: SafetyError.self) { try SVGRasterizer.png(svg: "<svg><unclosed") }
  }

  @Test func svgsAreWellFormed() {
    for chart in sampleCharts {
      let svg = ChartRenderer.svg(chart)
      #expect(isWellFormedXML(svg), "\(chart.title)")
      #expect(svg.contains("&lt;defense&gt;") || !chart.title.contains("<"))
    }
    #expect(!isWellFormedXML("<svg><text>a < b</text></svg>"))
  }

  /// Heat-map cells link to their layer's attention in a viewer page (SVG only).
  @Test func heatMapCellsLinkToTheGraphPage() throws {
    let values = (0..<3).map { l in (0..<4).map { h in Double(l - h) } }
    let chart = SurgeryCharts.divergenceHeatMap(values, title: "d_h", graphPage: "g/step.html")
    let svg = ChartRenderer.svg(chart)
    #expect(isWellFormedXML(svg))
    #expect(svg.components(separatedBy: "<a href=").count - 1 == 12)
    #expect(svg.contains("<a href=\"g/step.html#attention=2&amp;head=3\">"))
    let plain = ChartRenderer.svg(SurgeryCharts.divergenceHeatMap(values, title: "d_h"))
    #expect(!plain.contains("<a "))
    #expect(
      try ChartRenderer.png(chart)
        == (try ChartRenderer.png(
          SurgeryCharts.divergenceHeatMap(values, title: "d_h"))))
  }

  @Test func writesAtomically() throws {
    let directory = try temporaryDirectory() + "/plots"
    let paths = try ChartRenderer.write(sampleCharts[0], to: directory + "/hs")
    #expect(paths.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(names == ["hs.png", "hs.svg"])
    var report = MarkdownReport(title: "Results")
    report.table(ResultsTables.markdown(sampleResults, metric: .both))
    report.image("plots/hs.png", alt: "HS")
    try report.write(to: directory + "/report.md")
    #expect(try String(contentsOfFile: directory + "/report.md", encoding: .utf8) == report.text)
  }

  @Test func markdownTables() {
    let hs = ResultsTables.markdown(sampleResults, metric: .harmfulScore)
    let expected = """
      | Defense         |   p=0 | p=0.1 | p=0.2 |   Avg |
      | --------------- | ----: | ----: | ----: | ----: |
      | SFT             | 10.50 | 40.25 | 55.00 | 35.25 |
      | Surgery <λ=300> |  9.00 | 20.00 | 31.00 | 20.00 |

      """
    #expect(hs == expected)
    let both = ResultsTables.markdown(sampleResults, metric: .both)
    #expect(both.contains("55.00 / – |"))
    #expect(MarkdownTable.render(header: ["a|b"], rows: [["x\ny"]]).contains("a\\|b"))
  }
}
