import IR
import Runtime

// Calling JIT-compiled kernels: their entry point, the split of a kernel over the pool, and
// the interpreter's messages for the failures a kernel reports through its status record.

/// A kernel's entry point: `i32 (i8** buffers, i64* status, i64 begin, i64 end)`.
typealias KernelFunction =
  @convention(c) (
    UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int64>?, Int64, Int64
  ) -> Int32

/// A step with its kernel's machine-code address resolved.
///
/// `@unchecked Sendable`: the function pointer refers to immutable JIT-compiled code that lives
/// as long as the owning `CompiledGraph`'s `JITSession`.
struct ResolvedStep: @unchecked Sendable {
  var step: Step
  var function: KernelFunction?
  /// The kernel's parallel extent (1: one call does everything).
  var extent: Int = 1
}

extension CompiledGraph {
  /// Calls `function` over its extent: in one call, or split into tasks on the pool (each
  /// with its own status record; the failure of the earliest failing task is reported).
  func runKernel(
    _ function: KernelFunction, _ buffers: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ status: UnsafeMutableBufferPointer<Int64>, extent: Int
  ) -> Int32 {
    let tasks = min(extent, pool.size * 4)
    if tasks <= 1 || pool.size == 1 {
      return function(buffers, status.baseAddress, 0, Int64(extent))
    }
    var codes = [Int32](repeating: 0, count: tasks)
    var records = [Int64](repeating: 0, count: 2 * tasks)
    codes.withUnsafeMutableBufferPointer { c in
      records.withUnsafeMutableBufferPointer { r in
        let (cp, rp) = (c, r)
        pool.run(tasks: tasks) { t in
          let begin = Int64(extent * t / tasks)
          let end = Int64(extent * (t + 1) / tasks)
          cp[t] = function(buffers, rp.baseAddress.map { $0 + 2 * t }, begin, end)
        }
      }
    }
    guard let failed = codes.firstIndex(where: { $0 != 0 }) else { return 0 }
    status[0] = records[2 * failed]
    status[1] = records[2 * failed + 1]
    return codes[failed]
  }

  /// The interpreter's message for a kernel failure reported through the status record.
  func failureMessage(_ node: Node, code: Int32, position: Int64, value: Int64) -> String {
    let types = graph.valueTypes()
    let operands = node.operands.compactMap { types[$0] }
    switch FailureCode(rawValue: code) {
    case .divisionByZero:
      return "integer division by zero at element \(position) (dividend \(value))"
    case .unrepresentableCast:
      let x = Double(bitPattern: UInt64(bitPattern: value))
      let shown = operands.first?.dtype == .f32 ? "\(Float(x))" : "\(x)"
      return "cannot cast \(shown) to \(node.type.dtype): not a finite value in its range"
    case .indexOutOfRange:
      let p = Int(position)
      switch node.op {
      case .gather:
        let rows = operands[0].shape.first ?? 0
        return "index \(value) at position \(multiIndex(p, operands[1].shape)) of the ids is out "
          + "of range for a table with \(rows) rows (valid: 0..<\(rows))"
      case .scatterAdd(let rows):
        return "index \(value) at position \(multiIndex(p, operands[1].shape)) of the ids is out "
          + "of range for \(rows) rows (valid: 0..<\(rows))"
      case .takeAlongAxis(let axis):
        let x = operands[0]
        let a = axis < 0 ? axis + x.rank : axis
        let size = x.shape[a]
        return "index \(value) at position \(multiIndex(p, operands[1].shape)) is out of range "
          + "for axis \(a) of size \(size) in \(x) (valid: 0..<\(size))"
      default:
        return "index \(value) at position \(p) is out of range"
      }
    case nil:
      return "kernel failed with code \(code)"
    }
  }
}
