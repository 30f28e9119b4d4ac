import CMPIShim
import IR
import Runtime

/// `MPI_COMM_WORLD` through Open MPI: the processes `mpirun -np N` starts.
///
/// MPI is initialized by the first instance (funneled: only the thread that created it may
/// call MPI, which is how the interpreter and the JIT run `all_reduce` steps, on the calling
/// thread) and finalized by `finalize()`. Sums go through `MPI_Allreduce` in place; a mean is
/// that sum divided by the size on every rank, so every rank holds the same bits.
public final class MPICommunicator: Communicator {
  public let rank: Int
  public let size: Int
  /// How many ranks run on this host (for dividing its cores among them).
  public let localSize: Int

  /// Joins the world of this process's `mpirun` (a world of one when started without it).
  public init() throws(RuntimeError) {
    try Self.check(scalpel_mpi_initialize(), "MPI_Init_thread")
    var rank: Int32 = 0
    var size: Int32 = 0
    var local: Int32 = 0
    try Self.check(scalpel_mpi_world_rank(&rank), "MPI_Comm_rank")
    try Self.check(scalpel_mpi_world_size(&size), "MPI_Comm_size")
    try Self.check(scalpel_mpi_local_size(&local), "MPI_Comm_split_type")
    self.rank = Int(rank)
    self.size = Int(size)
    self.localSize = max(1, Int(local))
  }

  public func allReduce(
    _ buffer: UnsafeMutableRawBufferPointer, dtype: DType, reduction: CollectiveReduction
  ) throws(RuntimeError) {
    let code: Int32
    switch dtype {
    case .f32: code = 0
    case .f64: code = 1
    default: throw RuntimeError("MPI all_reduce takes f32 or f64 elements, got \(dtype)")
    }
    guard let base = buffer.baseAddress else { return }
    let count = buffer.count / dtype.byteSize
    try Self.check(scalpel_mpi_allreduce_sum(base, count, code), "MPI_Allreduce")
    if reduction == .mean { divideElements(buffer, dtype: dtype, by: size) }
  }

  /// Waits until every rank arrives.
  public func barrier() throws(RuntimeError) {
    try Self.check(scalpel_mpi_barrier(), "MPI_Barrier")
  }

  /// Ends MPI for this process (after the last collective call; later calls fail).
  public static func finalize() {
    _ = scalpel_mpi_finalize()
  }

  private static func check(_ code: Int32, _ call: String) throws(RuntimeError) {
    guard code != 0 else { return }
    var text = [CChar](repeating: 0, count: 512)
    scalpel_mpi_error_string(code, &text, Int32(text.count))
    let bytes = text.prefix { $0 != 0 }.map(UInt8.init(bitPattern:))
    let message = String(decoding: bytes, as: UTF8.self)
    throw RuntimeError("\(call) failed (code \(code)): \(message)")
  }
}
