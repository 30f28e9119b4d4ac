import Runtime

/// The host side of a KV cache: each layer's keys and values in `slots` positions, and which
/// slots are filled.
///
/// Layout per layer: `[batch, kvHeads, slots, headDimension]` (the decode graph's `past_key_L`
/// and `past_value_L`); `mask` is `[batch, slots]` (its `cache_mask`). Unfilled slots hold
/// zeros and are hidden by the mask, so their contents never matter.
public struct KeyValueCache: Sendable {
  public let batch: Int
  public let layers: Int
  public let kvHeads: Int
  public let slots: Int
  public let headDimension: Int
  var keys: [[Float]]
  var values: [[Float]]
  /// 1 where a slot holds a real token's key and value, per row.
  public internal(set) var mask: [Int32]

  /// An empty cache for `config` with `slots` positions per row.
  public init(config: LlamaConfig, batch: Int, slots: Int) {
    self.batch = batch
    layers = config.layers
    kvHeads = config.kvHeads
    self.slots = slots
    headDimension = config.headDimension
    let size = batch * kvHeads * slots * headDimension
    keys = Array(repeating: Array(repeating: 0, count: size), count: layers)
    values = keys
    mask = Array(repeating: 0, count: batch * slots)
  }

  /// Copies `key_L` / `value_L` results (`[batch, kvHeads, T, hd]`) into slots
  /// `slot..<slot + T` and marks them filled where `filled[b·T + t]` is nonzero.
  public mutating func store(_ results: [String: HostTensor], at slot: Int, filled: [Int32])
    throws(GenerationError)
  {
    for layer in 0..<layers {
      for (name, isKey) in [("key_\(layer)", true), ("value_\(layer)", false)] {
        guard let t = results[name], let source = t.array(of: Float.self), t.shape.count == 4,
          t.shape[0] == batch, t.shape[1] == kvHeads, t.shape[3] == headDimension
        else {
          throw GenerationError(
            "result '\(name)' is missing or not f32 [\(batch), \(kvHeads), T, \(headDimension)]")
        }
        let count = t.shape[2]
        guard slot >= 0, slot + count <= slots else {
          throw GenerationError("slots \(slot)..<\(slot + count) exceed the cache's \(slots)")
        }
        let hd = headDimension
        if isKey {
          Self.copy(source, into: &keys[layer], batch * kvHeads, count, slots, slot, hd)
        } else {
          Self.copy(source, into: &values[layer], batch * kvHeads, count, slots, slot, hd)
        }
      }
    }
    let count = filled.count / max(batch, 1)
    for b in 0..<batch {
      for t in 0..<count where filled[b * count + t] != 0 { mask[b * slots + slot + t] = 1 }
    }
  }

  /// Rows of `hd` values: source `[heads, count, hd]` into target `[heads, slots, hd]` at `slot`.
  private static func copy(
    _ source: [Float], into target: inout [Float], _ heads: Int, _ count: Int, _ slots: Int,
    _ slot: Int, _ hd: Int
  ) {
    target.withUnsafeMutableBufferPointer { out in
      source.withUnsafeBufferPointer { from in
        for h in 0..<heads {
          for t in 0..<count {
            let s = (h * count + t) * hd
            let d = (h * slots + slot + t) * hd
            for i in 0..<hd { out[d + i] = from[s + i] }
          }
        }
      }
    }
  }

  /// The decode graph's `cache_mask`, `past_key_L` and `past_value_L` inputs.
  public func inputs() throws -> [String: HostTensor] {
    let shape = [batch, kvHeads, slots, headDimension]
    var out: [String: HostTensor] = ["cache_mask": try HostTensor(shape: [batch, slots], mask)]
    for layer in 0..<layers {
      out["past_key_\(layer)"] = try HostTensor(shape: shape, keys[layer])
      out["past_value_\(layer)"] = try HostTensor(shape: shape, values[layer])
    }
    return out
  }
}
