import Foundation

/// Encodes `value` as pretty JSON with sorted keys and a final newline.
func prettyJSON<T: Encodable>(_ value: T) throws(SafetyError) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
  do {
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  } catch {
    throw SafetyError("cannot encode JSON: \(error)")
  }
}

/// FNV-1a, 64 bits, over UTF-8 bytes: a stable text hash (Swift's `Hasher` is seeded per run).
public func stableHash(_ text: String) -> UInt64 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in text.utf8 {
    h ^= UInt64(byte)
    h = h &* 0x0000_0100_0000_01b3
  }
  return h
}
