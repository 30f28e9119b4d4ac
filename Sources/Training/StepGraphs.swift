import IR
import Models
import Passes

/// AdamW hyper-parameters: the `adamw` pass itself, stored in training configurations.
public typealias AdamWConfig = AdamWUpdate

/// The fine-tuning objective: plain SFT or SFT plus the Surgery sink-divergence penalty.
public enum Defense: Sendable, Hashable, Codable {
  case sft
  /// `loss + lambda · mean ReLU(alpha_harmful − alpha_safe)` with the sink at key `sink`.
  case surgery(lambda: Double, sink: Int)

  /// `sft` or `surgery(lambda 300, sink 0)`.
  public var summary: String {
    switch self {
    case .sft: "sft"
    case .surgery(let lambda, let sink): "surgery(lambda \(lambda), sink \(sink))"
    }
  }
}

/// The compiled-step graphs of one training configuration, built by passes from the model's
/// training graph: `[sink-divergence] → grad → adamw → dce` as one step graph, or, for
/// gradient accumulation, a gradient graph (`… → grad → accumulate-gradients → dce`, the running
/// sum in its inputs and outputs) and an update graph (`adamw` over the averaged sums).
///
/// Data-parallel over `ranks` > 1 processes, each graph takes `batch / ranks` rows, `loss-share`
/// runs before `grad` and `all-reduce-gradients{reduction=sum}` before `adamw` (in the update
/// graph under accumulation, so the ranks communicate once per step).
public struct StepGraphs: Sendable {
  /// Trainable weights, in the model's order.
  public var weights: [String]
  /// Each weight's type.
  public var weightTypes: [String: TensorType]
  /// The whole step (accumulation 1): batch, weights, state, `learning_rate`, `step` in;
  /// `loss`, `grad_norm`, `next_*` out.
  public var fused: Graph?
  /// One micro-batch (accumulation > 1): batch, weights and the sums `gradient_sum.P` in;
  /// `loss` and `next_gradient_sum.P` out.
  public var gradient: Graph?
  /// `next_*` and `grad_norm` from weights, state, the sums `gradient_sum.P` and
  /// `gradient_scale` (1 / micro-batches).
  public var update: Graph?

  /// Builds the graphs for `model` at `batch × tokens`.
  public static func build(
    model: any LanguageModel, batch: Int, tokens: Int, defense: Defense,
    optimizer: AdamWConfig, accumulation: Int, ranks: Int = 1
  ) throws -> StepGraphs {
    let built = try pipeline(
      model: model, batch: batch, tokens: tokens, defense: defense, optimizer: optimizer,
      accumulation: accumulation, ranks: ranks)
    let weights = built.forward.weights.map(\.name)
    let types = Dictionary(
      uniqueKeysWithValues: built.forward.weights.map { ($0.name, $0.type) })
    var manager = built.manager
    let (stepGraph, _) = try manager.run(built.forward)
    var out = StepGraphs(weights: weights, weightTypes: types)
    if accumulation <= 1 {
      out.fused = stepGraph
    } else {
      out.gradient = stepGraph
      out.update = try updateGraph(
        weights: weights, types: types, optimizer: optimizer, ranks: ranks)
    }
    return out
  }

  /// The model's training graph and the passes that make the step (or gradient) graph from it,
  /// for callers that watch the passes (`--dump-graphs`).
  public static func pipeline(
    model: any LanguageModel, batch: Int, tokens: Int, defense: Defense,
    optimizer: AdamWConfig, accumulation: Int, ranks: Int = 1
  ) throws -> (forward: Graph, manager: PassManager) {
    if let problem = model.problems().first {
      throw TrainingError("model configuration: \(problem)")
    }
    guard ranks >= 1, batch % ranks == 0 else {
      throw TrainingError(
        "the batch of \(batch) sequences does not split evenly over \(ranks) ranks; "
          + "choose a batch that is a multiple of \(ranks)")
    }
    let forward = try model.trainingGraph(batch: batch / ranks, tokens: tokens)
    var passes: [any Pass] = []
    if case .surgery(let lambda, let sink) = defense {
      guard sink >= 0 && sink < tokens else {
        throw TrainingError("the sink position \(sink) is outside the \(tokens)-token sequence")
      }
      passes.append(SinkDivergence(lambda: lambda, sink: sink))
    }
    if ranks > 1 { passes.append(LossShare()) }
    passes.append(Gradient(of: "loss"))
    if accumulation <= 1 && ranks > 1 { passes.append(AllReduceGradients(reduction: .sum)) }
    passes.append(accumulation <= 1 ? optimizer : AccumulateGradients())
    passes.append(DeadCodeElimination())
    return (forward, PassManager(passes: passes))
  }

  /// `adamw` over `grad_P = gradient_sum.P · gradient_scale`, the averaged micro-batch sums.
  static func updateGraph(
    weights: [String], types: [String: TensorType], optimizer: AdamWConfig, ranks: Int
  ) throws -> Graph {
    let b = GraphBuilder(name: "adamw_update")
    var results: [(String, Value)] = []
    let scale = b.parameter("gradient_scale", .scalar(.f32), role: .input)
    for name in weights {
      guard let type = types[name] else { continue }
      b.parameter(name, type, role: .weight)
      let sum = b.parameter("gradient_sum.\(name)", type, role: .input)
      let factor = type.dtype == .f32 ? scale : b.cast(scale, to: type.dtype)
      results.append(("grad_\(name)", b.stopGradient(b.mul(sum, factor))))
    }
    var manager = PassManager(
      passes: ranks > 1 ? [AllReduceGradients(reduction: .sum), optimizer] : [optimizer])
    return try manager.run(try b.build(results: results)).graph
  }
}
