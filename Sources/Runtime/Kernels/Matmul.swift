import IR

// Batched matrix product (IR/Ops/Matmul.swift): y = op(a)·op(b) per batch element, with
// op = identity or the transpose of the last two axes, through the one driver (`Gemm`) and
// the process's thread pool, as the JIT runs it.

func matmulKernel(_ a: HostTensor, _ b: HostTensor, transposeA: Bool, transposeB: Bool)
  throws(KernelError) -> HostTensor
{
  let shape: GemmShape
  do {
    shape = try GemmShape(matmul: a.type, b.type, transposeA: transposeA, transposeB: transposeB)
  } catch {
    throw KernelError(error.message)
  }
  let (m, n) = (shape.m, shape.n)
  let type = a.type.with(shape: Array(a.shape.dropLast(2)) + [m, n])
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
