import IR

/// A local rewrite: looks at one node (its operands already rewritten) and returns the value
/// that replaces it, or nil when it does not match.
///
/// A pattern must not emit nodes unless it returns a replacement, and must make progress:
/// a pattern that always fires keeps the driver from converging, which is reported.
public protocol RewritePattern: Sendable {
  /// A short name for statistics and non-convergence errors (`mul-one`).
  var name: String { get }
  /// The replacement of `node`, built with `rewriter`, or nil if the pattern does not apply.
  func rewrite(_ node: Node, with rewriter: Rewriter) -> Value?
}

/// What a pattern may do: inspect the graph built so far and emit nodes there.
///
/// Values seen through the rewriter belong to the graph being rebuilt: a node's operands are
/// already replaced, and `producer(of:)` shows the (possibly rewritten) defining node.
public final class Rewriter {
  fileprivate var replay: GraphReplay
  /// The node being rewritten (operands in the new graph). Set by the driver before each
  /// pattern call.
  public fileprivate(set) var node: Node

  fileprivate init(replay: GraphReplay) {
    self.replay = replay
    // Placeholder until the driver offers the first node.
    node = Node(result: Value(id: -1), name: "", op: .select, operands: [], type: .scalar(.i1))
  }

  /// The type of a value.
  public func type(of v: Value) -> TensorType { replay.type(of: v) }

  /// The node defining `v`, or nil for a parameter.
  public func producer(of v: Value) -> Node? { replay.nodes[v] }

  /// The value of `v` if it is a splat `constant`.
  public func splat(of v: Value) -> Double? {
    if case .constant(let s)? = producer(of: v)?.op { return s.value }
    return nil
  }

  /// Emits a node at the current node's location, or returns nil when the op's type rule
  /// rejects the operands (or disagrees with `type`). The first node emitted in place of a node
  /// takes its name.
  public func emit(_ op: Op, _ operands: [Value], type declared: TensorType? = nil) -> Value? {
    let inferred: TensorType
    do {
      inferred = try op.resultType(operands: operands.map(type(of:)), annotated: declared)
    } catch {
      return nil
    }
    if let declared, declared != inferred { return nil }
    let name = replay.name(replacing: node.name)
    return replay.emit(op, operands, type: inferred, name: name, at: node.location)
  }

  /// A splat constant of `type`.
  public func constant(_ value: Double, _ type: TensorType) -> Value? {
    emit(.constant(Scalar(value)), [], type: type)
  }
}

/// Non-convergence of a rewrite driver: the sweep limit was hit with patterns still firing.
public struct RewriteLimitError: Error, Sendable, Hashable, CustomStringConvertible {
  public var iterations: Int
  /// Patterns that fired in the last two sweeps (oscillations often alternate).
  public var stillFiring: [String]
  public init(iterations: Int, stillFiring: [String]) {
    self.iterations = iterations
    self.stillFiring = stillFiring
  }
  public var description: String {
    "rewriting did not converge after \(iterations) iterations; patterns still firing: "
      + stillFiring.joined(separator: ", ")
  }
}

/// Applies patterns until none fires, sweeping the graph in topological order.
///
/// One sweep rebuilds the graph, offering every node to the patterns in order; the first
/// that fires replaces the node. Nodes created by a pattern are offered again only in the
/// next sweep. The driver stops after a sweep in which nothing fired; after `maxIterations`
/// sweeps that all fired it throws `RewriteLimitError`. Dead nodes are left for `dce`.
public struct PatternDriver: Sendable {
  public var patterns: [any RewritePattern]
  public var maxIterations: Int

  public init(patterns: [any RewritePattern], maxIterations: Int = 10) {
    self.patterns = patterns
    self.maxIterations = maxIterations
  }

  /// Rewrites `graph` to a fixpoint; counts each rewrite as `<prefix>.<pattern>` in `context`.
  /// Returns whether anything changed.
  public func run(on graph: inout Graph, context: inout PassContext, statisticsPrefix: String)
    throws -> Bool
  {
    var changed = false
    var previous: Set<String> = []
    var stillFiring: Set<String> = []
    let limit = max(maxIterations, 1)
    for _ in 0..<limit {
      var fired: [String] = []
      let rewritten = try sweep(graph, fired: &fired)
      if fired.isEmpty { return changed }
      graph = rewritten
      changed = true
      for name in fired { context.count("\(statisticsPrefix).\(name)") }
      stillFiring = previous.union(fired)
      previous = Set(fired)
    }
    throw RewriteLimitError(iterations: limit, stillFiring: stillFiring.sorted())
  }

  private func sweep(_ graph: Graph, fired: inout [String]) throws -> Graph {
    let rewriter = Rewriter(replay: GraphReplay(graph))
    for node in graph.nodes {
      var current = node
      current.operands = rewriter.replay.mappedOperands(of: node)
      rewriter.node = current
      var replaced = false
      for pattern in patterns {
        guard let v = pattern.rewrite(current, with: rewriter) else { continue }
        // A replacement of another type would break every use: that is a bug in the pattern.
        let type = rewriter.type(of: v)
        guard type == node.type else {
          throw PassError(
            "pattern '\(pattern.name)' replaced '%\(node.name)': \(node.type) with a value of "
              + "type \(type) (at \(node.location))")
        }
        rewriter.replay.replace(node.result, with: v)
        fired.append(pattern.name)
        replaced = true
        break
      }
      if !replaced { rewriter.replay.copy(node) }
    }
    return try rewriter.replay.finish()
  }
}

/// A pattern written as a closure, for rule tables.
public struct RewriteRule: RewritePattern {
  public let name: String
  let body: @Sendable (Node, Rewriter) -> Value?

  public init(_ name: String, _ body: @escaping @Sendable (Node, Rewriter) -> Value?) {
    self.name = name
    self.body = body
  }

  public func rewrite(_ node: Node, with rewriter: Rewriter) -> Value? { body(node, rewriter) }
}
