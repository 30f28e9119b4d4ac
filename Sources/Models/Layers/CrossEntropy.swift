import IR

/// The language-modelling loss: mean next-token cross-entropy over the counted positions.
public enum TokenCrossEntropy {
  /// `−Σ log softmax(logits)[label] · mask / max(Σ mask, 1)`: `logits` `[B, T, V]`, `labels`
  /// i32 `[B, T]` (the next token at each position), `lossMask` `[B, T]` (1 where the position
  /// counts; an ignored position is 0 there, whatever its label). A scalar.
  public static func mean(logits: Value, labels: Value, lossMask: Value, in b: GraphBuilder)
    -> Value
  {
    let s = b.shape(labels)
    let logp = b.logSoftmax(logits, axis: -1)
    let picked = b.reshape(b.takeAlongAxis(logp, b.reshape(labels, s + [1]), axis: -1), s)
    let counted = b.sum(lossMask, axes: [0, 1])
    let total = b.sum(b.mul(picked, lossMask), axes: [0, 1])
    return b.neg(b.div(total, b.maximum(counted, b.constant(1, b.type(counted)))))
  }
}
