import ArgumentParser
import Data
import Foundation
import Models
import Training

/// `scalpel train`: harmful fine-tuning on a poisoned mixture, with or without Surgery.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract:
      "Fine-tune on a poisoned mixture (benign task + harmful pairs), with --defense sft|surgery.",
    discussion: """
      The user dataset holds int(p·n) BeaverTails harmful pairs and int((1-p)·n) samples of the \
      benign task, chat-formatted with the system prompt "You are a helpful assistant."; the loss \
      counts answer tokens only. With --defense surgery, every step also draws one harmful \
      (BeaverTails unsafe) and one safe (refusal) sample, without a system prompt, and adds \
      lambda · mean ReLU(alpha_harmful - alpha_safe) over all attention heads to the loss.
      Example: scalpel train --task sst2 --poison-ratio 0.1 --samples 1000 --epochs 5 \
      --batch 10 --lr 5e-6 --defense surgery --lambda 300 --out runs/sst2-surgery
      """)

  @OptionGroup var options: FineTuneOptions
  @OptionGroup var pairs: PairFileOptions
  @Option(help: "Benign task: gsm8k, sst2 or agnews.") var task: String = "sst2"
  @Option(help: "Fraction p of harmful samples.") var poisonRatio: Double = 0.1
  @Option(help: "Number of samples n.") var samples: Int = 1000
  @Option(help: "sft or surgery.") var defense: String = "sft"
  @Option(name: .customLong("lambda"), help: "Surgery penalty weight.") var lambda: Double = 300
  @Option(
    help:
      "Surgery sink key position, or auto (the position with the most aggregate attention on calibration samples)."
  ) var sink: String = "0"
  @Option(help: "Size of the Surgery harmful and safe pools.") var poolSize: Int = 1000

  func run() throws {
    guard let benignTask = BenignTask(rawValue: task) else {
      throw ValidationError("--task must be gsm8k, sst2 or agnews, got '\(task)'")
    }
    var chosen: Defense
    switch defense {
    case "sft": chosen = .sft
    case "surgery":
      // auto is resolved on the Surgery pools once the model is loaded.
      guard sink == "auto" || Int(sink).map({ $0 >= 0 }) == true else {
        throw ValidationError("--sink must be auto or a non-negative token position, got '\(sink)'")
      }
      chosen = .surgery(lambda: lambda, sink: Int(sink) ?? 0)
    default: throw ValidationError("--defense must be sft or surgery, got '\(defense)'")
    }
    try options.checkOutput()
    let data = try options.dataDirectory()
    let harmful = try pairs.harmfulPairs { data }
    let mixture = try PoisonedMixture.make(
      harmful: harmful, benign: try data.benign(benignTask), samples: samples, ratio: poisonRatio,
      seed: options.seed)
    note("loading \(options.model)…")
    let loaded = try ModelOptions.store().loadLanguageModel(ModelReference(options.model))
    let encoder = ChatEncoder(
      tokenizer: loaded.tokenizer, system: .custom(ChatEncoder.fineTuningSystemPrompt),
      maxLength: options.maxLength)
    let encoded = try encodeAll(mixture.map(\.pair), with: encoder)
    var pools: SurgeryPools?
    if case .surgery = chosen {
      let bare = ChatEncoder(
        tokenizer: loaded.tokenizer, system: .none, maxLength: options.maxLength)
      var g = SeededRandom(seed: options.seed, stream: 0x706F_6F6C)
      let refusals = try pairs.safePairs { data }
      let harmfulPool = g.permutation(harmful.count).prefix(poolSize).map { harmful[$0] }
      let safePool = g.permutation(refusals.count).prefix(poolSize).map { refusals[$0] }
      pools = SurgeryPools(
        harmful: try encodeAll(harmfulPool, with: bare), safe: try encodeAll(safePool, with: bare))
      if sink == "auto", let pools, !options.resume {
        let calibration = Array(pools.harmful.prefix(4)) + Array(pools.safe.prefix(4))
        let position = try SinkMeasurement.automaticSink(
          model: loaded.architecture, weights: loaded.weights, samples: calibration,
          length: options.maxLength,
          backend: try options.makeBackend())
        note(
          "sink: position \(position) draws the most attention on \(calibration.count) calibration samples"
        )
        chosen = .surgery(lambda: lambda, sink: position)
      }
    }
    var sources = [
      "command": "train", "model": loaded.location.path, "tokenizer": try loaded.tokenizerPath(),
      "data": data.root,
      "task": task, "poison_ratio": "\(poisonRatio)", "samples": "\(samples)",
      "defense": chosen.summary,
      "data_seed": "\(options.seed)",
    ]
    sources["harmful"] = pairs.harmful
    sources["safe"] = pairs.safe
    try options.train(
      label: "train", loaded: loaded, samples: encoded, pools: pools, defense: chosen,
      defaultRate: 5e-6, sources: sources)
  }
}
