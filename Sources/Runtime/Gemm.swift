import CBLAS
import Foundation
import IR

/// The sizes of one batched matrix product: `batch` row-major products
/// c[i] = op(a[i])·op(b[i]), each [m, k]·[k, n] after the transposes (op = identity or the
/// transpose of the stored matrix, read in place through BLAS's transpose flag).
public struct GemmShape: Sendable, Hashable {
  public var dtype: DType
  public var m: Int
  public var n: Int
  public var k: Int
  public var transposeA: Bool
  public var transposeB: Bool
  public var batch: Int

  /// Checks what OpenBLAS needs: f32 or f64, non-negative sizes that fit its 32-bit integers.
  public init(
    dtype: DType, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, batch: Int
  ) throws(RuntimeError) {
    guard dtype == .f32 || dtype == .f64 else {
      throw RuntimeError("matmul needs f32 or f64 operands, got \(dtype)")
    }
    guard m >= 0, n >= 0, k >= 0, batch >= 0 else {
      throw RuntimeError("negative matrix size \(m)×\(k)·\(k)×\(n) (batch \(batch))")
    }
    guard Int32(exactly: m) != nil, Int32(exactly: n) != nil, Int32(exactly: k) != nil else {
      throw RuntimeError("matrix dimensions \(m)×\(k)·\(k)×\(n) exceed OpenBLAS's 32-bit limit")
    }
    (self.dtype, self.m, self.n, self.k) = (dtype, m, n, k)
    (self.transposeA, self.transposeB, self.batch) = (transposeA, transposeB, batch)
  }
}

extension GemmShape {
  /// The products of `matmul` on operands `a` and `b` (IR/Ops/Matmul.swift): batch axes
  /// first, matrices in the last two; checks that the operands fit together.
  public init(matmul a: TensorType, _ b: TensorType, transposeA: Bool, transposeB: Bool)
    throws(RuntimeError)
  {
    let r = a.rank
    guard r >= 2, b.rank == r, a.shape[..<(r - 2)] == b.shape[..<(r - 2)], a.dtype == b.dtype
    else { throw RuntimeError("matmul operands \(a) and \(b) do not match") }
    let (m, k) = transposeA ? (a.shape[r - 1], a.shape[r - 2]) : (a.shape[r - 2], a.shape[r - 1])
    let (kb, n) = transposeB ? (b.shape[r - 1], b.shape[r - 2]) : (b.shape[r - 2], b.shape[r - 1])
    guard k == kb else { throw RuntimeError("contracting dimensions differ: \(k) and \(kb)") }
    try self.init(
      dtype: a.dtype, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
      batch: a.shape[..<(r - 2)].reduce(1, *))
  }
}

/// The one matrix-product driver: the interpreter's `matmul` kernel and the JIT's compiled
/// steps both call it, with the same threading policy.
///
/// Policy. With `split` (the default for both backends), OpenBLAS runs single-threaded and the
/// pool shares the work: a batch of small (attention-sized) products one matrix per task, a
/// large product in row (or column) blocks, a few per thread so a thread slowed by other load
/// on the machine gets less; only this process's threads run, and none spin-waits. Without
/// `split`, each matrix is one OpenBLAS call on the pool's thread count (OpenBLAS's own
/// threads), except batches of small products, which still go one per task. A single-row
/// product (m = 1, as in decoding one token) unsplit is a gemv, which reads b once where gemm
/// would pack it. An empty contraction (k = 0) writes zeros.
public enum Gemm {
  /// Multiply-adds up to which a batched product's matrices run one per task.
  public static let smallProduct = 1 << 22

  /// Computes `shape`'s products from `a` and `b` into `c` (element type `shape.dtype`).
  public static func run(
    _ shape: GemmShape, a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutableRawPointer,
    pool: ThreadPool, split: Bool = true
  ) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let size = shape.dtype.byteSize
    if m == 0 || n == 0 || shape.batch == 0 { return }
    if k == 0 {
      memset(c, 0, shape.batch * m * n * size)
      return
    }
    let small = m * n * k <= smallProduct
    if pool.size > 1 && shape.batch > 1 && small {
      setBLASThreads(1)
      pool.run(tasks: shape.batch) { block(shape, $0, rows: 0..<m, columns: 0..<n, a, b, c) }
      return
    }
    guard split && pool.size > 1 && !small else {
      setBLASThreads(split ? 1 : pool.size)
      for i in 0..<shape.batch { block(shape, i, rows: 0..<m, columns: 0..<n, a, b, c) }
      return
    }
    setBLASThreads(1)
    // Blocks of at least 64 rows (or columns), up to 3 per thread, along the longer side, cut
    // at multiples of 16 so every block but the last keeps whole SIMD tiles.
    let alongRows = m >= n
    let extent = alongRows ? m : n
    let parts = max(1, min(pool.size * 3, extent / 64))
    pool.run(tasks: shape.batch * parts) { t in
      let (i, p) = (t / parts, t % parts)
      let lo = extent * p / parts / 16 * 16
      let hi = p == parts - 1 ? extent : extent * (p + 1) / parts / 16 * 16
      if alongRows {
        block(shape, i, rows: lo..<hi, columns: 0..<n, a, b, c)
      } else {
        block(shape, i, rows: 0..<m, columns: lo..<hi, a, b, c)
      }
    }
  }

  /// Rows `rows` and columns `columns` of product `i`: one BLAS call.
  static func block(
    _ s: GemmShape, _ i: Int, rows: Range<Int>, columns: Range<Int>, _ a: UnsafeRawPointer,
    _ b: UnsafeRawPointer, _ c: UnsafeMutableRawPointer
  ) {
    let (m, n, k) = (s.m, s.n, s.k)
    let aOffset = i * m * k + (s.transposeA ? rows.lowerBound : rows.lowerBound * k)
    let bOffset = i * k * n + (s.transposeB ? columns.lowerBound * k : columns.lowerBound)
    let cOffset = i * m * n + rows.lowerBound * n + columns.lowerBound
    let size = s.dtype.byteSize
    let (pa, pb, pc) = (a + aOffset * size, b + bOffset * size, c + cOffset * size)
    let ta = s.transposeA ? CblasTrans : CblasNoTrans
    let tb = s.transposeB ? CblasTrans : CblasNoTrans
    let (lda, ldb, ldc) = (Int32(s.transposeA ? m : k), Int32(s.transposeB ? k : n), Int32(n))
    let (r, q, kk) = (Int32(rows.count), Int32(columns.count), Int32(k))
    // A whole single-row product: y = op(b)ᵀ·a as a gemv over b's stored rows.
    let gemv = m == 1 && rows.count == 1 && columns.count == n
    let (bRows, bColumns) = s.transposeB ? (Int32(n), kk) : (kk, Int32(n))
    let bFlag = s.transposeB ? CblasNoTrans : CblasTrans
    if s.dtype == .f32 {
      let (x, y, z) = (
        pa.assumingMemoryBound(to: Float.self), pb.assumingMemoryBound(to: Float.self),
        pc.assumingMemoryBound(to: Float.self)
      )
      if gemv {
        cblas_sgemv(CblasRowMajor, bFlag, bRows, bColumns, 1, y, bColumns, x, 1, 0, z, 1)
      } else {
        cblas_sgemm(CblasRowMajor, ta, tb, r, q, kk, 1, x, lda, y, ldb, 0, z, ldc)
      }
    } else {
      let (x, y, z) = (
        pa.assumingMemoryBound(to: Double.self), pb.assumingMemoryBound(to: Double.self),
        pc.assumingMemoryBound(to: Double.self)
      )
      if gemv {
        cblas_dgemv(CblasRowMajor, bFlag, bRows, bColumns, 1, y, bColumns, x, 1, 0, z, 1)
      } else {
        cblas_dgemm(CblasRowMajor, ta, tb, r, q, kk, 1, x, lda, y, ldb, 0, z, ldc)
      }
    }
  }

  /// OpenBLAS's build configuration, the kernel it chose for this CPU and its thread count, for
  /// benchmark and test logs.
  public static var openBLAS: (configuration: String, kernel: String, threads: Int) {
    blasThreadsLock.withLock { selectKernelOnce() }
    return (
      openblas_get_config().map { String(cString: $0) } ?? "unknown",
      openblas_get_corename().map { String(cString: $0) } ?? "unknown",
      Int(openblas_get_num_threads())
    )
  }

  /// OpenBLAS's thread count (a process-wide setting), changed only when it differs.
  static func setBLASThreads(_ n: Int) {
    blasThreadsLock.lock()
    defer { blasThreadsLock.unlock() }
    selectKernelOnce()
    if blasThreads == n { return }
    openblas_set_num_threads(Int32(n))
    blasThreads = n
  }

  /// Replaces a kernel OpenBLAS chose too narrow for this CPU (`OpenBLASKernel`) before the
  /// first BLAS call; called under `blasThreadsLock`.
  private static func selectKernelOnce() {
    if kernelSelected { return }
    OpenBLASKernel.select()
    kernelSelected = true
  }

  nonisolated(unsafe) private static var kernelSelected = false
  nonisolated(unsafe) private static var blasThreads = 0
  private static let blasThreadsLock = NSLock()
}
