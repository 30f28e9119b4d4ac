import Foundation
import IR

#if _endian(big)
  #error("Npy copies little-endian element bytes directly and needs a little-endian host")
#endif

/// NumPy `.npy` files: read format versions 1.0, 2.0 and 3.0, write 1.0 (2.0 when the header
/// needs more than 65535 bytes). Little-endian, C order; dtypes `<f4 <f8 <i4 <i8 |b1`.
///
/// Every problem is a thrown `RuntimeError` naming the file, what was wrong and what was
/// expected. Sizes in a header are checked against the bytes present before anything is
/// allocated from them. Writes are atomic: a temporary file in the same directory, then a rename.
public enum Npy {
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
  static let supported = "'<f4', '<f8', '<i4', '<i8' or '|b1'"

  /// Reads a tensor from a `.npy` file; with `expecting`, the file must hold exactly that type.
  public static func read(_ path: String, expecting type: TensorType? = nil) throws(RuntimeError)
    -> HostTensor
  {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw RuntimeError("cannot read the file (missing or unreadable)", file: path)
    }
    let tensor = try decode([UInt8](data), path: path)
    if let type, tensor.type != type {
      let what = tensor.dtype != type.dtype ? "dtype" : "shape"
      throw RuntimeError(
        "wrong \(what): the file holds \(tensor.type), expected \(type)", file: path)
    }
    return tensor
  }

  /// Writes a tensor as a `.npy` file, atomically (temporary file in the same directory, then
  /// rename), replacing any existing file.
  public static func write(_ tensor: HostTensor, to path: String) throws(RuntimeError) {
    do {
      try Data(encode(tensor)).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw RuntimeError("cannot write the file: \(error)", file: path)
    }
  }

  /// The bytes of a `.npy` file holding `tensor`.
  public static func encode(_ tensor: HostTensor) -> [UInt8] {
    let descr: String
    switch tensor.dtype {
    case .f32: descr = "<f4"
    case .f64: descr = "<f8"
    case .i32: descr = "<i4"
    case .i64: descr = "<i8"
    case .i1: descr = "|b1"
    }
    let shape: String
    switch tensor.shape.count {
    case 0: shape = "()"
    case 1: shape = "(\(tensor.shape[0]),)"
    default: shape = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
    }
    var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }".utf8)
    // Pad with spaces so the data starts on a 64-byte boundary; the header ends with '\n'.
    func paddedTotal(_ prefix: Int) -> Int { (prefix + header.count + 1 + 63) / 64 * 64 }
    let version1 = paddedTotal(10) - 10 <= Int(UInt16.max)
    let prefix = version1 ? 10 : 12
    let total = paddedTotal(prefix)
    header += Array(repeating: UInt8(ascii: " "), count: total - prefix - header.count - 1)
    header.append(UInt8(ascii: "\n"))
    var out = magic + (version1 ? [1, 0] : [2, 0])
    let length = header.count
    if version1 {
      out += [UInt8(length & 0xFF), UInt8(length >> 8)]
    } else {
      out += (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
    }
    out += header
    tensor.withUnsafeBytes { out.append(contentsOf: $0) }  // Bool is stored as one byte, 0 or 1
    return out
  }

  /// Parses the bytes of a `.npy` file; `path` names it in errors.
  public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(RuntimeError)
    -> HostTensor
  {
    func fail(_ message: String) -> RuntimeError { RuntimeError(message, file: path) }
    guard bytes.count >= 8 else {
      if bytes.starts(with: magic.prefix(bytes.count)) {
        throw fail(
          "truncated header: the file has \(bytes.count) bytes, a .npy header needs at least 10")
      }
      throw fail("not a .npy file: bad magic (expected \\x93NUMPY at the start)")
    }
    guard Array(bytes[0..<6]) == magic else {
      throw fail("not a .npy file: bad magic (expected \\x93NUMPY at the start)")
    }
    let (major, minor) = (bytes[6], bytes[7])
    guard (1...3).contains(major), minor == 0 else {
      throw fail("unsupported format version \(major).\(minor); expected 1.0, 2.0 or 3.0")
    }
    let lengthSize = major == 1 ? 2 : 4
    guard bytes.count >= 8 + lengthSize else {
      throw fail("truncated header: the file ends inside the header length field")
    }
    var headerLength = 0
    for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
    let dataStart = 8 + lengthSize + headerLength
    guard dataStart <= bytes.count else {
      throw fail(
        "truncated header: it declares \(headerLength) bytes, only "
          + "\(bytes.count - 8 - lengthSize) follow"
      )
    }
    let headerBytes = bytes[(8 + lengthSize)..<dataStart]
    let header: String
    if major == 3 {
      guard let text = String(validating: headerBytes, as: UTF8.self) else {
        throw fail("malformed header: not valid UTF-8")
      }
      header = text
    } else {
      header = String(headerBytes.map { Character(Unicode.Scalar($0)) })  // latin-1
    }
    let fields: NpyHeader
    do {
      fields = try NpyHeader.parse(header)
    } catch {
      throw fail("malformed header dict: \(error.message); header: \(header.trimmed)")
    }
    let dtype = try parseDescr(fields.descr, fail)
    if fields.fortranOrder {
      throw fail(
        "fortran_order True is not supported; expected a C-order array (fortran_order False)")
    }
    guard let count = checkedElementCount(fields.shape) else {
      throw fail("shape \(fields.shape) has too many elements")
    }
    let available = bytes.count - dataStart
    let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow, needed <= available else {
      throw fail(
        "truncated data: shape \(fields.shape) of \(dtype) needs "
          + "\(overflow ? "too many" : String(needed)) "
          + "bytes, the file has \(available) after the header")
    }
    guard needed == available else {
      throw fail(
        "shape/data size mismatch: shape \(fields.shape) of \(dtype) needs \(needed) bytes, "
          + "the file has \(available) after the header")
    }
    let data = bytes[dataStart...]
    let storage: TensorStorage
    switch dtype {
    case .f32: storage = .f32(loadElements(data, count: count))
    case .f64: storage = .f64(loadElements(data, count: count))
    case .i32: storage = .i32(loadElements(data, count: count))
    case .i64: storage = .i64(loadElements(data, count: count))
    case .i1: storage = .i1(data.map { $0 != 0 })
    }
    return HostTensor(unchecked: TensorType(dtype, fields.shape), storage)
  }

  /// The dtype of a `descr` string, with an error naming what is accepted.
  static func parseDescr(_ descr: String, _ fail: (String) -> RuntimeError) throws(RuntimeError)
    -> DType
  {
    let chars = Array(descr)
    let code = String(chars.dropFirst())
    let types: [String: DType] = ["f4": .f32, "f8": .f64, "i4": .i32, "i8": .i64, "b1": .i1]
    guard chars.count == 3, "<>=|".contains(chars[0]), let dtype = types[code] else {
      throw fail("unsupported dtype '\(descr)'; expected \(supported)")
    }
    switch chars[0] {
    case "<": return dtype
    case ">":
      if dtype == .i1 { return dtype }
      throw fail("big-endian dtype '\(descr)' is not supported; expected little-endian '<\(code)'")
    case "=":
      // Native order of the writer; every platform NumPy and Scalpel share is little-endian.
      return dtype
    default:  // "|": "not applicable", unambiguous only for one-byte types
      if dtype == .i1 { return dtype }
      throw fail("dtype '\(descr)' has no byte order; expected little-endian '<\(code)'")
    }
  }
}

/// `count` elements of `T` from little-endian bytes (the caller checked the length).
private func loadElements<T: BinaryFloatingPoint & HostElement>(
  _ bytes: ArraySlice<UInt8>, count: Int
) -> [T] {
  copyElements(bytes, count: count)
}
private func loadElements<T: FixedWidthInteger & HostElement>(
  _ bytes: ArraySlice<UInt8>, count: Int
) -> [T] {
  copyElements(bytes, count: count)
}
private func copyElements<T>(_ bytes: ArraySlice<UInt8>, count: Int) -> [T] {
  [T](unsafeUninitializedCapacity: count) { buffer, initialized in
    bytes.withUnsafeBytes { raw in
      if count > 0, let source = raw.baseAddress {
        UnsafeMutableRawBufferPointer(buffer).copyMemory(
          from: UnsafeRawBufferPointer(start: source, count: count * MemoryLayout<T>.stride))
      }
    }
    initialized = count
  }
}

extension String {
  fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// The three fields of a `.npy` header dict, parsed from its Python literal.
struct NpyHeader {
  var descr: String
  var fortranOrder: Bool
  var shape: [Int]

  struct ParseError: Error {
    var message: String
  }

  /// A Python literal value as it may appear in the header.
  enum Literal {
    case string(String)
    case bool(Bool)
    case tuple([Int])
  }

  /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` (exactly these keys).
  static func parse(_ text: String) throws(ParseError) -> NpyHeader {
    var p = LiteralScanner(Array(text.unicodeScalars))
    var entries: [String: Literal] = [:]
    try p.expect("{")
    while true {
      p.skipSpace()
      if p.consume("}") { break }
      guard case .string(let key) = try p.literal() else { throw p.error("expected a quoted key") }
      try p.expect(":")
      let value = try p.literal()
      guard entries.updateValue(value, forKey: key) == nil else {
        throw ParseError(message: "key '\(key)' appears twice")
      }
      p.skipSpace()
      if p.consume(",") { continue }
      try p.expect("}")
      break
    }
    p.skipSpace()
    guard p.atEnd else { throw p.error("unexpected text after the closing '}'") }
    let expected: Set = ["descr", "fortran_order", "shape"]
    guard Set(entries.keys) == expected else {
      throw ParseError(
        message:
          "keys are \(entries.keys.sorted()), expected exactly ['descr', 'fortran_order', 'shape']")
    }
    guard case .string(let descr)? = entries["descr"] else {
      throw ParseError(message: "'descr' must be a dtype string such as '<f4'")
    }
    guard case .bool(let fortran)? = entries["fortran_order"] else {
      throw ParseError(message: "'fortran_order' must be True or False")
    }
    guard case .tuple(let shape)? = entries["shape"] else {
      throw ParseError(message: "'shape' must be a tuple of non-negative integers")
    }
    return NpyHeader(descr: descr, fortranOrder: fortran, shape: shape)
  }
}

/// A cursor over the characters of a header literal.
struct LiteralScanner {
  let chars: [Unicode.Scalar]
  var position = 0

  init(_ chars: [Unicode.Scalar]) { self.chars = chars }

  var atEnd: Bool { position >= chars.count }

  func error(_ message: String) -> NpyHeader.ParseError {
    NpyHeader.ParseError(message: "\(message) at character \(position)")
  }

  mutating func skipSpace() {
    while !atEnd, chars[position].properties.isWhitespace { position += 1 }
  }

  mutating func consume(_ c: Unicode.Scalar) -> Bool {
    skipSpace()
    guard !atEnd, chars[position] == c else { return false }
    position += 1
    return true
  }

  mutating func expect(_ c: Unicode.Scalar) throws(NpyHeader.ParseError) {
    guard consume(c) else { throw error("expected '\(c)'") }
  }

  mutating func literal() throws(NpyHeader.ParseError) -> NpyHeader.Literal {
    skipSpace()
    guard !atEnd else { throw error("unexpected end of header") }
    let c = chars[position]
    if c == "'" || c == "\"" {
      position += 1
      var text = ""
      while !atEnd, chars[position] != c {
        text.unicodeScalars.append(chars[position])
        position += 1
      }
      guard !atEnd else { throw error("unterminated string") }
      position += 1
      return .string(text)
    }
    if c == "(" {
      position += 1
      var values: [Int] = []
      while true {
        if consume(")") { return .tuple(values) }
        values.append(try integer())
        if consume(",") { continue }
        try expect(")")
        return .tuple(values)
      }
    }
    for (word, value) in [("True", true), ("False", false)] where matches(word) {
      position += word.unicodeScalars.count
      return .bool(value)
    }
    throw error("expected a string, True, False or a tuple")
  }

  func matches(_ word: String) -> Bool {
    let w = Array(word.unicodeScalars)
    return position + w.count <= chars.count && Array(chars[position..<(position + w.count)]) == w
  }

  mutating func integer() throws(NpyHeader.ParseError) -> Int {
    skipSpace()
    var digits = ""
    while !atEnd, chars[position].properties.numericType == .decimal, chars[position].isASCII {
      digits.unicodeScalars.append(chars[position])
      position += 1
    }
    if !atEnd, chars[position] == "L" { position += 1 }  // Python 2 long suffix
    guard !digits.isEmpty, let value = Int(digits) else {
      throw error("expected a non-negative integer dimension")
    }
    return value
  }
}
