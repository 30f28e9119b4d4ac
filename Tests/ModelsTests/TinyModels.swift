import Foundation
import IR
import Models
import Runtime

/// Tiny random Llama models and a byte-level tokenizer for fast generation tests.
enum TinyModels {
  /// 2 layers, 4 query heads sharing 2 KV heads, head dimension 8; 259 tokens (256 bytes, the
  /// two ChatML markers and one merge), so the tiny tokenizer below fits it.
  static let config = LlamaConfig(
    vocabulary: 259, dimension: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 48,
    tiedEmbeddings: false, contextLength: 128)

  /// Weights for every parameter of the forward graph: norms near 1, matrices uniform in
  /// ±`scale`, from a seeded generator.
  static func weights(_ config: LlamaConfig = config, seed: UInt64 = 7, scale: Float = 0.4) throws
    -> [String: HostTensor]
  {
    var random = SeededRandom(seed: seed)
    let graph = try Llama(config).forwardGraph(batch: 1, tokens: 1)
    var out: [String: HostTensor] = [:]
    for p in graph.parameters where !["tokens", "attention_mask", "positions"].contains(p.name) {
      let values = (0..<p.type.count).map { _ -> Float in
        let u = Float(random.nextUnitInterval()) * 2 - 1
        return p.name.hasSuffix("norm.weight") ? 1 + 0.1 * u : scale * u
      }
      out[p.name] = try HostTensor(shape: p.type.shape, values)
    }
    return out
  }

  /// GPT-2's printable stand-in for each byte.
  static func byteCharacters() -> [String] {
    var printable = Array(33...126) + Array(161...172) + Array(174...255)
    var codes = printable
    var extra = 0
    for b in 0..<256 where !printable.contains(b) {
      printable.append(b)
      codes.append(256 + extra)
      extra += 1
    }
    var out = Array(repeating: "", count: 256)
    for (b, c) in zip(printable, codes) {
      out[b] = String(UnicodeScalar(UInt32(c)).map(Character.init) ?? "?")
    }
    return out
  }

  /// A byte-level BPE `tokenizer.json`: ids 0–255 are the bytes, 256/257 are `<|im_start|>` and
  /// `<|im_end|>`, 258 is the merge "Ġ t".
  static func writeTokenizerJSON(to path: String) throws {
    var vocab: [String: Int] = [:]
    for (b, c) in byteCharacters().enumerated() { vocab[c] = b }
    vocab["Ġt"] = 258
    let json: [String: Any] = [
      "added_tokens": [
        ["id": 256, "content": "<|im_start|>", "special": true],
        ["id": 257, "content": "<|im_end|>", "special": true],
      ],
      "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
      "model": ["type": "BPE", "vocab": vocab, "merges": ["Ġ t"], "unk_token": NSNull()],
    ]
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
  }

  /// A Scalpel checkpoint directory of the tiny model with the tiny tokenizer.
  static func checkpoint(seed: UInt64 = 7) throws -> (
    directory: String, weights: [String: HostTensor]
  ) {
    let dir = try temporaryDirectory()
    let tokenizer = dir + "/source-tokenizer.json"
    try writeTokenizerJSON(to: tokenizer)
    let weights = try weights(seed: seed)
    let target = dir + "/checkpoint"
    try ScalpelCheckpoint.write(
      model: Llama(config), weights: weights, tokenizer: .tokenizerJSON(tokenizer), to: target)
    return (target, weights)
  }
}
