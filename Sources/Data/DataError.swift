/// A problem with a data file: what is wrong (naming the field or column expected), the file
/// and, when known, the 1-based line.
public struct DataError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public var path: String
  public var line: Int?

  public init(_ message: String, path: String, line: Int? = nil) {
    self.message = message
    self.path = path
    self.line = line
  }

  /// `path:line: message`, as compilers print diagnostics.
  public var description: String {
    "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
  }
}
