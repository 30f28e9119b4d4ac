import IR
import Passes
import Runtime

/// One thing a compiled graph does per node, in graph order.
enum Step: Sendable {
  /// Calls the JIT-compiled kernel `symbol` with these buffers (operands, then the result).
  case kernel(symbol: String, buffers: [BufferLocation], node: Int)
  /// A batched matrix product through Runtime's driver (`Gemm`).
  case gemm(GemmStep, node: Int)
  /// An `all_reduce` through the run's communicator (Runtime's `Communicator`): the operand is
  /// copied into the result's buffer, which is then reduced in place.
  case allReduce(AllReduceStep, node: Int)
  /// A custom op's host kernel.
  case custom(
    any JITLowerableCustomOp, operands: [BufferLocation], result: BufferLocation, node: Int)
  /// A failure known at compile time that the interpreter reports when it reaches the node
  /// (e.g. a constant that does not fit its integer type), raised when the run gets here.
  case fail(RuntimeError)
}

extension Step {
  /// The node the step computes (nil for a compile-time failure).
  var node: Int? {
    switch self {
    case .kernel(_, _, let node), .gemm(_, let node), .allReduce(_, let node),
      .custom(_, _, _, let node):
      node
    case .fail: nil
    }
  }
}

/// The sizes and buffers of one batched matrix product.
struct GemmStep: Sendable {
  var shape: GemmShape
  var a: BufferLocation
  var b: BufferLocation
  var c: BufferLocation
}

/// The buffers and reduction of one `all_reduce`.
struct AllReduceStep: Sendable {
  var reduction: CollectiveReduction
  var communicator: String
  var source: BufferLocation
  var result: BufferLocation
  var dtype: DType
  var count: Int
}

/// Turns each node of a verified graph into a step, emitting kernels into one module.
///
/// Kernels go to the emitters in turn (one module each, optimized and compiled in parallel).
struct Lowering {
  let graph: Graph
  let plan: MemoryPlan
  let emitters: [Emitter]
  let types: [Value: TensorType]

  init(graph: Graph, plan: MemoryPlan, emitters: [Emitter]) {
    self.graph = graph
    self.plan = plan
    self.emitters = emitters
    types = graph.valueTypes()
  }

  /// The steps of the whole graph.
  func lower() throws(CompileError) -> [Step] {
    var steps: [Step] = []
    var next = 0
    for index in graph.nodes.indices {
      let emitter = emitters[next % emitters.count]
      guard let step = try lower(index, emitter) else { continue }
      if case .kernel(let symbol, let buffers, _) = step {
        next += 1
        if emitter.kernelArity[symbol] != buffers.count {
          throw CompileError(
            "internal error: kernel \(symbol) takes \(emitter.kernelArity[symbol] ?? 0) buffers, "
              + "the plan gives \(buffers.count)", node: graph.nodes[index])
        }
      }
      steps.append(step)
    }
    return steps
  }

  /// The step for node `index` (nil for views and empty results).
  ///
  /// An exhaustive switch over `Op`: a new op does not compile until it is lowered here.
  func lower(_ index: Int, _ e: Emitter) throws(CompileError) -> Step? {
    let node = graph.nodes[index]
    let operands = node.operands.compactMap { types[$0] }
    let result = node.type
    let symbol = "node\(index)"
    func kernel() -> Step {
      .kernel(
        symbol: symbol,
        buffers: (node.operands + [node.result]).compactMap { plan.locations[$0] },
        node: index)
    }
    func failure(_ message: String) -> Step {
      .fail(RuntimeError(message, op: node.op.name, node: node.name, location: node.location))
    }
    func axis(_ a: Int, rank: Int) -> Int { a < 0 ? a + rank : a }

    // A result without elements needs no kernel (its checks have nothing to look at).
    if result.count == 0 {
      if case .custom = node.op {} else { return nil }
    }

    switch node.op {
    case .unary, .binary, .compare, .select, .cast:
      // One node alone (the `fuse` pass puts connected ones into regions).
      e.emitElementwise(
        symbol, node.op, operands: operands.map(\.dtype), result: result.dtype, count: result.count
      )
      return kernel()

    case .constant(let s):
      // The type rule admits only exact, in-range integers for integer dtypes.
      let value = result.dtype == .f32 ? Double(Float(s.value)) : s.value
      e.emitConstant(symbol, value: value, result)
      return kernel()

    case .iota(let a):
      e.emitIota(symbol, axis: axis(a, rank: result.rank), result)
      return kernel()

    case .broadcast(let shape):
      e.emitStridedCopyKernel(
        symbol, result.dtype, shape: shape,
        srcStrides: broadcastStrides(from: operands[0].shape, to: shape), srcOffset: 0)
      return kernel()

    case .reshape, .stopGradient:
      return nil  // a view: the memory plan gives it the operand's buffer

    case .transpose(let perm):
      let source = contiguousStrides(operands[0].shape)
      e.emitStridedCopyKernel(
        symbol, result.dtype, shape: result.shape, srcStrides: perm.map { source[$0] },
        srcOffset: 0)
      return kernel()

    case .slice(let start, _, let stride):
      let source = contiguousStrides(operands[0].shape)
      let offset = zip(start, source).reduce(0) { $0 + $1.0 * $1.1 }
      e.emitStridedCopyKernel(
        symbol, result.dtype, shape: result.shape,
        srcStrides: zip(source, stride).map { $0 * $1 }, srcOffset: offset)
      return kernel()

    case .concat(let a):
      e.emitConcat(symbol, operands, axis: axis(a, rank: result.rank), result: result)
      return kernel()

    case .reduce(let k, let axes, _):
      let x = operands[0]
      let normalized = Set(axes.map { axis($0, rank: x.rank) }).sorted()
      if x.count == 0 {
        if k == .max {
          return failure("reduce_max over zero elements (axes \(axes) of \(x)) has no value")
        }
        e.emitEmptyReduction(symbol, k, result: result)
      } else {
        e.emitReduction(symbol, k, input: x, axes: normalized)
      }
      return kernel()

    case .softmax(let a, _):
      e.emitSoftmax(symbol, result, axis: axis(a, rank: result.rank), log: false)
      return kernel()

    case .logSoftmax(let a):
      e.emitSoftmax(symbol, result, axis: axis(a, rank: result.rank), log: true)
      return kernel()

    case .matmul(let ta, let tb):
      let shape: GemmShape
      do {
        shape = try GemmShape(matmul: operands[0], operands[1], transposeA: ta, transposeB: tb)
      } catch {
        return failure(error.message)
      }
      guard let la = plan.locations[node.operands[0]], let lb = plan.locations[node.operands[1]],
        let lc = plan.locations[node.result]
      else { throw CompileError("memory plan has no buffer for a matmul operand", node: node) }
      return .gemm(GemmStep(shape: shape, a: la, b: lb, c: lc), node: index)

    case .gather:
      e.emitGather(symbol, table: operands[0], ids: operands[1])
      return kernel()

    case .scatterAdd(let rows):
      e.emitScatterAdd(symbol, updates: operands[0], ids: operands[1], rows: rows)
      return kernel()

    case .takeAlongAxis(let a):
      e.emitTakeAlongAxis(
        symbol, x: operands[0], indices: operands[1], axis: axis(a, rank: operands[0].rank))
      return kernel()

    case .allReduce(let reduction, let communicator):
      guard let source = plan.locations[node.operands[0]], let out = plan.locations[node.result]
      else { throw CompileError("memory plan has no buffer for an all_reduce", node: node) }
      return .allReduce(
        AllReduceStep(
          reduction: reduction, communicator: communicator, source: source, result: out,
          dtype: result.dtype, count: result.count), node: index)

    case .custom(let box):
      if let region = box.op as? FusedRegion {
        if result.count == 0 { return nil }
        try e.emitRegion(symbol, region.body, result: result, node: node)
        return kernel()
      }
      guard let op = box.op as? any JITLowerableCustomOp else {
        throw CompileError(
          "custom op '\(box.op.name)' cannot be compiled (conform it to JITLowerableCustomOp)",
          node: node)
      }
      guard let out = plan.locations[node.result] else {
        throw CompileError("memory plan has no buffer for the result", node: node)
      }
      return .custom(
        op, operands: node.operands.compactMap { plan.locations[$0] }, result: out, node: index)
    }
  }
}
