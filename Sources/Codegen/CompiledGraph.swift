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
    var state: [String: HostTensor] = [:]
    return try run(inputs, &state, communicators) { _ in true }
  }

  /// Runs on `inputs` and the parameters held in `state` (entries the graph does not take are
  /// left alone), writing each result `next_P` of parameter P's type, for P in `state`, into
  /// P's own storage: a training step allocates nothing for its weights and optimizer state
  /// and holds no second copy of them (see `MemoryPlan`). Those results are not returned; the
  /// others are, and `accept` sees them before anything is written: when it returns false or
  /// throws, `state` is unchanged.
  public func run(
    inputs: [String: HostTensor], updating state: inout [String: HostTensor],
    communicators: Communicators = .singleProcess,
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor] {
    var refusal: (any Error)? = nil
    let outputs = try run(inputs, &state, communicators) { outputs in
      do {
        return try accept(outputs)
      } catch {
        refusal = error
        return false
      }
    }
    if let refusal { throw refusal }
    return outputs
  }

  /// Both runs above: every updated parameter's buffer is written during the run, the state's
  /// own tensor when `state` holds it, else a copy of the input returned as its `next_` result.
  private func run(
    _ inputs: [String: HostTensor], _ state: inout [String: HostTensor],
    _ communicators: Communicators, accept: ([String: HostTensor]) -> Bool
  ) throws(RuntimeError) -> [String: HostTensor] {
    try Interpreter().checkInputs(graph, try graph.arguments(inputs, state: state))
    let updated = plan.updates.keys.sorted()
    // The state's tensors leave `state` for the run, so that each is uniquely referenced and
    // changes in place; they return to it whatever happens.
    var fromState: [Bool] = []
    var tensors: [HostTensor] = []
    for i in updated {
      let name = graph.parameters[i].name
      if let t = state.removeValue(forKey: name) {
        tensors.append(t)
        fromState.append(true)
      } else if let t = inputs[name] {
        tensors.append(t)
        fromState.append(false)
      } else {
        throw RuntimeError("missing input '\(name)'")
      }
    }
    defer {
      for (k, i) in updated.enumerated() where fromState[k] {
        state[graph.parameters[i].name] = tensors[k]
      }
    }
    let readOnly = graph.parameters.indices.filter { plan.updates[$0] == nil }
      .compactMap { inputs[graph.parameters[$0].name] ?? state[graph.parameters[$0].name] }
    var outputs: [String: HostTensor] = [:]
    var accepted = false
    try withArgumentPointers(readOnly[...], []) { reads throws(RuntimeError) in
      try withMutablePointers(&tensors, []) { writes throws(RuntimeError) in
        var r = reads.makeIterator()
        var w = writes.makeIterator()
        let arguments = graph.parameters.indices.map { i -> UnsafeRawPointer in
          plan.updates[i] == nil
            ? r.next() ?? UnsafeRawPointer(emptyBuffer) : UnsafeRawPointer(w.next() ?? emptyBuffer)
        }
        try execute(
          arguments, communicators,
          destinations: Dictionary(uniqueKeysWithValues: zip(updated, writes))
        ) { locate throws(RuntimeError) in
          outputs = try copyResults(skipping: Set(plan.updates.values), locate)
          accepted = accept(outputs)
          return accepted
        }
      }
    }
    if accepted {
      for (k, i) in updated.enumerated() where !fromState[k] {
        outputs["next_" + graph.parameters[i].name] = tensors[k]
      }
    }
    return outputs
  }

  /// Runs the graph on caller-owned buffers: `arguments[i]` holds parameter `i` and
  /// `results[j]` receives result `j` (row-major, i1 as one byte each), in signature order.
  ///
  /// No input is copied; each result is copied once into its buffer (an update `next_P` is
  /// first given P's elements and serves as P's buffer during the run, see `MemoryPlan`). The
  /// caller guarantees the buffers' sizes; only the counts are checked here. `all_reduce` nodes
  /// use `communicators`.
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
    var buffers = arguments
    var destinations: [Int: UnsafeMutableRawPointer] = [:]
    for (i, j) in plan.updates {
      if UnsafeRawPointer(results[j]) != arguments[i] {
        memcpy(results[j], arguments[i], resultBytes(j))
      }
      buffers[i] = UnsafeRawPointer(results[j])
      destinations[i] = results[j]
    }
    let updateResults = Set(plan.updates.values)
    try execute(buffers, communicators, destinations: destinations) { locate throws(RuntimeError) in
      for (j, r) in graph.results.enumerated() where !updateResults.contains(j) {
        guard let location = plan.locations[r.value] else {
          throw RuntimeError("result '\(r.name)' has no value")
        }
        memcpy(results[j], locate(location), resultBytes(j))
      }
      return true
    }
  }

  func resultBytes(_ j: Int) -> Int { resultTypes[j].count * resultTypes[j].dtype.byteSize }

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

  /// Copies the update results `due` into their parameters' buffers (`destinations`). A result
  /// that lives in another updated parameter's buffer (a graph passing one parameter on as
  /// another's next value) is saved before anything is written.
  private func write(
    _ due: ArraySlice<MemoryPlan.WriteBack>, _ destinations: [Int: UnsafeMutableRawPointer],
    _ locate: (BufferLocation) -> UnsafeRawPointer
  ) throws(RuntimeError) {
    var direct: [(destination: UnsafeMutableRawPointer, source: UnsafeRawPointer, bytes: Int)] = []
    var staged: [(destination: UnsafeMutableRawPointer, bytes: [UInt8])] = []
    for w in due {
      guard let destination = destinations[w.parameter],
        let location = plan.locations[graph.results[w.result].value]
      else { throw RuntimeError("result '\(graph.results[w.result].name)' has no buffer") }
      let source = locate(location)
      if case .argument(let k) = location, k != w.parameter, destinations[k] != nil {
        staged.append(
          (destination, Array(UnsafeRawBufferPointer(start: source, count: resultBytes(w.result)))))
      } else if source != UnsafeRawPointer(destination) {
        direct.append((destination, source, resultBytes(w.result)))
      }
    }
    copyInPieces(direct)
    for c in staged {
      c.bytes.withUnsafeBytes { b in
        if let base = b.baseAddress { memcpy(c.destination, base, b.count) }
      }
    }
  }

  /// The copies, cut into 1 MiB pieces shared by the pool's threads (a training step's
  /// write-backs move its weights and optimizer state: one thread's memcpy leaves bandwidth
  /// unused).
  private func copyInPieces(
    _ copies: [(destination: UnsafeMutableRawPointer, source: UnsafeRawPointer, bytes: Int)]
  ) {
    let piece = 1 << 20
    var pieces: [(destination: UnsafeMutableRawPointer, source: UnsafeRawPointer, bytes: Int)] =
      []
    for c in copies {
      for start in stride(from: 0, to: c.bytes, by: piece) {
        pieces.append((c.destination + start, c.source + start, min(piece, c.bytes - start)))
      }
    }
    pool.run(tasks: pieces.count) { i in
      memcpy(pieces[i].destination, pieces[i].source, pieces[i].bytes)
    }
  }

  /// Runs every step with a fresh arena. Once every result that is not an update is computed
  /// (`MemoryPlan.acceptAfter`), `accept` is called with a way to find any buffer: when it
  /// returns false the run stops there; else each update is written into its parameter's
  /// buffer in `destinations` when the plan says (`MemoryPlan.writeBacks`).
  private func execute(
    _ arguments: [UnsafeRawPointer], _ communicators: Communicators,
    destinations: [Int: UnsafeMutableRawPointer],
    accept: ((BufferLocation) -> UnsafeRawPointer) throws(RuntimeError) -> Bool
  ) throws(RuntimeError) {
    let arena = arenas.take()
    defer { arenas.give(arena) }
    func pointer(_ l: BufferLocation) -> UnsafeMutableRawPointer {
      switch l {
      case .argument(let i): UnsafeMutableRawPointer(mutating: arguments[i])
      case .arena(let offset): arena + offset
      }
    }
    var accepted: Bool? = nil
    var nextWriteBack = plan.writeBacks.startIndex
    // The accept point and the write-backs due before the step of `node` (nil: after the last
    // step); false once the run is refused.
    func fire(before node: Int?) throws(RuntimeError) -> Bool {
      func due(_ after: Int) -> Bool { node.map { after < $0 } ?? true }
      if accepted == nil, due(plan.acceptAfter) {
        accepted = try accept { UnsafeRawPointer(pointer($0)) }
      }
      guard let accepted else { return true }
      guard accepted else { return false }
      let first = nextWriteBack
      while nextWriteBack < plan.writeBacks.endIndex, due(plan.writeBacks[nextWriteBack].after) {
        nextWriteBack += 1
      }
      if first < nextWriteBack {
        try write(plan.writeBacks[first..<nextWriteBack], destinations) {
          UnsafeRawPointer(pointer($0))
        }
      }
      return true
    }
    var status: [Int64] = [0, 0]
    let clock = ContinuousClock()
    for (stepIndex, resolved) in steps.enumerated() {
      if let node = resolved.step.node {
        guard try fire(before: node) else { break }
      }
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
    _ = try fire(before: nil)
  }
}
