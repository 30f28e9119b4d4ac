import CLLVM
import Foundation
import IR
import Passes
import Runtime

/// The LLVM JIT: compiles verified graphs to host machine code (ORC LLJIT, the host CPU and
/// its features, the O3 pipeline), one kernel per node of the graph after its graph passes
/// (a fused region is one node), matrix products through OpenBLAS.
public enum JIT {
  /// Version of the code generator, part of every cache key.
  static let version = "codegen-3"

  /// Compiles `graph`; throws if it does not verify, `options.graphPasses` fail, it holds an
  /// op that cannot be lowered, or LLVM fails.
  public static func compile(_ graph: Graph, options: JITOptions = JITOptions())
    throws(CompileError) -> CompiledGraph
  {
    let clock = ContinuousClock()
    let start = clock.now
    do {
      try verify(graph)
    } catch {
      throw CompileError("graph @\(graph.name) does not verify:\n\(error)")
    }
    let graph = try runGraphPasses(graph, options.graphPasses)
    var phases: [(name: String, duration: Duration)] = [("verify+passes", clock.now - start)]
    var phaseStart = clock.now
    func phase(_ name: String) {
      let now = clock.now
      phases.append((name, now - phaseStart))
      phaseStart = now
    }
    let host = try hostTarget().narrowed(to: options.target)
    let key = cacheKey(graph, options, host)
    if options.memoryCache, let hit = CompileCache.shared.lookup(key) {
      var statistics = hit.statistics
      statistics.source = .memoryCache
      statistics.duration = clock.now - start
      return hit.reused(for: graph, statistics: statistics, options: options)
    }

    let plan = MemoryPlan(graph)
    do {
      try options.memoryLimit.check(plan.arenaSize, for: "the buffers of one run of @\(graph.name)")
    } catch {
      // Located at the largest buffer: the node whose shape most likely asks too much.
      let largest = graph.nodes.max { ($0.type.byteCount ?? .max) < ($1.type.byteCount ?? .max) }
      guard let largest else { throw CompileError(error.message) }
      throw CompileError("\(error.message); the largest is \(largest.type)", node: largest)
    }
    let parts = modulePartCount(options)
    let owners = (0..<parts).map {
      ModuleOwner(name: parts == 1 ? graph.name : "\(graph.name).\($0)")
    }
    let table = KernelTable()
    let emitters = owners.map { Emitter(owner: $0, simdBytes: host.simdBytes, kernels: table) }
    let steps = try Lowering(graph: graph, plan: plan, emitters: emitters).lower()
    let kernels =
      steps.filter { if case .kernel = $0 { true } else { false } }.count - table.aliases.count
    var extents: [String: Int] = [:]
    for e in emitters { extents.merge(e.kernelExtent) { a, _ in a } }
    phase("lowering")

    var objects: [[UInt8]]? = nil
    var source = CompileStatistics.Source.compiled
    if let directory = options.diskCache, !options.keepIR {
      objects = DiskCache(directory: directory).load(key).flatMap(unpackObjects)
      if objects?.count != parts { objects = nil }
      if objects != nil { source = .diskCache }
    }
    var text: LLVMIRText? = nil
    do {
      if objects == nil {
        // Each part in its own LLVM context and target machine, optimized and compiled on
        // its own thread.
        var results = [Result<(bytes: [UInt8], before: String, after: String), LLVMFailure>](
          repeating: .failure(LLVMFailure(message: "not compiled")), count: parts)
        let keepIR = options.keepIR
        results.withUnsafeMutableBufferPointer { slots in
          let out = slots
          ThreadPool.shared(threads: min(parts, options.threads)).run(tasks: parts) { i in
            out[i] = Result { () throws(LLVMFailure) in
              let owner = owners[i]
              let tm = try host.makeTargetMachine()
              LLVMSetTarget(owner.module, host.triple)
              LLVMSetDataLayout(owner.module, tm.dataLayout)
              let before = keepIR ? owner.text : ""
              try owner.verify()
              try owner.optimize(options.passes, tm)
              let after = keepIR ? owner.text : ""
              return (try owner.emitObject(tm), before, after)
            }
          }
        }
        let compiled = try results.map { r throws(LLVMFailure) in try r.get() }
        if options.keepIR {
          text = LLVMIRText(
            unoptimized: compiled.map(\.before).joined(separator: "\n"),
            optimized: compiled.map(\.after).joined(separator: "\n"))
        }
        objects = compiled.map(\.bytes)
        if let directory = options.diskCache, let objects {
          DiskCache(directory: directory).store(key, packObjects(objects))
        }
      }
      phase("llvm")
      let session = try JITSession()
      for (i, bytes) in (objects ?? []).enumerated() {
        try session.addObject(bytes, name: "\(graph.name).\(i)")
      }
      var resolved: [ResolvedStep] = []
      for step in steps {
        if case .kernel(let symbol, _, _) = step {
          let address = try session.lookup(table.aliases[symbol] ?? symbol)
          resolved.append(
            ResolvedStep(
              step: step, function: unsafeBitCast(address, to: KernelFunction.self),
              extent: extents[symbol] ?? 1))
        } else {
          resolved.append(ResolvedStep(step: step, function: nil))
        }
      }
      let bytes = (objects ?? []).reduce(0) { $0 + $1.count }
      phase("load")
      let statistics = CompileStatistics(
        kernels: kernels, arenaBytes: plan.arenaSize, unplannedBytes: plan.unplannedSize,
        objectBytes: bytes, duration: clock.now - start, source: source, phases: phases,
        arenaPeak: plan.peakSummary(graph))
      let compiled = CompiledGraph(
        graph: graph, llvmIR: text, statistics: statistics, session: session, steps: resolved,
        plan: plan, options: options)
      if options.memoryCache { CompileCache.shared.insert(key, compiled) }
      return compiled
    } catch {
      throw CompileError("LLVM failed for graph @\(graph.name): \(error)")
    }
  }

  /// `graph` after the graph passes of `pipeline`, run by `PassManager` with verification
  /// after every pass that changes it.
  static func runGraphPasses(_ graph: Graph, _ pipeline: String) throws(CompileError) -> Graph {
    guard !pipeline.isEmpty else { return graph }
    do {
      var manager = try PassManager(pipeline: pipeline)
      return try manager.run(graph).graph
    } catch {
      throw CompileError("graph passes '\(pipeline)' on @\(graph.name): \(error)")
    }
  }

  /// The LLVM IR of `graph`'s module, before (`optimized: false`) or after optimization.
  public static func llvmIR(for graph: Graph, optimized: Bool = true) throws(CompileError)
    -> String
  {
    let options = JITOptions(keepIR: true, memoryCache: false)
    guard let text = try compile(graph, options: options).llvmIR else { return "" }
    return optimized ? text.optimized : text.unoptimized
  }

  /// Drops every executable from the in-memory cache.
  public static func clearMemoryCache() { CompileCache.shared.clear() }

  /// Frees the arenas kept between runs (see `IdleArenas`); the next run of each graph
  /// allocates its arena again.
  public static func releaseIdleArenas() { IdleArenas.shared.releaseAll() }

  /// What the JIT compiles for on this machine with `target`: LLVM's name for the CPU, its
  /// feature string (empty for a named x86-64 level: the name implies them), and the bytes in
  /// one vector register (64 with AVX-512, 32 with AVX, else 16), which sets the lanes of every
  /// vector loop (`vectorBytes / element size`).
  public static func host(_ target: JITTarget = .host) throws(CompileError) -> (
    cpu: String, features: String, vectorBytes: Int
  ) {
    let host = try hostTarget().narrowed(to: target)
    return (host.cpu, host.features, host.simdBytes)
  }

  static func hostTarget() throws(CompileError) -> HostTarget {
    switch HostTarget.shared {
    case .success(let host): return host
    case .failure(let failure): throw CompileError("LLVM host target: \(failure.message)")
    }
  }

  /// LLVM modules a graph is split into (compiled in parallel): one per thread, at most 4.
  static func modulePartCount(_ options: JITOptions) -> Int { max(1, min(options.threads, 4)) }

  /// Object files as one blob: for each, its length (8 bytes, little endian), then its bytes.
  static func packObjects(_ objects: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    for o in objects {
      withUnsafeBytes(of: UInt64(o.count).littleEndian) { out += $0 }
      out += o
    }
    return out
  }

  /// The object files of a blob from `packObjects` (nil if it is malformed).
  static func unpackObjects(_ blob: [UInt8]) -> [[UInt8]]? {
    var out: [[UInt8]] = []
    var at = 0
    while at < blob.count {
      guard at + 8 <= blob.count else { return nil }
      var length: UInt64 = 0
      for k in 0..<8 { length |= UInt64(blob[at + k]) << (8 * UInt64(k)) }
      at += 8
      guard length <= UInt64(blob.count - at) else { return nil }
      out.append(Array(blob[at..<(at + Int(length))]))
      at += Int(length)
    }
    return out
  }

  /// The printed graph plus everything else the machine code depends on.
  static func cacheKey(_ graph: Graph, _ options: JITOptions, _ host: HostTarget) -> String {
    // Custom ops print by name and attributes only; their Swift types tell implementations apart.
    let customTypes = graph.nodes.compactMap { node -> String? in
      if case .custom(let box) = node.op { return String(reflecting: type(of: box.op)) }
      return nil
    }
    return [
      "custom ops: \(customTypes)",
      version, "LLVM \(LLVM_VERSION_MAJOR)", host.triple, host.cpu, host.features, options.passes,
      "graph passes: \(options.graphPasses)",
      "parts=\(modulePartCount(options))",
      printGraph(graph),
    ].joined(separator: "\n")
  }
}
