import ArgumentParser
import Data
import Foundation
import Models
import Runtime
import Safety
import Training

/// `scalpel sink-divergence`: per-head sink values of a model on harmful and safe samples.
struct SinkDivergenceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sink-divergence",
    abstract: "Measure per-head attention-sink values on harmful and safe samples (Surgery's d_h).",
    discussion: """
      Each sample is a (prompt, answer) pair in the chat template without a system prompt, as \
      the Surgery reference formats them. Files are JSON lines with prompt/response (or answer) \
      or instruction/input/output fields; the defaults are the BeaverTails unsafe pairs and the \
      refusal pairs of the data directory. Writes sink.json, sink.csv and a layer × head heat map \
      (heatmap.svg, heatmap.png) of d_h = alpha(harmful) - alpha(safe).
      """)

  @OptionGroup var model: ModelOptions
  @OptionGroup var pairs: PairFileOptions
  @OptionGroup var data: DataOptions
  @Option(help: "Harmful and safe samples to average over (the first N of each file).") var samples:
    Int = 4
  @Option(help: "Sink key position, or auto (most aggregate attention on the samples).") var sink:
    String = "0"
  @Option(help: "Tokens per sample: longer ones are cut, shorter ones padded.") var maxLength: Int =
    128
  @Option(help: "Output directory.") var out: String

  func run() throws {
    guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
    let harmfulPairs = try Array(pairs.harmfulPairs(data.directory).prefix(samples))
    let safePairs = try Array(pairs.safePairs(data.directory).prefix(samples))
    guard harmfulPairs.count == samples, safePairs.count == samples else {
      throw CommandFailure(
        "need \(samples) pairs in each file, found \(harmfulPairs.count) harmful and \(safePairs.count) safe"
      )
    }
    let loaded = try model.loadLanguageModel()
    let encoder = ChatEncoder(tokenizer: loaded.tokenizer, system: .none, maxLength: maxLength)
    let h = try harmfulPairs.map { try encoder.encode($0) }
    let s = try safePairs.map { try encoder.encode($0) }
    let backend = try model.selectedBackend()
    let position: Int
    if sink == "auto" {
      note("finding the sink on \(2 * samples) calibration samples…")
      position = try SinkMeasurement.automaticSink(
        model: loaded.architecture, weights: loaded.weights, samples: h + s, length: maxLength,
        backend: backend)
      note("sink position: \(position)")
    } else {
      guard let p = Int(sink), p >= 0, p < maxLength else {
        throw ValidationError("--sink must be auto or a position below --max-length, got '\(sink)'")
      }
      position = p
    }
    note(
      "attention: \(try SinkMeasurement.attentionSummary(model: loaded.architecture, length: maxLength))")
    note(
      "measuring \(loaded.config.layers) layers × \(loaded.config.heads) heads on \(samples) + \(samples) samples…"
    )
    let tables = try SinkMeasurement.tables(
      model: loaded.architecture, weights: loaded.weights, harmful: h, safe: s, length: maxLength,
      sink: position, backend: backend)
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try writeSinkReport(tables, model: loaded.location.path, to: out)
    let title =
      "d_h = alpha(harmful) - alpha(safe), sink \(position), \(samples) + \(samples) samples"
    _ = try ChartRenderer.write(
      SurgeryCharts.divergenceHeatMap(tables.divergence, title: title), to: out + "/heatmap")
    print(
      "positive heads: \(tables.positiveHeads) of \(tables.layers * tables.heads); penalty \(String(format: "%.5f", tables.penalty)); wrote \(out)/sink.json, sink.csv, heatmap.svg, heatmap.png"
    )
  }
}

/// sink.json and sink.csv for a measurement.
func writeSinkReport(_ tables: SinkTables, model: String, to directory: String) throws {
  let object: [String: Any] = [
    "model": model, "sink": tables.sink, "samples": tables.samples, "layers": tables.layers,
    "heads": tables.heads,
    "positive_heads": tables.positiveHeads, "penalty": tables.penalty,
    "alpha_harmful": tables.alphaHarmful,
    "alpha_safe": tables.alphaSafe, "divergence": tables.divergence,
  ]
  let json = try JSONSerialization.data(
    withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
  try json.write(to: URL(fileURLWithPath: directory + "/sink.json"), options: .atomic)
  var csv = "layer,head,alpha_harmful,alpha_safe,divergence\n"
  for l in 0..<tables.layers {
    for h in 0..<tables.heads {
      csv +=
        "\(l),\(h),\(tables.alphaHarmful[l][h]),\(tables.alphaSafe[l][h]),\(tables.divergence[l][h])\n"
    }
  }
  try Data(csv.utf8).write(to: URL(fileURLWithPath: directory + "/sink.csv"), options: .atomic)
}
