import Foundation
import IR
import Synchronization

/// The most bytes one allocation that a file's or a graph's sizes drive may ask for: a tensor a
/// kernel makes, a tensor read from a file, a model's weights, the JIT's buffer plan.
///
/// Sizes come from headers, shapes and configs that may be truncated, corrupt or absurd; each is
/// checked against this limit first, so such a file is a clear error rather than an attempt to
/// allocate what cannot fit. The default is the machine's physical memory. The command-line tools
/// set `processDefault` from `--max-memory` or `SCALPEL_MAX_MEMORY`; the library never reads the
/// environment.
public struct MemoryLimit: Sendable, Hashable, CustomStringConvertible {
  /// The limit in bytes.
  public var bytes: Int

  public init(bytes: Int) { self.bytes = bytes }

  /// The machine's physical memory (`sysconf`), or `Int.max` where it cannot be read.
  public static let physicalMemory: MemoryLimit = {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let pageSize = sysconf(Int32(_SC_PAGESIZE))
    guard pages > 0, pageSize > 0 else { return MemoryLimit(bytes: .max) }
    let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
    return MemoryLimit(bytes: overflow ? .max : bytes)
  }()

  private static let shared = Mutex(MemoryLimit.physicalMemory)

  /// The limit used where none is given explicitly; physical memory unless a tool changed it.
  public static var processDefault: MemoryLimit {
    get { shared.withLock { $0 } }
    set { shared.withLock { $0 = newValue } }
  }

  /// A size as `--max-memory` takes it: bytes, or a number with a suffix K, M, G or T (powers of
  /// 1024, optionally followed by `B` or `iB`), such as `512M` or `1.5G`; nil if malformed.
  public init?(parsing text: String) {
    var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
    for suffix in ["IB", "B"] where digits.hasSuffix(suffix) {
      digits.removeLast(suffix.count)
      break
    }
    var scale = 1.0
    let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
    if let last = digits.last, let unit = units[last] {
      scale = unit
      digits.removeLast()
    }
    guard let value = Double(digits), value.isFinite, value > 0 else { return nil }
    let bytes = (value * scale).rounded(.down)
    guard bytes >= 1, bytes < 0x1p63 else { return nil }
    self.bytes = Int(bytes)
  }

  /// Throws if `bytes` (nil: too large to count) exceeds the limit; `what` says what it is for.
  public func check(_ bytes: Int?, for what: String) throws(RuntimeError) {
    guard let bytes else {
      throw RuntimeError("\(what) would need more than 2⁶³−1 bytes")
    }
    guard bytes <= self.bytes else {
      throw RuntimeError(
        "\(what) would need \(formatBytes(bytes)), more than the memory limit of \(self) "
          + "(--max-memory or SCALPEL_MAX_MEMORY to change it)")
    }
  }

  /// Throws if a tensor of `type` would exceed the limit; `what` names it.
  public func check(_ type: TensorType, for what: String) throws(RuntimeError) {
    try check(type.byteCount, for: "\(what) (\(type))")
  }

  public var description: String { formatBytes(bytes) }
}

/// A byte count for people: `512 bytes`, `3.0 GiB`.
func formatBytes(_ bytes: Int) -> String {
  let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
  guard bytes >= 1024 else { return "\(bytes) bytes" }
  var value = Double(bytes) / 1024
  var unit = 0
  while value >= 1024 && unit < units.count - 1 {
    value /= 1024
    unit += 1
  }
  return String(format: "%.1f", value) + " " + units[unit]
}
