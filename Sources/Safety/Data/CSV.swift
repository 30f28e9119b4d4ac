import Foundation

/// A small RFC 4180 CSV reader: quoted fields may hold commas, newlines and doubled quotes.
///
/// Lines that start with `#` where a record would begin are comments (the PyRIT scorer sets
/// open with `# dataset_version=…`). The first non-comment record is the header.
public struct CSVTable: Sendable {
  /// The column names from the header record.
  public let header: [String]
  /// The data records, each with `header.count` fields (short records are padded with "").
  public let rows: [[String]]

  /// Parses `text`; throws on an unterminated quoted field or a missing header.
  public init(parsing text: String, file: String? = nil) throws(SafetyError) {
    var records = try CSVTable.records(text, file: file)
    guard !records.isEmpty else { throw SafetyError("the CSV has no header", file: file) }
    header = records.removeFirst().map { $0.trimmingCharacters(in: .whitespaces) }
    let width = header.count
    rows = records.map { r in
      r.count >= width ? r : r + Array(repeating: "", count: width - r.count)
    }
  }

  /// Reads and parses the CSV file at `path`.
  public init(path: String) throws(SafetyError) {
    try self.init(parsing: try readText(path), file: path)
  }

  /// The index of column `name`, or nil.
  public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

  /// The value of column `name` in `row`, or nil if there is no such column.
  public func value(_ name: String, in row: [String]) -> String? {
    column(name).map { row[$0] }
  }

  /// Splits the text into records of fields.
  static func records(_ text: String, file: String?) throws(SafetyError) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field: [Character] = []
    var inQuotes = false
    var atRecordStart = true
    var inComment = false
    var characters = Array(text)
    if characters.first == "\u{FEFF}" { characters.removeFirst() }
    var i = 0
    func endRecord() {
      record.append(String(field))
      field = []
      if !(record.count == 1 && record[0].isEmpty) { records.append(record) }
      record = []
      atRecordStart = true
    }
    while i < characters.count {
      let c = characters[i]
      if inComment {
        if c == "\n" || c == "\r\n" { inComment = false }
        i += 1
        continue
      }
      if inQuotes {
        if c == "\"" {
          if i + 1 < characters.count, characters[i + 1] == "\"" {
            field.append("\"")
            i += 2
            continue
          }
          inQuotes = false
        } else {
          field.append(c)
        }
        i += 1
        continue
      }
      if atRecordStart && c == "#" {
        inComment = true
        i += 1
        continue
      }
      atRecordStart = false
      switch c {
      case "\"" where field.isEmpty: inQuotes = true
      case ",":
        record.append(String(field))
        field = []
      case "\n", "\r\n", "\r": endRecord()
      default: field.append(c)
      }
      i += 1
    }
    if inQuotes { throw SafetyError("unterminated quoted field at the end of the CSV", file: file) }
    if !field.isEmpty || !record.isEmpty { endRecord() }
    return records
  }
}
