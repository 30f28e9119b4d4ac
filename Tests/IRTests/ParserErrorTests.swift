import IR
import Testing

/// (input, expected line:column, substring of the message).
let badInputs: [(String, String, String)] = [
  ("", "1:1", "no graph"),
  ("   // only a comment\n", "2:1", "no graph"),
  ("graph @g() -> () {\n  %a = frobnicate : f32[]\n  return\n}", "2:8", "unknown op 'frobnicate'"),
  ("graph @g() -> (y: f32[]) {\n  return %nope\n}", "2:10", "undefined value '%nope'"),
  (
    "graph @g(%x: f32[]) -> () {\n  %y = neg %x : f32[]\n  %y = neg %x : f32[]\n  return\n}", "3:3",
    "already defined at <input>:2:3"
  ),
  ("graph @g(%x: f32[], %x: f32[]) -> () {\n  return\n}", "1:21", "already defined"),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = exp %x : f32[3]\n  return\n}", "2:3",
    "disagrees with the type rule (f32[2])"
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = reduce_sum %x {axes = 0} : f32[]\n  return\n}", "2:8",
    "must be a list of integers"
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = reduce_sum %x {axes = [0], colour = 1} : f32[]\n  return\n}",
    "2:8", "unknown attribute 'colour'"
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = softmax %x : f32[2]\n  return\n}", "2:8",
    "missing attribute 'axis'"
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = softmax %x {axis = } : f32[2]\n  return\n}", "2:27",
    "expected an attribute value"
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = all_reduce %x {communicator = \"world\", reduction = \"max\"} : f32[2]\n  return\n}",
    "2:8", "attribute 'reduction' must be \"sum\" or \"mean\", got \"max\""
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = all_reduce %x {communicator = 1, reduction = \"sum\"} : f32[2]\n  return\n}",
    "2:8", "attribute 'communicator' must be a string"
  ),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = all_reduce %x {reduction = \"sum\"} : f32[2]\n  return\n}",
    "2:8", "missing attribute 'communicator' (a string)"
  ),
  ("graph @g(%x: f32[2]) -> () {\n  %y = neg %x : f32[2]\n", "3:1", "not terminated"),
  ("graph @g(%x: f32[2]) -> () {\n  %y = neg %x : f3", "2:17", "unknown element type 'f3'"),
  ("graph @g(%x: f32[2]) -> () {\n  %y = neg %x :", "2:16", "expected a type"),
  (
    "graph @g(%x: f32[2]) -> (a: f32[2]) {\n  return\n}", "2:3",
    "lists 0 values but the signature names 1"
  ),
  ("graph @g(%x: f32[2]) -> (a: f32[3]) {\n  return %x\n}", "2:10", "declared f32[3]"),
  ("graph @g(%x: f32[2]) -> () {\n  %y = neg %x : f32[2]\n  return\n", "4:1", "expected '}'"),
  ("graph g() -> () { return }", "1:7", "graph name"),
  ("graph @g() -> () { return } graph @g() -> () { return }", "1:29", "defined twice"),
  ("graph @g(%x: f32[-1]) -> () { return }", "1:18", "non-negative"),
  ("graph @g() -> () { %c = constant {value = 1x} : f32[] return }", "1:43", "malformed number"),
  (
    "graph @g() -> () { %c = constant {value = \"oops} : f32[] return }", "1:43",
    "unterminated string"
  ),
  ("graph @g() -> () { ^ }", "1:20", "unexpected character '^'"),
  (
    "graph @g(%x: f32[2]) -> () {\n  %y = matmul %x, %x : f32[2]\n  return\n}", "2:3",
    "rank 2 or more"
  ),
]

@Test func badInputGivesLocatedErrors() {
  for (text, position, message) in badInputs {
    do {
      let m = try Parser().parse(text)
      Issue.record("parsed without error: \(text) → \(m.graphs.count) graphs")
    } catch {
      let description = error.description
      #expect(description.hasPrefix("<input>:\(position):"), "\(text)\n→ \(description)")
      #expect(description.contains(message), "\(text)\n→ \(description)")
    }
  }
}

@Test func invalidUTF8IsLocated() {
  var bytes = Array("graph @g() -> () {\n  // caf".utf8)
  bytes += [0xC3, 0x28]  // invalid continuation byte
  bytes += Array("\n  return\n}".utf8)
  do {
    _ = try Parser(fileName: "bad.ir").parse(bytes: bytes)
    Issue.record("expected an error")
  } catch {
    #expect(error.description.hasPrefix("bad.ir:2:9:"), "\(error)")
    #expect(error.description.contains("invalid UTF-8"))
  }
}

@Test func everyTruncationOfAValidFileFailsCleanly() throws {
  let text = everyOpText
  let scalars = Array(text.unicodeScalars)
  // Every proper prefix is either a valid module (cut after a whole graph) or a located error.
  var errors = 0
  for cut in stride(from: 0, to: scalars.count, by: 7) {
    let prefix = String(String.UnicodeScalarView(scalars[..<cut]))
    do {
      _ = try Parser().parse(prefix)
    } catch {
      errors += 1
      #expect(error.location.line >= 1 && error.location.column >= 1)
    }
  }
  #expect(errors > 100)
}

@Test func customOpsParseThroughARegistry() throws {
  struct Twice: CustomOp {
    var factor: Int
    var name: String { "twice" }
    var attributes: [(String, Attribute)] { [("factor", .int(factor))] }
    func resultType(operands: [TensorType]) throws(TypeError) -> TensorType {
      guard operands.count == 1 else { throw TypeError("expects 1 operand") }
      return operands[0]
    }
  }
  var registry = CustomOpRegistry()
  registry.register("twice") { attrs throws(TypeError) in
    guard let f = attrs["factor"]?.intValue else { throw TypeError("missing attribute 'factor'") }
    return Twice(factor: f)
  }
  let text = """
    graph @c(%x: f32[2] input) -> (y: f32[2]) {
      %y = twice %x {factor = 3} : f32[2]
      return %y
    }

    """
  let parser = Parser(customOps: registry)
  let g = try parser.parseGraph(text)
  #expect(printGraph(g) == text)
  #expect(try parser.parseGraph(printGraph(g)) == g)
  #expect(throws: Diagnostic.self) { try Parser().parseGraph(text) }
}
