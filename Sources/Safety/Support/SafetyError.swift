/// An error of the safety evaluation: bad data files, missing models, misuse of the API.
public struct SafetyError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was wrong and what was expected.
  public var message: String
  /// The file concerned, if any.
  public var file: String?

  public init(_ message: String, file: String? = nil) {
    self.message = message
    self.file = file
  }

  public var description: String {
    if let file { return "\(file): \(message)" }
    return message
  }
}
