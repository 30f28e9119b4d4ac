import Foundation
import IR

/// The reference interpreter: runs any verified graph on host tensors, one kernel per node.
///
/// Obviously correct first (it is the oracle for passes and the JIT): kernels follow the algebra
/// in `IR/Ops/*`, matmul goes through OpenBLAS, large elementwise ops and softmax lines are
/// split across cores. Each intermediate tensor is released after its last use.
public struct Interpreter: Sendable {
  /// When set, the time of every node is added to it, by op name.
  public var profile: InterpreterProfile?
  /// No kernel makes a tensor larger than this (checked before it allocates).
  public var memoryLimit: MemoryLimit
  /// The communicators `all_reduce` nodes name (default: `world` is this one process).
  public var communicators: Communicators

  public init(
    profile: InterpreterProfile? = nil, memoryLimit: MemoryLimit = .processDefault,
    communicators: Communicators = .singleProcess
  ) {
    self.profile = profile
    self.memoryLimit = memoryLimit
    self.communicators = communicators
  }

  /// Runs `graph` on `inputs` (parameter name → tensor) and returns result name → tensor.
  ///
  /// Verifies the graph, checks the inputs against its signature (missing, unexpected, wrong
  /// dtype or shape), then runs the nodes in order, each only if its result fits `memoryLimit`.
  /// Kernel failures (integer division by zero, out-of-range index, unrepresentable cast) name
  /// the node, its op and its source location.
  public func run(_ graph: Graph, inputs: [String: HostTensor]) throws(RuntimeError)
    -> [String: HostTensor]
  {
    do {
      try verify(graph)
    } catch {
      throw RuntimeError("graph @\(graph.name) does not verify:\n\(error)")
    }
    try checkInputs(graph, inputs)

    // Last use of each value: the index of the last node reading it (results are kept).
    var lastUse: [Value: Int] = [:]
    for (i, node) in graph.nodes.enumerated() {
      for o in node.operands { lastUse[o] = i }
    }
    let kept = Set(graph.results.map(\.value))

    var env: [Value: HostTensor] = [:]
    for p in graph.parameters { env[p.value] = inputs[p.name] }
    for (i, node) in graph.nodes.enumerated() {
      var operands: [HostTensor] = []
      operands.reserveCapacity(node.operands.count)
      for o in node.operands {
        guard let t = env[o] else {
          throw RuntimeError("operand \(o) has no value", op: node.op.name, node: node.name)
        }
        operands.append(t)
      }
      // Drop the environment's reference to operands read for the last time; `operands` keeps
      // them alive only until this node's kernel returns.
      for o in node.operands where lastUse[o] == i && !kept.contains(o) { env[o] = nil }
      do {
        try memoryLimit.check(node.type, for: "the result")
      } catch {
        throw RuntimeError(
          error.message, op: node.op.name, node: node.name, location: node.location)
      }
      let result: HostTensor
      let started = profile == nil ? nil : ContinuousClock.now
      defer {
        if let started, let profile { profile.add(node.op.name, ContinuousClock.now - started) }
      }
      do {
        result = try evaluate(node, operands)
      } catch {
        throw RuntimeError(
          error.message, op: node.op.name, node: node.name, location: node.location)
      }
      guard result.type == node.type else {
        throw RuntimeError(
          "kernel produced \(result.type), the node declares \(node.type)", op: node.op.name,
          node: node.name, location: node.location)
      }
      if lastUse[node.result] != nil || kept.contains(node.result) { env[node.result] = result }
    }

    var outputs: [String: HostTensor] = [:]
    for r in graph.results {
      guard let t = env[r.value] else { throw RuntimeError("result '\(r.name)' has no value") }
      outputs[r.name] = t
    }
    return outputs
  }

  /// Every parameter has an input of exactly its type, and every input names a parameter.
  /// Public so that other backends (the JIT) check signatures with the same rules and texts.
  public func checkInputs(_ graph: Graph, _ inputs: [String: HostTensor]) throws(RuntimeError) {
    let names = graph.parameters.map(\.name)
    for p in graph.parameters {
      guard let t = inputs[p.name] else {
        throw RuntimeError(
          "missing input '\(p.name)' (expected \(p.type)) for graph @\(graph.name)")
      }
      guard t.type == p.type else {
        let what = t.dtype != p.type.dtype ? "dtype" : "shape"
        throw RuntimeError(
          "input '\(p.name)' has the wrong \(what): expected \(p.type), got \(t.type)")
      }
    }
    for name in inputs.keys.sorted() where !names.contains(name) {
      throw RuntimeError(
        "unexpected input '\(name)': graph @\(graph.name) has parameters "
          + (names.isEmpty ? "none" : names.map { "'\($0)'" }.joined(separator: ", ")))
    }
  }

  /// One node's kernel: the exhaustive dispatch over `Op`.
  func evaluate(_ node: Node, _ x: [HostTensor]) throws(KernelError) -> HostTensor {
    switch node.op {
    case .unary(let k): return try unaryKernel(k, x[0])
    case .binary(let k): return try binaryKernel(k, x[0], x[1])
    case .compare(let k): return try compareKernel(k, x[0], x[1])
    case .select: return try selectKernel(x[0], x[1], x[2])
    case .cast: return try castTensor(x[0], to: node.type.dtype)
    case .stopGradient: return x[0]
    case .constant(let s): return try constantKernel(s.value, node.type)
    case .iota(let axis): return try iotaKernel(axis: axis, node.type)
    case .broadcast(let shape): return try broadcastKernel(x[0], to: shape)
    case .reshape(let shape): return try reshapeKernel(x[0], to: shape)
    case .transpose(let perm): return try transposeKernel(x[0], perm: perm)
    case .slice(let start, let limit, let stride):
      return try sliceKernel(x[0], start: start, limit: limit, stride: stride)
    case .concat(let axis): return try concatKernel(x, axis: axis)
    case .reduce(let k, let axes, let keepDims):
      return try reduceKernel(k, x[0], axes: axes, keepDims: keepDims)
    case .softmax(let axis, _): return try softmaxKernel(x[0], axis: axis, log: false)
    case .logSoftmax(let axis): return try softmaxKernel(x[0], axis: axis, log: true)
    case .matmul(let ta, let tb):
      return try matmulKernel(x[0], x[1], transposeA: ta, transposeB: tb)
    case .gather: return try gatherKernel(x[0], x[1])
    case .scatterAdd(let rows): return try scatterAddKernel(x[0], x[1], rows: rows)
    case .takeAlongAxis(let axis): return try takeAlongAxisKernel(x[0], x[1], axis: axis)
    case .allReduce(let k, let name):
      return try allReduceKernel(x[0], k, communicator: name, communicators)
    case .custom(let box): return try customKernel(box, x, node.type)
    }
  }
}

/// Time spent per op name across interpreter runs (for `--profile`-style reports).
public final class InterpreterProfile: @unchecked Sendable {
  private var totals: [String: (time: Duration, count: Int)] = [:]
  private let lock = NSLock()

  public init() {}

  func add(_ op: String, _ time: Duration) {
    lock.lock()
    defer { lock.unlock() }
    let old = totals[op] ?? (.zero, 0)
    totals[op] = (old.time + time, old.count + 1)
  }

  /// (op, total seconds, calls), most expensive first.
  public var entries: [(op: String, seconds: Double, calls: Int)] {
    lock.lock()
    defer { lock.unlock() }
    return totals.map { op, value in
      (
        op,
        value.time.inSeconds,
        value.count
      )
    }.sorted { $0.seconds > $1.seconds }
  }
}
