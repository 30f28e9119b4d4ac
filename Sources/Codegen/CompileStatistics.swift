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
  /// Wall-clock time of each compile phase in order: verify+passes (the graph passes),
  /// lowering to LLVM IR, LLVM optimization and code generation, loading into the JIT.
  public var phases: [(name: String, duration: Duration)] = []
  /// The node at which the arena is fullest and what is live there: the 16 largest tensors
  /// (`%name = op : type`), then the bytes per op kind (`all matmul`): what holds the arena.
  public var arenaPeak: (node: String, live: [(name: String, bytes: Int)]) = ("", [])

  /// Where a compiled graph's code came from.
  public enum Source: Sendable, Hashable {
    case compiled, memoryCache, diskCache
  }
}
