import ArgumentParser
import Codegen
import Foundation
import Models
import Runtime

/// `--backend jit|interpreter`: which backend runs the graphs.
enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
  case jit, interpreter

  /// The backend, with the JIT on `threads` threads (nil: all cores).
  func make(threads: Int?, profile: Bool = false) throws -> any Backend {
    switch self {
    case .interpreter: return InterpreterBackend()
    case .jit:
      if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
      var options = JITOptions(profile: profile)
      options.threads = threads ?? JITOptions.hostThreads
      options.target = try Self.jitTarget()
      options.diskCache = URL(fileURLWithPath: ModelOptions.store().cacheDirectory + "/jit")
      return JITBackend(options: options)
    }
  }

  /// `$SCALPEL_JIT_TARGET`: the instruction set every command's JIT compiles for — `host`
  /// (the default), `x86-64-v3` (AVX2) or `x86-64-v2` (SSE4.2), a narrower level running the
  /// code another CPU would get on this one.
  static func jitTarget(
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> JITTarget {
    guard let value = environment["SCALPEL_JIT_TARGET"], !value.isEmpty else { return .host }
    guard let target = JITTarget(rawValue: value) else {
      throw ValidationError(
        "SCALPEL_JIT_TARGET must be one of \(JITTarget.allCases.map(\.rawValue)), got '\(value)'")
    }
    return target
  }
}
