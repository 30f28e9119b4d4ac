import IR
import Models

/// The sizes of a GPT-2-style decoder.
public struct GPT2Config: Sendable, Hashable, Codable {
  public var vocabulary: Int
  public var dimension: Int
  public var layers: Int
  public var heads: Int
  /// The MLP's inner width (GPT-2: 4 × dimension).
  public var hidden: Int
  /// Rows of the learned position table: the longest sequence the model reads.
  public var contextLength: Int
  public var layerNormEpsilon: Double

  public init(
    vocabulary: Int, dimension: Int, layers: Int, heads: Int, hidden: Int? = nil,
    contextLength: Int = 1024, layerNormEpsilon: Double = 1e-5
  ) {
    self.vocabulary = vocabulary
    self.dimension = dimension
    self.layers = layers
    self.heads = heads
    self.hidden = hidden ?? 4 * dimension
    self.contextLength = contextLength
    self.layerNormEpsilon = layerNormEpsilon
  }

  /// Problems that would make the graph ill-formed, as sentences.
  public func problems() -> [String] {
    var out: [String] = []
    if [vocabulary, dimension, layers, heads, hidden, contextLength].contains(where: { $0 <= 0 }) {
      out.append("sizes must be positive")
    } else if dimension % heads != 0 {
      out.append("dimension \(dimension) is not a multiple of heads \(heads)")
    }
    if !(layerNormEpsilon > 0) { out.append("the layer-norm epsilon must be positive") }
    return out
  }
}

/// A GPT-2-style decoder: token plus learned position embeddings, `layers` × (LayerNorm →
/// causal attention with biases → residual, LayerNorm → GELU MLP with biases → residual),
/// final LayerNorm, and the token embedding as LM head (tied).
public struct GPT2: LanguageModel {
  public var config: GPT2Config
  /// The dtype of weights and activations in the graphs.
  public var dtype: DType

  public init(_ config: GPT2Config, dtype: DType = .f32) {
    self.config = config
    self.dtype = dtype
  }

  /// Logits `[B, T, V]` for `tokens` and `positions` (i32 `[B, T]`) under `mask` (i1
  /// `[B, 1, T, T]`, see `AttentionMasks`).
  public func logits(tokens: Value, positions: Value, mask: Value, in m: ModelBuilder) -> Value {
    let b = m.graph
    let d = config.dimension
    let embedding = Embedding("wte", config.vocabulary, d)
    let wpe = LearnedPositionEmbedding("wpe", maxPositions: config.contextLength, dimension: d)
    var x = b.add(embedding(tokens, in: m), wpe(positions, in: m))
    for layer in 0..<config.layers {
      let p = "h.\(layer)"
      let attention = SelfAttention(
        names: ("\(p).attn.q_proj", "\(p).attn.k_proj", "\(p).attn.v_proj", "\(p).attn.o_proj"),
        dimension: d, heads: config.heads, bias: true)
      let (attended, _) = attention(norm("\(p).ln_1")(x, in: m), mask: mask, in: m)
      x = b.add(x, attended)
      let mlp = GELUFeedForward(
        inName: "\(p).mlp.fc_in", outName: "\(p).mlp.fc_out", dimension: d, hidden: config.hidden)
      x = b.add(x, mlp(norm("\(p).ln_2")(x, in: m), in: m))
    }
    return embedding.logits(norm("ln_f")(x, in: m), in: m)
  }

  func norm(_ name: String) -> LayerNorm {
    LayerNorm(name, config.dimension, epsilon: config.layerNormEpsilon)
  }

  /// The training graph: inputs `tokens`, `labels` (i32 `[B, T]`) and `loss_mask` `[B, T]`,
  /// the weights; result `loss`. Rows are right-padded, so a causal mask suffices.
  public func trainingGraph(batch: Int, tokens: Int) throws -> Graph {
    try checkLength(tokens)
    let m = ModelBuilder(name: "gpt2_train", dtype: dtype)
    let b = m.graph
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let labels = m.input("labels", TensorType(.i32, [batch, tokens]))
    let lossMask = m.input("loss_mask", TensorType(dtype, [batch, tokens]))
    let logits = logits(
      tokens: ids, positions: Positions.sequential(batch: batch, tokens: tokens, in: b),
      mask: AttentionMasks.causal(batch: batch, tokens: tokens, in: b), in: m)
    let loss = TokenCrossEntropy.mean(logits: logits, labels: labels, lossMask: lossMask, in: b)
    return try b.build(results: [("loss", loss)])
  }

  /// The forward graph: inputs `tokens`, `attention_mask` (i32 `[B, T]`, 1 = real token) and
  /// `positions` (i32 `[B, T]`, each below the context length), the weights; result `logits`.
  public func forwardGraph(batch: Int, tokens: Int) throws -> Graph {
    try checkLength(tokens)
    let m = ModelBuilder(name: "gpt2_forward", dtype: dtype)
    let ids = m.input("tokens", TensorType(.i32, [batch, tokens]))
    let keyMask = m.input("attention_mask", TensorType(.i32, [batch, tokens]))
    let positions = m.input("positions", TensorType(.i32, [batch, tokens]))
    let mask = AttentionMasks.causal(batch: batch, tokens: tokens, keyMask: keyMask, in: m.graph)
    let logits = logits(tokens: ids, positions: positions, mask: mask, in: m)
    return try m.graph.build(results: [("logits", logits)])
  }

  /// Problems that would make the graphs ill-formed (`config.problems()`).
  public func problems() -> [String] { config.problems() }

  func checkLength(_ tokens: Int) throws(ModelError) {
    if let problem = config.problems().first {
      throw ModelError("GPT-2 configuration: \(problem)")
    }
    guard tokens <= config.contextLength else {
      throw ModelError(
        "\(tokens) tokens exceed the \(config.contextLength) learned positions of this GPT-2")
    }
  }
}
