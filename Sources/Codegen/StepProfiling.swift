import Foundation
import Passes

// `JITOptions.profile`: wall-clock time per step, summed by op kind or kept per kernel.

/// Time spent in one step over all runs.
public struct StepTiming: Sendable, Hashable {
  /// What the step does (the op name, or the matrix product's shape).
  public var label: String
  public var seconds: Double
  public var calls: Int
}

/// Accumulated wall-clock time per step.
///
/// `@unchecked Sendable`: `totals` is only touched with `lock` held.
final class StepProfiler: @unchecked Sendable {
  private let lock = NSLock()
  private var totals: [(seconds: Double, calls: Int)]

  init(steps: Int) { totals = Array(repeating: (0, 0), count: steps) }

  func add(_ step: Int, _ d: Duration) {
    let (s, atto) = d.components
    lock.lock()
    totals[step].seconds += Double(s) + Double(atto) * 1e-18
    totals[step].calls += 1
    lock.unlock()
  }

  func snapshot() -> [(seconds: Double, calls: Int)] {
    lock.lock()
    defer { lock.unlock() }
    return totals
  }
}

extension CompiledGraph {
  /// Time spent in each step kind since compilation (empty unless `JITOptions.profile`),
  /// largest first: `label` is the op name (`gemm[batched]` for batched matrix products).
  public func profile() -> [StepTiming] {
    guard let profiler else { return [] }
    var byLabel: [String: StepTiming] = [:]
    for (i, t) in profiler.snapshot().enumerated() where t.calls > 0 {
      let label = stepLabel(steps[i].step)
      var entry = byLabel[label] ?? StepTiming(label: label, seconds: 0, calls: 0)
      entry.seconds += t.seconds
      entry.calls += t.calls
      byLabel[label] = entry
    }
    return byLabel.values.sorted { $0.seconds > $1.seconds }
  }

  /// Time spent in each step since compilation (empty unless `JITOptions.profile`), largest
  /// first: `label` is the op kind as in `profile()` followed by the node's name
  /// (`fused(add)[1M] %h.3`), so one kernel of a kind can be told from the others.
  public func profileBySteps() -> [StepTiming] {
    guard let profiler else { return [] }
    var out: [StepTiming] = []
    for (i, t) in profiler.snapshot().enumerated() where t.calls > 0 {
      var label = stepLabel(steps[i].step)
      if let node = steps[i].step.node { label += " %" + graph.nodes[node].name }
      out.append(StepTiming(label: label, seconds: t.seconds, calls: t.calls))
    }
    return out.sorted { $0.seconds > $1.seconds }
  }

  /// The op kind of a step: the op's name, a fused region's root op and size, a matrix
  /// product's shape.
  func stepLabel(_ step: Step) -> String {
    switch step {
    case .kernel(_, _, let node):
      let n = graph.nodes[node]
      if case .custom(let box) = n.op, let region = box.op as? FusedRegion {
        // The region's root op and size: `fused(sub)[7.4M]`.
        let root = region.body.nodes.last?.op.name ?? "?"
        let count = n.type.count
        let size = count >= 1_000_000 ? "\(count / 1_000_000)M" : "\(count / 1000)K"
        return "fused(\(root))[\(size)]"
      }
      return n.op.name
    case .gemm(let g, _):
      let shape = "\(g.shape.m)x\(g.shape.k)x\(g.shape.n)"
      return g.shape.batch > 1 ? "matmul[\(g.shape.batch)×\(shape)]" : "matmul[\(shape)]"
    case .custom(let op, _, _, _): return "custom " + op.name
    case .allReduce(let s, _): return "all_reduce[\(s.reduction.rawValue)]"
    case .fail: return "fail"
    }
  }

}
