import Foundation
import Models
import Runtime

/// Embeddings on disk keyed by a 64-bit FNV-1a hash of (embedder identity, text).
///
/// One safetensors file: `keys` (i64 `[N]`, the hash bit patterns) and `vectors` (f32
/// `[N, D]`). Loaded whole, appended in memory, saved atomically.
public final class EmbeddingCache {
  /// The cache file.
  public let path: String
  /// The vector length.
  public let dimension: Int
  private var rows: [UInt64: [Float]] = [:]
  private var dirty = false

  /// Opens (or starts) the cache at `path`; an unreadable or mismatched file starts empty.
  public init(path: String, dimension: Int) {
    self.path = path
    self.dimension = dimension
    guard FileManager.default.fileExists(atPath: path),
      let file = try? SafetensorsFile(path: path),
      let keys = try? file.tensor("keys").array(of: Int64.self),
      let vectors = try? file.tensor("vectors"),
      vectors.shape == [keys.count, dimension],
      let values = vectors.array(of: Float.self)
    else { return }
    for (i, k) in keys.enumerated() {
      rows[UInt64(bitPattern: k)] = Array(values[(i * dimension)..<((i + 1) * dimension)])
    }
  }

  /// Number of cached vectors.
  public var count: Int { rows.count }

  /// The key of `text` under `identity`.
  public static func key(_ text: String, identity: String) -> UInt64 {
    stableHash(identity + "\u{0}" + text)
  }

  /// Embeddings of `texts` from the cache, embedding (with `embedder`) only the missing ones.
  public func embeddings(
    _ texts: [String], with embedder: any TextEncoder, progress: ((Int, Int) -> Void)? = nil
  ) throws(SafetyError) -> [[Float]] {
    let keys = texts.map { EmbeddingCache.key($0, identity: embedder.identity) }
    var missing: [Int] = []
    var seen: Set<UInt64> = []
    for (i, k) in keys.enumerated() where rows[k] == nil && seen.insert(k).inserted {
      missing.append(i)
    }
    if !missing.isEmpty {
      let vectors = try embedder.encode(missing.map { texts[$0] }) {
        progress?($0, missing.count)
      }
      for (i, v) in zip(missing, vectors) { rows[keys[i]] = v }
      dirty = true
    }
    return keys.map { rows[$0] ?? [] }
  }

  /// Writes the cache if it changed.
  public func save() throws(SafetyError) {
    guard dirty else { return }
    let keys = rows.keys.sorted()
    var values: [Float] = []
    values.reserveCapacity(keys.count * dimension)
    for k in keys { values += rows[k] ?? [] }
    do {
      let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try SafetensorsWriter.write(
        [
          ("keys", try HostTensor(shape: [keys.count], keys.map { Int64(bitPattern: $0) })),
          ("vectors", try HostTensor(shape: [keys.count, dimension], values)),
        ], metadata: ["format": "scalpel-embedding-cache-v1"], to: path)
    } catch {
      throw SafetyError("cannot save the embedding cache: \(error)", file: path)
    }
    dirty = false
  }
}
