import IR

/// The Llama feed-forward block: `down(silu(gate(x)) ⊙ up(x))`.
public struct SwiGLU: Layer {
  public var name: String
  public var dimension: Int
  public var hidden: Int

  public init(_ name: String, dimension: Int, hidden: Int) {
    self.name = name
    self.dimension = dimension
    self.hidden = hidden
  }

  public func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let gate = Linear("\(name).gate_proj", dimension, hidden)(x, in: m)
    let up = Linear("\(name).up_proj", dimension, hidden)(x, in: m)
    return Linear("\(name).down_proj", hidden, dimension)(b.mul(b.silu(gate), up), in: m)
  }
}

/// The BERT feed-forward block: `out(gelu(in(x)))`, with biases, exact (erf) GELU.
public struct GELUFeedForward: Layer {
  public var inName: String
  public var outName: String
  public var dimension: Int
  public var hidden: Int

  public init(inName: String, outName: String, dimension: Int, hidden: Int) {
    self.inName = inName
    self.outName = outName
    self.dimension = dimension
    self.hidden = hidden
  }

  public func callAsFunction(_ x: Value, in m: ModelBuilder) -> Value {
    let h = Linear(inName, dimension, hidden, bias: true)(x, in: m)
    return Linear(outName, hidden, dimension, bias: true)(m.graph.gelu(h), in: m)
  }
}
