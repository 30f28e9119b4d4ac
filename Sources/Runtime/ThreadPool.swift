import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A persistent pool of worker threads that runs data-parallel jobs with the calling thread:
/// the one threading mechanism of the interpreter's kernels, the matrix-product driver (`Gemm`)
/// and the JIT's compiled steps.
///
/// `run(tasks:body)` hands task indices `0..<tasks` to the caller and `size - 1` workers,
/// each claiming the next unclaimed index, and returns when all have finished. One job runs
/// at a time (`jobLock`): a caller that finds one running runs its tasks itself; a pool of size 1
/// runs everything on the caller.
///
/// `@unchecked Sendable`: the job, the counters and the generation are touched only with
/// `condition` held; `jobLock` serializes jobs.
public final class ThreadPool: @unchecked Sendable {
  /// Threads taking part in a job, the caller included.
  public let size: Int
  private let condition = NSCondition()
  private let jobLock = NSLock()
  private var job: ((Int) -> Void)?
  private var tasks = 0
  private var nextTask = 0
  private var running = 0
  private var generation = 0

  private init(size: Int) {
    self.size = max(1, size)
    for _ in 1..<self.size {
      let thread = Thread { [unowned self] in self.work() }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  /// The process-wide pool with `threads` participants (created on first use, never freed).
  public static func shared(threads: Int) -> ThreadPool {
    registryLock.lock()
    defer { registryLock.unlock() }
    let n = max(1, threads)
    if let pool = registry[n] { return pool }
    let pool = ThreadPool(size: n)
    registry[n] = pool
    return pool
  }

  nonisolated(unsafe) private static var registry: [Int: ThreadPool] = [:]
  private static let registryLock = NSLock()

  /// Cores available to this process.
  public static var hostThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

  /// Runs `body(i)` for every `i` in `0..<tasks`, spread over the pool; returns when done.
  public func run(tasks: Int, _ body: (Int) -> Void) {
    if tasks <= 0 { return }
    if size == 1 || tasks == 1 {
      for i in 0..<tasks { body(i) }
      return
    }
    // A job already running (a task of this pool asking for it again, or another thread's
    // job): run on the caller alone rather than wait for a pool that may be waiting for us.
    guard jobLock.try() else {
      for i in 0..<tasks { body(i) }
      return
    }
    defer { jobLock.unlock() }
    withoutActuallyEscaping(body) { escaping in
      condition.lock()
      job = escaping
      self.tasks = tasks
      nextTask = 0
      running = size - 1
      generation &+= 1
      condition.broadcast()
      condition.unlock()
      drain()
      condition.lock()
      while running > 0 { condition.wait() }
      job = nil
      condition.unlock()
    }
  }

  /// Claims and runs tasks of the current job until none is left. Holds the job closure only
  /// while running one task, so nothing refers to it once `run` has seen every thread finish.
  private func drain() {
    while true {
      condition.lock()
      let i = nextTask
      nextTask += 1
      let body = i < tasks ? job : nil
      condition.unlock()
      guard let body else { return }
      body(i)
    }
  }

  private func work() {
    var seen = 0
    while true {
      condition.lock()
      while generation == seen { condition.wait() }
      seen = generation
      condition.unlock()
      drain()
      condition.lock()
      running -= 1
      if running == 0 { condition.broadcast() }
      condition.unlock()
    }
  }
}
