import Foundation
import Models
import Testing

struct TokenizerFixtures: Decodable {
  struct BPECase: Decodable {
    var text: String
    var ids: [Int]
    var ids_gguf_converter: [Int]
  }
  struct WordPieceCase: Decodable {
    var text: String
    var ids: [Int]
    var tokens: [String]
  }
  var smollm2_bpe: [BPECase]
  var minilm_wordpiece: [WordPieceCase]

  static func load() throws -> TokenizerFixtures {
    let data = try Data(
      contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/Fixtures/tokenizers.json"))
    return try JSONDecoder().decode(TokenizerFixtures.self, from: data)
  }
}

/// SmolLM2's tokenizer from its GGUF metadata, loaded once for all tests.
let smolLM2: Result<ByteLevelBPETokenizer, any Error> = Result {
  let file = try GGUFFile(path: try modelFile("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"))
  return try ByteLevelBPETokenizer(gguf: file)
}

/// A deterministic generator (SplitMix64) for reproducible random strings.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A random string mixing ASCII, whitespace, digits, Latin accents, combining marks, CJK,
/// emoji (with ZWJ and modifiers), control characters and special-token text.
func randomText(_ rng: inout SplitMix64) -> String {
  let pieces: [[Unicode.Scalar]] = [
    Array("abcXYZ'sllve".unicodeScalars), Array(" \t\n\r\u{0B}\u{85}\u{A0}\u{3000}".unicodeScalars),
    Array("0123456789١٢½".unicodeScalars), Array("éüñÅßİσς".unicodeScalars),
    ["\u{0301}", "\u{0308}", "\u{093F}"], Array("你好世界日本語한국".unicodeScalars),
    Array("😀👍🏽❤️\u{FE0F}\u{200D}🇫🇷".unicodeScalars),
    ["\u{01}", "\u{07}", "\u{7F}", "\u{200B}", "\u{0}"],
    Array(".,!?-_()[]{}<>|@#$%^&*/\\\"".unicodeScalars),
  ]
  var scalars = String.UnicodeScalarView()
  let length = Int.random(in: 0...40, using: &rng)
  for _ in 0..<length {
    if Int.random(in: 0..<30, using: &rng) == 0 {
      scalars.append(contentsOf: "<|im_start|>".unicodeScalars)
      continue
    }
    if Int.random(in: 0..<10, using: &rng) == 0 {
      // Any scalar outside the surrogates.
      let value = UInt32.random(in: 0...0x10FFFF, using: &rng)
      if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
      continue
    }
    let group = pieces[Int.random(in: 0..<pieces.count, using: &rng)]
    scalars.append(group[Int.random(in: 0..<group.count, using: &rng)])
  }
  return String(scalars)
}

@Suite struct ByteLevelBPETests {
  @Test func metadataFacts() throws {
    let tokenizer = try smolLM2.get()
    #expect(tokenizer.vocabularySize == 49152)
    #expect(tokenizer.bosTokenId == 1 && tokenizer.eosTokenId == 2 && tokenizer.unknownTokenId == 0)
    #expect(tokenizer.specialTokenIds == Set(0...16))
    #expect(tokenizer.splitsDigits)
    #expect(
      tokenizer.unencodableBytes == [4, 6, 19, 20, 22, 29, 192, 193]
        + Array(241...255).filter { $0 != 243 && $0 != 244 })
    #expect(tokenizer.tokens[1] == "<|im_start|>" && tokenizer.tokens[2] == "<|im_end|>")
  }

  @Test func matchesReferenceIds() throws {
    let tokenizer = try smolLM2.get()
    let fixtures = try TokenizerFixtures.load()
    #expect(fixtures.smollm2_bpe.count > 20)
    for c in fixtures.smollm2_bpe {
      let ids = tokenizer.encode(c.text)
      #expect(ids == c.ids, "\(c.text.debugDescription)")
      let kept = Array(c.text.utf8).filter { !tokenizer.unencodableBytes.contains($0) }
      #expect(Array(try tokenizer.decode(ids).utf8) == kept)
    }
  }

  @Test func randomRoundTrips() throws {
    let tokenizer = try smolLM2.get()
    var rng = SplitMix64(state: 42)
    let dropped = Set(tokenizer.unencodableBytes)
    for _ in 0..<300 {
      // Arbitrary Unicode, less what SmolLM2's vocabulary cannot encode: six control characters
      // and the scalars of planes 4 to 11 (UTF-8 lead bytes F1, F2).
      let scalars = randomText(&rng).unicodeScalars.filter {
        !$0.utf8.contains(where: dropped.contains)
      }
      let text = String(String.UnicodeScalarView(scalars))
      let ids = tokenizer.encode(text)
      let decoded = try tokenizer.decode(ids)
      #expect(
        Array(decoded.unicodeScalars) == Array(text.unicodeScalars), "\(text.debugDescription)")
      #expect(tokenizer.encode(decoded) == ids, "\(text.debugDescription)")
      let offsets = try tokenizer.byteOffsets(ids)
      #expect(offsets.last == text.utf8.count)
    }
  }

  @Test func decodeEdgeCases() throws {
    let tokenizer = try smolLM2.get()
    #expect(tokenizer.encode("") == [])
    #expect(try tokenizer.decode([1, 2], skipSpecialTokens: true) == "")
    let error = #expect(throws: ModelError.self) { try tokenizer.decode([49152]) }
    #expect(error?.message.contains("49152") == true)
    // A token sequence cut inside a character decodes with U+FFFD.
    let ids = tokenizer.encode("😀")
    if ids.count > 1 { #expect(try tokenizer.decode(Array(ids.prefix(1))).contains("\u{FFFD}")) }
  }

  /// The same vocabulary and merges written as tokenizer.json (both merge spellings) give the
  /// same tokenizer as the GGUF metadata.
  @Test func tokenizerJSONMatchesGGUF() throws {
    let gguf = try GGUFFile(path: try modelFile("smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    let reference = try smolLM2.get()
    let tokens = try gguf.strings("tokenizer.ggml.tokens")
    let merges = try gguf.strings("tokenizer.ggml.merges")
    let dir = try temporaryDirectory()
    for pairForm in [false, true] {
      var vocab: [String: Int] = [:]
      for (id, token) in tokens.enumerated() where id > 16 { vocab[token] = id }
      let added = (0...16).map {
        ["id": $0, "content": tokens[$0], "special": true] as [String: Any]
      }
      let mergeList: [Any] =
        pairForm
        ? merges.map { $0.split(separator: " ").map(String.init) } : merges
      let json: [String: Any] = [
        "added_tokens": added,
        "pre_tokenizer": [
          "type": "Sequence",
          "pretokenizers": [
            ["type": "Digits", "individual_digits": true],
            ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
          ],
        ],
        "model": ["type": "BPE", "vocab": vocab, "merges": mergeList, "unk_token": NSNull()],
      ]
      let path = dir + "/tokenizer-\(pairForm).json"
      try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
      let tokenizer = try ByteLevelBPETokenizer(
        tokenizerJSON: path, bosToken: "<|im_start|>", eosToken: "<|im_end|>")
      #expect(tokenizer.tokens == reference.tokens)
      #expect(tokenizer.specialTokenIds == reference.specialTokenIds)
      #expect(tokenizer.splitsDigits && tokenizer.bosTokenId == 1 && tokenizer.eosTokenId == 2)
      for c in try TokenizerFixtures.load().smollm2_bpe {
        #expect(tokenizer.encode(c.text) == c.ids)
      }
    }
  }

  @Test func malformedTokenizerJSON() throws {
    let dir = try temporaryDirectory()
    let cases: [(String, String)] = [
      ("{", "tokenizer.json"),
      (#"{"model": {"type": "BPE"}}"#, "vocab"),
      (#"{"model": {"type": "WordPiece", "vocab": {}}}"#, "not BPE"),
      (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}}"#, "merge"),
      (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 2}}}"#, "token id 2 is outside 0..<2"),
      // Found by the tokenizer fuzzer: an id of 10¹¹ sized the token table before any check.
      (
        #"{"model": {"": "PE", "vocab": {"a": 111111111110, "vvvv": 1, "": 2, "\u0240": 3}}}"#,
        "token id 111111111110 is outside 0..<4"
      ),
      (#"{"model": {"type": "BPE", "vocab": {"a": -1}}}"#, "token id -1 is outside 0..<1"),
      (#"{"model": {"type": "BPE", "vocab": {"a": 0}}}"#, "byte"),
    ]
    for (index, (text, expected)) in cases.enumerated() {
      let path = dir + "/bad\(index).json"
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      let error = #expect(throws: ModelError.self, "\(text)") {
        _ = try ByteLevelBPETokenizer(tokenizerJSON: path)
      }
      #expect(error?.file == path)
      #expect(error.map { "\($0)".contains(expected) } == true, "\(String(describing: error))")
    }
  }
}

@Suite struct WordPieceTests {
  func miniLM() throws -> WordPieceTokenizer {
    try WordPieceTokenizer(tokenizerJSON: try modelFile("minilm", "tokenizer.json"))
  }

  @Test func matchesReferenceIds() throws {
    let tokenizer = try miniLM()
    let fromVocab = try WordPieceTokenizer(vocabTxt: try modelFile("minilm", "vocab.txt"))
    #expect(fromVocab.tokens == tokenizer.tokens)
    let fixtures = try TokenizerFixtures.load()
    #expect(fixtures.minilm_wordpiece.count > 20)
    for c in fixtures.minilm_wordpiece {
      #expect(tokenizer.encode(c.text) == c.ids, "\(c.text.debugDescription)")
      #expect(fromVocab.encode(c.text) == c.ids, "\(c.text.debugDescription)")
    }
  }

  @Test func specialsAndTruncation() throws {
    let tokenizer = try miniLM()
    #expect(tokenizer.classifierTokenId == 101 && tokenizer.separatorTokenId == 102)
    #expect(tokenizer.unknownTokenId == 100 && tokenizer.paddingTokenId == 0)
    #expect(tokenizer.encode("") == [101, 102])
    #expect(tokenizer.tokenize("Hello, WORLD!") == ["hello", ",", "world", "!"])
    #expect(tokenizer.encode(String(repeating: "a", count: 101), addSpecialTokens: false) == [100])
    let long = tokenizer.encode(String(repeating: "word ", count: 1000))
    #expect(long.count == 512 && long.first == 101 && long.last == 102)
    #expect(
      try tokenizer.decode(tokenizer.encode("unbelievable tokenization"))
        == "unbelievable tokenization")
  }

  @Test func malformedVocabulary() throws {
    let path = try writeTemporary(Array("[PAD]\nhello\n".utf8), name: "vocab.txt")
    let error = #expect(throws: ModelError.self) { _ = try WordPieceTokenizer(vocabTxt: path) }
    #expect(error?.file == path && error?.message.contains("[UNK]") == true)
  }
}

@Suite struct ChatTemplateTests {
  let template = ChatTemplate.smolLM2

  @Test func formats() {
    #expect(
      template.prompt("Hi")
        == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
        + "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    #expect(
      template.prompt("Hi", system: .none)
        == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    #expect(
      template.prompt("Hi", system: .custom("Be brief."))
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        + "<|im_start|>assistant\n")
    let conversation = template.format(
      [
        .init(role: "system", content: "S"), .init(role: "user", content: "U"),
        .init(role: "assistant", content: "A"),
      ], addGenerationPrompt: false)
    #expect(
      conversation == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"
        + "<|im_start|>assistant\nA<|im_end|>\n")
  }

  @Test func pairBoundaries() throws {
    let tokenizer = try smolLM2.get()
    let fixtures = try TokenizerFixtures.load()
    let pair = template.pair(
      prompt: "How do I bake bread?",
      answer: "Mix flour, water, yeast and salt; knead; let it rise; bake at 230°C.", system: .none)
    #expect(pair.text.hasSuffix("230°C.<|im_end|>"))
    #expect(pair.prompt == template.prompt("How do I bake bread?", system: .none))
    // The fixture holds the reference ids of the same text.
    let reference = try #require(fixtures.smollm2_bpe.first { $0.text == pair.text })
    let (ids, start) = try template.encodePair(pair, with: tokenizer)
    #expect(ids == reference.ids)
    #expect(ids.last == 2)
    #expect(
      try tokenizer.decode(Array(ids[start...]))
        == "Mix flour, water, yeast and salt; knead; let it rise; bake at 230°C.<|im_end|>")
    #expect(try tokenizer.decode(Array(ids[..<start])) == pair.prompt)
    // An answer starting with whitespace: the newline before it may join its first token, which
    // then counts as prompt.
    let spaced = template.pair(prompt: "Q", answer: "\n\nA", system: .none)
    let (spacedIds, spacedStart) = try template.encodePair(spaced, with: tokenizer)
    let offsets = try tokenizer.byteOffsets(spacedIds)
    #expect(offsets[spacedStart] >= spaced.answerByteOffset)
    #expect(offsets[spacedStart - 1] < spaced.answerByteOffset)
  }
}
