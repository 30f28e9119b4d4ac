/// A piece of text after special (added) tokens are matched: plain text or one special token.
enum TextSegment: Equatable {
  case text(String)
  case special(Int)
}

/// Finds special tokens in text before any normalization: leftmost match first, the longest
/// token when several start at the same place, exact (case-sensitive) comparison.
struct SpecialTokenSplitter: Sendable {
  /// The tokens by first UTF-8 byte, longest first.
  private let byFirstByte: [UInt8: [(bytes: [UInt8], id: Int)]]

  init(_ tokens: [(content: String, id: Int)]) {
    var table: [UInt8: [(bytes: [UInt8], id: Int)]] = [:]
    for (content, id) in tokens {
      let bytes = Array(content.utf8)
      guard let first = bytes.first else { continue }
      table[first, default: []].append((bytes, id))
    }
    for key in table.keys { table[key]?.sort { $0.bytes.count > $1.bytes.count } }
    byFirstByte = table
  }

  var isEmpty: Bool { byFirstByte.isEmpty }

  /// The text split into plain runs and special tokens, in order (empty runs omitted).
  ///
  /// Matching on UTF-8 bytes is exact on scalars: a token starts with a lead byte, which never
  /// equals a continuation byte, and ends with a complete scalar.
  func split(_ text: String) -> [TextSegment] {
    if byFirstByte.isEmpty { return text.isEmpty ? [] : [.text(text)] }
    let bytes = Array(text.utf8)
    var segments: [TextSegment] = []
    var runStart = 0
    var i = 0
    while i < bytes.count {
      var matched: (length: Int, id: Int)?
      if let candidates = byFirstByte[bytes[i]] {
        for (token, id) in candidates where i + token.count <= bytes.count {
          if bytes[i..<(i + token.count)].elementsEqual(token) {
            matched = (token.count, id)
            break
          }
        }
      }
      if let (length, id) = matched {
        if runStart < i {
          segments.append(.text(String(decoding: bytes[runStart..<i], as: UTF8.self)))
        }
        segments.append(.special(id))
        i += length
        runStart = i
      } else {
        i += 1
      }
    }
    if runStart < bytes.count {
      segments.append(.text(String(decoding: bytes[runStart...], as: UTF8.self)))
    }
    return segments
  }
}
