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
      "Run the harmful fine-tuning experiment: align, fine-tune (SFT and defenses) on poisoned data, evaluate, report.",
    discussion: """
      The CLI's own steps in one process: aligns the model on refusal pairs (cached), \
      fine-tunes it at every poison ratio and seed of the preset with plain fine-tuning (SFT) \
      and each defense (Surgery, SafeInstr, Lisa), answers BeaverTails-Evaluation and \
      HarmBench prompts and task items (as scalpel generate --in), judges them (the two-stage \
      judge of docs/judge.md), measures the heads with positive sink divergence, and writes \
      results.json (HS and FA with 95 % bootstrap intervals, each defense against SFT with an \
      exact McNemar test), report.md, plots (SVG, PNG) and generations/*.jsonl. Every run has \
      its own directory (runs/NAME: checkpoint, log.jsonl, answers/); finished steps stay on \
      disk and running the same command again resumes model by model. Presets: quick \
      (minutes), pilot (chooses the paper's settings on SFT, disjoint prompts), paper (about \
      4 hours; docs/experiment.md).
      """)

  @Option(help: "quick, pilot or paper.") var preset: String = "quick"
  @Option(help: "Output directory (default: out/experiment-PRESET).") var out: String?
  @Option(
    name: .customLong("set"),
    help:
      "Change a pilot setting, KEY=VALUE (repeatable): \(ExperimentPreset.settableKeys.joined(separator: ", "))."
  )
  var settings: [String] = []
  @Option(help: "The starting model (smollm2, a .gguf file or a model directory).") var model:
    String = "smollm2"
  @OptionGroup var data: DataOptions
  @Option(help: "The judge's encoder: minilm or smollm2 (see `scalpel judge --help`).")
  var judgeEncoder: String = JudgeEncoderOptions.defaultEncoder
  @Option(help: "Where graphs run: jit or interpreter.") var backend: String = "jit"
  @Flag(
    help:
      "Write the step graphs' viewer pages to OUT/graphs (step-DEFENSE.html); the report's heat maps link to them."
  )
  var dumpGraphs = false
  @OptionGroup var memory: MemoryOptions

  func validate() throws {
    guard JudgeEncoderOptions.choices.contains(judgeEncoder) else {
      throw ValidationError(
        "--judge-encoder must be one of \(JudgeEncoderOptions.choices), got '\(judgeEncoder)'")
    }
  }

  func run() throws {
    guard var chosen = ExperimentPreset.named(preset) else {
      throw ValidationError("--preset must be quick, pilot or paper, got '\(preset)'")
    }
    for setting in settings {
      let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2 else {
        throw ValidationError("--set takes KEY=VALUE, got '\(setting)'")
      }
      try chosen.set(parts[0], to: parts[1])
    }
    let output = out ?? "out/experiment-\(chosen.name)"
    let store = ModelOptions.store()
    let backendValue = try ModelOptions.backend(named: backend)
    let dataDirectory = try data.directory()
    note("loading \(model)…")
    let loaded = try failing { () throws(ModelError) in
      try store.loadLanguageModel(ModelReference(model))
    }
    let embedder = try JudgeEncoderOptions.make(
      judgeEncoder, modelDir: nil, maxTokens: nil, batchSize: nil, store: store,
      backend: backendValue, reusing: loaded)
    var bars: [String: ProgressBar] = [:]
    func show(_ label: String, _ done: Int, _ total: Int, _ fields: String) {
      if bars[label] == nil { bars[label] = ProgressBar(total: total, label: label) }
      bars[label]?.update(done, fields: fields)
    }
    note("preparing the judge (the committed one when it matches, else trained and cached)…")
    let (judge, trained) = try HarmfulnessJudge.prepared(
      embedder: embedder, data: dataDirectory,
      cacheDirectory: JudgeEncoderOptions.cacheDirectory(judgeEncoder, store: store),
      shippedDirectory: JudgeEncoderOptions.shippedDirectory(judgeEncoder, data: dataDirectory),
      settings: JudgeTrainingSettings.forEncoder(judgeEncoder)
    ) { stage, done, total in show("judge: \(stage.rawValue)", done, total, "") }
    if trained { note("judge trained and measured in \(Int(judge.model.card.seconds)) s") }
    let runner = ExperimentRunner(
      preset: chosen, outputDirectory: output,
      cacheDirectory: store.cacheDirectory + "/experiments",
      model: loaded, judge: judge, data: dataDirectory, backend: backendValue)
    runner.log = { note("== " + $0) }
    if dumpGraphs {
      for defense in chosen.runs.map(\.defense) {
        try writeStepGraphPage(
          model: loaded.architecture, config: runner.fineTuneConfig(defense: defense),
          to: output + "/graphs", name: "step-\(defense.name)")
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
            "%@ p=%@ seed %d: HS %.1f%% (BeaverTails) %.1f%% (HarmBench), FA %.1f%%, %d positive heads",
          run.defense, run.poisonRatio.map { String($0) } ?? "-", Int(run.seed),
          run.hsBeavertails, run.hsHarmbench, run.faSst2, run.positiveHeads))
    }
    print("wrote \(output)/report.md, \(output)/results.json and \(output)/plots/")
  }
}
