import Data
import Foundation
import IR
import Models
import Runtime
import Training

/// Trains an example model from random weights on GSM8K answers, with and without Surgery,
/// through the shared `Trainer`; prints the loss curves and the sink tables; saves each run's
/// checkpoint and checks that it reloads to the same logits.
public struct ExampleRunner {
  public var options: ExampleOptions

  public init(options: ExampleOptions) { self.options = options }

  /// What one run left: its step records and final weights.
  struct RunResult {
    var defense: String
    var records: [StepRecord]
    var tables: SinkTables
  }

  /// Runs the example on the model `make` builds for the tokenizer's vocabulary size.
  public func run(_ make: (_ vocabulary: Int) throws -> any LanguageModel) throws {
    let (tokenizer, tokenizerPath) = try ExampleText.tokenizer()
    let model = try make(tokenizer.vocabularySize)
    if let which = options.printIR {
      let graph =
        which == "forward"
        ? try model.forwardGraph(batch: options.batch, tokens: options.length)
        : try model.trainingGraph(batch: options.batch, tokens: options.length)
      print(printGraph(graph), terminator: "")
      return
    }
    let text = try ExampleText(options: options, tokenizer: tokenizer, path: tokenizerPath)
    let modelType = type(of: model).modelType
    let out = options.out ?? "runs/" + modelType
    let defenses = try options.defenses()
    for defense in defenses where FileManager.default.fileExists(atPath: out + "/" + defense) {
      throw TrainingError(
        "\(out)/\(defense) exists: choose another --out, or delete it to start over")
    }
    note(
      "\(modelType): \(text.samples.count) GSM8K samples of at most \(options.length) tokens, "
        + "SmolLM2 tokenizer (\(text.tokenizer.vocabularySize) tokens)")
    let backend = options.makeBackend()
    let initial = try model.initialWeights(seed: options.seed)
    let parameters = initial.values.reduce(0) { $0 + $1.count }
    note("\(parameters) parameters; attention: \(try attentionSummary(model))")
    let before = try sinkTables(model, initial, text, backend)
    var results: [RunResult] = []
    for defense in defenses {
      let config = TrainingConfig(
        batchSize: options.batch, sequenceLength: options.length, epochs: 1,
        schedule: .constant(rate: options.learningRate), optimizer: AdamWConfig(clip: 1),
        defense: defense == "surgery" ? .surgery(lambda: options.lambda, sink: options.sink) : .sft,
        seed: options.seed)
      let trainer = try Trainer(
        model: model, config: config, weights: initial, samples: text.samples,
        pools: defense == "surgery" ? text.pools : nil, backend: backend)
      trainer.outputDirectory = out + "/" + defense
      trainer.sources = [
        "example": modelType, "tokenizer": text.tokenizerPath, "data": text.dataRoot,
        "defense": config.defense.summary,
      ]
      trainer.onStep = { r in
        note(
          "\(defense) step \(r.step)/\(r.totalSteps): loss \(format(r.loss)), "
            + "\(String(format: "%.2f", r.seconds)) s")
      }
      let records = try trainer.run()
      let directory = out + "/" + defense + "/checkpoint"
      let difference = try reloadDifference(
        model, directory: directory, weights: trainer.weights, text: text)
      note("\(defense): saved \(directory); reloaded, max |Δ logit| = \(difference)")
      guard difference == 0 else {
        throw TrainingError("the reloaded model's logits differ from the trained model's")
      }
      results.append(
        RunResult(
          defense: defense, records: records,
          tables: try sinkTables(model, trainer.weights, text, backend)))
    }
    print(ExampleReport.lossCurves(results.map { ($0.defense, $0.records) }))
    print(ExampleReport.sinkTable([("initial", before)] + results.map { ($0.defense, $0.tables) }))
  }

  func attentionSummary(_ model: any LanguageModel) throws -> String {
    try SinkMeasurement.attentionSummary(model: model, length: options.length)
  }

  /// Sink tables on the held-out harmful and safe pairs.
  func sinkTables(
    _ model: any LanguageModel, _ weights: [String: HostTensor], _ text: ExampleText,
    _ backend: any Backend
  ) throws -> SinkTables {
    try SinkMeasurement.tables(
      model: model, weights: weights, harmful: text.sinkHarmful, safe: text.sinkSafe,
      length: options.length, sink: options.sink, backend: backend)
  }

  /// Reads the checkpoint back through the model registry and returns the largest difference
  /// between its logits and those of `weights` on the first training sample.
  func reloadDifference(
    _ model: any LanguageModel, directory: String, weights: [String: HostTensor],
    text: ExampleText
  ) throws -> Double {
    // The model comes back from config.json through the model registry.
    let checkpoint = try TrainingCheckpoint.read(from: directory)
    let sample = text.samples[0]
    let count = min(sample.ids.count, options.length)
    func logits(_ m: any LanguageModel, _ w: [String: HostTensor]) throws -> [Double] {
      let graph = try m.forwardGraph(batch: 1, tokens: count)
      var inputs = w
      inputs["tokens"] = try HostTensor(
        shape: [1, count], sample.ids.prefix(count).map(Int32.init))
      inputs["attention_mask"] = try HostTensor(
        shape: [1, count], [Int32](repeating: 1, count: count))
      inputs["positions"] = try HostTensor(shape: [1, count], (0..<count).map(Int32.init))
      let needed = Set(graph.parameters.map(\.name))
      let out = try InterpreterBackend().prepare(graph).run(
        inputs.filter { needed.contains($0.key) })
      guard let t = out["logits"] else { throw TrainingError("the forward graph has no logits") }
      return t.doubles
    }
    let a = try logits(model, weights)
    let b = try logits(checkpoint.model, checkpoint.weights)
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
  }
}

/// A progress line on standard error.
func note(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}

func format(_ x: Double) -> String { String(format: "%.4f", x) }
