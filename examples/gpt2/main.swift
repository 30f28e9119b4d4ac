import ArgumentParser
import ExampleArchitectures
import ExampleSupport
import Models

/// `swift run example-gpt2`: a GPT-2-style decoder trained from random weights.
struct GPT2Example: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "example-gpt2",
    abstract: "Train a small GPT-2-style decoder on GSM8K answers, with and without Surgery.",
    discussion: """
      Builds the model of examples/Architectures/GPT2.swift from random weights (LayerNorm, \
      GELU MLP, learned positions, biases, tied embeddings) with SmolLM2's vocabulary, trains \
      it through the shared Trainer, prints the loss curves and the sink table, and saves and \
      reloads each run's checkpoint (OUT/sft/checkpoint, OUT/surgery/checkpoint).
      """)

  @OptionGroup var options: ExampleOptions
  @Option(help: "Model width.") var dimension: Int = 64
  @Option(help: "Decoder blocks.") var layers: Int = 2
  @Option(help: "Attention heads.") var heads: Int = 4

  func run() throws {
    ModelRegistry.register(GPT2.self)
    try ExampleRunner(options: options).run { vocabulary in
      GPT2(
        GPT2Config(
          vocabulary: vocabulary, dimension: dimension, layers: layers, heads: heads,
          contextLength: max(options.length, 128)))
    }
  }
}

GPT2Example.main()
