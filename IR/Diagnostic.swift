/// Where something came from: a Swift call site of the builder, or a line and column of an `.ir` file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int = 0) {
    self.file = file
    self.line = line
    self.column = column
  }

  public static let unknown = SourceLocation(file: "<unknown>", line: 0)

  public var description: String {
    if line <= 0 { return file }
    return column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)"
  }
}

/// An error located in user input or in a graph: a value, never a trap.
///
/// It names the op and its operands with their types where there is one, and the user's
/// source line (Swift builder call or `.ir` line:column).
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  public var location: SourceLocation
  /// The op concerned, as printed in the text format (`matmul`), if any.
  public var op: String?
  /// The operands of that op with their types, as `%name: type`.
  public var operands: [String]

  public init(
    _ message: String, at location: SourceLocation, op: String? = nil, operands: [String] = []
  ) {
    self.message = message
    self.location = location
    self.op = op
    self.operands = operands
  }

  public var description: String {
    var text = "\(location): error: "
    if let op { text += "'\(op)': " }
    text += message
    if !operands.isEmpty { text += " (operands: \(operands.joined(separator: ", ")))" }
    return text
  }
}

/// Several diagnostics from one entry point (builder, verifier).
public struct Diagnostics: Error, Sendable, CustomStringConvertible {
  public var all: [Diagnostic]
  public init(_ all: [Diagnostic]) { self.all = all }
  public var description: String { all.map(\.description).joined(separator: "\n") }
}

/// A failed type rule: the reason, without location (the caller adds op, operands and place).
public struct TypeError: Error, Sendable, Hashable, CustomStringConvertible {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
