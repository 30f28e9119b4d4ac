import IR
import Passes
import Testing

/// Parses one graph, recording the parse error as a test issue.
func parsed(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
  -> Graph
{
  do {
    return try Parser().parseGraph(text)
  } catch {
    Issue.record("parse error: \(error)\n\(text)", sourceLocation: sourceLocation)
    throw error
  }
}

/// A before/expected pair for one rewrite.
struct RewriteCase: Sendable, CustomTestStringConvertible {
  /// The statistic the rewrite must bump (`canonicalize.mul-one`), or nil when nothing fires.
  var fires: String?
  var before: String
  var expected: String
  var testDescription: String {
    fires ?? "no rewrite: \(before.split(separator: "\n").dropFirst().first ?? "")"
  }
}

/// Runs `pass` on `before` and checks: the output equals `expected` structurally, the verifier
/// accepts it, the pass reported a change exactly when the graph changed, the expected
/// statistic was counted, and a second run changes nothing (idempotence).
func checkRewrite(
  _ makePass: () -> any Pass, _ c: RewriteCase,
  sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws {
  let input = try parsed(c.before, sourceLocation: sourceLocation)
  let expected = try parsed(c.expected, sourceLocation: sourceLocation)
  var graph = input
  var context = PassContext()
  var pass = makePass()
  let changed = try pass.run(on: &graph, context: &context)
  let diff = "--- got\n\(printGraph(graph))--- expected\n\(printGraph(expected))"
  #expect(
    graph == expected, "\(pass.name) output differs.\n\(diff)", sourceLocation: sourceLocation)
  #expect(throws: Never.self, "the verifier rejects the output", sourceLocation: sourceLocation) {
    try verify(graph)
  }
  #expect(changed == (graph != input), "reported change \(changed)", sourceLocation: sourceLocation)
  if let key = c.fires {
    #expect(
      (context.statistics[key] ?? 0) > 0, "\(key) did not fire: \(context.statistics)",
      sourceLocation: sourceLocation)
  }
  var again = graph
  var second = makePass()
  let changedAgain = try second.run(on: &again, context: &context)
  #expect(
    !changedAgain && again == graph,
    "second run changed the graph:\n\(printGraph(again))", sourceLocation: sourceLocation)
}
