import CBLAS
import Foundation

/// OpenBLAS built with DYNAMIC_ARCH (Debian 12's 0.3.21) chooses its kernels by the CPU's family
/// and model number, and on a CPU newer than the library it falls back to the SSE3 "Prescott"
/// kernels: on an Intel Xeon of family 6, model 207 (AVX-512), a training step took five times
/// as long as with the AVX-512 kernels. Before the first product, a kernel without AVX2 on a
/// CPU with AVX2 and FMA is replaced by the one its vector extensions call for (SkylakeX with
/// AVX-512 F, CD, BW, DQ and VL; Haswell otherwise), through OpenBLAS's own selection
/// (`gotoblas_dynamic_init`, which reads `OPENBLAS_CORETYPE`). An `OPENBLAS_CORETYPE` the user set
/// is left alone, and so is a library built without DYNAMIC_ARCH (it has no such entry points).
enum OpenBLASKernel {
  /// Kernels built for AVX2 or AVX-512 (OpenBLAS's core names, compared without case).
  static let wide: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

  /// The kernel for a CPU with these `/proc/cpuinfo` flags when `current` does not use its
  /// vector extensions; nil when `current` is fine or the CPU has no AVX2 and FMA.
  static func replacement(current: String, flags: Set<String>) -> String? {
    guard !wide.contains(current.lowercased()), flags.isSuperset(of: ["avx2", "fma"]) else {
      return nil
    }
    let avx512: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
    return flags.isSuperset(of: avx512) ? "SkylakeX" : "Haswell"
  }

  /// Replaces a narrow kernel as described above; call once, before any BLAS call.
  static func select() {
    guard getenv("OPENBLAS_CORETYPE") == nil,
      let current = openblas_get_corename().map({ String(cString: $0) }),
      let kernel = replacement(current: current, flags: HostCPU.flags)
    else { return }
    setenv("OPENBLAS_CORETYPE", kernel, 1)
    _ = scalpel_openblas_select_kernel()
    unsetenv("OPENBLAS_CORETYPE")
  }
}
