import Foundation

/// Reads a whole UTF-8 text file; a missing or undecodable file is a `DataError` naming it.
func readTextFile(_ path: String) throws(DataError) -> String {
  guard FileManager.default.fileExists(atPath: path) else {
    throw DataError("file not found", path: path)
  }
  let data: Data
  do {
    data = try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw DataError("cannot read: \(error.localizedDescription)", path: path)
  }
  guard let text = String(data: data, encoding: .utf8) else {
    throw DataError("not valid UTF-8", path: path)
  }
  return text
}

/// The lines of a text, split at LF bytes, each without a trailing CR (a `Character` split
/// would keep CRLF together, as one grapheme).
func textLines(_ text: String) -> [Substring] {
  text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { raw in
    let line = Substring(raw)
    return line.utf8.last == 0x0D ? Substring(line.utf8.dropLast()) : line
  }
}

/// One JSON object of a data file and where it starts.
struct JSONRecord {
  var object: [String: Any]
  var path: String
  var line: Int

  /// A required string field.
  func string(_ key: String) throws(DataError) -> String {
    guard let value = object[key] else {
      throw DataError("missing field '\(key)'", path: path, line: line)
    }
    guard let text = value as? String else {
      throw DataError("field '\(key)' is not a string", path: path, line: line)
    }
    return text
  }

  /// An optional string field (absent or null gives nil; another type is an error).
  func optionalString(_ key: String) throws(DataError) -> String? {
    guard let value = object[key], !(value is NSNull) else { return nil }
    guard let text = value as? String else {
      throw DataError("field '\(key)' is not a string", path: path, line: line)
    }
    return text
  }

  /// A required boolean field.
  func bool(_ key: String) throws(DataError) -> Bool {
    guard let value = object[key] else {
      throw DataError("missing field '\(key)'", path: path, line: line)
    }
    guard let flag = value as? Bool else {
      throw DataError("field '\(key)' is not a boolean", path: path, line: line)
    }
    return flag
  }

  /// A required integer field.
  func int(_ key: String) throws(DataError) -> Int {
    guard let value = object[key] else {
      throw DataError("missing field '\(key)'", path: path, line: line)
    }
    guard let number = value as? Int else {
      throw DataError("field '\(key)' is not an integer", path: path, line: line)
    }
    return number
  }
}

/// Parses one JSON object per non-blank line.
func readJSONLines(_ path: String) throws(DataError) -> [JSONRecord] {
  let text = try readTextFile(path)
  var records: [JSONRecord] = []
  var lineNumber = 0
  for line in textLines(text) {
    lineNumber += 1
    if line.allSatisfy(\.isWhitespace) { continue }
    records.append(try parseObject(Data(line.utf8), path: path, line: lineNumber))
  }
  return records
}

/// Parses a JSON array of objects; each record's line is where its `{` stands.
func readJSONArray(_ path: String) throws(DataError) -> [JSONRecord] {
  let text = try readTextFile(path)
  let bytes = Array(text.utf8)
  let array: [Any]
  do {
    guard let a = try JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else {
      throw DataError("expected a JSON array of objects", path: path, line: 1)
    }
    array = a
  } catch let error as DataError {
    throw error
  } catch {
    throw DataError("invalid JSON: \(error.localizedDescription)", path: path)
  }
  let lines = topLevelElementLines(bytes)
  var records: [JSONRecord] = []
  for (index, element) in array.enumerated() {
    let line = index < lines.count ? lines[index] : 1
    guard let object = element as? [String: Any] else {
      throw DataError("element \(index) is not an object", path: path, line: line)
    }
    records.append(JSONRecord(object: object, path: path, line: line))
  }
  return records
}

private func parseObject(_ data: Data, path: String, line: Int) throws(DataError) -> JSONRecord {
  let value: Any
  do {
    value = try JSONSerialization.jsonObject(with: data)
  } catch {
    throw DataError("invalid JSON", path: path, line: line)
  }
  guard let object = value as? [String: Any] else {
    throw DataError("expected a JSON object", path: path, line: line)
  }
  return JSONRecord(object: object, path: path, line: line)
}

/// The 1-based line of each element start of a top-level JSON array (strings are skipped).
private func topLevelElementLines(_ bytes: [UInt8]) -> [Int] {
  var lines: [Int] = []
  var line = 1
  var depth = 0
  var inString = false
  var escaped = false
  var expectingElement = false
  for byte in bytes {
    if byte == UInt8(ascii: "\n") { line += 1 }
    if inString {
      if escaped {
        escaped = false
      } else if byte == UInt8(ascii: "\\") {
        escaped = true
      } else if byte == UInt8(ascii: "\"") {
        inString = false
      }
      continue
    }
    let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    if depth == 1 && expectingElement && !isSpace && byte != UInt8(ascii: "]") {
      lines.append(line)
      expectingElement = false
    }
    switch byte {
    case UInt8(ascii: "\""): inString = true
    case UInt8(ascii: "["), UInt8(ascii: "{"):
      depth += 1
      if depth == 1 { expectingElement = true }
    case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
    case UInt8(ascii: ","): if depth == 1 { expectingElement = true }
    default: break
    }
  }
  return lines
}
