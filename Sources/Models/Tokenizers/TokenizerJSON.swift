import Foundation

/// The parts of a Hugging Face `tokenizer.json` the tokenizers here read.
struct TokenizerJSON: Decodable {
  struct AddedToken: Decodable {
    var id: Int
    var content: String
    var special: Bool?
  }

  /// A merge, either `"a b"` or `["a", "b"]`.
  struct Merge: Decodable {
    var left: String
    var right: String

    init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let text = try? container.decode(String.self) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
          throw DecodingError.dataCorruptedError(
            in: container,
            debugDescription: "merge \"\(text)\" is not two tokens separated by a space")
        }
        (left, right) = (String(parts[0]), String(parts[1]))
      } else {
        let pair = try container.decode([String].self)
        guard pair.count == 2 else {
          throw DecodingError.dataCorruptedError(
            in: container, debugDescription: "merge \(pair) is not a pair")
        }
        (left, right) = (pair[0], pair[1])
      }
    }
  }

  struct Model: Decodable {
    var type: String?
    var vocab: [String: Int]
    var merges: [Merge]?
    var unkToken: String?
    var continuingSubwordPrefix: String?
    var maxInputCharsPerWord: Int?

    enum CodingKeys: String, CodingKey {
      case type, vocab, merges
      case unkToken = "unk_token"
      case continuingSubwordPrefix = "continuing_subword_prefix"
      case maxInputCharsPerWord = "max_input_chars_per_word"
    }
  }

  var addedTokens: [AddedToken]?
  var model: Model
  var normalizer: JSONValue?
  var preTokenizer: JSONValue?

  enum CodingKeys: String, CodingKey {
    case model, normalizer
    case addedTokens = "added_tokens"
    case preTokenizer = "pre_tokenizer"
  }

  /// Reads and decodes the file at `path`.
  static func load(_ path: String) throws(ModelError) -> TokenizerJSON {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ModelError("cannot read the file (missing or unreadable)", file: path)
    }
    do {
      return try JSONDecoder().decode(TokenizerJSON.self, from: data)
    } catch let error as DecodingError {
      var context: DecodingError.Context?
      switch error {
      case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c),
        .dataCorrupted(let c):
        context = c
      @unknown default: break
      }
      let where_ = context?.codingPath.map(\.stringValue).joined(separator: ".") ?? ""
      throw ModelError(
        "not a usable tokenizer.json: \(context?.debugDescription ?? "\(error)")", file: path,
        key: where_.isEmpty ? nil : where_)
    } catch {
      throw ModelError("not a usable tokenizer.json: \(error)", file: path)
    }
  }
}

/// Any JSON value, for the loosely structured parts of `tokenizer.json`.
indirect enum JSONValue: Decodable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? container.decode(Double.self) {
      self = .number(n)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else if let a = try? container.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { o[key] } else { nil }
  }

  /// This value and every value nested in it, depth first.
  var allValues: [JSONValue] {
    switch self {
    case .array(let a): [self] + a.flatMap(\.allValues)
    case .object(let o): [self] + o.keys.sorted().compactMap { o[$0] }.flatMap(\.allValues)
    default: [self]
    }
  }

  /// The objects nested here (this one included) whose `"type"` is `type`.
  func objects(ofType type: String) -> [JSONValue] {
    allValues.filter { $0["type"] == .string(type) }
  }
}

extension TokenizerJSON {
  /// Every token (vocabulary and added tokens) in id order; a gap in the ids is an error.
  func tokensByID(path: String) throws(ModelError) -> [String] {
    var byId: [Int: String] = [:]
    for (token, id) in model.vocab { byId[id] = token }
    for added in addedTokens ?? [] { byId[added.id] = added.content }
    // Ids must be exactly 0..<n for n tokens: check that before sizing anything by the largest
    // id, which a malformed file can set to anything.
    let count = byId.count
    if let bad = byId.keys.first(where: { $0 < 0 || $0 >= count }) {
      throw ModelError(
        "token id \(bad) is outside 0..<\(count) (the ids of \(count) tokens must be 0..<\(count))",
        file: path, key: "model.vocab")
    }
    var tokens: [String] = []
    tokens.reserveCapacity(count)
    for id in 0..<count {
      guard let token = byId[id] else {
        throw ModelError(
          "no token has id \(id) (ids must be 0..<\(count))", file: path, key: "model.vocab")
      }
      tokens.append(token)
    }
    return tokens
  }
}
