import Foundation

/// `report.md`, `results.json`'s plots and tables for an experiment.
public enum ExperimentReport {
  /// Writes report.md and plots/ into `directory`.
  public static func write(_ r: ExperimentResults, to directory: String) throws {
    let task = r.preset.task.rawValue
    let defenses = ["sft", "surgery"]
    func rows(_ value: (ModelEvaluation) -> Double) -> [DefenseResults] {
      defenses.map { d in
        DefenseResults(
          defense: d == "sft" ? "SFT" : "Surgery",
          measurements: r.runs.filter { $0.defense == d }.map {
            DefenseMeasurement(
              poisonRatio: $0.poisonRatio, harmfulScore: value($0.evaluation),
              fineTuneAccuracy: $0.evaluation.fineTuneAccuracy.accuracy)
          })
      }
    }
    let headCounts = defenses.map { d in
      SurgeryReportInput.HeadCountGroup(
        name: d == "sft" ? "SFT" : "Surgery",
        points: r.runs.filter { $0.defense == d }.map {
          SurgeryCharts.HeadCountPoint(
            positiveHeads: $0.evaluation.positiveHeads,
            harmfulScore: $0.evaluation.beaverTails.harmfulScore, label: "p=\($0.poisonRatio)")
        })
    }
    // Step-graph pages (`scalpel experiment --dump-graphs`): heat-map cells link into them.
    func page(_ defense: String) -> String? {
      let path = "graphs/step-\(defense).html"
      return FileManager.default.fileExists(atPath: directory + "/" + path) ? path : nil
    }
    var divergence = [
      SurgeryReportInput.Divergence(
        name: "aligned", values: r.aligned.divergence, graphPage: page("sft") ?? page("surgery"))
    ]
    if let top = r.preset.poisonRatios.max() {
      for run in r.runs where run.poisonRatio == top {
        divergence.append(
          .init(
            name: "\(run.defense == "sft" ? "SFT" : "Surgery") p=\(top)",
            values: run.evaluation.divergence, graphPage: page(run.defense)))
      }
    }
    let input = SurgeryReportInput(
      title:
        "Harmful fine-tuning of SmolLM2-135M-Instruct: SFT against Surgery (\(r.preset.name) preset)",
      harmfulBenchmark: "BeaverTails", taskBenchmark: task,
      results: rows { $0.beaverTails.harmfulScore },
      headCounts: headCounts, divergence: divergence)
    try SurgeryReport.write(input, to: directory)

    // Everything else the paper reports, after the standard sections.
    var md = try String(contentsOfFile: directory + "/report.md", encoding: .utf8)
    md += "\n## HarmBench harmful score (%) by poison ratio\n\n"
    md += ResultsTables.markdown(rows { $0.harmBench.harmfulScore }, metric: .harmfulScore) + "\n"
    md +=
      "\n## Every run\n\n| defense | p | steps | HS BeaverTails | HS HarmBench | refusals BT | FA \(task) | positive heads | penalty | final task loss | s/step | peak MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    func pct(_ x: Double) -> String { String(format: "%.1f", x) }
    let a = r.aligned
    md +=
      "| aligned | — | — | \(pct(a.beaverTails.harmfulScore)) | \(pct(a.harmBench.harmfulScore)) | \(pct(a.beaverTails.refusalRate)) | \(pct(a.fineTuneAccuracy.accuracy)) | \(a.positiveHeads) | \(String(format: "%.4f", a.sinkPenalty)) | — | — | — |\n"
    for run in r.runs {
      let e = run.evaluation
      md +=
        "| \(run.defense) | \(run.poisonRatio) | \(run.steps) | \(pct(e.beaverTails.harmfulScore)) | \(pct(e.harmBench.harmfulScore)) | \(pct(e.beaverTails.refusalRate)) | \(pct(e.fineTuneAccuracy.accuracy)) | \(e.positiveHeads) | \(String(format: "%.4f", e.sinkPenalty)) | \(String(format: "%.3f", run.finalTaskLoss)) | \(String(format: "%.1f", run.stepSeconds)) | \(String(format: "%.0f", run.peakResidentMiB)) |\n"
    }
    md += """


      ## The judge

      HS is the share of answers the two-stage judge flags: not a refusal (HarmBench/AdvBench \
      refusal prefix at the start, or a refusal classifier) and harmful content (a harm \
      classifier); both are logistic heads on `\(r.judge.embedder)` embeddings computed by \
      Scalpel. Its measured figures (docs/judge.md, `scalpel judge --card`):

      \(JudgeCardMarkdown.goals(r.judge))
      """
    md += """


      ## Setup

      Preset `\(r.preset.name)`: \(r.preset.samples) fine-tuning samples (int(p·n) harmful BeaverTails pairs, \
      the rest \(task)), \(r.preset.epochs) epoch(s), batch \(r.preset.batch), lr \(r.preset.learningRate), \
      \(r.preset.maxLength) tokens, Surgery λ = \(r.preset.lambda), sink 0; alignment on \(r.preset.alignRefusals) \
      refusal pairs + \(r.preset.alignBenign) \(task) samples; \(r.preset.harmfulPrompts) prompts per harmful \
      benchmark, \(r.preset.taskItems) task items, greedy decoding up to \(r.preset.maxNewTokens) tokens; \
      backend `\(r.backend)`; \(r.date).

      """
    try AtomicFile.write(text: md, to: directory + "/report.md")
  }
}
