import Foundation

/// The UTF-8 text of the file at `path`.
func readText(_ path: String) throws(SafetyError) -> String {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw SafetyError("cannot read the file (missing or unreadable)", file: path)
  }
  guard let text = String(data: data, encoding: .utf8) else {
    throw SafetyError("the file is not UTF-8 text", file: path)
  }
  return text
}

/// Decodes every non-empty line of a JSON Lines file as `T`; errors name the line.
func readJSONLines<T: Decodable>(_ path: String, as: T.Type = T.self) throws(SafetyError) -> [T] {
  let text = try readText(path)
  let decoder = JSONDecoder()
  var out: [T] = []
  for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: isLineBreak)
    .enumerated()
  {
    let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { continue }
    do {
      out.append(try decoder.decode(T.self, from: Data(trimmed.utf8)))
    } catch {
      throw SafetyError("line \(number + 1) is not a valid record: \(error)", file: path)
    }
  }
  return out
}

/// Decodes a whole JSON file as `T`.
func readJSON<T: Decodable>(_ path: String, as: T.Type = T.self) throws(SafetyError) -> T {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw SafetyError("cannot read the file (missing or unreadable)", file: path)
  }
  do {
    return try JSONDecoder().decode(T.self, from: data)
  } catch {
    throw SafetyError("not the expected JSON: \(error)", file: path)
  }
}

/// Encodes `value` as one line of JSON with sorted keys (no trailing newline).
func jsonLine<T: Encodable>(_ value: T) throws(SafetyError) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  do {
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  } catch {
    throw SafetyError("cannot encode JSON: \(error)")
  }
}

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

/// `\n` or `\r\n` (one `Character` in Swift); not the other Unicode line separators, which
/// JSON text may hold unescaped.
func isLineBreak(_ c: Character) -> Bool { c == "\n" || c == "\r\n" }
