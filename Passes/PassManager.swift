import IR

/// Runs a list of passes over a graph, verifying around them, timing them and collecting
/// their statistics in a `PassContext`.
///
/// Invariant when `verifyEach` is on: every graph a pass receives verifies. The input is
/// checked before the first pass and the output of every pass that reported a change.
public struct PassManager {
  /// The passes, in order.
  public var passes: [any Pass]
  /// Verify the input and the output of every pass that changed the graph.
  public var verifyEach: Bool
  /// Called after every pass with its name and the graph it left (`--print-ir-after-all`).
  public var printAfterEach: ((_ pass: String, _ graph: Graph) -> Void)?

  public init(
    passes: [any Pass], verifyEach: Bool = true,
    printAfterEach: ((_ pass: String, _ graph: Graph) -> Void)? = nil
  ) {
    self.passes = passes
    self.verifyEach = verifyEach
    self.printAfterEach = printAfterEach
  }

  /// A manager for a pipeline written in the pipeline syntax (`"canonicalize,cse,dce"`).
  public init(
    pipeline: String, registry: PassRegistry = .standard, verifyEach: Bool = true
  ) throws(PassError) {
    self.init(passes: try registry.makePasses(pipeline), verifyEach: verifyEach)
  }

  /// Runs every pass on `graph`. Returns whether any pass changed it.
  ///
  /// Errors read "`<pass>` failed after [p1, p2]: <diagnostic>", naming the passes that had
  /// already run; a verification failure after a pass is reported the same way.
  @discardableResult
  public mutating func run(on graph: inout Graph, context: inout PassContext) throws(PassError)
    -> Bool
  {
    if verifyEach, let first = passes.first {
      do {
        try verify(graph)
      } catch {
        throw PassError("input graph does not verify (before `\(first.name)`):\n\(error)")
      }
    }
    let clock = ContinuousClock()
    var anyChange = false
    for index in passes.indices {
      let name = passes[index].name
      let before = "[\(context.passesRun.joined(separator: ", "))]"
      var changed = false
      let start = clock.now
      do {
        changed = try passes[index].run(on: &graph, context: &context)
      } catch {
        throw PassError("`\(name)` failed after \(before): \(error)")
      }
      let elapsed = clock.now - start
      if changed && verifyEach {
        do {
          try verify(graph)
        } catch {
          throw PassError(
            "`\(name)` failed after \(before): the graph it produced does not verify:\n\(error)")
        }
      }
      context.passesRun.append(name)
      context.timings.append(PassTiming(pass: name, duration: elapsed, changed: changed))
      anyChange = anyChange || changed
      printAfterEach?(name, graph)
    }
    return anyChange
  }

  /// Runs every pass on a copy of `graph` with a fresh context and returns both.
  public mutating func run(_ graph: Graph) throws(PassError) -> (graph: Graph, context: PassContext)
  {
    var g = graph
    var context = PassContext()
    try run(on: &g, context: &context)
    return (g, context)
  }
}
