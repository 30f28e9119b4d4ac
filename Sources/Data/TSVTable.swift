/// Tab-separated values: a header line, then one record per line, fields split at tabs with no
/// quoting (the SST-2 format). Blank lines are skipped; every record must have as many fields as
/// the header, or it is an error naming its line and the columns expected.
public struct TSVTable: Sendable, Hashable {
  public var header: [String]
  /// The records after the header, each with `header.count` fields.
  public var rows: [[String]]
  /// The 1-based line of each row.
  public var lines: [Int]
  /// The 1-based line of the header.
  public var headerLine: Int

  /// Parses `text`; `path` names the source in errors.
  public static func parse(_ text: String, path: String) throws(DataError) -> TSVTable {
    var header: [String]?
    var rows: [[String]] = []
    var lines: [Int] = []
    var headerLine = 1
    for (index, line) in textLines(text).enumerated() where !line.isEmpty {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard let header else {
        header = fields
        headerLine = index + 1
        continue
      }
      guard fields.count == header.count else {
        throw DataError(
          "\(fields.count) fields, expected \(header.count) separated by tabs "
            + "(\(header.joined(separator: "<TAB>")))", path: path, line: index + 1)
      }
      rows.append(fields)
      lines.append(index + 1)
    }
    guard let header else { throw DataError("no header line", path: path, line: 1) }
    return TSVTable(header: header, rows: rows, lines: lines, headerLine: headerLine)
  }

  /// Reads and parses a TSV file.
  public static func read(_ path: String) throws(DataError) -> TSVTable {
    try parse(try readTextFile(path), path: path)
  }

  /// Checks that the header is exactly `names`.
  public func expectHeader(_ names: [String], path: String) throws(DataError) {
    guard header == names else {
      throw DataError(
        "expected the header '\(names.joined(separator: "<TAB>"))', found '\(header.joined(separator: "<TAB>"))'",
        path: path, line: headerLine)
    }
  }
}
