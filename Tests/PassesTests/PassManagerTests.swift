import IR
import Passes
import Testing

private let sample = """
  graph @g(%x: f32[4], %unused: f32[2]) -> (y: f32[4]) {
    %one = constant {value = 1.0} : f32[4]
    %a = mul %x, %one : f32[4]
    %b = exp %a : f32[4]
    %c = exp %a : f32[4]
    %d = add %b, %c : f32[4]
    return %d
  }
  """

/// Breaks the graph: gives the last node a type its op's rule disagrees with.
private struct BreakingPass: Pass {
  let name = "break"
  mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    guard !graph.nodes.isEmpty else { return false }
    graph.nodes[graph.nodes.count - 1].type = .scalar(.i32)
    return true
  }
}

private struct ThrowingPass: Pass {
  let name = "explode"
  mutating func run(on graph: inout Graph, context: inout PassContext) throws -> Bool {
    throw PassError("boom")
  }
}

/// Collects callback arguments (the callback is a non-Sendable closure run synchronously).
private final class Log {
  var entries: [String] = []
}

@Suite struct PassManagerTests {
  @Test func runsPipelineAndCollectsStatistics() throws {
    var manager = try PassManager(pipeline: "canonicalize,cse,dce")
    var graph = try parsed(sample)
    var context = PassContext()
    let changed = try manager.run(on: &graph, context: &context)
    #expect(changed)
    #expect(context.passesRun == ["canonicalize", "cse", "dce"])
    #expect(context.timings.map(\.pass) == ["canonicalize", "cse", "dce"])
    #expect(context.timings.map(\.changed) == [true, true, true])
    #expect(context.statistics["canonicalize.mul-one"] == 1)
    #expect(context.statistics["cse.eliminated"] == 1)
    #expect(context.statistics["dce.removed"] == 1)  // `a` went with canonicalize
    let expected = try parsed(
      """
      graph @g(%x: f32[4], %unused: f32[2]) -> (y: f32[4]) {
        %b = exp %x : f32[4]
        %d = add %b, %b : f32[4]
        return %d
      }
      """)
    #expect(graph == expected, "got:\n\(printGraph(graph))")
  }

  @Test func verificationCatchesBrokenPassNamingThePassesBefore() throws {
    var manager = PassManager(passes: [
      Canonicalize(), CommonSubexpressionElimination(), BreakingPass(),
    ])
    var graph = try parsed(sample)
    var context = PassContext()
    #expect {
      try manager.run(on: &graph, context: &context)
    } throws: { error in
      let text = "\(error)"
      return text.hasPrefix("`break` failed after [canonicalize, cse]: ")
        && text.contains("does not verify") && text.contains("disagrees with the type rule")
    }
  }

  @Test func aThrowingPassIsReportedWithThePassesBefore() throws {
    var manager = PassManager(passes: [
      DeadCodeElimination(), ThrowingPass(), DeadCodeElimination(),
    ])
    var graph = try parsed(sample)
    var context = PassContext()
    #expect {
      try manager.run(on: &graph, context: &context)
    } throws: { error in
      "\(error)" == "`explode` failed after [dce]: boom"
    }
    #expect(context.passesRun == ["dce"])
  }

  @Test func invalidInputIsReportedBeforeTheFirstPass() throws {
    var graph = try parsed(sample)
    graph.nodes[0].type = .scalar(.f32)  // the constant is fine; its user `mul` now is not
    var manager = PassManager(passes: [DeadCodeElimination()])
    var context = PassContext()
    #expect {
      try manager.run(on: &graph, context: &context)
    } throws: { error in
      "\(error)".hasPrefix("input graph does not verify (before `dce`)")
    }
  }

  @Test func verificationCanBeTurnedOff() throws {
    var manager = PassManager(passes: [BreakingPass()], verifyEach: false)
    var graph = try parsed(sample)
    var context = PassContext()
    #expect(try manager.run(on: &graph, context: &context))
  }

  @Test func printAfterEachSeesEveryPassInOrder() throws {
    let log = Log()
    var manager = try PassManager(pipeline: "fold,cse,dce")
    manager.printAfterEach = { pass, graph in
      log.entries.append("\(pass): \(graph.nodes.count)")
    }
    _ = try manager.run(try parsed(sample))
    #expect(log.entries == ["fold: 5", "cse: 4", "dce: 4"])
  }

  @Test func unchangedGraphIsReportedUnchanged() throws {
    var manager = try PassManager(pipeline: "canonicalize,fold,cse,dce")
    let input = try parsed(
      """
      graph @g(%x: f32[4]) -> (y: f32[4]) {
        %a = exp %x : f32[4]
        return %a
      }
      """)
    let (output, context) = try manager.run(input)
    #expect(output == input)
    #expect(context.timings.allSatisfy { !$0.changed })
    #expect(context.statistics.isEmpty)
  }

  @Test func orderingRequirementsReadThePassesRun() {
    var context = PassContext()
    #expect(throws: Never.self) { try context.requireNotRun("grad", by: "sink-divergence") }
    context.passesRun = ["grad"]
    #expect {
      try context.requireNotRun("grad", by: "sink-divergence")
    } throws: { error in
      "\(error)" == "'sink-divergence' must run before 'grad', but 'grad' already ran"
    }
    #expect(throws: Never.self) { try context.requireRun("grad", by: "fuse") }
  }
}
