import IR
import Models

/// The sizes of an ALiBi decoder.
public struct ALiBiConfig: Sendable, Hashable, Codable {
  public var vocabulary: Int
  public var dimension: Int
  public var layers: Int
  public var heads: Int
  /// The SwiGLU inner width.
  public var hidden: Int
  /// Keys each query sees (itself and the `window − 1` before it); nil: every earlier key.
  public var window: Int?
  public var rmsEpsilon: Double

  public init(
    vocabulary: Int, dimension: Int, layers: Int, heads: Int, hidden: Int, window: Int? = nil,
    rmsEpsilon: Double = 1e-5
  ) {
    self.vocabulary = vocabulary
    self.dimension = dimension
    self.layers = layers
    self.heads = heads
    self.hidden = hidden
    self.window = window
    self.rmsEpsilon = rmsEpsilon
  }

  /// Problems that would make the graph ill-formed, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if [vocabulary, dimension, layers, heads, hidden].contains(where: { $0 <= 0 }) {
      out.append("sizes must be positive")
    } else if dimension % heads != 0 {
      out.append("dimension \(dimension) is not a multiple of heads \(heads)")
    }
    if let window, window < 1 { out.append("the window must be at least 1, got \(window)") }
    if !(rmsEpsilon > 0) { out.append("the RMSNorm epsilon must be positive") }
    return out
  }
}

/// A decoder whose attention carries the positions: no position embedding; every head adds
/// the ALiBi bias −mₕ·(i − j) to its scores, optionally within a sliding window. Pre-norm
/// blocks (RMSNorm → attention → residual, RMSNorm → SwiGLU → residual), final RMSNorm, an
/// untied LM head; no biases.
public struct ALiBiDecoder: LanguageModel {
  public var config: ALiBiConfig
  /// The dtype of weights and activations in the graphs.
  public var dtype: DType

  public init(_ config: ALiBiConfig, dtype: DType = .f32) {
    self.config = config
    self.dtype = dtype
  }

  /// Logits `[B, T, V]` for `tokens` (i32 `[B, T]`); `keyMask` (i32 `[B, T]`, 1 = real)
  /// hides padded keys.
  public func logits(tokens: Value, keyMask: Value? = nil, in m: ModelBuilder) -> Value {
    let b = m.graph
    let (batch, count) = (b.shape(tokens)[0], b.shape(tokens)[1])
    let d = config.dimension
    let mask =
      config.window.map {
        AttentionMasks.slidingWindow(
          batch: batch, tokens: count, window: $0, keyMask: keyMask, in: b)
      } ?? AttentionMasks.causal(batch: batch, tokens: count, keyMask: keyMask, in: b)
    let bias = AttentionBias.alibi(
      heads: config.heads, queries: count, keys: count, dtype: m.dtype, in: b)
    var x = Embedding("embed", config.vocabulary, d)(tokens, in: m)
    for layer in 0..<config.layers {
      let p = "layers.\(layer)"
      let attention = SelfAttention(
        names: ("\(p).attn.q_proj", "\(p).attn.k_proj", "\(p).attn.v_proj", "\(p).attn.o_proj"),
        dimension: d, heads: config.heads)
      let (attended, _) = attention(
        norm("\(p).attn_norm")(x, in: m), mask: mask, scoreBias: bias, in: m)
      x = b.add(x, attended)
      let mlp = SwiGLU("\(p).mlp", dimension: d, hidden: config.hidden)
      x = b.add(x, mlp(norm("\(p).mlp_norm")(x, in: m), in: m))
    }
    return Linear("lm_head", d, config.vocabulary)(norm("norm")(x, in: m), in: m)
  }

  func norm(_ name: String) -> RMSNorm {
    RMSNorm(name, config.dimension, epsilon: config.rmsEpsilon)
  }

  /// The training graph: inputs `tokens`, `labels` (i32 `[B, T]`) and `loss_mask` `[B, T]`,
  /// the weights; result `loss`. Rows are right-padded, so no key mask is needed.
  public func trainingGraph(batch: Int, tokens: Int) throws -> Graph {
    try checkConfig()
    let m = ModelBuilder(name: "alibi_train", dtype: dtype)
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let labels = m.input("labels", TensorType(.i32, [batch, tokens]))
    let lossMask = m.input("loss_mask", TensorType(dtype, [batch, tokens]))
    let loss = TokenCrossEntropy.mean(
      logits: logits(tokens: ids, in: m), labels: labels, lossMask: lossMask, in: m.graph)
    return try m.graph.build(results: [("loss", loss)])
  }

  /// The forward graph: inputs `tokens` and `attention_mask` (i32 `[B, T]`, 1 = real token),
  /// the weights; result `logits`. ALiBi needs no positions: distances are relative.
  public func forwardGraph(batch: Int, tokens: Int) throws -> Graph {
    try checkConfig()
    let m = ModelBuilder(name: "alibi_forward", dtype: dtype)
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let keyMask = m.input("attention_mask", TensorType(.i32, [batch, tokens]))
    return try m.graph.build(results: [("logits", logits(tokens: ids, keyMask: keyMask, in: m))])
  }

  /// Problems that would make the graphs ill-formed (`config.problems()`).
  public func problems() -> [String] { config.problems() }

  func checkConfig() throws(ModelError) {
    if let problem = config.problems().first {
      throw ModelError("ALiBi decoder configuration: \(problem)")
    }
  }
}
