import IR

/// A graph prepared for repeated runs by some backend (the interpreter, the JIT).
public protocol GraphExecutable: Sendable {
  /// The graph this runs.
  var graph: Graph { get }
  /// Runs on `inputs` (parameter name → tensor); returns result name → tensor.
  func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor]
}

/// Something that prepares graphs to run: `--backend interpreter|jit` picks one.
public protocol Backend: Sendable {
  /// Short name for the command line and reports.
  var name: String { get }
  /// The communicators the prepared graphs' `all_reduce` nodes use.
  var communicators: Communicators { get set }
  func prepare(_ graph: Graph) throws -> any GraphExecutable
}

/// The reference interpreter as a backend: preparing only verifies the graph.
public struct InterpreterBackend: Backend {
  /// When set, every run adds its per-op times to it.
  public var profile: InterpreterProfile?
  /// The communicators `all_reduce` nodes name.
  public var communicators: Communicators

  public init(profile: InterpreterProfile? = nil, communicators: Communicators = .singleProcess) {
    self.profile = profile
    self.communicators = communicators
  }
  public var name: String { "interpreter" }

  public func prepare(_ graph: Graph) throws -> any GraphExecutable {
    do {
      try verify(graph)
    } catch {
      throw RuntimeError("graph @\(graph.name) does not verify:\n\(error)")
    }
    return InterpretedGraph(
      graph: graph, interpreter: Interpreter(profile: profile, communicators: communicators))
  }
}

struct InterpretedGraph: GraphExecutable {
  let graph: Graph
  let interpreter: Interpreter
  func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor] {
    try interpreter.run(graph, inputs: inputs)
  }
}
