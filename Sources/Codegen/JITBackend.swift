import IR
import Runtime

/// The LLVM JIT as a `Backend`: `prepare` compiles the graph (cached by graph and options).
public struct JITBackend: Backend {
  /// How graphs are compiled and run (threads, fusion, caches).
  public var options: JITOptions
  /// The communicators `all_reduce` nodes name.
  public var communicators: Communicators

  public init(options: JITOptions = JITOptions(), communicators: Communicators = .singleProcess) {
    self.options = options
    self.communicators = communicators
  }

  public var name: String { "jit" }

  public func releaseIdleMemory() { JIT.releaseIdleArenas() }

  public func prepare(_ graph: Graph) throws -> any GraphExecutable {
    let compiled = try JIT.compile(graph, options: options)
    return CommunicatingGraph(compiled: compiled, communicators: communicators)
  }
}

/// A compiled graph run with the backend's communicators.
struct CommunicatingGraph: GraphExecutable {
  let compiled: CompiledGraph
  let communicators: Communicators
  var graph: Graph { compiled.graph }
  func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor] {
    try compiled.run(inputs: inputs, communicators: communicators)
  }
  func run(
    _ inputs: [String: HostTensor], updating state: inout [String: HostTensor],
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor] {
    try compiled.run(
      inputs: inputs, updating: &state, communicators: communicators, accept: accept)
  }
}

extension CompiledGraph: GraphExecutable {
  /// Runs on `inputs` (parameter name → tensor); returns result name → tensor.
  public func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor] {
    try run(inputs: inputs)
  }
  /// Runs with `state` updated in place (see `run(inputs:updating:communicators:accept:)`).
  public func run(
    _ inputs: [String: HostTensor], updating state: inout [String: HostTensor],
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor] {
    try run(inputs: inputs, updating: &state, accept: accept)
  }
}
