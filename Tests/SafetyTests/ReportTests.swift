import Foundation
import Safety
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A decoded PNG: checks the signature, every chunk's CRC, the zlib header and Adler-32,
/// and undoes filter type 0 (the only one the encoder writes). Stored deflate blocks only.
struct DecodedPNG {
  var width = 0
  var height = 0
  var rgb: [UInt8] = []
  var chunkTypes: [String] = []

  struct Invalid: Error, CustomStringConvertible { var description: String }

  init(_ bytes: [UInt8]) throws {
    func u32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
    guard bytes.count > 8, Array(bytes[0..<8]) == PNGEncoder.signature else {
      throw Invalid(description: "bad signature")
    }
    var i = 8
    var idat: [UInt8] = []
    while i + 12 <= bytes.count {
      let length = u32(i)
      let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
      guard i + 12 + length <= bytes.count else { throw Invalid(description: "truncated \(type)") }
      let body = Array(bytes[(i + 8)..<(i + 8 + length)])
      guard PNGEncoder.crc32(Array(bytes[(i + 4)..<(i + 8)]) + body) == UInt32(u32(i + 8 + length))
      else {
        throw Invalid(description: "CRC mismatch in \(type)")
      }
      chunkTypes.append(type)
      if type == "IHDR" {
        width = body[0..<4].reduce(0) { $0 << 8 | Int($1) }
        height = body[4..<8].reduce(0) { $0 << 8 | Int($1) }
        guard Array(body[8..<13]) == [8, 2, 0, 0, 0] else {
          throw Invalid(description: "not 8-bit RGB")
        }
      }
      if type == "IDAT" { idat += body }
      i += 12 + length
    }
    guard chunkTypes.first == "IHDR", chunkTypes.last == "IEND", i == bytes.count else {
      throw Invalid(description: "chunk order \(chunkTypes)")
    }
    guard idat.count >= 6, (Int(idat[0]) << 8 | Int(idat[1])) % 31 == 0, idat[0] & 0x0F == 8 else {
      throw Invalid(description: "bad zlib header")
    }
    var raw: [UInt8] = []
    var p = 2
    var final = false
    while !final {
      guard p + 5 <= idat.count else { throw Invalid(description: "truncated deflate block") }
      final = idat[p] & 1 == 1
      guard (idat[p] >> 1) & 3 == 0 else { throw Invalid(description: "not a stored block") }
      let len = Int(idat[p + 1]) | Int(idat[p + 2]) << 8
      let nlen = Int(idat[p + 3]) | Int(idat[p + 4]) << 8
      guard len ^ 0xFFFF == nlen, p + 5 + len <= idat.count else {
        throw Invalid(description: "bad stored length")
      }
      raw += idat[(p + 5)..<(p + 5 + len)]
      p += 5 + len
    }
    guard p + 4 == idat.count else { throw Invalid(description: "trailing zlib bytes") }
    let adler = idat[p..<(p + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    guard adler == PNGEncoder.adler32(raw) else { throw Invalid(description: "Adler-32 mismatch") }
    let stride = width * 3 + 1
    guard raw.count == stride * height else { throw Invalid(description: "wrong data size") }
    for y in 0..<height {
      guard raw[y * stride] == 0 else { throw Invalid(description: "filter \(raw[y * stride])") }
      rgb += raw[(y * stride + 1)..<((y + 1) * stride)]
    }
  }

  func pixel(_ x: Int, _ y: Int) -> RGB {
    let i = 3 * (y * width + x)
    return RGB(rgb[i], rgb[i + 1], rgb[i + 2])
  }
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
  @Test func checksumsMatchKnownValues() {
    #expect(PNGEncoder.crc32(Array("IEND".utf8)) == 0xAE42_6082)
    #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    // More than one stored block.
    let big = [UInt8](repeating: 7, count: 70_000)
    let z = PNGEncoder.zlibStored(big)
    #expect(z.count == 2 + 2 * 5 + 70_000 + 4)
    #expect(z[2] == 0 && z[2 + 5 + 65535] == 1)
  }

  @Test func pngsDecode() throws {
    for chart in sampleCharts {
      let png = try DecodedPNG(ChartRenderer.png(chart))
      #expect(png.width == chart.width && png.height == chart.height)
      #expect(png.chunkTypes == ["IHDR", "IDAT", "IEND"])
      #expect(png.pixel(0, 0) == .white)
      // The title row holds black text pixels.
      let title = (0..<png.width).contains { x in (10...26).contains { png.pixel(x, $0) == .black }
      }
      #expect(title)
    }
    let heat = try DecodedPNG(ChartRenderer.png(sampleCharts[2]))
    let colours = Set((0..<heat.width).map { heat.pixel($0, heat.height / 2) })
    #expect(colours.count > 5)
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

  @Test func linesHaveNoGaps() {
    var canvas = Canvas(width: 700, height: 100)
    canvas.line(76, 40, 630, 40, .black)
    #expect((76...630).allSatisfy { canvas.pixel($0, 40) == .black })
    canvas.line(10.7, 90.2, 300.4, 50.9, .black)
    var previous: (Int, Int)?
    for x in 10...300 {
      let ys = (0..<100).filter { canvas.pixel(x, $0) == .black && $0 != 40 }
      #expect(!ys.isEmpty, "column \(x)")
      if let (px, py) = previous, let y = ys.first { #expect(x - px == 1 && abs(y - py) <= 1) }
      previous = ys.first.map { (x, $0) }
    }
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
