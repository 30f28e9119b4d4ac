import ArgumentParser
import Foundation
import Safety

/// `scalpel report`: renders report.md, SVG and PNG plots from results.json.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write report.md and plots (SVG + PNG) from an experiment's results.json.",
    discussion: """
      Reads the results.json `scalpel experiment` writes (preset, runs, comparisons); a \
      SurgeryReportInput JSON (title, harmfulBenchmark, taskBenchmark, results, headCounts, \
      divergence) is accepted too.
      """)

  @Option(help: "The results JSON (an experiment's results.json).") var results: String
  @Option(help: "Output directory.") var out: String

  func run() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: results))
    let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    if object?["runs"] != nil && object?["comparisons"] != nil {
      let parsed = try ExperimentResults.read(results)
      try ExperimentReport.write(parsed, to: out)
      print("wrote \(out)/report.md and \(out)/plots/")
      return
    }
    let input = try JSONDecoder().decode(SurgeryReportInput.self, from: data)
    for path in try SurgeryReport.write(input, to: out) { print("wrote \(path)") }
  }
}
