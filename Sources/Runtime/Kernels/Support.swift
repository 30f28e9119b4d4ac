import IR

// Helpers shared by the kernels: strided index maps and parallel loops.

/// Element counts at or above which a kernel splits its work across cores.
enum Parallelism {
  /// Elementwise ops: below this, threading costs more than it saves.
  static let elementThreshold = 1 << 16
  /// The process's pool (`ThreadPool`, shared with the matrix-product driver and the JIT).
  static var pool: ThreadPool { ThreadPool.shared(threads: ThreadPool.hostThreads) }
}

/// A mutable buffer shared by the chunks of a parallel loop.
///
/// `@unchecked Sendable` because every chunk writes a disjoint index range and the buffer
/// outlives the (synchronous) parallel loop; nothing else touches it meanwhile.
struct SharedBuffer<T>: @unchecked Sendable {
  let base: UnsafeMutablePointer<T>
}

/// Calls `body(range)` for disjoint ranges covering `0..<count`: serially when `count` is below
/// `threshold`, else in chunks (four per thread) spread over the pool. `body` must only write
/// its own range.
func forEachChunk(count: Int, threshold: Int, _ body: (Range<Int>) -> Void) {
  let pool = Parallelism.pool
  if count < threshold || pool.size == 1 {
    body(0..<count)
    return
  }
  let chunks = Swift.min(pool.size * 4, count)
  let size = (count + chunks - 1) / chunks
  pool.run(tasks: chunks) { c in
    let lower = c * size
    let upper = Swift.min(count, lower + size)
    if lower < upper { body(lower..<upper) }
  }
}

/// Builds an array of `count` elements from `element(i)`, in parallel for large counts.
func parallelArray<T>(
  count: Int, threshold: Int = Parallelism.elementThreshold, _ element: (Int) -> T
)
  -> [T]
{
  if count < threshold { return (0..<count).map(element) }
  return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
    if let base = buffer.baseAddress {
      let shared = SharedBuffer(base: base)
      forEachChunk(count: count, threshold: threshold) { range in
        for i in range { (shared.base + i).initialize(to: element(i)) }
      }
    }
    initialized = count
  }
}

/// For every multi-index of `shape` in row-major order, `offset + Σ index[d]·strides[d]`.
///
/// With source strides this is the flat source position of each output element; broadcast
/// (stride 0), transpose (permuted strides), slice (scaled strides plus an offset) and iota are
/// all one call.
func stridedIndices(shape: [Int], strides: [Int], offset: Int = 0) -> [Int] {
  let count = shape.reduce(1, *)
  var out = [Int]()
  out.reserveCapacity(count)
  if count == 0 { return out }
  let rank = shape.count
  if rank == 0 { return [offset] }
  var index = [Int](repeating: 0, count: rank)
  var position = offset
  let inner = shape[rank - 1]
  let innerStride = strides[rank - 1]
  while true {
    for i in 0..<inner { out.append(position + i * innerStride) }
    // Advance the odometer over the outer axes.
    var axis = rank - 2
    while axis >= 0 {
      index[axis] += 1
      position += strides[axis]
      if index[axis] < shape[axis] { break }
      position -= strides[axis] * shape[axis]
      index[axis] = 0
      axis -= 1
    }
    if axis < 0 { return out }
  }
}

/// A view of an axis: `outer` blocks before it, its `length`, and `inner` elements after it.
struct AxisSplit {
  var outer: Int
  var length: Int
  var inner: Int
  init(shape: [Int], axis: Int) {
    outer = shape[..<axis].reduce(1, *)
    length = shape[axis]
    inner = shape[(axis + 1)...].reduce(1, *)
  }
}
