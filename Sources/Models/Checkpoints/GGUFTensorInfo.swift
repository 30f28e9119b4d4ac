/// Where one tensor lives in a GGUF file and how it is stored.
public struct GGUFTensorInfo: Sendable, Hashable {
  /// The tensor's name (`blk.0.attn_q.weight`).
  public let name: String
  /// The dimensions in GGUF order `[ne0, ne1, …]` (`ne0` varies fastest: `[in, out]`).
  public let dimensions: [Int]
  /// The storage type.
  public let type: GGMLType
  /// Byte offset of the data from the start of the file.
  public let fileOffset: Int
  /// Number of elements.
  public let elementCount: Int
  /// Number of bytes of data.
  public let byteCount: Int

  /// The row-major (PyTorch-order) shape: the GGUF dimensions reversed (`[out, in]`).
  public var shape: [Int] { dimensions.reversed() }
}
