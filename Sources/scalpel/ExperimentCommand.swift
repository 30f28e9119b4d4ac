import ArgumentParser
import Data
import Foundation
import Models
import Runtime
import Safety
import Training

/// `scalpel experiment`: the paper's harmful fine-tuning experiment, end to end.
struct ExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiment",
    abstract:
      "Run the harmful fine-tuning experiment: align, fine-tune (SFT vs Surgery) on poisoned data, evaluate, report.",
    discussion: """
      Aligns the model on refusal pairs (cached), fine-tunes it at every poison ratio of the \
      preset with plain fine-tuning and with Surgery, measures the harmful score on \
      BeaverTails-Evaluation and HarmBench prompts (the two-stage judge of docs/judge.md, trained on \
      first use), the task accuracy and the heads with positive sink divergence, and writes \
      results.json, report.md and plots (SVG, PNG). Finished steps stay on disk: running the \
      same command again resumes. Presets: quick (minutes), standard (hours).
      """)

  @Option(help: "quick or standard.") var preset: String = "quick"
  @Option(help: "Output directory (default: out/experiment-PRESET).") var out: String?
  @Option(help: "The starting model (smollm2, a .gguf file or a model directory).") var model:
    String = "smollm2"
  @OptionGroup var data: DataOptions
  @Option(help: "Where graphs run: jit or interpreter.") var backend: String = "jit"
  @Flag(
    help:
      "Write the step graphs' viewer pages to OUT/graphs (step-sft.html, step-surgery.html); the report's heat maps link to them."
  )
  var dumpGraphs = false
  @OptionGroup var memory: MemoryOptions

  func run() throws {
    guard let chosen = ExperimentPreset.named(preset) else {
      throw ValidationError("--preset must be quick or standard, got '\(preset)'")
    }
    let output = out ?? "out/experiment-\(chosen.name)"
    let store = ModelOptions.store()
    let backendValue = try ModelOptions.backend(named: backend)
    let dataDirectory = try data.directory()
    note("loading \(model)…")
    let loaded = try failing { () throws(ModelError) in
      try store.loadLanguageModel(ModelReference(model))
    }
    let miniLM = try failing { () throws(ModelError) in try store.locate(ModelReference("minilm")) }
    let embedder = try SentenceEmbedder(miniLMDirectory: miniLM.path, backend: backendValue)
    var bars: [String: ProgressBar] = [:]
    func show(_ label: String, _ done: Int, _ total: Int, _ fields: String) {
      if bars[label] == nil { bars[label] = ProgressBar(total: total, label: label) }
      bars[label]?.update(done, fields: fields)
    }
    note("preparing the judge (trained and cached on first use)…")
    let (judge, trained) = try HarmfulnessJudge.prepared(
      embedder: embedder, data: dataDirectory, cacheDirectory: store.cacheDirectory + "/judge"
    ) { stage, done, total in show("judge: \(stage.rawValue)", done, total, "") }
    if trained { note("judge trained and measured in \(Int(judge.model.card.seconds)) s") }
    let runner = ExperimentRunner(
      preset: chosen, outputDirectory: output,
      cacheDirectory: store.cacheDirectory + "/experiments",
      model: loaded, judge: judge, data: dataDirectory, backend: backendValue)
    runner.log = { note("== " + $0) }
    if dumpGraphs {
      for defense in ["sft", "surgery"] {
        try writeStepGraphPage(
          model: loaded.architecture, config: runner.fineTuneConfig(defense: defense),
          to: output + "/graphs", name: "step-\(defense)")
      }
    }
    runner.progress = show
    let started = Date()
    let results = try runner.run()
    note("finished in \(formatDuration(Date().timeIntervalSince(started)))")
    for run in results.runs {
      print(
        String(
          format:
            "%@ p=%.2f: HS %.1f%% (BeaverTails) %.1f%% (HarmBench), FA %.1f%%, %d positive heads",
          run.defense, run.poisonRatio, run.evaluation.beaverTails.harmfulScore,
          run.evaluation.harmBench.harmfulScore,
          run.evaluation.fineTuneAccuracy.accuracy, run.evaluation.positiveHeads))
    }
    print("wrote \(output)/report.md, \(output)/results.json and \(output)/plots/")
  }
}
