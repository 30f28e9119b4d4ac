import Foundation

/// Byte-level BPE (GPT-2 style), as SmolLM2 uses: special tokens, digit splitting, the GPT-2
/// pattern, bytes mapped to printable characters, then merges by rank.
///
/// Encoding: special (added) tokens are matched first on the raw text (leftmost, longest, exact);
/// the rest is split into words (see `ByteLevelPreTokenizer`); each word's UTF-8 bytes start as
/// one token per byte and the adjacent pair with the lowest merge rank is merged until no pair
/// has a rank. Decoding maps tokens back to bytes, so `decode(encode(text)) == text` exactly
/// unless the text holds one of the `unencodableBytes` (dropped, as the reference does).
/// Word encodings are cached; the tokenizer is safe to share between threads.
public final class ByteLevelBPETokenizer: Sendable {
  /// Token strings by id (byte-level form: `Ġthe` for " the").
  public let tokens: [String]
  /// The ids of the special tokens (matched before splitting, decoded literally).
  public let specialTokenIds: Set<Int>
  /// The beginning-of-sequence token id (`<|im_start|>` for SmolLM2), if any.
  public let bosTokenId: Int?
  /// The end-of-sequence token id (`<|im_end|>` for SmolLM2), if any.
  public let eosTokenId: Int?
  /// The unknown token id, if any.
  public let unknownTokenId: Int?
  /// Whether numbers are split into single digits before the GPT-2 pattern.
  public let splitsDigits: Bool

  private let vocabulary: [String: Int]
  /// (left id << 32 | right id) → (rank, merged id).
  private let merges: [UInt64: Merge]
  /// The id of the one-byte token for each byte (nil if the vocabulary lacks it).
  private let byteTokens: [Int?]
  /// Bytes each token decodes to.
  private let tokenBytes: [[UInt8]]
  private let splitter: SpecialTokenSplitter
  private let preTokenizer: ByteLevelPreTokenizer
  private let cache = WordCache()
  private static let cacheLimit = 100_000

  struct Merge: Sendable {
    var rank: Int
    var merged: Int
  }

  /// A tokenizer from its vocabulary (token strings by id), its merges in rank order, and the
  /// ids of the special tokens; throws if a merge or a byte token is missing from the vocabulary.
  public init(
    tokens: [String], merges: [(String, String)], specialTokenIds: Set<Int>,
    bosTokenId: Int? = nil, eosTokenId: Int? = nil, unknownTokenId: Int? = nil,
    splitsDigits: Bool, source: String = "<memory>"
  ) throws(ModelError) {
    self.tokens = tokens
    self.specialTokenIds = specialTokenIds
    self.bosTokenId = bosTokenId
    self.eosTokenId = eosTokenId
    self.unknownTokenId = unknownTokenId
    self.splitsDigits = splitsDigits
    for (name, id) in [("bos", bosTokenId), ("eos", eosTokenId), ("unknown", unknownTokenId)] {
      if let id, !tokens.indices.contains(id) {
        throw ModelError("\(name) token id \(id) is not in 0..<\(tokens.count)", file: source)
      }
    }
    var vocabulary: [String: Int] = [:]
    for (id, token) in tokens.enumerated() where vocabulary[token] == nil {
      vocabulary[token] = id
    }
    self.vocabulary = vocabulary

    let byteTokens = ByteLevelPreTokenizer.byteToScalar.map { vocabulary[String($0)] }
    // A byte-level vocabulary has (nearly) all 256 byte characters; SmolLM2's lacks 21.
    guard byteTokens.filter({ $0 != nil }).count >= 128 else {
      throw ModelError(
        "the vocabulary has only \(byteTokens.filter { $0 != nil }.count) of the 256 byte "
          + "characters: not a byte-level BPE", file: source)
    }
    self.byteTokens = byteTokens

    var table: [UInt64: Merge] = [:]
    table.reserveCapacity(merges.count)
    for (rank, (left, right)) in merges.enumerated() {
      guard let a = vocabulary[left], let b = vocabulary[right],
        let merged = vocabulary[left + right]
      else {
        throw ModelError(
          "merge #\(rank) \"\(left) \(right)\" uses or makes a token not in the vocabulary",
          file: source)
      }
      let key = UInt64(a) << 32 | UInt64(b)
      if table[key] == nil { table[key] = Merge(rank: rank, merged: merged) }
    }
    self.merges = table

    self.tokenBytes = tokens.enumerated().map { id, token in
      if specialTokenIds.contains(id) { return Array(token.utf8) }
      var bytes: [UInt8] = []
      for scalar in token.unicodeScalars {
        if let byte = ByteLevelPreTokenizer.scalarToByte[scalar] {
          bytes.append(byte)
        } else {
          bytes.append(contentsOf: scalar.utf8)
        }
      }
      return bytes
    }
    self.splitter = SpecialTokenSplitter(
      specialTokenIds.sorted().compactMap { id in
        tokens.indices.contains(id) ? (tokens[id], id) : nil
      })
    self.preTokenizer = ByteLevelPreTokenizer(splitDigits: splitsDigits)
  }

  /// The tokenizer stored in GGUF metadata (`tokenizer.ggml.*`, model `gpt2`).
  ///
  /// Special tokens are those of `token_type` 3 (control) and 4 (user-defined); pre-tokenizer
  /// `smollm` (and the other digit-splitting ones) split digits, `gpt2`/`default` do not.
  public convenience init(gguf: GGUFFile) throws(ModelError) {
    let model = try gguf.string("tokenizer.ggml.model")
    guard model == "gpt2" else {
      throw ModelError(
        "tokenizer model '\(model)' is not byte-level BPE ('gpt2')", file: gguf.path,
        key: "tokenizer.ggml.model")
    }
    let tokens = try gguf.strings("tokenizer.ggml.tokens")
    let types =
      gguf.value("tokenizer.ggml.token_type") == nil
      ? [] : try gguf.ints("tokenizer.ggml.token_type")
    guard types.isEmpty || types.count == tokens.count else {
      throw ModelError(
        "\(types.count) token types for \(tokens.count) tokens", file: gguf.path,
        key: "tokenizer.ggml.token_type")
    }
    var merges: [(String, String)] = []
    for (index, merge) in try gguf.strings("tokenizer.ggml.merges").enumerated() {
      let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2 else {
        throw ModelError(
          "merge #\(index) \"\(merge)\" is not two tokens separated by one space",
          file: gguf.path, key: "tokenizer.ggml.merges")
      }
      merges.append((String(parts[0]), String(parts[1])))
    }
    let pre = gguf.value("tokenizer.ggml.pre")?.string ?? "default"
    let splitsDigits: Bool
    switch pre {
    case "default", "gpt2", "gpt-2": splitsDigits = false
    case "smollm", "starcoder", "refact": splitsDigits = true
    default:
      throw ModelError(
        "pre-tokenizer '\(pre)' is not supported (supported: smollm, gpt2, default)",
        file: gguf.path, key: "tokenizer.ggml.pre")
    }
    let special = Set(
      types.enumerated().filter { $0.element == 3 || $0.element == 4 }.map(\.offset))
    try self.init(
      tokens: tokens, merges: merges, specialTokenIds: special,
      bosTokenId: gguf.value("tokenizer.ggml.bos_token_id")?.int,
      eosTokenId: gguf.value("tokenizer.ggml.eos_token_id")?.int,
      unknownTokenId: gguf.value("tokenizer.ggml.unknown_token_id")?.int,
      splitsDigits: splitsDigits, source: gguf.path)
  }

  /// The tokenizer in a Hugging Face `tokenizer.json` (model `BPE` with a ByteLevel
  /// pre-tokenizer; a `Digits` pre-tokenizer with `individual_digits` turns on digit splitting).
  /// bos/eos are not recorded there; pass them if needed.
  public convenience init(
    tokenizerJSON path: String, bosToken: String? = nil, eosToken: String? = nil
  ) throws(ModelError) {
    let json = try TokenizerJSON.load(path)
    if let type = json.model.type, type != "BPE" {
      throw ModelError("model type '\(type)' is not BPE", file: path, key: "model.type")
    }
    if let byteLevel = json.preTokenizer?.objects(ofType: "ByteLevel").first,
      byteLevel["add_prefix_space"] == .bool(true)
    {
      throw ModelError(
        "ByteLevel add_prefix_space = true is not supported", file: path, key: "pre_tokenizer")
    }
    let splitsDigits =
      json.preTokenizer?.objects(ofType: "Digits").contains {
        $0["individual_digits"] == .bool(true)
      } ?? false
    let tokens = try json.tokensByID(path: path)
    let special = Set((json.addedTokens ?? []).map(\.id))
    let lookup = { (name: String?) -> Int? in
      name.flatMap { n in
        (json.addedTokens ?? []).first { $0.content == n }?.id ?? json.model.vocab[n]
      }
    }
    try self.init(
      tokens: tokens, merges: (json.model.merges ?? []).map { ($0.left, $0.right) },
      specialTokenIds: special, bosTokenId: lookup(bosToken), eosTokenId: lookup(eosToken),
      unknownTokenId: lookup(json.model.unkToken), splitsDigits: splitsDigits, source: path)
  }

  /// The bytes that have no token in the vocabulary: `encode` drops them, as the reference
  /// implementation does without an unknown token (SmolLM2: control bytes 0x04 0x06 0x13 0x14
  /// 0x16 0x1D, and 0xC0 0xC1 0xF5–0xFF, which never occur in UTF-8).
  public var unencodableBytes: [UInt8] {
    byteTokens.enumerated().filter { $0.element == nil }.map { UInt8($0.offset) }
  }

  /// Number of tokens in the vocabulary.
  public var vocabularySize: Int { tokens.count }

  /// The id of a token string (byte-level form), or nil.
  public func id(of token: String) -> Int? { vocabulary[token] }

  /// The token ids of `text` (no BOS/EOS added; SmolLM2's `add_bos_token` is false).
  public func encode(_ text: String) -> [Int] {
    var ids: [Int] = []
    for segment in splitter.split(text) {
      switch segment {
      case .special(let id): ids.append(id)
      case .text(let run):
        for word in preTokenizer.words(run) { ids.append(contentsOf: encodeWord(word)) }
      }
    }
    return ids
  }

  /// The text of `ids`; special tokens are kept unless `skipSpecialTokens`. Bytes that do not
  /// form valid UTF-8 (a token sequence cut inside a character) decode as U+FFFD.
  public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws(ModelError) -> String {
    String(decoding: try decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
  }

  /// The UTF-8 bytes of `ids`; throws on an id outside the vocabulary.
  public func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool = false) throws(ModelError)
    -> [UInt8]
  {
    var bytes: [UInt8] = []
    for id in ids {
      guard tokenBytes.indices.contains(id) else {
        throw ModelError("token id \(id) is not in 0..<\(tokenBytes.count)")
      }
      if skipSpecialTokens && specialTokenIds.contains(id) { continue }
      bytes.append(contentsOf: tokenBytes[id])
    }
    return bytes
  }

  /// The UTF-8 byte offset in the decoded text at which each token starts, plus the total length
  /// at the end (`ids.count + 1` entries); throws on an id outside the vocabulary.
  public func byteOffsets(_ ids: [Int]) throws(ModelError) -> [Int] {
    var offsets = [0]
    for id in ids {
      guard tokenBytes.indices.contains(id) else {
        throw ModelError("token id \(id) is not in 0..<\(tokenBytes.count)")
      }
      offsets.append(offsets[offsets.count - 1] + tokenBytes[id].count)
    }
    return offsets
  }

  /// BPE on one word's bytes: merge the lowest-ranked adjacent pair (all its occurrences, left
  /// to right) until no adjacent pair has a merge.
  func encodeWord(_ word: [UInt8]) -> [Int] {
    if let hit = cache.lookup(word) { return hit }
    var symbols = word.compactMap { byteTokens[Int($0)] }
    while symbols.count > 1 {
      var best: Merge?
      var bestKey: UInt64 = 0
      for i in 0..<(symbols.count - 1) {
        let key = UInt64(symbols[i]) << 32 | UInt64(symbols[i + 1])
        if let merge = merges[key], merge.rank < (best?.rank ?? Int.max) {
          best = merge
          bestKey = key
        }
      }
      guard let best else { break }
      var merged: [Int] = []
      merged.reserveCapacity(symbols.count)
      var i = 0
      while i < symbols.count {
        if i + 1 < symbols.count, UInt64(symbols[i]) << 32 | UInt64(symbols[i + 1]) == bestKey {
          merged.append(best.merged)
          i += 2
        } else {
          merged.append(symbols[i])
          i += 1
        }
      }
      symbols = merged
    }
    cache.store(word, symbols, limit: Self.cacheLimit)
    return symbols
  }
}

/// The encodings of recent words, behind a lock (`Mutex` needs macOS 15; the package supports 14).
final class WordCache: @unchecked Sendable {
  private let lock = NSLock()
  private var entries: [[UInt8]: [Int]] = [:]

  func lookup(_ word: [UInt8]) -> [Int]? {
    lock.lock()
    defer { lock.unlock() }
    return entries[word]
  }

  /// Stores an encoding; empties the cache first when it holds `limit` words.
  func store(_ word: [UInt8], _ ids: [Int], limit: Int) {
    lock.lock()
    defer { lock.unlock() }
    if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
    entries[word] = ids
  }
}
