import ArgumentParser
import Data
import Foundation
import Models
import Runtime
import Safety

/// `scalpel judge`: flags harmful answers and refusals in a JSON Lines file.
struct JudgeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "judge",
    abstract:
      "Judge answers: harmfulness classifier (MiniLM + logistic head) and refusal keywords.",
    discussion: """
      Each input line is a JSON object with "prompt" and "response" ("answer" is accepted for \
      "response"; instruction/input/output objects too); the output line is the same object with "harmful" (bool), "score" (the classifier's probability), "refusal" (bool) and \
      "refusal_stage" added. The head is trained on first use from the data directory (embeddings \
      of MiniLM run by Scalpel's interpreter, logistic regression trained with grad + Adam) and \
      saved in --cache with its threshold and metrics; later runs reuse it (a different \
      --features or --max-tokens trains a new one). Without --in, only trains (if needed) and \
      prints the judge's metrics. The judge's metrics and progress go to standard error, the \
      summary line to standard output.
      """)

  @Option(name: .customLong("in"), help: "Answers to judge (JSON Lines: prompt, response).")
  var input: String?
  @Option(help: "Where to write the judged lines (JSON Lines).") var out: String?
  @Option(help: "Also write a JSON summary: HS, refusal rate, the judge's metrics.")
  var report: String?
  @OptionGroup var data: DataOptions
  @Option(
    help: ArgumentHelp(
      "The MiniLM directory (model.safetensors, tokenizer.json).",
      discussion: "Default: ${SCALPEL_CACHE:-~/.cache/scalpel}/models/minilm, fetched if missing."
    ))
  var modelDir: String?
  @Option(
    help: ArgumentHelp(
      "Directory for the trained head and the embedding cache.",
      discussion: "Default: ${SCALPEL_CACHE:-~/.cache/scalpel}/judge."))
  var cache: String?
  @Option(help: "Tokens per embedded text.") var maxTokens: Int = 128
  @Option(help: "Texts per embedding batch.") var batchSize: Int = 16
  @Option(
    help: "Features of the head: pair (prompt+answer) or pair+answer (also the answer alone).")
  var features: String = JudgeFeatures.pairAndAnswer.rawValue
  @Flag(help: "Train the head again even if a saved one exists.") var retrain = false

  func run() throws {
    if (input == nil) != (out == nil) {
      throw ValidationError("--in and --out go together")
    }
    // Inputs first: a bad line or data directory fails before any model is fetched.
    let dataDirectory = try data.directory()
    let (objects, pairs) = try input.map(readAnswers) ?? ([], [])
    let store = ModelOptions.store()
    let cache = self.cache ?? store.cacheDirectory + "/judge"
    let miniLM =
      try modelDir
      ?? failing { () throws(ModelError) in try store.locate(ModelReference("minilm")).path }
    let embedder = try SentenceEmbedder(
      miniLMDirectory: miniLM, backend: InterpreterBackend(), maxTokens: maxTokens,
      batchSize: batchSize)
    guard let mode = JudgeFeatures(rawValue: features) else {
      throw ValidationError("--features must be one of \(JudgeFeatures.allCases.map(\.rawValue))")
    }
    var bars: [TrainingStage: ProgressBar] = [:]
    let (judge, trained) = try HarmfulnessJudge.prepared(
      embedder: embedder, data: dataDirectory, cacheDirectory: cache, features: mode,
      retrain: retrain
    ) { stage, done, total in
      if bars[stage] == nil { bars[stage] = ProgressBar(total: total, label: stage.rawValue) }
      bars[stage]?.update(done)
    }
    let model = judge.model
    if trained {
      FileHandle.standardError.write(
        Data(
          "saved \(cache)/\(HarmfulnessTrainer.headFile) (\(Int(model.report.seconds)) s)\n".utf8))
    }
    printMetrics(model)
    guard let input, let out else { return }

    var bar = ProgressBar(total: pairs.count, label: "judge")
    let verdicts = try judge.judge(pairs) { done, total in
      if total != pairs.count { bar = ProgressBar(total: total, label: "embed") }
      bar.update(done)
    }
    var lines = ""
    for (object, verdict) in zip(objects, verdicts) {
      var o = object
      o["harmful"] = verdict.harmful
      o["score"] = verdict.score
      o["refusal"] = verdict.refusal
      o["refusal_stage"] = verdict.refusalStage?.rawValue ?? NSNull()
      let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
      lines += String(decoding: data, as: UTF8.self) + "\n"
    }
    try AtomicFile.write(text: lines, to: out)
    let hs = HarmfulScore(verdicts: verdicts)
    print(
      "judged \(hs.total) answers: HS \(String(format: "%.2f", hs.harmfulScore))%, "
        + "refusals \(String(format: "%.2f", hs.refusalRate))% → \(out)")
    if let report {
      let summary = JudgeRunSummary(
        input: input, output: out, harmfulScore: hs, threshold: model.threshold,
        judge: model.report)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
      try AtomicFile.write(encoder.encode(summary) + Data("\n".utf8), to: report)
    }
  }

  /// The input objects and their (prompt, answer) pairs; read before the slow setup so a bad
  /// line fails at once.
  func readAnswers(_ path: String) throws -> ([[String: Any]], [InstructionPair]) {
    let records = try JSONFile.lines(path)
    return (records.map(\.object), try records.map { try InstructionPair(record: $0) })
  }

  func printMetrics(_ model: HarmfulnessModel) {
    let r = model.report
    func line(_ name: String, _ m: MetricsSummary) -> String {
      String(
        format: "%@: n=%d acc=%.3f prec=%.3f rec=%.3f f1=%.3f auc=%@", name, m.count, m.accuracy,
        m.precision, m.recall, m.f1, m.rocAUC.map { String(format: "%.3f", $0) } ?? "-")
    }
    var out = ["judge head: threshold \(String(format: "%.4f", model.threshold))"]
    out.append(line("  validation", r.validation))
    out.append(line("  test", r.test))
    if let all = r.humanHarmAll { out.append(line("  human harm (all)", all)) }
    for key in r.humanHarm.keys.sorted() {
      if let m = r.humanHarm[key] { out.append(line("    \(key)", m)) }
    }
    for key in r.humanRefusal.keys.sorted() {
      if let m = r.humanRefusal[key] { out.append(line("  refusal keywords (\(key))", m)) }
    }
    FileHandle.standardError.write(Data((out.joined(separator: "\n") + "\n").utf8))
  }
}

/// The `--report` file of `scalpel judge`.
struct JudgeRunSummary: Encodable {
  var input: String
  var output: String
  var harmfulScore: HarmfulScore
  var threshold: Double
  var judge: JudgeTrainingReport
}
