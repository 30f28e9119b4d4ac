import IR
import Testing

@testable import Codegen

// The arenas kept between runs: bounded across graphs, one per graph however often it is
// reused from the compile cache.

/// An object whose identity stands for a pool.
private final class Owner {}

@Test func idleArenasDropTheLeastRecentlyReturnedPastTheBudget() {
  let idle = IdleArenas(budget: 800)
  let (a, b, c) = (Owner(), Owner(), Owner())
  func arena() -> UnsafeMutableRawPointer { .allocate(byteCount: 64, alignment: 64) }
  idle.keep(arena(), size: 600, for: ObjectIdentifier(a))
  idle.keep(arena(), size: 300, for: ObjectIdentifier(b))
  #expect(idle.bytes == 900)  // besides b (the latest): 600 ≤ 800
  // Besides c: 900 > 800, so a (the least recent) goes.
  idle.keep(arena(), size: 800, for: ObjectIdentifier(c))
  #expect(idle.bytes == 1100)
  #expect(idle.take(ObjectIdentifier(a)) == nil)
  let kept = idle.take(ObjectIdentifier(b))
  #expect(kept != nil)
  kept?.deallocate()
  // The latest is kept however large; it goes once others are returned after it.
  idle.keep(arena(), size: 5000, for: ObjectIdentifier(a))
  #expect(idle.bytes == 5800)
  idle.keep(arena(), size: 300, for: ObjectIdentifier(b))
  #expect(idle.bytes == 300)
  idle.drop(ObjectIdentifier(b))
  #expect(idle.bytes == 0)
}

@Test func idleArenasKeepOnePerPool() {
  let idle = IdleArenas(budget: 1 << 20)
  let owner = Owner()
  idle.keep(.allocate(byteCount: 64, alignment: 64), size: 64, for: ObjectIdentifier(owner))
  idle.keep(.allocate(byteCount: 64, alignment: 64), size: 64, for: ObjectIdentifier(owner))
  #expect(idle.bytes == 64)
  idle.drop(ObjectIdentifier(owner))
  #expect(idle.bytes == 0)
}

@Test func releasingIdleArenasFreesEveryOneIncludingTheLatest() {
  let idle = IdleArenas(budget: 1 << 20)
  let (a, b) = (Owner(), Owner())
  idle.keep(.allocate(byteCount: 64, alignment: 64), size: 64, for: ObjectIdentifier(a))
  idle.keep(.allocate(byteCount: 64, alignment: 64), size: 128, for: ObjectIdentifier(b))
  #expect(idle.bytes == 192)
  idle.releaseAll()
  #expect(idle.bytes == 0)
  #expect(idle.take(ObjectIdentifier(b)) == nil)
}

@Test func anExecutableFromTheMemoryCacheSharesItsOriginalsArenas() throws {
  let b = GraphBuilder(name: "arena_share")
  let x = b.parameter("x", TensorType(.f32, [64, 64]))
  let g = try b.build(results: [("y", b.exp(b.mul(x, x)))])
  var options = testOptions
  options.memoryCache = true
  let first = try JIT.compile(g, options: options)
  let second = try JIT.compile(g, options: options)
  #expect(second.statistics.source == .memoryCache)
  #expect(first.arenas === second.arenas)
}
