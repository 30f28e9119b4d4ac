import Data

/// An error of the safety evaluation: bad data files, missing models, misuse of the API.
public struct SafetyError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was wrong and what was expected.
  public var message: String
  /// The file concerned, if any.
  public var file: String?
  /// The 1-based line in `file`, when known.
  public var line: Int?

  public init(_ message: String, file: String? = nil, line: Int? = nil) {
    self.message = message
    self.file = file
    self.line = line
  }

  /// The same problem of a data file.
  public init(_ error: DataError) {
    self.init(error.message, file: error.path, line: error.line)
  }

  /// `file:line: message`, as compilers print diagnostics.
  public var description: String {
    guard let file else { return message }
    return "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
  }
}

/// Runs a data loader, reporting its `DataError` as a `SafetyError` at the same file and line.
func loading<T>(_ body: () throws(DataError) -> T) throws(SafetyError) -> T {
  do {
    return try body()
  } catch {
    throw SafetyError(error)
  }
}
