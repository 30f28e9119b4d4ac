/// GPT-2 byte-level pre-tokenization: the word-splitting pattern and the byte ↔ character map.
///
/// The pattern, implemented by hand on Unicode scalars (first alternative that matches wins):
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// With `splitDigits` (SmolLM2, `tokenizer.ggml.pre = smollm`), every `\p{N}` scalar is first
/// isolated as its own piece and the pattern runs on the pieces between them.
struct ByteLevelPreTokenizer: Sendable {
  var splitDigits: Bool

  /// The words of `text`, as ranges of UTF-8 bytes.
  func words(_ text: String) -> [[UInt8]] {
    let scalars = Array(text.unicodeScalars)
    var words: [[UInt8]] = []
    func emit(_ range: Range<Int>) {
      var bytes: [UInt8] = []
      for scalar in scalars[range] { bytes.append(contentsOf: scalar.utf8) }
      words.append(bytes)
    }
    if splitDigits {
      var start = 0
      for (i, scalar) in scalars.enumerated() where scalar.isNumber {
        for range in Self.pattern(scalars, start..<i) { emit(range) }
        emit(i..<(i + 1))
        start = i + 1
      }
      for range in Self.pattern(scalars, start..<scalars.count) { emit(range) }
    } else {
      for range in Self.pattern(scalars, 0..<scalars.count) { emit(range) }
    }
    return words
  }

  /// The GPT-2 pattern's matches covering `scalars[range]` (every scalar lands in one match).
  static func pattern(_ s: [Unicode.Scalar], _ range: Range<Int>) -> [Range<Int>] {
    var matches: [Range<Int>] = []
    var i = range.lowerBound
    let end = range.upperBound
    /// The end of the run of scalars from `j` in the same class as `s[j]`.
    func run(from j: Int, _ inClass: (Unicode.Scalar) -> Bool) -> Int {
      var k = j
      while k < end, inClass(s[k]) { k += 1 }
      return k
    }
    let letter: (Unicode.Scalar) -> Bool = { $0.isLetter }
    let number: (Unicode.Scalar) -> Bool = { $0.isNumber }
    let other: (Unicode.Scalar) -> Bool = { !$0.isSpace && !$0.isLetter && !$0.isNumber }
    while i < end {
      let c = s[i]
      // Contractions: 's 't 're 've 'm 'll 'd (case-sensitive, as GPT-2).
      if c == "'", i + 1 < end {
        let n = s[i + 1]
        if n == "s" || n == "t" || n == "m" || n == "d" {
          matches.append(i..<(i + 2))
          i += 2
          continue
        }
        if i + 2 < end,
          (n == "r" && s[i + 2] == "e") || (n == "v" && s[i + 2] == "e")
            || (n == "l" && s[i + 2] == "l")
        {
          matches.append(i..<(i + 3))
          i += 3
          continue
        }
      }
      // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`.
      let body = (c == " " && i + 1 < end) ? i + 1 : i
      var matched = false
      for inClass in [letter, number, other] where inClass(s[body]) {
        let k = run(from: body, inClass)
        matches.append(i..<k)
        i = k
        matched = true
        break
      }
      if matched { continue }
      // `\s+(?!\S)` then `\s+`: a whitespace run followed by a non-space leaves its last
      // scalar to start the next word, unless the run is a single scalar.
      let k = run(from: i) { $0.isSpace }
      if k == i {
        // Unreachable: every scalar is a letter, number, space or other.
        matches.append(i..<(i + 1))
        i += 1
      } else if k < end, k - i > 1 {
        matches.append(i..<(k - 1))
        i = k - 1
      } else {
        matches.append(i..<k)
        i = k
      }
    }
    return matches
  }

  /// GPT-2's map from bytes to printable characters: the printable Latin-1 bytes (`!`…`~`,
  /// `¡`…`¬`, `®`…`ÿ`) map to themselves, the other 68 to U+0100 onwards in byte order.
  static let byteToScalar: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      let printable =
        (33...126).contains(byte) || (161...172).contains(byte)
        || (174...255).contains(byte)
      if printable {
        table[byte] = Unicode.Scalar(UInt8(byte))
      } else {
        table[byte] = Unicode.Scalar(next) ?? " "
        next += 1
      }
    }
    return table
  }()

  /// The inverse of `byteToScalar`.
  static let scalarToByte: [Unicode.Scalar: UInt8] = {
    var table: [Unicode.Scalar: UInt8] = [:]
    for (byte, scalar) in byteToScalar.enumerated() { table[scalar] = UInt8(byte) }
    return table
  }()
}
