import Foundation
import IR
import TestSupport
import Testing

@testable import Runtime

/// The matrix-product driver under every policy (pool sizes, split or not, the single-row gemv,
/// an empty contraction) against a naive product in f64, within the f32 error bound
/// |ĉ − c| ≤ γ_K·Σ|a||b| (γ_K ≈ K·u, u = 2⁻²⁴) for any summation order.
@Suite struct GemmTests {
  func check(m: Int, n: Int, k: Int, batch: Int, ta: Bool, tb: Bool) throws {
    var generator = SeededGenerator(seed: UInt64(m * 131 + n * 17 + k + batch))
    // One spare element each: an empty operand (k = 0) still has an address to pass.
    let a = (0...(batch * m * k)).map { _ in Float.random(in: -1..<1, using: &generator) }
    let b = (0...(batch * k * n)).map { _ in Float.random(in: -1..<1, using: &generator) }
    let shape = try GemmShape(
      dtype: .f32, m: m, n: n, k: k, transposeA: ta, transposeB: tb, batch: batch)
    for threads in [1, 2, 3] {
      for split in [true, false] {
        var c = [Float](repeating: .nan, count: batch * m * n)
        a.withUnsafeBytes { pa in
          b.withUnsafeBytes { pb in
            c.withUnsafeMutableBytes { pc in
              guard let a0 = pa.baseAddress, let b0 = pb.baseAddress, let c0 = pc.baseAddress
              else { return }
              Gemm.run(
                shape, a: a0, b: b0, c: c0, pool: ThreadPool.shared(threads: threads),
                split: split)
            }
          }
        }
        let gamma = Double(k + 1) * Double(Float.ulpOfOne)
        var beyond = 0
        for i in 0..<batch {
          for r in 0..<m {
            for q in 0..<n {
              var exact = 0.0
              var magnitude = 0.0
              for j in 0..<k {
                // op(a)[r, j] and op(b)[j, q] of product i, read from the stored layouts.
                let x = Double(ta ? a[i * m * k + j * m + r] : a[i * m * k + r * k + j])
                let y = Double(tb ? b[i * k * n + q * k + j] : b[i * k * n + j * n + q])
                exact += x * y
                magnitude += abs(x * y)
              }
              if !(abs(Double(c[(i * m + r) * n + q]) - exact) <= gamma * magnitude) { beyond += 1 }
            }
          }
        }
        #expect(
          beyond == 0,
          "\(batch)×[\(m)×\(k)]·[\(k)×\(n)] ta \(ta) tb \(tb) threads \(threads) split \(split)")
      }
    }
  }

  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func everyPolicyAgreesWithTheExactProduct(ta: Bool, tb: Bool) throws {
    try check(m: 1, n: 70, k: 33, batch: 2, ta: ta, tb: tb)  // gemv
    try check(m: 9, n: 7, k: 5, batch: 4, ta: ta, tb: tb)  // small batched: one per task
    try check(m: 300, n: 90, k: 160, batch: 1, ta: ta, tb: tb)  // split in row blocks
    try check(m: 70, n: 400, k: 160, batch: 1, ta: ta, tb: tb)  // split in column blocks
    try check(m: 3, n: 4, k: 0, batch: 2, ta: ta, tb: tb)  // empty contraction: zeros
  }

  @Test func shapesOpenBLASCannotTakeAreErrors() {
    #expect(throws: RuntimeError.self) {
      try GemmShape(dtype: .i32, m: 1, n: 1, k: 1, transposeA: false, transposeB: false, batch: 1)
    }
    #expect(throws: RuntimeError.self) {
      try GemmShape(
        dtype: .f32, m: 1 << 31, n: 1, k: 1, transposeA: false, transposeB: false, batch: 1)
    }
  }

  /// A kernel narrower than the CPU is replaced by the one its vector extensions call for.
  @Test func aNarrowKernelIsReplacedByTheOneTheCPUCallsFor() {
    let avx2: Set<String> = ["sse4_2", "avx", "avx2", "fma"]
    let avx512 = avx2.union(["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
    #expect(OpenBLASKernel.replacement(current: "Prescott", flags: avx512) == "SkylakeX")
    #expect(OpenBLASKernel.replacement(current: "Sandybridge", flags: avx2) == "Haswell")
    #expect(
      OpenBLASKernel.replacement(current: "Prescott", flags: avx512.subtracting(["avx512bw"]))
        == "Haswell")
    #expect(OpenBLASKernel.replacement(current: "Prescott", flags: ["sse4_2", "avx"]) == nil)
    for kept in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"] {
      #expect(OpenBLASKernel.replacement(current: kept, flags: avx512) == nil)
    }
  }

  /// The kernel OpenBLAS runs in this process needs no replacement: it uses AVX2 or AVX-512
  /// whenever the CPU has them (unless the environment's OPENBLAS_CORETYPE chose it).
  @Test func theKernelInUseFitsTheHost() {
    let kernel = Gemm.openBLAS.kernel
    let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil
    #expect(
      forced
        || OpenBLASKernel.replacement(current: kernel, flags: HostCPU.flags) == nil,
      "OpenBLAS kernel \(kernel)")
  }
}
