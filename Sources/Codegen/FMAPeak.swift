import CLLVM
import Foundation
import Runtime

/// The host's measured single-precision FMA peak: what "fraction of peak" in the benchmarks is
/// a fraction of.
///
/// A loop of independent fused multiply-adds on vectors as wide as the JIT's (the host's
/// widest registers), 12 accumulators so that neither latency nor a dependency chain limits
/// it, compiled for the host CPU like every kernel and run on every thread of the pool at
/// once. Measured rather than computed from a data sheet: a virtual machine's clock, turbo
/// and a double-pumped 512-bit unit (Zen 4) are all in the number.
public enum FMAPeak {
  /// GFLOP/s (2 per FMA lane) of `threads` threads together: the best of `rounds` timings of
  /// `iterations` loop trips per thread.
  public static func measure(threads: Int, iterations: Int = 20_000_000, rounds: Int = 3)
    throws(CompileError) -> Double
  {
    let host = try JIT.hostTarget()
    let lanes = host.simdBytes / 4
    let accumulators = 12
    let kernel = try compile(lanes: lanes, accumulators: accumulators, host: host)
    let pool = ThreadPool.shared(threads: threads)
    var best = Double.infinity
    let clock = ContinuousClock()
    for _ in 0..<max(1, rounds) {
      let started = clock.now
      pool.run(tasks: threads) { _ in
        var sink: Float = 0
        kernel.function(Int64(iterations), 1.000_001, 0.5, &sink)
      }
      best = min(best, (clock.now - started).inSeconds)
    }
    let flops = Double(threads) * Double(iterations) * Double(accumulators * lanes * 2)
    return flops / best / 1e9
  }

  typealias Kernel = @convention(c) (Int64, Float, Float, UnsafeMutablePointer<Float>) -> Void

  /// The loop, compiled; its session keeps the code alive.
  struct Compiled {
    let session: JITSession
    let function: Kernel
  }

  static func compile(lanes: Int, accumulators: Int, host: HostTarget) throws(CompileError)
    -> Compiled
  {
    let v = "<\(lanes) x float>"
    var ir = """
      declare \(v) @llvm.fma.v\(lanes)f32(\(v), \(v), \(v))
      declare float @llvm.vector.reduce.fadd.v\(lanes)f32(float, \(v))

      define void @scalpel_fma_peak(i64 %n, float %xs, float %ys, float* %out) {
      entry:
        %x0 = insertelement \(v) undef, float %xs, i32 0
        %x = shufflevector \(v) %x0, \(v) undef, <\(lanes) x i32> zeroinitializer
        %y0 = insertelement \(v) undef, float %ys, i32 0
        %y = shufflevector \(v) %y0, \(v) undef, <\(lanes) x i32> zeroinitializer
        br label %loop
      loop:
        %i = phi i64 [ 0, %entry ], [ %next, %loop ]

      """
    for k in 0..<accumulators {
      ir += "  %a\(k) = phi \(v) [ %y, %entry ], [ %b\(k), %loop ]\n"
    }
    for k in 0..<accumulators {
      ir += "  %b\(k) = call \(v) @llvm.fma.v\(lanes)f32(\(v) %a\(k), \(v) %x, \(v) %y)\n"
    }
    ir += """
        %next = add i64 %i, 1
        %more = icmp slt i64 %next, %n
        br i1 %more, label %loop, label %done
      done:

      """
    // The accumulators are summed and stored, so no trip of the loop is dead code.
    var total = "%b0"
    for k in 1..<accumulators {
      ir += "  %s\(k) = fadd \(v) \(total), %b\(k)\n"
      total = "%s\(k)"
    }
    ir += """
        %sum = call float @llvm.vector.reduce.fadd.v\(lanes)f32(float 0.0, \(v) \(total))
        store float %sum, float* %out
        ret void
      }

      """
    do {
      let module = try ModuleOwner(parsing: ir, name: "fma_peak")
      let tm = try host.makeTargetMachine()
      LLVMSetTarget(module.module, host.triple)
      LLVMSetDataLayout(module.module, tm.dataLayout)
      try module.verify()
      let session = try JITSession()
      try session.addObject(try module.emitObject(tm), name: "fma_peak")
      let address = try session.lookup("scalpel_fma_peak")
      return Compiled(session: session, function: unsafeBitCast(address, to: Kernel.self))
    } catch {
      throw CompileError("the FMA peak loop: \(error.message)")
    }
  }
}
