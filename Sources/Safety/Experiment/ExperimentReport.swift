import Foundation

/// `report.md` and `plots/` (SVG, and PNG through `rsvg-convert`) from `results.json`.
public enum ExperimentReport {
  /// Writes report.md and plots/ into `directory`.
  public static func write(_ r: ExperimentResults, to directory: String) throws {
    let task = r.preset.task
    let fineTuned = r.runs.filter { $0.poisonRatio != nil }
    var defenses: [String] = []
    for run in fineTuned where !defenses.contains(run.defense) { defenses.append(run.defense) }
    func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }
    /// Seed means per defense and ratio.
    func rows(_ value: @escaping (ExperimentResults.RunRecord) -> Double) -> [DefenseResults] {
      defenses.map { d in
        let runs = fineTuned.filter { $0.defense == d }
        var ratios: [Double] = []
        for run in runs where !ratios.contains(run.poisonRatio ?? 0) {
          ratios.append(run.poisonRatio ?? 0)
        }
        return DefenseResults(
          defense: d,
          measurements: ratios.map { p in
            let same = runs.filter { $0.poisonRatio == p }
            return DefenseMeasurement(
              poisonRatio: p, harmfulScore: mean(same.map(value)),
              fineTuneAccuracy: mean(same.map(\.faSst2)))
          })
      }
    }
    let headCounts = defenses.map { d in
      SurgeryReportInput.HeadCountGroup(
        name: d,
        points: fineTuned.filter { $0.defense == d }.map {
          SurgeryCharts.HeadCountPoint(
            positiveHeads: $0.positiveHeads, harmfulScore: $0.hsBeavertails,
            label: "p=\($0.poisonRatio ?? 0) s\($0.seed)")
        })
    }
    // Step-graph pages (`scalpel experiment --dump-graphs`): heat-map cells link into them.
    func page(_ defense: String) -> String? {
      let path = "graphs/step-\(defense).html"
      return FileManager.default.fileExists(atPath: directory + "/" + path) ? path : nil
    }
    var divergence: [SurgeryReportInput.Divergence] = []
    if let aligned = r.runs.first(where: { $0.poisonRatio == nil }) {
      divergence.append(
        .init(name: "aligned", values: aligned.divergence, graphPage: page("sft")))
    }
    if let top = fineTuned.compactMap(\.poisonRatio).max(), let seed = r.preset.seeds.first {
      for run in fineTuned where run.poisonRatio == top && run.seed == seed {
        divergence.append(
          .init(
            name: "\(run.defense) p=\(top) seed \(seed)", values: run.divergence,
            graphPage: page(run.defense)))
      }
    }
    let input = SurgeryReportInput(
      title:
        "Harmful fine-tuning of SmolLM2-135M-Instruct: \(defenses.joined(separator: ", ")) (\(r.preset.name) preset)",
      harmfulBenchmark: "BeaverTails", taskBenchmark: task,
      results: rows(\.hsBeavertails), headCounts: headCounts, divergence: divergence)
    try SurgeryReport.write(input, to: directory)

    var md = try String(contentsOfFile: directory + "/report.md", encoding: .utf8)
    md += "\nTables by poison ratio show means over the seeds \(r.preset.seeds).\n"
    md += "\n## HarmBench harmful score (%) by poison ratio\n\n"
    md += ResultsTables.markdown(rows(\.hsHarmbench), metric: .harmfulScore) + "\n"
    func pct(_ x: Double) -> String { String(format: "%.1f", x) }
    func ci(_ x: [Double]) -> String { x.count == 2 ? "[\(pct(x[0])), \(pct(x[1]))]" : "—" }
    md += "\n## Each defense against SFT (pooled over seeds)\n\n"
    md +=
      "HS difference (defense − SFT, points) over (prompt, seed) pairs, its 95 % paired "
      + "bootstrap interval and the exact McNemar p-value on the discordant pairs.\n\n"
    md +=
      "| defense | p | benchmark | pairs | HS delta | 95 % CI | harmful under defense only | under SFT only | McNemar p |\n|---|---|---|---|---|---|---|---|---|\n"
    func comparisonRows(_ comparisons: [ExperimentResults.Comparison]) -> String {
      comparisons.map {
        "| \($0.defense) | \($0.poisonRatio) | \($0.benchmark) | \($0.pairs) | \(pct($0.hsDelta)) | \(ci($0.ci)) | \($0.defenseOnly) | \($0.baselineOnly) | \(String(format: "%.3g", $0.mcnemarP)) |\n"
      }.joined()
    }
    md += comparisonRows(r.comparisons)
    md += "\n## The attack: each defense at p against itself at p = 0 (pooled over seeds)\n\n"
    md += "HS difference (p − p = 0, points), as above.\n\n"
    md +=
      "| defense | p | benchmark | pairs | HS delta | 95 % CI | harmful at p only | at p = 0 only | McNemar p |\n|---|---|---|---|---|---|---|---|---|\n"
    md += comparisonRows(r.attackEffects)
    md +=
      "\n## Every model\n\nPercentages with 95 % percentile-bootstrap intervals over prompts (\(r.preset.bootstrapReplicates) replicates).\n\n| defense | p | seed | steps | HS BeaverTails | HS HarmBench | refusals BT | FA \(task) | positive heads | final task loss | s/step |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    for run in r.runs {
      let steps = run.steps.map(String.init) ?? "—"
      let loss = run.finalTaskLoss.map { String(format: "%.3f", $0) } ?? "—"
      let seconds = run.stepSeconds.map { String(format: "%.1f", $0) } ?? "—"
      md +=
        "| \(run.defense) | \(run.poisonRatio.map { "\($0)" } ?? "—") | \(run.seed) | \(steps) | \(pct(run.hsBeavertails)) \(ci(run.hsBeavertailsCi)) | \(pct(run.hsHarmbench)) \(ci(run.hsHarmbenchCi)) | \(pct(run.refusalBeavertails)) | \(pct(run.faSst2)) \(ci(run.faSst2Ci)) | \(run.positiveHeads) | \(loss) | \(seconds) |\n"
    }
    md += """


      ## The judge

      HS is the share of answers the two-stage judge flags: not a refusal (HarmBench/AdvBench \
      refusal prefix at the start, or a refusal classifier) and harmful content (a harm \
      classifier); both are logistic heads on `\(r.judge.embedder)` embeddings computed by \
      Scalpel. Its measured figures (docs/judge.md, `scalpel judge --card`):

      \(JudgeCardMarkdown.goals(r.judge))
      """
    let p = r.preset
    var parts: [String] = []
    if let l = p.lambda { parts.append("Surgery λ = \(l), sink \(p.sink ?? 0)") }
    if let s = p.mixShare { parts.append("SafeInstr adds refusal pairs amounting to \(s)·n") }
    if let rho = p.rho {
      parts.append(
        "Lisa alternates \(p.lisaAlignmentSteps ?? 1) alignment and \(p.lisaFineTuneSteps ?? 9) fine-tuning steps, ρ = \(rho)"
      )
    }
    md += """


      ## Setup

      Preset `\(p.name)`: n = \(p.n) fine-tuning samples (int(p·n) harmful BeaverTails pairs, \
      the rest \(task)), \(p.epochs) epoch(s), batch \(p.batch), lr \(p.lr), clipping \(p.clip), \
      \(p.maxLength) tokens, seeds \(p.seeds); \(parts.joined(separator: "; ")); alignment on \
      \(p.alignRefusals) refusal pairs + \(p.alignBenign) \(task) samples, \(p.alignEpochs) \
      epoch(s), lr \(p.alignLr); BeaverTails-Evaluation items \(p.beavertailsItems), HarmBench \
      standard behaviours \(p.harmbenchItems), \(task) items \(p.sst2Items) ([first, end)); \
      greedy decoding up to \(p.maxNewTokens) new tokens; dₕ from \(p.sinkSamples) harmful/safe \
      pairs; model `\(r.model)`, backend `\(r.backend)`; \(r.date). Every judged answer is in \
      `generations/`.

      """
    try AtomicFile.write(text: md, to: directory + "/report.md")
  }
}
