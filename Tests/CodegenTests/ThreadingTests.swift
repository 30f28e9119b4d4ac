import Codegen
import IR
import Runtime
import Testing

// Matrix products split over the thread pool (row or column blocks with single-threaded
// OpenBLAS), in every transpose combination, against the interpreter.

@Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
func largeMatmulsSplitAcrossThreadsMatchTheInterpreter(transposeA: Bool, transposeB: Bool)
  throws
{
  // 300×200·200×170 = 10.2 M multiply-adds (above the small-product limit): row blocks;
  // 96×200·200×700: column blocks.
  for (m, k, n) in [(300, 200, 170), (96, 200, 700)] {
    let b = GraphBuilder(name: "mm")
    let x = b.parameter("x", TensorType(.f32, [2] + (transposeA ? [k, m] : [m, k])))
    let w = b.parameter("w", TensorType(.f32, [2] + (transposeB ? [n, k] : [k, n])))
    let y = b.matmul(x, w, transposeA: transposeA, transposeB: transposeB)
    let g = try b.build(results: [("y", y)])
    let inputs = try randomInputs(g, seed: UInt64(m + n))
    for (threads, split) in [(2, true), (3, true), (2, false)] {
      var options = testOptions
      options.threads = threads
      options.splitMatmuls = split
      try expectProductsAgree(
        g, inputs, depth: k, options: options, " threads \(threads) split \(split)")
    }
  }
}
