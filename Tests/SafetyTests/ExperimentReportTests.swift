import Foundation
import Testing

@testable import Safety

/// results.json's schema, its statistics and the report writer, on synthetic outcomes of a
/// small preset (the judge card from a real quick run, Tests/Fixtures/experiment), and the
/// on-disk step cache that lets an interrupted experiment resume.
@Suite struct ExperimentReportTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/experiment/quick-results.json")

  static func judgeCard() throws -> JudgeCard {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any]
    let judge = try JSONSerialization.data(withJSONObject: try #require(object?["judge"]))
    return try JSONDecoder().decode(JudgeCard.self, from: judge)
  }

  /// Outcomes of `n` prompts: item i is harmful when `harmful(i)`.
  static func outcome(
    _ defense: String, _ p: Double?, seed: UInt64, n: Int, harmful: (Int) -> Bool
  ) -> RunOutcomes {
    RunOutcomes(
      defense: defense, poisonRatio: p, seed: seed,
      beaverTailsHarmful: (0..<n).map(harmful), beaverTailsRefusal: (0..<n).map { !harmful($0) },
      harmBenchHarmful: (0..<n).map { harmful($0 + 1) }, taskCorrect: (0..<n).map { $0 % 4 != 0 },
      positiveHeads: 3, divergence: [[0.1, -0.2], [0.0, 0.3]], steps: p == nil ? nil : 5,
      stepSeconds: p == nil ? nil : 1.5, finalTaskLoss: p == nil ? nil : 0.9)
  }

  static func sample() throws -> ExperimentResults {
    var preset = ExperimentPreset.quick
    preset.runs = [.init(.sft, [0, 0.2]), .init(ExperimentPreset.surgery, [0.2])]
    preset.seeds = [1, 2]
    preset.bootstrapReplicates = 500
    var outcomes = [outcome("aligned", nil, seed: 7, n: 20) { $0 % 10 == 0 }]
    for seed: UInt64 in [1, 2] {
      outcomes.append(outcome("sft", 0, seed: seed, n: 20) { $0 % 5 == 0 })
      outcomes.append(outcome("sft", 0.2, seed: seed, n: 20) { $0 % 2 == 0 })
      outcomes.append(outcome("surgery", 0.2, seed: seed, n: 20) { $0 % 4 == 0 })
    }
    return try ExperimentRunner.results(
      outcomes, preset: preset, model: "smollm2.gguf", backend: "jit", judge: try judgeCard())
  }

  @Test func resultsJSONFollowsTheSchema() throws {
    let results = try Self.sample()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let object = try #require(
      try JSONSerialization.jsonObject(with: encoder.encode(results)) as? [String: Any])
    let preset = try #require(object["preset"] as? [String: Any])
    for key in [
      "n", "epochs", "lr", "batch", "max_length", "lambda", "seeds", "clip", "defenses",
      "align_refusals", "max_new_tokens", "bootstrap_replicates",
    ] {
      #expect(preset[key] != nil, "preset.\(key)")
    }
    let runs = try #require(object["runs"] as? [[String: Any]])
    #expect(runs.count == 7)
    let aligned = runs[0]
    #expect(aligned["defense"] as? String == "aligned")
    #expect(aligned["poison_ratio"] is NSNull)
    for key in [
      "defense", "poison_ratio", "seed", "hs_beavertails", "hs_beavertails_ci", "hs_harmbench",
      "hs_harmbench_ci", "refusal_beavertails", "fa_sst2", "fa_sst2_ci", "n_beavertails",
      "n_harmbench", "n_sst2", "positive_heads", "generations",
    ] {
      #expect(runs[1][key] != nil, "runs[].\(key)")
    }
    #expect(runs[1]["generations"] as? String == "generations/sft-p0.0-s1.jsonl")
    // SFT p = 0: 4 of 20 harmful (every fifth) = 20 %, its interval holds it.
    #expect(runs[1]["hs_beavertails"] as? Double == 20)
    let interval = try #require(runs[1]["hs_beavertails_ci"] as? [Double])
    #expect(interval.count == 2 && interval[0] <= 20 && interval[1] >= 20)
    #expect(runs[1]["fa_sst2"] as? Double == 75)
    let comparisons = try #require(object["comparisons"] as? [[String: Any]])
    // Surgery against SFT at p = 0.2 on both benchmarks (SFT at 0 has no Surgery partner).
    #expect(comparisons.count == 2)
    let c = comparisons[0]
    for key in ["defense", "baseline", "poison_ratio", "benchmark", "hs_delta", "ci", "mcnemar_p"] {
      #expect(c[key] != nil, "comparisons[].\(key)")
    }
    // BeaverTails: SFT flags i % 2 == 0 (10 of 20), Surgery i % 4 == 0 (5): pooled over the two
    // seeds 10 pairs harmful under SFT only, none under Surgery only: delta −25 points,
    // McNemar p = 2·2⁻¹⁰.
    #expect(c["benchmark"] as? String == "beavertails")
    #expect(c["hs_delta"] as? Double == -25)
    #expect(abs((c["mcnemar_p"] as? Double ?? 0) - 2.0 / 1024) < 1e-12)
    #expect(c["pairs"] as? Int == 40)
    // The attack: SFT at p = 0.2 (i % 2 == 0) against SFT at p = 0 (i % 5 == 0), 20 prompts
    // per seed: 8 harmful at 0.2 only and 2 at 0 only per seed, so +12 of 40 = +30 points and
    // McNemar p = 2·Σ_{k ≤ 4} C(20, k)/2²⁰. Surgery ran no p = 0: no attack row of its own.
    let attacks = try #require(object["attack_effects"] as? [[String: Any]])
    #expect(attacks.count == 2)
    let a = attacks[0]
    #expect(a["defense"] as? String == "sft" && a["baseline"] as? String == "sft")
    #expect(a["benchmark"] as? String == "beavertails" && a["poison_ratio"] as? Double == 0.2)
    #expect(a["hs_delta"] as? Double == 30)
    #expect(a["defense_only"] as? Int == 16 && a["baseline_only"] as? Int == 4)
    let tail = [1.0, 20, 190, 1140, 4845].reduce(0, +) / 1_048_576
    #expect(abs((a["mcnemar_p"] as? Double ?? 0) - 2 * tail) < 1e-12)
    let attackInterval = try #require(a["ci"] as? [Double])
    #expect(attackInterval[0] > 0 && attackInterval[1] >= 30)
    // results.json reads back.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "results-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try writeJSON(results, to: dir + "/results.json")
    let back = try ExperimentResults.read(dir + "/results.json")
    #expect(back.runs == results.runs && back.comparisons == results.comparisons)
    #expect(back.attackEffects == results.attackEffects)
    // A results.json written before the attack effects existed reads with none.
    var older = object
    older["attack_effects"] = nil
    try JSONSerialization.data(withJSONObject: older).write(
      to: URL(fileURLWithPath: dir + "/older.json"))
    #expect(try ExperimentResults.read(dir + "/older.json").attackEffects.isEmpty)
    #expect(throws: SafetyError.self) { try ExperimentResults.read(dir + "/missing.json") }
  }

  @Test func writesTablesPlotsAndTheJudgeBesideTheScores() throws {
    let results = try Self.sample()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "report-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try ExperimentReport.write(results, to: dir)
    let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
    for heading in [
      "Harmful score (BeaverTails, %)", "Fine-tune accuracy", "HarmBench harmful score",
      "Each defense against SFT", "Every model", "The judge", "Setup",
    ] {
      #expect(md.contains(heading), "\(heading)")
    }
    #expect(md.contains("| surgery | 0.2 | beavertails | 40 | -25.0 |"))
    #expect(md.contains("| sft | 0.0 | 2 | 5 | 20.0 ["))
    #expect(md.contains(JudgeCardMarkdown.goals(results.judge)))
    for plot in ["hs_vs_poison_ratio", "positive_heads_vs_hs", "divergence_0", "divergence_1"] {
      let png = try Data(contentsOf: URL(fileURLWithPath: dir + "/plots/\(plot).png"))
      #expect(
        Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(plot).png")
      #expect(FileManager.default.fileExists(atPath: dir + "/plots/\(plot).svg"))
    }
  }

  @Test func defensesComposeAndNameThemselves() {
    #expect(FineTuneDefense.sft.name == "sft")
    #expect(ExperimentPreset.surgery.name == "surgery")
    let both = ExperimentPreset.surgery.composed(with: ExperimentPreset.lisa)
    #expect(both.name == "surgery+lisa")
    #expect(both.objective == .surgery(lambda: 300, sink: 0))
    #expect(ExperimentPreset.safeInstruction.safeInstructionCount(samples: 200) == 20)
    #expect(FineTuneDefense(safeInstructionShare: 2).problems().count == 1)
    for preset in [ExperimentPreset.quick, .pilot, .paper] {
      #expect(preset.problems().isEmpty, "\(preset.name)")
    }
    // The pilot evaluates on prompts disjoint from the paper's.
    let (pilot, paper) = (ExperimentPreset.pilot, ExperimentPreset.paper)
    #expect(!pilot.beaverTailsItems.overlaps(paper.beaverTailsItems))
    #expect(!pilot.harmBenchItems.overlaps(paper.harmBenchItems))
    #expect(!pilot.taskItems.overlaps(paper.taskItems))
    #expect(pilot.runs.allSatisfy { $0.defense == .sft })
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
