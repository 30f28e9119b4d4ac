import IR
import Passes
import Testing

let dceCases: [RewriteCase] = [
  RewriteCase(
    fires: "dce.removed",
    before: """
      graph @g(%x: f32[4], %unused: f32[9]) -> (y: f32[4]) {
        %dead1 = exp %x : f32[4]
        %dead2 = neg %dead1 : f32[4]
        %live = log %x : f32[4]
        %c = constant {value = 1.0} : f32[4]
        %y = add %live, %c : f32[4]
        %dead3 = mul %y, %y : f32[4]
        return %y
      }
      """,
    expected: """
      graph @g(%x: f32[4], %unused: f32[9]) -> (y: f32[4]) {
        %live = log %x : f32[4]
        %c = constant {value = 1.0} : f32[4]
        %y = add %live, %c : f32[4]
        return %y
      }
      """),
  RewriteCase(
    fires: "dce.removed",
    before: """
      graph @g(%x: f32[4]) -> (a: f32[4]) {
        %dead = exp %x : f32[4]
        return %x
      }
      """,
    expected: """
      graph @g(%x: f32[4]) -> (a: f32[4]) {
        return %x
      }
      """),
  RewriteCase(
    fires: nil,
    before: """
      graph @g(%x: f32[4], %p: f32[2]) -> (a: f32[4], b: f32[4]) {
        %e = exp %x : f32[4]
        return %e, %e
      }
      """,
    expected: """
      graph @g(%x: f32[4], %p: f32[2]) -> (a: f32[4], b: f32[4]) {
        %e = exp %x : f32[4]
        return %e, %e
      }
      """),
]

@Suite struct DeadCodeEliminationTests {
  @Test(arguments: dceCases)
  func rewrite(_ c: RewriteCase) throws {
    try checkRewrite({ DeadCodeElimination() }, c)
  }
}
