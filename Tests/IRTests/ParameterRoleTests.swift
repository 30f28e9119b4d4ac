import IR
import Testing

/// Parameter roles (`weight` / `input`) and the attention mark on `softmax` in the text format.
@Suite struct ParameterRoleTests {
  let withRoles = """
    graph @block(%ids: i32[2,3] input, %wte: f32[5,4] weight, %bias: f32[2,1,3,3] input, %w: f64[4] weight) -> (y: f32[2,1,3,3]) {
      %p = softmax %bias {axis = -1, attention = true} : f32[2,1,3,3]
      return %p
    }

    """

  @Test func printerWritesRolesAndParsingRoundTrips() throws {
    let g = try Parser().parseGraph(withRoles)
    #expect(g.parameters.map(\.role) == [.input, .weight, .input, .weight])
    #expect(g.weights.map(\.name) == ["wte", "w"])
    #expect(g.inputs.map(\.name) == ["ids", "bias"])
    #expect(g.nodes[0].op == .softmax(axis: -1, attention: true))
    #expect(printGraph(g) == withRoles)
    #expect(try Parser().parseGraph(printGraph(g)) == g)
  }

  @Test func filesWithoutRolesGetTheDefaults() throws {
    let g = try Parser().parseGraph(
      """
      graph @old(%ids: i32[2,3], %mask: i1[2,3], %w: f32[5,4], %x: f64[2] input) -> (y: f32[5,4]) {
        %y = neg %w : f32[5,4]
        return %y
      }
      """)
    #expect(g.parameters.map(\.role) == [.input, .input, .weight, .input])
    #expect(printGraph(g).hasPrefix("graph @old(%ids: i32[2,3] input, %mask: i1[2,3] input,"))
  }

  @Test func rolesAndTheAttentionMarkArePartOfEquality() throws {
    func graph(_ role: ParameterRole, attention: Bool) throws -> Graph {
      let b = GraphBuilder(name: "g")
      let x = b.parameter("x", TensorType(.f32, [1, 2, 3, 3]), role: role)
      return try b.build(results: [("y", b.softmax(x, attention: attention))])
    }
    let base = try graph(.weight, attention: false)
    #expect(try graph(.weight, attention: false) == base)
    #expect(try graph(.input, attention: false) != base)
    #expect(try graph(.weight, attention: true) != base)
  }

  @Test(arguments: [
    ("graph @g(%x: f32[2] bias) -> () { return }", "1:21", "expected a parameter role"),
    ("graph @g(%x: f32[2] input input) -> () { return }", "1:27", "expected ')'"),
    ("graph @g(%ids: i32[2] weight) -> () { return }", "1:10", "a weight must be a float tensor"),
    (
      "graph @g(%x: f32[2,3]) -> () {\n  %p = softmax %x {axis = -1, attention = true} : f32[2,3]\n  return\n}",
      "2:3", "an attention softmax must normalize the last axis of [batch, heads, queries, keys]"
    ),
    (
      "graph @g(%x: f32[1,2,3,3]) -> () {\n  %p = softmax %x {axis = 2, attention = true} : f32[1,2,3,3]\n  return\n}",
      "2:3", "got axis 2"
    ),
    (
      "graph @g(%x: f32[1,2,3,3]) -> () {\n  %p = softmax %x {axis = 3, attention = 1} : f32[1,2,3,3]\n  return\n}",
      "2:8", "attribute 'attention' must be true or false"
    ),
  ])
  func badRolesAndMarksAreLocatedErrors(text: String, position: String, message: String) {
    do {
      _ = try Parser().parse(text)
      Issue.record("parsed without error: \(text)")
    } catch {
      #expect(error.description.hasPrefix("<input>:\(position):"), "\(error)")
      #expect(error.description.contains(message), "\(error)")
    }
  }

  @Test func verifierRejectsAnIntegerWeight() throws {
    let b = GraphBuilder(name: "g")
    let ids = b.parameter("ids", TensorType(.i32, [3]))
    var g = try b.build(results: [("y", b.neg(ids))])
    g.parameters[0].role = .weight
    do {
      try verify(g)
      Issue.record("an i32 weight verified")
    } catch {
      #expect(error.all.count == 1)
      #expect(error.description.contains("parameter '%ids': a weight must be a float tensor"))
    }
  }

  @Test func builderReportsAnIntegerWeight() {
    let b = GraphBuilder(name: "g")
    let ids = b.parameter("ids", TensorType(.i64, [3]), role: .weight)
    #expect(throws: Diagnostics.self) { try b.build(results: [("y", b.neg(ids))]) }
    #expect(b.diagnostics.first?.message.contains("a weight must be a float tensor") == true)
  }

  @Test func impliedRoles() {
    for dtype in [DType.f32, .f64, .i32, .i64, .i1] {
      let implied = ParameterRole.implied(by: TensorType(dtype, [2]))
      #expect(implied == (dtype.isFloat ? .weight : .input), "\(dtype)")
      #expect(implied.problem(for: TensorType(dtype, [2])) == nil)
    }
  }
}
