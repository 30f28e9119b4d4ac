import ArgumentParser
import ExampleArchitectures
import ExampleSupport
import Models

/// `swift run example-alibi`: a decoder with ALiBi attention trained from random weights.
struct ALiBiExample: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "example-alibi",
    abstract: "Train a small ALiBi decoder on GSM8K answers, with and without Surgery.",
    discussion: """
      Builds the model of examples/Architectures/ALiBiDecoder.swift from random weights (no \
      position embedding, per-head linear distance biases on the attention scores, optional \
      sliding window, RMSNorm, SwiGLU) with SmolLM2's vocabulary, trains it through the shared \
      Trainer, prints the loss curves and the sink table, and saves and reloads each run's \
      checkpoint (OUT/sft/checkpoint, OUT/surgery/checkpoint).
      """)

  @OptionGroup var options: ExampleOptions
  @Option(help: "Model width.") var dimension: Int = 64
  @Option(help: "Decoder blocks.") var layers: Int = 2
  @Option(help: "Attention heads.") var heads: Int = 4
  @Option(help: "Sliding window (keys per query); default: every earlier key.") var window: Int?

  func run() throws {
    ModelRegistry.register(ALiBiDecoder.self)
    try ExampleRunner(options: options).run { vocabulary in
      ALiBiDecoder(
        ALiBiConfig(
          vocabulary: vocabulary, dimension: dimension, layers: layers, heads: heads,
          hidden: 3 * dimension, window: window))
    }
  }
}

ALiBiExample.main()
