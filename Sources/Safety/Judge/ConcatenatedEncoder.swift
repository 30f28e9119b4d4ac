/// Several encoders side by side: each text's vector is the parts' head features one after the
/// other, then the parts' remaining coordinates (zero-shot verdicts) in the same order.
///
/// Each part reads and fills its own embedding cache (when given one), so combining encoders
/// already measured costs nothing more.
public final class ConcatenatedEncoder: TextEncoder {
  public let parts: [(encoder: any TextEncoder, cache: EmbeddingCache?)]
  public let identity: String
  public let dimension: Int
  public let featureCount: Int
  public let verdictIndex: Int?

  public init(_ parts: [(encoder: any TextEncoder, cache: EmbeddingCache?)]) throws(SafetyError) {
    guard parts.count >= 2 else { throw SafetyError("a concatenation needs two encoders or more") }
    self.parts = parts
    identity = parts.map(\.encoder.identity).joined(separator: "+")
    dimension = parts.map(\.encoder.dimension).reduce(0, +)
    featureCount = parts.map(\.encoder.featureCount).reduce(0, +)
    // The first part's verdict, if any, lands at featureCount + (its offset among the rests).
    var offset = featureCount
    var verdict: Int?
    for p in parts {
      if verdict == nil, let v = p.encoder.verdictIndex {
        verdict = offset + v - p.encoder.featureCount
      }
      offset += p.encoder.dimension - p.encoder.featureCount
    }
    verdictIndex = verdict
  }

  public func encode(_ texts: [String], progress: ((Int) -> Void)?) throws(SafetyError)
    -> [[Float]]
  {
    var vectors: [[[Float]]] = []
    for (k, p) in parts.enumerated() {
      let done = k * texts.count
      if let cache = p.cache {
        vectors.append(
          try cache.embeddings(texts, with: p.encoder) { n, _ in progress?(done + n) })
        try cache.save()
      } else {
        vectors.append(try p.encoder.encode(texts) { progress?(done + $0) })
      }
    }
    return texts.indices.map { i in
      var row: [Float] = []
      for (p, v) in zip(parts, vectors) { row += v[i].prefix(p.encoder.featureCount) }
      for (p, v) in zip(parts, vectors) { row += v[i].dropFirst(p.encoder.featureCount) }
      return row
    }
  }
}
