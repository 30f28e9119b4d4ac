import Foundation
import Runtime

// The memory one run touches: the arena (kept between runs) and the callers' buffers.

/// Keeps one arena between runs (its pages stay mapped, so large graphs do not pay page
/// faults on every run); a concurrent run gets a fresh one, freed when it gives it back.
///
/// `@unchecked Sendable`: `cached` is only touched with `lock` held.
final class ArenaPool: @unchecked Sendable {
  let size: Int
  private let lock = NSLock()
  private var cached: UnsafeMutableRawPointer?

  init(size: Int) { self.size = size }
  deinit { cached?.deallocate() }

  func take() -> UnsafeMutableRawPointer {
    lock.lock()
    let arena = cached
    cached = nil
    lock.unlock()
    return arena
      ?? UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryPlan.alignment)
  }

  func give(_ arena: UnsafeMutableRawPointer) {
    lock.lock()
    defer { lock.unlock() }
    if cached == nil {
      cached = arena
    } else {
      arena.deallocate()
    }
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

/// A valid address for zero-element buffers. `nonisolated(unsafe)`: never read or written.
nonisolated(unsafe) let emptyBuffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
