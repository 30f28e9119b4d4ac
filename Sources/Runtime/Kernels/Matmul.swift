import IR

// Batched matrix product (IR/Ops/Matmul.swift): y = op(a)·op(b) per batch element, with
// op = identity or the transpose of the last two axes, through the one driver (`Gemm`) and
// the process's thread pool, as the JIT runs it.

func matmulKernel(_ a: HostTensor, _ b: HostTensor, transposeA: Bool, transposeB: Bool)
  throws(KernelError) -> HostTensor
{
  let r = a.type.rank
  guard r >= 2, b.type.rank == r, a.shape[..<(r - 2)] == b.shape[..<(r - 2)] else {
    throw KernelError("matmul operands \(a.type) and \(b.type) do not match")
  }
  let (m, k) = transposeA ? (a.shape[r - 1], a.shape[r - 2]) : (a.shape[r - 2], a.shape[r - 1])
  let (kb, n) = transposeB ? (b.shape[r - 1], b.shape[r - 2]) : (b.shape[r - 2], b.shape[r - 1])
  guard k == kb else { throw KernelError("contracting dimensions differ: \(k) and \(kb)") }
  guard a.dtype == b.dtype else {
    throw KernelError("matmul needs two f32 or two f64 operands, got \(a.type) and \(b.type)")
  }
  let shape: GemmShape
  do {
    shape = try GemmShape(
      dtype: a.dtype, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
      batch: a.shape[..<(r - 2)].reduce(1, *))
  } catch {
    throw KernelError(error.message)
  }
  let type = a.type.with(shape: Array(a.shape[..<(r - 2)]) + [m, n])
  let pool = ThreadPool.shared(threads: ThreadPool.hostThreads)
  func product<T: FloatElement>(_ x: [T], _ y: [T]) -> [T] {
    var z = [T](repeating: 0, count: shape.batch * m * n)
    x.withUnsafeBytes { pa in
      y.withUnsafeBytes { pb in
        z.withUnsafeMutableBytes { pc in
          guard let a0 = pa.baseAddress, let b0 = pb.baseAddress, let c0 = pc.baseAddress else {
            return  // an empty operand or result: nothing to compute
          }
          Gemm.run(shape, a: a0, b: b0, c: c0, pool: pool)
        }
      }
    }
    return z
  }
  switch (a.storage, b.storage) {
  case (.f32(let x), .f32(let y)): return HostTensor(unchecked: type, .f32(product(x, y)))
  case (.f64(let x), .f64(let y)): return HostTensor(unchecked: type, .f64(product(x, y)))
  default:
    throw KernelError("matmul needs two f32 or two f64 operands, got \(a.type) and \(b.type)")
  }
}
