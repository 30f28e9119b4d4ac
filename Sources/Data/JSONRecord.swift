import Foundation

/// One JSON object of a data file and where it starts; field accessors throw a `DataError`
/// naming the path, the line and the field.
public struct JSONRecord {
  /// The decoded object (`JSONSerialization` values: `String`, `NSNumber`, `Bool`, arrays,
  /// dictionaries, `NSNull`).
  public var object: [String: Any]
  public var path: String
  public var line: Int

  public init(object: [String: Any], path: String, line: Int) {
    self.object = object
    self.path = path
    self.line = line
  }

  /// An error at this record.
  public func error(_ message: String) -> DataError {
    DataError(message, path: path, line: line)
  }

  /// Whether `key` is present with a non-null value.
  public func has(_ key: String) -> Bool {
    guard let value = object[key] else { return false }
    return !(value is NSNull)
  }

  /// A required string field.
  public func string(_ key: String) throws(DataError) -> String {
    guard let value = object[key] else { throw error("missing field '\(key)'") }
    guard let text = value as? String else { throw error("field '\(key)' is not a string") }
    return text
  }

  /// An optional string field (absent or null gives nil; another type is an error).
  public func optionalString(_ key: String) throws(DataError) -> String? {
    guard has(key) else { return nil }
    return try string(key)
  }

  /// A required boolean field.
  public func bool(_ key: String) throws(DataError) -> Bool {
    guard let value = object[key] else { throw error("missing field '\(key)'") }
    guard let flag = value as? Bool else { throw error("field '\(key)' is not a boolean") }
    return flag
  }

  /// An optional boolean field (absent or null gives nil; another type is an error).
  public func optionalBool(_ key: String) throws(DataError) -> Bool? {
    guard has(key) else { return nil }
    return try bool(key)
  }

  /// A required array of strings.
  public func strings(_ key: String) throws(DataError) -> [String] {
    guard let value = object[key] else { throw error("missing field '\(key)'") }
    guard let list = value as? [Any], let texts = list as? [String] else {
      throw error("field '\(key)' is not an array of strings")
    }
    return texts
  }
}

/// Readers of JSON Lines and JSON files, one `JSONRecord` per object.
public enum JSONFile {
  /// JSON Lines: one object per non-blank line.
  public static func lines(_ path: String) throws(DataError) -> [JSONRecord] {
    try lines(text: try readTextFile(path), path: path)
  }

  /// JSON Lines from text; `path` names the source in errors.
  public static func lines(text: String, path: String) throws(DataError) -> [JSONRecord] {
    var records: [JSONRecord] = []
    for (index, line) in textLines(text).enumerated() {
      if line.allSatisfy(\.isWhitespace) { continue }
      records.append(try object(Foundation.Data(line.utf8), path: path, line: index + 1))
    }
    return records
  }

  /// A file holding one JSON object.
  public static func object(_ path: String) throws(DataError) -> JSONRecord {
    let text = try readTextFile(path)
    let start = textLines(text).firstIndex { !$0.allSatisfy(\.isWhitespace) } ?? 0
    return try object(Foundation.Data(text.utf8), path: path, line: start + 1)
  }

  /// A file holding a JSON array of objects; each record's line is where its `{` stands.
  public static func array(_ path: String) throws(DataError) -> [JSONRecord] {
    let text = try readTextFile(path)
    let bytes = Array(text.utf8)
    let value: Any
    do {
      value = try JSONSerialization.jsonObject(with: Foundation.Data(bytes))
    } catch {
      throw DataError("invalid JSON: \(error.localizedDescription)", path: path)
    }
    guard let array = value as? [Any] else {
      throw DataError("expected a JSON array of objects", path: path, line: 1)
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

  /// Objects from a `.json` file holding an array, else from JSON Lines.
  public static func records(_ path: String) throws(DataError) -> [JSONRecord] {
    path.hasSuffix(".json") ? try array(path) : try lines(path)
  }

  /// A whole JSON file decoded as `T`.
  public static func decode<T: Decodable>(_ path: String, as type: T.Type = T.self)
    throws(DataError) -> T
  {
    let text = try readTextFile(path)
    do {
      return try JSONDecoder().decode(T.self, from: Foundation.Data(text.utf8))
    } catch {
      throw DataError("not the expected JSON: \(error)", path: path)
    }
  }

  private static func object(_ data: Foundation.Data, path: String, line: Int) throws(DataError)
    -> JSONRecord
  {
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
  private static func topLevelElementLines(_ bytes: [UInt8]) -> [Int] {
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
}
