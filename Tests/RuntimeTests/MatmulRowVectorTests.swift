import IR
import Runtime
import Testing

/// Products whose left operand has one row take the gemv path: check every transpose
/// combination, both float dtypes and a batch against the definition.
@Test(arguments: [DType.f32, .f64])
func matmulWithOneRowMatchesTheDefinition(_ dtype: DType) throws {
  let (batch, k, n) = (2, 5, 3)
  for transposeA in [false, true] {
    for transposeB in [false, true] {
      let aShape = [batch] + (transposeA ? [k, 1] : [1, k])
      let bShape = [batch] + (transposeB ? [n, k] : [k, n])
      let a = (0..<(batch * k)).map { Double($0 % 7) - 2.5 }
      let w = (0..<(batch * k * n)).map { Double(($0 * 5) % 11) - 4 }
      let g = GraphBuilder(name: "row")
      let y = g.matmul(
        g.parameter("a", TensorType(dtype, aShape)), g.parameter("b", TensorType(dtype, bShape)),
        transposeA: transposeA, transposeB: transposeB)
      let graph = try g.build(results: [("y", y)])
      let out = try Interpreter().run(
        graph,
        inputs: [
          "a": try HostTensor(TensorType(dtype, aShape), doubles: a),
          "b": try HostTensor(TensorType(dtype, bShape), doubles: w),
        ])
      var expected: [Double] = []
      for p in 0..<batch {
        for j in 0..<n {
          var sum = 0.0
          for i in 0..<k {
            let bij = transposeB ? w[p * n * k + j * k + i] : w[p * k * n + i * n + j]
            sum += a[p * k + i] * bij
          }
          expected.append(sum)
        }
      }
      let want = try HostTensor(TensorType(dtype, [batch, 1, n]), doubles: expected)
      let got = try #require(out["y"])
      #expect(
        got.isClose(to: want, rtol: 1e-6), "transposeA \(transposeA) transposeB \(transposeB)")
    }
  }
}
