import Foundation

/// WordPiece as BERT uses it (all-MiniLM-L6-v2): BERT normalization and basic tokenization, then
/// greedy longest-match-first subwords with a `##` continuation prefix.
///
/// A word longer than `maxCharactersPerWord` scalars, or one that cannot be covered by vocabulary
/// pieces, becomes `[UNK]`. Special tokens (`[CLS]`, `[SEP]`, `[MASK]`, …) written in the text are
/// matched first, exactly. `encode` wraps the ids in `[CLS] … [SEP]` and truncates to `maxLength`.
public struct WordPieceTokenizer: Sendable {
  /// Token strings by id.
  public let tokens: [String]
  /// `[UNK]`'s id.
  public let unknownTokenId: Int
  /// `[CLS]`'s id.
  public let classifierTokenId: Int
  /// `[SEP]`'s id.
  public let separatorTokenId: Int
  /// `[PAD]`'s id, if the vocabulary has one.
  public let paddingTokenId: Int?
  /// The ids of the special tokens.
  public let specialTokenIds: Set<Int>
  /// Words longer than this many scalars become `[UNK]`.
  public var maxCharactersPerWord = 100
  /// The longest id sequence `encode` returns, `[CLS]` and `[SEP]` included.
  public var maxLength = 512
  /// The prefix of non-initial pieces.
  public let continuationPrefix: String

  private let vocabulary: [String: Int]
  private let normalizer: BertNormalizer
  private let splitter: SpecialTokenSplitter

  /// A tokenizer from its vocabulary (token strings by id); throws if `[UNK]`, `[CLS]` or `[SEP]`
  /// is missing. `specialTokens` are matched in the raw text (default: the bracketed BERT ones
  /// present in the vocabulary).
  public init(
    tokens: [String], specialTokens: [String]? = nil, lowercase: Bool = true,
    stripAccents: Bool? = nil, continuationPrefix: String = "##", unknownToken: String = "[UNK]",
    source: String = "<memory>"
  ) throws(ModelError) {
    self.tokens = tokens
    var vocabulary: [String: Int] = [:]
    for (id, token) in tokens.enumerated() where vocabulary[token] == nil {
      vocabulary[token] = id
    }
    self.vocabulary = vocabulary
    func require(_ token: String) throws(ModelError) -> Int {
      guard let id = vocabulary[token] else {
        throw ModelError("the vocabulary has no \(token) token", file: source)
      }
      return id
    }
    unknownTokenId = try require(unknownToken)
    classifierTokenId = try require("[CLS]")
    separatorTokenId = try require("[SEP]")
    paddingTokenId = vocabulary["[PAD]"]
    self.continuationPrefix = continuationPrefix
    let special = (specialTokens ?? ["[PAD]", unknownToken, "[CLS]", "[SEP]", "[MASK]"])
      .compactMap { token in vocabulary[token].map { (token, $0) } }
    specialTokenIds = Set(special.map(\.1))
    splitter = SpecialTokenSplitter(special)
    normalizer = BertNormalizer(
      lowercase: lowercase, stripAccents: stripAccents ?? lowercase, handleChineseCharacters: true)
  }

  /// The tokenizer in a BERT `vocab.txt` (one token per line, the line number is the id).
  public init(vocabTxt path: String, lowercase: Bool = true) throws(ModelError) {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ModelError("cannot read the file (missing or unreadable)", file: path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ModelError("the file is not UTF-8 text", file: path)
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
    }
    if lines.last == "" { lines.removeLast() }
    try self.init(tokens: lines, lowercase: lowercase, source: path)
  }

  /// The tokenizer in a Hugging Face `tokenizer.json` (model `WordPiece`, `BertNormalizer`).
  public init(tokenizerJSON path: String) throws(ModelError) {
    let json = try TokenizerJSON.load(path)
    if let type = json.model.type, type != "WordPiece" {
      throw ModelError("model type '\(type)' is not WordPiece", file: path, key: "model.type")
    }
    let tokens = try json.tokensByID(path: path)
    let bert = json.normalizer?.objects(ofType: "BertNormalizer").first
    let lowercase = bert?["lowercase"] != .bool(false)
    var strip: Bool? = nil
    if case .bool(let b) = bert?["strip_accents"] { strip = b }
    try self.init(
      tokens: tokens, specialTokens: json.addedTokens.map { $0.map(\.content) },
      lowercase: lowercase, stripAccents: strip,
      continuationPrefix: json.model.continuingSubwordPrefix ?? "##",
      unknownToken: json.model.unkToken ?? "[UNK]", source: path)
    if let max = json.model.maxInputCharsPerWord, max > 0 { maxCharactersPerWord = max }
  }

  /// The id of a token, or nil.
  public func id(of token: String) -> Int? { vocabulary[token] }

  /// The WordPiece tokens of `text`, without `[CLS]`/`[SEP]` and without truncation.
  public func tokenize(_ text: String) -> [String] {
    pieces(text).map { tokens[$0] }
  }

  /// `[CLS]` + the ids of `text` + `[SEP]` (without `addSpecialTokens`, the bare ids),
  /// truncated to `maxLength` ids in all.
  public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
    var ids = pieces(text)
    let room = Swift.max(0, maxLength - (addSpecialTokens ? 2 : 0))
    if ids.count > room { ids.removeLast(ids.count - room) }
    return addSpecialTokens ? [classifierTokenId] + ids + [separatorTokenId] : ids
  }

  /// The text of `ids`: tokens joined by spaces with `##` continuations glued on; special tokens
  /// dropped when `skipSpecialTokens`. Throws on an id outside the vocabulary.
  public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) throws(ModelError) -> String {
    var text = ""
    for id in ids {
      guard tokens.indices.contains(id) else {
        throw ModelError("token id \(id) is not in 0..<\(tokens.count)")
      }
      if skipSpecialTokens && specialTokenIds.contains(id) { continue }
      let token = tokens[id]
      if token.hasPrefix(continuationPrefix) {
        text += token.dropFirst(continuationPrefix.count)
      } else {
        text += (text.isEmpty ? "" : " ") + token
      }
    }
    return text
  }

  private func pieces(_ text: String) -> [Int] {
    var ids: [Int] = []
    for segment in splitter.split(text) {
      switch segment {
      case .special(let id): ids.append(id)
      case .text(let run):
        for word in normalizer.basicWords(normalizer.normalize(run)) {
          ids.append(contentsOf: wordPieces(word))
        }
      }
    }
    return ids
  }

  /// Greedy longest-match-first pieces of one word, or `[UNK]` if it cannot be covered.
  func wordPieces(_ word: String) -> [Int] {
    let scalars = Array(word.unicodeScalars)
    if scalars.count > maxCharactersPerWord { return [unknownTokenId] }
    var ids: [Int] = []
    var start = 0
    while start < scalars.count {
      var end = scalars.count
      var found: Int?
      while start < end {
        var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
        if start > 0 { candidate = continuationPrefix + candidate }
        if let id = vocabulary[candidate] {
          found = id
          break
        }
        end -= 1
      }
      guard let found else { return [unknownTokenId] }
      ids.append(found)
      start = end
    }
    return ids
  }
}
