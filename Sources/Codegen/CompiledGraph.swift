import Foundation
import IR
import Passes
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// A graph compiled to machine code: run it many times with `run(inputs:)` or, without copies
/// of the inputs, with `run(arguments:results:)`.
///
/// Immutable and `Sendable`: each run allocates its own arena, so concurrent runs are safe.
public final class CompiledGraph: Sendable {
  /// The graph that was compiled.
  public let graph: Graph
  /// The LLVM IR, when `JITOptions.keepIR` asked for it.
  public let llvmIR: LLVMIRText?
  /// Sizes and timing of the compilation.
  public let statistics: CompileStatistics
  let session: JITSession?
  let steps: [ResolvedStep]
  let plan: MemoryPlan
  let arenas: ArenaPool
  /// The threads runs use.
  let pool: ThreadPool
  /// Per-step clocks when `JITOptions.profile` is set.
  let profiler: StepProfiler?
  let options: JITOptions
  /// Each result's type, in signature order.
  let resultTypes: [TensorType]

  init(
    graph: Graph, llvmIR: LLVMIRText?, statistics: CompileStatistics, session: JITSession?,
    steps: [ResolvedStep], plan: MemoryPlan, options: JITOptions, arenas: ArenaPool? = nil
  ) {
    self.graph = graph
    self.llvmIR = llvmIR
    self.statistics = statistics
    self.session = session
    self.steps = steps
    self.plan = plan
    self.options = options
    self.arenas = arenas ?? ArenaPool(size: max(plan.arenaSize, MemoryPlan.alignment))
    pool = ThreadPool.shared(threads: options.threads)
    profiler = options.profile ? StepProfiler(steps: steps.count) : nil
    let types = graph.valueTypes()
    resultTypes = graph.results.map { types[$0.value] ?? .scalar(.f32) }
  }

  /// The same machine code for `graph`, which prints identically to this one's graph (a cache
  /// hit): errors then name `graph`'s source locations, which printing leaves out. Runs of
  /// both share one arena pool.
  func reused(for graph: Graph, statistics: CompileStatistics, options: JITOptions)
    -> CompiledGraph
  {
    let steps = self.steps.map { resolved -> ResolvedStep in
      guard case .fail(var error) = resolved.step, let name = error.node,
        let node = graph.nodes.first(where: { $0.name == name })
      else { return resolved }
      error.location = node.location
      return ResolvedStep(step: .fail(error), function: nil, extent: 1)
    }
    return CompiledGraph(
      graph: graph, llvmIR: llvmIR, statistics: statistics, session: session, steps: steps,
      plan: plan, options: options, arenas: arenas)
  }

  /// Runs the graph on `inputs` (parameter name → tensor) and returns result name → tensor.
  ///
  /// Checks the inputs against the signature with the interpreter's rules and messages
  /// (missing, unexpected, wrong dtype or shape); kernel failures (integer division by zero,
  /// out-of-range index, unrepresentable cast) name the node, op and source location as the
  /// interpreter does. `all_reduce` nodes use `communicators`.
  public func run(
    inputs: [String: HostTensor], communicators: Communicators = .singleProcess
  ) throws(RuntimeError) -> [String: HostTensor] {
    try Interpreter().checkInputs(graph, inputs)
    let tensors = graph.parameters.compactMap { inputs[$0.name] }
    return try withArgumentPointers(tensors[...], []) { arguments throws(RuntimeError) in
      try execute(arguments, communicators) { locate throws(RuntimeError) in
        try copyResults(skipping: [], locate)
      }
    }
  }

  /// Runs on `inputs` and the parameters held in `state` (entries the graph does not take are
  /// left alone), writing each result `next_P` of parameter P's type, for P in `state`, into
  /// P's own storage after the last kernel: a training step allocates nothing for its weights
  /// and optimizer state and holds no second copy of them. Those results are not returned; the
  /// others are, and `accept` sees them before anything is written: when it returns false or
  /// throws, `state` is unchanged.
  public func run(
    inputs: [String: HostTensor], updating state: inout [String: HostTensor],
    communicators: Communicators = .singleProcess,
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor] {
    let updates = graph.stateUpdates(state)
    try Interpreter().checkInputs(graph, try graph.arguments(inputs, state: state))
    // The updated tensors leave `state` for the run, so that each is uniquely referenced and
    // changes in place; they return to it whatever happens.
    let updatedIndices = graph.parameters.indices.filter { updates[graph.parameters[$0].name] != nil }
    var updated = updatedIndices.map { state.removeValue(forKey: graph.parameters[$0].name)! }
    defer {
      for (i, tensor) in zip(updatedIndices, updated) { state[graph.parameters[i].name] = tensor }
    }
    let readOnly = graph.parameters.indices.filter { updates[graph.parameters[$0].name] == nil }
      .compactMap { inputs[graph.parameters[$0].name] ?? state[graph.parameters[$0].name] }
    let skipped = Set(updates.values)
    var acceptError: (any Error)? = nil
    let outputs = try withArgumentPointers(readOnly[...], []) { readPointers throws(RuntimeError) in
      try withMutablePointers(&updated, []) { writePointers throws(RuntimeError) in
        var reads = readPointers.makeIterator()
        var writes = writePointers.makeIterator()
        let arguments = graph.parameters.map { p -> UnsafeRawPointer in
          updates[p.name] == nil ? reads.next()! : UnsafeRawPointer(writes.next()!)
        }
        return try execute(arguments, communicators) { locate throws(RuntimeError) in
          let outputs = try copyResults(skipping: skipped, locate)
          do {
            guard try accept(outputs) else { return outputs }
          } catch {
            acceptError = error
            return outputs
          }
          try writeBack(updates, updatedIndices, writePointers, locate)
          return outputs
        }
      }
    }
    if let acceptError { throw acceptError }
    return outputs
  }

  /// Copies each updated parameter's `next_` result (`updates`: name → result index) into the
  /// parameter's buffer (`destinations`, in the order of `indices`). A result that lives in
  /// another updated parameter's buffer (a graph passing one parameter on as another's next
  /// value) is saved before anything is written.
  private func writeBack(
    _ updates: [String: Int], _ indices: [Int], _ destinations: [UnsafeMutableRawPointer],
    _ locate: (BufferLocation) -> UnsafeRawPointer
  ) throws(RuntimeError) {
    var direct: [(destination: UnsafeMutableRawPointer, source: UnsafeRawPointer, bytes: Int)] = []
    var staged: [(destination: UnsafeMutableRawPointer, bytes: [UInt8])] = []
    for (i, destination) in zip(indices, destinations) {
      let name = graph.parameters[i].name
      guard let j = updates[name], let location = plan.locations[graph.results[j].value] else {
        throw RuntimeError("result 'next_\(name)' has no value")
      }
      let bytes = resultTypes[j].count * resultTypes[j].dtype.byteSize
      let source = locate(location)
      if case .argument(let k) = location, k != i, updates[graph.parameters[k].name] != nil {
        staged.append((destination, Array(UnsafeRawBufferPointer(start: source, count: bytes))))
      } else if source != UnsafeRawPointer(destination) {
        direct.append((destination, source, bytes))
      }
    }
    for c in direct { memcpy(c.destination, c.source, c.bytes) }
    for c in staged {
      c.bytes.withUnsafeBytes { b in
        if let base = b.baseAddress { memcpy(c.destination, base, b.count) }
      }
    }
  }

  /// The results not in `skipping` (indices), copied out of the run's buffers.
  private func copyResults(
    skipping: Set<Int>, _ locate: (BufferLocation) -> UnsafeRawPointer
  ) throws(RuntimeError) -> [String: HostTensor] {
    var outputs: [String: HostTensor] = [:]
    for (j, r) in graph.results.enumerated() where !skipping.contains(j) {
      guard let location = plan.locations[r.value] else {
        throw RuntimeError("result '\(r.name)' has no value")
      }
      outputs[r.name] = try HostTensor(resultTypes[j], copying: locate(location))
    }
    return outputs
  }

  /// Runs the graph on caller-owned buffers: `arguments[i]` holds parameter `i` and
  /// `results[j]` receives result `j` (row-major, i1 as one byte each), in signature order.
  ///
  /// No input is copied; each result is copied once into its buffer. The caller guarantees
  /// the buffers' sizes; only the counts are checked here. `all_reduce` nodes use
  /// `communicators`.
  public func run(
    arguments: [UnsafeRawPointer], results: [UnsafeMutableRawPointer],
    communicators: Communicators = .singleProcess
  ) throws(RuntimeError) {
    guard arguments.count == graph.parameters.count else {
      throw RuntimeError(
        "graph @\(graph.name) takes \(graph.parameters.count) arguments, got \(arguments.count)")
    }
    guard results.count == graph.results.count else {
      throw RuntimeError(
        "graph @\(graph.name) has \(graph.results.count) results, got \(results.count) buffers")
    }
    try execute(arguments, communicators) { locate throws(RuntimeError) in
      for (j, (r, destination)) in zip(graph.results, results).enumerated() {
        guard let location = plan.locations[r.value] else {
          throw RuntimeError("result '\(r.name)' has no value")
        }
        memcpy(destination, locate(location), resultTypes[j].count * resultTypes[j].dtype.byteSize)
      }
    }
  }

  /// Runs every step with a fresh arena, then hands `finish` a way to find any buffer.
  private func execute<R>(
    _ arguments: [UnsafeRawPointer], _ communicators: Communicators,
    _ finish: ((BufferLocation) -> UnsafeRawPointer) throws(RuntimeError) -> R
  ) throws(RuntimeError) -> R {
    let arena = arenas.take()
    defer { arenas.give(arena) }
    func pointer(_ l: BufferLocation) -> UnsafeMutableRawPointer {
      switch l {
      case .argument(let i): UnsafeMutableRawPointer(mutating: arguments[i])
      case .arena(let offset): arena + offset
      }
    }
    var status: [Int64] = [0, 0]
    let clock = ContinuousClock()
    for (stepIndex, resolved) in steps.enumerated() {
      let started = profiler == nil ? nil : clock.now
      defer {
        if let started, let profiler { profiler.add(stepIndex, clock.now - started) }
      }
      switch resolved.step {
      case .kernel(_, let buffers, let index):
        guard let function = resolved.function else { continue }
        var pointers: [UnsafeMutableRawPointer?] = buffers.map(pointer)
        let code = status.withUnsafeMutableBufferPointer { s in
          pointers.withUnsafeMutableBufferPointer { p in
            runKernel(function, p.baseAddress, s, extent: resolved.extent)
          }
        }
        if code != 0 {
          let node = graph.nodes[index]
          throw RuntimeError(
            failureMessage(node, code: code, position: status[0], value: status[1]),
            op: node.op.name, node: node.name, location: node.location)
        }
      case .gemm(let g, _):
        Gemm.run(
          g.shape, a: pointer(g.a), b: pointer(g.b), c: pointer(g.c), pool: pool,
          split: options.splitMatmuls)
      case .allReduce(let s, let index):
        let bytes = s.count * s.dtype.byteSize
        let out = pointer(s.result)
        memcpy(out, pointer(s.source), bytes)
        do {
          try communicators.named(s.communicator).allReduce(
            UnsafeMutableRawBufferPointer(start: out, count: bytes), dtype: s.dtype,
            reduction: s.reduction)
        } catch {
          let node = graph.nodes[index]
          throw RuntimeError(
            error.message, op: node.op.name, node: node.name, location: node.location)
        }
      case .custom(let op, let operands, let result, let index):
        let node = graph.nodes[index]
        let types = graph.valueTypes()
        let operandTypes = node.operands.compactMap { types[$0] }
        let buffers = zip(operands, operandTypes).map { l, t in
          UnsafeRawBufferPointer(start: pointer(l), count: t.count * t.dtype.byteSize)
        }
        let out = UnsafeMutableRawBufferPointer(
          start: pointer(result), count: node.type.count * node.type.dtype.byteSize)
        do {
          try op.execute(
            operands: buffers, operandTypes: operandTypes, result: out, resultType: node.type)
        } catch {
          let message =
            (error as? RuntimeError)?.message ?? "custom op '\(op.name)' failed: \(error)"
          throw RuntimeError(message, op: node.op.name, node: node.name, location: node.location)
        }
      case .fail(let error):
        throw error
      }
    }
    return try finish { UnsafeRawPointer(pointer($0)) }
  }
}
