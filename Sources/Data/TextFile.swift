import Foundation

/// Reads a whole UTF-8 text file (a leading byte-order mark is dropped); a missing or
/// undecodable file is a `DataError` naming it.
public func readTextFile(_ path: String) throws(DataError) -> String {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw DataError("file not found", path: path)
  }
  guard !isDirectory.boolValue else { throw DataError("a directory, not a file", path: path) }
  let data: Foundation.Data
  do {
    data = try Foundation.Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw DataError("cannot read: \(error.localizedDescription)", path: path)
  }
  guard var text = String(data: data, encoding: .utf8) else {
    throw DataError("not valid UTF-8", path: path)
  }
  if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
  return text
}

/// The lines of a text, split at LF bytes, each without a trailing CR (a `Character` split
/// would keep CRLF together, as one grapheme).
public func textLines(_ text: String) -> [Substring] {
  text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { raw in
    let line = Substring(raw)
    return line.utf8.last == 0x0D ? Substring(line.utf8.dropLast()) : line
  }
}
