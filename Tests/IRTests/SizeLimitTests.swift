import IR
import Testing

// Sizes a file or a user sets are checked: a type's byte size must fit in 63 bits, and text
// nested past the parser's limit is an error, not a stack overflow (issue R's crashes).

@Suite struct SizeLimitTests {
  @Test func byteCountsAreCheckedAgainstOverflow() {
    #expect(TensorType(.f32, [1 << 60]).byteCount == 1 << 62)
    #expect(TensorType(.f32, [1 << 61]).byteCount == nil)  // 2⁶³ bytes
    #expect(TensorType(.i1, [Int.max]).byteCount == Int.max)
    #expect(TensorType(.i64, [Int.max]).byteCount == nil)
    #expect(TensorType(.f32, [1 << 32, 1 << 32, 16]).checkedCount == nil)
    #expect(TensorType(.f32, [1 << 32, 1 << 32, 0]).byteCount == 0)
    #expect(TensorType(.f32, [2, -3]).checkedCount == nil)
    #expect(TensorType(.f64, []).byteCount == 8)
  }

  /// The three crashes of the issue, as text: each is a diagnostic at the offending type.
  @Test(arguments: [
    ("graph @g(%x: f32[4611686018427387904, 4]) -> () {\n  return\n}", "1:17"),
    (
      "graph @g(%x: f32[4294967296, 4294967296, 16]) -> () {\n  return\n}", "1:17"
    ),
    (
      "graph @g() -> () {\n  %y = iota {axis = 0} : i64[9223372036854775807]\n  return\n}",
      "2:29"
    ),
    (
      "graph @g() -> () {\n  %y = constant {value = 0} : f32[1, 2, 3] \n"
        + "  %z = reshape %y {shape = [4294967296, 4294967296, 16]} : f32[6]\n  return\n}",
      "3:3"
    ),
  ])
  func oversizedTypesInTextAreLocatedErrors(text: String, position: String) {
    do {
      let m = try Parser().parse(text)
      Issue.record("parsed without error: \(m.graphs.count) graphs")
    } catch {
      #expect(error.description.hasPrefix("<input>:\(position):"), "\(error)")
      #expect(error.description.contains("2⁶³−1"), "\(error)")
    }
  }

  @Test func deeplyNestedAttributesAreAnErrorNotACrash() {
    let depth = 100_000
    let text =
      "graph @g() -> () {\n  %y = constant {value = " + String(repeating: "[", count: depth)
      + String(repeating: "]", count: depth) + "} : f32[]\n  return\n}"
    do {
      _ = try Parser(fileName: "deep.ir").parse(text)
      Issue.record("parsed without error")
    } catch {
      #expect(error.description.hasPrefix("deep.ir:2:"), "\(error)")
      #expect(error.description.contains("nested more than 256 deep"), "\(error)")
    }
    // Nesting within the limit parses as far as the op, which then rejects a list value.
    let shallow =
      "graph @g() -> () {\n  %y = constant {value = [[[1]]]} : f32[]\n  return\n}"
    #expect(throws: Diagnostic.self) { try Parser().parse(shallow) }
  }

  @Test func theVerifierRejectsTypesLargerThan63Bits() throws {
    let b = GraphBuilder(name: "g")
    let x = b.parameter("x", TensorType(.f32, [1 << 40, 1]))
    let y = b.parameter("y", TensorType(.f32, [1, 1 << 40]))
    let z = b.parameter("z", TensorType(.f32, [1 << 62, 4]))
    let sum = b.add(x, y)  // f32[2⁴⁰, 2⁴⁰]: 2⁸² bytes
    do {
      _ = try b.build(results: [("s", sum), ("z", z)])
      Issue.record("built without error")
    } catch {
      let messages = error.all.map(\.message)
      #expect(messages.contains { $0.contains("parameter '%z'") && $0.contains("2⁶³−1") })
      #expect(messages.contains { $0.contains("f32[1099511627776,1099511627776]") })
    }
  }

  @Test func reshapeToAnOverflowingShapeIsATypeError() {
    let b = GraphBuilder(name: "g")
    let x = b.parameter("x", TensorType(.f32, [6]))
    let r = b.reshape(x, [1 << 32, 1 << 32, 16])
    #expect(throws: Diagnostics.self) { try b.build(results: [("r", r)]) }
  }
}
