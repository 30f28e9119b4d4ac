import Foundation
import IR
import Passes
import Runtime

#if canImport(Glibc)
  import Glibc
#endif

/// A kernel's entry point: `i32 (i8** buffers, i64* status, i64 begin, i64 end)`.
typealias KernelFunction =
  @convention(c) (
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int64>?, Int64, Int64
  ) -> Int32

/// A step with its kernel's machine-code address resolved.
///
/// `@unchecked Sendable`: the function pointer refers to immutable JIT-compiled code that lives
/// as long as the owning `CompiledGraph`'s `JITSession`.
struct ResolvedStep: @unchecked Sendable {
  var step: Step
  var function: KernelFunction?
  /// The kernel's parallel extent (1: one call does everything).
  var extent: Int = 1
}

/// LLVM IR of a compiled graph's module, as text.
public struct LLVMIRText: Sendable, Hashable {
  /// The module as lowered, before any LLVM pass.
  public var unoptimized: String
  /// The module after the optimization pipeline (what code generation compiles).
  public var optimized: String
}

/// Facts about one compilation.
public struct CompileStatistics: Sendable {
  /// Generated kernels (one per node that is not a view, a BLAS call or a custom op).
  public var kernels: Int
  /// Bytes of arena one run allocates (the static memory plan).
  public var arenaBytes: Int
  /// Bytes the intermediate tensors would take without buffer reuse.
  public var unplannedBytes: Int
  /// Bytes of machine code (the object file).
  public var objectBytes: Int
  /// Wall-clock compile time (zero for a hit in the in-memory cache).
  public var duration: Duration
  /// Where the machine code came from.
  public var source: Source
  /// Wall-clock time of each compile phase in order: verify+fuse, lowering to LLVM IR,
  /// LLVM optimization and code generation, loading into the JIT.
  public var phases: [(name: String, duration: Duration)] = []

  /// Where a compiled graph's code came from.
  public enum Source: Sendable, Hashable {
    case compiled, memoryCache, diskCache
  }
}

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
  private let arenas: ArenaPool
  /// The threads runs use.
  let pool: ThreadPool
  /// Per-step clocks when `JITOptions.profile` is set.
  let profiler: StepProfiler?
  let options: JITOptions

  init(
    graph: Graph, llvmIR: LLVMIRText?, statistics: CompileStatistics, session: JITSession?,
    steps: [ResolvedStep], plan: MemoryPlan, options: JITOptions
  ) {
    self.graph = graph
    self.llvmIR = llvmIR
    self.statistics = statistics
    self.session = session
    self.steps = steps
    self.plan = plan
    self.options = options
    arenas = ArenaPool(size: max(plan.arenaSize, MemoryPlan.alignment))
    pool = ThreadPool.shared(threads: options.threads)
    profiler = options.profile ? StepProfiler(steps: steps.count) : nil
  }

  /// Time spent in each step kind since compilation (empty unless `JITOptions.profile`),
  /// largest first: `label` is the op name (`gemm[batched]` for batched matrix products).
  public func profile() -> [StepTiming] {
    guard let profiler else { return [] }
    var byLabel: [String: StepTiming] = [:]
    for (i, t) in profiler.snapshot().enumerated() where t.calls > 0 {
      let label = stepLabel(steps[i].step)
      var entry = byLabel[label] ?? StepTiming(label: label, seconds: 0, calls: 0)
      entry.seconds += t.seconds
      entry.calls += t.calls
      byLabel[label] = entry
    }
    return byLabel.values.sorted { $0.seconds > $1.seconds }
  }

  private func stepLabel(_ step: Step) -> String {
    switch step {
    case .kernel(_, _, let node):
      let n = graph.nodes[node]
      if case .custom(let box) = n.op, let region = box.op as? FusedRegion {
        // The region's root op and size: `fused(sub)[7.4M]`.
        let root = region.body.nodes.last?.op.name ?? "?"
        let count = n.type.count
        let size = count >= 1_000_000 ? "\(count / 1_000_000)M" : "\(count / 1000)K"
        return "fused(\(root))[\(size)]"
      }
      if fusedRoots.contains(node) { return "fused " + n.op.name }
      return n.op.name
    case .gemm(let g, _):
      let shape = "\(g.shape.m)x\(g.shape.k)x\(g.shape.n)"
      return g.shape.batch > 1 ? "matmul[\(g.shape.batch)×\(shape)]" : "matmul[\(shape)]"
    case .custom(let op, _, _, _): return "custom " + op.name
    case .allReduce(let s, _): return "all_reduce[\(s.reduction.rawValue)]"
    case .fail: return "fail"
    }
  }

  /// Nodes whose kernels evaluate other nodes in registers.
  private var fusedRoots: Set<Int> {
    let fusion = ElementwiseFusion(graph, enabled: options.fuseElementwise)
    var out: Set<Int> = []
    for (i, reads) in fusion.reads.enumerated() where reads != graph.nodes[i].operands {
      out.insert(i)
    }
    return out
  }

  /// The same machine code for `graph`, which prints identically to this one's graph (a cache
  /// hit): errors then name `graph`'s source locations, which printing leaves out.
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
      plan: plan, options: options)
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
        var outputs: [String: HostTensor] = [:]
        for r in graph.results {
          guard let type = graph.valueTypes()[r.value], let location = plan.locations[r.value]
          else { throw RuntimeError("result '\(r.name)' has no value") }
          outputs[r.name] = try HostTensor(type, copying: locate(location))
        }
        return outputs
      }
    }
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
    let types = graph.valueTypes()
    try execute(arguments, communicators) { locate throws(RuntimeError) in
      for (r, destination) in zip(graph.results, results) {
        guard let type = types[r.value], let location = plan.locations[r.value] else {
          throw RuntimeError("result '\(r.name)' has no value")
        }
        memcpy(destination, locate(location), type.count * type.dtype.byteSize)
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

  /// Calls `function` over its extent: in one call, or split into tasks on the pool (each
  /// with its own status record; the failure of the earliest failing task is reported).
  private func runKernel(
    _ function: KernelFunction, _ buffers: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ status: UnsafeMutableBufferPointer<Int64>, extent: Int
  ) -> Int32 {
    let tasks = min(extent, pool.size * 4)
    if tasks <= 1 || pool.size == 1 {
      return function(buffers, status.baseAddress, 0, Int64(extent))
    }
    var codes = [Int32](repeating: 0, count: tasks)
    var records = [Int64](repeating: 0, count: 2 * tasks)
    codes.withUnsafeMutableBufferPointer { c in
      records.withUnsafeMutableBufferPointer { r in
        let (cp, rp) = (c, r)
        pool.run(tasks: tasks) { t in
          let begin = Int64(extent * t / tasks)
          let end = Int64(extent * (t + 1) / tasks)
          cp[t] = function(buffers, rp.baseAddress.map { $0 + 2 * t }, begin, end)
        }
      }
    }
    guard let failed = codes.firstIndex(where: { $0 != 0 }) else { return 0 }
    status[0] = records[2 * failed]
    status[1] = records[2 * failed + 1]
    return codes[failed]
  }

  /// The interpreter's message for a kernel failure reported through the status record.
  private func failureMessage(_ node: Node, code: Int32, position: Int64, value: Int64) -> String {
    let types = graph.valueTypes()
    let operands = node.operands.compactMap { types[$0] }
    switch FailureCode(rawValue: code) {
    case .divisionByZero:
      return "integer division by zero at element \(position) (dividend \(value))"
    case .unrepresentableCast:
      let x = Double(bitPattern: UInt64(bitPattern: value))
      let shown = operands.first?.dtype == .f32 ? "\(Float(x))" : "\(x)"
      return "cannot cast \(shown) to \(node.type.dtype): not a finite value in its range"
    case .indexOutOfRange:
      let p = Int(position)
      switch node.op {
      case .gather:
        let rows = operands[0].shape.first ?? 0
        return "index \(value) at position \(multiIndex(p, operands[1].shape)) of the ids is out "
          + "of range for a table with \(rows) rows (valid: 0..<\(rows))"
      case .scatterAdd(let rows):
        return "index \(value) at position \(multiIndex(p, operands[1].shape)) of the ids is out "
          + "of range for \(rows) rows (valid: 0..<\(rows))"
      case .takeAlongAxis(let axis):
        let x = operands[0]
        let a = axis < 0 ? axis + x.rank : axis
        let size = x.shape[a]
        return "index \(value) at position \(multiIndex(p, operands[1].shape)) is out of range "
          + "for axis \(a) of size \(size) in \(x) (valid: 0..<\(size))"
      default:
        return "index \(value) at position \(p) is out of range"
      }
    case nil:
      return "kernel failed with code \(code)"
    }
  }
}

/// Keeps one arena between runs (its pages stay mapped, so large graphs do not pay page
/// faults on every run); a concurrent run gets a fresh one, freed when it gives it back.
///
/// `@unchecked Sendable`: `cached` is only touched with `lock` held.
final class ArenaPool: @unchecked Sendable {
  let size: Int
  private let lock = NSLock()
  private var cached: UnsafeMutableRawPointer?

  init(size: Int) { self.size = size }
  deinit { cached?.deallocate() }

  func take() -> UnsafeMutableRawPointer {
    lock.lock()
    let arena = cached
    cached = nil
    lock.unlock()
    return arena
      ?? UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryPlan.alignment)
  }

  func give(_ arena: UnsafeMutableRawPointer) {
    lock.lock()
    defer { lock.unlock() }
    if cached == nil {
      cached = arena
    } else {
      arena.deallocate()
    }
  }
}

/// Calls `body` with the base address of every tensor's elements (a dummy address for empty
/// tensors), without copying them.
func withArgumentPointers<R>(
  _ tensors: ArraySlice<HostTensor>, _ collected: [UnsafeRawPointer],
  _ body: ([UnsafeRawPointer]) throws(RuntimeError) -> R
) throws(RuntimeError) -> R {
  guard let first = tensors.first else { return try body(collected) }
  let rest = tensors.dropFirst()
  func next(_ raw: UnsafeRawBufferPointer) -> Result<R, RuntimeError> {
    let base = raw.baseAddress ?? UnsafeRawPointer(emptyBuffer)
    do {
      return .success(try withArgumentPointers(rest, collected + [base], body))
    } catch {
      return .failure(error)
    }
  }
  return try first.withUnsafeBytes(next).get()
}

/// A valid address for zero-element buffers. `nonisolated(unsafe)`: never read or written.
nonisolated(unsafe) let emptyBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)

/// Time spent in one step over all runs.
public struct StepTiming: Sendable, Hashable {
  /// What the step does (the op name, or the matrix product's shape).
  public var label: String
  public var seconds: Double
  public var calls: Int
}

/// Accumulated wall-clock time per step.
///
/// `@unchecked Sendable`: `totals` is only touched with `lock` held.
final class StepProfiler: @unchecked Sendable {
  private let lock = NSLock()
  private var totals: [(seconds: Double, calls: Int)]

  init(steps: Int) { totals = Array(repeating: (0, 0), count: steps) }

  func add(_ step: Int, _ d: Duration) {
    let (s, atto) = d.components
    lock.lock()
    totals[step].seconds += Double(s) + Double(atto) * 1e-18
    totals[step].calls += 1
    lock.unlock()
  }

  func snapshot() -> [(seconds: Double, calls: Int)] {
    lock.lock()
    defer { lock.unlock() }
    return totals
  }
}
