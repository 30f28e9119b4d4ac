import IR

/// How a checkpoint pairs the coordinates that rotary embedding rotates together.
public enum RotaryLayout: String, Sendable, Hashable, CaseIterable {
  /// Coordinates i and i + d/2 (Hugging Face checkpoints, "rotate half").
  case rotateHalf = "rotate-half"
  /// Coordinates 2i and 2i + 1 (GGUF Llama weights as llama.cpp's converter permutes them).
  case adjacentPairs = "adjacent-pairs"
}

/// Rotary position embedding: each pair (a, b) of a head's coordinates at position p is rotated
/// by θᵢ = p · base^(−2i/d): (a cos θ − b sin θ, b cos θ + a sin θ).
public struct RotaryEmbedding: Sendable, Hashable {
  public var headDimension: Int
  public var base: Double
  public var layout: RotaryLayout

  public init(headDimension: Int, base: Double = 10000, layout: RotaryLayout = .rotateHalf) {
    self.headDimension = headDimension
    self.base = base
    self.layout = layout
  }

  /// cos θ and sin θ for integer positions `[B, T]`, shaped `[B, 1, T, d/2]` (one table for
  /// every head). The inverse frequencies are computed as `1 / base^(2i/d)` in the model dtype.
  public func tables(positions: Value, dtype: DType, in b: GraphBuilder) -> (cos: Value, sin: Value)
  {
    let half = headDimension / 2
    let (batch, tokens) = (b.shape(positions)[0], b.shape(positions)[1])
    let i = b.iota(axis: 0, TensorType(dtype, [half]))
    let exponent = b.mul(i, b.constant(2 / Double(headDimension), .scalar(dtype)))
    let inverseFrequency = b.reciprocal(
      b.pow(b.constant(base, TensorType(dtype, [half])), exponent))
    let p = b.reshape(b.cast(positions, to: dtype), [batch, 1, tokens, 1])
    let theta = b.mul(p, b.reshape(inverseFrequency, [1, 1, 1, half]))
    return (b.cos(theta), b.sin(theta))
  }

  /// Rotates `x` of shape `[B, H, T, d]` with tables from `tables(positions:…)`.
  public func apply(_ x: Value, cos: Value, sin: Value, in b: GraphBuilder) -> Value {
    let shape = b.shape(x)
    let half = headDimension / 2
    let lead = Array(shape.dropLast())
    let zeros = [Int](repeating: 0, count: shape.count)
    func rotate(_ first: Value, _ second: Value) -> (Value, Value) {
      (b.sub(b.mul(first, cos), b.mul(second, sin)), b.add(b.mul(second, cos), b.mul(first, sin)))
    }
    switch layout {
    case .rotateHalf:
      let first = b.slice(x, start: zeros, limit: lead + [half])
      let second = b.slice(x, start: zeros.dropLast() + [half], limit: shape)
      let (r1, r2) = rotate(first, second)
      return b.concat([r1, r2], axis: -1)
    case .adjacentPairs:
      let pairs = b.reshape(x, lead + [half, 2])
      let pairZeros = zeros + [0]
      let even = b.reshape(
        b.slice(pairs, start: pairZeros, limit: lead + [half, 1]), lead + [half])
      let odd = b.reshape(
        b.slice(pairs, start: zeros + [1], limit: lead + [half, 2]), lead + [half])
      let (r1, r2) = rotate(even, odd)
      let joined = b.concat(
        [b.reshape(r1, lead + [half, 1]), b.reshape(r2, lead + [half, 1])], axis: -1)
      return b.reshape(joined, shape)
    }
  }
}
