import IR

/// `y = x·Wᵀ + b` with `W` of shape `[out, in]` (the PyTorch layout) and an optional bias.
/// Leading dimensions of `x` are flattened for one matrix product and restored afterwards.
public struct Linear: Layer {
  public var name: String
  public var inFeatures: Int
  public var outFeatures: Int
  public var bias: Bool

  public init(_ name: String, _ inFeatures: Int, _ outFeatures: Int, bias: Bool = false) {
    self.name = name
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.bias = bias
  }

  public func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let w = m.weight("\(name).weight", [outFeatures, inFeatures])
    let shape = b.shape(x)
    let rows = shape.dropLast().reduce(1, *)
    let flat = shape.count == 2 ? x : b.reshape(x, [rows, inFeatures])
    var y = b.matmul(flat, w, transposeB: true)
    if bias { y = b.add(y, m.weight("\(name).bias", [outFeatures])) }
    return shape.count == 2 ? y : b.reshape(y, Array(shape.dropLast()) + [outFeatures])
  }
}

/// Rows of a `[vocab, dim]` table picked by integer ids: `[..., dim]`.
public struct Embedding {
  public var name: String
  public var vocabulary: Int
  public var dimension: Int

  public init(_ name: String, _ vocabulary: Int, _ dimension: Int) {
    self.name = name
    self.vocabulary = vocabulary
    self.dimension = dimension
  }

  public var weightName: String { "\(name).weight" }

  public func callAsFunction(_ ids: Value, in m: ModelBuilder) -> Value {
    m.graph.gather(m.weight(weightName, [vocabulary, dimension]), ids)
  }

  /// The tied LM head: logits `[..., vocab]` = hidden `[..., dim]` · tableᵀ, sharing the table
  /// with the embedding (one weight, whose gradient sums both uses).
  public func logits(_ hidden: Value, in m: ModelBuilder) -> Value {
    Linear(name, dimension, vocabulary)(hidden, in: m)
  }
}
