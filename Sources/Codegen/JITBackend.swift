import IR
import Runtime

/// The LLVM JIT as a `Backend`: `prepare` compiles the graph (cached by graph and options).
public struct JITBackend: Backend {
  /// How graphs are compiled and run (threads, fusion, caches).
  public var options: JITOptions

  public init(options: JITOptions = JITOptions()) { self.options = options }

  public var name: String { "jit" }

  public func prepare(_ graph: Graph) throws -> any GraphExecutable {
    try JIT.compile(graph, options: options)
  }
}

extension CompiledGraph: GraphExecutable {
  /// Runs on `inputs` (parameter name → tensor); returns result name → tensor.
  public func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor] {
    try run(inputs: inputs)
  }
}
