import Foundation

/// Executables by cache key, bounded (oldest dropped first).
///
/// `@unchecked Sendable`: every access to the table holds `lock`.
final class CompileCache: @unchecked Sendable {
  static let shared = CompileCache()
  static let capacity = 64

  private let lock = NSLock()
  private var table: [String: CompiledGraph] = [:]
  private var order: [String] = []

  func lookup(_ key: String) -> CompiledGraph? {
    lock.lock()
    defer { lock.unlock() }
    return table[key]
  }

  func insert(_ key: String, _ value: CompiledGraph) {
    lock.lock()
    defer { lock.unlock() }
    if table.updateValue(value, forKey: key) == nil { order.append(key) }
    while order.count > Self.capacity { table[order.removeFirst()] = nil }
  }

  func clear() {
    lock.lock()
    defer { lock.unlock() }
    table = [:]
    order = []
  }
}

/// Object files on disk: `<hash>.o` next to `<hash>.key` holding the full key (a hash
/// collision or a stale file is a miss). Writes go through a temporary file and a rename.
struct DiskCache {
  var directory: URL

  func load(_ key: String) -> [UInt8]? {
    let base = directory.appendingPathComponent(Self.hash(key))
    guard let stored = try? Data(contentsOf: base.appendingPathExtension("key")),
      String(decoding: stored, as: UTF8.self) == key,
      let object = try? Data(contentsOf: base.appendingPathExtension("o"))
    else { return nil }
    return [UInt8](object)
  }

  func store(_ key: String, _ object: [UInt8]) {
    let base = directory.appendingPathComponent(Self.hash(key))
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data(object).write(to: base.appendingPathExtension("o"), options: .atomic)
      try Data(key.utf8).write(to: base.appendingPathExtension("key"), options: .atomic)
    } catch {
      // A cache that cannot be written is only slower; compilation already succeeded.
    }
  }

  /// FNV-1a, 64 bits, as 16 hex digits.
  static func hash(_ key: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in key.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x100_0000_01b3
    }
    let digits = String(h, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
