import Foundation

/// Parses the text format (see `printGraph`). Errors are `Diagnostic`s at `file:line:column`
/// saying what was expected and what was found. Never traps on any input.
public struct Parser {
  public var fileName: String
  public var customOps: CustomOpRegistry

  public init(fileName: String = "<input>", customOps: CustomOpRegistry = .init()) {
    self.fileName = fileName
    self.customOps = customOps
  }

  /// Parses raw bytes: invalid UTF-8 is reported at its line and column.
  public func parse(bytes: [UInt8]) throws(Diagnostic) -> Module {
    var line = 1
    var column = 1
    var i = 0
    while i < bytes.count {
      let length = utf8SequenceLength(bytes, at: i)
      if length == 0 {
        throw Diagnostic(
          "invalid UTF-8 byte 0x\(String(bytes[i], radix: 16)) (byte offset \(i))",
          at: SourceLocation(file: fileName, line: line, column: column))
      }
      if bytes[i] == 0x0A {
        line += 1
        column = 1
      } else {
        column += 1
      }
      i += length
    }
    return try parse(String(decoding: bytes, as: UTF8.self))
  }

  /// Parses a module (one or more graphs).
  public func parse(_ text: String) throws(Diagnostic) -> Module {
    var state = ParserState(
      scalars: Array(text.unicodeScalars), file: fileName, customOps: customOps)
    return try state.parseModule()
  }

  /// Parses text that must hold exactly one graph.
  public func parseGraph(_ text: String) throws(Diagnostic) -> Graph {
    let m = try parse(text)
    guard m.graphs.count == 1 else {
      throw Diagnostic(
        "expected exactly one graph, found \(m.graphs.count)",
        at: SourceLocation(file: fileName, line: 1, column: 1))
    }
    return m.graphs[0]
  }
}

/// Length of the valid UTF-8 sequence starting at `i`, or 0 if it is invalid.
func utf8SequenceLength(_ b: [UInt8], at i: Int) -> Int {
  let c = b[i]
  let (length, lowest): (Int, UInt32)
  switch c {
  case 0x00...0x7F: return 1
  case 0xC2...0xDF: (length, lowest) = (2, 0x80)
  case 0xE0...0xEF: (length, lowest) = (3, 0x800)
  case 0xF0...0xF4: (length, lowest) = (4, 0x10000)
  default: return 0
  }
  guard i + length <= b.count else { return 0 }
  var scalar = UInt32(c) & (0xFF >> (length + 1))
  for k in 1..<length {
    guard b[i + k] & 0xC0 == 0x80 else { return 0 }
    scalar = scalar << 6 | UInt32(b[i + k] & 0x3F)
  }
  guard scalar >= lowest, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return 0 }
  return length
}

enum Token: Equatable {
  case keyword(String)  // bare identifier: graph, return, op names, dtypes, true, false, inf, nan
  case value(String)  // %name
  case symbol(String)  // @name
  case int(Int)
  case float(Double)
  case string(String)
  case punct(String)  // ( ) { } [ ] : , = ->
  case end

  var spelling: String {
    switch self {
    case .keyword(let s): "'\(s)'"
    case .value(let s): "'%\(s)'"
    case .symbol(let s): "'@\(s)'"
    case .int(let v): "'\(v)'"
    case .float(let v): "'\(formatFloat(v))'"
    case .string(let s): "string \(quoteString(s))"
    case .punct(let s): "'\(s)'"
    case .end: "end of file"
    }
  }
}

struct ParserState {
  let scalars: [Unicode.Scalar]
  let file: String
  let customOps: CustomOpRegistry
  var pos = 0
  var line = 1
  var column = 1
  // Lookahead
  var token: Token = .end
  var tokenLocation = SourceLocation.unknown
  /// How many attribute lists enclose the one being parsed (bounded by `maximumNesting`).
  var nesting = 0
  /// Deeper lists are an error rather than a stack overflow (the parser recurses into lists).
  static let maximumNesting = 256

  init(scalars: [Unicode.Scalar], file: String, customOps: CustomOpRegistry) {
    self.scalars = scalars
    self.file = file
    self.customOps = customOps
  }

  // MARK: Lexer

  func here() -> SourceLocation { SourceLocation(file: file, line: line, column: column) }

  mutating func advanceScalar() {
    if scalars[pos] == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    pos += 1
  }

  func peekScalar(_ offset: Int = 0) -> Unicode.Scalar? {
    pos + offset < scalars.count ? scalars[pos + offset] : nil
  }

  mutating func skipTrivia() {
    while let c = peekScalar() {
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        advanceScalar()
      } else if c == "/", peekScalar(1) == "/" {
        while let d = peekScalar(), d != "\n" { advanceScalar() }
      } else {
        return
      }
    }
  }

  mutating func identifier() -> String {
    var s = String.UnicodeScalarView()
    while let c = peekScalar(), isIdentifierScalar(c) {
      s.append(c)
      advanceScalar()
    }
    return String(s)
  }

  /// Reads the next token into `token`.
  mutating func next() throws(Diagnostic) {
    skipTrivia()
    tokenLocation = here()
    guard let c = peekScalar() else {
      token = .end
      return
    }
    switch c {
    case "%", "@":
      advanceScalar()
      let name = identifier()
      if name.isEmpty { throw Diagnostic("expected a name after '\(c)'", at: here()) }
      token = c == "%" ? .value(name) : .symbol(name)
    case "(", ")", "{", "}", "[", "]", ":", ",", "=":
      advanceScalar()
      token = .punct(String(c))
    case "-" where peekScalar(1) == ">":
      advanceScalar()
      advanceScalar()
      token = .punct("->")
    case "-", "+", "0"..."9":
      token = try number()
    case "\"":
      token = try stringLiteral()
    default:
      if isIdentifierScalar(c) {
        token = .keyword(identifier())
      } else {
        throw Diagnostic("unexpected character '\(c)'", at: here())
      }
    }
  }

  mutating func number() throws(Diagnostic) -> Token {
    let start = here()
    var text = ""
    if let c = peekScalar(), c == "-" || c == "+" {
      text.unicodeScalars.append(c)
      advanceScalar()
    }
    if let c = peekScalar(), c == "i" || c == "n" {
      let word = identifier()
      switch word {
      case "inf": return .float(text == "-" ? -.infinity : .infinity)
      case "nan": return .float(.nan)
      default: throw Diagnostic("expected a number, found '\(text)\(word)'", at: start)
      }
    }
    var isFloat = false
    while let c = peekScalar() {
      if c >= "0" && c <= "9" {
        text.unicodeScalars.append(c)
      } else if c == "." || c == "e" || c == "E" {
        isFloat = true
        text.unicodeScalars.append(c)
      } else if c == "-" || c == "+", text.last == "e" || text.last == "E" {
        text.unicodeScalars.append(c)
      } else {
        break
      }
      advanceScalar()
    }
    if let c = peekScalar(), isIdentifierScalar(c) {
      throw Diagnostic("malformed number '\(text)\(identifier())'", at: start)
    }
    if isFloat, let v = Double(text) { return .float(v) }
    if !isFloat, let v = Int(text) { return .int(v) }
    throw Diagnostic("malformed number '\(text)'", at: start)
  }

  mutating func stringLiteral() throws(Diagnostic) -> Token {
    let start = here()
    advanceScalar()
    var s = String.UnicodeScalarView()
    while true {
      guard let c = peekScalar(), c != "\n" else {
        throw Diagnostic("unterminated string literal", at: start)
      }
      advanceScalar()
      if c == "\"" { break }
      if c == "\\" {
        guard let e = peekScalar() else {
          throw Diagnostic("unterminated string literal", at: start)
        }
        advanceScalar()
        switch e {
        case "n": s.append("\n")
        case "t": s.append("\t")
        case "\"", "\\": s.append(e)
        default: throw Diagnostic("unknown escape '\\\(e)' in string", at: here())
        }
      } else {
        s.append(c)
      }
    }
    return .string(String(s))
  }

  // MARK: Helpers

  func error(_ expected: String) -> Diagnostic {
    Diagnostic("expected \(expected), found \(token.spelling)", at: tokenLocation)
  }

  mutating func expect(_ punct: String) throws(Diagnostic) {
    guard token == .punct(punct) else { throw error("'\(punct)'") }
    try next()
  }

  mutating func accept(_ punct: String) throws(Diagnostic) -> Bool {
    guard token == .punct(punct) else { return false }
    try next()
    return true
  }

  mutating func parseType() throws(Diagnostic) -> TensorType {
    guard case .keyword(let word) = token else { throw error("a type such as f32[2,3]") }
    guard let dtype = DType(rawValue: word) else {
      throw Diagnostic(
        "unknown element type '\(word)' (expected f32, f64, i32, i64 or i1)", at: tokenLocation)
    }
    try next()
    let location = tokenLocation
    let type = TensorType(dtype, try parseShape())
    guard type.byteCount != nil else {
      throw Diagnostic("type \(type) is larger than 2⁶³−1 bytes", at: location)
    }
    return type
  }

  mutating func parseShape() throws(Diagnostic) -> [Int] {
    try expect("[")
    var dims: [Int] = []
    if try accept("]") { return dims }
    repeat {
      guard case .int(let d) = token, d >= 0 else {
        throw error("a dimension (a non-negative integer)")
      }
      dims.append(d)
      try next()
    } while try accept(",")
    try expect("]")
    return dims
  }

  // MARK: Grammar

  mutating func parseModule() throws(Diagnostic) -> Module {
    try next()
    var graphs: [Graph] = []
    var seen: Set<String> = []
    while token != .end {
      let location = tokenLocation
      let g = try parseGraph()
      guard seen.insert(g.name).inserted else {
        throw Diagnostic("graph '@\(g.name)' is defined twice", at: location)
      }
      graphs.append(g)
    }
    if graphs.isEmpty {
      throw Diagnostic(
        "expected 'graph', found end of file (the file holds no graph)", at: tokenLocation)
    }
    return Module(graphs: graphs)
  }

  mutating func parseGraph() throws(Diagnostic) -> Graph {
    guard token == .keyword("graph") else { throw error("'graph'") }
    try next()
    guard case .symbol(let name) = token else { throw error("a graph name such as @main") }
    try next()
    let b = GraphBuilder(name: name)
    var scope: [String: (Value, SourceLocation)] = [:]

    try expect("(")
    if !(try accept(")")) {
      repeat {
        let location = tokenLocation
        guard case .value(let pname) = token else { throw error("a parameter such as %x") }
        if let previous = scope[pname] {
          throw Diagnostic("'%\(pname)' is already defined at \(previous.1)", at: location)
        }
        try next()
        try expect(":")
        let type = try parseType()
        let role = try parseRole()
        if let problem = role?.problem(for: type) {
          throw Diagnostic("parameter '%\(pname)': \(problem)", at: location)
        }
        scope[pname] = (b.parameter(pname, type, role: role), location)
      } while try accept(",")
      try expect(")")
    }
    try expect("->")
    try expect("(")
    var signature: [(String, TensorType, SourceLocation)] = []
    if !(try accept(")")) {
      repeat {
        let location = tokenLocation
        guard case .keyword(let rname) = token else { throw error("a result name such as loss") }
        if signature.contains(where: { $0.0 == rname }) {
          throw Diagnostic("result '\(rname)' is named twice", at: location)
        }
        try next()
        try expect(":")
        signature.append((rname, try parseType(), location))
      } while try accept(",")
      try expect(")")
    }
    try expect("{")

    while true {
      if token == .keyword("return") { break }
      guard case .value(let vname) = token else {
        if token == .end {
          throw error("a statement, 'return' or '}' (the graph is not terminated)")
        }
        throw error("a statement '%name = op ...' or 'return'")
      }
      let location = tokenLocation
      if let previous = scope[vname] {
        throw Diagnostic("'%\(vname)' is already defined at \(previous.1)", at: location)
      }
      try next()
      try expect("=")
      guard case .keyword(let opName) = token else { throw error("an op name") }
      let opLocation = tokenLocation
      try next()
      var operands: [Value] = []
      if case .value = token {
        repeat {
          guard case .value(let oname) = token else { throw error("an operand such as %x") }
          guard let (v, _) = scope[oname] else {
            throw Diagnostic("use of undefined value '%\(oname)'", at: tokenLocation)
          }
          operands.append(v)
          try next()
        } while try accept(",")
      }
      var attributes: [String: Attribute] = [:]
      if token == .punct("{") {
        let attrLocation = tokenLocation
        attributes = try parseAttributeDictionary()
        _ = attrLocation
      }
      try expect(":")
      let type = try parseType()
      let op: Op
      do {
        op = try Op.make(name: opName, attributes: attributes, customOps: customOps)
      } catch {
        throw Diagnostic(error.reason, at: opLocation, op: opName)
      }
      let before = b.diagnostics.count
      let v = b.emit(op, operands, type: type, name: vname, at: location)
      if b.diagnostics.count > before {
        throw b.diagnostics[before]
      }
      scope[vname] = (v, location)
    }
    let returnLocation = tokenLocation
    try next()
    var returned: [(Value, SourceLocation)] = []
    if case .value = token {
      repeat {
        guard case .value(let rname) = token else { throw error("a value such as %y") }
        guard let (v, _) = scope[rname] else {
          throw Diagnostic("use of undefined value '%\(rname)'", at: tokenLocation)
        }
        returned.append((v, tokenLocation))
        try next()
      } while try accept(",")
    }
    guard returned.count == signature.count else {
      throw Diagnostic(
        "'return' lists \(returned.count) value\(returned.count == 1 ? "" : "s") but the signature names \(signature.count) result\(signature.count == 1 ? "" : "s")",
        at: returnLocation)
    }
    for ((v, location), (rname, type, _)) in zip(returned, signature) where b.type(v) != type {
      throw Diagnostic(
        "result '\(rname)' is declared \(type) but '%\(b.name(v))' is \(b.type(v))", at: location)
    }
    guard token == .punct("}") else { throw error("'}' to close graph '@\(name)'") }
    try next()
    do {
      return try b.build(results: zip(signature, returned).map { ($0.0, $1.0) })
    } catch {
      throw error.all.first ?? Diagnostic("invalid graph", at: returnLocation)
    }
  }

  /// The optional role after a parameter's type: `weight`, `input`, or nil when absent.
  mutating func parseRole() throws(Diagnostic) -> ParameterRole? {
    guard case .keyword(let word) = token else { return nil }
    guard let role = ParameterRole(rawValue: word) else {
      throw error("a parameter role ('weight' or 'input'), ',' or ')'")
    }
    try next()
    return role
  }

  mutating func parseAttributeDictionary() throws(Diagnostic) -> [String: Attribute] {
    try expect("{")
    var out: [String: Attribute] = [:]
    if try accept("}") { return out }
    repeat {
      guard case .keyword(let key) = token else { throw error("an attribute name") }
      let location = tokenLocation
      try next()
      try expect("=")
      let value = try parseAttribute()
      guard out.updateValue(value, forKey: key) == nil else {
        throw Diagnostic("attribute '\(key)' is given twice", at: location)
      }
    } while try accept(",")
    try expect("}")
    return out
  }

  mutating func parseAttribute() throws(Diagnostic) -> Attribute {
    switch token {
    case .int(let v):
      try next()
      return .int(v)
    case .float(let v):
      try next()
      return .float(v)
    case .string(let s):
      try next()
      return .string(s)
    case .punct("["):
      guard nesting < Self.maximumNesting else {
        throw Diagnostic(
          "attribute lists nested more than \(Self.maximumNesting) deep", at: tokenLocation)
      }
      nesting += 1
      defer { nesting -= 1 }
      try next()
      var items: [Attribute] = []
      if try accept("]") { return .list(items) }
      repeat { items.append(try parseAttribute()) } while try accept(",")
      try expect("]")
      return .list(items)
    case .keyword(let word):
      switch word {
      case "true", "false":
        try next()
        return .bool(word == "true")
      case "inf":
        try next()
        return .float(.infinity)
      case "nan":
        try next()
        return .float(.nan)
      default:
        guard let dtype = DType(rawValue: word) else { throw error("an attribute value") }
        try next()
        if token == .punct("[") { return .type(TensorType(dtype, try parseShape())) }
        return .dtype(dtype)
      }
    default:
      throw error("an attribute value (number, boolean, string, list, dtype or type)")
    }
  }
}

extension Parser {
  /// Reads and parses an `.ir` file; a missing or unreadable file is a diagnostic naming it.
  public static func parseFile(_ path: String, customOps: CustomOpRegistry = .init())
    throws(Diagnostic)
    -> Module
  {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      let reason =
        FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
      throw Diagnostic(reason, at: SourceLocation(file: path, line: 0))
    }
    return try Parser(fileName: path, customOps: customOps).parse(bytes: [UInt8](data))
  }
}
