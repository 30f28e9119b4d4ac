import IR

/// The hyper-parameters of a BERT encoder.
public struct BertConfig: Sendable, Hashable, Codable {
  public var vocabulary: Int
  public var dimension: Int
  public var layers: Int
  public var heads: Int
  public var hidden: Int
  public var maxPositions: Int
  public var typeVocabulary: Int
  public var layerNormEpsilon: Double

  public init(
    vocabulary: Int, dimension: Int, layers: Int, heads: Int, hidden: Int, maxPositions: Int = 512,
    typeVocabulary: Int = 2, layerNormEpsilon: Double = 1e-12
  ) {
    self.vocabulary = vocabulary
    self.dimension = dimension
    self.layers = layers
    self.heads = heads
    self.hidden = hidden
    self.maxPositions = maxPositions
    self.typeVocabulary = typeVocabulary
    self.layerNormEpsilon = layerNormEpsilon
  }

  /// Problems that would make the graph ill-formed, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    let sizes = [vocabulary, dimension, layers, heads, hidden, maxPositions, typeVocabulary]
    if sizes.contains(where: { $0 <= 0 }) { out.append("sizes must be positive") }
    if heads > 0 && dimension % heads != 0 {
      out.append("dimension \(dimension) is not a multiple of heads \(heads)")
    }
    let embeddings = [vocabulary, maxPositions, typeVocabulary].map { [$0, dimension] }
    let perLayer = [[4, dimension, dimension], [2, dimension, hidden]]
    let total = checkedSum(perLayer.map(checkedElementCount), times: layers).flatMap {
      checkedSum(embeddings.map(checkedElementCount) + [$0], times: 1)
    }
    if out.isEmpty && total == nil { out.append("the sizes give more than 2⁶³−1 parameters") }
    return out
  }

  /// all-MiniLM-L6-v2.
  public static let miniLM = BertConfig(
    vocabulary: 30522, dimension: 384, layers: 6, heads: 12, hidden: 1536)
}

/// A BERT encoder with sentence-transformers pooling: mean over real tokens, then L2
/// normalization (all-MiniLM-L6-v2). Weight names are the Hugging Face `BertModel` names.
public struct Bert {
  public var config: BertConfig

  public init(_ config: BertConfig) { self.config = config }

  /// Token states `[B, T, D]` for `tokens` and `attention_mask` (i32 `[B, T]`, 1 = real).
  public func encode(tokens: Value, attentionMask: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let count = b.shape(tokens)[1]
    let d = config.dimension
    let words = Embedding("embeddings.word_embeddings", config.vocabulary, d)(tokens, in: m)
    let positions = LearnedPositionEmbedding(
      "embeddings.position_embeddings", maxPositions: config.maxPositions, dimension: d)(
        b.iota(axis: 0, TensorType(.i32, [count])), in: m)
    let types = Embedding("embeddings.token_type_embeddings", config.typeVocabulary, d)(
      b.constant(0, TensorType(.i32, [count])), in: m)
    var x = b.add(words, b.add(positions, types))
    x = LayerNorm("embeddings.LayerNorm", d, epsilon: config.layerNormEpsilon)(x, in: m)
    let mask = AttentionMasks.padding(attentionMask, queries: count, in: b)
    for layer in 0..<config.layers {
      let p = "encoder.layer.\(layer)"
      let attention = SelfAttention(
        names: (
          "\(p).attention.self.query", "\(p).attention.self.key", "\(p).attention.self.value",
          "\(p).attention.output.dense"
        ),
        dimension: d, heads: config.heads, bias: true)
      let (attended, _) = attention(x, mask: mask, in: m)
      x = LayerNorm("\(p).attention.output.LayerNorm", d, epsilon: config.layerNormEpsilon)(
        b.add(x, attended), in: m)
      let ff = GELUFeedForward(
        inName: "\(p).intermediate.dense", outName: "\(p).output.dense", dimension: d,
        hidden: config.hidden)(x, in: m)
      x = LayerNorm("\(p).output.LayerNorm", d, epsilon: config.layerNormEpsilon)(
        b.add(x, ff), in: m)
    }
    return x
  }

  /// Mean of the token states over real tokens, L2-normalized: `[B, D]`.
  public func sentenceEmbedding(tokens: Value, attentionMask: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let states = encode(tokens: tokens, attentionMask: attentionMask, in: m)
    let s = b.shape(tokens)
    let weights = b.reshape(b.cast(attentionMask, to: m.dtype), s + [1])
    let summed = b.sum(b.mul(states, weights), axes: [1])
    let counts = b.maximum(b.sum(weights, axes: [1]), b.constant(1e-9, .scalar(m.dtype)))
    let mean = b.div(summed, counts)
    let norm = b.sqrt(b.sum(b.mul(mean, mean), axes: [1], keepDims: true))
    return b.div(mean, b.maximum(norm, b.constant(1e-12, .scalar(m.dtype))))
  }

  /// The embedding graph: inputs `tokens`, `attention_mask` (i32 `[B, T]`) and the weights;
  /// result `embeddings` `[B, D]`.
  public func embeddingGraph(batch: Int, tokens: Int) throws(Diagnostics) -> (
    graph: Graph, weights: [String]
  ) {
    let m = ModelBuilder(name: "bert_embed")
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let mask = m.input("attention_mask", TensorType(.i32, [batch, tokens]))
    let e = sentenceEmbedding(tokens: ids, attentionMask: mask, in: m)
    return (try m.graph.build(results: [("embeddings", e)]), m.weightNames)
  }
}

extension BertConfig {
  /// The configuration in a Hugging Face `config.json` (BertModel).
  public init(huggingFaceJSON path: String) throws(ModelError) {
    let object = try readJSONObject(path)
    func int(_ key: String) throws(ModelError) -> Int {
      guard let v = object[key] as? Int else {
        throw ModelError("missing integer", file: path, key: key)
      }
      return v
    }
    self.init(
      vocabulary: try int("vocab_size"), dimension: try int("hidden_size"),
      layers: try int("num_hidden_layers"), heads: try int("num_attention_heads"),
      hidden: try int("intermediate_size"),
      maxPositions: (object["max_position_embeddings"] as? Int) ?? 512,
      typeVocabulary: (object["type_vocab_size"] as? Int) ?? 2,
      layerNormEpsilon: (object["layer_norm_eps"] as? Double) ?? 1e-12)
    if let problem = problems().first {
      throw ModelError("inconsistent configuration: \(problem)", file: path)
    }
  }
}
