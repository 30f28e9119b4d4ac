import Foundation
import Runtime

/// How `JIT.compile` works: optimization, what to keep, which caches to use.
public struct JITOptions: Sendable, Hashable {
  /// The LLVM new-pass-manager pipeline run on each module.
  public var passes: String = "default<O3>"
  /// Graph passes run before lowering, in the pipeline syntax of `scalpel-opt --passes`
  /// (`PassRegistry.standard`), through `PassManager` with verification after every pass that
  /// changes the graph. The default `fuse` groups connected elementwise ops, broadcasts and
  /// constants into one kernel each (Passes/Fusion.swift); "" compiles one kernel per node.
  public var graphPasses: String = "fuse"
  /// Keep the module's LLVM IR text (before and after optimization) in `CompiledGraph.llvmIR`.
  public var keepIR: Bool = false
  /// Reuse executables compiled earlier in this process for the same graph and options.
  public var memoryCache: Bool = true
  /// A directory for object files keyed by graph and host (nil: no disk cache).
  public var diskCache: URL? = nil
  /// Threads a run uses (kernels split their outer loops, batched small matmuls run one
  /// matrix per thread, large matmuls use this many OpenBLAS threads); at least 1.
  public var threads: Int = JITOptions.hostThreads
  /// Large matrix products run single-threaded OpenBLAS calls on row blocks spread over the
  /// pool (no OpenBLAS threads); off: one call per matrix with `threads` OpenBLAS threads.
  public var splitMatmuls: Bool = true
  /// Time every step of every run (see `CompiledGraph.profile()`); off: no clock reads.
  public var profile: Bool = false
  /// Compiling fails (rather than a run trying to allocate) if one run's arena would be larger.
  public var memoryLimit: MemoryLimit = .processDefault
  /// The instruction set kernels are compiled for: the host's, or a narrower x86-64 level the
  /// host also runs (compiling fails on a host that lacks one of its features).
  public var target: JITTarget = .host

  public init(
    passes: String = "default<O3>", graphPasses: String = "fuse", keepIR: Bool = false,
    memoryCache: Bool = true, diskCache: URL? = nil, threads: Int = JITOptions.hostThreads,
    profile: Bool = false
  ) {
    self.passes = passes
    self.graphPasses = graphPasses
    self.keepIR = keepIR
    self.memoryCache = memoryCache
    self.diskCache = diskCache
    self.threads = max(1, threads)
    self.profile = profile
  }

  /// The cores available to this process.
  public static var hostThreads: Int { ThreadPool.hostThreads }

  /// `jit/` under the cache root (`CacheLocation`) of the given environment.
  public static func standardCacheDirectory(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> URL {
    URL(fileURLWithPath: CacheLocation.root(environment: environment)).appendingPathComponent("jit")
  }
}
