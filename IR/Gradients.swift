/// What a VJP rule sees: the forward node, its result's cotangent, and which operands need a
/// cotangent (rules skip the others, so e.g. `pow` builds `ln a` only when the exponent needs it).
public struct VJPContext {
  public let builder: GraphBuilder
  public let node: Node
  public let cotangent: Value
  public let needs: [Bool]

  public init(builder: GraphBuilder, node: Node, cotangent: Value, needs: [Bool]) {
    self.builder = builder
    self.node = node
    self.cotangent = cotangent
    self.needs = needs
  }

  public var operands: [Value] { node.operands }
  public var result: Value { node.result }
  public func type(_ v: Value) -> TensorType { builder.type(v) }
  /// A constant with `like`'s type.
  public func constant(_ v: Double, like x: Value) -> Value { builder.constant(v, like: x) }
  public func zeros(like x: Value) -> Value { builder.constant(0, like: x) }
}

extension Op {
  /// The vector-Jacobian product: operand cotangents from the result cotangent, one entry per
  /// operand; nil means "contributes nothing" (an index operand, a select condition, or an
  /// operand that does not need one). Throws for an op that is not differentiable with respect
  /// to an operand that needs a cotangent. The gradient pass accumulates the entries.
  public func vjp(_ c: VJPContext) throws(TypeError) -> [Value?] {
    switch self {
    case .unary(let k): return [unaryVJP(k, c)]
    case .binary(let k): return binaryVJP(k, c)
    case .compare(let k):
      throw TypeError("'\(k.rawValue)' is not differentiable (its i1 result has no gradient)")
    case .select: return selectVJP(c)
    case .cast: return [try castVJP(c)]
    case .stopGradient: return [nil]
    case .constant, .iota: return []
    case .broadcast: return [broadcastVJP(c)]
    case .reshape: return [c.builder.reshape(c.cotangent, c.type(c.operands[0]).shape)]
    case .transpose(let perm): return [transposeVJP(perm, c)]
    case .slice(let start, let limit, let stride): return [sliceVJP(start, limit, stride, c)]
    case .concat(let axis): return concatVJP(axis, c)
    case .reduce(let k, let axes, let keepDims): return [try reduceVJP(k, axes, keepDims, c)]
    case .softmax(let axis, _): return [softmaxVJP(axis, c)]
    case .logSoftmax(let axis): return [logSoftmaxVJP(axis, c)]
    case .matmul(let ta, let tb): return matmulVJP(ta, tb, c)
    case .gather: return [try gatherVJP(c), nil]
    case .scatterAdd: return [c.builder.gather(c.cotangent, c.operands[1]), nil]
    case .takeAlongAxis(let axis): return [try takeAlongAxisVJP(axis, c), nil]
    case .allReduce(let k, let communicator): return [allReduceVJP(k, communicator, c)]
    case .custom(let op):
      return try op.op.vjp(c.builder, node: c.node, cotangent: c.cotangent)
    }
  }
}
