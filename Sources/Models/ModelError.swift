import Runtime

/// An error raised while reading model files, checkpoints or tokenizers; a value, never a trap.
///
/// `file` names the file concerned, `tensor` the tensor and `key` the metadata or JSON key, when
/// known; `message` says what was wrong and what was expected.
public struct ModelError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What was wrong and what was expected.
  public var message: String
  /// The file concerned, if any.
  public var file: String?
  /// The tensor concerned, if any.
  public var tensor: String?
  /// The metadata key (GGUF) or JSON key concerned, if any.
  public var key: String?

  public init(_ message: String, file: String? = nil, tensor: String? = nil, key: String? = nil) {
    self.message = message
    self.file = file
    self.tensor = tensor
    self.key = key
  }

  /// `file: error: tensor 'name': message` (the parts that are known).
  public var description: String {
    var text = ""
    if let file { text += "\(file): " }
    text += "error: "
    if let tensor { text += "tensor '\(tensor)': " }
    if let key { text += "key '\(key)': " }
    return text + message
  }
}

extension MemoryLimit {
  /// Throws a `ModelError` naming `file` and `tensor` if `bytes` of f32 (nil: too many to
  /// count) exceed the limit: checked before a tensor is dequantized or converted.
  func check(floats count: Int?, file: String, tensor: String) throws(ModelError) {
    let (bytes, overflow) = (count ?? .max).multipliedReportingOverflow(by: 4)
    do {
      try check(overflow ? nil : bytes, for: "the f32 tensor")
    } catch {
      throw ModelError(error.message, file: file, tensor: tensor)
    }
  }
}
