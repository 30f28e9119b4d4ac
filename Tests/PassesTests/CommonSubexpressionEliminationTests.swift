import IR
import Passes
import Testing

let cseCases: [RewriteCase] = [
  RewriteCase(
    fires: "cse.eliminated",
    before: """
      graph @g(%x: f32[4], %y: f32[4]) -> (a: f32[4], b: f32[4]) {
        %s1 = add %x, %y : f32[4]
        %s2 = add %x, %y : f32[4]
        %e1 = exp %s1 : f32[4]
        %e2 = exp %s2 : f32[4]
        return %e1, %e2
      }
      """,
    expected: """
      graph @g(%x: f32[4], %y: f32[4]) -> (a: f32[4], b: f32[4]) {
        %s1 = add %x, %y : f32[4]
        %e1 = exp %s1 : f32[4]
        return %e1, %e1
      }
      """),
  RewriteCase(
    fires: "cse.eliminated",
    before: """
      graph @g(%x: f32[4]) -> (a: f32[4], b: f32[4]) {
        %c1 = constant {value = 2.0} : f32[4]
        %c2 = constant {value = 2.0} : f32[4]
        %m1 = mul %x, %c1 : f32[4]
        %m2 = mul %x, %c2 : f32[4]
        return %m1, %m2
      }
      """,
    expected: """
      graph @g(%x: f32[4]) -> (a: f32[4], b: f32[4]) {
        %c1 = constant {value = 2.0} : f32[4]
        %m1 = mul %x, %c1 : f32[4]
        return %m1, %m1
      }
      """),
  // Differences that keep nodes apart: attributes, result type, operand order, constant value.
  RewriteCase(
    fires: nil,
    before: """
      graph @g(%x: f32[2,2], %y: f32[2,2]) -> (
        a: f32[2,2], b: f32[2,2], c: f32[2,2], d: f32[2,2], e: f32[], f: f32[2,2], g: f32[2,2],
        h: f32[2,2], i: f64[2,2]
      ) {
        %t1 = transpose %x {perm = [1, 0]} : f32[2,2]
        %t2 = transpose %x {perm = [0, 1]} : f32[2,2]
        %c1 = constant {value = 0.0} : f32[2,2]
        %c2 = constant {value = -0.0} : f32[2,2]
        %c3 = constant {value = 0.0} : f32[]
        %s1 = sub %x, %y : f32[2,2]
        %s2 = sub %y, %x : f32[2,2]
        %m1 = matmul %x, %y {transpose_a = true} : f32[2,2]
        %k = cast %x : f64[2,2]
        return %t1, %t2, %c1, %c2, %c3, %s1, %s2, %m1, %k
      }
      """,
    expected: """
      graph @g(%x: f32[2,2], %y: f32[2,2]) -> (
        a: f32[2,2], b: f32[2,2], c: f32[2,2], d: f32[2,2], e: f32[], f: f32[2,2], g: f32[2,2],
        h: f32[2,2], i: f64[2,2]
      ) {
        %t1 = transpose %x {perm = [1, 0]} : f32[2,2]
        %t2 = transpose %x {perm = [0, 1]} : f32[2,2]
        %c1 = constant {value = 0.0} : f32[2,2]
        %c2 = constant {value = -0.0} : f32[2,2]
        %c3 = constant {value = 0.0} : f32[]
        %s1 = sub %x, %y : f32[2,2]
        %s2 = sub %y, %x : f32[2,2]
        %m1 = matmul %x, %y {transpose_a = true} : f32[2,2]
        %k = cast %x : f64[2,2]
        return %t1, %t2, %c1, %c2, %c3, %s1, %s2, %m1, %k
      }
      """),
]

@Suite struct CommonSubexpressionEliminationTests {
  @Test(arguments: cseCases)
  func rewrite(_ c: RewriteCase) throws {
    try checkRewrite({ CommonSubexpressionElimination() }, c)
  }
}
