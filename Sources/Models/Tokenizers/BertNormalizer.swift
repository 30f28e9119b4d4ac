import Foundation

/// BERT's text normalization and basic (pre-)tokenization, as the uncased models use it.
///
/// Normalization, in order: drop NUL, U+FFFD and `\p{C}` scalars other than tab/newline/return,
/// and turn whitespace into spaces; put spaces around CJK ideographs; strip accents (NFD, then
/// drop `Mn`); lowercase scalar by scalar. Basic tokenization then splits on whitespace and
/// makes every punctuation scalar (ASCII punctuation or `\p{P}`) a word of its own.
struct BertNormalizer: Sendable {
  var lowercase = true
  var stripAccents = true
  var handleChineseCharacters = true

  /// The normalized text.
  func normalize(_ text: String) -> String {
    var cleaned = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      let v = scalar.value
      let isTabOrNewline = scalar == "\t" || scalar == "\n" || scalar == "\r"
      if v == 0 || v == 0xFFFD || (scalar.isOther && !isTabOrNewline) { continue }
      if isTabOrNewline || scalar.isSpace {
        cleaned.append(" ")
      } else if handleChineseCharacters && Self.isChineseCharacter(scalar) {
        cleaned.append(" ")
        cleaned.append(scalar)
        cleaned.append(" ")
      } else {
        cleaned.append(scalar)
      }
    }
    var result = String(cleaned)
    if stripAccents {
      var stripped = String.UnicodeScalarView()
      for scalar in result.decomposedStringWithCanonicalMapping.unicodeScalars
      where scalar.properties.generalCategory != .nonspacingMark {
        stripped.append(scalar)
      }
      result = String(stripped)
    }
    if lowercase {
      var lowered = ""
      for scalar in result.unicodeScalars { lowered += scalar.properties.lowercaseMapping }
      result = lowered
    }
    return result
  }

  /// The words of normalized text: whitespace-separated, punctuation isolated.
  func basicWords(_ text: String) -> [String] {
    var words: [String] = []
    var current = String.UnicodeScalarView()
    func flush() {
      if !current.isEmpty { words.append(String(current)) }
      current = String.UnicodeScalarView()
    }
    for scalar in text.unicodeScalars {
      if scalar.isSpace {
        flush()
      } else if scalar.isPunctuation || (scalar.isASCII && Self.isASCIIPunctuation(scalar)) {
        flush()
        words.append(String(scalar))
      } else {
        current.append(scalar)
      }
    }
    flush()
    return words
  }

  static func isASCIIPunctuation(_ s: Unicode.Scalar) -> Bool {
    let v = s.value
    return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v)
      || (123...126).contains(v)
  }

  /// The CJK Unified Ideographs blocks BERT pads with spaces (not Hangul or kana).
  static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
    switch s.value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
      0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      true
    default: false
    }
  }
}
