import IR

/// Why a graph could not be compiled: it does not verify, an op cannot be lowered (a custom op
/// without `JITLowerableCustomOp`), or LLVM failed. A value, never a trap.
public struct CompileError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What went wrong.
  public var message: String
  /// The op concerned, as printed in the text format, if any.
  public var op: String?
  /// The node concerned (without `%`), if any.
  public var node: String?
  /// Where that node was built, if known.
  public var location: SourceLocation?

  public init(
    _ message: String, op: String? = nil, node: String? = nil, location: SourceLocation? = nil
  ) {
    self.message = message
    self.op = op
    self.node = node
    self.location = location
  }

  init(_ message: String, node: Node) {
    self.init(message, op: node.op.name, node: node.name, location: node.location)
  }

  public var description: String {
    var text = ""
    if let location, location != .unknown { text += "\(location): " }
    text += "error: "
    if let op { text += "'\(op)'" + (node.map { " (%\($0))" } ?? "") + ": " }
    return text + message
  }
}
