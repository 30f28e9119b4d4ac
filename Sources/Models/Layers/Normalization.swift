import IR

/// RMSNorm over the last axis: `x · rsqrt(mean(x²) + ε) · g`.
public struct RMSNorm: Layer {
  public var name: String
  public var dimension: Int
  public var epsilon: Double

  public init(_ name: String, _ dimension: Int, epsilon: Double = 1e-5) {
    self.name = name
    self.dimension = dimension
    self.epsilon = epsilon
  }

  public func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let meanSquare = b.mean(b.mul(x, x), axes: [-1], keepDims: true)
    let inverse = b.rsqrt(b.add(meanSquare, b.constant(epsilon, .scalar(b.type(x).dtype))))
    return b.mul(b.mul(x, inverse), m.weight("\(name).weight", [dimension]))
  }
}

/// LayerNorm over the last axis: `(x − μ) · rsqrt(σ² + ε) · γ + β` (biased variance).
public struct LayerNorm: Layer {
  public var name: String
  public var dimension: Int
  public var epsilon: Double

  public init(_ name: String, _ dimension: Int, epsilon: Double = 1e-12) {
    self.name = name
    self.dimension = dimension
    self.epsilon = epsilon
  }

  public func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let centered = b.sub(x, b.mean(x, axes: [-1], keepDims: true))
    let variance = b.mean(b.mul(centered, centered), axes: [-1], keepDims: true)
    let inverse = b.rsqrt(b.add(variance, b.constant(epsilon, .scalar(b.type(x).dtype))))
    let scaled = b.mul(b.mul(centered, inverse), m.weight("\(name).weight", [dimension]))
    return b.add(scaled, m.weight("\(name).bias", [dimension]))
  }
}
