import IR

/// An error from tensor I/O or from running a graph: a value, never a trap.
///
/// `file` names the `.npy` file concerned; `op`, `node` and `location` name the graph node whose
/// kernel failed and the user's source line that built it.
public struct RuntimeError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was wrong and what was expected.
  public var message: String
  /// The file concerned (`.npy` I/O), if any.
  public var file: String?
  /// The op that failed, as printed in the text format (`gather`), if any.
  public var op: String?
  /// The name of the node that failed (without `%`), if any.
  public var node: String?
  /// Where the failing node was built, if known.
  public var location: SourceLocation?

  public init(
    _ message: String, file: String? = nil, op: String? = nil, node: String? = nil,
    location: SourceLocation? = nil
  ) {
    self.message = message
    self.file = file
    self.op = op
    self.node = node
    self.location = location
  }

  public var description: String {
    var text = ""
    if let file {
      text += "\(file): "
    } else if let location, location != .unknown {
      text += "\(location): "
    }
    text += "error: "
    if let op { text += "'\(op)'" + (node.map { " (%\($0))" } ?? "") + ": " }
    text += message
    return text
  }
}

/// A kernel failure before the interpreter adds the node's name, op and location.
struct KernelError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
