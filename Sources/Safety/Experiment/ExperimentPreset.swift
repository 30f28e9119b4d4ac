import Data
import Training

/// The size of a harmful fine-tuning experiment.
public struct ExperimentPreset: Sendable, Hashable, Codable {
  public var name: String
  /// The benign task mixed with harmful samples (its test set gives FA).
  public var task: BenignTask
  public var poisonRatios: [Double]
  /// Fine-tuning samples n: int(p·n) harmful + int((1−p)·n) benign.
  public var samples: Int
  public var epochs: Int
  public var batch: Int
  public var learningRate: Double
  public var maxLength: Int
  public var lambda: Double
  /// Alignment: refusal pairs and benign samples, epochs, learning rate.
  public var alignRefusals: Int
  public var alignBenign: Int
  public var alignEpochs: Int
  public var alignLearningRate: Double
  /// Prompts per harmful benchmark (BeaverTails-Evaluation, HarmBench) and task items for FA.
  public var harmfulPrompts: Int
  public var taskItems: Int
  public var maxNewTokens: Int
  /// Harmful and safe samples for the sink tables.
  public var sinkSamples: Int

  /// Minutes on the project's 2-core machine: every step of the paper's protocol, tiny sizes.
  public static let quick = ExperimentPreset(
    name: "quick", task: .sst2, poisonRatios: [0, 0.2], samples: 24, epochs: 1, batch: 4,
    learningRate: 2e-5, maxLength: 96, lambda: 300, alignRefusals: 24, alignBenign: 8,
    alignEpochs: 1,
    alignLearningRate: 2e-5, harmfulPrompts: 12, taskItems: 12, maxNewTokens: 32, sinkSamples: 2)

  /// The poison ratios of the paper, larger samples: a few hours.
  public static let standard = ExperimentPreset(
    name: "standard", task: .sst2, poisonRatios: [0, 0.05, 0.1, 0.2], samples: 200, epochs: 2,
    batch: 8,
    learningRate: 1e-5, maxLength: 128, lambda: 300, alignRefusals: 300, alignBenign: 100,
    alignEpochs: 1,
    alignLearningRate: 2e-5, harmfulPrompts: 100, taskItems: 100, maxNewTokens: 64, sinkSamples: 4)

  public static func named(_ name: String) -> ExperimentPreset? {
    [quick, standard].first { $0.name == name }
  }
}
