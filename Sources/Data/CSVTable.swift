import Foundation

/// RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field in double quotes may
/// hold commas, line breaks and doubled quotes (`""` for `"`).
///
/// Lines starting with `#` before the header are comments (the PyRIT scorer sets open with
/// `# dataset_version=…`). Every record must have as many fields as the header: a short or long
/// record is an error naming its line.
public struct CSVTable: Sendable, Hashable {
  /// The first record after the comments, each name without surrounding spaces.
  public var header: [String]
  /// The other records, each with as many fields as the header.
  public var rows: [[String]]
  /// The 1-based line on which each row starts.
  public var lines: [Int]
  /// The 1-based line of the header.
  public var headerLine: Int = 1

  /// Parses `text`; `path` names the source in errors (unterminated quote, wrong field count).
  public static func parse(_ text: String, path: String) throws(DataError) -> CSVTable {
    var bytes = Array(text.utf8)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    var line = 1
    var i = 0
    // Comment lines before the header.
    while i < bytes.count && bytes[i] == UInt8(ascii: "#") {
      while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
      i += 1
      line += 1
    }
    var records: [[String]] = []
    var starts: [Int] = []
    var record: [String] = []
    var field: [UInt8] = []
    var recordLine = line
    var inQuotes = false
    var quoteLine = 0
    var fieldStarted = false
    func endField() {
      record.append(String(decoding: field, as: UTF8.self))
      field.removeAll(keepingCapacity: true)
      fieldStarted = false
    }
    func endRecord() {
      endField()
      if !(record.count == 1 && record[0].isEmpty) {
        records.append(record)
        starts.append(recordLine)
      }
      record = []
    }
    while i < bytes.count {
      let c = bytes[i]
      if inQuotes {
        if c == UInt8(ascii: "\"") {
          if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
            field.append(c)
            i += 1
          } else {
            inQuotes = false
          }
        } else {
          if c == UInt8(ascii: "\n") { line += 1 }
          field.append(c)
        }
      } else {
        switch c {
        case UInt8(ascii: "\""):
          guard !fieldStarted && field.isEmpty else {
            throw DataError("a quote inside an unquoted field", path: path, line: line)
          }
          inQuotes = true
          quoteLine = line
          fieldStarted = true
        case UInt8(ascii: ","): endField()
        case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
          break
        case UInt8(ascii: "\n"):
          endRecord()
          line += 1
          recordLine = line
        default:
          // Text after a closing quote: `"a"b`.
          if fieldStarted { throw DataError("text after a closing quote", path: path, line: line) }
          field.append(c)
        }
      }
      i += 1
    }
    if inQuotes { throw DataError("unterminated quoted field", path: path, line: quoteLine) }
    if !field.isEmpty || fieldStarted || !record.isEmpty { endRecord() }
    guard let first = records.first else {
      throw DataError("no header record", path: path, line: line)
    }
    let header = first.map { $0.trimmingCharacters(in: .whitespaces) }
    for (row, start) in zip(records.dropFirst(), starts.dropFirst()) where row.count != header.count
    {
      throw DataError(
        "\(row.count) fields, expected \(header.count) (\(header.joined(separator: ", ")))",
        path: path, line: start)
    }
    return CSVTable(
      header: header, rows: Array(records.dropFirst()), lines: Array(starts.dropFirst()),
      headerLine: starts[0])
  }

  /// Reads and parses a CSV file.
  public static func read(_ path: String) throws(DataError) -> CSVTable {
    try parse(try readTextFile(path), path: path)
  }

  /// The index of a header column, or an error naming the file and the columns it has.
  public func column(_ name: String, path: String) throws(DataError) -> Int {
    guard let index = header.firstIndex(of: name) else {
      throw DataError(
        "missing column '\(name)' (columns: \(header.joined(separator: ", ")))", path: path,
        line: headerLine)
    }
    return index
  }
}
