import IR

/// Multi-head attention with grouped-query heads, an optional rotary embedding and a mask.
///
/// Shapes: `x [B, T, D]`; the mask is i1 `[B, 1, T, S]` (true where query i may attend to key
/// j), S = past + T keys. Heads: `heads` query heads share `kvHeads` key/value heads in groups.
/// The attention probabilities are an explicit `softmax` over
/// `select(mask, scale·q·kᵀ + scoreBias, −1e9)` marked `{attention = true}`: the Surgery pass
/// finds them by that mark. The optional additive `scoreBias` (ALiBi, see `AttentionBias`)
/// broadcasts to `[B, H, T, S]`.
public struct SelfAttention {
  public var names: (query: String, key: String, value: String, output: String)
  public var dimension: Int
  public var heads: Int
  public var kvHeads: Int
  public var headDimension: Int
  public var bias: Bool
  public var rotary: RotaryEmbedding?

  public init(
    names: (query: String, key: String, value: String, output: String), dimension: Int, heads: Int,
    kvHeads: Int? = nil, headDimension: Int? = nil, bias: Bool = false,
    rotary: RotaryEmbedding? = nil
  ) {
    self.names = names
    self.dimension = dimension
    self.heads = heads
    self.kvHeads = kvHeads ?? heads
    self.headDimension = headDimension ?? dimension / heads
    self.bias = bias
    self.rotary = rotary
  }

  /// Keys and values of this call, `[B, kvHeads, T, hd]` each, for a KV cache.
  public struct Present {
    public var key: Value
    public var value: Value
  }

  /// The attention output `[B, T, D]` and this call's keys and values.
  /// `rotaryTables` are from `RotaryEmbedding.tables`; `scoreBias` is added to the scaled scores
  /// (broadcast to `[B, H, T, S]`); `past` holds earlier keys and values.
  public func callAsFunction(
    _ x: Value, mask: Value, rotaryTables: (cos: Value, sin: Value)? = nil, scoreBias: Value? = nil,
    past: Present? = nil, in m: ModelBuilder
  ) -> (output: Value, present: Present) {
    let b = m.graph
    let (batch, tokens) = (b.shape(x)[0], b.shape(x)[1])
    let hd = headDimension
    func split(_ v: Value, _ count: Int) -> Value {  // [B, T, count·hd] → [B, count, T, hd]
      b.transpose(b.reshape(v, [batch, tokens, count, hd]), [0, 2, 1, 3])
    }
    var q = split(Linear(names.query, dimension, heads * hd, bias: bias)(x, in: m), heads)
    var k = split(Linear(names.key, dimension, kvHeads * hd, bias: bias)(x, in: m), kvHeads)
    let v = split(Linear(names.value, dimension, kvHeads * hd, bias: bias)(x, in: m), kvHeads)
    if let rotary, let tables = rotaryTables {
      q = rotary.apply(q, cos: tables.cos, sin: tables.sin, in: b)
      k = rotary.apply(k, cos: tables.cos, sin: tables.sin, in: b)
    }
    let present = Present(key: k, value: v)
    // Grouped-query attention without copying the keys and values per query head: the
    // `heads/kvHeads` query heads that share a key/value head are stacked along the query axis
    // ([B, kvHeads, group·T, hd]), so each product reads the shared keys and values once. The
    // scores are viewed back as [B, H, T, S] for the mask and the softmax.
    let group = heads / kvHeads
    let stacked = group == 1 ? q : b.reshape(q, [batch, kvHeads, group * tokens, hd])
    let dtype = b.type(x).dtype
    // With earlier keys and values (decoding), the products run over the cache and the new
    // tokens separately and only the scores are joined: the cache is read in place, never
    // copied into a concatenation.
    let sources: [(key: Value, value: Value)] = (past.map { [($0.key, $0.value)] } ?? []) + [(k, v)]
    let lengths = sources.map { b.shape($0.key)[2] }
    let keyCount = lengths.reduce(0, +)
    let products = sources.map { b.matmul(stacked, $0.key, transposeB: true) }
    var scores = b.mul(
      products.count == 1 ? products[0] : b.concat(products, axis: 3),
      b.constant(1 / Double(hd).squareRoot(), .scalar(dtype)))
    if group > 1 { scores = b.reshape(scores, [batch, heads, tokens, keyCount]) }
    if let scoreBias { scores = b.add(scores, scoreBias) }
    let allowed = b.broadcast(mask, to: [batch, heads, tokens, keyCount])
    let masked = b.select(allowed, scores, b.constant(-1e9, .scalar(dtype)))
    let probabilities = b.softmax(masked, axis: -1, attention: true)
    let grouped =
      group == 1
      ? probabilities : b.reshape(probabilities, [batch, kvHeads, group * tokens, keyCount])
    var parts: [Value] = []
    var offset = 0
    for (source, length) in zip(sources, lengths) {
      let weights =
        sources.count == 1
        ? grouped
        : b.slice(
          grouped, start: [0, 0, 0, offset],
          limit: [batch, kvHeads, group * tokens, offset + length])
      parts.append(b.matmul(weights, source.value))
      offset += length
    }
    var context = parts.dropFirst().reduce(parts[0]) { b.add($0, $1) }
    if group > 1 { context = b.reshape(context, [batch, heads, tokens, hd]) }  // [B, H, T, hd]
    let merged = b.reshape(b.transpose(context, [0, 2, 1, 3]), [batch, tokens, heads * hd])
    return (Linear(names.output, heads * hd, dimension, bias: bias)(merged, in: m), present)
  }
}

/// Attention masks, as i1 `[B, 1, T, S]` (true = may attend).
public enum AttentionMasks {
  /// Causal over T tokens, optionally also hiding padded keys (`keyMask` i32 `[B, T]`, 1 = real).
  public static func causal(batch: Int, tokens: Int, keyMask: Value? = nil, in b: GraphBuilder)
    -> Value
  {
    banded(batch: batch, tokens: tokens, window: nil, keyMask: keyMask, in: b)
  }

  /// Causal with a sliding window: query i attends to keys j with i − window < j ≤ i (itself
  /// and the `window − 1` tokens before it), optionally also hiding padded keys (`keyMask`
  /// i32 `[B, T]`, 1 = real). A window of T or more is the plain causal mask.
  public static func slidingWindow(
    batch: Int, tokens: Int, window: Int, keyMask: Value? = nil, in b: GraphBuilder
  ) -> Value {
    banded(batch: batch, tokens: tokens, window: window, keyMask: keyMask, in: b)
  }

  /// j ≤ i, and i − j < window when a window is given; padded keys hidden.
  static func banded(
    batch: Int, tokens: Int, window: Int?, keyMask: Value?, in b: GraphBuilder
  ) -> Value {
    let square = TensorType(.i32, [tokens, tokens])
    let rows = b.iota(axis: 0, square)
    let columns = b.iota(axis: 1, square)
    // j ≤ i  ⟺  j < i + 1
    var band = b.compare(.less, columns, b.add(rows, b.constant(1, square)))
    if let window {
      // i − j < window  ⟺  j > i − window
      let recent = b.compare(.greater, columns, b.sub(rows, b.constant(Double(window), square)))
      band = b.select(recent, band, b.constant(0, TensorType(.i1, [tokens, tokens])))
    }
    let full = [batch, 1, tokens, tokens]
    let allowed = b.broadcast(b.reshape(band, [1, 1, tokens, tokens]), to: full)
    guard let keyMask else { return allowed }
    let real = b.compare(.greater, keyMask, b.constant(0, TensorType(.i32, [batch, tokens])))
    let realKeys = b.broadcast(b.reshape(real, [batch, 1, 1, tokens]), to: full)
    return b.select(realKeys, allowed, b.constant(0, TensorType(.i1, full)))
  }

  /// Every query may attend to every real key (`keyMask` i32 `[B, S]`, 1 = real): BERT.
  public static func padding(_ keyMask: Value, queries: Int, in b: GraphBuilder) -> Value {
    let s = b.shape(keyMask)
    let real = b.compare(.greater, keyMask, b.constant(0, TensorType(.i32, s)))
    return b.broadcast(b.reshape(real, [s[0], 1, 1, s[1]]), to: [s[0], 1, queries, s[1]])
  }
}
