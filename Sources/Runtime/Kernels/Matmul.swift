import CBLAS
import IR

// Batched matrix product (IR/Ops/Matmul.swift) through OpenBLAS: one row-major
// `cblas_sgemm`/`cblas_dgemm` call per batch element, y = op(a)·op(b) with op = identity or
// the transpose of the last two axes (gemv when op(a) has one row). A transposed operand is read
// in place (BLAS transpose flag), never copied. Empty products (m, n or k zero) are handled
// without BLAS.

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
  let batch = a.shape[..<(r - 2)].reduce(1, *)
  let type = a.type.with(shape: Array(a.shape[..<(r - 2)]) + [m, n])
  guard let m32 = Int32(exactly: m), let n32 = Int32(exactly: n), let k32 = Int32(exactly: k) else {
    throw KernelError("matrix dimensions \(m)×\(k)·\(k)×\(n) exceed OpenBLAS's 32-bit limit")
  }
  let dims = GemmDims(
    m: m32, n: n32, k: k32, transposeA: transposeA, transposeB: transposeB, batch: batch)
  let storage: TensorStorage
  switch (a.storage, b.storage) {
  case (.f32(let x), .f32(let y)): storage = .f32(batchedGemm(x, y, dims, gemm: sgemm))
  case (.f64(let x), .f64(let y)): storage = .f64(batchedGemm(x, y, dims, gemm: dgemm))
  default:
    throw KernelError("matmul needs two f32 or two f64 operands, got \(a.type) and \(b.type)")
  }
  return HostTensor(unchecked: type, storage)
}

/// Sizes of one batched product: each batch element is [m, k]·[k, n] after the transposes.
struct GemmDims {
  var m: Int32
  var n: Int32
  var k: Int32
  var transposeA: Bool
  var transposeB: Bool
  var batch: Int
}

/// A row-major gemm `c = op(a)·op(b)` on one batch element.
typealias Gemm<T> = (
  GemmDims, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>
) -> Void

func batchedGemm<T: FloatElement>(_ a: [T], _ b: [T], _ d: GemmDims, gemm: Gemm<T>) -> [T] {
  let (m, n, k) = (Int(d.m), Int(d.n), Int(d.k))
  var c = [T](repeating: 0, count: d.batch * m * n)
  if m == 0 || n == 0 || k == 0 { return c }  // zeros (or empty): BLAS needs positive sizes
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      c.withUnsafeMutableBufferPointer { pc in
        guard let a0 = pa.baseAddress, let b0 = pb.baseAddress, let c0 = pc.baseAddress else {
          return
        }
        for i in 0..<d.batch {
          gemm(d, a0 + i * m * k, b0 + i * k * n, c0 + i * m * n)
        }
      }
    }
  }
  return c
}

/// Leading dimensions of row-major operands: the stored row length of each matrix.
private func leading(_ d: GemmDims) -> (lda: Int32, ldb: Int32, ldc: Int32) {
  (d.transposeA ? d.m : d.k, d.transposeB ? d.k : d.n, d.n)
}

private func flag(_ transpose: Bool) -> CBLAS_TRANSPOSE { transpose ? CblasTrans : CblasNoTrans }

func sgemm(
  _ d: GemmDims, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  _ c: UnsafeMutablePointer<Float>
) {
  if d.m == 1 {  // a row vector times a matrix: gemv reads b once, where gemm would pack it
    let (rows, columns) = d.transposeB ? (d.n, d.k) : (d.k, d.n)
    cblas_sgemv(
      CblasRowMajor, d.transposeB ? CblasNoTrans : CblasTrans, rows, columns, 1, b, columns, a, 1,
      0, c, 1)
    return
  }
  let (lda, ldb, ldc) = leading(d)
  cblas_sgemm(
    CblasRowMajor, flag(d.transposeA), flag(d.transposeB), d.m, d.n, d.k, 1, a, lda, b, ldb, 0, c,
    ldc)
}

func dgemm(
  _ d: GemmDims, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
  _ c: UnsafeMutablePointer<Double>
) {
  if d.m == 1 {  // see sgemm
    let (rows, columns) = d.transposeB ? (d.n, d.k) : (d.k, d.n)
    cblas_dgemv(
      CblasRowMajor, d.transposeB ? CblasNoTrans : CblasTrans, rows, columns, 1, b, columns, a, 1,
      0, c, 1)
    return
  }
  let (lda, ldb, ldc) = leading(d)
  cblas_dgemm(
    CblasRowMajor, flag(d.transposeA), flag(d.transposeB), d.m, d.n, d.k, 1, a, lda, b, ldb, 0, c,
    ldc)
}
