import Foundation

/// The first CPU's entry in `/proc/cpuinfo`: what benchmark logs record and what
/// `OpenBLASKernel` checks the chosen kernel against.
public enum HostCPU {
  /// The value of the first line starting with `prefix` (`"model name"`; `"model\t"` for the
  /// model number), or nil when there is none or the file cannot be read.
  public static func field(_ prefix: String) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
      let value = line.split(separator: ":", maxSplits: 1).last
    else { return nil }
    return value.trimmingCharacters(in: .whitespaces)
  }

  /// The CPU's feature flags (`avx2`, `fma`, `avx512f`, …); empty when unreadable.
  public static var flags: Set<String> {
    Set((field("flags") ?? "").split(separator: " ").map(String.init))
  }
}
