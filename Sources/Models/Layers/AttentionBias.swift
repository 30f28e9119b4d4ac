import IR

/// Additive attention-score biases, for `SelfAttention`'s `bias` argument.
public enum AttentionBias {
  /// ALiBi (attention with linear biases): head h adds `−mₕ · (i − j)` to the score of query
  /// position i for key position j, so attention decays linearly with distance and no position
  /// embedding is needed. Shape `[1, H, T, S]`; the T queries are the last T of the S key
  /// positions (i = S − T + t), as with a KV cache.
  ///
  /// Slopes: for H a power of two, mₕ = 2^(−8(h+1)/H), h = 0..<H. Otherwise, with P the largest
  /// power of two below H, the P slopes of P heads come first, then the first H − P of the odd
  /// ones among the 2P slopes of 2P heads: 2^(−4(2k+1)/P), k = 0..<H − P.
  public static func alibi(heads: Int, queries: Int, keys: Int, dtype: DType, in b: GraphBuilder)
    -> Value
  {
    let distance = TensorType(dtype, [queries, keys])
    // i − j, with i counted from the first key position.
    let offset = b.constant(Double(keys - queries), distance)
    let gap = b.sub(b.add(b.iota(axis: 0, distance), offset), b.iota(axis: 1, distance))
    let slopes = alibiSlopes(heads: heads, dtype: dtype, in: b)
    return b.neg(
      b.mul(b.reshape(slopes, [1, heads, 1, 1]), b.reshape(gap, [1, 1, queries, keys])))
  }

  /// The ALiBi slopes mₕ of `heads` heads, `[H]` (see `alibi`).
  public static func alibiSlopes(heads: Int, dtype: DType, in b: GraphBuilder) -> Value {
    var power = 1
    while power * 2 <= heads { power *= 2 }
    // 2^(scale·(k + 1) + shift) for k = 0..<count.
    func geometric(_ count: Int, scale: Double, shift: Double) -> Value {
      let k = b.iota(axis: 0, TensorType(dtype, [count]))
      let exponent = b.add(
        b.mul(k, b.constant(scale, .scalar(dtype))), b.constant(scale + shift, .scalar(dtype)))
      return b.pow(b.constant(2, TensorType(dtype, [count])), exponent)
    }
    let first = geometric(power, scale: -8 / Double(power), shift: 0)
    guard heads > power else { return first }
    // 2^(−4(2k+1)/P) = 2^(−8(k+1)/P + 4/P)
    let odd = geometric(heads - power, scale: -8 / Double(power), shift: 4 / Double(power))
    return b.concat([first, odd], axis: 0)
  }
}
