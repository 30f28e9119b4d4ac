import IR

/// A small deterministic generator (SplitMix64) so random tests are reproducible by seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64
  public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Random well-typed graphs over the core op set, for round-trip and pass-preservation tests.
///
/// Values stay finite under evaluation: functions with restricted domains (log, sqrt, rsqrt,
/// reciprocal, pow) get operands shifted into (0.5, 1.5) through a sigmoid, and exp gets a
/// tanh-bounded operand.
///
/// Parameters get random roles from a generator of their own, so the graphs that a seed gives
/// are the same as before roles existed.
public struct RandomGraphGenerator {
  public var rng: SeededGenerator
  var roles: SeededGenerator
  public init(seed: UInt64) {
    rng = SeededGenerator(seed: seed)
    roles = SeededGenerator(seed: ~seed)
  }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

  mutating func shape() -> [Int] { (0..<int(0...3)).map { _ in int(1...4) } }

  /// A graph with `steps` generation steps (each adds one to a few nodes).
  public mutating func makeGraph(name: String = "random", steps: Int = 12) -> Graph {
    let dtype: DType = chance(0.5) ? .f32 : .f64
    let b = GraphBuilder(name: name)
    var pool: [Value] = []
    for i in 0..<int(1...3) {
      let role: ParameterRole = Bool.random(using: &roles) ? .weight : .input
      pool.append(b.parameter("p\(i)", TensorType(dtype, shape()), role: role))
    }
    for _ in 0..<steps {
      let x = pool[int(0...(pool.count - 1))]
      if let v = step(b, x, pool: pool) { pool.append(v) }
    }
    var results: [(String, Value)] = [("out", pool.last!)]
    if chance(0.5), pool.count > 2 { results.append(("extra", pool[pool.count - 2])) }
    do {
      return try b.build(results: results)
    } catch {
      // The generator only makes well-typed calls; a failure here is a bug in the IR or in it.
      preconditionFailure("random graph generator produced an invalid graph: \(error)")
    }
  }

  /// Makes a value in (0.5, 1.5) from `x`.
  func positive(_ b: GraphBuilder, _ x: Value) -> Value {
    b.add(b.unary(.sigmoid, x), b.constant(0.5, like: x))
  }

  mutating func step(_ b: GraphBuilder, _ x: Value, pool: [Value]) -> Value? {
    let t = b.type(x)
    let sameShape = pool.filter { b.shape($0) == t.shape && $0 != x }
    switch int(0...15) {
    case 0:
      let safe: [UnaryOp] = [.neg, .tanh, .sigmoid, .relu, .silu, .gelu, .abs, .sin, .cos]
      return b.unary(safe[int(0...(safe.count - 1))], x)
    case 1:
      let restricted: [UnaryOp] = [.log, .sqrt, .rsqrt, .reciprocal]
      return b.unary(restricted[int(0...3)], positive(b, x))
    case 2:
      return b.unary(.exp, b.unary(.tanh, x))
    case 3:
      let kinds: [BinaryOp] = [.add, .sub, .mul, .max, .min]
      let y =
        sameShape.isEmpty
        ? b.constant(Double(int(1...4)) / 4, like: x) : sameShape[int(0...(sameShape.count - 1))]
      return b.binary(kinds[int(0...(kinds.count - 1))], x, y)
    case 4:
      let y = sameShape.isEmpty ? x : sameShape[0]
      return chance(0.5) ? b.div(x, positive(b, y)) : b.binary(.pow, positive(b, x), y)
    case 5:
      let y = sameShape.isEmpty ? b.constant(0.25, like: x) : sameShape[0]
      let kinds: [CompareOp] = [.greater, .less, .equal]
      return b.select(b.compare(kinds[int(0...2)], x, y), x, y)
    case 6:
      let other: DType = t.dtype == .f32 ? .f64 : .f32
      return b.cast(b.cast(x, to: other), to: t.dtype)
    case 7:
      guard t.rank > 0 else { return b.reshape(x, [1, 1]) }
      let axes = (0..<t.rank).filter { _ in chance(0.5) }
      let kinds: [ReduceOp] = [.sum, .mean, .max]
      return b.reduce(kinds[int(0...2)], x, axes: axes, keepDims: chance(0.5))
    case 8:
      guard t.rank > 0 else { return b.broadcast(x, to: [2, 3]) }
      return chance(0.5) ? b.softmax(x, axis: int(0...(t.rank - 1))) : b.logSoftmax(x, axis: -1)
    case 9:
      guard t.rank >= 2 else { return b.broadcast(x, to: [int(1...3)] + t.shape) }
      return b.matmul(x, x, transposeA: false, transposeB: true)
    case 10:
      guard t.rank >= 2 else { return b.reshape(x, [t.count]) }
      return b.transpose(x, Array((0..<t.rank).reversed()))
    case 11:
      return b.reshape(x, t.rank == 1 ? [t.count, 1] : [t.count])
    case 12:
      guard t.rank > 0 else { return b.mul(x, b.iota(axis: 0, TensorType(t.dtype, [2]))) }
      let axis = int(0...(t.rank - 1))
      var limit = t.shape
      limit[axis] = (t.shape[axis] + 1) / 2
      return b.slice(x, start: [Int](repeating: 0, count: t.rank), limit: limit)
    case 13:
      guard t.rank > 0 else { return b.neg(x) }
      return b.concat([x, x], axis: int(0...(t.rank - 1)))
    case 14:
      guard t.rank > 0 else { return b.add(x, x) }
      let ids = b.iota(axis: 0, TensorType(.i32, [min(t.shape[0], 2)]))
      return b.gather(x, ids)
    default:
      guard t.rank > 0 else { return b.mul(x, x) }
      let axis = int(0...(t.rank - 1))
      var shape = t.shape
      shape[axis] = 1
      let idx = b.constant(Double(t.shape[axis] - 1), TensorType(.i64, shape))
      return b.takeAlongAxis(x, idx, axis: axis)
    }
  }
}
