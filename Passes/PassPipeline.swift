/// One entry of a pipeline: a pass name and its options, as written.
public struct PassInvocation: Sendable, Hashable {
  public var name: String
  public var options: PassOptions
  public init(name: String, options: PassOptions) {
    self.name = name
    self.options = options
  }
}

/// The options written in braces after a pass name: `grad{of=loss wrt=w,b}`.
///
/// Every value is kept as the list of its comma-separated items; the accessors read one item
/// as a number, a boolean or a string, or the whole list.
public struct PassOptions: Sendable, Hashable {
  /// The pass these options belong to (for error messages).
  public var pass: String
  /// Option name → its items, in the order written.
  public private(set) var values: [String: [String]]
  /// Option names in the order written.
  public private(set) var keys: [String]

  public init(pass: String, values: [(String, [String])] = []) {
    self.pass = pass
    self.values = [:]
    self.keys = []
    for (k, v) in values { set(k, v) }
  }

  /// Sets (or replaces) an option.
  public mutating func set(_ key: String, _ items: [String]) {
    if values.updateValue(items, forKey: key) == nil { keys.append(key) }
  }

  public var isEmpty: Bool { keys.isEmpty }

  /// The items of a list option, or nil when absent.
  public func list(_ key: String) -> [String]? { values[key] }

  /// A single-item option as text, or `value` when absent.
  public func string(_ key: String, default value: String? = nil) throws(PassError) -> String? {
    guard let items = values[key] else { return value }
    guard items.count == 1 else {
      throw PassError(
        "option '\(key)' of '\(pass)' takes one value, got \(items.count): "
          + items.joined(separator: ","))
    }
    return items[0]
  }

  /// An integer option, or `value` when absent.
  public func int(_ key: String, default value: Int) throws(PassError) -> Int {
    guard let text = try string(key) else { return value }
    guard let v = Int(text) else {
      throw PassError("option '\(key)' of '\(pass)' must be an integer, got '\(text)'")
    }
    return v
  }

  /// A number option, or `value` when absent.
  public func double(_ key: String, default value: Double) throws(PassError) -> Double {
    guard let text = try string(key) else { return value }
    guard let v = Double(text) else {
      throw PassError("option '\(key)' of '\(pass)' must be a number, got '\(text)'")
    }
    return v
  }

  /// A boolean option (`true`/`false`, `1`/`0`), or `value` when absent.
  public func bool(_ key: String, default value: Bool) throws(PassError) -> Bool {
    guard let text = try string(key) else { return value }
    switch text {
    case "true", "1": return true
    case "false", "0": return false
    default: throw PassError("option '\(key)' of '\(pass)' must be true or false, got '\(text)'")
    }
  }
}

/// Parses the pipeline syntax of ARCHITECTURE.md:
/// `sink-divergence{lambda=300 sink=0},grad{of=loss wrt=w,b},canonicalize,cse,dce`.
///
/// Passes are separated by commas at the top level; options sit in braces, separated by
/// spaces, as `key=value`; a list value takes commas (commas inside braces belong to lists).
/// Pass and option names use letters, digits, `-`, `_` and `.`. An empty or all-blank
/// pipeline is the empty list. Errors give the 1-based column and what was expected.
public func parsePassPipeline(_ text: String) throws(PassError) -> [PassInvocation] {
  var scanner = PipelineScanner(text)
  return try scanner.parsePipeline()
}

private func isNameCharacter(_ c: Character) -> Bool {
  c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".")
}

private func isValueCharacter(_ c: Character) -> Bool {
  !c.isWhitespace && c != "," && c != "{" && c != "}" && c != "="
}

private struct PipelineScanner {
  let chars: [Character]
  var i = 0

  init(_ text: String) { chars = Array(text) }

  var atEnd: Bool { i >= chars.count }
  var current: Character? { atEnd ? nil : chars[i] }
  /// 1-based column of the current character (one past the end at the end).
  var column: Int { i + 1 }

  func describeCurrent() -> String {
    guard let c = current else { return "the end" }
    return "'\(c)'"
  }

  mutating func skipSpaces() {
    while let c = current, c.isWhitespace { i += 1 }
  }

  mutating func word(_ accept: (Character) -> Bool) -> String {
    let start = i
    while let c = current, accept(c) { i += 1 }
    return String(chars[start..<i])
  }

  mutating func parsePipeline() throws(PassError) -> [PassInvocation] {
    skipSpaces()
    if atEnd { return [] }
    var out: [PassInvocation] = []
    while true {
      out.append(try parsePass())
      skipSpaces()
      if atEnd { return out }
      guard current == "," else {
        throw PassError(
          "pipeline: expected ',' between passes at column \(column), found \(describeCurrent())")
      }
      i += 1
      skipSpaces()
    }
  }

  mutating func parsePass() throws(PassError) -> PassInvocation {
    let nameColumn = column
    let name = word(isNameCharacter)
    guard !name.isEmpty else {
      throw PassError(
        "pipeline: expected a pass name at column \(nameColumn), found \(describeCurrent())")
    }
    var options = PassOptions(pass: name)
    skipSpaces()
    guard current == "{" else { return PassInvocation(name: name, options: options) }
    let openColumn = column
    i += 1
    while true {
      skipSpaces()
      guard let c = current else {
        throw PassError(
          "pipeline: missing '}' closing the options of '\(name)' opened at column \(openColumn)")
      }
      if c == "}" {
        i += 1
        return PassInvocation(name: name, options: options)
      }
      let (key, items) = try parseOption(of: name)
      if options.values[key] != nil {
        throw PassError("pipeline: option '\(key)' is given twice to '\(name)'")
      }
      options.set(key, items)
      if let c = current, !c.isWhitespace, c != "}" {
        throw PassError(
          "pipeline: expected a space or '}' after option '\(key)' of '\(name)' at column "
            + "\(column), found '\(c)'")
      }
    }
  }

  mutating func parseOption(of pass: String) throws(PassError) -> (String, [String]) {
    let keyColumn = column
    let key = word(isNameCharacter)
    guard !key.isEmpty else {
      throw PassError(
        "pipeline: expected an option name in the options of '\(pass)' at column \(keyColumn), "
          + "found \(describeCurrent())")
    }
    guard current == "=" else {
      throw PassError(
        "pipeline: option '\(key)' of '\(pass)' needs a value (write \(key)=value) at column "
          + "\(column)")
    }
    i += 1
    var items: [String] = []
    while true {
      let itemColumn = column
      let item = word(isValueCharacter)
      guard !item.isEmpty else {
        throw PassError(
          "pipeline: empty value for option '\(key)' of '\(pass)' at column \(itemColumn)")
      }
      items.append(item)
      guard current == "," else { return (key, items) }
      i += 1
    }
  }
}
