import IR

/// The hyper-parameters of a Llama-family decoder.
public struct LlamaConfig: Sendable, Hashable, Codable {
  public var vocabulary: Int
  public var dimension: Int
  public var layers: Int
  public var heads: Int
  public var kvHeads: Int
  public var hidden: Int
  public var ropeBase: Double
  public var rmsEpsilon: Double
  /// The LM head reuses the token embedding (`model.embed_tokens.weight`).
  public var tiedEmbeddings: Bool
  public var ropeLayout: RotaryLayout
  public var contextLength: Int

  public init(
    vocabulary: Int, dimension: Int, layers: Int, heads: Int, kvHeads: Int? = nil, hidden: Int,
    ropeBase: Double = 10000, rmsEpsilon: Double = 1e-5, tiedEmbeddings: Bool = false,
    ropeLayout: RotaryLayout = .rotateHalf, contextLength: Int = 2048
  ) {
    self.vocabulary = vocabulary
    self.dimension = dimension
    self.layers = layers
    self.heads = heads
    self.kvHeads = kvHeads ?? heads
    self.hidden = hidden
    self.ropeBase = ropeBase
    self.rmsEpsilon = rmsEpsilon
    self.tiedEmbeddings = tiedEmbeddings
    self.ropeLayout = ropeLayout
    self.contextLength = contextLength
  }

  public var headDimension: Int { dimension / heads }

  /// Problems that would make the graph ill-formed, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if vocabulary <= 0 || dimension <= 0 || layers <= 0 || heads <= 0 || hidden <= 0 {
      out.append("sizes must be positive")
    }
    if heads > 0 && dimension % heads != 0 {
      out.append("dimension \(dimension) is not a multiple of heads \(heads)")
    }
    if kvHeads <= 0 || (heads > 0 && heads % kvHeads != 0) {
      out.append("heads \(heads) is not a multiple of kv heads \(kvHeads)")
    }
    if heads > 0 && (dimension / heads) % 2 != 0 {
      out.append("head dimension must be even for rotary embedding")
    }
    if contextLength <= 0 { out.append("context length \(contextLength) must be positive") }
    if out.isEmpty && parameterCount == nil {
      out.append("the sizes give more than 2⁶³−1 parameters")
    }
    return out
  }

  /// The number of weights, or nil if it overflows `Int` (sizes from a corrupt config).
  public var parameterCount: Int? {
    let kv = kvHeads * (dimension / max(heads, 1))
    let perLayer: [[Int]] = [
      [dimension, dimension], [dimension, kv], [dimension, kv], [dimension, dimension],
      [3, dimension, hidden], [2, dimension],
    ]
    let model: [[Int]] = [[tiedEmbeddings ? 1 : 2, vocabulary, dimension], [dimension]]
    return checkedSum(perLayer.map(checkedElementCount), times: layers).flatMap { layerTotal in
      checkedSum(model.map(checkedElementCount) + [layerTotal], times: 1)
    }
  }

  /// The "tiny" benchmark model of PERFORMANCE.md (7.36 M parameters).
  public static let tiny = LlamaConfig(
    vocabulary: 8192, dimension: 256, layers: 4, heads: 4, hidden: 688, tiedEmbeddings: false)
}

extension RotaryLayout: Codable {}

/// A Llama-family decoder: token embedding, `layers` × (RMSNorm → attention → residual,
/// RMSNorm → SwiGLU → residual), final RMSNorm, LM head. Weight names are Hugging Face's.
public struct Llama: LanguageModel {
  public var config: LlamaConfig
  /// The dtype of weights and activations in the graphs.
  public var dtype: DType

  public init(_ config: LlamaConfig, dtype: DType = .f32) {
    self.config = config
    self.dtype = dtype
  }

  public static let modelType = "llama"

  public init(configJSON: [String: Any], file: String) throws(ModelError) {
    self.init(try LlamaCheckpoint.config(huggingFaceObject: configJSON, file: file))
  }

  /// Hugging Face's `LlamaForCausalLM` configuration. Checkpoints hold Hugging Face
  /// (rotate-half) q/k weights, so the adjacent-pairs layout cannot be written.
  public func configJSON() throws(ModelError) -> [String: Any] {
    guard config.ropeLayout == .rotateHalf else {
      throw ModelError(
        "checkpoints hold Hugging Face (rotate-half) q/k weights; load the model with the "
          + "rotate-half layout before writing it")
    }
    return LlamaCheckpoint.huggingFaceJSON(config)
  }

  public var vocabulary: Int { config.vocabulary }

  public func problems() -> [String] { config.problems() }

  public var rotary: RotaryEmbedding {
    RotaryEmbedding(
      headDimension: config.headDimension, base: config.ropeBase, layout: config.ropeLayout)
  }

  func attention(_ layer: Int) -> SelfAttention {
    let p = "model.layers.\(layer).self_attn"
    return SelfAttention(
      names: ("\(p).q_proj", "\(p).k_proj", "\(p).v_proj", "\(p).o_proj"),
      dimension: config.dimension,
      heads: config.heads, kvHeads: config.kvHeads, rotary: rotary)
  }

  /// The final hidden states `[B, T, D]` (after the last norm) and each layer's keys and values.
  ///
  /// `tokens` and `positions` are i32 `[B, T]`; `mask` is i1 `[B, 1, T, S]` (see
  /// `AttentionMasks`); `past` holds each layer's earlier keys and values for a KV cache.
  public func hiddenStates(
    tokens: Value, positions: Value, mask: Value, past: [SelfAttention.Present]? = nil,
    in m: ModelBuilder
  ) -> (hidden: Value, present: [SelfAttention.Present]) {
    let b = m.graph
    var x = Embedding("model.embed_tokens", config.vocabulary, config.dimension)(tokens, in: m)
    let tables = rotary.tables(positions: positions, dtype: m.dtype, in: b)
    var present: [SelfAttention.Present] = []
    for layer in 0..<config.layers {
      let p = "model.layers.\(layer)"
      let normed = RMSNorm("\(p).input_layernorm", config.dimension, epsilon: config.rmsEpsilon)(
        x, in: m)
      let (attended, kv) = attention(layer)(
        normed, mask: mask, rotaryTables: tables, past: past?[layer], in: m)
      present.append(kv)
      x = b.add(x, attended)
      let normed2 = RMSNorm(
        "\(p).post_attention_layernorm", config.dimension, epsilon: config.rmsEpsilon)(x, in: m)
      x = b.add(
        x, SwiGLU("\(p).mlp", dimension: config.dimension, hidden: config.hidden)(normed2, in: m))
    }
    return (RMSNorm("model.norm", config.dimension, epsilon: config.rmsEpsilon)(x, in: m), present)
  }

  /// Logits `[..., V]` from hidden states `[..., D]`: the untied `lm_head`, or the token
  /// embedding (`Embedding.logits`) when tied.
  public func logits(_ hidden: Value, in m: ModelBuilder) -> Value {
    if config.tiedEmbeddings {
      return Embedding("model.embed_tokens", config.vocabulary, config.dimension).logits(
        hidden, in: m)
    }
    return Linear("lm_head", config.dimension, config.vocabulary)(hidden, in: m)
  }

  // MARK: - Whole graphs

  /// The training graph: inputs `tokens`, `labels` (i32 `[B, T]`), `loss_mask` `[B, T]` and the
  /// weights; result `loss`. Rows are right-padded, so a causal mask suffices.
  public func trainingGraph(batch: Int, tokens: Int) throws(Diagnostics) -> Graph {
    let m = ModelBuilder(name: "llama_train", dtype: dtype)
    let b = m.graph
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let labels = m.input("labels", TensorType(.i32, [batch, tokens]))
    let lossMask = m.input("loss_mask", TensorType(dtype, [batch, tokens]))
    let mask = AttentionMasks.causal(batch: batch, tokens: tokens, in: b)
    let (hidden, _) = hiddenStates(
      tokens: ids, positions: Positions.sequential(batch: batch, tokens: tokens, in: b),
      mask: mask, in: m)
    let loss = TokenCrossEntropy.mean(
      logits: logits(hidden, in: m), labels: labels, lossMask: lossMask, in: b)
    return try b.build(results: [("loss", loss)])
  }

  /// The forward graph: inputs `tokens`, `attention_mask` (i32 `[B, T]`, 1 = real token, for
  /// left padding), `positions` (i32 `[B, T]`) and the weights; results `logits` `[B, T, V]`
  /// and, with `withCache`, each layer's `key_L` / `value_L` `[B, kvHeads, T, hd]`.
  public func forwardGraph(batch: Int, tokens: Int, withCache: Bool, lastOnly: Bool)
    throws(Diagnostics) -> Graph
  {
    let m = ModelBuilder(name: "llama_forward", dtype: dtype)
    let b = m.graph
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let keyMask = m.input("attention_mask", TensorType(.i32, [batch, tokens]))
    let positions = m.input("positions", TensorType(.i32, [batch, tokens]))
    let mask = AttentionMasks.causal(batch: batch, tokens: tokens, keyMask: keyMask, in: b)
    var (hidden, present) = hiddenStates(tokens: ids, positions: positions, mask: mask, in: m)
    if lastOnly {
      hidden = b.slice(
        hidden, start: [0, tokens - 1, 0], limit: [batch, tokens, config.dimension])
    }
    var results = [("logits", logits(hidden, in: m))]
    if withCache {
      for (i, kv) in present.enumerated() {
        results += [("key_\(i)", kv.key), ("value_\(i)", kv.value)]
      }
    }
    return try b.build(results: results)
  }

  /// The forward graph without cache outputs, logits at every position.
  public func forwardGraph(batch: Int, tokens: Int) throws(Diagnostics) -> Graph {
    try forwardGraph(batch: batch, tokens: tokens, withCache: false, lastOnly: false)
  }

  /// One decoding step with a KV cache of `cacheLength` slots: inputs `tokens` and `positions`
  /// (i32 `[B, 1]`), `cache_mask` (i32 `[B, S]`, 1 = filled slot), `past_key_L` / `past_value_L`
  /// (`[B, kvHeads, S, hd]`) and the weights; results `logits` `[B, 1, V]` and the new token's
  /// `key_L` / `value_L` (`[B, kvHeads, 1, hd]`) for the caller to store.
  public func decodeGraph(batch: Int, cacheLength: Int) throws(Diagnostics) -> Graph {
    let m = ModelBuilder(name: "llama_decode", dtype: dtype)
    let b = m.graph
    let ids = m.input("tokens", TensorType(.i32, [batch, 1]))
    let positions = m.input("positions", TensorType(.i32, [batch, 1]))
    let cacheMask = m.input("cache_mask", TensorType(.i32, [batch, cacheLength]))
    let kvShape = [batch, config.kvHeads, cacheLength, config.headDimension]
    var past: [SelfAttention.Present] = []
    for i in 0..<config.layers {
      past.append(
        .init(
          key: m.input("past_key_\(i)", TensorType(dtype, kvShape)),
          value: m.input("past_value_\(i)", TensorType(dtype, kvShape))))
    }
    // The new token sees every filled slot and itself.
    let keys = b.concat([cacheMask, b.constant(1, TensorType(.i32, [batch, 1]))], axis: 1)
    let mask = AttentionMasks.padding(keys, queries: 1, in: b)
    let (hidden, present) = hiddenStates(
      tokens: ids, positions: positions, mask: mask, past: past, in: m)
    var results = [("logits", logits(hidden, in: m))]
    for (i, kv) in present.enumerated() {
      results += [("key_\(i)", kv.key), ("value_\(i)", kv.value)]
    }
    return try b.build(results: results)
  }
}

/// `(Σ terms) · factor`, or nil if a term is nil or the arithmetic overflows (model sizes read
/// from a config file).
func checkedSum(_ terms: [Int?], times factor: Int) -> Int? {
  var sum = 0
  for term in terms {
    guard let term else { return nil }
    let (next, overflow) = sum.addingReportingOverflow(term)
    guard !overflow else { return nil }
    sum = next
  }
  let (product, overflow) = sum.multipliedReportingOverflow(by: factor)
  return overflow ? nil : product
}
