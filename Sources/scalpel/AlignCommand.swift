import ArgumentParser
import Data
import Foundation
import Models
import Training

/// `scalpel align`: safety alignment on refusal pairs mixed with benign data.
struct AlignCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "align",
    abstract:
      "Fine-tune on refusal pairs mixed with benign data: the aligned model the threat model starts from.",
    discussion: """
      Mixes --refusals (harmful request -> refusal) pairs with --benign samples of --task, \
      chat-formatted with the system prompt "You are a helpful assistant.", answer-only loss. \
      The output directory is loadable as `scalpel train --model DIR`.
      Example: scalpel align --refusals 1000 --benign 500 --epochs 1 --lr 1e-5 --out runs/aligned
      """)

  @OptionGroup var options: FineTuneOptions
  @Option(help: "Benign task mixed in: gsm8k, sst2 or agnews.") var task: String = "sst2"
  @Option(help: "Number of refusal pairs.") var refusals: Int = 1000
  @Option(help: "Number of benign samples.") var benign: Int = 500

  func run() throws {
    guard let benignTask = BenignTask(rawValue: task) else {
      throw ValidationError("--task must be gsm8k, sst2 or agnews, got '\(task)'")
    }
    try options.checkOutput()
    let data = try options.dataDirectory()
    let total = refusals + benign
    guard total > 0 else { throw ValidationError("--refusals plus --benign must be positive") }
    let mixture = try PoisonedMixture.make(
      harmful: try data.refusals(), benign: try data.benign(benignTask), samples: total,
      ratio: Double(refusals) / Double(total), seed: options.seed)
    note("loading \(options.model)…")
    let loaded = try ModelOptions.store().loadLanguageModel(ModelReference(options.model))
    let encoder = ChatEncoder(
      tokenizer: loaded.tokenizer, system: .custom(ChatEncoder.fineTuningSystemPrompt),
      maxLength: options.maxLength)
    try options.train(
      label: "align", loaded: loaded, samples: try encodeAll(mixture.map(\.pair), with: encoder),
      pools: nil,
      defense: .sft, defaultRate: 1e-5,
      sources: [
        "command": "align", "model": loaded.location.path, "tokenizer": try loaded.tokenizerPath(),
        "data": data.root,
        "task": task, "refusals": "\(refusals)", "benign": "\(benign)",
        "data_seed": "\(options.seed)",
      ])
  }
}
