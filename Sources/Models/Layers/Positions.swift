import IR

/// Learned absolute position embeddings: row p of a `[maxPositions, dim]` table is added at
/// position p (GPT-2's `wpe`, BERT's `position_embeddings`).
public struct LearnedPositionEmbedding {
  public var name: String
  public var maxPositions: Int
  public var dimension: Int

  public init(_ name: String, maxPositions: Int, dimension: Int) {
    self.name = name
    self.maxPositions = maxPositions
    self.dimension = dimension
  }

  /// The table's rows at integer `positions` (any shape, values in `0..<maxPositions`):
  /// `positions.shape + [dim]`.
  public func callAsFunction(_ positions: Value, in m: ModelBuilder) -> Value {
    Embedding(name, maxPositions, dimension)(positions, in: m)
  }
}

/// Integer position tensors.
public enum Positions {
  /// 0..<T in every row: i32 `[B, T]` (right-padded batches start every row at 0).
  public static func sequential(batch: Int, tokens: Int, in b: GraphBuilder) -> Value {
    b.iota(axis: 1, TensorType(.i32, [batch, tokens]))
  }
}
