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
      options.diskCache = URL(fileURLWithPath: ModelOptions.store().cacheDirectory + "/jit")
      return JITBackend(options: options)
    }
  }
}
