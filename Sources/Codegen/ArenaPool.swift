import Foundation
import Runtime

// The memory one run touches: the arena (kept between runs) and the callers' buffers.

/// The arena of one compiled graph's runs: one is kept between runs (its pages stay mapped,
/// so large graphs do not pay page faults on every run); a concurrent run gets a fresh one.
///
/// The kept arenas of all graphs are bounded together (see `IdleArenas`): a graph that is no
/// longer run (a training step after training, a decoding graph of another length) does not
/// hold its memory for the rest of the process. Executables reused from the compile cache
/// share their original's pool, so one graph never keeps two arenas.
final class ArenaPool: Sendable {
  let size: Int

  init(size: Int) { self.size = size }
  deinit { IdleArenas.shared.drop(ObjectIdentifier(self)) }

  func take() -> UnsafeMutableRawPointer {
    IdleArenas.shared.take(ObjectIdentifier(self))
      ?? UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryPlan.alignment)
  }

  func give(_ arena: UnsafeMutableRawPointer) {
    IdleArenas.shared.keep(arena, size: size, for: ObjectIdentifier(self))
  }
}

/// The arenas kept between runs, at most one per pool, least recently returned dropped first
/// while their total is above `budget`; the one just returned is always kept (a loop running
/// one large graph reuses its arena however large it is).
///
/// `@unchecked Sendable`: `kept` is only touched with `lock` held.
final class IdleArenas: @unchecked Sendable {
  static let shared = IdleArenas(budget: 1 << 30)

  /// Bytes of idle arenas kept besides the most recently returned one.
  let budget: Int
  private let lock = NSLock()
  /// Least recently returned first.
  private var kept: [(pool: ObjectIdentifier, arena: UnsafeMutableRawPointer, size: Int)] = []

  init(budget: Int) { self.budget = budget }

  /// Bytes kept now.
  var bytes: Int {
    lock.lock()
    defer { lock.unlock() }
    return kept.reduce(0) { $0 + $1.size }
  }

  /// The pool's kept arena, no longer kept (nil if it has none).
  func take(_ pool: ObjectIdentifier) -> UnsafeMutableRawPointer? {
    lock.lock()
    defer { lock.unlock() }
    guard let i = kept.firstIndex(where: { $0.pool == pool }) else { return nil }
    return kept.remove(at: i).arena
  }

  /// Keeps `arena` for `pool` (freed instead if the pool already has one kept), then frees
  /// the least recently returned others while the total is above the budget.
  func keep(_ arena: UnsafeMutableRawPointer, size: Int, for pool: ObjectIdentifier) {
    var freed: [UnsafeMutableRawPointer] = []
    lock.lock()
    if kept.contains(where: { $0.pool == pool }) {
      freed.append(arena)
    } else {
      kept.append((pool, arena, size))
    }
    var total = kept.reduce(0) { $0 + $1.size }
    while kept.count > 1, total - kept[kept.count - 1].size > budget {
      total -= kept[0].size
      freed.append(kept.removeFirst().arena)
    }
    lock.unlock()
    for a in freed { a.deallocate() }
  }

  /// Frees every kept arena.
  func releaseAll() {
    lock.lock()
    let freed = kept.map(\.arena)
    kept.removeAll()
    lock.unlock()
    for a in freed { a.deallocate() }
  }

  /// Frees the pool's kept arena, if any.
  func drop(_ pool: ObjectIdentifier) {
    if let arena = take(pool) { arena.deallocate() }
  }
}

/// Calls `body` with the base address of every tensor's elements (a dummy address for empty
/// tensors), without copying them.
func withArgumentPointers<R>(
  _ tensors: ArraySlice<HostTensor>, _ collected: [UnsafeRawPointer],
  _ body: ([UnsafeRawPointer]) throws(RuntimeError) -> R
) throws(RuntimeError) -> R {
  guard let first = tensors.first else { return try body(collected) }
  let rest = tensors.dropFirst()
  func next(_ raw: UnsafeRawBufferPointer) -> Result<R, RuntimeError> {
    let base = raw.baseAddress ?? UnsafeRawPointer(emptyBuffer)
    do {
      return .success(try withArgumentPointers(rest, collected + [base], body))
    } catch {
      return .failure(error)
    }
  }
  return try first.withUnsafeBytes(next).get()
}

/// Calls `body` with the base address of every tensor's elements for writing, each tensor's
/// elements made its own first (`HostTensor.withUnsafeMutableBytes`: copied only if shared),
/// in the order of `tensors`.
func withMutablePointers<R>(
  _ tensors: inout [HostTensor], _ collected: [UnsafeMutableRawPointer],
  _ body: ([UnsafeMutableRawPointer]) throws(RuntimeError) -> R
) throws(RuntimeError) -> R {
  // The last tensor is taken out of the array while its pointer is in use, so that the rest can
  // be reached through `tensors` without overlapping access.
  guard var last = tensors.popLast() else { return try body(collected.reversed()) }
  defer { tensors.append(last) }
  func next(_ raw: UnsafeMutableRawBufferPointer) -> Result<R, RuntimeError> {
    do {
      return .success(
        try withMutablePointers(&tensors, collected + [raw.baseAddress ?? emptyBuffer], body))
    } catch {
      return .failure(error)
    }
  }
  return try last.withUnsafeMutableBytes(next).get()
}

/// A valid address for zero-element buffers. `nonisolated(unsafe)`: never read or written.
nonisolated(unsafe) let emptyBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
