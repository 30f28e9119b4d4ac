import IR

/// Builds a model graph: a `GraphBuilder` plus one graph parameter (role `weight`) per named
/// weight; inputs are parameters with role `input`.
///
/// Asking twice for the same weight name returns the same parameter, so a layer applied to
/// several inputs (the Surgery pass's clones, a shared embedding and LM head) shares weights.
/// Weight names follow Hugging Face checkpoints (`model.layers.0.self_attn.q_proj.weight`).
public final class ModelBuilder {
  public let graph: GraphBuilder
  /// The dtype of weights and activations.
  public let dtype: DType
  private var weights: [String: Value] = [:]

  public init(name: String, dtype: DType = .f32) {
    graph = GraphBuilder(name: name)
    self.dtype = dtype
  }

  /// The weight `name` with `shape`; a second request with another shape is a diagnostic.
  public func weight(_ name: String, _ shape: [Int], file: String = #fileID, line: Int = #line)
    -> Value
  {
    if let v = weights[name] {
      if graph.shape(v) != shape {
        graph.report(
          "weight '\(name)' is requested as \(shape) but was declared \(graph.shape(v))",
          at: SourceLocation(file: file, line: line))
      }
      return v
    }
    let v = graph.parameter(
      name, TensorType(dtype, shape), role: .weight, file: file, line: line)
    weights[name] = v
    return v
  }

  /// A graph input (token ids, masks, positions, float data such as an attention bias).
  public func input(_ name: String, _ type: TensorType, file: String = #fileID, line: Int = #line)
    -> Value
  {
    graph.parameter(name, type, role: .input, file: file, line: line)
  }

  /// Weight names in the order they were first asked for (the graph's weight parameters).
  public var weightNames: [String] { graph.graph.weights.map(\.name) }

  /// Types of every weight, by name.
  public var weightTypes: [String: TensorType] {
    weights.mapValues { graph.type($0) }
  }
}

/// A building block of a model: adds its nodes (and weights) to a model being built.
///
/// Conform a struct holding the layer's configuration and weight-name prefix; compose layers
/// by calling them from `callAsFunction`.
public protocol Layer {
  func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value
}
