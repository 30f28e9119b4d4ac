import IR
import Passes
import Testing

/// A graph computing `body` (whose last line defines `%r`) with one result of type `type`.
private func graph(_ type: String, _ body: String) -> String {
  "graph @g() -> (r: \(type)) {\n\(body)\n  return %r\n}\n"
}

/// The value `fold` leaves for result `r`, or nil when `r` is not a constant afterwards.
private func foldedValue(_ type: String, _ body: String) throws -> Double? {
  var g = try parsed(graph(type, body))
  var context = PassContext()
  var pass = ConstantFolding()
  _ = try pass.run(on: &g, context: &context)
  try verify(g)
  guard let r = g.results.first, let node = g.nodes.first(where: { $0.result == r.value }),
    case .constant(let s) = node.op
  else { return nil }
  return s.value
}

let foldCases: [RewriteCase] = [
  RewriteCase(
    fires: "fold.folded",
    before: """
      graph @g(%x: f32[2]) -> (y: f32[2], z: f32[2]) {
        %a = constant {value = 1.5} : f32[2]
        %b = constant {value = 2.25} : f32[2]
        %s = add %a, %b : f32[2]
        %n = neg %s : f32[2]
        %m = mul %x, %n : f32[2]
        return %n, %m
      }
      """,
    expected: """
      graph @g(%x: f32[2]) -> (y: f32[2], z: f32[2]) {
        %a = constant {value = 1.5} : f32[2]
        %b = constant {value = 2.25} : f32[2]
        %s = constant {value = 3.75} : f32[2]
        %n = constant {value = -3.75} : f32[2]
        %m = mul %x, %n : f32[2]
        return %n, %m
      }
      """),
  RewriteCase(
    fires: "fold.folded",
    before: """
      graph @g() -> (y: f32[2,3], z: f32[3,2], w: f32[6], s: f32[2], m: f32[], p: f32[2,3]) {
        %c = constant {value = 2.0} : f32[]
        %b = broadcast %c {shape = [2, 3]} : f32[2,3]
        %t = transpose %b {perm = [1, 0]} : f32[3,2]
        %r = reshape %b {shape = [6]} : f32[6]
        %s = reduce_sum %b {axes = [1]} : f32[2]
        %m = reduce_mean %b {axes = [0, 1]} : f32[]
        %p = softmax %b {axis = -1} : f32[2,3]
        return %b, %t, %r, %s, %m, %p
      }
      """,
    expected: """
      graph @g() -> (y: f32[2,3], z: f32[3,2], w: f32[6], s: f32[2], m: f32[], p: f32[2,3]) {
        %c = constant {value = 2.0} : f32[]
        %b = constant {value = 2.0} : f32[2,3]
        %t = constant {value = 2.0} : f32[3,2]
        %r = constant {value = 2.0} : f32[6]
        %s = constant {value = 6.0} : f32[2]
        %m = constant {value = 2.0} : f32[]
        %p = constant {value = 0.3333333432674408} : f32[2,3]
        return %b, %t, %r, %s, %m, %p
      }
      """),
  RewriteCase(
    fires: nil,
    before: """
      graph @g(%x: f32[2,2]) -> (a: f32[2,2], b: i32[2], d: f32[2,2]) {
        %i = iota {axis = 0} : f32[2,2]
        %m = matmul %i, %i : f32[2,2]
        %k = constant {value = 3.0} : i32[2]
        %z = constant {value = 0.0} : i32[2]
        %q = div %k, %z : i32[2]
        %one = constant {value = 1.0} : f32[2,2]
        %e = add %x, %one : f32[2,2]
        return %m, %q, %e
      }
      """,
    expected: """
      graph @g(%x: f32[2,2]) -> (a: f32[2,2], b: i32[2], d: f32[2,2]) {
        %i = iota {axis = 0} : f32[2,2]
        %m = matmul %i, %i : f32[2,2]
        %k = constant {value = 3.0} : i32[2]
        %z = constant {value = 0.0} : i32[2]
        %q = div %k, %z : i32[2]
        %one = constant {value = 1.0} : f32[2,2]
        %e = add %x, %one : f32[2,2]
        return %m, %q, %e
      }
      """),
]

@Suite struct ConstantFoldingTests {
  @Test(arguments: foldCases)
  func rewrite(_ c: RewriteCase) throws {
    try checkRewrite({ ConstantFolding() }, c)
  }

  @Test func f32ResultsAreRoundedThroughFloat() throws {
    let v = try foldedValue(
      "f32[]",
      """
        %a = constant {value = 0.1} : f32[]
        %b = constant {value = 0.2} : f32[]
        %r = add %a, %b : f32[]
      """)
    #expect(v == Double(Float(0.1) + Float(0.2)))
    let e = try foldedValue("f32[]", "  %a = constant {value = 1.0} : f32[]\n  %r = exp %a : f32[]")
    #expect(e == Double(Float(2.718281828459045)))
    let d = try foldedValue("f64[]", "  %a = constant {value = 1.0} : f64[]\n  %r = exp %a : f64[]")
    #expect(d == 2.718281828459045)
  }

  @Test func integersWrap() throws {
    let add32 = try foldedValue(
      "i32[]",
      """
        %a = constant {value = 2147483647} : i32[]
        %b = constant {value = 1} : i32[]
        %r = add %a, %b : i32[]
      """)
    #expect(add32 == -2_147_483_648)
    let mul64 = try foldedValue(
      "i64[]",
      """
        %a = constant {value = 4294967296} : i64[]
        %b = constant {value = 3} : i64[]
        %r = mul %a, %b : i64[]
      """)
    #expect(mul64 == 12_884_901_888)
    let neg32 = try foldedValue(
      "i32[]", "  %a = constant {value = -2147483648} : i32[]\n  %r = neg %a : i32[]")
    #expect(neg32 == -2_147_483_648)
    let div = try foldedValue(
      "i32[]",
      """
        %a = constant {value = -7} : i32[]
        %b = constant {value = 2} : i32[]
        %r = div %a, %b : i32[]
      """)
    #expect(div == -3)
    let sum = try foldedValue(
      "i32[]",
      "  %a = constant {value = 1073741824} : i32[4]\n  %r = reduce_sum %a {axes = [0]} : i32[]")
    #expect(sum == 0)
  }

  @Test func comparisonsSelectAndCasts() throws {
    let gt = try foldedValue(
      "i1[]",
      """
        %a = constant {value = 2.0} : f32[]
        %b = constant {value = 1.0} : f32[]
        %r = greater %a, %b : i1[]
      """)
    #expect(gt == 1)
    let nanEqual = try foldedValue(
      "i1[]",
      """
        %a = constant {value = nan} : f64[]
        %r = equal %a, %a : i1[]
      """)
    #expect(nanEqual == 0)
    let sel = try foldedValue(
      "f32[2]",
      """
        %c = constant {value = 0} : i1[2]
        %a = constant {value = 1.0} : f32[2]
        %b = constant {value = 5.0} : f32[2]
        %r = select %c, %a, %b : f32[2]
      """)
    #expect(sel == 5)
    let trunc = try foldedValue(
      "i32[]", "  %a = constant {value = -2.7} : f32[]\n  %r = cast %a : i32[]")
    #expect(trunc == -2)
    let toBool = try foldedValue(
      "i1[]", "  %a = constant {value = -3} : i64[]\n  %r = cast %a : i1[]")
    #expect(toBool == 1)
    let narrow = try foldedValue(
      "f32[]", "  %a = constant {value = 0.1} : f64[]\n  %r = cast %a : f32[]")
    #expect(narrow == Double(Float(0.1)))
    let wrap = try foldedValue(
      "i32[]", "  %a = constant {value = 4294967297} : i64[]\n  %r = cast %a : i32[]")
    #expect(wrap == 1)
    let tooBig = try foldedValue(
      "i32[]", "  %a = constant {value = 3e9} : f32[]\n  %r = cast %a : i32[]")
    #expect(tooBig == nil)
  }

  @Test func reductionsAndNormalizers() throws {
    let mx = try foldedValue(
      "i64[3]", "  %a = constant {value = 9} : i64[3,4]\n  %r = reduce_max %a {axes = [1]} : i64[3]"
    )
    #expect(mx == 9)
    let ls = try foldedValue(
      "f64[4]", "  %a = constant {value = 7.0} : f64[4]\n  %r = log_softmax %a {axis = 0} : f64[4]")
    #expect(ls == -Double.log4)
    let infSoftmax = try foldedValue(
      "f64[4]", "  %a = constant {value = inf} : f64[4]\n  %r = softmax %a {axis = 0} : f64[4]")
    #expect(infSoftmax?.isNaN == true)
    let emptyMax = try foldedValue(
      "f32[3]",
      "  %a = constant {value = 1.0} : f32[3,0]\n  %r = reduce_max %a {axes = [1]} : f32[3]")
    #expect(emptyMax == nil)
    let concat = try foldedValue(
      "f32[5]",
      """
        %a = constant {value = 1.0} : f32[2]
        %b = constant {value = 1.0} : f32[3]
        %r = concat %a, %b {axis = 0} : f32[5]
      """)
    #expect(concat == 1)
  }

  @Test func maxWithNaNIsNotFolded() throws {
    let v = try foldedValue(
      "f32[]",
      """
        %a = constant {value = nan} : f32[]
        %b = constant {value = 1.0} : f32[]
        %r = max %a, %b : f32[]
      """)
    #expect(v == nil)
  }
}

extension Double {
  fileprivate static let log4 = 1.3862943611198906
}
