import Foundation
import Testing

@testable import Safety

/// The report writer on the results.json of a real quick run (Tests/Fixtures/experiment),
/// and the on-disk step cache that lets an interrupted experiment resume.
@Suite struct ExperimentReportTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/experiment/quick-results.json")

  @Test func writesTablesPlotsAndTheJudgeBesideTheScores() throws {
    let results = try JSONDecoder().decode(
      ExperimentResults.self, from: Data(contentsOf: Self.fixture))
    #expect(results.runs.count == 4)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "report-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try ExperimentReport.write(results, to: dir)
    let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
    for heading in [
      "Harmful score (BeaverTails, %)", "Fine-tune accuracy", "HarmBench harmful score",
      "Every run", "The judge",
    ] {
      #expect(md.contains(heading), "\(heading)")
    }
    // Every run's row carries its own numbers.
    for run in results.runs {
      let hs = String(format: "%.1f", run.evaluation.beaverTails.harmfulScore)
      #expect(
        md.contains("| \(run.defense) | \(run.poisonRatio) | \(run.steps) | \(hs) |"),
        "\(run.defense) \(run.poisonRatio)")
    }
    #expect(md.contains(JudgeCardMarkdown.goals(results.judge)))
    for plot in [
      "hs_vs_poison_ratio", "positive_heads_vs_hs", "divergence_0", "divergence_1", "divergence_2",
    ] {
      let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/plots/\(plot).png"))
      #expect(
        Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(plot).png")
      #expect(FileManager.default.fileExists(atPath: dir + "/plots/\(plot).svg"))
    }
  }

  @Test func finishedStepsAreReadBackNotRecomputed() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "cache-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var calls = 0
    func compute() -> [Double] {
      calls += 1
      return [1.5, 2.5]
    }
    let path = dir + "/step/result.json"
    #expect(try cachedStep(path, compute) == [1.5, 2.5])
    #expect(try cachedStep(path, compute) == [1.5, 2.5])
    #expect(calls == 1)
  }
}
