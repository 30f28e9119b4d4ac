import Foundation
import IR
import Runtime

/// A world of `size` ranks as threads of this process, for testing data parallelism without
/// MPI: each rank's `allReduce` waits until every rank has contributed, then all get the sum
/// (in f64, added in rank order, so every rank holds the same bits) or that sum over `size`.
public final class ThreadWorld: @unchecked Sendable {
  public let size: Int
  private let condition = NSCondition()
  private var slots: [[Double]]
  private var arrived = 0
  private var generation = 0
  private var total: [Double] = []

  public init(size: Int) {
    self.size = size
    slots = Array(repeating: [], count: size)
  }

  /// The communicator of rank `rank`.
  public func rank(_ rank: Int) -> ThreadRank { ThreadRank(world: self, rank: rank) }

  /// Runs `body(rank)` on one thread per rank and returns the ranks' results in rank order.
  public func run<T: Sendable>(_ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = ResultSlots<T>(count: size)
    let done = DispatchGroup()
    for r in 0..<size {
      done.enter()
      let thread = Thread {
        results.set(r, Result { try body(r) })
        done.leave()
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    done.wait()
    return try results.values().map { try $0.get() }
  }

  func reduce(_ rank: Int, _ values: [Double]) -> [Double] {
    condition.lock()
    defer { condition.unlock() }
    let mine = generation
    slots[rank] = values
    arrived += 1
    if arrived == size {
      total = slots[0]
      for r in 1..<size {
        for i in total.indices where i < slots[r].count { total[i] += slots[r][i] }
      }
      arrived = 0
      generation += 1
      condition.broadcast()
    } else {
      while generation == mine { condition.wait() }
    }
    return total
  }
}

/// One rank of a `ThreadWorld`.
public struct ThreadRank: Communicator {
  let world: ThreadWorld
  public let rank: Int
  public var size: Int { world.size }

  public func allReduce(
    _ buffer: UnsafeMutableRawBufferPointer, dtype: DType, reduction: CollectiveReduction
  ) throws(RuntimeError) {
    switch dtype {
    case .f32:
      let p = buffer.bindMemory(to: Float.self)
      let sum = world.reduce(rank, p.map(Double.init))
      for i in p.indices { p[i] = Float(sum[i]) }
    case .f64:
      let p = buffer.bindMemory(to: Double.self)
      let sum = world.reduce(rank, Array(p))
      for i in p.indices { p[i] = sum[i] }
    default:
      throw RuntimeError("a thread world reduces f32 or f64, got \(dtype)")
    }
    if reduction == .mean { divideElements(buffer, dtype: dtype, by: size) }
  }
}

/// Results written by several threads, each to its own slot.
private final class ResultSlots<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var slots: [Result<T, any Error>?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ value: Result<T, any Error>) {
    lock.lock()
    slots[i] = value
    lock.unlock()
  }
  func values() -> [Result<T, any Error>] {
    lock.lock()
    defer { lock.unlock() }
    return slots.map { $0 ?? .failure(RuntimeError("a rank did not finish")) }
  }
}
