/// Turns generated token ids into text as they arrive: bytes of a character split across
/// tokens are held back until the character is complete.
public struct TextStream: Sendable {
  public let tokenizer: ByteLevelBPETokenizer
  private var pending: [UInt8] = []

  public init(tokenizer: ByteLevelBPETokenizer) { self.tokenizer = tokenizer }

  /// The text that `id` completes (possibly empty); special tokens are skipped.
  public mutating func append(_ id: Int) throws(ModelError) -> String {
    pending += try tokenizer.decodeBytes([id], skipSpecialTokens: true)
    let keep = Self.incompleteSuffix(pending)
    let ready = pending[..<(pending.count - keep)]
    let text = String(decoding: ready, as: UTF8.self)
    pending.removeFirst(pending.count - keep)
    return text
  }

  /// Whatever is still held back (as replacement characters if incomplete).
  public mutating func finish() -> String {
    defer { pending = [] }
    return String(decoding: pending, as: UTF8.self)
  }

  /// How many trailing bytes start a UTF-8 sequence that is not complete yet.
  static func incompleteSuffix(_ bytes: [UInt8]) -> Int {
    var back = 0
    while back < min(3, bytes.count) {
      let byte = bytes[bytes.count - 1 - back]
      if byte & 0xC0 != 0x80 {  // a lead byte (or ASCII)
        let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        return needed > back + 1 ? back + 1 : 0
      }
      back += 1
    }
    return 0
  }
}
