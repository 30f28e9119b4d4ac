import IR

/// A graph prepared for repeated runs by some backend (the interpreter, the JIT).
public protocol GraphExecutable: Sendable {
  /// The graph this runs.
  var graph: Graph { get }
  /// Runs on `inputs` (parameter name → tensor); returns result name → tensor.
  func run(_ inputs: [String: HostTensor]) throws -> [String: HostTensor]
  /// Runs on `inputs` and the parameters held in `state` (entries the graph does not take are
  /// left alone). Each result `next_P` of parameter P's type, for P in `state`, replaces P's
  /// elements in `state` (in place where the backend can: the JIT writes into P's own storage,
  /// allocating nothing) and is not returned; the other results are. `accept` sees those
  /// other results first: when it returns false or throws, `state` is unchanged.
  func run(
    _ inputs: [String: HostTensor], updating state: inout [String: HostTensor],
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor]
}

extension GraphExecutable {
  /// By value: runs, then moves the accepted `next_P` results into `state`.
  public func run(
    _ inputs: [String: HostTensor], updating state: inout [String: HostTensor],
    accept: ([String: HostTensor]) throws -> Bool
  ) throws -> [String: HostTensor] {
    let updates = graph.stateUpdates(state)
    var outputs = try run(try graph.arguments(inputs, state: state))
    var next: [String: HostTensor] = [:]
    for name in updates.keys { next[name] = outputs.removeValue(forKey: "next_" + name) }
    guard try accept(outputs) else { return outputs }
    for (name, tensor) in next { state[name] = tensor }
    return outputs
  }
}

extension Graph {
  /// `inputs` and the parameters held in `state`, together; a name in both is refused.
  public func arguments(_ inputs: [String: HostTensor], state: [String: HostTensor])
    throws(RuntimeError) -> [String: HostTensor]
  {
    var all = inputs
    for p in parameters {
      guard let t = state[p.name] else { continue }
      guard all[p.name] == nil else {
        throw RuntimeError("'\(p.name)' is given both as an input and in the state")
      }
      all[p.name] = t
    }
    return all
  }

  /// The parameters this graph updates: parameter index → index of its result `next_NAME`,
  /// which has the parameter's type.
  public var parameterUpdates: [Int: Int] {
    let index = Dictionary(
      parameters.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    let types = valueTypes()
    var out: [Int: Int] = [:]
    for (j, r) in results.enumerated() where r.name.hasPrefix("next_") {
      guard let i = index[String(r.name.dropFirst(5))], types[r.value] == parameters[i].type
      else { continue }
      out[i] = j
    }
    return out
  }

  /// The parameters of `state` that this graph updates: parameter name → index of its result
  /// `next_NAME` (see `parameterUpdates`). Parameters of `state` without such a result are
  /// inputs only.
  public func stateUpdates(_ state: [String: HostTensor]) -> [String: Int] {
    var out: [String: Int] = [:]
    for (i, j) in parameterUpdates where state[parameters[i].name] != nil {
      out[parameters[i].name] = j
    }
    return out
  }
}

/// Something that prepares graphs to run: `--backend interpreter|jit` picks one.
public protocol Backend: Sendable {
  /// Short name for the command line and reports.
  var name: String { get }
  /// The communicators the prepared graphs' `all_reduce` nodes use.
  var communicators: Communicators { get set }
  func prepare(_ graph: Graph) throws -> any GraphExecutable
  /// Frees the memory it keeps between runs of graphs that are not running now (the JIT's idle
  /// arenas): for a program moving from one phase to another (training, then generation).
  func releaseIdleMemory()
}

extension Backend {
  public func releaseIdleMemory() {}
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
