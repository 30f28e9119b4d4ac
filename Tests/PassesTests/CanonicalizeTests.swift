import IR
import Passes
import Testing

/// One case per rewrite (and the near misses that must stay). Expected graphs keep the nodes
/// canonicalize bypasses: removing them is `dce`'s job.
let canonicalizeCases: [RewriteCase] = [
  RewriteCase(
    fires: "canonicalize.mul-one",
    before: """
      graph @g(%x: f32[4]) -> (y: f32[4]) {
        %one = constant {value = 1.0} : f32[4]
        %a = mul %x, %one : f32[4]
        %b = mul %one, %a : f32[4]
        return %b
      }
      """,
    expected: """
      graph @g(%x: f32[4]) -> (y: f32[4]) {
        %one = constant {value = 1.0} : f32[4]
        return %x
      }
      """),
  RewriteCase(
    fires: "canonicalize.add-zero",
    before: """
      graph @g(%x: i32[4]) -> (y: i32[4], z: i32[4]) {
        %zero = constant {value = 0.0} : i32[4]
        %a = add %x, %zero : i32[4]
        %b = add %zero, %x : i32[4]
        return %a, %b
      }
      """,
    expected: """
      graph @g(%x: i32[4]) -> (y: i32[4], z: i32[4]) {
        %zero = constant {value = 0.0} : i32[4]
        return %x, %x
      }
      """),
  RewriteCase(
    fires: "canonicalize.sub-zero",
    before: """
      graph @g(%x: f32[4]) -> (y: f32[4], z: f32[4]) {
        %zero = constant {value = 0.0} : f32[4]
        %a = sub %x, %zero : f32[4]
        %b = sub %zero, %x : f32[4]
        return %a, %b
      }
      """,
    expected: """
      graph @g(%x: f32[4]) -> (y: f32[4], z: f32[4]) {
        %zero = constant {value = 0.0} : f32[4]
        %b = sub %zero, %x : f32[4]
        return %x, %b
      }
      """),
  RewriteCase(
    fires: "canonicalize.div-one",
    before: """
      graph @g(%x: f64[2,2]) -> (y: f64[2,2], z: f64[2,2]) {
        %one = constant {value = 1.0} : f64[2,2]
        %a = div %x, %one : f64[2,2]
        %b = div %one, %x : f64[2,2]
        return %a, %b
      }
      """,
    expected: """
      graph @g(%x: f64[2,2]) -> (y: f64[2,2], z: f64[2,2]) {
        %one = constant {value = 1.0} : f64[2,2]
        %b = div %one, %x : f64[2,2]
        return %x, %b
      }
      """),
  RewriteCase(
    fires: "canonicalize.sub-self",
    before: """
      graph @g(%x: i64[3], %f: f32[3]) -> (y: i64[3], z: f32[3]) {
        %d = sub %x, %x : i64[3]
        %e = sub %f, %f : f32[3]
        return %d, %e
      }
      """,
    expected: """
      graph @g(%x: i64[3], %f: f32[3]) -> (y: i64[3], z: f32[3]) {
        %d = constant {value = 0.0} : i64[3]
        %e = sub %f, %f : f32[3]
        return %d, %e
      }
      """),
  RewriteCase(
    fires: "canonicalize.neg-neg",
    before: """
      graph @g(%x: f32[4]) -> (y: f32[4], z: f32[4]) {
        %a = neg %x : f32[4]
        %b = neg %a : f32[4]
        %c = neg %b : f32[4]
        return %b, %c
      }
      """,
    expected: """
      graph @g(%x: f32[4]) -> (y: f32[4], z: f32[4]) {
        %a = neg %x : f32[4]
        %c = neg %x : f32[4]
        return %x, %c
      }
      """),
  RewriteCase(
    fires: "canonicalize.transpose-transpose",
    before: """
      graph @g(%x: f32[2,3,4]) -> (y: f32[4,3,2]) {
        %t1 = transpose %x {perm = [1, 2, 0]} : f32[3,4,2]
        %t2 = transpose %t1 {perm = [1, 0, 2]} : f32[4,3,2]
        return %t2
      }
      """,
    expected: """
      graph @g(%x: f32[2,3,4]) -> (y: f32[4,3,2]) {
        %t1 = transpose %x {perm = [1, 2, 0]} : f32[3,4,2]
        %t2 = transpose %x {perm = [2, 1, 0]} : f32[4,3,2]
        return %t2
      }
      """),
  RewriteCase(
    fires: "canonicalize.transpose-transpose",
    before: """
      graph @g(%x: f32[2,3,4]) -> (y: f32[2,3,4]) {
        %t1 = transpose %x {perm = [1, 2, 0]} : f32[3,4,2]
        %t2 = transpose %t1 {perm = [2, 0, 1]} : f32[2,3,4]
        return %t2
      }
      """,
    expected: """
      graph @g(%x: f32[2,3,4]) -> (y: f32[2,3,4]) {
        %t1 = transpose %x {perm = [1, 2, 0]} : f32[3,4,2]
        return %x
      }
      """),
  RewriteCase(
    fires: "canonicalize.transpose-identity",
    before: """
      graph @g(%x: f32[2,3]) -> (y: f32[2,3]) {
        %t = transpose %x {perm = [0, 1]} : f32[2,3]
        return %t
      }
      """,
    expected: """
      graph @g(%x: f32[2,3]) -> (y: f32[2,3]) {
        return %x
      }
      """),
  RewriteCase(
    fires: "canonicalize.reshape-reshape",
    before: """
      graph @g(%x: f32[2,6]) -> (y: f32[12]) {
        %r1 = reshape %x {shape = [3, 4]} : f32[3,4]
        %r2 = reshape %r1 {shape = [12]} : f32[12]
        return %r2
      }
      """,
    expected: """
      graph @g(%x: f32[2,6]) -> (y: f32[12]) {
        %r1 = reshape %x {shape = [3, 4]} : f32[3,4]
        %r2 = reshape %x {shape = [12]} : f32[12]
        return %r2
      }
      """),
  RewriteCase(
    fires: "canonicalize.reshape-same-shape",
    before: """
      graph @g(%x: f32[2,6]) -> (y: f32[2,6], z: f32[2,6]) {
        %same = reshape %x {shape = [2, 6]} : f32[2,6]
        %r1 = reshape %x {shape = [12]} : f32[12]
        %back = reshape %r1 {shape = [2, 6]} : f32[2,6]
        return %same, %back
      }
      """,
    expected: """
      graph @g(%x: f32[2,6]) -> (y: f32[2,6], z: f32[2,6]) {
        %r1 = reshape %x {shape = [12]} : f32[12]
        return %x, %x
      }
      """),
  RewriteCase(
    fires: "canonicalize.broadcast-same-shape",
    before: """
      graph @g(%x: f32[2,3]) -> (y: f32[2,3]) {
        %b = broadcast %x {shape = [2, 3]} : f32[2,3]
        return %b
      }
      """,
    expected: """
      graph @g(%x: f32[2,3]) -> (y: f32[2,3]) {
        return %x
      }
      """),
  RewriteCase(
    fires: "canonicalize.broadcast-splat",
    before: """
      graph @g() -> (y: f32[2,3], z: i32[5]) {
        %c = constant {value = 2.5} : f32[]
        %b = broadcast %c {shape = [2, 3]} : f32[2,3]
        %k = constant {value = 7.0} : i32[1]
        %kb = broadcast %k {shape = [5]} : i32[5]
        return %b, %kb
      }
      """,
    expected: """
      graph @g() -> (y: f32[2,3], z: i32[5]) {
        %c = constant {value = 2.5} : f32[]
        %b = constant {value = 2.5} : f32[2,3]
        %k = constant {value = 7.0} : i32[1]
        %kb = constant {value = 7.0} : i32[5]
        return %b, %kb
      }
      """),
  RewriteCase(
    fires: "canonicalize.broadcast-broadcast",
    before: """
      graph @g(%x: f32[3]) -> (y: f32[4,2,3]) {
        %b1 = broadcast %x {shape = [2, 3]} : f32[2,3]
        %b2 = broadcast %b1 {shape = [4, 2, 3]} : f32[4,2,3]
        return %b2
      }
      """,
    expected: """
      graph @g(%x: f32[3]) -> (y: f32[4,2,3]) {
        %b1 = broadcast %x {shape = [2, 3]} : f32[2,3]
        %b2 = broadcast %x {shape = [4, 2, 3]} : f32[4,2,3]
        return %b2
      }
      """),
  RewriteCase(
    fires: "canonicalize.cast-same-type",
    before: """
      graph @g(%x: f32[3]) -> (y: f32[3], z: f64[3]) {
        %same = cast %x : f32[3]
        %wide = cast %x : f64[3]
        return %same, %wide
      }
      """,
    expected: """
      graph @g(%x: f32[3]) -> (y: f32[3], z: f64[3]) {
        %wide = cast %x : f64[3]
        return %x, %wide
      }
      """),
  RewriteCase(
    fires: "canonicalize.slice-whole",
    before: """
      graph @g(%x: f32[4,1]) -> (y: f32[4,1], z: f32[4,1], w: f32[2,1]) {
        %all = slice %x {start = [0, 0], limit = [4, 1]} : f32[4,1]
        %strided = slice %x {start = [0, 0], limit = [4, 1], stride = [1, 3]} : f32[4,1]
        %half = slice %x {start = [0, 0], limit = [4, 1], stride = [2, 1]} : f32[2,1]
        return %all, %strided, %half
      }
      """,
    expected: """
      graph @g(%x: f32[4,1]) -> (y: f32[4,1], z: f32[4,1], w: f32[2,1]) {
        %half = slice %x {start = [0, 0], limit = [4, 1], stride = [2, 1]} : f32[2,1]
        return %x, %x, %half
      }
      """),
  // Near misses: nothing applies.
  RewriteCase(
    fires: nil,
    before: """
      graph @g(%x: f32[4], %y: f32[4]) -> (a: f32[4], b: f32[4], c: f32[4], d: f32[2,2]) {
        %two = constant {value = 2.0} : f32[4]
        %m = mul %x, %two : f32[4]
        %s = add %x, %y : f32[4]
        %n = neg %x : f32[4]
        %r = reshape %n {shape = [2, 2]} : f32[2,2]
        return %m, %s, %n, %r
      }
      """,
    expected: """
      graph @g(%x: f32[4], %y: f32[4]) -> (a: f32[4], b: f32[4], c: f32[4], d: f32[2,2]) {
        %two = constant {value = 2.0} : f32[4]
        %m = mul %x, %two : f32[4]
        %s = add %x, %y : f32[4]
        %n = neg %x : f32[4]
        %r = reshape %n {shape = [2, 2]} : f32[2,2]
        return %m, %s, %n, %r
      }
      """),
]

@Suite struct CanonicalizeTests {
  @Test(arguments: canonicalizeCases)
  func rewrite(_ c: RewriteCase) throws {
    try checkRewrite({ Canonicalize() }, c)
  }

  @Test func everyPatternHasACase() {
    let covered = Set(canonicalizeCases.compactMap(\.fires))
    let patterns = Set(Canonicalize.patterns.map { "canonicalize.\($0.name)" })
    #expect(patterns.subtracting(covered).isEmpty, "patterns without a case")
  }

  @Test func chainsCollapseAcrossSweeps() throws {
    // reshape∘reshape back to the operand's shape needs a second sweep to vanish.
    try checkRewrite(
      { Canonicalize() },
      RewriteCase(
        fires: "canonicalize.reshape-same-shape",
        before: """
          graph @g(%x: f32[6]) -> (y: f32[6]) {
            %one = constant {value = 1.0} : f32[6]
            %r1 = reshape %x {shape = [2, 3]} : f32[2,3]
            %r2 = reshape %r1 {shape = [6]} : f32[6]
            %m = mul %r2, %one : f32[6]
            return %m
          }
          """,
        expected: """
          graph @g(%x: f32[6]) -> (y: f32[6]) {
            %one = constant {value = 1.0} : f32[6]
            %r1 = reshape %x {shape = [2, 3]} : f32[2,3]
            return %x
          }
          """))
  }
}
