import IR
import Passes
import Testing

/// Two patterns that undo each other: the driver must stop and name both.
private let addToMul = RewriteRule("add-to-mul") { n, r in
  guard case .binary(.add) = n.op else { return nil }
  return r.emit(.binary(.mul), n.operands)
}
private let mulToAdd = RewriteRule("mul-to-add") { n, r in
  guard case .binary(.mul) = n.op else { return nil }
  return r.emit(.binary(.add), n.operands)
}

private struct Oscillating: Pass {
  let name = "oscillate"
  mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    try PatternDriver(patterns: [addToMul, mulToAdd], maxIterations: 6)
      .run(on: &graph, context: &context, statisticsPrefix: name)
  }
}

private let sum = """
  graph @g(%x: f32[4], %y: f32[4]) -> (z: f32[4]) {
    %s = add %x, %y : f32[4]
    return %s
  }
  """

@Suite struct RewriteDriverTests {
  @Test func oscillatingPatternsHitTheLimitAndAreNamed() throws {
    var graph = try parsed(sum)
    var context = PassContext()
    #expect {
      try PatternDriver(patterns: [addToMul, mulToAdd], maxIterations: 6)
        .run(on: &graph, context: &context, statisticsPrefix: "test")
    } throws: { error in
      (error as? RewriteLimitError)
        == RewriteLimitError(iterations: 6, stillFiring: ["add-to-mul", "mul-to-add"])
    }
  }

  @Test func limitErrorReachesThePassManager() throws {
    var manager = PassManager(passes: [DeadCodeElimination(), Oscillating()])
    var graph = try parsed(sum)
    var context = PassContext()
    #expect {
      try manager.run(on: &graph, context: &context)
    } throws: { error in
      "\(error)"
        == "`oscillate` failed after [dce]: rewriting did not converge after 6 iterations; "
        + "patterns still firing: add-to-mul, mul-to-add"
    }
  }

  @Test func convergingPatternKeepsNamesAndLocations() throws {
    var graph = try parsed(sum)
    let location = graph.nodes[0].location
    var context = PassContext()
    let changed = try PatternDriver(patterns: [addToMul]).run(
      on: &graph, context: &context, statisticsPrefix: "test")
    #expect(changed)
    #expect(context.statistics == ["test.add-to-mul": 1])
    #expect(graph.nodes.map(\.name) == ["s"])
    #expect(graph.nodes[0].location == location)
    #expect(graph.results.map(\.name) == ["z"])
  }

  @Test func aPatternRejectedByTheTypeRuleDoesNotFire() throws {
    let bad = RewriteRule("bad") { n, r in
      guard case .binary(.add) = n.op else { return nil }
      return r.emit(.reshape(shape: [5]), [n.operands[0]])
    }
    var graph = try parsed(sum)
    let before = graph
    var context = PassContext()
    #expect(
      try !PatternDriver(patterns: [bad]).run(on: &graph, context: &context, statisticsPrefix: "t"))
    #expect(graph == before)
  }
}

@Test func aReplacementOfAnotherTypeIsAnError() throws {
  let wrongType = RewriteRule("wrong-type") { n, r in
    guard case .binary(.add) = n.op else { return nil }
    return r.constant(0, .scalar(.f32))
  }
  var graph = try parsed(sum)
  var context = PassContext()
  #expect {
    try PatternDriver(patterns: [wrongType]).run(
      on: &graph, context: &context, statisticsPrefix: "t")
  } throws: { error in
    "\(error)".hasPrefix("pattern 'wrong-type' replaced '%s': f32[4] with a value of type f32[]")
  }
}
