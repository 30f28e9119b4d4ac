import Foundation

/// The tokenizer of a model, whichever kind it is: byte-level BPE (Llama family, from GGUF
/// metadata or `tokenizer.json`) or WordPiece (BERT, from `tokenizer.json` or `vocab.txt`).
public enum TextTokenizer: Sendable {
  case byteLevelBPE(ByteLevelBPETokenizer)
  case wordPiece(WordPieceTokenizer)

  /// The tokenizer stored with the model at `location`.
  ///
  /// A directory's tokenizer is `tokenizer.json`, else the GGUF file its `config.json` records
  /// under `scalpel_tokenizer_gguf` (a Scalpel checkpoint), else `vocab.txt` (WordPiece).
  public init(_ location: ModelLocation) throws(ModelError) {
    switch location.format {
    case .gguf:
      self = .byteLevelBPE(try ByteLevelBPETokenizer(gguf: try GGUFFile(path: location.path)))
    case .directory:
      let json = location.file("tokenizer.json")
      if FileManager.default.fileExists(atPath: json) {
        let type = try TokenizerJSON.load(json).model.type
        if type == "WordPiece" {
          self = .wordPiece(try WordPieceTokenizer(tokenizerJSON: json))
        } else {
          self = .byteLevelBPE(
            try ByteLevelBPETokenizer(
              tokenizerJSON: json, bosToken: "<|im_start|>", eosToken: "<|im_end|>"))
        }
        return
      }
      let config = try readJSONObject(location.file("config.json"))
      if let recorded = config[ScalpelCheckpoint.tokenizerKey] as? String {
        let path = recorded.hasPrefix("/") ? recorded : location.file(recorded)
        self = .byteLevelBPE(try ByteLevelBPETokenizer(gguf: try GGUFFile(path: path)))
        return
      }
      let vocab = location.file("vocab.txt")
      if FileManager.default.fileExists(atPath: vocab) {
        self = .wordPiece(try WordPieceTokenizer(vocabTxt: vocab))
        return
      }
      throw ModelError(
        "no tokenizer: expected tokenizer.json, vocab.txt or '\(ScalpelCheckpoint.tokenizerKey)' "
          + "in config.json", file: location.path)
    }
  }

  /// Token ids of `text` (WordPiece adds `[CLS]` and `[SEP]`; byte-level BPE adds nothing).
  public func encode(_ text: String) -> [Int] {
    switch self {
    case .byteLevelBPE(let t): t.encode(text)
    case .wordPiece(let t): t.encode(text)
    }
  }

  /// The text of `ids`; throws on an id outside the vocabulary.
  public func decode(_ ids: [Int]) throws(ModelError) -> String {
    switch self {
    case .byteLevelBPE(let t): try t.decode(ids)
    case .wordPiece(let t): try t.decode(ids)
    }
  }

  /// Number of tokens in the vocabulary.
  public var vocabularySize: Int {
    switch self {
    case .byteLevelBPE(let t): t.vocabularySize
    case .wordPiece(let t): t.tokens.count
    }
  }

  /// `byte-level-bpe` or `wordpiece`.
  public var kind: String {
    switch self {
    case .byteLevelBPE: "byte-level-bpe"
    case .wordPiece: "wordpiece"
    }
  }
}

/// The JSON object in the file at `path`.
func readJSONObject(_ path: String) throws(ModelError) -> [String: Any] {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw ModelError("cannot read the file (missing or unreadable)", file: path)
  }
  do {
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw ModelError("expected a JSON object", file: path)
    }
    return object
  } catch let error as ModelError {
    throw error
  } catch {
    throw ModelError("not valid JSON: \(error.localizedDescription)", file: path)
  }
}
