extension Op {
  /// The type rule: the result type from the operand types. `annotated` is the declared result
  /// type, needed by the ops whose result cannot be inferred (`constant`, `iota`, `cast`) and
  /// ignored by the others (the verifier compares it with the inferred type).
  public func resultType(operands: [TensorType], annotated: TensorType? = nil) throws(TypeError)
    -> TensorType
  {
    switch self {
    case .unary(let k): return try unaryType(k, operands)
    case .binary(let k): return try binaryType(k, operands)
    case .compare(let k): return try compareType(k, operands)
    case .select: return try selectType(operands)
    case .cast: return try castType(operands, annotated)
    case .stopGradient:
      try expectArity(operands, 1)
      return operands[0]
    case .constant(let value): return try constantType(value, operands, annotated)
    case .iota(let axis): return try iotaType(axis, operands, annotated)
    case .broadcast(let shape): return try broadcastType(shape, operands)
    case .reshape(let shape): return try reshapeType(shape, operands)
    case .transpose(let perm): return try transposeType(perm, operands)
    case .slice(let start, let limit, let stride):
      return try sliceType(start, limit, stride, operands)
    case .concat(let axis): return try concatType(axis, operands)
    case .reduce(let k, let axes, let keepDims): return try reduceType(k, axes, keepDims, operands)
    case .softmax(let axis, let attention):
      return try softmaxType(axis, attention: attention, operands)
    case .logSoftmax(let axis): return try softmaxType(axis, operands)
    case .matmul(let ta, let tb): return try matmulType(ta, tb, operands)
    case .gather: return try gatherType(operands)
    case .scatterAdd(let rows): return try scatterAddType(rows, operands)
    case .takeAlongAxis(let axis): return try takeAlongAxisType(axis, operands)
    case .allReduce(_, let communicator): return try allReduceType(communicator, operands)
    case .custom(let c): return try c.op.resultType(operands: operands)
    }
  }
}

/// Checks the operand count.
func expectArity(_ operands: [TensorType], _ n: Int) throws(TypeError) {
  if operands.count != n {
    throw TypeError("expects \(n) operand\(n == 1 ? "" : "s"), got \(operands.count)")
  }
}

/// Maps a possibly negative axis into `0..<rank`.
public func normalizeAxis(_ axis: Int, rank: Int) throws(TypeError) -> Int {
  let a = axis < 0 ? axis + rank : axis
  guard a >= 0, a < rank else { throw TypeError("axis \(axis) is out of range for rank \(rank)") }
  return a
}

/// Normalizes a list of axes; each must be in range and appear once. Result is sorted.
public func normalizeAxes(_ axes: [Int], rank: Int) throws(TypeError) -> [Int] {
  var seen = Set<Int>()
  for axis in axes {
    let a = try normalizeAxis(axis, rank: rank)
    guard seen.insert(a).inserted else { throw TypeError("axis \(axis) appears twice") }
  }
  return seen.sorted()
}

func requireFloat(_ t: TensorType, _ what: String = "operand") throws(TypeError) {
  guard t.dtype.isFloat else { throw TypeError("\(what) must be f32 or f64, got \(t)") }
}

func requireNumeric(_ t: TensorType, _ what: String = "operand") throws(TypeError) {
  guard !t.dtype.isBool else { throw TypeError("\(what) must be a number type, got \(t)") }
}
