import Foundation
import IR
import Models
import Runtime
import Testing

/// The attention pieces the examples add to the layers API: the sliding-window mask and ALiBi.
@Suite struct AttentionLayerTests {
  func evaluate(_ name: String, _ body: (GraphBuilder) -> Value) throws -> HostTensor {
    let b = GraphBuilder(name: name)
    let graph = try b.build(results: [(name, body(b))])
    return try #require(try Interpreter().run(graph, inputs: [:])[name])
  }

  @Test func slidingWindowKeepsTheLastKeys() throws {
    let mask = try evaluate("mask") {
      AttentionMasks.slidingWindow(batch: 1, tokens: 5, window: 2, in: $0)
    }
    #expect(mask.shape == [1, 1, 5, 5])
    let allowed = mask.doubles.map { $0 != 0 }
    for i in 0..<5 {
      for j in 0..<5 {
        #expect(allowed[i * 5 + j] == (j <= i && i - j < 2), "query \(i), key \(j)")
      }
    }
  }

  @Test func aWideWindowIsTheCausalMask() throws {
    let wide = try evaluate("wide") {
      AttentionMasks.slidingWindow(batch: 2, tokens: 4, window: 4, in: $0)
    }
    let causal = try evaluate("causal") { AttentionMasks.causal(batch: 2, tokens: 4, in: $0) }
    #expect(wide.doubles == causal.doubles)
  }

  /// The slopes of the ALiBi paper: 2^(−8(h+1)/H) for H a power of two; otherwise those of the
  /// power of two below, then every other slope of the power of two above. Given as −log₂ mₕ.
  static let slopeExponents: [(heads: Int, exponents: [Double])] = [
    (8, [1, 2, 3, 4, 5, 6, 7, 8]), (2, [4, 8]), (3, [4, 8, 2]), (6, [2, 4, 6, 8, 1, 3]),
  ]

  @Test(arguments: slopeExponents)
  func alibiSlopes(_ heads: Int, _ exponents: [Double]) throws {
    let slopes = try evaluate("slopes") {
      AttentionBias.alibiSlopes(heads: heads, dtype: .f64, in: $0)
    }
    let expected = exponents.map { pow(2, -$0) }
    #expect(slopes.count == heads)
    #expect(zip(slopes.doubles, expected).allSatisfy { abs($0 - $1) <= 1e-15 * $1 })
  }

  /// Query t of T is position S − T + t: with a cache of 2 keys, the one query sees distances
  /// 2, 1, 0.
  @Test func alibiCountsDistancesFromTheQueryPosition() throws {
    let bias = try evaluate("bias") {
      AttentionBias.alibi(heads: 2, queries: 1, keys: 3, dtype: .f64, in: $0)
    }
    #expect(bias.shape == [1, 2, 1, 3])
    let expected: [Double] = [-0.125, -0.0625, 0, -0.0078125, -0.00390625, 0]
    #expect(bias.doubles == expected)
  }
}
