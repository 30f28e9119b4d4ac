import ArgumentParser
import Foundation
import Safety

/// `scalpel report`: renders report.md, SVG and PNG plots from a results JSON file.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write report.md and plots (SVG + PNG) from a results JSON (SurgeryReportInput).")

  @Option(
    help:
      "The results JSON: title, harmfulBenchmark, taskBenchmark, results, headCounts, divergence.")
  var results: String
  @Option(help: "Output directory.") var out: String

  func run() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: results))
    let input = try JSONDecoder().decode(SurgeryReportInput.self, from: data)
    for path in try SurgeryReport.write(input, to: out) { print("wrote \(path)") }
  }
}
