/// The x86-64 instruction set the JIT compiles kernels for: the host's own, or a narrower
/// x86-64 level the host also runs. A narrower level gives, on one machine, the code another CPU
/// gets (its vector width and instructions, not its speed): tests run the AVX2 and SSE kernels
/// on an AVX-512 host, and benchmarks can time them.
public enum JITTarget: String, Sendable, Hashable, CaseIterable {
  /// LLVM's name and features for the CPU this process runs on.
  case host
  /// `x86-64-v3`: AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE; 32-byte vectors (Haswell, AMD Zen 1–3).
  case avx2 = "x86-64-v3"
  /// `x86-64-v2`: SSE4.2, SSSE3, POPCNT, CMPXCHG16B, LAHF/SAHF; 16-byte vectors.
  case sse4 = "x86-64-v2"

  /// The LLVM features (as in `LLVMGetHostCPUFeatures`, without the `+`) a host needs to run
  /// this level's code; none for `host`.
  public var requiredFeatures: [String] {
    let v2 = ["cx16", "popcnt", "sahf", "sse3", "sse4.1", "sse4.2", "ssse3"]
    switch self {
    case .host: return []
    case .sse4: return v2
    case .avx2: return v2 + ["avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe"]
    }
  }

  /// Bytes in one vector register of this level (nil for `host`: the host's).
  var vectorBytes: Int? {
    switch self {
    case .host: nil
    case .avx2: 32
    case .sse4: 16
    }
  }

  /// The required features missing from `hostFeatures` (LLVM's comma-separated `+x`/`-x` list).
  public func missingFeatures(hostFeatures: String) -> [String] {
    let enabled = Set(
      hostFeatures.split(separator: ",").filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) }
    )
    return requiredFeatures.filter { !enabled.contains($0) }
  }

  /// The targets this host can run, `host` first.
  public static func runnable(hostFeatures: String) -> [JITTarget] {
    allCases.filter { $0.missingFeatures(hostFeatures: hostFeatures).isEmpty }
  }
}
